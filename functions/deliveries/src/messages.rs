//! What deliveries puts on queues: the saga's steps on its own queue (§4), and status
//! notifications (§9) on identity's notifications queue. Each status-changing event
//! (OrderReceived, OrderStored, OrderDispatched, OrderDelivered, OrderReturned, OrderCancelled)
//! sends one `order_status` message for the order's client. The event id names the outbox
//! object, so a redelivered message overwrites it.

use serde::{Deserialize, Serialize};

use crate::domain::{Event, EventData, OrderStatus};

/// A step message on the saga queue (§4).
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    #[default]
    #[serde(rename = "order_status")]
    OrderStatus,
}

/// `{"kind": "order_status", "event_id", "order_id", "status", "reason", "recipient_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusMessage {
    pub kind: MessageKind,
    pub event_id: String,
    pub order_id: String,
    pub status: OrderStatus,
    /// The cancel reason (`no_transport_available`, …) or the return reason; else `null`.
    pub reason: Option<String>,
    /// The order's client.
    pub recipient_id: String,
}

/// The message of `event` for the order's client `client_id`; `None` when the event leaves the
/// order's status unchanged.
pub fn order_status_message(event: &Event, client_id: &str) -> Option<OrderStatusMessage> {
    let status = event.event_type().status()?;
    let reason = match &event.data {
        EventData::OrderCancelled(cancelled) => Some(cancelled.reason.as_str().to_string()),
        EventData::OrderReturned(returned) => returned.reason.clone(),
        _ => None,
    };
    Some(OrderStatusMessage {
        kind: MessageKind::OrderStatus,
        event_id: event.id.clone(),
        order_id: event.subject.clone(),
        status,
        reason,
        recipient_id: client_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::*;
    use crate::domain::testing::{at, received};
    use serde_json::json;

    fn event(data: EventData) -> Event {
        Event::new("o-1", 4, at("2026-12-02T10:00:00Z"), data)
    }

    #[test]
    fn status_changes_notify_the_client() {
        let received = received("o-1", "client-1", "2026-12-02T10:00:00Z");
        let message = order_status_message(&received, "client-1").unwrap();
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            json!({"kind": "order_status", "event_id": received.id, "order_id": "o-1",
                   "status": "received", "reason": null, "recipient_id": "client-1"})
        );
        let back: OrderStatusMessage = serde_json::from_value(serde_json::to_value(&message).unwrap()).unwrap();
        assert_eq!(back, message);
    }

    #[test]
    fn only_the_six_status_changing_events_notify() {
        let on = || OnTransport {
            transport_id: "t-1".into(),
        };
        let stock = || StockMove {
            warehouse_id: "w-1".into(),
            units: 1,
        };
        let cases = [
            (
                EventData::OrderStored(OrderStored {
                    warehouse_id: "w-1".into(),
                }),
                Some(OrderStatus::Stored),
            ),
            (EventData::OrderDispatched(on()), Some(OrderStatus::Dispatched)),
            (EventData::OrderDelivered(on()), Some(OrderStatus::Delivered)),
            (EventData::StockReserved(stock()), None),
            (EventData::StockReleased(stock()), None),
            (
                EventData::StockReservationFailed(StockReservationFailed {
                    reason: ReservationFailure::NoWarehouseCapacity,
                    location: "Bogotá".into(),
                }),
                None,
            ),
            (
                EventData::TransportAssigned(TransportAssigned {
                    transport_id: "t-1".into(),
                    vehicle_plate: "ABC-123".into(),
                }),
                None,
            ),
            (
                EventData::TransportAssignmentFailed(TransportAssignmentFailed {
                    reason: AssignmentFailure::NoTransportAvailable,
                }),
                None,
            ),
        ];
        for (data, status) in cases {
            let kind = data.event_type();
            let message = order_status_message(&event(data), "client-1");
            assert_eq!(message.map(|m| m.status), status, "{kind}");
        }
    }

    #[test]
    fn cancels_and_returns_carry_their_reason() {
        let cancelled = event(EventData::OrderCancelled(OrderCancelled {
            reason: CancelReason::NoTransportAvailable,
            note: Some("not sent".into()),
        }));
        let message = order_status_message(&cancelled, "client-1").unwrap();
        assert_eq!(message.status, OrderStatus::Cancelled);
        assert_eq!(message.reason.as_deref(), Some("no_transport_available"));
        assert_eq!(message.event_id, cancelled.id);
        let returned = |reason: Option<&str>| {
            event(EventData::OrderReturned(OrderReturned {
                transport_id: "t-1".into(),
                reason: reason.map(String::from),
            }))
        };
        let message = order_status_message(&returned(Some("damaged")), "client-1").unwrap();
        assert_eq!(
            (message.status, message.reason.as_deref()),
            (OrderStatus::Returned, Some("damaged"))
        );
        let message = order_status_message(&returned(None), "client-1").unwrap();
        assert_eq!(message.reason, None);
    }

    #[test]
    fn step_messages_have_a_stable_wire_format() {
        let cases = [
            (
                StepMessage::Reserve { order_id: "o-1".into() },
                json!({"step": "reserve", "order_id": "o-1"}),
            ),
            (
                StepMessage::Assign { order_id: "o-1".into() },
                json!({"step": "assign", "order_id": "o-1"}),
            ),
            (
                StepMessage::TakeWaiting {
                    transport_id: "t-1".into(),
                },
                json!({"step": "take_waiting", "transport_id": "t-1"}),
            ),
        ];
        for (message, wire) in cases {
            assert_eq!(serde_json::to_value(&message).unwrap(), wire);
            assert_eq!(serde_json::from_value::<StepMessage>(wire).unwrap(), message);
        }
    }
}
