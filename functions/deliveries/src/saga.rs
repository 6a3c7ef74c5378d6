//! The saga's steps (§4), run by the step worker for one order (or one new transport) at a time:
//! read the stream, let `domain::saga` choose, append the outcome with the stock and transport
//! changes it implies. Every append expects the version it read, so a step that loses a race
//! (to a cancel, or to its own redelivery) reads again and usually finds nothing left to do:
//! steps are idempotent.

use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::saga::{self, Step};
use crate::domain::Order;
use crate::store::{AppendError, Store};

/// A step message on the saga queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StepMessage {
    /// An order was received: reserve stock at its origin.
    Reserve { order_id: String },
    /// An order was stored: load it onto a transport, let it wait, or compensate.
    Assign { order_id: String },
    /// A transport was registered: it may take the orders waiting in its warehouse.
    TakeWaiting { transport_id: String },
}

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
            let outcome = advance(store, order_id, as_of).await?;
            tracing::info!(order_id = %order_id, ?outcome, "saga step");
        }
        StepMessage::TakeWaiting { transport_id } => take_waiting(store, transport_id, as_of).await?,
    }
    Ok(())
}

/// Moves an order as far as the saga can take it: received → stored (or cancelled), stored →
/// dispatched (or waiting, or cancelled if its departure has come by `as_of`). Events carry the
/// time they are appended at; `as_of` only decides whether a departure has passed.
pub async fn advance(store: &Store, order_id: &str, as_of: DateTime<Utc>) -> Result<Outcome, ApiError> {
    let mut outcome = Outcome::Nothing;
    for _ in 0..ROUNDS {
        let Some(order) = store.order(order_id).await? else {
            return Ok(Outcome::Nothing);
        };
        let result = match saga::next_step(&order) {
            Step::Reserve => reserve(store, &order).await,
            Step::Assign => assign(store, &order, as_of).await,
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
async fn reserve(store: &Store, order: &Order) -> Result<Outcome, AppendError> {
    let now = Utc::now();
    let warehouses = store.warehouses_at(&order.route.origin).await?;
    for warehouse in saga::warehouse_candidates(order, &warehouses) {
        let Some(data) = saga::reserved(order, warehouse) else {
            break;
        };
        let also = vec![store.reserve_stock(warehouse, order.units, now)?];
        match store.append(&order.next_events(now, data), also).await {
            Ok(()) => return Ok(Outcome::Stored),
            // No room after all (another order took it since the list was read): next one.
            Err(AppendError::Refused(_)) => continue,
            Err(other) => return Err(other),
        }
    }
    let Some(data) = saga::no_room(order) else {
        return Ok(Outcome::Nothing);
    };
    store.append(&order.next_events(now, data), Vec::new()).await?;
    Ok(Outcome::Done)
}

/// A transport for a stored order, or compensation when its departure has come, or waiting.
async fn assign(store: &Store, order: &Order, as_of: DateTime<Utc>) -> Result<Outcome, AppendError> {
    let Some(warehouse_id) = order.stored_at() else {
        return Ok(Outcome::Nothing);
    };
    let now = Utc::now();
    if !saga::should_compensate(order, as_of) {
        let transports = store.loaded_transports(warehouse_id).await?;
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
                // The run departed meanwhile: try the next one.
                Err(AppendError::Refused(0)) => continue,
                Err(AppendError::Refused(_)) => return Err(inconsistent_stock(order).into()),
                Err(other) => return Err(other),
            }
        }
        if !store.wait(order).await? {
            return Err(AppendError::Taken);
        }
        // A transport registered while this step was deciding may have looked for waiting
        // orders before this one was recorded: look once more, now that it is.
        let appeared = store.loaded_transports(warehouse_id).await?;
        return match saga::transport_candidates(order, &appeared).is_empty() {
            true => Ok(Outcome::Waiting),
            false => Err(AppendError::Taken),
        };
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

/// A new transport takes the orders waiting in its warehouse (each goes to its best transport,
/// which is this one or an earlier one).
async fn take_waiting(store: &Store, transport_id: &str, as_of: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(transport) = store.get_transport(transport_id).await? else {
        return Ok(());
    };
    for waiting in store.waiting_in(&transport.warehouse_id).await? {
        Box::pin(advance(store, &waiting.order_id, as_of)).await?;
    }
    Ok(())
}

/// What one sweep of the schedule did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub waiting: usize,
    pub moved: usize,
    pub stale: usize,
}

/// `DeliveriesExpireWaitingOrdersFunction`: every waiting order is taken as far as it can go as
/// of `as_of` (the schedule's time) — compensated if its departure has come, else assigned if a transport has appeared
/// since (a registration whose step missed it), else left waiting. Sweeping twice changes
/// nothing the first sweep did not.
pub async fn expire_waiting(store: &Store, as_of: DateTime<Utc>) -> Result<Swept, ApiError> {
    let mut swept = Swept::default();
    for warehouse in store.all_warehouses().await? {
        for waiting in store.waiting_in(&warehouse.id).await? {
            swept.waiting += 1;
            match Box::pin(advance(store, &waiting.order_id, as_of)).await? {
                Outcome::Stored | Outcome::Done => swept.moved += 1,
                Outcome::Waiting => {}
                Outcome::Nothing => {
                    store.forget_waiting(&waiting).await?;
                    swept.stale += 1;
                }
            }
        }
    }
    Ok(swept)
}
