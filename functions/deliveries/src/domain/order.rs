//! The order view (§2) and its statuses (§3), folded from the order's events only, so that a
//! replay of the history equals the live view. The projector applies event `v` only to a view
//! at version `v − 1`: [`apply`] refuses repeats and gaps, which the projector skips or fills.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::{numbered, CancelReason, Event, EventData, EventType};
use super::values::{time_millis, CargoType, Product, Route};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Received,
    Stored,
    Dispatched,
    Delivered,
    Returned,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        Self::Received,
        Self::Stored,
        Self::Dispatched,
        Self::Delivered,
        Self::Returned,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Stored => "stored",
            Self::Dispatched => "dispatched",
            Self::Delivered => "delivered",
            Self::Returned => "returned",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// Delivered, returned and cancelled orders take no command and no saga step.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Returned | Self::Cancelled)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order as every route answers it. Absent facts are `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    pub id: String,
    pub client_id: String,
    pub status: OrderStatus,
    pub cargo_type: CargoType,
    /// One storage unit per product.
    pub units: u32,
    pub products: Vec<Product>,
    pub route: Route,
    /// From StockReserved (kept after the stock is released).
    #[schema(required = true)]
    pub warehouse_id: Option<String>,
    /// From TransportAssigned.
    #[schema(required = true)]
    pub transport_id: Option<String>,
    /// OrderCancelled `data.reason`.
    #[schema(required = true)]
    pub cancel_reason: Option<CancelReason>,
    /// OrderReturned `data.reason`.
    #[schema(required = true)]
    pub return_reason: Option<String>,
    /// The version of the last event.
    pub version: u64,
    /// The time of OrderReceived.
    #[serde(with = "time_millis")]
    pub created_at: DateTime<Utc>,
    /// The time of the last event.
    #[serde(with = "time_millis")]
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// A client sees only its own orders; operators and admins (`staff`) see every order.
    pub fn visible_to(&self, principal_id: &str, staff: bool) -> bool {
        staff || self.client_id == principal_id
    }

    /// The warehouse holding this order's units: `Some` exactly while it is stored.
    pub fn stored_at(&self) -> Option<&str> {
        match self.status {
            OrderStatus::Stored => self.warehouse_id.as_deref(),
            _ => None,
        }
    }

    /// `data` as the next events of this order's stream (see [`numbered`]).
    pub fn next_events(&self, now: DateTime<Utc>, data: Vec<EventData>) -> Vec<Event> {
        numbered(&self.id, self.version, Some(self.updated_at), now, data)
    }
}

/// Why an event cannot be applied to a view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    /// Already applied (a redelivered record): skip it.
    #[error("event version {found} is already applied (view at version {current})")]
    Repeat { current: u64, found: u64 },
    /// Events are missing between the view and this one: read them from the stream first.
    #[error("event version {found} does not follow version {current}")]
    Gap { current: u64, found: u64 },
    #[error("a stream starts with OrderReceived, not {0}")]
    NotStarted(EventType),
    #[error("OrderReceived at version {0} of a stream already started")]
    ReceivedAgain(u64),
    #[error("an event of order {found} cannot apply to order {expected}")]
    OtherOrder { expected: String, found: String },
}

/// The view after `event`, given the view after the events before it (`None`: no event yet).
/// Event `v` applies only to a view at version `v − 1`.
pub fn apply(order: Option<Order>, event: &Event) -> Result<Order, FoldError> {
    let Some(mut order) = order else {
        return start(event);
    };
    if event.subject != order.id {
        return Err(FoldError::OtherOrder {
            expected: order.id,
            found: event.subject.clone(),
        });
    }
    let (current, found) = (order.version, event.version);
    if found <= current {
        return Err(FoldError::Repeat { current, found });
    }
    if found > current + 1 {
        return Err(FoldError::Gap { current, found });
    }
    match &event.data {
        EventData::OrderReceived(_) => return Err(FoldError::ReceivedAgain(found)),
        EventData::StockReserved(data) => order.warehouse_id = Some(data.warehouse_id.clone()),
        EventData::TransportAssigned(data) => order.transport_id = Some(data.transport_id.clone()),
        EventData::OrderCancelled(data) => order.cancel_reason = Some(data.reason),
        EventData::OrderReturned(data) => order.return_reason = data.reason.clone(),
        EventData::StockReservationFailed(_)
        | EventData::OrderStored(_)
        | EventData::TransportAssignmentFailed(_)
        | EventData::StockReleased(_)
        | EventData::OrderDispatched(_)
        | EventData::OrderDelivered(_) => {}
    }
    if let Some(status) = event.event_type().status() {
        order.status = status;
    }
    order.version = found;
    order.updated_at = event.time;
    Ok(order)
}

