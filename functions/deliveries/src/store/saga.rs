//! What the saga and the order commands change besides the stream: warehouse stock, the orders a
//! transport carries and the waiting index. Each is a transaction item, appended together with
//! the events that justify it (`Store::append`), so stock never moves without its event.

use andes_shared::dynamo::{key, number, string, Change, Condition, Item, Query};
use andes_shared::http::ApiError;
use andes_shared::ids;
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::{parse_all, transport_key, warehouse_key, Store};
use crate::domain::{Order, Transport, TransportStatus, Warehouse};

/// An order stored in a warehouse, waiting for a transport to its destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub order_id: String,
    pub warehouse_id: String,
    pub destination: String,
    pub departure_date: String,
}

fn waiting_key(warehouse_id: &str, order_id: &str) -> Item {
    key(waiting_pk(warehouse_id), order_id)
}

/// A state item changes version and time with every change.
fn touched(change: Change, now: DateTime<Utc>) -> Change {
    change.add("version", 1).set("updated_at", string(ids::rfc3339(now)))
}

impl Store {
    /// Every warehouse at a place (trimmed, case-insensitive) with its current stock: the saga's
    /// candidates. The index names them; their stock is read again from the items, strongly
    /// consistent, because an index copy may lag and a stale "full" would cancel an order for
    /// want of room the warehouse has.
    pub async fn warehouses_at(&self, location: &str) -> Result<Vec<Warehouse>, ApiError> {
        let query = Query::index("gsi2", location_partition(location));
        let listed: Vec<Warehouse> = parse_all(self.table.query_all(&query).await?)?;
        if listed.is_empty() {
            return Ok(listed);
        }
        let keys = listed.iter().map(|warehouse| warehouse_key(&warehouse.id)).collect();
        parse_all(self.table.batch_get(keys).await?)
    }

    /// Every warehouse (the schedule's sweep over waiting orders).
    pub async fn all_warehouses(&self) -> Result<Vec<Warehouse>, ApiError> {
        parse_all(self.table.query_all(&Query::index("gsi1", WAREHOUSES)).await?)
    }

    /// The `loaded` runs leaving from a warehouse.
    pub async fn loaded_transports(&self, warehouse_id: &str) -> Result<Vec<Transport>, ApiError> {
        let partition = warehouse_transports_in(warehouse_id, TransportStatus::Loaded.as_str());
        parse_all(self.table.query_all(&Query::index("gsi4", partition)).await?)
    }

    /// `units` enter `warehouse`, if they fit: `stock + units ≤ capacity` (capacity never
    /// changes, so the bound is a constant of the condition).
    pub fn reserve_stock(
        &self,
        warehouse: &Warehouse,
        units: u32,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, ApiError> {
        let room = i64::from(warehouse.capacity) - i64::from(units);
        let change = touched(Change::new(warehouse_key(&warehouse.id)), now)
            .add("stock", i64::from(units))
            .when(
                Condition::new("attribute_exists(pk) AND #stock <= :room")
                    .name("stock")
                    .value(":room", number(room)),
            );
        self.table.change_tx(change)
    }

    /// `units` leave a warehouse (they were reserved there: the stock holds them).
    pub fn release_stock(
        &self,
        warehouse_id: &str,
        units: u32,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, ApiError> {
        let change = touched(Change::new(warehouse_key(warehouse_id)), now)
            .add("stock", -i64::from(units))
            .when(
                Condition::new("attribute_exists(pk) AND #stock >= :units")
                    .name("stock")
                    .value(":units", number(i64::from(units))),
            );
        self.table.change_tx(change)
    }

    /// `order_id` is loaded onto `transport`, if the run is still `loaded`.
    pub fn load_order(
        &self,
        transport: &Transport,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, ApiError> {
        let change = touched(Change::new(transport_key(&transport.id)), now)
            .append_to_list("order_ids", vec![string(order_id)])
            .when(
                Condition::new("#status = :loaded")
                    .name("status")
                    .value(":loaded", string(TransportStatus::Loaded.as_str())),
            );
        self.table.change_tx(change)
    }

    /// A stored order waits for a transport: written with the events that store it, so every
    /// stored order is in its warehouse's waiting partition until an event takes it out.
    pub fn start_waiting(&self, order: &Order, warehouse_id: &str) -> Result<TransactWriteItem, ApiError> {
        let waiting = Waiting {
            order_id: order.id.clone(),
            warehouse_id: warehouse_id.to_string(),
            destination: order.route.destination.clone(),
            departure_date: ids::rfc3339(order.route.departure_date),
        };
        let item = andes_shared::dynamo::keyed_item(&waiting, waiting_pk(warehouse_id), &order.id)?;
        self.table.put_tx(item, None)
    }

    /// The order no longer waits (whether or not it did).
    pub fn stop_waiting(&self, warehouse_id: &str, order_id: &str) -> Result<TransactWriteItem, ApiError> {
        self.table.delete_tx(waiting_key(warehouse_id, order_id), None)
    }

    /// The orders waiting in a warehouse, oldest first (ids are UUIDv7).
    pub async fn waiting_in(&self, warehouse_id: &str) -> Result<Vec<Waiting>, ApiError> {
        parse_all(
            self.table
                .query_all(&Query::partition(waiting_pk(warehouse_id)))
                .await?,
        )
    }

    /// Drops a waiting record whose order has moved on (a stale record the sweep found).
    pub async fn forget_waiting(&self, waiting: &Waiting) -> Result<(), ApiError> {
        self.table
            .delete(waiting_key(&waiting.warehouse_id, &waiting.order_id))
            .await
    }
}
