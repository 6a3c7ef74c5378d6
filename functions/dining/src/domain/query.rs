//! Query parameters of the lists, the near search and availability (§2, §4.4, §4.5, §6). Every
//! problem is reported at once, a 422 naming its parameter; an empty value counts as absent.
//! Repeatable filters (`characteristic`, `feature`, `status`) take the parameter repeated and
//! also comma-separated values (API Gateway joins repeated parameters with commas; no fixed
//! name holds one). `limit` is `andes_shared::dynamo::page_limit`'s; `cursor` is passed on to the
//! list, which checks it.

use andes_shared::dynamo::{page_limit, page_of, Page};
use andes_shared::http::ApiError;
use andes_shared::validation::FieldErrors;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::geo::{rank, Near, Point};
use super::opinions::OpinionsQuery;
use super::reservation::{ReservationFilter, ReservationStatus};
use super::values::{parse_date, parse_time, MAX_LAT, MAX_LON};
use super::venue::{
    invalid_characteristic, invalid_feature, is_characteristic, is_feature, Venue, VenueFilter, VenueStatus,
};

pub const DEFAULT_RADIUS_M: u64 = 5_000;
pub const MAX_RADIUS_M: u64 = 20_000_000;

pub const REQUIRED: &str = "is required";
pub const BAD_VENUE_STATUS: &str = "must be one of Available, Closed, Occupied, Unconfirmed";
pub const BAD_RESERVATION_STATUS: &str = "must be one of Unconfirmed, Accepted, Assisted, Canceled, Expired";
pub const BAD_LAT: &str = "must be a number from -90 to 90";
pub const BAD_LON: &str = "must be a number from -180 to 180";
pub const BAD_RADIUS: &str = "must be an integer from 1 to 20000000";
pub const BAD_DATE: &str = "must be a date YYYY-MM-DD";
pub const BAD_TIME: &str = "must be an RFC 3339 date-time with a time zone (2030-01-05T23:00:00Z)";
pub const BAD_PEOPLE: &str = "must be a whole number";
pub const FROM_TIME_AFTER_TO: &str = "must not be after to_time";
pub const FROM_PEOPLE_ABOVE_TO: &str = "must not be more than to_people";
pub const FROM_AFTER_TO: &str = "must not be after to";

/// A request's query parameters, each name with all its values in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn new<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// The first non-empty value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a repeatable `name`, commas splitting values too; blanks dropped.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .flat_map(|(_, value)| value.split(','))
            .filter(|value| !value.is_empty())
            .collect()
    }
}

/// A page request: `limit` (default 20, 1–100) and the opaque cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    pub limit: i32,
    pub cursor: Option<String>,
}

/// `GET /venues`.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueList {
    pub filter: VenueFilter,
    pub paging: Paging,
}

/// `GET /venues/near`.
#[derive(Debug, Clone, PartialEq)]
pub struct NearQuery {
    pub centre: Point,
    pub radius_m: u64,
    pub filter: VenueFilter,
    pub paging: Paging,
}

impl NearQuery {
    /// The cursor scope of this search: a cursor of another centre, radius or filter is refused.
    pub fn scope(&self) -> String {
        format!(
            "near|{}|{}|{}|{}",
            self.centre.lat,
            self.centre.lon,
            self.radius_m,
            self.filter.scope()
        )
    }
}

/// One item of `GET /venues/near`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NearVenue {
    pub venue: Venue,
    pub distance_m: u64,
}

/// A page of `GET /venues/near` from the venues the searched cells hold (`geo::search_cells`):
/// those matching the filter within the radius, nearest first, ties by id.
pub fn near_page(mut candidates: Vec<Venue>, query: &NearQuery) -> Result<Page<NearVenue>, ApiError> {
    candidates.retain(|venue| query.filter.matches(venue));
    let page = near_ranked(
        candidates,
        query,
        |venue| Point::new(venue.location.lat, venue.location.lon),
        |venue| venue.id.as_str(),
    )?;
    page.try_map(|near| {
        Ok(NearVenue {
            venue: near.item,
            distance_m: near.distance_m,
        })
    })
}

