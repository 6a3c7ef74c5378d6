//! Deliveries rules as plain types and functions, no AWS here: the values orders, warehouses
//! and transports share (`values`), the order stream's events (`events`), the order view and
//! its fold (`order`), the order commands' decisions (`commands`), the saga's choices
//! (`saga`), warehouses and transports (`warehouse`, `transport`), request bodies
//! (`validation`), the Idempotency-Key rule (`idempotency`), query parameters (`query`), the
//! daily counters (`stats`). What goes on queues is in `crate::messages`.

pub mod commands;
pub mod events;
pub mod idempotency;
pub mod order;
pub mod query;
pub mod saga;
pub mod stats;
pub mod transport;
pub mod validation;
pub mod values;
pub mod warehouse;

pub use commands::*;
pub use events::*;
pub use idempotency::*;
pub use order::*;
pub use query::*;
pub use stats::*;
pub use transport::*;
pub use validation::*;
pub use values::*;
pub use warehouse::*;

#[cfg(test)]
pub(crate) mod testing {
    use andes_shared::http::ApiError;
    use chrono::{DateTime, Utc};

    use super::*;

    pub fn at(raw: &str) -> DateTime<Utc> {
        parse_time(raw).expect("test time")
    }

    /// Bogotá → Medellín, 2026-12-03 08:00 to 18:00 UTC.
    pub fn route() -> Route {
        Route {
            origin: "Bogotá".into(),
            destination: "Medellín".into(),
            departure_date: at("2026-12-03T08:00:00Z"),
            arrival_date: at("2026-12-03T18:00:00Z"),
        }
    }

    pub fn products(count: usize) -> Vec<Product> {
        (0..count)
            .map(|i| Product {
                code: format!("P-{i:03}"),
                name: "Leche".into(),
                category: "lacteos".into(),
            })
            .collect()
    }

    /// Two products of goods on [`route`].
    pub fn order_input() -> OrderInput {
        OrderInput {
            products: products(2),
            route: route(),
            cargo_type: CargoType::Goods,
        }
    }

    /// OrderReceived (version 1) of `order_id`, placed by `client_id` at `time`: [`order_input`].
    pub fn received(order_id: &str, client_id: &str, time: &str) -> Event {
        Event::new(order_id, 1, at(time), receive(client_id, &order_input()))
    }

    /// Order `o-1` of `client-1`, received at 2026-12-02T10:00:00Z.
    pub fn order() -> Order {
        fold(&[received("o-1", "client-1", "2026-12-02T10:00:00Z")])
            .unwrap()
            .unwrap()
    }

    /// `order` after `data` is appended a second after its last event.
    pub fn then(order: Order, data: Vec<EventData>) -> Order {
        let now = order.updated_at + chrono::Duration::seconds(1);
        order
            .next_events(now, data)
            .iter()
            .try_fold(order, |order, event| apply(Some(order), event))
            .unwrap()
    }

    pub fn warehouse(id: &str, location: &str, capacity: u32, stock: u32) -> Warehouse {
        Warehouse {
            id: id.into(),
            name: format!("Bodega {id}"),
            location: location.into(),
            capacity,
            stock,
            version: 1,
            created_at: at("2026-12-01T00:00:00Z"),
            updated_at: at("2026-12-01T00:00:00Z"),
        }
    }

    /// A loaded run of goods from warehouse `w-1` (Bogotá) to `destination`, leaving at `departure`.
    pub fn transport(id: &str, destination: &str, departure: &str) -> Transport {
        Transport {
            id: id.into(),
            vehicle_plate: "ABC-123".into(),
            cargo_type: CargoType::Goods,
            warehouse_id: "w-1".into(),
            route: Route {
                origin: "Bogotá".into(),
                destination: destination.into(),
                departure_date: at(departure),
                arrival_date: at(departure) + chrono::Duration::hours(10),
            },
            status: TransportStatus::Loaded,
            order_ids: Vec::new(),
            version: 1,
            created_at: at("2026-12-01T00:00:00Z"),
            updated_at: at("2026-12-01T00:00:00Z"),
        }
    }

    /// The fields of a 422, in order; panics on any other error.
    pub fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    /// The (field, message) pairs of a 422.
    pub fn problems(error: ApiError) -> Vec<(String, String)> {
        match error {
            ApiError::Validation(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }
}
