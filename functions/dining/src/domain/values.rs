//! Values every part of dining shares: ids, the wire format of times (UTC, `Z`, whole seconds),
//! local dates, slot times (`HH:MM`) and the venue's time zone, which turns a UTC instant into
//! the venue's local date and time and back.
//!
//! Everything the contract says about "local" (slots, vacations, lead time, the 90-day horizon,
//! availability, the weekday and turn stats, dates in notifications) goes through [`Zone`]; the
//! wire and the store only ever hold UTC instants.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use andes_shared::validation::{bounded_text, parse_time};

/// The bounds of a latitude and a longitude, in degrees (either sign).
pub const MAX_LAT: f64 = 90.0;
pub const MAX_LON: f64 = 180.0;
/// Degrees: about 0.1 mm on the ground, finer than any venue's location is known.
pub const COORDINATE_RESOLUTION: f64 = 1e-9;

/// The zone of a venue that names none (the seed's only market).
pub const DEFAULT_TIMEZONE: &str = "America/Argentina/Buenos_Aires";

/// A new reservation or opinion id (UUIDv7).
pub fn new_id() -> String {
    andes_shared::ids::new_id()
}

/// Whether `raw` can be an id of this service (reservations, opinions, accounts, venues are
/// UUIDs); anything else names nothing: a lookup by it is a 404 (400 for a reservation's venue).
pub fn is_id(raw: &str) -> bool {
    uuid::Uuid::parse_str(raw).is_ok()
}

/// `time` without its fraction of a second.
pub fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    time.with_nanosecond(0).unwrap_or(time)
}

/// A time as the API writes it: RFC 3339 UTC, `Z`, whole seconds (`2030-01-05T23:00:00Z`).
pub fn wire_time(time: DateTime<Utc>) -> String {
    whole_seconds(time).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Serde for times written as [`wire_time`]; read back from any RFC 3339 offset.
pub mod time_secs {
    use super::*;

    pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&wire_time(*time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(deserializer)?;
        parse_time(&raw).ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {raw:?}")))
    }
}

/// [`time_secs`] for optional times (`null` when absent).
pub mod opt_time_secs {
    use super::*;

    pub fn serialize<S: Serializer>(time: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => serializer.serialize_str(&wire_time(*time)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|raw| {
                parse_time(&raw).ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {raw:?}")))
            })
            .transpose()
    }
}

/// A calendar date written exactly `YYYY-MM-DD` (no sign, no time, no other width).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let well_formed = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
}

/// A date as the API writes it (`2030-01-05`).
pub fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The weekday keys of venue stats, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The stats key of a weekday (`monday` … `sunday`).
pub fn weekday_name(day: Weekday) -> &'static str {
    WEEKDAYS[day.num_days_from_monday() as usize]
}

/// A local time of day on the minute, written `HH:MM` (a venue's slot, a stats turn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotTime {
    hour: u8,
    minute: u8,
}

impl SlotTime {
    /// Exactly two digits, a colon and two digits, 00:00 to 23:59.
    pub fn parse(raw: &str) -> Option<Self> {
        let bytes = raw.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return None;
        }
        let two = |i: usize| -> Option<u8> {
            let (a, b) = (bytes[i], bytes[i + 1]);
            (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
        };
        let (hour, minute) = (two(0)?, two(3)?);
        (hour < 24 && minute < 60).then_some(Self { hour, minute })
    }

    /// The slot time of a local time of day, when it is on the minute (seconds and fraction 0).
    pub fn of(time: NaiveTime) -> Option<Self> {
        (time.second() == 0 && time.nanosecond() == 0).then(|| Self::truncating(time))
    }

    /// The hour and minute of a local time of day, whatever its seconds.
    pub fn truncating(time: NaiveTime) -> Self {
        Self {
            hour: time.hour() as u8,
            minute: time.minute() as u8,
        }
    }

    pub fn time(self) -> NaiveTime {
        NaiveTime::from_hms_opt(self.hour.into(), self.minute.into(), 0).unwrap_or(NaiveTime::MIN)
    }
}

impl fmt::Display for SlotTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl Serialize for SlotTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SlotTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("not an HH:MM time: {raw:?}")))
    }
}

/// A venue's IANA time zone (`America/Argentina/Buenos_Aires`), written by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Self(Tz::America__Argentina__Buenos_Aires)
    }
}

impl Zone {
    /// A zone of the IANA database by its exact name (case-sensitive, as the database spells it).
    pub fn parse(raw: &str) -> Option<Self> {
        Tz::from_str(raw).ok().map(Self)
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The venue-local date and time of an instant.
    pub fn local(self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.0).naive_local()
    }

    /// The venue-local date of an instant.
    pub fn date(self, instant: DateTime<Utc>) -> NaiveDate {
        self.local(instant).date()
    }

    /// The local weekday of an instant.
    pub fn weekday(self, instant: DateTime<Utc>) -> Weekday {
        self.local(instant).weekday()
    }

