//! The deliveries API's OpenAPI document: its routes, described on the handlers themselves, and the
//! request bodies (`bodies`), query and header parameters (`params`) and event envelope (`events`)
//! as the handlers accept and write them, with the handlers' own bounds.

pub mod bodies;
pub mod events;
pub mod params;

pub(crate) use andes_shared::openapi::described;
use andes_shared::openapi::one_of_strings;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::KnownFormat;
use utoipa::OpenApi;

use crate::domain::EventType;

pub use bodies::{CancelBody, DeliverBody, OrderBody, ReturnBody, TransportBody, WarehouseBody};
pub use events::OrderEvent;
pub use params::{EventsQuery, IdempotencyKey, OrdersQuery, StatsQuery, TransportsQuery, WarehousesQuery};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Andes deliveries API",
        description = "Event-sourced logistics: orders and their histories, warehouses, transport runs, daily stats."
    ),
    paths(
        crate::handlers::health,
        crate::handlers::orders::create,
        crate::handlers::orders::list,
        crate::handlers::orders::get,
        crate::handlers::orders::events,
        crate::handlers::orders::cancel,
        crate::handlers::orders::deliver,
        crate::handlers::orders::return_order,
        crate::handlers::warehouses::create,
        crate::handlers::warehouses::list,
        crate::handlers::warehouses::get,
        crate::handlers::transports::create,
        crate::handlers::transports::list,
        crate::handlers::transports::get,
        crate::handlers::transports::depart,
        crate::handlers::transports::arrive,
        crate::handlers::stats::daily,
    )
)]
struct DeliveriesApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    DeliveriesApi::openapi()
}

/// `schema` with `description`: a `schema_with` field or parameter loses its doc comment.
/// A string that is always `value` (the constant members of an answer).
pub(crate) fn constant(value: &str) -> Schema {
    one_of_strings([value])
}

/// `GET /deliveries/health`'s `status`.
pub(crate) fn health_status() -> Schema {
    constant("ok")
}

/// An integer of at least `min`, or `null` (which the command bodies read as absent).
pub(crate) fn nullable_integer(min: i64) -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min as f64))
        .into()
}

/// A daily item's `counts`: every event type, zeros included, and nothing else.
pub(crate) fn counts() -> Schema {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for kind in EventType::ALL.map(EventType::as_str) {
        let count = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0.0));
        object = object.property(kind, count).required(kind);
    }
    object.into()
}
