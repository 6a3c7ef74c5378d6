//! The events of an order's stream (§2): their types, their typed data, and the CloudEvents-like
//! envelope they are stored and served in. Events are facts: never updated, never deleted.

use std::fmt;

use andes_shared::ids;
use chrono::{DateTime, SubsecRound, Utc};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::order::OrderStatus;
use super::values::{time_millis, CargoType, Product, Route};

pub const SPEC_VERSION: &str = "1.0";
pub const SOURCE: &str = "/deliveries/orders";
pub const CONTENT_TYPE: &str = "application/json";

/// The `type` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventType {
    OrderReceived,
    StockReserved,
    StockReservationFailed,
    OrderStored,
    TransportAssigned,
    TransportAssignmentFailed,
    StockReleased,
    OrderDispatched,
    OrderDelivered,
    OrderReturned,
    OrderCancelled,
}

impl EventType {
    pub const ALL: [EventType; 11] = [
        Self::OrderReceived,
        Self::StockReserved,
        Self::StockReservationFailed,
        Self::OrderStored,
        Self::TransportAssigned,
        Self::TransportAssignmentFailed,
        Self::StockReleased,
        Self::OrderDispatched,
        Self::OrderDelivered,
        Self::OrderReturned,
        Self::OrderCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderReceived => "OrderReceived",
            Self::StockReserved => "StockReserved",
            Self::StockReservationFailed => "StockReservationFailed",
            Self::OrderStored => "OrderStored",
            Self::TransportAssigned => "TransportAssigned",
            Self::TransportAssignmentFailed => "TransportAssignmentFailed",
            Self::StockReleased => "StockReleased",
            Self::OrderDispatched => "OrderDispatched",
            Self::OrderDelivered => "OrderDelivered",
            Self::OrderReturned => "OrderReturned",
            Self::OrderCancelled => "OrderCancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// The order status after an event of this type; `None` when it leaves the status unchanged.
    pub fn status(self) -> Option<OrderStatus> {
        match self {
            Self::OrderReceived => Some(OrderStatus::Received),
            Self::OrderStored => Some(OrderStatus::Stored),
            Self::OrderDispatched => Some(OrderStatus::Dispatched),
            Self::OrderDelivered => Some(OrderStatus::Delivered),
            Self::OrderReturned => Some(OrderStatus::Returned),
            Self::OrderCancelled => Some(OrderStatus::Cancelled),
            Self::StockReserved
            | Self::StockReservationFailed
            | Self::TransportAssigned
            | Self::TransportAssignmentFailed
            | Self::StockReleased => None,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an order was cancelled (`OrderCancelled.reason`, the order's `cancel_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The saga found no warehouse with room at the route's origin.
    NoWarehouseCapacity,
    /// The saga found no transport before the departure date.
    NoTransportAvailable,
    /// The order's owner cancelled it, whatever other roles the owner has.
    CancelledByClient,
    /// An operator or admin cancelled someone else's order.
    CancelledByOperator,
}

impl CancelReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoWarehouseCapacity => "no_warehouse_capacity",
            Self::NoTransportAvailable => "no_transport_available",
            Self::CancelledByClient => "cancelled_by_client",
            Self::CancelledByOperator => "cancelled_by_operator",
        }
    }
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `StockReservationFailed.reason`: one value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationFailure {
    #[default]
    NoWarehouseCapacity,
}

/// `TransportAssignmentFailed.reason`: one value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentFailure {
    #[default]
    NoTransportAvailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderReceived {
    pub client_id: String,
    pub products: Vec<Product>,
    pub route: Route,
    pub cargo_type: CargoType,
    pub units: u32,
}

/// `StockReserved` and `StockReleased`: units entering or leaving a warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockMove {
    pub warehouse_id: String,
    pub units: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockReservationFailed {
    pub reason: ReservationFailure,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderStored {
    pub warehouse_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransportAssigned {
    pub transport_id: String,
    pub vehicle_plate: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransportAssignmentFailed {
    pub reason: AssignmentFailure,
}

/// `OrderDispatched` and `OrderDelivered`: the transport the order travels on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OnTransport {
    pub transport_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderReturned {
    pub transport_id: String,
    /// The operator's text; `null` when none was given.
    #[schema(required = true)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderCancelled {
    pub reason: CancelReason,
    /// The caller's free text; `null` when none was given (always for the saga's cancels).
    #[schema(required = true)]
    pub note: Option<String>,
}

/// An event's type with its data: the table of §2.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl EventData {
    pub fn event_type(&self) -> EventType {
        match self {
            Self::OrderReceived(_) => EventType::OrderReceived,
            Self::StockReserved(_) => EventType::StockReserved,
            Self::StockReservationFailed(_) => EventType::StockReservationFailed,
            Self::OrderStored(_) => EventType::OrderStored,
            Self::TransportAssigned(_) => EventType::TransportAssigned,
            Self::TransportAssignmentFailed(_) => EventType::TransportAssignmentFailed,
            Self::StockReleased(_) => EventType::StockReleased,
            Self::OrderDispatched(_) => EventType::OrderDispatched,
            Self::OrderDelivered(_) => EventType::OrderDelivered,
            Self::OrderReturned(_) => EventType::OrderReturned,
            Self::OrderCancelled(_) => EventType::OrderCancelled,
        }
    }

    /// The data of an event of type `event_type`, as stored or received (`data` member).
    pub fn from_parts(event_type: EventType, data: serde_json::Value) -> Result<Self, serde_json::Error> {
        use serde_json::from_value;
        Ok(match event_type {
            EventType::OrderReceived => Self::OrderReceived(from_value(data)?),
            EventType::StockReserved => Self::StockReserved(from_value(data)?),
            EventType::StockReservationFailed => Self::StockReservationFailed(from_value(data)?),
            EventType::OrderStored => Self::OrderStored(from_value(data)?),
            EventType::TransportAssigned => Self::TransportAssigned(from_value(data)?),
            EventType::TransportAssignmentFailed => Self::TransportAssignmentFailed(from_value(data)?),
            EventType::StockReleased => Self::StockReleased(from_value(data)?),
            EventType::OrderDispatched => Self::OrderDispatched(from_value(data)?),
            EventType::OrderDelivered => Self::OrderDelivered(from_value(data)?),
            EventType::OrderReturned => Self::OrderReturned(from_value(data)?),
            EventType::OrderCancelled => Self::OrderCancelled(from_value(data)?),
        })
    }
}

/// Serialises the `data` member alone (the type is the envelope's `type`).
impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::OrderReceived(data) => data.serialize(serializer),
            Self::StockReserved(data) | Self::StockReleased(data) => data.serialize(serializer),
            Self::StockReservationFailed(data) => data.serialize(serializer),
            Self::OrderStored(data) => data.serialize(serializer),
            Self::TransportAssigned(data) => data.serialize(serializer),
            Self::TransportAssignmentFailed(data) => data.serialize(serializer),
            Self::OrderDispatched(data) | Self::OrderDelivered(data) => data.serialize(serializer),
            Self::OrderReturned(data) => data.serialize(serializer),
            Self::OrderCancelled(data) => data.serialize(serializer),
        }
    }
}

/// One event of an order's stream, in the envelope of §2. `specversion`, `source` and
/// `datacontenttype` are constants and `type` is the data's, so they are written, not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// UUIDv7 of the event.
    pub id: String,
    /// The order's id.
    pub subject: String,
    /// When it was appended: milliseconds, non-decreasing along a stream.
    pub time: DateTime<Utc>,
    /// The stream's sequence: 1, 2, 3, … with no gap and no repeat.
    pub version: u64,
    pub data: EventData,
}