/// A page of the near search over any candidates already filtered (venues, or the store's index
/// entries that carry a venue's id and location): one per id, those within the radius, nearest
/// first, ties by id, paged with a cursor bound to the search ([`NearQuery::scope`]).
pub fn near_ranked<T>(
    mut candidates: Vec<T>,
    query: &NearQuery,
    point: impl Fn(&T) -> Point,
    id: impl Fn(&T) -> &str,
) -> Result<Page<Near<T>>, ApiError> {
    candidates.sort_by(|a, b| id(a).cmp(id(b)));
    candidates.dedup_by(|a, b| id(a) == id(b));
    let ranked = rank(candidates, query.centre, query.radius_m, point, id);
    page_of(
        ranked,
        &query.scope(),
        query.paging.limit,
        query.paging.cursor.as_deref(),
    )
}

/// `GET /reservations` and `GET /me/venue/reservations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationList {
    pub filter: ReservationFilter,
    pub paging: Paging,
}

/// `GET /opinions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionsList {
    pub query: OpinionsQuery,
    pub paging: Paging,
}

pub fn venue_list(params: &Params) -> Result<VenueList, ApiError> {
    let mut errors = FieldErrors::default();
    let filter = venue_filter(&mut errors, params);
    let paging = paging(&mut errors, params);
    finish(errors, || VenueList { filter, paging })
}

