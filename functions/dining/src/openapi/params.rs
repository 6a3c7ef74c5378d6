//! The query parameters and headers of the dining API, as `domain::query` and
//! `domain::idempotency` read them, with their bounds (their constants). Written by hand as
//! `IntoParams`: the derive drops `required` and the description of a parameter whose schema is
//! built from constants.

use andes_shared::openapi::{integer, one_of_strings, text};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::Required;
use utoipa::IntoParams;

use super::{date, date_time, latitude, list, longitude, string, with_pattern};
use crate::domain::idempotency::{IDEMPOTENCY_KEY, MAX_KEY_LENGTH, REPLAY_HOURS};
use crate::domain::query::{DEFAULT_RADIUS_M, MAX_RADIUS_M};
use crate::domain::venue::{CHARACTERISTICS, FEATURES};
use crate::domain::{ReservationStatus, VenueStatus};

/// The filters of `GET /dining/venues` and `GET /dining/venues/near`; a venue matches all.
pub struct VenueFilterParams;

impl IntoParams for VenueFilterParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let statuses = one_of_strings(VenueStatus::ALL.map(VenueStatus::as_str));
        vec![
            optional("name", "Exactly this name (case-sensitive).", string()),
            optional(
                "characteristic",
                "Has all of these (repeatable, or comma-separated).",
                list(one_of_strings(CHARACTERISTICS)),
            ),
            optional(
                "feature",
                "Has all of these (repeatable, or comma-separated).",
                list(one_of_strings(FEATURES)),
            ),
            optional(
                "status",
                "Has one of these (repeatable, or comma-separated).",
                list(statuses),
            ),
        ]
    }
}

/// The centre and radius of `GET /dining/venues/near`.
pub struct NearParams;

impl IntoParams for NearParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut radius = integer(1, MAX_RADIUS_M as i64);
        if let Schema::Object(object) = &mut radius {
            object.default = Some(DEFAULT_RADIUS_M.into());
        }
        vec![
            required("lat", "The centre's latitude.", latitude()),
            required("lon", "The centre's longitude.", longitude()),
            optional("radius_m", "Metres from the centre.", radius),
        ]
    }
}

/// `date` of `GET /dining/venues/{id}/availability`.
pub struct AvailabilityParams;

impl IntoParams for AvailabilityParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![required("date", "A venue-local date.", date())]
    }
}

/// The filters of the reservation lists (inclusive bounds).
pub struct ReservationFilterParams;

impl IntoParams for ReservationFilterParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let statuses = one_of_strings(ReservationStatus::ALL.map(ReservationStatus::as_str));
        let count = || integer(0, u32::MAX.into());
        vec![
            optional(
                "status",
                "Has one of these (repeatable, or comma-separated).",
                list(statuses),
            ),
            optional("from_time", "At or after this time (not after `to_time`).", date_time()),
            optional("to_time", "At or before this time.", date_time()),
            optional(
                "from_people",
                "At least this many people (not above `to_people`).",
                count(),
            ),
            optional("to_people", "At most this many people.", count()),
        ]
    }
}

/// `GET /dining/opinions`.
pub struct OpinionParams;

impl IntoParams for OpinionParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            required(
                "venue",
                "The venue's id (one that does not exist has no opinions).",
                string(),
            ),
            optional("from", "Dated at or after this time (not after `to`).", date_time()),
            optional("to", "Dated at or before this time.", date_time()),
        ]
    }
}

/// The `Idempotency-Key` header of `POST /dining/reservations`.
pub struct IdempotencyKeyParam;

impl IntoParams for IdempotencyKeyParam {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let key = with_pattern(text(1, MAX_KEY_LENGTH), format!("^[!-~]{{1,{MAX_KEY_LENGTH}}}$"));
        let description = format!(
            "Visible ASCII. The same caller and key within {REPLAY_HOURS} hours answer the first booking again \
            (201, the reservation as first booked) without booking twice; with a different venue, time or people \
            they are a 422."
        );
        vec![parameter(
            IDEMPOTENCY_KEY,
            ParameterIn::Header,
            Required::False,
            &description,
            key,
        )]
    }
}

fn required(name: &str, description: &str, schema: Schema) -> Parameter {
    parameter(name, ParameterIn::Query, Required::True, description, schema)
}

fn optional(name: &str, description: &str, schema: Schema) -> Parameter {
    parameter(name, ParameterIn::Query, Required::False, description, schema)
}

fn parameter(name: &str, place: ParameterIn, required: Required, description: &str, schema: Schema) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place)
        .required(required)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}
