//! Values that orders, warehouses and transports share: cargo types, products, routes, places,
//! ids, bounded text and the two ways times are written.

use std::fmt;

use andes_shared::ids;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// What a transport carries and an order needs (seed: TipoCargamento).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CargoType {
    Refrigerated,
    Food,
    #[default]
    Goods,
}

impl CargoType {
    pub const ALL: [CargoType; 3] = [Self::Refrigerated, Self::Food, Self::Goods];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refrigerated => "refrigerated",
            Self::Food => "food",
            Self::Goods => "goods",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|cargo| cargo.as_str() == raw)
    }
}

impl fmt::Display for CargoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One product of an order: one storage unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    pub code: String,
    pub name: String,
    pub category: String,
}

/// Where and when an order (or a transport run) goes. Dates are UTC, written with `Z` and as
/// precise as they were given (`2026-12-03T08:00:00Z`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Route {
    pub origin: String,
    pub destination: String,
    #[serde(with = "route_time")]
    pub departure_date: DateTime<Utc>,
    #[serde(with = "route_time")]
    pub arrival_date: DateTime<Utc>,
}

/// Two places are the same when equal once trimmed, ignoring case (`" bogotá"` = `"BOGOTÁ"`).
pub fn same_place(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether `raw` can be an id of this service (a UUID); anything else is an unknown id (404).
pub fn is_id(raw: &str) -> bool {
    uuid::Uuid::parse_str(raw).is_ok()
}

pub use andes_shared::validation::{bounded_text, parse_time};

/// Times of events and records: RFC 3339 UTC with milliseconds (`andes_shared::ids::rfc3339`).
pub mod time_millis {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&ids::rfc3339(*time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(deserializer)?;
        parse_time(&raw).ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {raw:?}")))
    }
}

/// Route dates: RFC 3339 UTC with `Z`, fractional seconds only when there are some.
pub mod route_time {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn format(time: DateTime<Utc>) -> String {
        time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(*time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        time_millis::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use andes_shared::validation::CONTROL_CHARACTERS;
    use serde_json::json;

    #[test]
    fn places_compare_trimmed_and_case_insensitive() {
        assert!(same_place(" Bogotá ", "BOGOTÁ"));
        assert!(same_place("medellín", "Medellín\t"));
        assert!(!same_place("Bogotá", "Bogota"));
        assert!(!same_place("Cali", "Cali Sur"));
    }

    #[test]
    fn cargo_types_are_the_three_of_the_seed() {
        assert_eq!(CargoType::default(), CargoType::Goods);
        for cargo in CargoType::ALL {
            assert_eq!(CargoType::parse(cargo.as_str()), Some(cargo));
            assert_eq!(json!(cargo), json!(cargo.as_str()));
        }
        assert_eq!(CargoType::parse("Food"), None);
        assert_eq!(CargoType::parse("productos"), None);
    }

    #[test]
    fn ids_are_uuids() {
        assert!(is_id(&ids::new_id()));
        assert!(!is_id("42"));
        assert!(!is_id(""));
    }

    #[test]
    fn times_parse_any_offset_into_utc() {
        let time = parse_time("2026-12-03T10:00:00+02:00").unwrap();
        assert_eq!(route_time::format(time), "2026-12-03T08:00:00Z");
        assert_eq!(ids::rfc3339(time), "2026-12-03T08:00:00.000Z");
        assert_eq!(parse_time("2026-12-03T08:00:00"), None);
        assert_eq!(parse_time("3 December"), None);
    }

    #[test]
    fn routes_write_their_dates_as_given_in_utc() {
        let route: Route = serde_json::from_value(json!({
            "origin": "Bogotá", "destination": "Medellín",
            "departure_date": "2026-12-03T03:00:00-05:00", "arrival_date": "2026-12-03T18:00:00.250Z"
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&route).unwrap(),
            json!({"origin": "Bogotá", "destination": "Medellín",
                   "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T18:00:00.250Z"})
        );
    }

    #[test]
    fn text_is_trimmed_bounded_and_plain() {
        assert_eq!(bounded_text("  Leche ", 1, 100).unwrap(), "Leche");
        assert_eq!(bounded_text("   ", 1, 100).unwrap_err(), "must be 1 to 100 characters");
        assert_eq!(
            bounded_text(&"é".repeat(101), 1, 100).unwrap_err(),
            "must be 1 to 100 characters"
        );
        assert!(bounded_text(&"é".repeat(100), 1, 100).is_ok());
        assert_eq!(
            bounded_text(&"a".repeat(201), 0, 200).unwrap_err(),
            "must be at most 200 characters"
        );
        assert_eq!(bounded_text("a\u{0}b", 1, 100).unwrap_err(), CONTROL_CHARACTERS);
    }
}
