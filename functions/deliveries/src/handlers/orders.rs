//! `/deliveries/orders[/{id}[/events|/cancel|/deliver|/return]]`: clients place and follow
//! their own orders; operators and admins see every order and deliver or return dispatched
//! ones. Commands are decided on the order folded from its stream (the write model) and appended
//! with the version they read; reads of a single order and lists come from the projection.

use std::time::Duration;

use andes_shared::auth::Principal;
use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{ok, ApiError};
use andes_shared::ids;
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::Serialize;

use super::{body, is_staff, list_params, path_id, query, respond_at, staff, HttpResult};
use crate::config::State;
use crate::domain::{
    cancel_input, decide_cancel, decide_deliver, decide_return, deliver_input, events_query, fingerprint, fold_onto,
    key_reused, new_order, order_status_filter, receive, return_input, Cancel, CommandError, Deliver, Event, EventData,
    Order, OrderStatus, Return, IDEMPOTENCY_KEY,
};
use crate::store::{AppendError, OrderFilter};

/// How often a held `GET …/events?wait=` looks for a new event (the contract: an answer within
/// 0.5 s of the append).
const FEED_POLL: Duration = Duration::from_millis(200);

fn not_found() -> ApiError {
    ApiError::NotFound("order not found".into())
}

/// Any signed-in account (the authorizer has checked the route's roles).
fn account(request: &Request) -> Result<Principal, ApiError> {
    Principal::require_account(request)
}

