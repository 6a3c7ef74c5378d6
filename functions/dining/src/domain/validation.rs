//! Request bodies, read from JSON values so that every problem of a request is reported at once
//! (422), each under the JSON path of its field (`name`, `location.lat`, `characteristics[2]`,
//! `slots[0]`); a missing required field under its own name. A body that is not a JSON object is
//! a 400. Unknown fields are ignored (`id`, `owner`, `status`, `created`, `updated` of a venue;
//! `venue` and `date` of an opinion). `null` counts as absent, except that it clears a venue's
//! optional `logo` or `menu` in a `PATCH`.
//!
//! Rules that need the stored venue or reservation (people against capacity, bookable times,
//! the state machine) are not here: they run after the lookups, in the contract's order.

use andes_shared::http::ApiError;
use andes_shared::validation::FieldErrors;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::idempotency::{check_key, IDEMPOTENCY_KEY};
use super::reservation::ReservationChange;
use super::values::{bounded_text, parse_date, parse_time, SlotTime, Zone, COORDINATE_RESOLUTION, MAX_LAT, MAX_LON};
use super::venue::{
    invalid_characteristic, invalid_feature, is_characteristic, is_feature, Location, VenueAction, VenueEdit,
    VenueInput,
};

pub const MAX_NAME: usize = 100;
pub const MAX_CAPACITY: u64 = 10_000;
pub const MAX_SLOTS: usize = 96;
pub const MAX_VACATIONS: usize = 366;
pub const MAX_LEAD_DAYS: u64 = 365;
pub const MAX_PICTURES: usize = 20;
pub const MAX_URL: usize = 2048;
pub const MAX_OPINION: usize = 2000;

pub const NOT_AN_OBJECT: &str = "The request body must be a JSON object";
pub const REQUIRED: &str = "is required";
pub const NOT_A_STRING: &str = "must be a string";
pub const NOT_AN_OBJECT_FIELD: &str = "must be an object";
pub const NOT_A_LIST: &str = "must be a list";
pub const NOT_A_BOOLEAN: &str = "must be true or false";
pub const NOT_AN_INTEGER: &str = "must be an integer";
pub const NOT_A_TIME: &str = "must be an RFC 3339 date-time with a time zone (2030-01-05T23:00:00Z)";
pub const BAD_LAT: &str = "must be a number from -90 to 90";
pub const BAD_LON: &str = "must be a number from -180 to 180";
pub const BAD_TIMEZONE: &str = "must be an IANA time zone name (America/Argentina/Buenos_Aires)";
pub const BAD_CAPACITY: &str = "must be an integer from 1 to 10000";
pub const BAD_SLOT: &str = "must be a local time HH:MM (00:00 to 23:59)";
pub const BAD_SLOTS: &str = "must hold 1 to 96 times";
pub const BAD_DATE: &str = "must be a date YYYY-MM-DD";
pub const TOO_MANY_VACATIONS: &str = "must hold at most 366 dates";
pub const BAD_LEAD_TIME: &str = "must be a whole number of days from 0 to 365";
pub const BAD_URL: &str = "must be an http or https URL of at most 2048 characters";
pub const TOO_MANY_PICTURES: &str = "must hold at most 20 URLs";
pub const BAD_ACTION: &str = "must be one of open, close, occupy";
pub const BAD_PHONE: &str = "must be a phone number: an optional +, then 9 to 15 digits";

/// `POST /reservations`: the body (§4.1 step 1) and the optional `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReservation {
    /// Not checked here: an unknown or malformed venue is step 2's 400.
    pub venue: String,
    pub time: DateTime<Utc>,
    /// As sent, saturated into `u32` (−3 reads 0): its range is step 4's, against the venue's
    /// capacity, whose message does not depend on the value.
    pub people: u32,
    pub idempotency_key: Option<String>,
}

/// `POST /opinions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionInput {
    pub reservation: String,
    /// Trimmed, 1–2000 characters.
    pub opinion: String,
}

