//! The saga's choices (§3, §4) as pure functions: which warehouse or transport an order may take,
//! in which preference, and the events of each outcome. Each outcome applies only to an order in
//! the state it expects (`None` otherwise), so a redelivered step or one that lost a race to a
//! cancel appends nothing.

use chrono::{DateTime, Utc};

use super::events::{
    AssignmentFailure, CancelReason, EventData, OnTransport, OrderCancelled, OrderStored, ReservationFailure,
    StockMove, StockReservationFailed, TransportAssigned, TransportAssignmentFailed,
};
use super::order::{Order, OrderStatus};
use super::transport::{Transport, TransportStatus};
use super::values::same_place;
use super::warehouse::Warehouse;

/// What the saga does next for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Received: reserve stock at the route's origin.
    Reserve,
    /// Stored: assign a transport, wait for one, or compensate.
    Assign,
    /// Dispatched or final: the saga is done with it.
    Nothing,
}

pub fn next_step(order: &Order) -> Step {
    match order.status {
        OrderStatus::Received => Step::Reserve,
        OrderStatus::Stored => Step::Assign,
        _ => Step::Nothing,
    }
}

/// Warehouses that can store the order: at `route.origin` (trimmed, case-insensitive) with
/// `available ≥ units`; most available first, then lowest id.
pub fn warehouse_candidates<'a>(order: &Order, warehouses: &'a [Warehouse]) -> Vec<&'a Warehouse> {
    let mut candidates: Vec<_> = warehouses
        .iter()
        .filter(|w| same_place(&w.location, &order.route.origin) && w.available() >= order.units)
        .collect();
    candidates.sort_by(|a, b| b.available().cmp(&a.available()).then_with(|| a.id.cmp(&b.id)));
    candidates
}

/// Reserve succeeded: `[StockReserved, OrderStored]` at `warehouse`.
pub fn reserved(order: &Order, warehouse: &Warehouse) -> Option<Vec<EventData>> {
    (order.status == OrderStatus::Received).then(|| {
        vec![
            EventData::StockReserved(StockMove {
                warehouse_id: warehouse.id.clone(),
                units: order.units,
            }),
            EventData::OrderStored(OrderStored {
                warehouse_id: warehouse.id.clone(),
            }),
        ]
    })
}

/// No warehouse with room: `[StockReservationFailed, OrderCancelled(no_warehouse_capacity)]`.
pub fn no_room(order: &Order) -> Option<Vec<EventData>> {
    (order.status == OrderStatus::Received).then(|| {
        vec![
            EventData::StockReservationFailed(StockReservationFailed {
                reason: ReservationFailure::NoWarehouseCapacity,
                location: order.route.origin.clone(),
            }),
            cancelled(CancelReason::NoWarehouseCapacity),
        ]
    })
}

/// Whether a stored order may travel on `transport`: the run is `loaded`, leaves from the
/// order's warehouse, carries its cargo type, and goes to its destination (trimmed,
/// case-insensitive).
pub fn matches(order: &Order, transport: &Transport) -> bool {
    transport.status == TransportStatus::Loaded
        && order.stored_at() == Some(transport.warehouse_id.as_str())
        && transport.cargo_type == order.cargo_type
        && same_place(&transport.route.destination, &order.route.destination)
}

/// Transports the order may be loaded onto: earliest departure first, then lowest id.
pub fn transport_candidates<'a>(order: &Order, transports: &'a [Transport]) -> Vec<&'a Transport> {
    let mut candidates: Vec<_> = transports.iter().filter(|t| matches(order, t)).collect();
    candidates.sort_by(|a, b| {
        a.route
            .departure_date
            .cmp(&b.route.departure_date)
            .then_with(|| a.id.cmp(&b.id))
    });
    candidates
}

