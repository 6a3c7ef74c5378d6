//! The projector (§12): event records of the table's stream folded into order views and daily
//! counters. DynamoDB streams deliver at least once and order records only per item, so a view
//! takes event `v` only at version `v − 1`: repeats are skipped, and a gap is filled by reading
//! the missing events from the table. The view and the counts of the events it applies are
//! written in one conditional transaction: nothing applies or counts twice.

use std::collections::BTreeMap;

use andes_shared::http::ApiError;

use crate::domain::{count_by_date, fold_onto, Event, Order};
use crate::messages::{order_status_message, OrderStatusMessage};
use crate::store::Store;

/// Rounds of read-fold-write for one order when concurrent invocations move its view.
const ROUNDS: usize = 5;

/// An order's view after a batch, and the events this projection applied (the batch's own, or
/// events read back from the table to fill a gap).
pub struct Projected {
    pub view: Order,
    pub applied: Vec<Event>,
}

/// Brings an order's view up to the newest of `events` (records of that order, in any order,
/// repeats allowed).
pub async fn project_order(store: &Store, order_id: &str, events: &[Event]) -> Result<Projected, ApiError> {
    let newest = events.iter().map(|event| event.version).max().unwrap_or(0);
    for _ in 0..ROUNDS {
        let view = store.view(order_id).await?;
        let current = view.as_ref().map_or(0, |view| view.version);
        if let Some(view) = view.as_ref().filter(|view| view.version >= newest) {
            return Ok(Projected {
                view: view.clone(),
                applied: Vec::new(),
            });
        }
        let pending = match following(events, current, newest) {
            Some(pending) => pending,
            None => store.events_between(order_id, current + 1, newest).await?,
        };
        let next = projected(view, &pending, order_id)?;
        if store.project(&next, current, &count_by_date(&pending)).await? {
            return Ok(Projected {
                view: next,
                applied: pending,
            });
        }
    }
    Err(ApiError::Unavailable(format!(
        "the view of order {order_id} kept changing"
    )))
}

/// Versions `current + 1 ..= newest` from `events`, if they are all there (no gap to read).
fn following(events: &[Event], current: u64, newest: u64) -> Option<Vec<Event>> {
    let by_version: BTreeMap<u64, &Event> = events
        .iter()
        .filter(|event| event.version > current)
        .map(|event| (event.version, event))
        .collect();
    let complete = by_version.len() as u64 == newest - current;
    complete.then(|| by_version.into_values().cloned().collect())
}

fn projected(view: Option<Order>, events: &[Event], order_id: &str) -> Result<Order, ApiError> {
    fold_onto(view, events)
        .map_err(|error| ApiError::internal(format!("order {order_id}: {error}")))?
        .ok_or_else(|| ApiError::internal(format!("order {order_id}: no event to project")))
}

/// The status messages for the order's client, one per status-changing event of the batch's
/// records or of the events the projection applied (a gap filled from the table: their own
/// records may have failed for good). Sent again for a repeated record: the notifier's outbox key
/// is the event id, so a resend overwrites.
pub fn status_messages(records: &[Event], projected: &Projected) -> Vec<OrderStatusMessage> {
    let mut seen = std::collections::BTreeSet::new();
    records
        .iter()
        .chain(&projected.applied)
        .filter(|event| seen.insert(event.version))
        .filter_map(|event| order_status_message(event, &projected.view.client_id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{order, then};
    use crate::domain::{fold, CancelReason, EventData, OrderCancelled};

    fn stream() -> Vec<Event> {
        let received = order();
        let cancel = EventData::OrderCancelled(OrderCancelled {
            reason: CancelReason::CancelledByClient,
            note: None,
        });
        let cancelled = then(received.clone(), vec![cancel.clone()]);
        let mut events = vec![crate::domain::testing::received(
            "o-1",
            "client-1",
            "2026-12-02T10:00:00Z",
        )];
        events.extend(received.next_events(cancelled.updated_at, vec![cancel]));
        events
    }

    #[test]
    fn following_events_are_taken_from_the_records_when_none_is_missing() {
        let events = stream();
        let shuffled = vec![events[1].clone(), events[0].clone(), events[1].clone()];
        let pending = following(&shuffled, 0, 2).unwrap();
        assert_eq!(pending.iter().map(|e| e.version).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(following(&shuffled, 1, 2).unwrap().len(), 1);
        // Version 1 is missing from these records: it is read from the table.
        assert!(following(&events[1..], 0, 2).is_none());
    }

    #[test]
    fn folding_onto_a_view_equals_folding_the_whole_stream() {
        let events = stream();
        let first = projected(None, &events[..1], "o-1").unwrap();
        let both = projected(Some(first), &events[1..], "o-1").unwrap();
        assert_eq!(Some(both.clone()), fold(&events).unwrap());
        // A repeat is refused, never applied twice.
        assert!(projected(Some(both), &events[1..], "o-1").is_err());
    }

    #[test]
    fn one_message_per_status_event_even_when_a_record_repeats() {
        let events = stream();
        let view = fold(&events).unwrap().unwrap();
        let repeated = vec![events[1].clone(), events[1].clone()];
        // Version 1 came from the table (its record failed): it is notified with the batch's.
        let projected = Projected {
            view,
            applied: events.clone(),
        };
        let messages = status_messages(&repeated, &projected);
        assert_eq!(messages.len(), 2);
        assert!(messages.iter().all(|m| m.recipient_id == "client-1"));
    }
}
