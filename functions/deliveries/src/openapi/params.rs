//! Query and header parameters as the handlers read them (`crate::domain::query`,
//! `andes_shared::dynamo::page_limit`, `crate::domain::check_key`): an empty value counts as
//! absent, and each refused value is a 422 naming its parameter.

use andes_shared::openapi::{described, integer, text, with_pattern};
use chrono::NaiveDate;
use utoipa::openapi::schema::Schema;
use utoipa::IntoParams;

use crate::domain::{OrderStatus, TransportStatus, MAX_KEY_LENGTH, MAX_WAIT_SECONDS};

fn after() -> Schema {
    let mut schema = integer(0, 0);
    if let Schema::Object(object) = &mut schema {
        object.maximum = None; // any version: nothing follows the last one
    }
    described(
        schema,
        "Only the events with a version above this one (default 0: from the first).",
    )
}

fn wait() -> Schema {
    let description = "Seconds to hold the request while no event follows `after` (default 0: answer at once).";
    described(integer(0, MAX_WAIT_SECONDS as i64), description)
}

/// 1 to 255 visible ASCII characters, taken as sent (not trimmed).
fn idempotency_key() -> Schema {
    let schema = with_pattern(text(1, MAX_KEY_LENGTH), "^[!-~]+$");
    let description = "Makes a retried `POST` safe (scoped to the caller, kept at least 24 hours): the same key \
        with the same order (the fields the API reads) answers 202 with the order that key created and appends \
        nothing; with a different order, 422 naming `Idempotency-Key`; while the first request is in flight, 409.";
    described(schema, description)
}

/// `GET /deliveries/orders`: a client's own orders, or every order for operators and admins.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OrdersQuery {
    /// Only the orders in this status.
    status: Option<OrderStatus>,
}

/// `GET /deliveries/orders/{id}/events`: the live feed when `wait` is above 0.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventsQuery {
    #[param(schema_with = after)]
    after: Option<u64>,
    #[param(schema_with = wait)]
    wait: Option<u64>,
}

/// `GET /deliveries/warehouses`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct WarehousesQuery {
    /// Only the warehouses at this place (trimmed, any case).
    location: Option<String>,
}

/// `GET /deliveries/transports`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TransportsQuery {
    /// Only the runs from this warehouse (a value that is no id lists nothing).
    warehouse_id: Option<String>,
    /// Only the runs in this status.
    status: Option<TransportStatus>,
}

/// `GET /deliveries/stats/daily`: at most 100 dates, `from` not after `to`; future dates are
/// allowed.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct StatsQuery {
    /// The first date (default: `to` − 6 days).
    from: Option<NaiveDate>,
    /// The last date (default: today, UTC).
    to: Option<NaiveDate>,
}

/// `POST /deliveries/orders`'s optional `Idempotency-Key` header.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKey {
    #[param(rename = "Idempotency-Key", schema_with = idempotency_key)]
    key: Option<String>,
}