/// `PATCH /me`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileEdit {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// `POST /venues`: `name`, `location`, `capacity` and `slots` are required; `timezone` defaults
/// to Buenos Aires, lists to empty, `reservation_lead_time` to 0, `logo` and `menu` to none.
pub fn venue_input(body: &Value) -> Result<VenueInput, ApiError> {
    let VenueFields { errors, edit } = venue_fields(body, true)?;
    match (edit.name, edit.location, edit.capacity, edit.slots) {
        (Some(name), Some(location), Some(capacity), Some(slots)) if errors.is_empty() => Ok(VenueInput {
            name,
            location,
            timezone: edit.timezone.unwrap_or_default(),
            capacity,
            logo: edit.logo.flatten(),
            pictures: edit.pictures.unwrap_or_default(),
            menu: edit.menu.flatten(),
            slots,
            characteristics: edit.characteristics.unwrap_or_default(),
            features: edit.features.unwrap_or_default(),
            vacations: edit.vacations.unwrap_or_default(),
            reservation_lead_time: edit.reservation_lead_time.unwrap_or(0),
        }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// `PATCH /venues/{id}`: any field of [`venue_input`], each checked the same way.
pub fn venue_edit(body: &Value) -> Result<VenueEdit, ApiError> {
    let VenueFields { errors, edit } = venue_fields(body, false)?;
    finish(errors, || edit)
}

/// `POST /venues/{id}/status`: `{"action": "open" | "close" | "occupy"}`.
pub fn venue_action(body: &Value) -> Result<VenueAction, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let action = required_str(&mut errors, body, "action", "action")
        .and_then(|raw| errors.check("action", VenueAction::parse(raw).ok_or_else(|| BAD_ACTION.to_string())));
    match action {
        Some(action) => Ok(action),
        None => Err(ApiError::Validation(errors.0)),
    }
}

/// `POST /reservations`: `{venue, time, people}` and the raw `Idempotency-Key` header (a header
/// that is not text should be passed lossily decoded: it fails the visible-ASCII rule).
pub fn new_reservation(body: &Value, idempotency_key: Option<&str>) -> Result<NewReservation, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let venue = required_str(&mut errors, body, "venue", "venue").map(str::to_string);
    let time = required_time(&mut errors, body, "time");
    let people = match member(body, "people") {
        None => {
            errors.add("people", REQUIRED);
            None
        }
        Some(value) => errors.check("people", integer(value)),
    };
    let idempotency_key = idempotency_key.and_then(|raw| errors.check(IDEMPOTENCY_KEY, check_key(raw)));
    match (venue, time, people) {
        (Some(venue), Some(time), Some(people)) if errors.is_empty() => Ok(NewReservation {
            venue,
            time,
            people,
            idempotency_key,
        }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// `PATCH /reservations/{id}`: any of `advance_forward`, `cancel` (booleans), `time`, `people`.
pub fn reservation_change(body: &Value) -> Result<ReservationChange, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let advance_forward = boolean(&mut errors, body, "advance_forward");
    let cancel = boolean(&mut errors, body, "cancel").unwrap_or(false);
    let time = member(body, "time").and_then(|value| match value {
        Value::String(raw) => errors.check("time", parse_time(raw).ok_or_else(|| NOT_A_TIME.to_string())),
        _ => {
            errors.add("time", NOT_A_TIME);
            None
        }
    });
    let people = member(body, "people").and_then(|value| errors.check("people", integer(value)));
    finish(errors, || ReservationChange {
        advance_forward,
        cancel,
        time,
        people,
    })
}

/// `POST /opinions`: `{reservation, opinion}`.
pub fn opinion_input(body: &Value) -> Result<OpinionInput, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let reservation = required_str(&mut errors, body, "reservation", "reservation").map(str::to_string);
    let opinion = required_str(&mut errors, body, "opinion", "opinion")
        .and_then(|raw| errors.check("opinion", bounded_text(raw, 1, MAX_OPINION)));
    match (reservation, opinion) {
        (Some(reservation), Some(opinion)) if errors.is_empty() => Ok(OpinionInput { reservation, opinion }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// `PATCH /me`: `{name?, phone?}`, name 1–100 characters, phone `^\+?1?\d{9,15}$`.
pub fn profile_edit(body: &Value) -> Result<ProfileEdit, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    let name = optional_str(&mut errors, body, "name", "name")
        .and_then(|raw| errors.check("name", bounded_text(raw, 1, MAX_NAME)));
    let phone = optional_str(&mut errors, body, "phone", "phone").and_then(|raw| errors.check("phone", phone(raw)));
    finish(errors, || ProfileEdit { name, phone })
}

/// The seed's phone rule, `^\+?1?\d{9,15}$`.
pub fn phone(raw: &str) -> Result<String, String> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let all_digits = digits.bytes().all(|b| b.is_ascii_digit());
    let valid = all_digits && ((9..=15).contains(&digits.len()) || (digits.len() == 16 && digits.starts_with('1')));
    if valid {
        Ok(raw.to_string())
    } else {
        Err(BAD_PHONE.to_string())
    }
}

/// An `http` or `https` URL with a host, at most 2048 characters, no blank or control character.
pub fn url(raw: &str) -> Result<String, String> {
    let lower = raw.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let has_host = rest.is_some_and(|rest| rest.split(['/', '?', '#']).next().is_some_and(|host| !host.is_empty()));
    let clean = !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    if has_host && clean && raw.chars().count() <= MAX_URL {
        Ok(raw.to_string())
    } else {
        Err(BAD_URL.to_string())
    }
}

struct VenueFields {
    errors: FieldErrors,
    edit: VenueEdit,
}

/// Every venue field present in `body`, checked. `creating`: `name`, `location`, `capacity` and
/// `slots` are required, and `null` of `logo` / `menu` is absent (not "clear").
fn venue_fields(body: &Value, creating: bool) -> Result<VenueFields, ApiError> {
    let body = object(body)?;
    let mut errors = FieldErrors::default();
    if creating {
        for key in ["name", "location", "capacity", "slots"] {
            if member(body, key).is_none() {
                errors.add(key, REQUIRED);
            }
        }
    }
    let name = optional_str(&mut errors, body, "name", "name")
        .and_then(|raw| errors.check("name", bounded_text(raw, 1, MAX_NAME)));
    let location = member(body, "location").and_then(|value| location(&mut errors, value));
    let timezone = optional_str(&mut errors, body, "timezone", "timezone")
        .and_then(|raw| errors.check("timezone", Zone::parse(raw).ok_or_else(|| BAD_TIMEZONE.to_string())));
    let capacity = member(body, "capacity")
        .and_then(|value| errors.check("capacity", bounded_integer(value, 1, MAX_CAPACITY, BAD_CAPACITY)));
    let logo = optional_url(&mut errors, body, "logo", creating);
    let menu = optional_url(&mut errors, body, "menu", creating);
    let pictures = list(&mut errors, body, "pictures").and_then(|items| {
        if items.len() > MAX_PICTURES {
            errors.add("pictures", TOO_MANY_PICTURES);
            return None;
        }
        each_str(&mut errors, "pictures", items, url)
    });
    let slots = list(&mut errors, body, "slots").and_then(|items| {
        if items.is_empty() || items.len() > MAX_SLOTS {
            errors.add("slots", BAD_SLOTS);
            return None;
        }
        let mut seen = Vec::new();
        let mut slots = each_str(&mut errors, "slots", items, |raw| {
            let slot = SlotTime::parse(raw).ok_or_else(|| BAD_SLOT.to_string())?;
            distinct(&mut seen, slot, || format!("Duplicate slot: {slot}"))
        })?;
        slots.sort_unstable();
        Some(slots)
    });
    let characteristics = names(
        &mut errors,
        body,
        "characteristics",
        is_characteristic,
        invalid_characteristic,
        "characteristic",
    );
    let features = names(&mut errors, body, "features", is_feature, invalid_feature, "feature");
    let vacations = list(&mut errors, body, "vacations").and_then(|items| {
        if items.len() > MAX_VACATIONS {
            errors.add("vacations", TOO_MANY_VACATIONS);
            return None;
        }
        let mut seen: Vec<NaiveDate> = Vec::new();
        let mut dates = each_str(&mut errors, "vacations", items, |raw| {
            let date = parse_date(raw).ok_or_else(|| BAD_DATE.to_string())?;
            distinct(&mut seen, date, || format!("Duplicate date: {raw}"))
        })?;
        dates.sort_unstable();
        Some(dates)
    });
    let reservation_lead_time = member(body, "reservation_lead_time").and_then(|value| {
        errors.check(
            "reservation_lead_time",
            bounded_integer(value, 0, MAX_LEAD_DAYS, BAD_LEAD_TIME),
        )
    });
    Ok(VenueFields {
        errors,
        edit: VenueEdit {
            name,
            location,
            timezone,
            capacity: capacity.and_then(|c| u32::try_from(c).ok()),
            logo,
            pictures,
            menu,
            slots,
            characteristics,
            features,
            vacations,
            reservation_lead_time: reservation_lead_time.and_then(|d| u32::try_from(d).ok()),
        },
    })
}

fn distinct<T: PartialEq + Copy>(seen: &mut Vec<T>, value: T, duplicate: impl FnOnce() -> String) -> Result<T, String> {
    if seen.contains(&value) {
        return Err(duplicate());
    }
    seen.push(value);
    Ok(value)
}

/// `characteristics` / `features`: names of the fixed list, no duplicates, order kept.
fn names(
    errors: &mut FieldErrors,
    body: &Map<String, Value>,
    key: &str,
    known: fn(&str) -> bool,
    invalid: fn(&str) -> String,
    noun: &str,
) -> Option<Vec<String>> {
    let items = list(errors, body, key)?;
    let mut seen: Vec<String> = Vec::new();
    each_str(errors, key, items, |raw| {
        if !known(raw) {
            return Err(invalid(raw));
        }
        if seen.iter().any(|s| s == raw) {
            return Err(format!("Duplicate {noun}: {raw}"));
        }
        seen.push(raw.to_string());
        Ok(raw.to_string())
    })
}

/// Each item of a list as a string through `rule`, problems under `key[i]`; `None` if any failed.
fn each_str<T>(
    errors: &mut FieldErrors,
    key: &str,
    items: &[Value],
    mut rule: impl FnMut(&str) -> Result<T, String>,
) -> Option<Vec<T>> {
    let mut values = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = format!("{key}[{i}]");
        let checked = match item {
            Value::String(raw) => errors.check(&path, rule(raw)),
            _ => {
                errors.add(&path, NOT_A_STRING);
                None
            }
        };
        match checked {
            Some(value) => values.push(value),
            None => ok = false,
        }
    }
    ok.then_some(values)
}

/// A coordinate within [`COORDINATE_RESOLUTION`] of 0 is 0: no place is told apart by less,
/// and DynamoDB refuses to store numbers of a magnitude below 1e-130 (a JSON `1e-200` would
/// otherwise fail the whole write).
fn snap_to_resolution(coordinate: f64) -> f64 {
    if coordinate.abs() < COORDINATE_RESOLUTION {
        0.0
    } else {
        coordinate
    }
}

fn location(errors: &mut FieldErrors, value: &Value) -> Option<Location> {
    let Value::Object(location) = value else {
        errors.add("location", NOT_AN_OBJECT_FIELD);
        return None;
    };
    let mut coordinate = |key: &str, limit: f64, message: &str| -> Option<f64> {
        let path = format!("location.{key}");
        match member(location, key) {
            None => {
                errors.add(&path, REQUIRED);
                None
            }
            Some(value) => errors.check(
                &path,
                value
                    .as_f64()
                    .filter(|n| n.is_finite() && n.abs() <= limit)
                    .map(snap_to_resolution)
                    .ok_or_else(|| message.to_string()),
            ),
        }
    };
    let lat = coordinate("lat", MAX_LAT, BAD_LAT);
    let lon = coordinate("lon", MAX_LON, BAD_LON);
    Some(Location { lat: lat?, lon: lon? })
}

/// `logo` / `menu`: `Some(Some(url))` to set, `Some(None)` to clear (`null` in a `PATCH`).
fn optional_url(
    errors: &mut FieldErrors,
    body: &Map<String, Value>,
    key: &str,
    creating: bool,
) -> Option<Option<String>> {
    match body.get(key)? {
        Value::Null if creating => None,
        Value::Null => Some(None),
        Value::String(raw) => errors.check(key, url(raw)).map(Some),
        _ => {
            errors.add(key, NOT_A_STRING);
            None
        }
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::BadRequest(NOT_AN_OBJECT.into()))
}

fn finish<T>(errors: FieldErrors, value: impl FnOnce() -> T) -> Result<T, ApiError> {
    errors.finish(value).map_err(ApiError::Validation)
}

/// A member that is present and not `null`.
fn member<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

fn required_str<'a>(
    errors: &mut FieldErrors,
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Option<&'a str> {
    if member(object, key).is_none() {
        errors.add(path, REQUIRED);
        return None;
    }
    optional_str(errors, object, key, path)
}

fn optional_str<'a>(
    errors: &mut FieldErrors,
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Option<&'a str> {
    match member(object, key)? {
        Value::String(text) => Some(text),
        _ => {
            errors.add(path, NOT_A_STRING);
            None
        }
    }
}