    /// The instant a local date and time happens. When clocks go back and the local time happens
    /// twice, the first; when they go forward over it, it never happens (`None`).
    pub fn instant(self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.0
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|local| local.with_timezone(&Utc))
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).ok_or_else(|| serde::de::Error::custom(format!("not an IANA time zone: {raw:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::at;
    use serde_json::json;

    fn day(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    fn slot(raw: &str) -> SlotTime {
        SlotTime::parse(raw).unwrap()
    }

    #[test]
    fn ids_are_uuids() {
        assert!(is_id(&new_id()));
        assert_eq!(uuid::Uuid::parse_str(&new_id()).unwrap().get_version_num(), 7);
        assert!(!is_id("42"));
        assert!(!is_id(""));
    }

    #[test]
    fn the_wire_has_utc_whole_seconds_with_z() {
        assert_eq!(wire_time(at("2030-01-05T20:00:00-03:00")), "2030-01-05T23:00:00Z");
        assert_eq!(wire_time(at("2030-01-05T23:00:00.999Z")), "2030-01-05T23:00:00Z");
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Times {
            #[serde(with = "time_secs")]
            at: DateTime<Utc>,
            #[serde(with = "opt_time_secs")]
            maybe: Option<DateTime<Utc>>,
        }
        let times = Times {
            at: at("2030-01-06T00:00:00+01:00"),
            maybe: None,
        };
        let wire = serde_json::to_value(&times).unwrap();
        assert_eq!(wire, json!({"at": "2030-01-05T23:00:00Z", "maybe": null}));
        assert_eq!(serde_json::from_value::<Times>(wire).unwrap(), times);
    }

    #[test]
    fn dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(date_text(day("2030-01-05")), "2030-01-05");
        for bad in [
            "2030-1-05",
            "2030-02-30",
            "+2030-01-05",
            "2030-01-05T00:00:00Z",
            "05/01/2030",
            "",
            "2030/01/05",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn slot_times_are_hh_mm_on_the_minute() {
        assert_eq!(slot("00:00").to_string(), "00:00");
        assert_eq!(slot("23:59").to_string(), "23:59");
        assert!(slot("09:30") < slot("21:00"));
        for bad in [
            "24:00", "12:60", "9:30", "09:3", "0930", "09-30", "09:30:00", "ab:cd", " 09:30",
        ] {
            assert_eq!(SlotTime::parse(bad), None, "{bad}");
        }
        let time = NaiveTime::from_hms_opt(20, 30, 0).unwrap();
        assert_eq!(SlotTime::of(time), Some(slot("20:30")));
        assert_eq!(SlotTime::of(NaiveTime::from_hms_opt(20, 30, 1).unwrap()), None);
        assert_eq!(SlotTime::of(NaiveTime::from_hms_milli_opt(20, 30, 0, 5).unwrap()), None);
        assert_eq!(
            SlotTime::truncating(NaiveTime::from_hms_opt(20, 30, 59).unwrap()),
            slot("20:30")
        );
        assert_eq!(json!(slot("07:05")), json!("07:05"));
        assert!(serde_json::from_value::<SlotTime>(json!("7:05")).is_err());
    }

    #[test]
    fn zones_are_iana_names_with_buenos_aires_by_default() {
        assert_eq!(Zone::default().name(), DEFAULT_TIMEZONE);
        assert_eq!(Zone::parse(DEFAULT_TIMEZONE), Some(Zone::default()));
        assert_eq!(Zone::parse("Europe/Madrid").unwrap().to_string(), "Europe/Madrid");
        assert!(Zone::parse("UTC").is_some());
        for bad in ["", "Mars/Olympus", "america/argentina/buenos_aires", "-03:00", "GMT-3 "] {
            assert_eq!(Zone::parse(bad), None, "{bad}");
        }
        assert_eq!(json!(Zone::default()), json!(DEFAULT_TIMEZONE));
        assert!(serde_json::from_value::<Zone>(json!("Nowhere")).is_err());
    }

    #[test]
    fn local_dates_and_times_are_the_venues() {
        let buenos_aires = Zone::default();
        // 02:30 UTC on Monday is still Sunday evening in Buenos Aires (UTC−3).
        let instant = at("2024-04-15T02:30:00Z");
        assert_eq!(buenos_aires.date(instant), day("2024-04-14"));
        assert_eq!(buenos_aires.weekday(instant), Weekday::Sun);
        assert_eq!(SlotTime::of(buenos_aires.local(instant).time()), Some(slot("23:30")));
        assert_eq!(
            buenos_aires.instant(day("2030-01-05"), slot("20:00").time()),
            Some(at("2030-01-05T23:00:00Z"))
        );
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        assert_eq!(tokyo.date(instant), day("2024-04-15"));
    }

    #[test]
    fn clocks_that_jump_give_the_first_instant_or_none() {
        let madrid = Zone::parse("Europe/Madrid").unwrap();
        // 2030-03-31: 02:00 → 03:00, so 02:30 never happens.
        assert_eq!(madrid.instant(day("2030-03-31"), slot("02:30").time()), None);
        // 2030-10-27: 03:00 → 02:00, so 02:30 happens twice; the first is 00:30 UTC.
        assert_eq!(
            madrid.instant(day("2030-10-27"), slot("02:30").time()),
            Some(at("2030-10-27T00:30:00Z"))
        );
        assert_eq!(madrid.local(at("2030-10-27T01:30:00Z")).time(), slot("02:30").time());
    }

    #[test]
    fn weekdays_are_named_from_monday() {
        assert_eq!(weekday_name(Weekday::Mon), "monday");
        assert_eq!(weekday_name(Weekday::Sun), "sunday");
        assert_eq!(WEEKDAYS.len(), 7);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(bounded_text("  La Pizzeria ", 1, 100).unwrap(), "La Pizzeria");
        assert!(bounded_text("   ", 1, 100).is_err());
        assert!(bounded_text(&"é".repeat(101), 1, 100).is_err());
    }
}
