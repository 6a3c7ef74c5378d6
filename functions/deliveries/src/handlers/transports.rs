//! `/deliveries/transports[/{id}[/depart|/arrive]]`: operators and admins register vehicle
//! runs from a warehouse and move them along `loaded` → `on_the_way` → `dispatched`. A vehicle
//! has one active run at a time (its plate's lock, taken with the run, released on arrival).

use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{ok, ApiError};
use andes_shared::ids;
use chrono::{DateTime, Utc};
use lambda_http::Request;

use super::{body, created_at, list_params, path_id, query, staff, HttpResult};
use crate::config::State;
use crate::domain::{
    is_id, transport_input, transport_status_filter, transport_warehouse_id, Transport, TransportError,
};
use crate::store::TransportFilter;

fn not_found() -> ApiError {
    ApiError::NotFound("transport not found".into())
}

/// `POST /deliveries/transports` → 201, `Location`, `loaded` with no order. An unknown
/// warehouse is reported with the body's other problems; a plate with an active run → 409.
#[utoipa::path(
    post,
    path = "/deliveries/transports",
    request_body = crate::openapi::TransportBody,
    responses(
        (status = 201, description = "The new run, `loaded`, with no order yet; `route.origin` is its warehouse's \
            location", body = Transport,
            headers(("Location" = String, description = "`/deliveries/transports/{id}`"))),
        (status = 409, description = "The vehicle already has an active (`loaded` or `on_the_way`) run"),
        (status = 422, description = "A field is missing or invalid, or `warehouse_id` names no warehouse (`errors` \
            names each)"),
        (status = 503, description = "Too much contention on the plate; retry in a moment"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    let body = body(&request)?;
    let warehouse = match transport_warehouse_id(&body) {
        Some(id) => state.store.get_warehouse(id).await?,
        None => None,
    };
    let input = transport_input(&body, warehouse.as_ref())?;
    let transport = Transport::new(&ids::new_id(), input, Utc::now());
    if !state.store.create_transport(&transport).await? {
        return Err(TransportError::ActiveRun(transport.vehicle_plate).into());
    }
    created_at(&format!("/deliveries/transports/{}", transport.id), &transport)
}

/// `GET /deliveries/transports?warehouse_id=&status=&limit=&cursor=`: newest first. A
/// `warehouse_id` that is no id names no warehouse: the list is empty.
#[utoipa::path(
    get,
    path = "/deliveries/transports",
    params(crate::openapi::TransportsQuery, andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "Runs, newest first", body = Page<Transport>),
        (status = 422, description = "`status`, `limit` or `cursor` is invalid (`errors` names each)"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    let (limit, status) = list_params(&request, transport_status_filter(query(&request, "status").as_deref()))?;
    let warehouse_id = query(&request, "warehouse_id");
    let cursor = query(&request, "cursor");
    if warehouse_id.as_deref().is_some_and(|id| !is_id(id)) {
        return ok(&Page::<Transport> {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let filter = TransportFilter {
        warehouse_id: warehouse_id.as_deref(),
        status,
    };
    ok(&state.store.list_transports(filter, limit, cursor.as_deref()).await?)
}

/// `GET /deliveries/transports/{id}`.
#[utoipa::path(
    get,
    path = "/deliveries/transports/{id}",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run (strongly consistent)", body = Transport),
        (status = 404, description = "No such run"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    ok(&find(state, &request).await?)
}

/// `POST /deliveries/transports/{id}/depart`: loaded → on_the_way.
#[utoipa::path(
    post,
    path = "/deliveries/transports/{id}/depart",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run, `on_the_way`", body = Transport),
        (status = 404, description = "No such run"),
        (status = 409, description = "The run is not `loaded`"),
        (status = 503, description = "Too many concurrent changes to the run; retry in a moment"),
    )
)]
pub async fn depart(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    ok(&change(state, &request, Transport::depart).await?)
}

/// `POST /deliveries/transports/{id}/arrive`: on_the_way → dispatched; frees the plate.
#[utoipa::path(
    post,
    path = "/deliveries/transports/{id}/arrive",
    params(("id" = String, Path, description = "The run's id")),
    responses(
        (status = 200, description = "The run, `dispatched`; its vehicle is free for another run", body = Transport),
        (status = 404, description = "No such run"),
        (status = 409, description = "The run is not `on_the_way`"),
        (status = 503, description = "Too many concurrent changes to the run; retry in a moment"),
    )
)]
pub async fn arrive(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    ok(&change(state, &request, Transport::arrive).await?)
}

async fn find(state: &State, request: &Request) -> Result<Transport, ApiError> {
    let id = path_id(request).ok_or_else(not_found)?;
    state.store.get_transport(&id).await?.ok_or_else(not_found)
}

/// Read, decide, write if unchanged: the client sends no version, so a run changed in between
/// (an order loaded by the saga, a concurrent depart) is read again and decided again.
async fn change(
    state: &State,
    request: &Request,
    decide: fn(&Transport, DateTime<Utc>) -> Result<Transport, TransportError>,
) -> Result<Transport, ApiError> {
    read_modify_write(|| async move {
        let transport = find(state, request).await?;
        let moved = decide(&transport, Utc::now())?;
        if state.store.save_status(&moved, transport.version).await? {
            Ok(Attempt::Done(moved))
        } else {
            Ok(Attempt::Stale)
        }
    })
    .await
}
