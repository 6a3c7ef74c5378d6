//! The event envelope of `GET /deliveries/orders/{id}/events`, as the hand-written `Serialize` of
//! [`crate::domain::Event`] writes it: constant members, and `type` paired with its `data`. The
//! test below serialises both for every type, so the two cannot drift apart.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::openapi::schema::Schema;
use utoipa::ToSchema;

use super::constant;
use crate::domain::{
    time_millis, OnTransport, OrderCancelled, OrderReceived, OrderReturned, OrderStored, StockMove,
    StockReservationFailed, TransportAssigned, TransportAssignmentFailed, CONTENT_TYPE, SOURCE, SPEC_VERSION,
};

fn spec_version() -> Schema {
    constant(SPEC_VERSION)
}
fn source() -> Schema {
    constant(SOURCE)
}
fn content_type() -> Schema {
    constant(CONTENT_TYPE)
}

/// One event of an order's stream (CloudEvents-like). Events are never updated or deleted.
#[derive(Serialize, ToSchema)]
pub struct OrderEvent {
    #[schema(schema_with = spec_version)]
    specversion: &'static str,
    /// UUIDv7 of the event.
    id: String,
    #[schema(schema_with = source)]
    source: &'static str,
    /// The order's id.
    subject: String,
    /// When it was appended (milliseconds, UTC); non-decreasing along a stream.
    #[serde(with = "time_millis")]
    time: DateTime<Utc>,
    #[schema(schema_with = content_type)]
    datacontenttype: &'static str,
    /// The stream's sequence: 1, 2, 3, … with no gap and no repeat.
    #[schema(minimum = 1)]
    version: u64,
    #[serde(flatten)]
    typed: EventData,
}

/// An event's `type` and the `data` of that type.
#[derive(Serialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    OrderReceived(OrderReceived),
    StockReserved(StockMove),
    StockReservationFailed(StockReservationFailed),
    OrderStored(OrderStored),
    TransportAssigned(TransportAssigned),
    TransportAssignmentFailed(TransportAssignmentFailed),
    StockReleased(StockMove),
    OrderDispatched(OnTransport),
    OrderDelivered(OnTransport),
    OrderReturned(OrderReturned),
    OrderCancelled(OrderCancelled),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, order_input};
    use crate::domain::{self as domain, receive, AssignmentFailure, CancelReason, Event, ReservationFailure};

    /// The documented shape of `event`, built member by member.
    fn documented(event: &Event) -> OrderEvent {
        use domain::EventData as Data;
        let typed = match event.data.clone() {
            Data::OrderReceived(data) => EventData::OrderReceived(data),
            Data::StockReserved(data) => EventData::StockReserved(data),
            Data::StockReservationFailed(data) => EventData::StockReservationFailed(data),
            Data::OrderStored(data) => EventData::OrderStored(data),
            Data::TransportAssigned(data) => EventData::TransportAssigned(data),
            Data::TransportAssignmentFailed(data) => EventData::TransportAssignmentFailed(data),
            Data::StockReleased(data) => EventData::StockReleased(data),
            Data::OrderDispatched(data) => EventData::OrderDispatched(data),
            Data::OrderDelivered(data) => EventData::OrderDelivered(data),
            Data::OrderReturned(data) => EventData::OrderReturned(data),
            Data::OrderCancelled(data) => EventData::OrderCancelled(data),
        };
        OrderEvent {
            specversion: SPEC_VERSION,
            id: event.id.clone(),
            source: SOURCE,
            subject: event.subject.clone(),
            time: event.time,
            datacontenttype: CONTENT_TYPE,
            version: event.version,
            typed,
        }
    }

    #[test]
    fn every_event_type_is_written_as_documented() {
        let on = || OnTransport {
            transport_id: "t-1".into(),
        };
        let moved = || StockMove {
            warehouse_id: "w-1".into(),
            units: 2,
        };
        let data = [
            receive("client-1", &order_input()),
            domain::EventData::StockReserved(moved()),
            domain::EventData::StockReservationFailed(StockReservationFailed {
                reason: ReservationFailure::NoWarehouseCapacity,
                location: "Bogotá".into(),
            }),
            domain::EventData::OrderStored(OrderStored {
                warehouse_id: "w-1".into(),
            }),
            domain::EventData::TransportAssigned(TransportAssigned {
                transport_id: "t-1".into(),
                vehicle_plate: "ABC-123".into(),
            }),
            domain::EventData::TransportAssignmentFailed(TransportAssignmentFailed {
                reason: AssignmentFailure::NoTransportAvailable,
            }),
            domain::EventData::StockReleased(moved()),
            domain::EventData::OrderDispatched(on()),
            domain::EventData::OrderDelivered(on()),
            domain::EventData::OrderReturned(OrderReturned {
                transport_id: "t-1".into(),
                reason: None,
            }),
            domain::EventData::OrderCancelled(OrderCancelled {
                reason: CancelReason::CancelledByClient,
                note: Some("wrong address".into()),
            }),
        ];
        assert_eq!(data.len(), domain::EventType::ALL.len());
        for (version, data) in (1..).zip(data) {
            let event = Event::new("o-1", version, at("2026-12-02T10:00:00.250Z"), data);
            let written = serde_json::to_value(&event).unwrap();
            assert_eq!(written, serde_json::to_value(documented(&event)).unwrap(), "{written}");
        }
    }
}
