//! The rides API's OpenAPI document: its routes, described on the handlers themselves, and the
//! request bodies as the handlers accept them (with the bounds of [`crate::domain`], whose
//! constants the validation uses too); the path and query parameters are in [`params`].

use std::ops::RangeInclusive;

use andes_shared::openapi::{described, integer, nullable, nullable_text, text, with_pattern};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::KnownFormat;
use utoipa::{OpenApi, ToSchema};

use crate::domain::{
    BIOGRAPHY_CHARS, CIRCLE_ABOUT_CHARS, CIRCLE_NAME_CHARS, CODE_ALPHABET, CODE_LENGTH, LOCATION_CHARS, MEMBERS_LIMIT,
    PICTURE_MAX_BYTES, RATING_COMMENTS_CHARS, RIDE_COMMENTS_CHARS, SEATS, SLUG_MAX_CHARS, STARS,
};

mod params;
pub use params::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Andes rides API",
        description = "Ride-sharing circles: profiles, circles joined with a member's invitation code, \
                       and the rides members offer, join, finish and rate."
    ),
    paths(
        crate::handlers::users::get_profile,
        crate::handlers::users::update_profile,
        crate::handlers::users::get,
        crate::handlers::circles::list,
        crate::handlers::circles::create,
        crate::handlers::circles::get,
        crate::handlers::circles::update,
        crate::handlers::members::list,
        crate::handlers::members::get,
        crate::handlers::members::remove,
        crate::handlers::members::join,
        crate::handlers::members::invitations,
        crate::handlers::rides::list,
        crate::handlers::rides::create,
        crate::handlers::rides::get,
        crate::handlers::rides::update,
        crate::handlers::rides::join,
        crate::handlers::rides::finish,
        crate::handlers::rides::rate,
    )
)]
struct RidesApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    RidesApi::openapi()
}

fn chars(range: RangeInclusive<usize>) -> Schema {
    text(*range.start(), *range.end())
}
fn between(range: RangeInclusive<i64>) -> Schema {
    integer(*range.start(), *range.end())
}
fn string() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}
fn boolean() -> Schema {
    ObjectBuilder::new().schema_type(Type::Boolean).into()
}
fn version() -> Schema {
    let schema = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0.0))
        .into();
    described(
        schema,
        "The version read: if the resource changed since, the answer is 409",
    )
}
fn picture() -> Schema {
    let schema = with_pattern(nullable_text(PICTURE_MAX_BYTES), r"^(https?://.*|\s*)$");
    described(schema, "An http(s) URL; `null`, `\"\"` or blanks for none")
}
fn date_time() -> Schema {
    let format = SchemaFormat::KnownFormat(KnownFormat::DateTime);
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(format))
        .into();
    described(schema, "RFC 3339, with an offset")
}

fn circle_name() -> Schema {
    chars(CIRCLE_NAME_CHARS)
}
fn about() -> Schema {
    chars(CIRCLE_ABOUT_CHARS)
}
fn slug() -> Schema {
    let schema = with_pattern(text(1, SLUG_MAX_CHARS), "^[a-z0-9-]+$");
    described(schema, "Lowercase letters, digits and `-`")
}
fn members_limit() -> Schema {
    let schema = nullable(between(MEMBERS_LIMIT));
    described(schema, "Required when the circle is limited, `null` when it is not")
}
/// The seed's codes, as [`crate::domain::validate_code`] takes them (surrounding blanks ignored).
fn invitation_code() -> Schema {
    let alphabet: String = CODE_ALPHABET
        .iter()
        .map(|&byte| match byte {
            b'A'..=b'Z' | b'0'..=b'9' => (byte as char).to_string(),
            _ => format!("\\{}", byte as char),
        })
        .collect();
    let schema = with_pattern(string(), format!(r"^\s*[{alphabet}]{{{CODE_LENGTH}}}\s*$"));
    described(schema, "An unused code of a member of this circle")
}
fn seats() -> Schema {
    between(SEATS)
}
fn ride_comments() -> Schema {
    chars(RIDE_COMMENTS_CHARS)
}
fn location() -> Schema {
    chars(LOCATION_CHARS)
}
fn offered_by() -> Schema {
    described(
        string(),
        "The caller's own username (rides are not offered on behalf of others)",
    )
}
fn biography() -> Schema {
    chars(BIOGRAPHY_CHARS)
}
fn stars() -> Schema {
    between(STARS)
}
fn rating_comments() -> Schema {
    chars(RATING_COMMENTS_CHARS)
}