/// The view of a stream's first event, which must be OrderReceived at version 1.
fn start(event: &Event) -> Result<Order, FoldError> {
    match event.version {
        0 => return Err(FoldError::Repeat { current: 0, found: 0 }),
        1 => {}
        found => return Err(FoldError::Gap { current: 0, found }),
    }
    let EventData::OrderReceived(data) = &event.data else {
        return Err(FoldError::NotStarted(event.event_type()));
    };
    Ok(Order {
        id: event.subject.clone(),
        client_id: data.client_id.clone(),
        status: OrderStatus::Received,
        cargo_type: data.cargo_type,
        units: data.units,
        products: data.products.clone(),
        route: data.route.clone(),
        warehouse_id: None,
        transport_id: None,
        cancel_reason: None,
        return_reason: None,
        version: 1,
        created_at: event.time,
        updated_at: event.time,
    })
}

/// The view of a whole stream, its events in version order; `None` for no event.
pub fn fold(events: &[Event]) -> Result<Option<Order>, FoldError> {
    fold_onto(None, events)
}

/// `order` (the view after the events before these; `None`: no event yet) after `events`.
pub fn fold_onto(order: Option<Order>, events: &[Event]) -> Result<Option<Order>, FoldError> {
    events
        .iter()
        .try_fold(order, |order, event| apply(order, event).map(Some))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::*;
    use crate::domain::testing::{at, order, received};
    use serde_json::json;

    fn event(version: u64, time: &str, data: EventData) -> Event {
        Event::new("o-1", version, at(time), data)
    }

    fn stock(warehouse_id: &str) -> StockMove {
        StockMove {
            warehouse_id: warehouse_id.into(),
            units: 2,
        }
    }

    fn on(transport_id: &str) -> OnTransport {
        OnTransport {
            transport_id: transport_id.into(),
        }
    }

    fn cancelled(reason: CancelReason) -> EventData {
        EventData::OrderCancelled(OrderCancelled { reason, note: None })
    }

    /// OrderReceived, StockReserved, OrderStored, TransportAssigned, StockReleased, OrderDispatched.
    fn dispatched_stream() -> Vec<Event> {
        vec![
            received("o-1", "client-1", "2026-12-02T10:00:00Z"),
            event(2, "2026-12-02T10:00:01Z", EventData::StockReserved(stock("w-1"))),
            event(
                3,
                "2026-12-02T10:00:01Z",
                EventData::OrderStored(OrderStored {
                    warehouse_id: "w-1".into(),
                }),
            ),
            event(
                4,
                "2026-12-02T10:05:00Z",
                EventData::TransportAssigned(TransportAssigned {
                    transport_id: "t-1".into(),
                    vehicle_plate: "ABC-123".into(),
                }),
            ),
            event(5, "2026-12-02T10:05:00Z", EventData::StockReleased(stock("w-1"))),
            event(6, "2026-12-02T10:05:00Z", EventData::OrderDispatched(on("t-1"))),
        ]
    }

    #[test]
    fn a_received_order_is_the_view_of_its_first_event() {
        let order = order();
        assert_eq!(
            serde_json::to_value(&order).unwrap(),
            json!({
                "id": "o-1", "client_id": "client-1", "status": "received", "cargo_type": "goods", "units": 2,
                "products": [{"code": "P-000", "name": "Leche", "category": "lacteos"},
                             {"code": "P-001", "name": "Leche", "category": "lacteos"}],
                "route": {"origin": "Bogotá", "destination": "Medellín",
                          "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T18:00:00Z"},
                "warehouse_id": null, "transport_id": null, "cancel_reason": null, "return_reason": null,
                "version": 1, "created_at": "2026-12-02T10:00:00.000Z", "updated_at": "2026-12-02T10:00:00.000Z"
            })
        );
        let back: Order = serde_json::from_value(serde_json::to_value(&order).unwrap()).unwrap();
        assert_eq!(back, order);
    }

    #[test]
    fn transport_available_sequence_ends_dispatched_then_delivered() {
        let mut events = dispatched_stream();
        let dispatched = fold(&events).unwrap().unwrap();
        assert_eq!(dispatched.status, OrderStatus::Dispatched);
        assert_eq!(dispatched.warehouse_id.as_deref(), Some("w-1"));
        assert_eq!(dispatched.transport_id.as_deref(), Some("t-1"));
        assert_eq!(
            (dispatched.cancel_reason, dispatched.return_reason.as_deref()),
            (None, None)
        );
        assert_eq!(dispatched.version, 6);
        assert_eq!(dispatched.created_at, at("2026-12-02T10:00:00Z"));
        assert_eq!(dispatched.updated_at, at("2026-12-02T10:05:00Z"));

        events.push(event(7, "2026-12-03T18:00:00Z", EventData::OrderDelivered(on("t-1"))));
        let delivered = fold(&events).unwrap().unwrap();
        assert_eq!(delivered.status, OrderStatus::Delivered);
        assert_eq!(
            (delivered.version, delivered.updated_at),
            (7, at("2026-12-03T18:00:00Z"))
        );
    }

    #[test]
    fn a_returned_order_keeps_the_return_reason_or_null() {
        let mut events = dispatched_stream();
        events.push(event(
            7,
            "2026-12-03T18:00:00Z",
            EventData::OrderReturned(OrderReturned {
                transport_id: "t-1".into(),
                reason: Some("nobody home".into()),
            }),
        ));
        let returned = fold(&events).unwrap().unwrap();
        assert_eq!(returned.status, OrderStatus::Returned);
        assert_eq!(returned.return_reason.as_deref(), Some("nobody home"));

        events[6].data = EventData::OrderReturned(OrderReturned {
            transport_id: "t-1".into(),
            reason: None,
        });
        let returned = fold(&events).unwrap().unwrap();
        assert_eq!((returned.status, returned.return_reason), (OrderStatus::Returned, None));
    }

    #[test]
    fn no_warehouse_sequence_ends_cancelled_without_a_warehouse() {
        let events = vec![
            received("o-1", "client-1", "2026-12-02T10:00:00Z"),
            event(
                2,
                "2026-12-02T10:00:01Z",
                EventData::StockReservationFailed(StockReservationFailed {
                    reason: ReservationFailure::NoWarehouseCapacity,
                    location: "Bogotá".into(),
                }),
            ),
            event(3, "2026-12-02T10:00:01Z", cancelled(CancelReason::NoWarehouseCapacity)),
        ];
        let order = fold(&events).unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Cancelled);
        assert_eq!(order.cancel_reason, Some(CancelReason::NoWarehouseCapacity));
        assert_eq!((order.warehouse_id, order.transport_id), (None, None));
        assert_eq!(order.version, 3);
        assert_eq!(
            serde_json::to_value(order.cancel_reason).unwrap(),
            json!("no_warehouse_capacity")
        );
    }

    #[test]
    fn no_transport_sequence_ends_cancelled_with_its_warehouse() {
        let mut events = dispatched_stream();
        events.truncate(3);
        events.extend([
            event(
                4,
                "2026-12-03T08:00:00Z",
                EventData::TransportAssignmentFailed(TransportAssignmentFailed {
                    reason: AssignmentFailure::NoTransportAvailable,
                }),
            ),
            event(5, "2026-12-03T08:00:00Z", EventData::StockReleased(stock("w-1"))),
            event(6, "2026-12-03T08:00:00Z", cancelled(CancelReason::NoTransportAvailable)),
        ]);
        let stored = fold(&events[..3]).unwrap().unwrap();
        assert_eq!(stored.status, OrderStatus::Stored);
        assert_eq!(stored.stored_at(), Some("w-1"));
        let order = fold(&events).unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Cancelled);
        assert_eq!(order.cancel_reason, Some(CancelReason::NoTransportAvailable));
        assert_eq!(order.warehouse_id.as_deref(), Some("w-1"));
        assert_eq!(order.stored_at(), None);
        assert_eq!(order.transport_id, None);
        assert_eq!((order.version, order.updated_at), (6, at("2026-12-03T08:00:00Z")));
    }

    #[test]
    fn folding_one_by_one_equals_folding_the_whole_stream() {
        let events = dispatched_stream();
        let mut view = None;
        for event in &events {
            view = Some(apply(view, event).unwrap());
        }
        assert_eq!(view, fold(&events).unwrap());
        assert_eq!(fold(&[]).unwrap(), None);
    }

    #[test]
    fn repeats_and_gaps_are_refused() {
        let events = dispatched_stream();
        let at_three = fold(&events[..3]).unwrap().unwrap();
        assert_eq!(
            apply(Some(at_three.clone()), &events[2]),
            Err(FoldError::Repeat { current: 3, found: 3 })
        );
        assert_eq!(
            apply(Some(at_three.clone()), &events[0]),
            Err(FoldError::Repeat { current: 3, found: 1 })
        );
        assert_eq!(
            apply(Some(at_three.clone()), &events[4]),
            Err(FoldError::Gap { current: 3, found: 5 })
        );
        assert_eq!(apply(None, &events[1]), Err(FoldError::Gap { current: 0, found: 2 }));
        let mut gappy = events.clone();
        gappy.remove(3);
        assert_eq!(fold(&gappy), Err(FoldError::Gap { current: 3, found: 5 }));
        let mut repeated = events.clone();
        repeated.insert(2, events[1].clone());
        assert_eq!(fold(&repeated), Err(FoldError::Repeat { current: 2, found: 2 }));
    }

    #[test]
    fn a_stream_starts_with_one_order_received_of_its_own_order() {
        let mut first = event(1, "2026-12-02T10:00:00Z", EventData::StockReserved(stock("w-1")));
        assert_eq!(
            apply(None, &first),
            Err(FoldError::NotStarted(EventType::StockReserved))
        );
        first.version = 0;
        assert_eq!(apply(None, &first), Err(FoldError::Repeat { current: 0, found: 0 }));

        let mut again = received("o-1", "client-1", "2026-12-02T10:00:00Z");
        again.version = 2;
        assert_eq!(apply(Some(order()), &again), Err(FoldError::ReceivedAgain(2)));

        let other = Event::new(
            "o-2",
            2,
            at("2026-12-02T10:00:00Z"),
            EventData::StockReserved(stock("w-1")),
        );
        assert_eq!(
            apply(Some(order()), &other),
            Err(FoldError::OtherOrder {
                expected: "o-1".into(),
                found: "o-2".into()
            })
        );
    }

    #[test]
    fn statuses_are_the_six_of_the_state_machine() {
        let names: Vec<_> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            ["received", "stored", "dispatched", "delivered", "returned", "cancelled"]
        );
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert_eq!(json!(status), json!(status.as_str()));
        }
        assert_eq!(OrderStatus::parse("Received"), None);
        let finals: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(
            finals,
            [OrderStatus::Delivered, OrderStatus::Returned, OrderStatus::Cancelled]
        );
    }

    #[test]
    fn clients_see_their_own_orders_and_staff_every_order() {
        let order = order();
        assert!(order.visible_to("client-1", false));
        assert!(!order.visible_to("client-2", false));
        assert!(order.visible_to("operator-1", true));
    }

    #[test]
    fn next_events_continue_the_stream() {
        let order = order();
        let events = order.next_events(
            at("2026-12-02T09:00:00Z"),
            vec![cancelled(CancelReason::CancelledByClient)],
        );
        assert_eq!(events[0].version, 2);
        assert_eq!(events[0].time, order.updated_at);
        let cancelled = apply(Some(order), &events[0]).unwrap();
        assert_eq!(cancelled.cancel_reason, Some(CancelReason::CancelledByClient));
    }
}
