//! Rides offered in a circle: creation, edits before departure, joining, listing.

use std::ops::RangeInclusive;

use andes_shared::http::FieldError;
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::listing::matches_search;
use super::ratings::average;
use super::values::{bounded_text, integer, parse_time, version};

pub const ONGOING_RIDE: &str = "Ongoing rides cannot be modified.";
pub const RIDE_FULL: &str = "Ride is already full!";
pub const ALREADY_PASSENGER: &str = "Passenger is already in this trip";
pub const CANNOT_JOIN_NOW: &str = "You can't join this ride now";
pub const NOT_STARTED: &str = "Ride has not started yet";
pub const ON_BEHALF: &str = "Rides offered on behalf of others are not allowed.";
pub const OWNER_CANNOT_JOIN: &str = "Ride owners cannot join their own rides";
pub const DEPARTURE_TOO_SOON: &str = "Departure time must be at least pass the next 20 minutes window.";
pub const ARRIVAL_BEFORE_DEPARTURE: &str = "Departure date must happen after arrival date.";

/// A ride must leave at least this long from now (seed: 10 minutes).
pub const MIN_DEPARTURE_MINUTES: i64 = 10;
/// Window of the deactivate-finished-rides task (seed's beat schedule: 20 minutes).
pub const DEACTIVATE_WINDOW_MINUTES: i64 = 20;
pub const RIDE_ORDERING: [&str; 3] = ["departure_date", "arrival_date", "available_seats"];
/// A ride's `available_seats` as offered.
pub const SEATS: RangeInclusive<i64> = 1..=15;
/// Characters of a ride's `comments` and locations once trimmed.
pub const RIDE_COMMENTS_CHARS: RangeInclusive<usize> = 0..=500;
pub const LOCATION_CHARS: RangeInclusive<usize> = 1..=255;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ride {
    pub id: String,
    pub circle: String,
    pub offered_by: String,
    pub available_seats: i64,
    #[serde(default)]
    pub comments: String,
    pub departure_location: String,
    pub departure_date: String,
    pub arrival_location: String,
    pub arrival_date: String,
    pub is_active: bool,
    #[serde(default)]
    pub rating_sum: i64,
    #[serde(default)]
    pub rating_count: i64,
    pub created: String,
    #[serde(default)]
    pub version: u64,
    /// Stored as a DynamoDB string set (absent while empty); see the store.
    #[serde(skip)]
    pub passengers: Vec<String>,
}

impl Ride {
    pub fn rating(&self) -> Option<f64> {
        average(self.rating_sum, self.rating_count)
    }

    pub fn view(&self) -> RideView {
        RideView {
            id: self.id.clone(),
            circle: self.circle.clone(),
            offered_by: self.offered_by.clone(),
            available_seats: self.available_seats,
            comments: self.comments.clone(),
            departure_location: self.departure_location.clone(),
            departure_date: self.departure_date.clone(),
            arrival_location: self.arrival_location.clone(),
            arrival_date: self.arrival_date.clone(),
            passengers: self.passengers.clone(),
            rating: self.rating(),
            is_active: self.is_active,
            created: self.created.clone(),
            version: self.version,
        }
    }