fn required_time(errors: &mut FieldErrors, object: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    match member(object, key) {
        None => {
            errors.add(key, REQUIRED);
            None
        }
        Some(Value::String(raw)) => errors.check(key, parse_time(raw).ok_or_else(|| NOT_A_TIME.to_string())),
        Some(_) => {
            errors.add(key, NOT_A_TIME);
            None
        }
    }
}

fn list<'a>(errors: &mut FieldErrors, object: &'a Map<String, Value>, key: &str) -> Option<&'a [Value]> {
    match member(object, key)? {
        Value::Array(items) => Some(items),
        _ => {
            errors.add(key, NOT_A_LIST);
            None
        }
    }
}

fn boolean(errors: &mut FieldErrors, object: &Map<String, Value>, key: &str) -> Option<bool> {
    match member(object, key)? {
        Value::Bool(value) => Some(*value),
        _ => {
            errors.add(key, NOT_A_BOOLEAN);
            None
        }
    }
}

/// Any JSON integer, saturated into `u32`: below 0 reads 0, beyond reads `u32::MAX` (both out
/// of every range checked later, with the same message as any other value out of it).
fn integer(value: &Value) -> Result<u32, String> {
    if let Some(n) = value.as_u64() {
        return Ok(u32::try_from(n).unwrap_or(u32::MAX));
    }
    value.as_i64().map(|_| 0).ok_or_else(|| NOT_AN_INTEGER.to_string())
}

