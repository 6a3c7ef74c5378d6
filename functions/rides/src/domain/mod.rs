//! Entities, request validation and the seed's rules, as plain functions (no AWS here): one
//! file per resource, plus the values and list rules they share and the CSV formats of the
//! background functions.

pub mod circles;
pub mod export;
pub mod import;
pub mod invitations;
pub mod listing;
pub mod members;
pub mod profiles;
pub mod ratings;
pub mod rides;
pub mod values;

pub use circles::*;
pub use export::*;
pub use import::*;
pub use invitations::*;
pub use listing::*;
pub use members::*;
pub use profiles::*;
pub use ratings::*;
pub use rides::*;
pub use values::*;

#[cfg(test)]
pub(crate) mod testing {
    use andes_shared::http::FieldError;
    use chrono::{DateTime, Duration, Utc};
    use serde_json::{Map, Value};

    use super::{new_ride, parse_time, Ride, RideInput};

    pub fn obj(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    pub fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    pub fn now() -> DateTime<Utc> {
        parse_time("2026-01-10T12:00:00Z").unwrap()
    }

    /// A ride of circle `c` offered by `ana`: 2 seats, one hour long.
    pub fn ride(departure: &str) -> Ride {
        let input = RideInput {
            available_seats: Some(2),
            departure_date: parse_time(departure),
            arrival_date: parse_time(departure).map(|d| d + Duration::hours(1)),
            departure_location: Some("A".into()),
            arrival_location: Some("B".into()),
            ..Default::default()
        };
        new_ride("c", "ana", input, "t")
    }
}
