//! Points and levels (§7): ±50 per closed reservation as the §4.2 table says, +50 per opinion,
//! each applied once per (reservation, kind); totals clamped at 0 after every change (no hidden
//! debt); level `n` from 100·(2ⁿ − 1) points, named as in the seed; the decay of inactive
//! totals by the daily schedule, never on a read.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::reservation::{ClosedBy, ReservationStatus};

pub const POINTS: i64 = 50;
/// The seed's level names, level 0 first.
pub const LEVELS: [&str; 5] = [
    "Novato",
    "Aficionado Gourmet",
    "Comensal Amateur",
    "Comensal Experto",
    "Estrella Culinaria",
];
pub const MAX_LEVEL: u32 = 4;
/// What one decay takes (floor 0).
pub const DECAY_POINTS: i64 = 200;
/// Days without a non-zero points event, and since the last decay, before a decay.
pub const DECAY_AFTER_DAYS: i64 = 14;

/// What a points and stats event is about: a reservation entering a closed state, or an opinion.
/// With the reservation's id it names the event: each (reservation, kind) counts once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Canceled,
    Assisted,
    Expired,
    Opinion,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Canceled => "canceled",
            Self::Assisted => "assisted",
            Self::Expired => "expired",
            Self::Opinion => "opinion",
        }
    }

    /// The event of a reservation entering `status`; `None` for an open status.
    pub fn of_status(status: ReservationStatus) -> Option<Self> {
        match status {
            ReservationStatus::Canceled => Some(Self::Canceled),
            ReservationStatus::Assisted => Some(Self::Assisted),
            ReservationStatus::Expired => Some(Self::Expired),
            ReservationStatus::Unconfirmed | ReservationStatus::Accepted => None,
        }
    }
}

/// The idempotency key of an event: the same for every delivery of it.
pub fn event_key(reservation: &str, kind: EventKind) -> String {
    format!("{reservation}#{}", kind.as_str())
}

/// The diner's points for an event (§4.2): a cancel by the venue is 0, by the diner −50; an
/// expiry (no-show or schedule) −50; assisted +50; an opinion +50.
pub fn delta(kind: EventKind, closed_by: Option<ClosedBy>) -> i64 {
    match kind {
        EventKind::Canceled if closed_by == Some(ClosedBy::Venue) => 0,
        EventKind::Canceled | EventKind::Expired => -POINTS,
        EventKind::Assisted | EventKind::Opinion => POINTS,
    }
}

/// A total after a change: never below 0, so 0 − 50 + 50 is 50.
pub fn next_total(total: u64, delta: i64) -> u64 {
    total.saturating_add_signed(delta)
}

/// The seed's level, uncapped: the largest `n` with 100·(2ⁿ − 1) ≤ total, i.e.
/// ⌊log₂(total/100 + 1)⌋, in integers.
pub fn raw_level(total: u64) -> u32 {
    let steps = total / 100 + 1; // 2ⁿ ≤ total/100 + 1 ⟺ 2ⁿ ≤ ⌊total/100⌋ + 1
    steps.ilog2()
}

/// The level shown: [`raw_level`] capped at 4.
pub fn level_number(total: u64) -> u32 {
    raw_level(total).min(MAX_LEVEL)
}

pub fn level_name(total: u64) -> &'static str {
    LEVELS[level_number(total) as usize]
}

/// `GET /users/{id}/points`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Points {
    pub user: String,
    pub total: u64,
    pub level: String,
    pub level_number: u32,
}

impl Points {
    /// The points of `user` with `total` (0 for a diner without any event).
    pub fn new(user: &str, total: u64) -> Self {
        Self {
            user: user.to_string(),
            total,
            level: level_name(total).to_string(),
            level_number: level_number(total),
        }
    }
}

/// Whether an event counts as activity for the decay: only one that moves points.
pub fn is_activity(delta: i64) -> bool {
    delta != 0
}

