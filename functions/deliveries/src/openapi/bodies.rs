//! The request bodies as `crate::domain::validation` reads them from JSON values, with its bounds:
//! text is trimmed and counted in characters, `null` counts as absent, unknown fields are ignored.

use andes_shared::openapi::{array_of, integer, nullable_text, text};
use chrono::{DateTime, Utc};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use super::{described, nullable_integer};
use crate::domain::{
    CargoType, MAX_CAPACITY, MAX_CATEGORY, MAX_CODE, MAX_PLACE, MAX_PRODUCTS, MAX_PRODUCT_NAME, MAX_REASON,
    MAX_WAREHOUSE_NAME,
};

fn place() -> Schema {
    text(1, MAX_PLACE)
}
/// A string matching `pattern` once trimmed (its bounds are the pattern's).
fn trimmed(pattern: String) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(r"^\s*{pattern}\s*$")))
        .into()
}
fn product_code() -> Schema {
    described(
        trimmed(format!("[A-Za-z0-9_-]{{1,{MAX_CODE}}}")),
        "Letters, digits, `_` and `-`.",
    )
}
fn product_name() -> Schema {
    text(1, MAX_PRODUCT_NAME)
}
fn category() -> Schema {
    text(1, MAX_CATEGORY)
}
fn products() -> Schema {
    let mut schema = array_of(ProductBody::schema(), MAX_PRODUCTS);
    if let Schema::Array(array) = &mut schema {
        array.min_items = Some(1);
    }
    described(schema, "One storage unit each.")
}
/// Upper-cased before the check, so any case is accepted.
fn plate() -> Schema {
    let description = "Trimmed and upper-cased. A vehicle has one `loaded` or `on_the_way` run at a time.";
    described(trimmed("[A-Za-z0-9-]{5,10}".into()), description)
}
fn warehouse_name() -> Schema {
    text(1, MAX_WAREHOUSE_NAME)
}
fn capacity() -> Schema {
    described(integer(1, i64::from(MAX_CAPACITY)), "Storage units.")
}
fn cancel_note() -> Schema {
    described(
        nullable_text(MAX_REASON),
        "Free text, kept as the OrderCancelled `note`.",
    )
}
fn return_reason() -> Schema {
    described(
        nullable_text(MAX_REASON),
        "Free text, kept as the OrderReturned `reason`.",
    )
}
fn expected_version() -> Schema {
    described(
        nullable_integer(1),
        "The order's version the caller decided on: any other is a 409.",
    )
}

/// `POST /deliveries/orders`: what the client orders, one storage unit per product.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderBody {
    #[schema(schema_with = products)]
    products: Vec<ProductBody>,
    route: OrderRouteBody,
    /// `goods` when absent.
    cargo_type: Option<CargoType>,
}

/// One product of `POST /deliveries/orders`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductBody {
    #[schema(schema_with = product_code)]
    code: String,
    #[schema(schema_with = product_name)]
    name: String,
    #[schema(schema_with = category)]
    category: String,
}

/// An order's route: it is stored at a warehouse at `origin`; `destination` differs from `origin`
/// (trimmed, any case) and `arrival_date` is after `departure_date`. Past dates are allowed (such
/// an order gets no transport).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderRouteBody {
    #[schema(schema_with = place)]
    origin: String,
    #[schema(schema_with = place)]
    destination: String,
    departure_date: DateTime<Utc>,
    arrival_date: DateTime<Utc>,
}

/// `POST /deliveries/orders/{id}/cancel` (an empty body too).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CancelBody {
    #[schema(schema_with = cancel_note)]
    reason: Option<String>,
    #[schema(schema_with = expected_version)]
    expected_version: Option<u64>,
}

/// `POST /deliveries/orders/{id}/deliver` (an empty body too).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeliverBody {
    #[schema(schema_with = expected_version)]
    expected_version: Option<u64>,
}

/// `POST /deliveries/orders/{id}/return` (an empty body too).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReturnBody {
    #[schema(schema_with = return_reason)]
    reason: Option<String>,
    #[schema(schema_with = expected_version)]
    expected_version: Option<u64>,
}

/// `POST /deliveries/warehouses`: orders whose `route.origin` is its `location` are stored there.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WarehouseBody {
    #[schema(schema_with = warehouse_name)]
    name: String,
    #[schema(schema_with = place)]
    location: String,
    #[schema(schema_with = capacity)]
    capacity: u32,
}

/// `POST /deliveries/transports`: one run of a vehicle from a warehouse.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TransportBody {
    #[schema(schema_with = plate)]
    vehicle_plate: String,
    cargo_type: CargoType,
    /// An existing warehouse (an unknown one is a 422).
    warehouse_id: String,
    route: TransportRouteBody,
}

/// A run's route: it leaves from its warehouse's location (an `origin` sent is ignored), to
/// another place (trimmed, any case), arriving after it departs.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TransportRouteBody {
    #[schema(schema_with = place)]
    destination: String,
    departure_date: DateTime<Utc>,
    arrival_date: DateTime<Utc>,
}
