//! The saga's steps (§4), run by the step worker for one order (or one new transport) at a time:
//! read the stream, let `domain::saga` choose, append the outcome with the stock and transport
//! changes it implies. Every append expects the version it read, so a step that loses a race
//! (to a cancel, or to its own redelivery) reads again and usually finds nothing left to do:
//! steps are idempotent.

use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::saga::{self, Step};
use crate::domain::{Order, Transport};
use crate::messages::StepMessage;
use crate::store::{AppendError, Store};

/// Rounds of read-decide-append for one order before the step gives up (the message returns to
/// the queue and is retried, then dead-lettered).
const ROUNDS: usize = 8;

/// What a step did with an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored: the next step (assign) follows at once.
    Stored,
    /// Dispatched or cancelled: the saga is done with it.
    Done,
    /// Stored, waiting for a transport.
    Waiting,
    /// Nothing to do (already past this step, or no such order).
    Nothing,
}

pub async fn run(store: &Store, message: &StepMessage) -> Result<(), ApiError> {
    let as_of = Utc::now();
    match message {
        StepMessage::Reserve { order_id } | StepMessage::Assign { order_id } => {
            let outcome = advance(store, order_id, as_of, None).await?;
            tracing::info!(order_id = %order_id, ?outcome, "saga step");
        }
        StepMessage::TakeWaiting { transport_id } => take_waiting(store, transport_id, as_of).await?,
    }
    Ok(())
}

/// Moves an order as far as the saga can take it: received → stored (or cancelled), stored →
/// dispatched (or left waiting, or cancelled if its departure has come by `as_of`). Events carry
/// the time they are appended at; `as_of` only decides whether a departure has passed. `known`
/// is a run the caller has just read (strongly consistent), considered with those the index
/// lists, which may lag behind a registration.
pub async fn advance(
    store: &Store,
    order_id: &str,
    as_of: DateTime<Utc>,
    known: Option<&Transport>,
) -> Result<Outcome, ApiError> {
    let mut outcome = Outcome::Nothing;
    for _ in 0..ROUNDS {
        let Some(order) = store.order(order_id).await? else {
            return Ok(Outcome::Nothing);
        };
        let result = match saga::next_step(&order) {
            Step::Reserve => reserve(store, &order).await,
            Step::Assign => assign(store, &order, as_of, known).await,
            Step::Nothing => return Ok(outcome),
        };
        match result {
            // Go on and assign it in the same step.
            Ok(Outcome::Stored) => outcome = Outcome::Stored,
            Ok(Outcome::Nothing) => return Ok(outcome),
            Ok(done) => return Ok(done),
            // Someone appended first (a cancel, a redelivered step): read again.
            Err(AppendError::Taken | AppendError::Refused(_)) => continue,
            Err(AppendError::Other(error)) => return Err(error),
        }
    }
    Err(ApiError::Unavailable(format!(
        "order {order_id} kept changing during the saga step"
    )))
}

/// Stock at the most available warehouse of the origin that still has room, or the failure.
/// The stored order enters its warehouse's waiting partition in the same transaction.
async fn reserve(store: &Store, order: &Order) -> Result<Outcome, AppendError> {
    let now = Utc::now();
    let warehouses = store.warehouses_at(&order.route.origin).await?;
    for warehouse in saga::warehouse_candidates(order, &warehouses) {
        let Some(data) = saga::reserved(order, warehouse) else {
            break;
        };
        let also = vec![
            store.reserve_stock(warehouse, order.units, now)?,
            store.start_waiting(order, &warehouse.id)?,
        ];
        match store.append(&order.next_events(now, data), also).await {
            Ok(()) => return Ok(Outcome::Stored),
            // No room after all (another order took it since it was read): next one.
            Err(AppendError::Refused(0)) => continue,
            Err(other) => return Err(other),
        }
    }
    let Some(data) = saga::no_room(order) else {
        return Ok(Outcome::Nothing);
    };
    store.append(&order.next_events(now, data), Vec::new()).await?;
    Ok(Outcome::Done)
}

