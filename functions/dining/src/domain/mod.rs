//! Dining rules as plain types and functions, no AWS here: ids, times and the venue's time zone
//! (`values`); venues, their fixed lists, statuses and filters (`venue`); when a table can be
//! booked and how seats are held (`slots`); the reservation state machine (`reservation`); who
//! may see or do what (`access`); points and levels (`points`); user and venue stats (`stats`);
//! distances and the geohash near search (`geo`); opinions (`opinions`) and their extractive
//! summaries (`summaries`); the Spanish notifications (`notifications`); request bodies
//! (`validation`), the `Idempotency-Key` rule (`idempotency`) and query parameters (`query`).

pub mod access;
pub mod geo;
pub mod idempotency;
pub mod notifications;
pub mod opinions;
pub mod points;
pub mod query;
pub mod reservation;
pub mod slots;
pub mod stats;
pub mod summaries;
pub mod validation;
pub mod values;
pub mod venue;

pub use access::{actor, check_venue_owner, invalid_user, may_read_diner, user_not_found, Actor, Caller};
pub use reservation::{
    decide, decide_delete, expiry, reservation_not_found, ClosedBy, Decision, Reservation, ReservationChange,
    ReservationFilter, ReservationStatus,
};
pub use values::{is_id, new_id, parse_date, parse_time, wire_time, SlotTime, Zone};
pub use venue::{Location, Venue, VenueAction, VenueEdit, VenueFilter, VenueInput, VenueStatus};

#[cfg(test)]
pub(crate) mod testing {
    use andes_shared::http::ApiError;
    use chrono::{DateTime, Utc};

    use super::*;

    pub fn at(raw: &str) -> DateTime<Utc> {
        parse_time(raw).expect("test time")
    }

    /// La Pizzeria in Buenos Aires: 40 seats at 20:00 and 21:30, a day's lead time, closed on
    /// 2030-01-01.
    pub fn input() -> VenueInput {
        VenueInput {
            name: "La Pizzeria".into(),
            location: Location {
                lat: -34.6037,
                lon: -58.3816,
            },
            timezone: Zone::default(),
            capacity: 40,
            logo: Some("https://img.example/logo.png".into()),
            pictures: vec!["https://img.example/1.jpg".into()],
            menu: Some("https://menu.example/".into()),
            slots: vec![SlotTime::parse("20:00").unwrap(), SlotTime::parse("21:30").unwrap()],
            characteristics: vec!["Pizzas".into(), "Pasta".into()],
            features: vec!["Wifi".into()],
            vacations: vec![parse_date("2030-01-01").unwrap()],
            reservation_lead_time: 1,
        }
    }

    /// [`input`]'s venue, owned by `owner-1`, created 2030-01-01T12:00:00Z.
    pub fn venue() -> Venue {
        Venue::new("owner-1", input(), at("2030-01-01T12:00:00Z"))
    }

    /// `diner-1`'s Unconfirmed reservation for 2 at `owner-1`'s venue, 2030-01-06 20:00 local
    /// (23:00 UTC), made 2030-01-05T15:00:00Z.
    pub fn reservation() -> Reservation {
        Reservation {
            id: "0193a000-0000-7000-8000-000000000001".into(),
            user: "diner-1".into(),
            venue: "owner-1".into(),
            time: at("2030-01-06T23:00:00Z"),
            people: 2,
            status: ReservationStatus::Unconfirmed,
            closed_by: None,
            created: at("2030-01-05T15:00:00Z"),
            updated: at("2030-01-05T15:00:00Z"),
        }
    }

    /// The fields of a 422, in order; panics on any other error.
    pub fn fields(error: ApiError) -> Vec<String> {
        problems(error).into_iter().map(|(field, _)| field).collect()
    }

    /// The (field, message) pairs of a 422; panics on any other error.
    pub fn problems(error: ApiError) -> Vec<(String, String)> {
        match error {
            ApiError::Validation(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    /// The `detail` a non-validation error answers with.
    pub fn detail(error: &ApiError) -> String {
        error.problem("test")["detail"].as_str().unwrap_or_default().to_string()
    }
}