/// `PATCH /rides/users/{username}/profile`: other fields are refused by name.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ProfilePatchBody {
    #[schema(schema_with = picture)]
    picture: Option<String>,
    #[schema(schema_with = biography)]
    biography: Option<String>,
    #[schema(schema_with = version)]
    version: Option<u64>,
}

/// `POST /rides/circles`: the caller becomes its admin; other fields are refused by name
/// (`is_public`, `verified` and the counters as read-only).
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CircleCreateBody {
    #[schema(schema_with = circle_name)]
    name: String,
    #[schema(schema_with = slug)]
    slug: String,
    #[schema(schema_with = about)]
    about: Option<String>,
    #[schema(schema_with = picture)]
    picture: Option<String>,
    #[schema(schema_with = boolean)]
    is_limited: Option<bool>,
    #[schema(schema_with = members_limit)]
    members_limit: Option<i64>,
}

/// `PATCH /rides/circles/{slug}`: the slug, `is_public`, `verified` and the counters are
/// read-only, other fields unknown (both refused by name). A limited circle needs a
/// `members_limit` of at least its `members_count`.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CirclePatchBody {
    #[schema(schema_with = circle_name)]
    name: Option<String>,
    #[schema(schema_with = about)]
    about: Option<String>,
    #[schema(schema_with = picture)]
    picture: Option<String>,
    #[schema(schema_with = boolean)]
    is_limited: Option<bool>,
    #[schema(schema_with = members_limit)]
    members_limit: Option<i64>,
    #[schema(schema_with = version)]
    version: Option<u64>,
}

/// `POST /rides/circles/{slug}/members`.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct JoinCircleBody {
    #[schema(schema_with = invitation_code)]
    invitation_code: String,
}

/// `POST /rides/circles/{slug}/rides`: leaving at least 10 minutes from now, arriving after
/// departure.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RideCreateBody {
    #[schema(schema_with = seats)]
    available_seats: i64,
    #[schema(schema_with = ride_comments)]
    comments: Option<String>,
    #[schema(schema_with = location)]
    departure_location: String,
    #[schema(schema_with = date_time)]
    departure_date: String,
    #[schema(schema_with = location)]
    arrival_location: String,
    #[schema(schema_with = date_time)]
    arrival_date: String,
    #[schema(schema_with = offered_by)]
    offered_by: Option<String>,
}

/// `PATCH /rides/circles/{slug}/rides/{id}`: before departure; a new departure at least 10
/// minutes from now, the arrival still after it.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RidePatchBody {
    #[schema(schema_with = seats)]
    available_seats: Option<i64>,
    #[schema(schema_with = ride_comments)]
    comments: Option<String>,
    #[schema(schema_with = location)]
    departure_location: Option<String>,
    #[schema(schema_with = date_time)]
    departure_date: Option<String>,
    #[schema(schema_with = location)]
    arrival_location: Option<String>,
    #[schema(schema_with = date_time)]
    arrival_date: Option<String>,
    #[schema(schema_with = version)]
    version: Option<u64>,
}

/// `POST /rides/circles/{slug}/rides/{id}/rate`: a passenger, once.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RateBody {
    #[schema(schema_with = stars)]
    rating: i64,
    #[schema(schema_with = rating_comments)]
    comments: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use utoipa::PartialSchema;

    use crate::domain::testing::ride;
    use crate::domain::{new_circle, Caller, CircleView, Membership, MembershipView, Profile, ProfileView, RideView};

    /// The members a view serialises are the ones its schema documents, every one required.
    fn documents_exactly<T: PartialSchema>(view: impl serde::Serialize) {
        let schema = serde_json::to_value(T::schema()).unwrap();
        let mut documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let written = serde_json::to_value(view).unwrap();
        let mut written: Vec<&str> = written.as_object().unwrap().keys().map(String::as_str).collect();
        documented.sort();
        required.sort();
        written.sort();
        assert_eq!(written, documented);
        assert_eq!(written, required);
    }

    #[test]
    fn views_serialise_what_their_schemas_document() {
        let circle = new_circle("c".into(), Default::default(), "t");
        documents_exactly::<CircleView>(circle.unwrap().view());
        documents_exactly::<RideView>(ride("2026-01-10T13:00:00Z").view());
        documents_exactly::<MembershipView>(Membership::new("c", "ana", true, 10, None, "t").view());
        let caller = Caller {
            account_id: "a".into(),
            username: "ana".into(),
        };
        documents_exactly::<ProfileView>(Profile::new(&caller, "t").view());
    }
}