/// Assignment: `[TransportAssigned, StockReleased, OrderDispatched]` (the units leave the
/// warehouse for the vehicle). Only for a stored order that [`matches()`] the transport.
pub fn assigned(order: &Order, transport: &Transport) -> Option<Vec<EventData>> {
    if !matches(order, transport) {
        return None;
    }
    Some(vec![
        EventData::TransportAssigned(TransportAssigned {
            transport_id: transport.id.clone(),
            vehicle_plate: transport.vehicle_plate.clone(),
        }),
        EventData::StockReleased(StockMove {
            warehouse_id: transport.warehouse_id.clone(),
            units: order.units,
        }),
        EventData::OrderDispatched(OnTransport {
            transport_id: transport.id.clone(),
        }),
    ])
}

/// Whether a stored order without a transport must be compensated now: its departure has come
/// (`route.departure_date ≤ now`). Otherwise it waits.
pub fn should_compensate(order: &Order, now: DateTime<Utc>) -> bool {
    order.stored_at().is_some() && order.route.departure_date <= now
}

/// Compensation: `[TransportAssignmentFailed, StockReleased, OrderCancelled(no_transport_available)]`.
/// Only for a stored order.
pub fn compensated(order: &Order) -> Option<Vec<EventData>> {
    let warehouse_id = order.stored_at()?;
    Some(vec![
        EventData::TransportAssignmentFailed(TransportAssignmentFailed {
            reason: AssignmentFailure::NoTransportAvailable,
        }),
        EventData::StockReleased(StockMove {
            warehouse_id: warehouse_id.to_string(),
            units: order.units,
        }),
        cancelled(CancelReason::NoTransportAvailable),
    ])
}

