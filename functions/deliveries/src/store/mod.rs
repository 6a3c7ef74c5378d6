//! The deliveries table: its keys and access patterns, on the shared table layer. The access
//! patterns are documented in `functions/deliveries/README.md`.
//!
//! One table (`DELIVERIES_TABLE`, §12 of the contract): warehouses and transports are
//! versioned state items, a vehicle's active run holds its plate's lock item, and lists read
//! four overloaded indexes — every item of a kind (`gsi1`), of a parent (`gsi2`), of a kind
//! in a status (`gsi3`), of a parent in a status (`gsi4`) — each sorted by id (UUIDv7, so
//! newest first when read backwards). Orders are event streams (`events`), folded into views
//! and daily counters by the projector (`views`) and moved along by the saga (`saga`).

use andes_shared::dynamo::{
    key, keyed_item, number, string, Change, Condition, Item, Page, Query, Table, TransactionError,
};
use andes_shared::http::ApiError;
use andes_shared::ids;
use serde::{Deserialize, Serialize};

use crate::domain::{Transport, TransportStatus, Warehouse, MAX_PLACE};

/// Every key of the table, by item. Ids are UUIDs, plates `[A-Z0-9-]`: no key part but a client's
/// `Idempotency-Key` can hold `#`, and that one comes last after a fixed-length principal id.
pub mod keys {
    /// Sort key of an item that is alone in its partition.
    pub const WAREHOUSE_SK: &str = "WAREHOUSE";
    pub const TRANSPORT_SK: &str = "TRANSPORT";
    pub const PLATE_SK: &str = "PLATE";

    /// `gsi1`: every warehouse, every transport.
    pub const WAREHOUSES: &str = "WAREHOUSES";
    pub const TRANSPORTS: &str = "TRANSPORTS";

    pub fn warehouse_pk(id: &str) -> String {
        format!("WAREHOUSE#{id}")
    }

    pub fn transport_pk(id: &str) -> String {
        format!("TRANSPORT#{id}")
    }

    /// The lock of a vehicle: held by its `loaded` or `on_the_way` run.
    pub fn plate_pk(plate: &str) -> String {
        format!("PLATE#{plate}")
    }

    /// A place as warehouses are found by it: trimmed, lower-cased (`domain::same_place`).
    pub fn place(location: &str) -> String {
        location.trim().to_lowercase()
    }

    /// `gsi2`: the warehouses at a place (the location filter, and the saga's candidates).
    pub fn location_partition(location: &str) -> String {
        format!("LOCATION#{}", place(location))
    }

    /// `gsi2`: the transports of a warehouse.
    pub fn warehouse_transports(warehouse_id: &str) -> String {
        format!("WAREHOUSE#{warehouse_id}#TRANSPORTS")
    }

    /// `gsi3`: the transports in a status.
    pub fn transports_in(status: &str) -> String {
        format!("TRANSPORTS#{status}")
    }

    /// `gsi4`: the transports of a warehouse in a status (the saga's `loaded` candidates).
    pub fn warehouse_transports_in(warehouse_id: &str, status: &str) -> String {
        format!("WAREHOUSE#{warehouse_id}#TRANSPORTS#{status}")
    }

    /// The partition of an order: its events (`V#…`), then its view (`VIEW`).
    pub fn order_pk(id: &str) -> String {
        format!("ORDER#{id}")
    }

    /// Event `version` of an order stream: zero-padded so that the sort key orders versions.
    pub fn event_sk(version: u64) -> String {
        format!("V#{version:010}")
    }

    /// An `Idempotency-Key` of a caller, written in the OrderReceived transaction.
    pub fn idempotency_pk(principal_id: &str, key: &str) -> String {
        format!("IDEM#{principal_id}#{key}")
    }

    /// Sort-key prefix of an order's events.
    pub const EVENT_PREFIX: &str = "V#";
    pub const VIEW_SK: &str = "VIEW";
    pub const IDEMPOTENCY_SK: &str = "IDEM";
    pub const DAILY_SK: &str = "COUNTS";

    /// Orders stored in a warehouse that wait for a transport (sort key: the order id).
    pub fn waiting_pk(warehouse_id: &str) -> String {
        format!("WAIT#{warehouse_id}")
    }

    /// The daily counters of a UTC date (`YYYY-MM-DD`).
    pub fn daily_pk(date: &str) -> String {
        format!("DAILY#{date}")
    }

    /// `gsi1`: every order; `gsi3`: the orders in a status.
    pub const ORDERS: &str = "ORDERS";

    pub fn orders_in(status: &str) -> String {
        format!("ORDERS#{status}")
    }