impl Event {
    /// A new event (fresh id); `time` is kept to the millisecond, as it is written.
    pub fn new(subject: &str, version: u64, time: DateTime<Utc>, data: EventData) -> Self {
        Self {
            id: ids::new_id(),
            subject: subject.to_string(),
            time: time.trunc_subsecs(3),
            version,
            data,
        }
    }

    pub fn event_type(&self) -> EventType {
        self.data.event_type()
    }

    pub fn order_id(&self) -> &str {
        &self.subject
    }
}

/// The events to append to a stream whose last event is `last_version` at `last_time`: versions
/// `last_version + 1, …` in order, all at `now`, or at `last_time` if the clock is behind it
/// (time never goes back along a stream).
pub fn numbered(
    subject: &str,
    last_version: u64,
    last_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    data: Vec<EventData>,
) -> Vec<Event> {
    let time = last_time.map_or(now, |last| now.max(last));
    data.into_iter()
        .zip(last_version + 1..)
        .map(|(data, version)| Event::new(subject, version, time, data))
        .collect()
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut event = serializer.serialize_struct("Event", 9)?;
        event.serialize_field("specversion", SPEC_VERSION)?;
        event.serialize_field("id", &self.id)?;
        event.serialize_field("source", SOURCE)?;
        event.serialize_field("type", self.event_type().as_str())?;
        event.serialize_field("subject", &self.subject)?;
        event.serialize_field("time", &ids::rfc3339(self.time))?;
        event.serialize_field("datacontenttype", CONTENT_TYPE)?;
        event.serialize_field("version", &self.version)?;
        event.serialize_field("data", &self.data)?;
        event.end()
    }
}

