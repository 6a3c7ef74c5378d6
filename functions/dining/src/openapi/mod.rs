//! The dining API's OpenAPI document: its routes, described on the handlers themselves; the
//! request bodies (`bodies`), query parameters and `Idempotency-Key` (`params`) as the handlers
//! accept them, with the bounds of `domain::validation`, `domain::query` and
//! `domain::idempotency`; and the schemas of the values the domain writes as strings (slot times,
//! time zones).

mod bodies;
mod params;

pub use bodies::{
    MePatchBody, OpinionBody, ReservationBody, ReservationPatchBody, VenueBody, VenuePatchBody, VenueStatusBody,
};
pub use params::{
    AvailabilityParams, IdempotencyKeyParam, NearParams, OpinionParams, ReservationFilterParams, VenueFilterParams,
};

use andes_shared::openapi::{described, number, one_of_strings, with_pattern};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{OpenApi, PartialSchema, ToSchema};

use crate::domain::values::{MAX_LAT, MAX_LON};
use crate::domain::{SlotTime, Zone};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Andes dining API",
        description = "Restaurant reservations: venues, bookings, opinions and their summaries, points and stats."
    ),
    paths(
        crate::handlers::venues::create,
        crate::handlers::venues::list,
        crate::handlers::venues::near,
        crate::handlers::venues::get,
        crate::handlers::venues::availability,
        crate::handlers::venues::update,
        crate::handlers::venues::delete,
        crate::handlers::venues::status,
        crate::handlers::me::venue,
        crate::handlers::reservations::venue_list,
        crate::handlers::reservations::create,
        crate::handlers::reservations::list,
        crate::handlers::reservations::history,
        crate::handlers::reservations::get,
        crate::handlers::reservations::update,
        crate::handlers::reservations::cancel,
        crate::handlers::opinions::create,
        crate::handlers::opinions::list,
        crate::handlers::opinions::summary,
        crate::handlers::profile::user_stats,
        crate::handlers::profile::venue_stats,
        crate::handlers::profile::points,
        crate::handlers::profile::me,
        crate::handlers::profile::update_me,
    )
)]
struct DiningApi;

/// The document as the code describes it (`andes-openapi` completes and writes it).
pub fn document() -> utoipa::openapi::OpenApi {
    DiningApi::openapi()
}

/// `SlotTime::parse`: two digits, a colon, two digits, 00:00 to 23:59.
const SLOT_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

impl PartialSchema for SlotTime {
    fn schema() -> RefOr<Schema> {
        described(
            with_pattern(string(), SLOT_PATTERN),
            "A venue-local time of day, `HH:MM`.",
        )
        .into()
    }
}
impl ToSchema for SlotTime {}

/// Every name `Zone::parse` takes (the IANA database of chrono-tz, exact spelling).
impl PartialSchema for Zone {
    fn schema() -> RefOr<Schema> {
        let names = one_of_strings(chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name()));
        described(names, "An IANA time zone name.").into()
    }
}
impl ToSchema for Zone {}

/// Of request bodies, the near search and `Location` in answers (a stored one passed the same check).
pub fn latitude() -> Schema {
    number(-MAX_LAT, MAX_LAT)
}
pub fn longitude() -> Schema {
    number(-MAX_LON, MAX_LON)
}

fn string() -> Schema {
    ObjectBuilder::new().schema_type(Type::String).into()
}

fn formatted(format: KnownFormat) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .into()
}

fn date() -> Schema {
    formatted(KnownFormat::Date)
}

fn date_time() -> Schema {
    formatted(KnownFormat::DateTime)
}

/// A repeatable query parameter (its values, each valid).
fn list(item: Schema) -> Schema {
    ArrayBuilder::new().items(RefOr::T(item)).into()
}

/// An array of `min..=max` distinct items.
fn distinct(item: impl Into<RefOr<Schema>>, min: usize, max: usize) -> Schema {
    ArrayBuilder::new()
        .items(item.into())
        .min_items(Some(min))
        .max_items(Some(max))
        .unique_items(true)
        .into()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::NaiveDate;
    use serde::Serialize;

    use super::*;
    use crate::domain::opinions::Opinion;
    use crate::domain::points::Points;
    use crate::domain::query::NearVenue;
    use crate::domain::slots::{availability, Availability};
    use crate::domain::stats::{UserCounters, UserStats, VenueCounters, VenueStats};
    use crate::domain::summaries::SummaryView;
    use crate::domain::testing::{at, reservation, venue};
    use crate::domain::{Reservation, Venue};

    fn documented<T: ToSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["properties"].as_object().unwrap().keys().cloned().collect()
    }

    fn written(value: impl Serialize) -> BTreeSet<String> {
        serde_json::to_value(value)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    /// A member added to an answer without its schema would go unseen by the document's readers.
    #[test]
    fn answer_schemas_name_every_member_the_handlers_write() {
        let (venue, reservation) = (venue(), reservation());
        let date = NaiveDate::from_ymd_opt(2030, 1, 6).unwrap();
        let now = at("2030-01-05T12:00:00Z");
        assert_eq!(documented::<Venue>(), written(&venue));
        assert_eq!(documented::<Reservation>(), written(&reservation));
        assert_eq!(
            documented::<Opinion>(),
            written(Opinion::new(&reservation, "Rico.".into(), now))
        );
        assert_eq!(documented::<SummaryView>(), written(SummaryView::of(&venue.id, None)));
        assert_eq!(documented::<Points>(), written(Points::new("diner-1", 120)));
        assert_eq!(
            documented::<UserStats>(),
            written(UserStats::new("diner-1", &UserCounters::default()))
        );
        assert_eq!(
            documented::<VenueStats>(),
            written(VenueStats::new(&venue.id, &VenueCounters::default()))
        );
        assert_eq!(
            documented::<Availability>(),
            written(availability(&venue, date, |_| 0, now))
        );
        let near = NearVenue { venue, distance_m: 3 };
        assert_eq!(documented::<NearVenue>(), written(near));
    }

    #[test]
    fn the_zone_schema_names_the_default_zone() {
        let schema = serde_json::to_value(Zone::schema()).unwrap();
        let names = schema["enum"].as_array().unwrap();
        assert!(names.contains(&Zone::default().name().into()));
        assert!(names.len() > 300, "the whole IANA database");
    }
}