/// Whether the daily sweep at `now` decays a total: it is above 0, and its last non-zero points
/// event and its last decay (when there were any) are both at least 14 days before `now`. So a
/// total decays at most once per 14 days of inactivity, and a second sweep with the same time
/// finds the decay it recorded.
pub fn decay_due(
    total: u64,
    last_activity: Option<DateTime<Utc>>,
    last_decay: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let long_ago = |time: Option<DateTime<Utc>>| time.is_none_or(|time| now - time >= Duration::days(DECAY_AFTER_DAYS));
    total > 0 && long_ago(last_activity) && long_ago(last_decay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::at;
    use serde_json::json;

    #[test]
    fn a_cancel_by_the_diner_costs_50_points() {
        assert_eq!(delta(EventKind::Canceled, Some(ClosedBy::User)), -50);
    }

    #[test]
    fn a_cancel_by_the_venue_costs_nothing() {
        assert_eq!(delta(EventKind::Canceled, Some(ClosedBy::Venue)), 0);
        assert!(!is_activity(delta(EventKind::Canceled, Some(ClosedBy::Venue))));
    }

    #[test]
    fn an_assisted_reservation_gives_50_points() {
        assert_eq!(delta(EventKind::Assisted, Some(ClosedBy::Venue)), 50);
    }

    #[test]
    fn an_expired_reservation_costs_50_points_whoever_expired_it() {
        assert_eq!(delta(EventKind::Expired, Some(ClosedBy::Venue)), -50);
        assert_eq!(delta(EventKind::Expired, Some(ClosedBy::System)), -50);
    }

    #[test]
    fn an_opinion_gives_50_points() {
        assert_eq!(delta(EventKind::Opinion, None), 50);
    }

    #[test]
    fn events_are_named_by_reservation_and_kind() {
        assert_eq!(event_key("r-1", EventKind::Assisted), "r-1#assisted");
        assert_ne!(
            event_key("r-1", EventKind::Assisted),
            event_key("r-1", EventKind::Opinion)
        );
        assert_eq!(
            EventKind::of_status(ReservationStatus::Expired),
            Some(EventKind::Expired)
        );
        assert_eq!(EventKind::of_status(ReservationStatus::Accepted), None);
        assert_eq!(json!(EventKind::Opinion), json!("opinion"));
    }

    #[test]
    fn totals_add_up_and_never_go_below_zero() {
        // Seed: storing 100 then 300 more reads 400.
        assert_eq!(next_total(next_total(0, 100), 300), 400);
        assert_eq!(next_total(0, -50), 0);
        assert_eq!(next_total(next_total(0, -50), 50), 50, "no hidden debt");
        assert_eq!(next_total(30, -50), 0);
        assert_eq!(next_total(u64::MAX, 50), u64::MAX);
    }

    #[test]
    fn a_diner_with_no_points_is_level_0() {
        assert_eq!(level_number(0), 0);
        assert_eq!(level_name(0), "Novato");
        assert_eq!(level_number(99), 0);
    }

    #[test]
    fn a_diner_with_100_points_is_level_1() {
        assert_eq!(level_number(100), 1);
        assert_eq!(level_name(100), "Aficionado Gourmet");
    }

    #[test]
    fn level_n_starts_at_100_times_2_to_the_n_minus_1() {
        // Seed: 100·(2ⁱ − 1) points is level i, for i up to 9.
        for i in 0..10u32 {
            let start = 100 * (2u64.pow(i) - 1);
            assert_eq!(raw_level(start), i, "{start}");
            if start > 0 {
                assert_eq!(raw_level(start - 1), i - 1, "{}", start - 1);
            }
        }
    }

    #[test]
    fn level_names_stop_at_the_last() {
        // Seed: names past the list's end are its last one.
        let expected = [
            (0, "Novato"),
            (99, "Novato"),
            (100, "Aficionado Gourmet"),
            (299, "Aficionado Gourmet"),
            (300, "Comensal Amateur"),
            (699, "Comensal Amateur"),
            (700, "Comensal Experto"),
            (1499, "Comensal Experto"),
            (1500, "Estrella Culinaria"),
            (51_100, "Estrella Culinaria"),
            (u64::MAX, "Estrella Culinaria"),
        ];
        for (total, name) in expected {
            assert_eq!(level_name(total), name, "{total}");
        }
        assert_eq!(level_number(51_100), 4);
    }

    #[test]
    fn points_answer_with_level_and_number() {
        assert_eq!(
            serde_json::to_value(Points::new("diner-1", 300)).unwrap(),
            json!({"user": "diner-1", "total": 300, "level": "Comensal Amateur", "level_number": 2})
        );
    }

    #[test]
    fn an_inactive_total_decays_by_200_once_per_14_days() {
        // Seed: 200 points earned 14 days and a minute ago are gone (here by the sweep, not a read).
        let now = at("2030-02-15T03:00:00Z");
        let earned = now - Duration::days(14) - Duration::minutes(1);
        assert!(decay_due(200, Some(earned), None, now));
        assert_eq!(next_total(200, -DECAY_POINTS), 0);
        assert!(
            decay_due(500, Some(now - Duration::days(14)), None, now),
            "exactly 14 days"
        );
        assert!(!decay_due(500, Some(now - Duration::days(13)), None, now));
        // Once decayed at `now`, not again until 14 more days pass (a rerun changes nothing).
        assert!(!decay_due(300, Some(earned), Some(now), now));
        assert!(!decay_due(300, Some(earned), Some(now), now + Duration::days(13)));
        assert!(decay_due(300, Some(earned), Some(now), now + Duration::days(14)));
        assert!(!decay_due(0, Some(earned), None, now), "nothing to take");
    }

    #[test]
    fn recent_activity_holds_off_the_decay() {
        // Seed: 200 old points and 200 new ones read 200 (the old decayed on read); here the
        // new event is activity, so nothing decays and the total is 400.
        let now = at("2030-02-15T03:00:00Z");
        let total = next_total(200, 200);
        assert!(!decay_due(total, Some(now - Duration::hours(1)), None, now));
        assert_eq!(total, 400);
    }
}