/// `lat`, `lon` (required), `radius_m` (default 5000, 1–20 000 000) and the list's filters.
pub fn near(params: &Params) -> Result<NearQuery, ApiError> {
    let mut errors = FieldErrors::default();
    let lat = coordinate(&mut errors, params, "lat", MAX_LAT, BAD_LAT);
    let lon = coordinate(&mut errors, params, "lon", MAX_LON, BAD_LON);
    let radius_m = match params.first("radius_m") {
        None => Some(DEFAULT_RADIUS_M),
        Some(raw) => errors.check(
            "radius_m",
            raw.parse::<u64>()
                .ok()
                .filter(|r| (1..=MAX_RADIUS_M).contains(r))
                .ok_or_else(|| BAD_RADIUS.to_string()),
        ),
    };
    let filter = venue_filter(&mut errors, params);
    let paging = paging(&mut errors, params);
    match (lat, lon, radius_m) {
        (Some(lat), Some(lon), Some(radius_m)) if errors.is_empty() => Ok(NearQuery {
            centre: Point::new(lat, lon),
            radius_m,
            filter,
            paging,
        }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// `GET /venues/{id}/availability?date=YYYY-MM-DD` (required).
pub fn availability_date(params: &Params) -> Result<NaiveDate, ApiError> {
    match params.first("date") {
        None => Err(ApiError::invalid("date", REQUIRED)),
        Some(raw) => parse_date(raw).ok_or_else(|| ApiError::invalid("date", BAD_DATE)),
    }
}

/// `status` (repeatable), `venue` (the diner's list only: `for_diner`), `from_time`, `to_time`,
/// `from_people`, `to_people` (inclusive).
pub fn reservation_list(params: &Params, for_diner: bool) -> Result<ReservationList, ApiError> {
    let mut errors = FieldErrors::default();
    let statuses = params
        .all("status")
        .into_iter()
        .filter_map(|raw| {
            errors.check(
                "status",
                ReservationStatus::parse(raw).ok_or_else(|| BAD_RESERVATION_STATUS.to_string()),
            )
        })
        .collect();
    let venue = for_diner.then(|| params.first("venue").map(str::to_string)).flatten();
    let from_time = time(&mut errors, params, "from_time");
    let to_time = time(&mut errors, params, "to_time");
    if let (Some(from), Some(to)) = (from_time, to_time) {
        if from > to {
            errors.add("from_time", FROM_TIME_AFTER_TO);
        }
    }
    let from_people = people(&mut errors, params, "from_people");
    let to_people = people(&mut errors, params, "to_people");
    if let (Some(from), Some(to)) = (from_people, to_people) {
        if from > to {
            errors.add("from_people", FROM_PEOPLE_ABOVE_TO);
        }
    }
    let paging = paging(&mut errors, params);
    finish(errors, || ReservationList {
        filter: ReservationFilter {
            statuses,
            venue,
            from_time,
            to_time,
            from_people,
            to_people,
        },
        paging,
    })
}

/// `venue` (required), `from`, `to` (RFC 3339, inclusive).
pub fn opinions_list(params: &Params) -> Result<OpinionsList, ApiError> {
    let mut errors = FieldErrors::default();
    let venue = params.first("venue").map(str::to_string);
    if venue.is_none() {
        errors.add("venue", REQUIRED);
    }
    let from = time(&mut errors, params, "from");
    let to = time(&mut errors, params, "to");
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            errors.add("from", FROM_AFTER_TO);
        }
    }
    let paging = paging(&mut errors, params);
    match venue {
        Some(venue) if errors.is_empty() => Ok(OpinionsList {
            query: OpinionsQuery { venue, from, to },
            paging,
        }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

fn finish<T>(errors: FieldErrors, value: impl FnOnce() -> T) -> Result<T, ApiError> {
    errors.finish(value).map_err(ApiError::Validation)
}

fn paging(errors: &mut FieldErrors, params: &Params) -> Paging {
    let limit = match page_limit(params.first("limit")) {
        Ok(limit) => limit,
        Err(ApiError::Validation(found)) => {
            errors.0.extend(found);
            0
        }
        Err(other) => {
            errors.add("limit", other.to_string());
            0
        }
    };
    Paging {
        limit,
        cursor: params.first("cursor").map(str::to_string),
    }
}

/// `name` (exact), `characteristic`, `feature` (each of the fixed lists), `status`.
fn venue_filter(errors: &mut FieldErrors, params: &Params) -> VenueFilter {
    let mut names = |key: &str, known: fn(&str) -> bool, invalid: fn(&str) -> String| -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for raw in params.all(key) {
            if !known(raw) {
                errors.add(key, invalid(raw));
            } else if !found.iter().any(|f| f == raw) {
                found.push(raw.to_string());
            }
        }
        found
    };
    let characteristics = names("characteristic", is_characteristic, invalid_characteristic);
    let features = names("feature", is_feature, invalid_feature);
    let statuses = params
        .all("status")
        .into_iter()
        .filter_map(|raw| {
            errors.check(
                "status",
                VenueStatus::parse(raw).ok_or_else(|| BAD_VENUE_STATUS.to_string()),
            )
        })
        .collect();
    VenueFilter {
        name: params.first("name").map(str::to_string),
        characteristics,
        features,
        statuses,
    }
}

fn coordinate(errors: &mut FieldErrors, params: &Params, key: &str, limit: f64, message: &str) -> Option<f64> {
    let Some(raw) = params.first(key) else {
        errors.add(key, REQUIRED);
        return None;
    };
    errors.check(
        key,
        raw.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && n.abs() <= limit)
            .ok_or_else(|| message.to_string()),
    )
}

fn time(errors: &mut FieldErrors, params: &Params, key: &str) -> Option<DateTime<Utc>> {
    let raw = params.first(key)?;
    errors.check(key, parse_time(raw).ok_or_else(|| BAD_TIME.to_string()))
}

fn people(errors: &mut FieldErrors, params: &Params, key: &str) -> Option<u32> {
    let raw = params.first(key)?;
    errors.check(key, raw.parse::<u32>().map_err(|_| BAD_PEOPLE.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, fields, problems};

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(pairs.iter().copied())
    }

    fn problem(field: &str, message: &str) -> (String, String) {
        (field.to_string(), message.to_string())
    }

    #[test]
    fn repeated_and_comma_separated_values_both_count() {
        let p = params(&[
            ("status", "Closed"),
            ("status", "Available,Occupied"),
            ("status", ""),
            ("name", ""),
        ]);
        assert_eq!(p.all("status"), ["Closed", "Available", "Occupied"]);
        assert_eq!(p.first("name"), None, "empty is absent");
        assert_eq!(p.first("status"), Some("Closed"));
    }

    #[test]
    fn venue_lists_take_name_fixed_names_statuses_and_paging() {
        let list = venue_list(&params(&[
            ("name", "La Pizzeria"),
            ("characteristic", "Pizzas"),
            ("characteristic", "Sándwiches"),
            ("characteristic", "Pizzas"),
            ("feature", "Wifi"),
            ("status", "Available"),
            ("limit", "5"),
            ("cursor", "abc"),
        ]))
        .unwrap();
        assert_eq!(
            list.filter,
            VenueFilter {
                name: Some("La Pizzeria".into()),
                characteristics: vec!["Pizzas".into(), "Sándwiches".into()],
                features: vec!["Wifi".into()],
                statuses: vec![VenueStatus::Available],
            }
        );
        assert_eq!(
            list.paging,
            Paging {
                limit: 5,
                cursor: Some("abc".into())
            }
        );
        assert_eq!(venue_list(&Params::default()).unwrap().paging.limit, 20);
    }

    #[test]
    fn a_value_outside_the_fixed_lists_is_a_422() {
        assert_eq!(
            problems(
                venue_list(&params(&[
                    ("characteristic", "Tacos"),
                    ("feature", "Pileta"),
                    ("status", "Open"),
                    ("limit", "101")
                ]))
                .unwrap_err()
            ),
            [
                problem("characteristic", "Invalid characteristic: Tacos"),
                problem("feature", "Invalid feature: Pileta"),
                problem("status", BAD_VENUE_STATUS),
                problem("limit", "must be an integer from 1 to 100"),
            ]
        );
        assert_eq!(fields(venue_list(&params(&[("limit", "0")])).unwrap_err()), ["limit"]);
    }

    #[test]
    fn near_needs_a_centre_and_defaults_to_5_km() {
        let query = near(&params(&[
            ("lat", "-34.6037"),
            ("lon", "-58.3816"),
            ("feature", "Wifi"),
        ]))
        .unwrap();
        assert_eq!(query.centre, Point::new(-34.6037, -58.3816));
        assert_eq!(query.radius_m, 5_000);
        assert_eq!(query.filter.features, ["Wifi"]);
        assert_eq!(
            near(&params(&[("lat", "0"), ("lon", "0"), ("radius_m", "20000000")]))
                .unwrap()
                .radius_m,
            20_000_000
        );
        assert_eq!(
            problems(near(&params(&[("lon", "181"), ("radius_m", "0")])).unwrap_err()),
            [
                problem("lat", REQUIRED),
                problem("lon", BAD_LON),
                problem("radius_m", BAD_RADIUS)
            ]
        );
        for bad in ["20000001", "1.5", "-1", "far"] {
            assert_eq!(
                fields(near(&params(&[("lat", "0"), ("lon", "0"), ("radius_m", bad)])).unwrap_err()),
                ["radius_m"],
                "{bad}"
            );
        }
        for bad in ["NaN", "inf", "-90.5", "north"] {
            assert_eq!(
                fields(near(&params(&[("lat", bad), ("lon", "0")])).unwrap_err()),
                ["lat"],
                "{bad}"
            );
        }
    }

    #[test]
    fn near_cursors_belong_to_one_search() {
        let a = near(&params(&[("lat", "1"), ("lon", "2")])).unwrap();
        let b = near(&params(&[("lat", "1"), ("lon", "2"), ("radius_m", "6000")])).unwrap();
        let c = near(&params(&[("lat", "1"), ("lon", "2"), ("status", "Closed")])).unwrap();
        assert_ne!(a.scope(), b.scope());
        assert_ne!(a.scope(), c.scope());
        assert_eq!(
            a.scope(),
            near(&params(&[("lat", "1.0"), ("lon", "2")])).unwrap().scope()
        );
    }

    #[test]
    fn near_pages_the_matching_venues_nearest_first() {
        let place = |id: &str, lat: f64, lon: f64, wifi: bool| {
            let mut venue = crate::domain::testing::venue();
            venue.id = id.into();
            venue.location = crate::domain::venue::Location { lat, lon };
            if !wifi {
                venue.features.clear();
            }
            venue
        };
        let candidates = vec![
            place("far", -34.70, -58.38, true),   // ~11 km
            place("near", -34.61, -58.38, true),  // ~0.7 km
            place("tie-b", -34.62, -58.38, true), // ~1.8 km
            place("tie-a", -34.62, -58.38, true),
            place("no-wifi", -34.6037, -58.3816, false),
            place("near", -34.61, -58.38, true), // the same venue from another cell
        ];
        let query = near(&params(&[
            ("lat", "-34.6037"),
            ("lon", "-58.3816"),
            ("feature", "Wifi"),
            ("limit", "2"),
        ]))
        .unwrap();
        let first = near_page(candidates.clone(), &query).unwrap();
        let ids: Vec<&str> = first.items.iter().map(|n| n.venue.id.as_str()).collect();
        assert_eq!(ids, ["near", "tie-a"]);
        assert!(first.items[0].distance_m < first.items[1].distance_m);
        let mut next = query.clone();
        next.paging.cursor = first.next_cursor.clone();
        let second = near_page(candidates.clone(), &next).unwrap();
        let ids: Vec<&str> = second.items.iter().map(|n| n.venue.id.as_str()).collect();
        assert_eq!(ids, ["tie-b"], "`far` is beyond 5 km");
        assert_eq!(second.next_cursor, None);
        let wire = serde_json::to_value(&second.items[0]).unwrap();
        assert_eq!(wire["venue"]["id"], "tie-b");
        assert!(wire["distance_m"].is_u64());
        let mut other = near(&params(&[("lat", "0"), ("lon", "0")])).unwrap();
        other.paging.cursor = first.next_cursor;
        assert_eq!(fields(near_page(candidates, &other).unwrap_err()), ["cursor"]);
    }

    #[test]
    fn availability_needs_a_date() {
        assert_eq!(
            availability_date(&params(&[("date", "2030-01-05")])).unwrap(),
            parse_date("2030-01-05").unwrap()
        );
        assert_eq!(
            problems(availability_date(&Params::default()).unwrap_err()),
            [problem("date", REQUIRED)]
        );
        assert_eq!(
            problems(availability_date(&params(&[("date", "5/1/2030")])).unwrap_err()),
            [problem("date", BAD_DATE)]
        );
    }

    #[test]
    fn reservation_lists_take_statuses_times_and_people() {
        let list = reservation_list(
            &params(&[
                ("status", "Accepted,Unconfirmed"),
                ("venue", "owner-1"),
                ("from_time", "2030-01-01T00:00:00-03:00"),
                ("to_time", "2030-02-01T00:00:00Z"),
                ("from_people", "2"),
                ("to_people", "4"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(
            list.filter,
            ReservationFilter {
                statuses: vec![ReservationStatus::Accepted, ReservationStatus::Unconfirmed],
                venue: Some("owner-1".into()),
                from_time: Some(at("2030-01-01T03:00:00Z")),
                to_time: Some(at("2030-02-01T00:00:00Z")),
                from_people: Some(2),
                to_people: Some(4),
            }
        );
        let venue_side = reservation_list(&params(&[("venue", "owner-2")]), false).unwrap();
        assert_eq!(venue_side.filter.venue, None, "the venue list is the caller's venue's");
    }

    #[test]
    fn every_bad_reservation_list_parameter_is_named() {
        assert_eq!(
            problems(
                reservation_list(
                    &params(&[
                        ("status", "Uncomfirmed"),
                        ("from_time", "yesterday"),
                        ("from_people", "-1"),
                        ("to_people", "x"),
                        ("limit", "many")
                    ]),
                    true
                )
                .unwrap_err()
            ),
            [
                problem("status", BAD_RESERVATION_STATUS),
                problem("from_time", BAD_TIME),
                problem("from_people", BAD_PEOPLE),
                problem("to_people", BAD_PEOPLE),
                problem("limit", "must be an integer from 1 to 100"),
            ]
        );
        assert_eq!(
            problems(
                reservation_list(
                    &params(&[
                        ("from_time", "2030-02-01T00:00:00Z"),
                        ("to_time", "2030-01-01T00:00:00Z"),
                        ("from_people", "5"),
                        ("to_people", "4"),
                    ]),
                    false
                )
                .unwrap_err()
            ),
            [
                problem("from_time", FROM_TIME_AFTER_TO),
                problem("from_people", FROM_PEOPLE_ABOVE_TO)
            ]
        );
    }

    #[test]
    fn opinion_lists_need_a_venue() {
        let list = opinions_list(&params(&[("venue", "owner-1"), ("from", "2030-01-01T00:00:00Z")])).unwrap();
        assert_eq!(list.query.venue, "owner-1");
        assert_eq!(
            (list.query.from, list.query.to),
            (Some(at("2030-01-01T00:00:00Z")), None)
        );
        assert_eq!(
            problems(
                opinions_list(&params(&[
                    ("from", "2030-02-01T00:00:00Z"),
                    ("to", "2030-01-01T00:00:00Z")
                ]))
                .unwrap_err()
            ),
            [problem("venue", REQUIRED), problem("from", FROM_AFTER_TO)]
        );
    }
}
