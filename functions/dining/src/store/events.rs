//! Points and stats as stored (§7), and the one transaction that applies an event to them.
//!
//! - **Points** `POINTS#{user}` / `POINTS`: `total` (clamped at 0 when written: a read-modify-write
//!   on `version`), `last_activity` (the last event that moved points), `last_decay`. While the
//!   total is above 0 the item is in the decay sweep's sparse index: `gsi1` `DECAY` /
//!   `{last activity or decay, whichever is later}#{user}`, so the sweep reads only the totals
//!   that may decay, oldest first.
//! - **User stats** `USTATS#{user}` / `STATS`: `total`, `canceled`, `expired` (`ADD`).
//! - **Venue stats** `VENUE#{venue}` / `STATS#{venue created}`: `total`, `canceled`, `expired`,
//!   `people`, `day_{weekday}`, `turn_{HH:MM}` (`ADD`), in the venue's partition and keyed by its
//!   incarnation: deleted with the venue, and an event that lands after a delete counts for the
//!   venue it happened at, never for a venue created again with the same id.
//! - **Visit** `VISIT#{venue}#{diner}` / `VISIT`: `times_assisted`, `times_expired` (`ADD`).
//! - **Applied** `APPLIED#{reservation}#{kind}` / `APPLIED`: put (absent) in the same transaction:
//!   an event delivered twice applies once.

use andes_shared::dynamo::{key, number, string, Change, Condition, Item, Query, TransactionError};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};

use super::keys::*;
use super::reservations::{TIMES_ASSISTED, TIMES_EXPIRED};
use super::{corrupt, whole_number, Store};
use crate::domain::points::{event_key, is_activity, next_total, EventKind};
use crate::domain::stats::{UserCounters, VenueCounters, VenueIncrement};
use crate::domain::values::{weekday_name, SlotTime};
use crate::domain::{parse_time, wire_time, Venue};
use crate::messages::DiningEvent;

/// `gsi1` partition of the totals above 0 (the decay sweep's candidates).
pub const DECAY: &str = "DECAY";
const TOTAL: &str = "total";
const VERSION: &str = "version";
const LAST_ACTIVITY: &str = "last_activity";
const LAST_DECAY: &str = "last_decay";
const CANCELED: &str = "canceled";
const EXPIRED: &str = "expired";
const PEOPLE: &str = "people";
const DAY_PREFIX: &str = "day_";
const TURN_PREFIX: &str = "turn_";

/// A venue incarnation's stats item.
pub fn venue_stats_key(venue: &str, created: DateTime<Utc>) -> Item {
    key(venue_pk(venue), format!("{STATS_SK}#{}", wire_time(created)))
}

/// A diner's points as stored; a diner without any is 0 at version 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredPoints {
    pub user: String,
    pub total: u64,
    pub version: u64,
    pub last_activity: Option<DateTime<Utc>>,
    pub last_decay: Option<DateTime<Utc>>,
}

impl StoredPoints {
    fn none(user: &str) -> Self {
        Self {
            user: user.to_string(),
            ..Self::default()
        }
    }