/// `POST /deliveries/orders` → 202, `Location`, the order as received. With an
/// `Idempotency-Key`, the key is written in the same transaction as OrderReceived; a repeat of
/// the same request answers the order the key created, a different request under it is a 422.
#[utoipa::path(
    post,
    path = "/deliveries/orders",
    params(crate::openapi::IdempotencyKey),
    request_body = crate::openapi::OrderBody,
    responses(
        (status = 202, description = "The order as received (`received`, version 1), placed by the caller; with an \
            `Idempotency-Key` already used for the same order, that order, appending nothing", body = Order,
            headers(("Location" = String, description = "`/deliveries/orders/{id}`"))),
        (status = 409, description = "A request with this `Idempotency-Key` is still in flight; retry in a moment"),
        (status = 422, description = "A field or the `Idempotency-Key` is invalid, or the key was already used with \
            a different order (`errors` names each, the key as `Idempotency-Key`)"),
        (status = 503, description = "The key's transaction met too much contention; retry in a moment"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let principal = account(&request)?;
    let body = body(&request)?;
    let header = request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let new = new_order(&body, header.as_deref())?;
    let now = Utc::now();
    let event = Event::new(&ids::new_id(), 1, now, receive(&principal.id, &new.input));
    let appended = match &new.idempotency_key {
        None => state.store.append(std::slice::from_ref(&event), Vec::new()).await,
        Some(key) => {
            let print = fingerprint(&new.input);
            let appended = state
                .store
                .append_received(&event, &principal.id, key, &print, now)
                .await;
            if let Err(AppendError::Refused(_)) = appended {
                return repeated(state, &principal, key, &print).await;
            }
            appended
        }
    };
    match appended {
        Ok(()) => accepted(&folded(None, std::slice::from_ref(&event))?),
        Err(AppendError::Other(error)) => Err(error),
        Err(other) => Err(ApiError::internal(format!("new order {}: {other:?}", event.subject))),
    }
}

/// A request whose `Idempotency-Key` is taken: the same request gets the order the key created.
async fn repeated(state: &State, principal: &Principal, key: &str, print: &str) -> HttpResult {
    let in_flight = || ApiError::Conflict("A request with this Idempotency-Key is in flight; retry in a moment".into());
    let record = state
        .store
        .idempotency_record(&principal.id, key, Utc::now())
        .await?
        .ok_or_else(in_flight)?;
    if record.fingerprint != print {
        return Err(key_reused());
    }
    let order = state.store.order(&record.order_id).await?.ok_or_else(in_flight)?;
    accepted(&order)
}

fn accepted(order: &Order) -> HttpResult {
    respond_at(StatusCode::ACCEPTED, &format!("/deliveries/orders/{}", order.id), order)
}

/// `GET /deliveries/orders?status=&limit=&cursor=`: newest first; a client's own orders, or
/// every order for operators and admins.
#[utoipa::path(
    get,
    path = "/deliveries/orders",
    params(crate::openapi::OrdersQuery, andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The caller's orders (every order for operators and admins), newest first",
            body = Page<Order>),
        (status = 422, description = "`status`, `limit` or `cursor` is invalid (`errors` names each)"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    let principal = account(&request)?;
    let (limit, status) = list_params(&request, order_status_filter(query(&request, "status").as_deref()))?;
    let filter = OrderFilter {
        client_id: (!is_staff(&principal)).then_some(principal.id.as_str()),
        status,
    };
    let cursor = query(&request, "cursor");
    ok(&state.store.list_orders(filter, limit, cursor.as_deref()).await?)
}

/// `GET /deliveries/orders/{id}`: the projection; an order the projector has not reached yet is
/// folded from its stream, so a `Location` answered by `POST` never gives 404.
#[utoipa::path(
    get,
    path = "/deliveries/orders/{id}",
    params(("id" = String, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order (from the projection: it may lag its history by a moment)",
            body = Order),
        (status = 404, description = "No such order, or another client's"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    let principal = account(&request)?;
    let id = path_id(&request).ok_or_else(not_found)?;
    let order = match state.store.view(&id).await? {
        Some(view) => Some(view),
        None => state.store.order(&id).await?,
    };
    ok(&visible(order, &principal)?)
}

/// Another client's order looks exactly like a missing one.
fn visible(order: Option<Order>, principal: &Principal) -> Result<Order, ApiError> {
    order
        .filter(|order| order.visible_to(&principal.id, is_staff(principal)))
        .ok_or_else(not_found)
}

/// A page of an order's history.
#[derive(Serialize, utoipa::ToSchema)]
struct EventsPage {
    /// Ascending by version.
    #[schema(value_type = Vec<crate::openapi::OrderEvent>)]
    items: Vec<Event>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(required = true)]
    next_cursor: Option<String>,
    /// The version of the order's last event.
    stream_version: u64,
}

/// `GET /deliveries/orders/{id}/events?after=&limit=&wait=&cursor=`: the history, strongly
/// consistent, ascending. With `wait`, a request with nothing after `after` is held until an
/// event is appended or `wait` seconds pass (the live feed: HTTP APIs cannot stream).
#[utoipa::path(
    get,
    path = "/deliveries/orders/{id}/events",
    params(
        ("id" = String, Path, description = "The order's id"),
        crate::openapi::EventsQuery,
        andes_shared::openapi::PageParams,
    ),
    responses(
        (status = 200, description = "The events after `after`, ascending (strongly consistent); with `wait`, held \
            until one is appended or `wait` seconds pass (then `items` is empty)", body = EventsPage),
        (status = 404, description = "No such order, or another client's"),
        (status = 422, description = "`after`, `limit`, `wait` or `cursor` is invalid (`errors` names each)"),
    )
)]
pub async fn events(state: &State, request: Request) -> HttpResult {
    let principal = account(&request)?;
    let params = events_query(
        query(&request, "after").as_deref(),
        query(&request, "limit").as_deref(),
        query(&request, "wait").as_deref(),
    )?;
    let id = path_id(&request).ok_or_else(not_found)?;
    let owner = match state.store.first_event(&id).await? {
        Some(Event {
            data: EventData::OrderReceived(received),
            ..
        }) => received.client_id,
        _ => return Err(not_found()),
    };
    if owner != principal.id && !is_staff(&principal) {
        return Err(not_found());
    }
    let cursor = query(&request, "cursor");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(params.wait_seconds);
    let page = loop {
        let page = state
            .store
            .events_page(&id, params.after, params.limit, cursor.as_deref())
            .await?;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !page.items.is_empty() || cursor.is_some() || left.is_zero() {
            break page;
        }
        tokio::time::sleep(left.min(FEED_POLL)).await;
    };
    let stream_version = match (page.items.last(), &page.next_cursor) {
        (Some(last), None) => last.version,
        _ => state.store.stream_version(&id).await?,
    };
    ok(&EventsPage {
        items: page.items,
        next_cursor: page.next_cursor,
        stream_version,
    })
}

/// A command on an order, its body already validated.
enum Command {
    Cancel(Cancel),
    Deliver(Deliver),
    Return(Return),
}

impl Command {
    fn expected_version(&self) -> Option<u64> {
        match self {
            Self::Cancel(command) => command.expected_version,
            Self::Deliver(command) => command.expected_version,
            Self::Return(command) => command.expected_version,
        }
    }
}

/// `POST /deliveries/orders/{id}/cancel` (the owner, operators, admins).
#[utoipa::path(
    post,
    path = "/deliveries/orders/{id}/cancel",
    params(("id" = String, Path, description = "The order's id")),
    request_body = Option<crate::openapi::CancelBody>,
    responses(
        (status = 200, description = "The order, `cancelled` (a stored order's units leave its warehouse)",
            body = Order),
        (status = 400, description = "The body is not a JSON object (an empty body is fine)"),
        (status = 404, description = "No such order, or another client's"),
        (status = 409, description = "`expected_version` is not the order's version (`current_version` says which), \
            or the order has already been dispatched or is already delivered, returned or cancelled"),
        (status = 503, description = "Too many concurrent changes to the order; retry in a moment"),
    )
)]
pub async fn cancel(state: &State, request: Request) -> HttpResult {
    let principal = account(&request)?;
    let command = Command::Cancel(cancel_input(&body_or_empty(&request)?)?);
    run(state, &request, &principal, command).await
}

