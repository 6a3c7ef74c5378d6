//! The path and query parameters of the rides routes, with the bounds the handlers check.

use andes_shared::dynamo::{DEFAULT_LIMIT, MAX_LIMIT};
use andes_shared::openapi::{integer, text};
use utoipa::openapi::schema::Schema;
use utoipa::IntoParams;

use super::string;
use crate::domain::{CIRCLE_ORDERING, RIDE_ORDERING};
use crate::handlers::MAX_SEARCH_CHARS;
use andes_shared::openapi::{described, with_pattern};

/// As [`crate::domain::parse_ordering`] takes it: blank, or comma-separated `fields`, each
/// prefixed with `-` for descending.
fn ordering_of(fields: &[&str], default: &str) -> Schema {
    let field = format!(r"\s*-?({})\s*", fields.join("|"));
    let schema = with_pattern(string(), format!(r"^(\s*|{field}(,{field})*)$"));
    let description = format!(
        "Comma-separated fields of {}, each prefixed with `-` for descending; default `{default}`",
        fields.join(", ")
    );
    described(schema, &description)
}
fn circle_ordering() -> Schema {
    ordering_of(&CIRCLE_ORDERING, "-members_count,-rides_offered,-rides_taken")
}
fn ride_ordering() -> Schema {
    ordering_of(&RIDE_ORDERING, &RIDE_ORDERING.join(","))
}
fn search_in(fields: &str) -> Schema {
    let description = format!("Whitespace-separated terms, each found (case-insensitively) in {fields}");
    described(text(0, MAX_SEARCH_CHARS), &description)
}
fn circle_search() -> Schema {
    search_in("the name or the slug")
}
fn ride_search() -> Schema {
    search_in("the departure or the arrival location")
}
fn limit() -> Schema {
    let description = format!("Items per page (default {DEFAULT_LIMIT})");
    described(integer(1, i64::from(MAX_LIMIT)), &description)
}
fn no_cursor() -> Schema {
    described(text(0, 0), "Not paged: any non-empty cursor is refused (422)")
}

/// `{slug}` of a circle's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct CirclePath {
    /// The circle's slug (matched lowercased).
    slug: String,
}

/// `{slug}` and `{username}` of a member's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct MemberPath {
    /// The circle's slug (matched lowercased).
    slug: String,
    /// The member's username (matched lowercased).
    username: String,
}

/// `{slug}` and `{id}` of a ride's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct RidePath {
    /// The circle's slug (matched lowercased).
    slug: String,
    /// The ride's id (matched lowercased).
    id: String,
}

/// `{username}` of a user's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct UserPath {
    /// The username (matched lowercased).
    username: String,
}

/// `GET /rides/circles`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CircleListQuery {
    #[param(schema_with = circle_search)]
    search: Option<String>,
    /// Only verified (or unverified) circles; `1` and `0` are accepted too.
    verified: Option<bool>,
    /// Only limited (or unlimited) circles; `1` and `0` are accepted too.
    is_limited: Option<bool>,
    #[param(schema_with = circle_ordering)]
    ordering: Option<String>,
    #[param(schema_with = limit)]
    limit: Option<i32>,
    /// The `next_cursor` of the previous page of the same query.
    cursor: Option<String>,
}

/// `GET /rides/circles/{slug}/rides`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RideListQuery {
    #[param(schema_with = ride_search)]
    search: Option<String>,
    #[param(schema_with = ride_ordering)]
    ordering: Option<String>,
    #[param(schema_with = limit)]
    limit: Option<i32>,
    /// The `next_cursor` of the previous page of the same query.
    cursor: Option<String>,
}

/// `GET /rides/circles/{slug}/members/{username}/invitations`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct InvitationsQuery {
    #[param(schema_with = no_cursor)]
    cursor: Option<String>,
}
