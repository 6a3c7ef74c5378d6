//! Warehouses (§2, seed: Bodega): the write model, its view with `available`, and the stock an
//! order history implies (Σ StockReserved.units − Σ StockReleased.units), which the admin
//! rebuild compares with the live stock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::{Event, EventData};
use super::validation::WarehouseInput;
use super::values::time_millis;

/// A warehouse as stored. Invariant at every instant: `0 ≤ stock ≤ capacity`; `stock` changes
/// only in the transactions that append the StockReserved / StockReleased justifying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warehouse {
    pub id: String,
    pub name: String,
    pub location: String,
    pub capacity: u32,
    /// Units reserved by the orders currently stored here.
    pub stock: u32,
    pub version: u64,
    #[serde(with = "time_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "time_millis")]
    pub updated_at: DateTime<Utc>,
}

/// A warehouse as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WarehouseView {
    pub id: String,
    pub name: String,
    pub location: String,
    pub capacity: u32,
    pub stock: u32,
    pub available: u32,
    pub version: u64,
    #[serde(with = "time_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "time_millis")]
    pub updated_at: DateTime<Utc>,
}

impl Warehouse {
    /// A new, empty warehouse.
    pub fn new(id: &str, input: WarehouseInput, now: DateTime<Utc>) -> Self {
        Self {
            id: id.to_string(),
            name: input.name,
            location: input.location,
            capacity: input.capacity,
            stock: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// `capacity − stock`.
    pub fn available(&self) -> u32 {
        self.capacity.saturating_sub(self.stock)
    }

    pub fn view(&self) -> WarehouseView {
        WarehouseView {
            id: self.id.clone(),
            name: self.name.clone(),
            location: self.location.clone(),
            capacity: self.capacity,
            stock: self.stock,
            available: self.available(),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The stock each warehouse holds according to `events` (of any orders): reserved minus released
/// units, by warehouse id. A correct history never gives a negative number.
pub fn stock_from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> BTreeMap<String, i64> {
    let mut stock = BTreeMap::new();
    for event in events {
        let (warehouse_id, units) = match &event.data {
            EventData::StockReserved(moved) => (&moved.warehouse_id, i64::from(moved.units)),
            EventData::StockReleased(moved) => (&moved.warehouse_id, -i64::from(moved.units)),
            _ => continue,
        };
        *stock.entry(warehouse_id.clone()).or_insert(0) += units;
    }
    stock
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::StockMove;
    use crate::domain::testing::{at, received, warehouse};
    use serde_json::json;

    #[test]
    fn a_new_warehouse_is_empty() {
        let input = WarehouseInput {
            name: "Bodega Norte".into(),
            location: "Bogotá".into(),
            capacity: 10,
        };
        let warehouse = Warehouse::new("w-1", input, at("2026-12-01T00:00:00Z"));
        assert_eq!((warehouse.stock, warehouse.available(), warehouse.version), (0, 10, 1));
    }

    #[test]
    fn the_view_shows_what_is_available() {
        let view = serde_json::to_value(warehouse("w-1", "Bogotá", 10, 4).view()).unwrap();
        assert_eq!(
            view,
            json!({"id": "w-1", "name": "Bodega w-1", "location": "Bogotá", "capacity": 10, "stock": 4,
                   "available": 6, "version": 1,
                   "created_at": "2026-12-01T00:00:00.000Z", "updated_at": "2026-12-01T00:00:00.000Z"})
        );
        assert_eq!(warehouse("w-1", "Bogotá", 10, 10).available(), 0);
    }

    #[test]
    fn stock_is_reserved_minus_released_units() {
        let moved = |version, reserve: bool, warehouse_id: &str, units| {
            let data = StockMove {
                warehouse_id: warehouse_id.into(),
                units,
            };
            let data = if reserve {
                EventData::StockReserved(data)
            } else {
                EventData::StockReleased(data)
            };
            Event::new("o-1", version, at("2026-12-02T10:00:00Z"), data)
        };
        let events = [
            received("o-1", "c", "2026-12-02T10:00:00Z"),
            moved(2, true, "w-1", 3),
            moved(3, true, "w-2", 2),
            moved(4, false, "w-1", 3),
            moved(5, true, "w-1", 1),
        ];
        let stock = stock_from_events(&events);
        assert_eq!(stock, BTreeMap::from([("w-1".to_string(), 1), ("w-2".to_string(), 2)]));
        assert!(stock_from_events(&events[..1]).is_empty());
    }
}