    pub fn departure(&self) -> DateTime<Utc> {
        parse_time(&self.departure_date).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// A ride as clients see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RideView {
    pub id: String,
    /// The circle's slug.
    pub circle: String,
    /// The driver's username.
    pub offered_by: String,
    /// Seats still free.
    pub available_seats: i64,
    pub comments: String,
    pub departure_location: String,
    /// RFC 3339, UTC.
    pub departure_date: String,
    pub arrival_location: String,
    /// RFC 3339, UTC.
    pub arrival_date: String,
    /// Usernames, sorted.
    pub passengers: Vec<String>,
    /// The passengers' average rating (one decimal); `null` before the first.
    #[schema(required = true)]
    pub rating: Option<f64>,
    pub is_active: bool,
    pub created: String,
    /// Send it back with a `PATCH` to have a stale edit refused (409).
    pub version: u64,
}

#[derive(Debug, Default, Clone)]
pub struct RideInput {
    pub available_seats: Option<i64>,
    pub comments: Option<String>,
    pub departure_location: Option<String>,
    pub departure_date: Option<DateTime<Utc>>,
    pub arrival_location: Option<String>,
    pub arrival_date: Option<DateTime<Utc>>,
    /// The version the client read (PATCH only).
    pub version: Option<u64>,
}

/// `POST` (all but `comments` required) and `PATCH` bodies of a ride. `offered_by`, when
/// sent, must be the caller's username.
pub fn validate_ride(
    body: &Map<String, Value>,
    creating: bool,
    caller: &str,
    now: DateTime<Utc>,
) -> Result<RideInput, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let mut allowed = vec![
        "available_seats",
        "comments",
        "departure_location",
        "departure_date",
        "arrival_location",
        "arrival_date",
    ];
    allowed.push(if creating { "offered_by" } else { "version" });
    errors.unknown(body, &allowed);
    if creating {
        if let Some(offered_by) = errors.text(body, "offered_by") {
            if offered_by.trim().to_lowercase() != caller {
                errors.add("offered_by", ON_BEHALF);
            }
        }
    }
    let mut input = RideInput::default();
    let text = |errors: &mut FieldErrors, field: &str| {
        if creating {
            errors.required_text(body, field)
        } else {
            errors.text(body, field)
        }
    };
    match body.get("available_seats") {
        None if creating => errors.add("available_seats", "is required"),
        None => {}
        Some(value) => {
            input.available_seats = errors.check("available_seats", integer(value, *SEATS.start(), *SEATS.end()))
        }
    }
    if let Some(comments) = errors.text(body, "comments") {
        input.comments = errors.check(
            "comments",
            bounded_text(comments, *RIDE_COMMENTS_CHARS.start(), *RIDE_COMMENTS_CHARS.end()),
        );
    }
    for (field, slot) in [
        ("departure_location", &mut input.departure_location),
        ("arrival_location", &mut input.arrival_location),
    ] {
        if let Some(location) = text(&mut errors, field) {
            *slot = errors.check(
                field,
                bounded_text(location, *LOCATION_CHARS.start(), *LOCATION_CHARS.end()),
            );
        }
    }
    let min_departure = now + Duration::minutes(MIN_DEPARTURE_MINUTES);
    if let Some(raw) = text(&mut errors, "departure_date") {
        match parse_time(raw) {
            None => errors.add("departure_date", "must be an RFC 3339 date-time"),
            Some(time) if time < min_departure => errors.add("departure_date", DEPARTURE_TOO_SOON),
            Some(time) => input.departure_date = Some(time),
        }
    }
    if let Some(raw) = text(&mut errors, "arrival_date") {
        match parse_time(raw) {
            None => errors.add("arrival_date", "must be an RFC 3339 date-time"),
            Some(time) => input.arrival_date = Some(time),
        }
    }
    if let Some(value) = body.get("version").filter(|_| !creating) {
        input.version = errors.check("version", version(value));
    }
    if let (Some(departure), Some(arrival)) = (input.departure_date, input.arrival_date) {
        if arrival <= departure {
            errors.add("arrival_date", ARRIVAL_BEFORE_DEPARTURE);
        }
    }
    errors.finish(|| input)
}

pub fn new_ride(circle: &str, offered_by: &str, input: RideInput, now: &str) -> Ride {
    Ride {
        id: ids::new_id(),
        circle: circle.to_string(),
        offered_by: offered_by.to_string(),
        available_seats: input.available_seats.unwrap_or(1),
        comments: input.comments.unwrap_or_default(),
        departure_location: input.departure_location.unwrap_or_default(),
        departure_date: input.departure_date.map(ids::rfc3339).unwrap_or_default(),
        arrival_location: input.arrival_location.unwrap_or_default(),
        arrival_date: input.arrival_date.map(ids::rfc3339).unwrap_or_default(),
        is_active: true,
        rating_sum: 0,
        rating_count: 0,
        created: now.to_string(),
        version: 1,
        passengers: Vec::new(),
    }
}