    fn of(user: &str, item: &Item) -> Result<Self, ApiError> {
        let count = |name: &str| -> Result<u64, ApiError> {
            let value = whole_number(item, name).unwrap_or(0);
            u64::try_from(value).map_err(|_| corrupt("points", format!("{name} {value}")))
        };
        let time = |name: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
            match item.get(name) {
                None => Ok(None),
                Some(value) => value
                    .as_s()
                    .ok()
                    .and_then(|raw| parse_time(raw))
                    .map(Some)
                    .ok_or_else(|| corrupt("points", format!("{name} is not a time"))),
            }
        };
        Ok(Self {
            user: user.to_string(),
            total: count(TOTAL)?,
            version: count(VERSION)?,
            last_activity: time(LAST_ACTIVITY)?,
            last_decay: time(LAST_DECAY)?,
        })
    }

    /// The points after an event of `delta` at `at`: the total clamped, the activity moved on
    /// (to the later of the two: events arrive in any order) when the event moved points.
    pub fn after_event(&self, delta: i64, at: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.total = next_total(self.total, delta);
        if is_activity(delta) {
            next.last_activity = Some(self.last_activity.map_or(at, |last| last.max(at)));
        }
        next
    }

    /// The points after a decay at `now`.
    pub fn after_decay(&self, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.total = next_total(self.total, -crate::domain::points::DECAY_POINTS);
        next.last_decay = Some(now);
        next
    }

    /// The write of these points over the version read: `None` when nothing changed.
    fn write(&self, read: &StoredPoints) -> Option<Change> {
        if self == read {
            return None;
        }
        let mut change = Change::new(key(points_pk(&self.user), POINTS_SK))
            .set(TOTAL, number(self.total as i64))
            .set(VERSION, number(read.version as i64 + 1))
            .set("user", string(&self.user))
            .when(match read.version {
                0 => Condition::absent(),
                version => Condition::version(version),
            });
        for (name, time) in [(LAST_ACTIVITY, self.last_activity), (LAST_DECAY, self.last_decay)] {
            if let Some(time) = time {
                change = change.set(name, string(wire_time(time)));
            }
        }
        // In the sweep's index while there is something to decay, sorted by when it may.
        change = match (self.total, self.last_activity.max(self.last_decay)) {
            (0, _) | (_, None) => change.remove("gsi1pk").remove("gsi1sk"),
            (_, Some(since)) => change
                .set("gsi1pk", string(DECAY))
                .set("gsi1sk", string(format!("{}#{}", wire_time(since), self.user))),
        };
        Some(change)
    }
}

/// What applying an event found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Application {
    Applied,
    /// It had been applied before (a redelivery).
    AlreadyApplied,
    /// The points moved since they were read: read again.
    Stale,
}

fn counters_of(item: Option<Item>, names: &[&str]) -> Vec<u64> {
    names
        .iter()
        .map(|name| {
            item.as_ref()
                .and_then(|item| whole_number(item, name))
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        })
        .collect()
}

/// A venue's counters from its stats item (zeros without one).
fn venue_counters(item: Option<Item>) -> VenueCounters {
    let mut counters = VenueCounters::default();
    let Some(item) = item else {
        return counters;
    };
    let count = |value: &aws_sdk_dynamodb::types::AttributeValue| {
        value.as_n().ok().and_then(|raw| raw.parse::<u64>().ok()).unwrap_or(0)
    };
    for (name, value) in &item {
        match name.as_str() {
            TOTAL => counters.total = count(value),
            CANCELED => counters.canceled = count(value),
            EXPIRED => counters.expired = count(value),
            PEOPLE => counters.people = count(value),
            _ => {
                if let Some(day) = name.strip_prefix(DAY_PREFIX) {
                    if let Some(weekday) = weekday_of(day) {
                        *counters.days.get_mut(weekday) = count(value);
                    }
                } else if let Some(turn) = name.strip_prefix(TURN_PREFIX).and_then(SlotTime::parse) {
                    counters.turns.insert(turn, count(value));
                }
            }
        }
    }
    counters
}

fn weekday_of(name: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
        .into_iter()
        .find(|day| weekday_name(*day) == name)
}

impl Store {
    /// A diner's points (0 at version 0 without any), strongly consistent.
    pub async fn points(&self, user: &str) -> Result<StoredPoints, ApiError> {
        match self.table.get_item(key(points_pk(user), POINTS_SK)).await? {
            Some(item) => StoredPoints::of(user, &item),
            None => Ok(StoredPoints::none(user)),
        }
    }

    /// A diner's stats counters (zeros without history).
    pub async fn user_counters(&self, user: &str) -> Result<UserCounters, ApiError> {
        let item = self.table.get_item(key(user_stats_pk(user), STATS_SK)).await?;
        let [total, canceled, expired] = counters_of(item, &[TOTAL, CANCELED, EXPIRED])[..] else {
            unreachable!("three names, three counters")
        };
        Ok(UserCounters {
            total,
            canceled,
            expired,
        })
    }

    /// The stats counters of this incarnation of `venue` (zeros without history).
    pub async fn venue_counters(&self, venue: &Venue) -> Result<VenueCounters, ApiError> {
        let item = self.table.get_item(venue_stats_key(&venue.id, venue.created)).await?;
        Ok(venue_counters(item))
    }