/// The envelope as read; the constant members are not checked, other members are ignored.
#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    event_type: EventType,
    subject: String,
    #[serde(with = "time_millis")]
    time: DateTime<Utc>,
    version: u64,
    data: serde_json::Value,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let envelope = Envelope::deserialize(deserializer)?;
        let data = EventData::from_parts(envelope.event_type, envelope.data).map_err(|error| {
            serde::de::Error::custom(format!("bad data of a {} event: {error}", envelope.event_type))
        })?;
        Ok(Self {
            id: envelope.id,
            subject: envelope.subject,
            time: envelope.time,
            version: envelope.version,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, received};
    use serde_json::json;

    fn stored(time: &str) -> Event {
        let data = EventData::OrderStored(OrderStored {
            warehouse_id: "w-1".into(),
        });
        Event {
            id: "e-3".into(),
            subject: "o-1".into(),
            time: at(time),
            version: 3,
            data,
        }
    }

    #[test]
    fn the_envelope_is_written_as_in_the_contract() {
        let text = serde_json::to_string(&stored("2026-12-02T10:00:00Z")).unwrap();
        assert_eq!(
            text,
            r#"{"specversion":"1.0","id":"e-3","source":"/deliveries/orders","type":"OrderStored","subject":"o-1","time":"2026-12-02T10:00:00.000Z","datacontenttype":"application/json","version":3,"data":{"warehouse_id":"w-1"}}"#
        );
    }

    #[test]
    fn every_type_writes_its_data_shape_and_reads_back() {
        let transport = || OnTransport {
            transport_id: "t-1".into(),
        };
        let cases = [
            (
                EventData::StockReserved(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 2,
                }),
                json!({"warehouse_id": "w-1", "units": 2}),
            ),
            (
                EventData::StockReservationFailed(StockReservationFailed {
                    reason: ReservationFailure::NoWarehouseCapacity,
                    location: "Bogotá".into(),
                }),
                json!({"reason": "no_warehouse_capacity", "location": "Bogotá"}),
            ),
            (
                EventData::OrderStored(OrderStored {
                    warehouse_id: "w-1".into(),
                }),
                json!({"warehouse_id": "w-1"}),
            ),
            (
                EventData::TransportAssigned(TransportAssigned {
                    transport_id: "t-1".into(),
                    vehicle_plate: "ABC-123".into(),
                }),
                json!({"transport_id": "t-1", "vehicle_plate": "ABC-123"}),
            ),
            (
                EventData::TransportAssignmentFailed(TransportAssignmentFailed {
                    reason: AssignmentFailure::NoTransportAvailable,
                }),
                json!({"reason": "no_transport_available"}),
            ),
            (
                EventData::StockReleased(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 2,
                }),
                json!({"warehouse_id": "w-1", "units": 2}),
            ),
            (EventData::OrderDispatched(transport()), json!({"transport_id": "t-1"})),
            (EventData::OrderDelivered(transport()), json!({"transport_id": "t-1"})),
            (
                EventData::OrderReturned(OrderReturned {
                    transport_id: "t-1".into(),
                    reason: None,
                }),
                json!({"transport_id": "t-1", "reason": null}),
            ),
            (
                EventData::OrderCancelled(OrderCancelled {
                    reason: CancelReason::CancelledByClient,
                    note: Some("changed my mind".into()),
                }),
                json!({"reason": "cancelled_by_client", "note": "changed my mind"}),
            ),
        ];
        for (data, shape) in cases {
            let kind = data.event_type();
            let event = Event::new("o-1", 2, at("2026-12-02T10:00:00Z"), data);
            let written = serde_json::to_value(&event).unwrap();
            assert_eq!(written["type"], json!(kind.as_str()));
            assert_eq!(written["data"], shape, "{kind}");
            let back: Event = serde_json::from_value(written).unwrap();
            assert_eq!(back, event);
        }
    }

    #[test]
    fn order_received_carries_the_whole_order() {
        let event = received("o-1", "client-1", "2026-12-02T10:00:00Z");
        let written = serde_json::to_value(&event).unwrap();
        assert_eq!(
            written["data"],
            json!({
                "client_id": "client-1",
                "products": [{"code": "P-000", "name": "Leche", "category": "lacteos"},
                             {"code": "P-001", "name": "Leche", "category": "lacteos"}],
                "route": {"origin": "Bogotá", "destination": "Medellín",
                          "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T18:00:00Z"},
                "cargo_type": "goods",
                "units": 2
            })
        );
        assert_eq!(serde_json::from_value::<Event>(written).unwrap(), event);
    }

    #[test]
    fn a_stored_event_with_unknown_type_or_wrong_data_is_refused() {
        let mut written = serde_json::to_value(stored("2026-12-02T10:00:00Z")).unwrap();
        written["type"] = json!("OrderLost");
        assert!(serde_json::from_value::<Event>(written.clone()).is_err());
        written["type"] = json!("OrderCancelled");
        let error = serde_json::from_value::<Event>(written).unwrap_err().to_string();
        assert!(error.contains("bad data of a OrderCancelled event"), "{error}");
        let bad_reason = json!({"reason": "bored", "note": null});
        assert!(EventData::from_parts(EventType::OrderCancelled, bad_reason).is_err());
        let missing_note = json!({"reason": "cancelled_by_operator"});
        let data = EventData::from_parts(EventType::OrderCancelled, missing_note).unwrap();
        assert_eq!(
            data,
            EventData::OrderCancelled(OrderCancelled {
                reason: CancelReason::CancelledByOperator,
                note: None
            })
        );
    }

    #[test]
    fn type_names_and_statuses_follow_the_table() {
        assert_eq!(EventType::ALL.len(), 11);
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(json!(kind), json!(kind.as_str()));
        }
        let changing: Vec<_> = EventType::ALL.into_iter().filter(|k| k.status().is_some()).collect();
        assert_eq!(
            changing,
            [
                EventType::OrderReceived,
                EventType::OrderStored,
                EventType::OrderDispatched,
                EventType::OrderDelivered,
                EventType::OrderReturned,
                EventType::OrderCancelled
            ]
        );
        assert_eq!(EventType::OrderStored.status(), Some(OrderStatus::Stored));
        assert_eq!(EventType::StockReleased.status(), None);
    }

    #[test]
    fn new_events_have_v7_ids_and_millisecond_times() {
        let event = Event::new(
            "o-1",
            1,
            at("2026-12-02T10:00:00.123456789Z"),
            stored("2026-12-02T10:00:00Z").data,
        );
        assert_eq!(uuid::Uuid::parse_str(&event.id).unwrap().get_version_num(), 7);
        assert_eq!(event.time, at("2026-12-02T10:00:00.123Z"));
        assert_eq!(event.order_id(), "o-1");
    }

    #[test]
    fn appended_events_are_numbered_on_and_never_go_back_in_time() {
        let data = || {
            vec![
                EventData::TransportAssignmentFailed(TransportAssignmentFailed {
                    reason: AssignmentFailure::NoTransportAvailable,
                }),
                EventData::StockReleased(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 1,
                }),
            ]
        };
        let events = numbered(
            "o-1",
            3,
            Some(at("2026-12-02T10:00:00Z")),
            at("2026-12-02T11:00:00Z"),
            data(),
        );
        let versions: Vec<_> = events.iter().map(|e| e.version).collect();
        assert_eq!(versions, [4, 5]);
        assert!(events
            .iter()
            .all(|e| e.time == at("2026-12-02T11:00:00Z") && e.subject == "o-1"));
        assert_ne!(events[0].id, events[1].id);
        let behind = numbered(
            "o-1",
            3,
            Some(at("2026-12-02T10:00:00Z")),
            at("2026-12-02T09:59:59Z"),
            data(),
        );
        assert!(behind.iter().all(|e| e.time == at("2026-12-02T10:00:00Z")));
        let first = numbered("o-2", 0, None, at("2026-12-02T09:00:00Z"), data());
        assert_eq!(first[0].version, 1);
    }
}