/// A transport for a stored order, or compensation when its departure has come, or waiting
/// (the order is already in its warehouse's waiting partition).
async fn assign(
    store: &Store,
    order: &Order,
    as_of: DateTime<Utc>,
    known: Option<&Transport>,
) -> Result<Outcome, AppendError> {
    let Some(warehouse_id) = order.stored_at() else {
        return Ok(Outcome::Nothing);
    };
    let now = Utc::now();
    if !saga::should_compensate(order, as_of) {
        let mut transports = store.loaded_transports(warehouse_id).await?;
        if let Some(known) = known.filter(|known| transports.iter().all(|t| t.id != known.id)) {
            transports.push(known.clone());
        }
        for transport in saga::transport_candidates(order, &transports) {
            let Some(data) = saga::assigned(order, transport) else {
                continue;
            };
            let also = vec![
                store.load_order(transport, &order.id, now)?,
                store.release_stock(warehouse_id, order.units, now)?,
                store.stop_waiting(warehouse_id, &order.id)?,
            ];
            match store.append(&order.next_events(now, data), also).await {
                Ok(()) => return Ok(Outcome::Done),
                // The run departed meanwhile (the index may still list it): try the next one.
                Err(AppendError::Refused(0)) => continue,
                Err(AppendError::Refused(_)) => return Err(inconsistent_stock(order).into()),
                Err(other) => return Err(other),
            }
        }
        return Ok(Outcome::Waiting);
    }
    let Some(data) = saga::compensated(order) else {
        return Ok(Outcome::Nothing);
    };
    let also = vec![
        store.release_stock(warehouse_id, order.units, now)?,
        store.stop_waiting(warehouse_id, &order.id)?,
    ];
    match store.append(&order.next_events(now, data), also).await {
        Ok(()) => Ok(Outcome::Done),
        Err(AppendError::Refused(_)) => Err(inconsistent_stock(order).into()),
        Err(other) => Err(other),
    }
}

fn inconsistent_stock(order: &Order) -> ApiError {
    ApiError::internal(format!(
        "warehouse {:?} holds fewer units than stored order {} reserved",
        order.warehouse_id, order.id
    ))
}

/// A new transport takes the orders waiting in its warehouse (each goes to its best run, this
/// one or an earlier one). The run itself is read strongly consistent and offered to each order,
/// since the index of loaded runs may not list it yet. One order that cannot be moved now does
/// not keep the others waiting: every order is tried, then the step fails if one did.
async fn take_waiting(store: &Store, transport_id: &str, as_of: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(transport) = store.get_transport(transport_id).await? else {
        return Ok(());
    };
    let mut failures = 0;
    for waiting in store.waiting_in(&transport.warehouse_id).await? {
        if let Err(error) = Box::pin(advance(store, &waiting.order_id, as_of, Some(&transport))).await {
            tracing::warn!(order_id = %waiting.order_id, error = %error, "waiting order not moved");
            failures += 1;
        }
    }
    match failures {
        0 => Ok(()),
        n => Err(ApiError::Unavailable(format!(
            "{n} waiting orders could not be moved; retried"
        ))),
    }
}

/// What one sweep of the schedule did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub waiting: usize,
    pub moved: usize,
    pub stale: usize,
    pub failed: usize,
}

/// `DeliveriesExpireWaitingOrdersFunction`: every waiting order is taken as far as it can go as
/// of `as_of` (the schedule's time) — compensated if its departure has come, assigned if a run
/// has appeared since (a registration whose step missed it), else left waiting; a record whose
/// order has moved on is dropped. Sweeping twice changes nothing the first sweep did not. An
/// order that fails is counted and the sweep goes on; the invocation fails at the end (and is
/// retried) only if one did.
pub async fn expire_waiting(store: &Store, as_of: DateTime<Utc>) -> Result<Swept, ApiError> {
    let mut swept = Swept::default();
    for warehouse in store.all_warehouses().await? {
        for waiting in store.waiting_in(&warehouse.id).await? {
            swept.waiting += 1;
            match Box::pin(advance(store, &waiting.order_id, as_of, None)).await {
                Ok(Outcome::Stored | Outcome::Done) => swept.moved += 1,
                Ok(Outcome::Waiting) => {}
                Ok(Outcome::Nothing) => {
                    store.forget_waiting(&waiting).await?;
                    swept.stale += 1;
                }
                Err(error) => {
                    tracing::warn!(order_id = %waiting.order_id, error = %error, "waiting order not swept");
                    swept.failed += 1;
                }
            }
        }
    }
    match swept.failed {
        0 => Ok(swept),
        n => Err(ApiError::Unavailable(format!(
            "{n} waiting orders could not be swept: {swept:?}"
        ))),
    }
}