    /// Whether `diner` ever booked at `venue` (its visit item exists).
    pub async fn has_visited(&self, venue: &str, diner: &str) -> Result<bool, ApiError> {
        Ok(self
            .table
            .get_item(key(visit_pk(venue, diner), VISIT_SK))
            .await?
            .is_some())
    }

    /// Applies `event` once: the applied marker (absent), the diner's points over `read`, the
    /// diner's and — when `venue` is the incarnation it happened at — the venue's stats, and the
    /// visit counters, in one transaction.
    pub async fn apply_event(
        &self,
        event: &DiningEvent,
        read: &StoredPoints,
        venue: Option<&Venue>,
    ) -> Result<Application, ApiError> {
        let mut applied = key(applied_pk(&event_key(&event.reservation, event.kind)), APPLIED_SK);
        applied.insert("at".into(), string(wire_time(event.at)));
        let mut writes = vec![self.table.put_tx(applied, Some(Condition::absent()))?];
        let points_at = match read.after_event(event.delta(), event.at).write(read) {
            Some(change) => {
                writes.push(self.table.change_tx(change)?);
                Some(writes.len() - 1)
            }
            None => None,
        };
        writes.extend(self.stats_writes(event, venue)?);
        match self.table.transact(writes).await {
            Ok(()) => Ok(Application::Applied),
            Err(failed @ TransactionError::Conditions(_)) if failed.failed(0) => Ok(Application::AlreadyApplied),
            Err(failed @ TransactionError::Conditions(_)) if points_at.is_some_and(|at| failed.failed(at)) => {
                Ok(Application::Stale)
            }
            Err(TransactionError::Conditions(indices)) => Err(ApiError::internal(format!(
                "event {} {}: unexpected failed conditions {indices:?}",
                event.reservation,
                event.kind.as_str()
            ))),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// The counters a closed reservation adds to (an opinion adds to none).
    fn stats_writes(&self, event: &DiningEvent, venue: Option<&Venue>) -> Result<Vec<TransactWriteItem>, ApiError> {
        let (Some(outcome), EventKind::Canceled | EventKind::Assisted | EventKind::Expired) =
            (&event.outcome, event.kind)
        else {
            return Ok(Vec::new());
        };
        let mut writes = Vec::new();
        if let Some(user) = UserCounters::increment(outcome) {
            let change = Change::new(key(user_stats_pk(&event.user), STATS_SK))
                .add(TOTAL, user.total as i64)
                .add(CANCELED, user.canceled as i64)
                .add(EXPIRED, user.expired as i64);
            writes.push(self.table.change_tx(change)?);
        }
        let increment = VenueIncrement::of(outcome);
        if let Some(venue) = venue {
            let mut change = Change::new(venue_stats_key(&venue.id, venue.created))
                .add(TOTAL, 1)
                .add(CANCELED, i64::from(increment.canceled))
                .add(EXPIRED, i64::from(increment.expired));
            if let Some((people, day, turn)) = increment.assisted {
                change = change
                    .add(PEOPLE, i64::from(people))
                    .add(&format!("{DAY_PREFIX}{}", weekday_name(day)), 1)
                    .add(&format!("{TURN_PREFIX}{turn}"), 1);
            }
            writes.push(self.table.change_tx(change)?);
        }
        if increment.assisted.is_some() || increment.expired {
            let change = Change::new(key(visit_pk(&event.venue, &event.user), VISIT_SK))
                .set("diner", string(&event.user))
                .add(TIMES_ASSISTED, i64::from(increment.assisted.is_some()))
                .add(TIMES_EXPIRED, i64::from(increment.expired));
            writes.push(self.table.change_tx(change)?);
        }
        Ok(writes)
    }

    /// The diners whose points may decay at `now`: above 0, last activity and last decay both
    /// at or before `until` (the sweep then decides on the item itself).
    pub async fn decay_candidates(&self, until: DateTime<Utc>) -> Result<Vec<String>, ApiError> {
        // `{time}#~` sorts after every `{time}#{user}`.
        let query = Query::index("gsi1", DECAY).until(format!("{}#~", wire_time(until)));
        self.table
            .query_all(&query)
            .await?
            .into_iter()
            .map(|item| {
                item.get("user")
                    .and_then(|user| user.as_s().ok())
                    .cloned()
                    .ok_or_else(|| corrupt("points", "no user"))
            })
            .collect()
    }

    /// Writes a decay over the points read; `false` when they moved since (read again).
    pub async fn save_decay(&self, read: &StoredPoints, now: DateTime<Utc>) -> Result<bool, ApiError> {
        match read.after_decay(now).write(read) {
            Some(change) => Ok(self.table.update(change).await?.is_some()),
            None => Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::at;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn points(total: u64, activity: Option<&str>, decay: Option<&str>) -> StoredPoints {
        StoredPoints {
            user: "diner-1".into(),
            total,
            version: 3,
            last_activity: activity.map(at),
            last_decay: decay.map(at),
        }
    }

    #[test]
    fn totals_are_clamped_and_activity_only_moves_forward() {
        let read = points(20, Some("2030-01-10T00:00:00Z"), None);
        let after = read.after_event(-50, at("2030-01-05T00:00:00Z"));
        assert_eq!(after.total, 0);
        assert_eq!(
            after.last_activity,
            Some(at("2030-01-10T00:00:00Z")),
            "an older event arrived late"
        );
        let after = read.after_event(50, at("2030-01-12T00:00:00Z"));
        assert_eq!(
            (after.total, after.last_activity),
            (70, Some(at("2030-01-12T00:00:00Z")))
        );
        assert_eq!(
            read.after_event(0, at("2030-02-01T00:00:00Z")),
            read,
            "a venue cancel moves nothing"
        );
    }

    #[test]
    fn an_unchanged_total_writes_nothing_and_a_zero_leaves_the_decay_index() {
        let read = points(0, None, None);
        assert!(read.after_event(0, at("2030-01-01T00:00:00Z")).write(&read).is_none());
        let zero = points(30, Some("2030-01-01T00:00:00Z"), None).after_event(-50, at("2030-01-02T00:00:00Z"));
        let text = format!(
            "{:?}",
            zero.write(&points(30, Some("2030-01-01T00:00:00Z"), None)).unwrap()
        );
        assert!(text.contains(r#"removes: ["gsi1pk", "gsi1sk"]"#), "{text}");
    }

    #[test]
    fn a_decay_is_dated_and_clamped() {
        let read = points(150, Some("2030-01-01T00:00:00Z"), None);
        let after = read.after_decay(at("2030-01-20T00:00:00Z"));
        assert_eq!((after.total, after.last_decay), (0, Some(at("2030-01-20T00:00:00Z"))));
    }

    #[test]
    fn venue_counters_read_days_and_turns_from_their_attributes() {
        let item = Item::from([
            ("pk".to_string(), AttributeValue::S("VENUE#v".into())),
            (TOTAL.to_string(), AttributeValue::N("4".into())),
            (EXPIRED.to_string(), AttributeValue::N("1".into())),
            (PEOPLE.to_string(), AttributeValue::N("6".into())),
            ("day_friday".to_string(), AttributeValue::N("2".into())),
            ("turn_20:30".to_string(), AttributeValue::N("2".into())),
        ]);
        let counters = venue_counters(Some(item));
        assert_eq!((counters.total, counters.expired, counters.people), (4, 1, 6));
        assert_eq!(counters.days.friday, 2);
        assert_eq!(counters.turns.get(&SlotTime::parse("20:30").unwrap()), Some(&2));
        assert_eq!(venue_counters(None), VenueCounters::default());
    }

    #[test]
    fn stats_are_kept_per_venue_incarnation() {
        let first = venue_stats_key("v", at("2030-01-01T00:00:00Z"));
        let again = venue_stats_key("v", at("2030-02-01T00:00:00Z"));
        assert_ne!(first.get("sk"), again.get("sk"));
        assert_eq!(first.get("pk"), Some(&AttributeValue::S("VENUE#v".into())));
    }
}