    /// `gsi2`: a client's orders; `gsi4`: a client's orders in a status.
    pub fn client_orders(client_id: &str) -> String {
        format!("CLIENT#{client_id}#ORDERS")
    }

    pub fn client_orders_in(client_id: &str, status: &str) -> String {
        format!("CLIENT#{client_id}#ORDERS#{status}")
    }
}

mod events;
mod replay;
mod saga;
mod views;

pub use events::{AppendError, IdempotencyRecord};
pub use views::OrderFilter;

use keys::*;

/// Items of a query, parsed.
fn parse_all<T: serde::de::DeserializeOwned>(items: Vec<Item>) -> Result<Vec<T>, ApiError> {
    items.into_iter().map(andes_shared::dynamo::from_item).collect()
}

pub(crate) fn warehouse_key(id: &str) -> Item {
    key(warehouse_pk(id), WAREHOUSE_SK)
}

pub(crate) fn transport_key(id: &str) -> Item {
    key(transport_pk(id), TRANSPORT_SK)
}

fn plate_key(plate: &str) -> Item {
    key(plate_pk(plate), PLATE_SK)
}

/// A warehouse as stored: listed among all warehouses and at its place.
pub fn warehouse_item(warehouse: &Warehouse) -> Result<Item, ApiError> {
    let mut item = keyed_item(warehouse, warehouse_pk(&warehouse.id), WAREHOUSE_SK)?;
    item.insert("gsi1pk".into(), string(WAREHOUSES));
    item.insert("gsi1sk".into(), string(&warehouse.id));
    item.insert("gsi2pk".into(), string(location_partition(&warehouse.location)));
    item.insert("gsi2sk".into(), string(&warehouse.id));
    Ok(item)
}

/// The index keys of a transport; those of `gsi3` and `gsi4` follow its status.
fn transport_index_keys(transport: &Transport) -> [(&'static str, String); 8] {
    let status = transport.status.as_str();
    let id = &transport.id;
    [
        ("gsi1pk", TRANSPORTS.to_string()),
        ("gsi1sk", id.clone()),
        ("gsi2pk", warehouse_transports(&transport.warehouse_id)),
        ("gsi2sk", id.clone()),
        ("gsi3pk", transports_in(status)),
        ("gsi3sk", id.clone()),
        ("gsi4pk", warehouse_transports_in(&transport.warehouse_id, status)),
        ("gsi4sk", id.clone()),
    ]
}

pub fn transport_item(transport: &Transport) -> Result<Item, ApiError> {
    let mut item = keyed_item(transport, transport_pk(&transport.id), TRANSPORT_SK)?;
    for (name, value) in transport_index_keys(transport) {
        item.insert(name.into(), string(value));
    }
    Ok(item)
}

/// The lock of a plate: which run holds it, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlateLock {
    pub vehicle_plate: String,
    pub transport_id: String,
    pub locked_at: String,
}

fn plate_lock_item(transport: &Transport) -> Result<Item, ApiError> {
    let lock = PlateLock {
        vehicle_plate: transport.vehicle_plate.clone(),
        transport_id: transport.id.clone(),
        locked_at: ids::rfc3339(transport.created_at),
    };
    keyed_item(&lock, plate_pk(&transport.vehicle_plate), PLATE_SK)
}

/// The lock is absent or held by `transport_id` (releasing it twice, or a lock that is already
/// gone, is no error; another run's lock is never released).
fn lock_of(transport_id: &str) -> Condition {
    Condition::new("attribute_not_exists(pk) OR #transport_id = :transport_id")
        .name("transport_id")
        .value(":transport_id", string(transport_id))
}

/// Which transports a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportFilter<'a> {
    pub warehouse_id: Option<&'a str>,
    pub status: Option<TransportStatus>,
}

impl TransportFilter<'_> {
    /// The index and partition that hold exactly the transports of this filter.
    fn query(&self) -> Query {
        match (self.warehouse_id, self.status) {
            (None, None) => Query::index("gsi1", TRANSPORTS),
            (Some(warehouse), None) => Query::index("gsi2", warehouse_transports(warehouse)),
            (None, Some(status)) => Query::index("gsi3", transports_in(status.as_str())),
            (Some(warehouse), Some(status)) => {
                Query::index("gsi4", warehouse_transports_in(warehouse, status.as_str()))
            }
        }
        .backward()
    }
}

/// The deliveries table's access patterns.
#[derive(Clone)]
pub struct Store {
    pub(crate) table: Table,
}

impl Store {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Writes a new warehouse (its id is new: a clash is an internal error).
    pub async fn create_warehouse(&self, warehouse: &Warehouse) -> Result<(), ApiError> {
        if self.table.put_new(warehouse_item(warehouse)?).await? {
            Ok(())
        } else {
            Err(ApiError::internal(format!(
                "warehouse id {} already exists",
                warehouse.id
            )))
        }
    }