fn bounded_integer(value: &Value, min: u64, max: u64, message: &str) -> Result<u64, String> {
    value
        .as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, fields, problems};
    use serde_json::json;

    fn body() -> Value {
        json!({
            "name": " La Pizzeria ",
            "location": {"lat": -34.6037, "lon": -58.3816},
            "capacity": 40,
            "slots": ["21:30", "20:00"],
        })
    }

    fn problem(field: &str, message: &str) -> (String, String) {
        (field.to_string(), message.to_string())
    }

    #[test]
    fn a_minimal_venue_gets_the_defaults() {
        let input = venue_input(&body()).unwrap();
        assert_eq!(input.name, "La Pizzeria");
        assert_eq!(input.timezone, Zone::default());
        assert_eq!(
            input.slots.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["20:00", "21:30"],
            "slots come back sorted"
        );
        assert_eq!(input.reservation_lead_time, 0);
        assert!(input.characteristics.is_empty() && input.features.is_empty() && input.vacations.is_empty());
        assert_eq!((input.logo, input.menu), (None, None));
    }

    #[test]
    fn a_full_venue_is_read_as_sent() {
        let mut body = body();
        body["timezone"] = json!("Europe/Madrid");
        body["logo"] = json!("https://img.example/logo.png");
        body["menu"] = json!("http://menu.example/");
        body["pictures"] = json!(["https://img.example/1.jpg"]);
        body["characteristics"] = json!(["Pizzas", "Sándwiches"]);
        body["features"] = json!(["Wifi", "Area fumadores"]);
        body["vacations"] = json!(["2030-02-01", "2030-01-01"]);
        body["reservation_lead_time"] = json!(2);
        body["id"] = json!("ignored");
        body["status"] = json!("Closed");
        let input = venue_input(&body).unwrap();
        assert_eq!(input.timezone.name(), "Europe/Madrid");
        assert_eq!(input.characteristics, ["Pizzas", "Sándwiches"], "order kept");
        assert_eq!(input.features, ["Wifi", "Area fumadores"]);
        assert_eq!(
            input.vacations,
            [parse_date("2030-01-01").unwrap(), parse_date("2030-02-01").unwrap()],
            "sorted"
        );
        assert_eq!(input.reservation_lead_time, 2);
        assert_eq!(input.logo.as_deref(), Some("https://img.example/logo.png"));
    }

    /// Found by schemathesis: `{"lat": 1e-200}` reached DynamoDB, which cannot store it (500).
    #[test]
    fn coordinates_finer_than_the_resolution_are_zero() {
        let mut body = body();
        body["location"] = json!({"lat": 1e-200, "lon": -5e-10});
        let input = venue_input(&body).unwrap();
        assert_eq!((input.location.lat, input.location.lon), (0.0, 0.0));
        body["location"] = json!({"lat": -34.603_700_001, "lon": 1e-9});
        let input = venue_input(&body).unwrap();
        assert_eq!((input.location.lat, input.location.lon), (-34.603_700_001, 1e-9));
    }

    #[test]
    fn a_venue_needs_name_location_capacity_and_slots() {
        assert_eq!(
            fields(venue_input(&json!({})).unwrap_err()),
            ["name", "location", "capacity", "slots"]
        );
        assert_eq!(
            fields(venue_input(&json!({"name": null, "location": {}, "capacity": null, "slots": null})).unwrap_err()),
            ["name", "capacity", "slots", "location.lat", "location.lon"]
        );
    }

    #[test]
    fn every_problem_of_a_venue_is_named_at_once() {
        let body = json!({
            "name": "   ",
            "location": {"lat": -91, "lon": "west"},
            "timezone": "Mars/Olympus",
            "capacity": 10001,
            "logo": "ftp://logo",
            "pictures": ["https://ok.example/1.jpg", "not a url"],
            "menu": 3,
            "slots": ["20:00", "25:00", "20:00"],
            "characteristics": ["Pizzas", "Tacos", "Pizzas"],
            "features": ["Wifi", 7],
            "vacations": ["2030-01-01", "01/02/2030", "2030-01-01"],
            "reservation_lead_time": 366,
        });
        assert_eq!(
            problems(venue_input(&body).unwrap_err()),
            [
                problem("name", "must be 1 to 100 characters"),
                problem("location.lat", BAD_LAT),
                problem("location.lon", BAD_LON),
                problem("timezone", BAD_TIMEZONE),
                problem("capacity", BAD_CAPACITY),
                problem("logo", BAD_URL),
                problem("menu", NOT_A_STRING),
                problem("pictures[1]", BAD_URL),
                problem("slots[1]", BAD_SLOT),
                problem("slots[2]", "Duplicate slot: 20:00"),
                problem("characteristics[1]", "Invalid characteristic: Tacos"),
                problem("characteristics[2]", "Duplicate characteristic: Pizzas"),
                problem("features[1]", NOT_A_STRING),
                problem("vacations[1]", BAD_DATE),
                problem("vacations[2]", "Duplicate date: 2030-01-01"),
                problem("reservation_lead_time", BAD_LEAD_TIME),
            ]
        );
    }

    #[test]
    fn the_seeds_messages_name_the_bad_characteristic_or_feature() {
        let mut body = body();
        body["characteristics"] = json!(["Sandwiches"]);
        body["features"] = json!(["wifi"]);
        assert_eq!(
            problems(venue_input(&body).unwrap_err()),
            [
                problem("characteristics[0]", "Invalid characteristic: Sandwiches"),
                problem("features[0]", "Invalid feature: wifi")
            ]
        );
    }

    #[test]
    fn list_sizes_are_bounded() {
        let mut body = body();
        body["slots"] = json!([]);
        assert_eq!(problems(venue_input(&body).unwrap_err()), [problem("slots", BAD_SLOTS)]);
        let all_day: Vec<String> = (0..97)
            .map(|i| format!("{:02}:{:02}", i / 4 % 24, i % 4 * 15))
            .collect();
        body["slots"] = json!(all_day);
        assert_eq!(fields(venue_input(&body).unwrap_err()), ["slots"]);
        body["slots"] = json!(all_day[..96]);
        assert!(venue_input(&body).is_ok());
        body["pictures"] = json!(vec!["https://img.example/p.jpg"; 21]);
        body["vacations"] = json!("2030-01-01");
        assert_eq!(
            problems(venue_input(&body).unwrap_err()),
            [problem("pictures", TOO_MANY_PICTURES), problem("vacations", NOT_A_LIST)]
        );
    }

    #[test]
    fn bodies_that_are_not_objects_are_400s() {
        for bad in [json!([]), json!("venue"), json!(3), Value::Null] {
            let error = venue_input(&bad).unwrap_err();
            assert_eq!(error.status().as_u16(), 400, "{bad}");
            assert_eq!(venue_edit(&bad).unwrap_err().status().as_u16(), 400);
            assert_eq!(new_reservation(&bad, None).unwrap_err().status().as_u16(), 400);
            assert_eq!(reservation_change(&bad).unwrap_err().status().as_u16(), 400);
            assert_eq!(opinion_input(&bad).unwrap_err().status().as_u16(), 400);
            assert_eq!(venue_action(&bad).unwrap_err().status().as_u16(), 400);
            assert_eq!(profile_edit(&bad).unwrap_err().status().as_u16(), 400);
        }
    }

    #[test]
    fn an_edit_reads_only_what_is_sent() {
        assert_eq!(venue_edit(&json!({})).unwrap(), VenueEdit::default());
        let edit = venue_edit(&json!({"capacity": 60, "logo": null, "name": null, "id": "x"})).unwrap();
        assert_eq!(
            edit,
            VenueEdit {
                capacity: Some(60),
                logo: Some(None),
                ..VenueEdit::default()
            }
        );
        assert_eq!(
            fields(venue_edit(&json!({"slots": [], "capacity": 0})).unwrap_err()),
            ["capacity", "slots"]
        );
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        for good in [
            "https://a.example",
            "HTTP://a.example/x?y#z",
            "https://ñandú.example/ñ.png",
        ] {
            assert!(url(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a.example",
            "https://",
            "https:///path",
            "javascript:alert(1)",
            "https://a b.example",
            "https://a.example/\n",
        ] {
            assert_eq!(url(bad).unwrap_err(), BAD_URL, "{bad:?}");
        }
        assert!(url(&format!("https://a.example/{}", "x".repeat(2048))).is_err());
    }

    #[test]
    fn venue_actions_are_open_close_occupy() {
        assert_eq!(venue_action(&json!({"action": "occupy"})).unwrap(), VenueAction::Occupy);
        assert_eq!(
            problems(venue_action(&json!({"action": "unconfirm"})).unwrap_err()),
            [problem("action", BAD_ACTION)]
        );
        assert_eq!(
            problems(venue_action(&json!({})).unwrap_err()),
            [problem("action", REQUIRED)]
        );
        assert_eq!(
            problems(venue_action(&json!({"action": 1})).unwrap_err()),
            [problem("action", NOT_A_STRING)]
        );
    }

    #[test]
    fn a_reservation_body_is_venue_time_and_people() {
        let body = json!({"venue": "owner-1", "time": "2030-01-06T20:00:00-03:00", "people": 2, "status": "Accepted"});
        assert_eq!(
            new_reservation(&body, Some("key-1")).unwrap(),
            NewReservation {
                venue: "owner-1".into(),
                time: at("2030-01-06T23:00:00Z"),
                people: 2,
                idempotency_key: Some("key-1".into()),
            }
        );
        // People out of range pass the shape check: step 4 refuses them against the capacity.
        assert_eq!(
            new_reservation(
                &json!({"venue": "v", "time": "2030-01-06T23:00:00Z", "people": 0}),
                None
            )
            .unwrap()
            .people,
            0
        );
        assert_eq!(
            new_reservation(
                &json!({"venue": "v", "time": "2030-01-06T23:00:00Z", "people": 18446744073709551615u64}),
                None
            )
            .unwrap()
            .people,
            u32::MAX
        );
        assert_eq!(
            new_reservation(
                &json!({"venue": "v", "time": "2030-01-06T23:00:00Z", "people": -3}),
                None
            )
            .unwrap()
            .people,
            0
        );
    }

    #[test]
    fn every_problem_of_a_reservation_body_is_named() {
        assert_eq!(
            problems(new_reservation(&json!({}), None).unwrap_err()),
            [
                problem("venue", REQUIRED),
                problem("time", REQUIRED),
                problem("people", REQUIRED)
            ]
        );
        assert_eq!(
            problems(new_reservation(&json!({"venue": 3, "time": "tomorrow", "people": 2.5}), Some("")).unwrap_err()),
            [
                problem("venue", NOT_A_STRING),
                problem("time", NOT_A_TIME),
                problem("people", NOT_AN_INTEGER),
                problem("Idempotency-Key", super::super::idempotency::BAD_KEY),
            ]
        );
        assert_eq!(
            fields(
                new_reservation(
                    &json!({"venue": "v", "time": "2030-01-06T23:00:00", "people": "2"}),
                    None
                )
                .unwrap_err()
            ),
            ["time", "people"]
        );
    }

    #[test]
    fn a_reservation_change_reads_actions_time_and_people() {
        assert_eq!(reservation_change(&json!({})).unwrap(), ReservationChange::default());
        assert_eq!(
            reservation_change(
                &json!({"advance_forward": false, "cancel": null, "people": 4, "time": "2030-01-07T23:00:00Z"})
            )
            .unwrap(),
            ReservationChange {
                advance_forward: Some(false),
                cancel: false,
                time: Some(at("2030-01-07T23:00:00Z")),
                people: Some(4),
            }
        );
        assert_eq!(
            problems(
                reservation_change(&json!({"advance_forward": "yes", "cancel": 1, "time": 5, "people": "4"}))
                    .unwrap_err()
            ),
            [
                problem("advance_forward", NOT_A_BOOLEAN),
                problem("cancel", NOT_A_BOOLEAN),
                problem("time", NOT_A_TIME),
                problem("people", NOT_AN_INTEGER),
            ]
        );
    }

    #[test]
    fn an_opinion_is_1_to_2000_characters_of_text() {
        let input = opinion_input(
            &json!({"reservation": "r-1", "opinion": "  Muy rico.  ", "date": "2020-01-01", "venue": "x"}),
        )
        .unwrap();
        assert_eq!(
            input,
            OpinionInput {
                reservation: "r-1".into(),
                opinion: "Muy rico.".into()
            }
        );
        assert_eq!(
            problems(opinion_input(&json!({"opinion": "   "})).unwrap_err()),
            [
                problem("reservation", REQUIRED),
                problem("opinion", "must be 1 to 2000 characters")
            ]
        );
        assert!(opinion_input(&json!({"reservation": "r", "opinion": "é".repeat(2000)})).is_ok());
        assert_eq!(
            fields(opinion_input(&json!({"reservation": "r", "opinion": "é".repeat(2001)})).unwrap_err()),
            ["opinion"]
        );
        assert_eq!(
            fields(opinion_input(&json!({"reservation": "r", "opinion": "a\u{0}"})).unwrap_err()),
            ["opinion"]
        );
    }

    #[test]
    fn profile_edits_take_a_name_and_the_seeds_phone_rule() {
        assert_eq!(profile_edit(&json!({})).unwrap(), ProfileEdit::default());
        assert_eq!(
            profile_edit(&json!({"name": " Ana ", "phone": "+5491112345678"})).unwrap(),
            ProfileEdit {
                name: Some("Ana".into()),
                phone: Some("+5491112345678".into())
            }
        );
        for good in ["123456789", "+123456789012345", "1123456789012345", "+1123456789012345"] {
            assert!(phone(good).is_ok(), "{good}");
        }
        for bad in [
            "12345678",
            "2123456789012345",
            "++123456789",
            "12345678a",
            "+54 9 11 1234",
            "",
        ] {
            assert_eq!(phone(bad).unwrap_err(), BAD_PHONE, "{bad}");
        }
        assert_eq!(
            problems(profile_edit(&json!({"name": "", "phone": 12345678901u64})).unwrap_err()),
            [
                problem("name", "must be 1 to 100 characters"),
                problem("phone", NOT_A_STRING)
            ]
        );
    }
}