fn cancelled(reason: CancelReason) -> EventData {
    EventData::OrderCancelled(OrderCancelled { reason, note: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::EventType;
    use crate::domain::testing::{at, order, then, transport, warehouse};
    use crate::domain::values::CargoType;

    fn ids<T>(items: &[&T], id: impl Fn(&T) -> &str) -> Vec<String> {
        items.iter().map(|item| id(item).to_string()).collect()
    }

    fn types(events: &[EventData]) -> Vec<EventType> {
        events.iter().map(EventData::event_type).collect()
    }

    /// `o-1` stored at `w-1` (two units).
    fn stored() -> Order {
        let received = order();
        let events = reserved(&received, &warehouse("w-1", "Bogotá", 10, 0)).unwrap();
        then(received, events)
    }

    #[test]
    fn warehouses_at_the_origin_with_room_most_available_first() {
        let warehouses = [
            warehouse("w-a", "Bogotá", 10, 9),    // 1 available: too little for 2 units
            warehouse("w-b", " bogotá ", 10, 5),  // 5
            warehouse("w-c", "Medellín", 100, 0), // elsewhere
            warehouse("w-d", "BOGOTÁ", 20, 12),   // 8
            warehouse("w-e", "Bogotá", 6, 1),     // 5, higher id than w-b
            warehouse("w-f", "Bogotá", 2, 0),     // exactly 2
        ];
        let candidates = warehouse_candidates(&order(), &warehouses);
        assert_eq!(ids(&candidates, |w| &w.id), ["w-d", "w-b", "w-e", "w-f"]);
        assert!(warehouse_candidates(&order(), &warehouses[..1]).is_empty());
    }

    #[test]
    fn reserving_stores_the_order() {
        let events = reserved(&order(), &warehouse("w-1", "Bogotá", 10, 0)).unwrap();
        assert_eq!(types(&events), [EventType::StockReserved, EventType::OrderStored]);
        assert_eq!(
            events[0],
            EventData::StockReserved(StockMove {
                warehouse_id: "w-1".into(),
                units: 2
            })
        );
        let stored = stored();
        assert_eq!(stored.status, OrderStatus::Stored);
        assert_eq!(next_step(&stored), Step::Assign);
        assert_eq!(reserved(&stored, &warehouse("w-2", "Bogotá", 10, 0)), None);
    }

    #[test]
    fn no_room_cancels_the_order() {
        let events = no_room(&order()).unwrap();
        assert_eq!(
            events,
            [
                EventData::StockReservationFailed(StockReservationFailed {
                    reason: ReservationFailure::NoWarehouseCapacity,
                    location: "Bogotá".into()
                }),
                EventData::OrderCancelled(OrderCancelled {
                    reason: CancelReason::NoWarehouseCapacity,
                    note: None
                })
            ]
        );
        let cancelled = then(order(), events);
        assert_eq!(next_step(&cancelled), Step::Nothing);
        assert_eq!(no_room(&cancelled), None);
        assert_eq!(no_room(&stored()), None);
    }

    #[test]
    fn transports_that_match_earliest_departure_first() {
        let mut other_warehouse = transport("t-a", "Medellín", "2026-12-03T06:00:00Z");
        other_warehouse.warehouse_id = "w-2".into();
        let mut refrigerated = transport("t-b", "Medellín", "2026-12-03T06:00:00Z");
        refrigerated.cargo_type = CargoType::Refrigerated;
        let mut departed = transport("t-c", "Medellín", "2026-12-03T06:00:00Z");
        departed.status = TransportStatus::OnTheWay;
        let transports = [
            other_warehouse,
            refrigerated,
            departed,
            transport("t-d", "Cali", "2026-12-03T06:00:00Z"),
            transport("t-g", " MEDELLÍN ", "2026-12-04T06:00:00Z"),
            transport("t-f", "Medellín", "2026-12-03T07:00:00Z"),
            transport("t-e", "medellín", "2026-12-04T06:00:00Z"),
        ];
        let candidates = transport_candidates(&stored(), &transports);
        assert_eq!(ids(&candidates, |t| &t.id), ["t-f", "t-e", "t-g"]);
        assert!(
            transport_candidates(&order(), &transports).is_empty(),
            "a received order has no warehouse yet"
        );
    }

    #[test]
    fn assigning_dispatches_the_order_and_releases_its_stock() {
        let run = transport("t-1", "Medellín", "2026-12-03T08:00:00Z");
        let events = assigned(&stored(), &run).unwrap();
        assert_eq!(
            events,
            [
                EventData::TransportAssigned(TransportAssigned {
                    transport_id: "t-1".into(),
                    vehicle_plate: "ABC-123".into()
                }),
                EventData::StockReleased(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 2
                }),
                EventData::OrderDispatched(OnTransport {
                    transport_id: "t-1".into()
                })
            ]
        );
        let dispatched = then(stored(), events);
        assert_eq!(dispatched.status, OrderStatus::Dispatched);
        assert_eq!(dispatched.transport_id.as_deref(), Some("t-1"));
        assert_eq!(next_step(&dispatched), Step::Nothing);
        assert_eq!(assigned(&dispatched, &run), None);
        assert_eq!(
            assigned(&stored(), &transport("t-2", "Cali", "2026-12-03T08:00:00Z")),
            None
        );
    }

    #[test]
    fn a_stored_order_waits_until_its_departure_then_is_compensated() {
        let stored = stored();
        assert!(!should_compensate(&stored, at("2026-12-03T07:59:59Z")));
        assert!(should_compensate(&stored, at("2026-12-03T08:00:00Z")));
        assert!(should_compensate(&stored, at("2026-12-04T00:00:00Z")));
        assert!(!should_compensate(&order(), at("2026-12-04T00:00:00Z")));
        let events = compensated(&stored).unwrap();
        assert_eq!(
            events,
            [
                EventData::TransportAssignmentFailed(TransportAssignmentFailed {
                    reason: AssignmentFailure::NoTransportAvailable
                }),
                EventData::StockReleased(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 2
                }),
                EventData::OrderCancelled(OrderCancelled {
                    reason: CancelReason::NoTransportAvailable,
                    note: None
                })
            ]
        );
        let cancelled = then(stored, events);
        assert_eq!(cancelled.cancel_reason, Some(CancelReason::NoTransportAvailable));
        assert_eq!(
            compensated(&cancelled),
            None,
            "firing the schedule twice changes nothing"
        );
        assert!(!should_compensate(&cancelled, at("2026-12-04T00:00:00Z")));
        assert_eq!(compensated(&order()), None);
    }
}