    /// A warehouse, strongly consistent (the write model).
    pub async fn get_warehouse(&self, id: &str) -> Result<Option<Warehouse>, ApiError> {
        self.table.get(warehouse_key(id)).await
    }

    /// Warehouses newest first, all of them (`gsi1`) or those at `location` (`gsi2`, trimmed and
    /// case-insensitive), one page at a time.
    pub async fn list_warehouses(
        &self,
        location: Option<&str>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Warehouse>, ApiError> {
        let query = match location {
            None => Query::index("gsi1", WAREHOUSES),
            // No warehouse is at a place longer than any location: nothing to read.
            Some(location) if place(location).chars().count() > MAX_PLACE => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                })
            }
            Some(location) => Query::index("gsi2", location_partition(location)),
        };
        self.table.query_page(&query.backward(), limit, cursor).await?.parse()
    }

    /// Writes a new run and takes its plate's lock, in one transaction; `false` when the plate
    /// is held by another run (`loaded` or `on_the_way`).
    pub async fn create_transport(&self, transport: &Transport) -> Result<bool, ApiError> {
        let writes = vec![
            self.table
                .put_tx(transport_item(transport)?, Some(Condition::absent()))?,
            self.table
                .put_tx(plate_lock_item(transport)?, Some(Condition::absent()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(error) if error.failed(1) => Ok(false),
            Err(TransactionError::Conditions(_)) => Err(ApiError::internal(format!(
                "transport id {} already exists",
                transport.id
            ))),
            // Contention that outlasted the retries: if another run holds the plate by now,
            // that is the answer; otherwise the client may retry.
            Err(TransactionError::Other(error)) => match self.plate_lock(&transport.vehicle_plate).await? {
                Some(lock) if lock.transport_id != transport.id => Ok(false),
                _ => Err(error),
            },
        }
    }

    pub async fn plate_lock(&self, plate: &str) -> Result<Option<PlateLock>, ApiError> {
        self.table.get(plate_key(plate)).await
    }

    /// A transport, strongly consistent.
    pub async fn get_transport(&self, id: &str) -> Result<Option<Transport>, ApiError> {
        self.table.get(transport_key(id)).await
    }

    /// Transports newest first, filtered by warehouse and/or status, one page at a time.
    pub async fn list_transports(
        &self,
        filter: TransportFilter<'_>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Transport>, ApiError> {
        self.table.query_page(&filter.query(), limit, cursor).await?.parse()
    }

    /// Writes the status of `moved` (depart or arrive) if the run is still at version
    /// `read`; `false` when it has changed since (the caller reads it again). A run that is no
    /// longer active releases its plate in the same transaction. Orders loaded meanwhile are
    /// untouched: only the status, its index keys, `version` and `updated_at` are written.
    pub async fn save_status(&self, moved: &Transport, read: u64) -> Result<bool, ApiError> {
        let mut change = Change::new(transport_key(&moved.id))
            .set("status", string(moved.status.as_str()))
            .set("updated_at", string(ids::rfc3339(moved.updated_at)))
            .set("version", number(moved.version as i64))
            .when(Condition::version(read));
        for (name, value) in transport_index_keys(moved) {
            if name.starts_with("gsi3") || name.starts_with("gsi4") {
                change = change.set(name, string(value));
            }
        }
        if moved.status.is_active() {
            return Ok(self.table.update(change).await?.is_some());
        }
        let writes = vec![
            self.table.change_tx(change)?,
            self.table
                .delete_tx(plate_key(&moved.vehicle_plate), Some(lock_of(&moved.id)))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(error) if error.failed(1) => Err(ApiError::internal(format!(
                "plate {} is locked by another run than {}",
                moved.vehicle_plate, moved.id
            ))),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CargoType, Route};
    use andes_shared::dynamo::from_item;
    use aws_sdk_dynamodb::types::AttributeValue;
    use chrono::{TimeZone, Utc};

    fn at(hour: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, hour, 0, 0).unwrap()
    }

    fn warehouse() -> Warehouse {
        Warehouse {
            id: "0193a000-0000-7000-8000-000000000001".into(),
            name: "Bodega Norte".into(),
            location: " Bogotá ".into(),
            capacity: 10,
            stock: 0,
            version: 1,
            created_at: at(1),
            updated_at: at(1),
        }
    }

    fn transport(status: TransportStatus) -> Transport {
        Transport {
            id: "0193a000-0000-7000-8000-000000000002".into(),
            vehicle_plate: "ABC-123".into(),
            cargo_type: CargoType::Food,
            warehouse_id: warehouse().id,
            route: Route {
                origin: "Bogotá".into(),
                destination: "Medellín".into(),
                departure_date: at(8),
                arrival_date: at(18),
            },
            status,
            order_ids: Vec::new(),
            version: 1,
            created_at: at(1),
            updated_at: at(1),
        }
    }

    fn s(item: &Item, name: &str) -> String {
        match item.get(name) {
            Some(AttributeValue::S(value)) => value.clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn a_warehouse_is_listed_among_all_and_at_its_place() {
        let item = warehouse_item(&warehouse()).unwrap();
        assert_eq!(s(&item, "pk"), "WAREHOUSE#0193a000-0000-7000-8000-000000000001");
        assert_eq!(s(&item, "sk"), "WAREHOUSE");
        assert_eq!(s(&item, "gsi1pk"), "WAREHOUSES");
        assert_eq!(s(&item, "gsi2pk"), "LOCATION#bogotá");
        assert_eq!(s(&item, "gsi2pk"), location_partition("BOGOTÁ"));
        assert_eq!(s(&item, "gsi2sk"), warehouse().id);
        let back: Warehouse = from_item(item).unwrap();
        assert_eq!(back, warehouse());
    }

    #[test]
    fn a_transport_is_listed_by_warehouse_and_status() {
        let item = transport_item(&transport(TransportStatus::Loaded)).unwrap();
        let w = warehouse().id;
        assert_eq!(
            s(&item, "pk"),
            format!("TRANSPORT#{}", transport(TransportStatus::Loaded).id)
        );
        assert_eq!(s(&item, "gsi1pk"), "TRANSPORTS");
        assert_eq!(s(&item, "gsi2pk"), format!("WAREHOUSE#{w}#TRANSPORTS"));
        assert_eq!(s(&item, "gsi3pk"), "TRANSPORTS#loaded");
        assert_eq!(s(&item, "gsi4pk"), format!("WAREHOUSE#{w}#TRANSPORTS#loaded"));
        assert_eq!(item.get("order_ids"), Some(&AttributeValue::L(Vec::new())));
        assert_eq!(
            from_item::<Transport>(item).unwrap(),
            transport(TransportStatus::Loaded)
        );
        let moved = transport_index_keys(&transport(TransportStatus::OnTheWay));
        assert_eq!(moved[4].1, "TRANSPORTS#on_the_way");
        assert_eq!(moved[6].1, format!("WAREHOUSE#{w}#TRANSPORTS#on_the_way"));
    }

    #[test]
    fn each_filter_reads_its_own_index() {
        // The index and the partition a filter reads, from the query's description.
        let names = |filter: TransportFilter| {
            let query = format!("{:?}", filter.query());
            let index = query.split("index: Some(\"").nth(1).unwrap().split('"').next().unwrap();
            let partition = query.split("partition: \"").nth(1).unwrap().split('"').next().unwrap();
            (index.to_string(), partition.to_string())
        };
        let w = "w";
        let loaded = Some(TransportStatus::Loaded);
        assert_eq!(names(TransportFilter::default()), ("gsi1".into(), "TRANSPORTS".into()));
        assert_eq!(
            names(TransportFilter {
                warehouse_id: Some(w),
                status: None
            }),
            ("gsi2".into(), "WAREHOUSE#w#TRANSPORTS".into())
        );
        assert_eq!(
            names(TransportFilter {
                warehouse_id: None,
                status: loaded
            }),
            ("gsi3".into(), "TRANSPORTS#loaded".into())
        );
        assert_eq!(
            names(TransportFilter {
                warehouse_id: Some(w),
                status: loaded
            }),
            ("gsi4".into(), "WAREHOUSE#w#TRANSPORTS#loaded".into())
        );
    }

    #[test]
    fn the_plate_lock_names_its_run() {
        let item = plate_lock_item(&transport(TransportStatus::Loaded)).unwrap();
        assert_eq!(s(&item, "pk"), "PLATE#ABC-123");
        assert_eq!(s(&item, "sk"), "PLATE");
        assert_eq!(s(&item, "transport_id"), transport(TransportStatus::Loaded).id);
        assert_eq!(s(&item, "locked_at"), "2026-12-03T01:00:00.000Z");
    }

    #[test]
    fn order_keys_are_reserved() {
        assert_eq!(order_pk("o-1"), "ORDER#o-1");
        assert_eq!(event_sk(3), "V#0000000003");
        assert!(event_sk(9) < event_sk(10));
        assert_eq!(idempotency_pk("a-1", "k"), "IDEM#a-1#k");
        assert_eq!(waiting_pk("w-1"), "WAIT#w-1");
    }
}