/// `POST /deliveries/orders/{id}/deliver` (operators, admins).
#[utoipa::path(
    post,
    path = "/deliveries/orders/{id}/deliver",
    params(("id" = String, Path, description = "The order's id")),
    request_body = Option<crate::openapi::DeliverBody>,
    responses(
        (status = 200, description = "The order, `delivered`", body = Order),
        (status = 400, description = "The body is not a JSON object (an empty body is fine)"),
        (status = 404, description = "No such order"),
        (status = 409, description = "`expected_version` is not the order's version (`current_version` says which), \
            the order is not dispatched or is already final, or its transport has not departed yet"),
        (status = 503, description = "Too many concurrent changes to the order; retry in a moment"),
    )
)]
pub async fn deliver(state: &State, request: Request) -> HttpResult {
    let principal = staff(&request)?;
    let command = Command::Deliver(deliver_input(&body_or_empty(&request)?)?);
    run(state, &request, &principal, command).await
}

/// `POST /deliveries/orders/{id}/return` (operators, admins).
#[utoipa::path(
    post,
    path = "/deliveries/orders/{id}/return",
    params(("id" = String, Path, description = "The order's id")),
    request_body = Option<crate::openapi::ReturnBody>,
    responses(
        (status = 200, description = "The order, `returned`", body = Order),
        (status = 400, description = "The body is not a JSON object (an empty body is fine)"),
        (status = 404, description = "No such order"),
        (status = 409, description = "`expected_version` is not the order's version (`current_version` says which), \
            the order is not dispatched or is already final, or its transport has not departed yet"),
        (status = 503, description = "Too many concurrent changes to the order; retry in a moment"),
    )
)]
pub async fn return_order(state: &State, request: Request) -> HttpResult {
    let principal = staff(&request)?;
    let command = Command::Return(return_input(&body_or_empty(&request)?)?);
    run(state, &request, &principal, command).await
}

/// A command's body: empty is allowed (`null`), anything else must be a JSON object.
fn body_or_empty(request: &Request) -> Result<serde_json::Value, ApiError> {
    if request.body().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    body(request)
}

/// Reads the order, decides, appends with the version read. Losing the append to another writer
/// is the client's 409 when it named a version; otherwise the order is read and decided again
/// (bounded, with back-off).
async fn run(state: &State, request: &Request, principal: &Principal, command: Command) -> HttpResult {
    let id = &path_id(request).ok_or_else(not_found)?;
    let command = &command;
    let order = read_modify_write(|| async move {
        let order = visible(state.store.order(id).await?, principal)?;
        let data = decide(state, &order, principal, command).await?;
        let now = Utc::now();
        let events = order.next_events(now, data);
        let also = match order.stored_at() {
            // Only a cancel leaves `stored` here: its units leave the warehouse with it.
            Some(warehouse_id) => vec![
                state.store.release_stock(warehouse_id, order.units, now)?,
                state.store.stop_waiting(warehouse_id, &order.id)?,
            ],
            None => Vec::new(),
        };
        match state.store.append(&events, also).await {
            Ok(()) => Ok(Attempt::Done(folded(Some(order), &events)?)),
            Err(AppendError::Taken) => match command.expected_version() {
                Some(expected) => {
                    let current = state.store.stream_version(id).await?;
                    Err(CommandError::VersionConflict { expected, current }.into())
                }
                None => Ok(Attempt::Stale),
            },
            Err(AppendError::Refused(_)) => Err(ApiError::internal(format!(
                "order {id}: its warehouse holds fewer units than it reserved"
            ))),
            Err(AppendError::Other(error)) => Err(error),
        }
    })
    .await?;
    ok(&order)
}

async fn decide(
    state: &State,
    order: &Order,
    principal: &Principal,
    command: &Command,
) -> Result<Vec<EventData>, ApiError> {
    // Deliver and return need the status of the run a dispatched order travels on.
    let transport = match (command, order.status, &order.transport_id) {
        (Command::Deliver(_) | Command::Return(_), OrderStatus::Dispatched, Some(transport_id)) => state
            .store
            .get_transport(transport_id)
            .await?
            .map(|transport| transport.status),
        _ => None,
    };
    let decided = match command {
        Command::Cancel(cancel) => decide_cancel(order, &principal.id, cancel),
        Command::Deliver(deliver) => decide_deliver(order, transport, deliver),
        Command::Return(return_command) => decide_return(order, transport, return_command),
    };
    Ok(decided?)
}

/// `order` (`None`: no event yet) after `events` it has just appended.
fn folded(order: Option<Order>, events: &[Event]) -> Result<Order, ApiError> {
    fold_onto(order, events)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("no event to fold"))
}