/// Applies a PATCH to a ride that has not left yet; arrival must stay after departure.
pub fn apply_ride_patch(original: &mut Ride, input: RideInput, now: DateTime<Utc>) -> Result<(), RideRuleError> {
    if original.departure() <= now {
        return Err(RideRuleError::Conflict(ONGOING_RIDE));
    }
    let mut ride = original.clone();
    if let Some(seats) = input.available_seats {
        ride.available_seats = seats;
    }
    if let Some(comments) = input.comments {
        ride.comments = comments;
    }
    if let Some(location) = input.departure_location {
        ride.departure_location = location;
    }
    if let Some(location) = input.arrival_location {
        ride.arrival_location = location;
    }
    if let Some(time) = input.departure_date {
        ride.departure_date = ids::rfc3339(time);
    }
    if let Some(time) = input.arrival_date {
        ride.arrival_date = ids::rfc3339(time);
    }
    let arrival = parse_time(&ride.arrival_date).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if arrival <= ride.departure() {
        return Err(RideRuleError::Invalid(vec![FieldError::new(
            "arrival_date",
            ARRIVAL_BEFORE_DEPARTURE,
        )]));
    }
    *original = ride;
    Ok(())
}

#[derive(Debug, PartialEq)]
pub enum RideRuleError {
    Conflict(&'static str),
    Forbidden(&'static str),
    Invalid(Vec<FieldError>),
}

/// Why `username` cannot join `ride` now, in the seed's order of checks.
pub fn join_ride_check(ride: &Ride, username: &str, now: DateTime<Utc>) -> Result<(), RideRuleError> {
    if ride.offered_by == username {
        return Err(RideRuleError::Forbidden(OWNER_CANNOT_JOIN));
    }
    if !ride.is_active || ride.departure() <= now {
        return Err(RideRuleError::Conflict(CANNOT_JOIN_NOW));
    }
    if ride.available_seats < 1 {
        return Err(RideRuleError::Conflict(RIDE_FULL));
    }
    if ride.passengers.iter().any(|p| p == username) {
        return Err(RideRuleError::Conflict(ALREADY_PASSENGER));
    }
    Ok(())
}

/// Rides listed in a circle: active, leaving at least 10 minutes from now, a seat left,
/// matching `search` on locations; ordered as asked (seed default: departure, arrival, seats).
pub fn select_rides(
    mut rides: Vec<Ride>,
    search: &[String],
    ordering: &[(String, bool)],
    now: DateTime<Utc>,
) -> Vec<Ride> {
    let min_departure = now + Duration::minutes(MIN_DEPARTURE_MINUTES);
    rides.retain(|r| {
        r.is_active
            && r.available_seats >= 1
            && r.departure() >= min_departure
            && matches_search(search, &[&r.departure_location, &r.arrival_location])
    });
    let ordering: Vec<(String, bool)> = if ordering.is_empty() {
        RIDE_ORDERING.iter().map(|f| (f.to_string(), false)).collect()
    } else {
        ordering.to_vec()
    };
    let key = |r: &Ride, field: &str| -> (i64, String) {
        match field {
            "available_seats" => (r.available_seats, String::new()),
            "arrival_date" => (0, r.arrival_date.clone()),
            _ => (0, r.departure_date.clone()),
        }
    };
    rides.sort_by(|a, b| {
        for (field, descending) in &ordering {
            let order = key(a, field).cmp(&key(b, field));
            let order = if *descending { order.reverse() } else { order };
            if order.is_ne() {
                return order;
            }
        }
        a.id.cmp(&b.id)
    });
    rides
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::*;
    use serde_json::json;

    #[test]
    fn ride_bodies_follow_the_seed() {
        let body = obj(json!({
            "available_seats": 3, "departure_location": "A", "arrival_location": "B",
            "departure_date": "2026-01-10T12:30:00Z", "arrival_date": "2026-01-10T13:00:00Z",
        }));
        assert!(validate_ride(&body, true, "ana", now()).is_ok());
        let mut soon = body.clone();
        soon.insert("departure_date".into(), json!("2026-01-10T12:05:00Z"));
        let errors = validate_ride(&soon, true, "ana", now()).unwrap_err();
        assert_eq!(errors[0].message, DEPARTURE_TOO_SOON);
        let mut backwards = body.clone();
        backwards.insert("arrival_date".into(), json!("2026-01-10T12:30:00Z"));
        assert_eq!(
            validate_ride(&backwards, true, "ana", now()).unwrap_err()[0].message,
            ARRIVAL_BEFORE_DEPARTURE
        );
        let mut other = body.clone();
        other.insert("offered_by".into(), json!("bob"));
        assert_eq!(
            validate_ride(&other, true, "ana", now()).unwrap_err()[0].message,
            ON_BEHALF
        );
        other.insert("offered_by".into(), json!("ana"));
        assert!(validate_ride(&other, true, "ana", now()).is_ok());
        let mut seats = body;
        seats.insert("available_seats".into(), json!(16));
        assert_eq!(
            fields(validate_ride(&seats, true, "ana", now()).unwrap_err()),
            ["available_seats"]
        );
        assert_eq!(
            fields(validate_ride(&obj(json!({})), true, "ana", now()).unwrap_err()).len(),
            5
        );
        assert!(validate_ride(&obj(json!({"comments": "x"})), false, "ana", now()).is_ok());
    }

    #[test]
    fn ride_texts_refuse_control_characters() {
        let body = obj(json!({"comments": "\u{202D}x", "departure_location": "A\u{0}", "version": 2}));
        assert_eq!(
            fields(validate_ride(&body, false, "ana", now()).unwrap_err()),
            ["comments", "departure_location"]
        );
        let input = validate_ride(&obj(json!({"comments": "ok\tthen", "version": 2})), false, "ana", now()).unwrap();
        assert_eq!((input.comments.as_deref(), input.version), (Some("ok\tthen"), Some(2)));
    }

    #[test]
    fn joining_rules_in_seed_order() {
        let mut r = ride("2026-01-10T13:00:00Z");
        assert_eq!(
            join_ride_check(&r, "ana", now()),
            Err(RideRuleError::Forbidden(OWNER_CANNOT_JOIN))
        );
        assert_eq!(join_ride_check(&r, "bob", now()), Ok(()));
        r.passengers.push("bob".into());
        assert_eq!(
            join_ride_check(&r, "bob", now()),
            Err(RideRuleError::Conflict(ALREADY_PASSENGER))
        );
        r.available_seats = 0;
        assert_eq!(
            join_ride_check(&r, "bob", now()),
            Err(RideRuleError::Conflict(RIDE_FULL))
        );
        let gone = ride("2026-01-10T11:00:00Z");
        assert_eq!(
            join_ride_check(&gone, "bob", now()),
            Err(RideRuleError::Conflict(CANNOT_JOIN_NOW))
        );
    }

    #[test]
    fn ongoing_rides_cannot_be_modified() {
        let mut r = ride("2026-01-10T11:59:00Z");
        assert_eq!(
            apply_ride_patch(&mut r, RideInput::default(), now()),
            Err(RideRuleError::Conflict(ONGOING_RIDE))
        );
        let mut r = ride("2026-01-10T13:00:00Z");
        let patch = RideInput {
            arrival_date: parse_time("2026-01-10T12:59:00Z"),
            ..Default::default()
        };
        assert!(matches!(
            apply_ride_patch(&mut r, patch, now()),
            Err(RideRuleError::Invalid(_))
        ));
        assert!(apply_ride_patch(
            &mut r,
            RideInput {
                available_seats: Some(4),
                ..Default::default()
            },
            now()
        )
        .is_ok());
        assert_eq!(r.available_seats, 4);
    }

    #[test]
    fn listed_rides_leave_later_and_have_seats() {
        let mut full = ride("2026-01-10T14:00:00Z");
        full.available_seats = 0;
        let soon = ride("2026-01-10T12:05:00Z");
        let later = ride("2026-01-10T15:00:00Z");
        let first = ride("2026-01-10T13:00:00Z");
        let ids: Vec<String> = select_rides(vec![full, soon, later.clone(), first.clone()], &[], &[], now())
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [first.id, later.id]);
    }
}
