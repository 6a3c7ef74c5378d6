//! User and venue stats (§7): counters that each closed reservation adds to once (atomic `ADD`s
//! by the events worker), and the ratios and alerts read from them. A diner's stats leave out the
//! reservations the venue canceled; a venue's count them all. Weekdays and turns are the
//! venue's local ones, fixed when the reservation closes.

use std::collections::BTreeMap;

use chrono::Weekday;
use serde::{Deserialize, Serialize};

use super::reservation::{ClosedBy, Reservation, ReservationStatus};
use super::values::{weekday_name, SlotTime, Zone};

/// A ratio above this raises its alert.
pub const ALERT_RATIO: f64 = 0.5;

/// A reservation entering a closed state, as the stats count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub status: ReservationStatus,
    pub closed_by: ClosedBy,
    pub people: u32,
    /// The venue-local weekday and time of the reservation.
    pub weekday: Weekday,
    pub turn: SlotTime,
}

impl Outcome {
    /// The outcome of a closed reservation at a venue in `zone`; `None` while it is open.
    pub fn of(reservation: &Reservation, zone: Zone) -> Option<Self> {
        if reservation.status.is_open() {
            return None;
        }
        let local = zone.local(reservation.time);
        Some(Self {
            status: reservation.status,
            closed_by: reservation.closed_by.unwrap_or(ClosedBy::System),
            people: reservation.people,
            weekday: zone.weekday(reservation.time),
            turn: SlotTime::truncating(local.time()),
        })
    }
}

/// A fraction rounded to 2 decimals (0 of nothing).
pub fn ratio(part: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (part as f64 / total as f64 * 100.0).round() / 100.0
}

/// Whether `part / total` is above 0.5, on the exact counts (51 of 101 alerts though it shows
/// as 0.5).
pub fn alert(part: u64, total: u64) -> bool {
    u128::from(part) * 2 > u128::from(total)
}

/// What a diner's stats count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCounters {
    pub total: u64,
    pub canceled: u64,
    pub expired: u64,
}

impl UserCounters {
    /// What `outcome` adds to its diner's counters: nothing for a cancel by the venue.
    pub fn increment(outcome: &Outcome) -> Option<Self> {
        if outcome.status == ReservationStatus::Canceled && outcome.closed_by == ClosedBy::Venue {
            return None;
        }
        Some(Self {
            total: 1,
            canceled: u64::from(outcome.status == ReservationStatus::Canceled),
            expired: u64::from(outcome.status == ReservationStatus::Expired),
        })
    }

    pub fn add(&mut self, other: &Self) {
        self.total += other.total;
        self.canceled += other.canceled;
        self.expired += other.expired;
    }
}

/// Assisted reservations per local weekday: always the seven keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeekdayCounts {
    pub monday: u64,
    pub tuesday: u64,
    pub wednesday: u64,
    pub thursday: u64,
    pub friday: u64,
    pub saturday: u64,
    pub sunday: u64,
}

impl WeekdayCounts {
    pub fn get_mut(&mut self, day: Weekday) -> &mut u64 {
        match day {
            Weekday::Mon => &mut self.monday,
            Weekday::Tue => &mut self.tuesday,
            Weekday::Wed => &mut self.wednesday,
            Weekday::Thu => &mut self.thursday,
            Weekday::Fri => &mut self.friday,
            Weekday::Sat => &mut self.saturday,
            Weekday::Sun => &mut self.sunday,
        }
    }

    pub fn get(&self, day: Weekday) -> u64 {
        match day {
            Weekday::Mon => self.monday,
            Weekday::Tue => self.tuesday,
            Weekday::Wed => self.wednesday,
            Weekday::Thu => self.thursday,
            Weekday::Fri => self.friday,
            Weekday::Sat => self.saturday,
            Weekday::Sun => self.sunday,
        }
    }
}

/// What a venue's stats count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueCounters {
    pub total: u64,
    pub canceled: u64,
    pub expired: u64,
    /// Σ people of Assisted reservations.
    pub people: u64,
    pub days: WeekdayCounts,
    /// Assisted reservations per local `HH:MM` (only turns seen).
    pub turns: BTreeMap<SlotTime, u64>,
}

/// What one outcome adds to its venue's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueIncrement {
    pub canceled: bool,
    pub expired: bool,
    /// For an Assisted reservation: its people, local weekday and turn.
    pub assisted: Option<(u32, Weekday, SlotTime)>,
}

impl VenueIncrement {
    pub fn of(outcome: &Outcome) -> Self {
        Self {
            canceled: outcome.status == ReservationStatus::Canceled,
            expired: outcome.status == ReservationStatus::Expired,
            assisted: (outcome.status == ReservationStatus::Assisted).then_some((
                outcome.people,
                outcome.weekday,
                outcome.turn,
            )),
        }
    }

    /// The stored attribute names of the weekday and turn it adds one to (`days.monday`,
    /// `turns.20:00`), for the counters' `ADD`.
    pub fn day_and_turn_keys(&self) -> Option<(String, String)> {
        self.assisted
            .map(|(_, day, turn)| (format!("days.{}", weekday_name(day)), format!("turns.{turn}")))
    }
}

impl VenueCounters {
    pub fn add(&mut self, increment: &VenueIncrement) {
        self.total += 1;
        self.canceled += u64::from(increment.canceled);
        self.expired += u64::from(increment.expired);
        if let Some((people, day, turn)) = increment.assisted {
            self.people += u64::from(people);
            *self.days.get_mut(day) += 1;
            *self.turns.entry(turn).or_insert(0) += 1;
        }
    }
}

/// `GET /stats/users/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserStats {
    pub user: String,
    pub total: u64,
    pub canceled: f64,
    pub expired: f64,
    pub canceled_alert: bool,
    pub expired_alert: bool,
}

impl UserStats {
    /// Zeros for a diner without history.
    pub fn new(user: &str, counters: &UserCounters) -> Self {
        Self {
            user: user.to_string(),
            total: counters.total,
            canceled: ratio(counters.canceled, counters.total),
            expired: ratio(counters.expired, counters.total),
            canceled_alert: alert(counters.canceled, counters.total),
            expired_alert: alert(counters.expired, counters.total),
        }
    }
}

/// `GET /stats/venues/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VenueStats {
    pub venue: String,
    pub total: u64,
    pub canceled: f64,
    pub expired: f64,
    pub people: u64,
    pub days: WeekdayCounts,
    pub turns: BTreeMap<SlotTime, u64>,
}

impl VenueStats {
    pub fn new(venue: &str, counters: &VenueCounters) -> Self {
        Self {
            venue: venue.to_string(),
            total: counters.total,
            canceled: ratio(counters.canceled, counters.total),
            expired: ratio(counters.expired, counters.total),
            people: counters.people,
            days: counters.days,
            turns: counters.turns.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, reservation};
    use chrono::{DateTime, Duration, Utc};
    use serde_json::json;

    use ReservationStatus::*;

    fn closed(status: ReservationStatus, closed_by: ClosedBy, time: DateTime<Utc>, people: u32) -> Outcome {
        let mut reservation = reservation();
        reservation.status = status;
        reservation.closed_by = Some(closed_by);
        reservation.time = time;
        reservation.people = people;
        Outcome::of(&reservation, Zone::default()).unwrap()
    }

    fn outcome(status: ReservationStatus) -> Outcome {
        closed(status, ClosedBy::User, at("2030-01-06T23:00:00Z"), 4)
    }

    fn venue_stats(outcomes: &[Outcome]) -> VenueStats {
        let mut counters = VenueCounters::default();
        for outcome in outcomes {
            counters.add(&VenueIncrement::of(outcome));
        }
        VenueStats::new("venue-1", &counters)
    }

    fn user_stats(outcomes: &[Outcome]) -> UserStats {
        let mut counters = UserCounters::default();
        for increment in outcomes.iter().filter_map(UserCounters::increment) {
            counters.add(&increment);
        }
        UserStats::new("diner-1", &counters)
    }

    #[test]
    fn open_reservations_are_no_outcome() {
        assert_eq!(Outcome::of(&reservation(), Zone::default()), None);
    }

    #[test]
    fn a_venue_counts_a_canceled_reservation() {
        let stats = venue_stats(&[outcome(Canceled)]);
        assert_eq!((stats.total, stats.canceled, stats.expired), (1, 1.0, 0.0));
    }

    #[test]
    fn a_venue_counts_an_expired_reservation() {
        let stats = venue_stats(&[outcome(Expired)]);
        assert_eq!((stats.total, stats.canceled, stats.expired), (1, 0.0, 1.0));
    }

    #[test]
    fn a_venue_counts_an_assisted_reservation_and_its_people() {
        let stats = venue_stats(&[outcome(Assisted)]);
        assert_eq!(
            (stats.total, stats.canceled, stats.expired, stats.people),
            (1, 0.0, 0.0, 4)
        );
    }

    #[test]
    fn a_venue_counts_every_outcome_and_rounds_ratios() {
        let stats = venue_stats(&[outcome(Assisted), outcome(Canceled), outcome(Expired)]);
        assert_eq!((stats.total, stats.canceled, stats.expired), (3, 0.33, 0.33));
    }

    #[test]
    fn a_venue_adds_up_people_of_assisted_reservations_only() {
        // Seed: assisted 4, assisted 4, canceled → 8 people; assisted 9, expired → 17, total 5.
        let mut outcomes = vec![outcome(Assisted), outcome(Assisted), outcome(Canceled)];
        assert_eq!(venue_stats(&outcomes).people, 8);
        outcomes.push(closed(Assisted, ClosedBy::Venue, at("2030-01-06T23:00:00Z"), 9));
        outcomes.push(closed(Expired, ClosedBy::Venue, at("2030-01-06T23:00:00Z"), 9));
        let stats = venue_stats(&outcomes);
        assert_eq!((stats.total, stats.people), (5, 17));
    }

    #[test]
    fn a_venue_counts_venue_cancels_too() {
        let stats = venue_stats(&[closed(Canceled, ClosedBy::Venue, at("2030-01-06T23:00:00Z"), 2)]);
        assert_eq!((stats.total, stats.canceled), (1, 1.0));
    }

    #[test]
    fn a_venue_counts_one_assisted_reservation_each_local_weekday() {
        // Seed: Sunday 2024-04-14 and the six days after, one each. 20:00 in Buenos Aires is
        // 23:00 UTC, on the same date.
        let start = at("2024-04-14T23:00:00Z");
        let week: Vec<Outcome> = (0..7)
            .map(|i| closed(Assisted, ClosedBy::Venue, start + Duration::days(i), 5))
            .collect();
        let stats = venue_stats(&week);
        assert_eq!(stats.total, 7);
        assert_eq!(
            serde_json::to_value(stats.days).unwrap(),
            json!({"monday": 1, "tuesday": 1, "wednesday": 1, "thursday": 1, "friday": 1, "saturday": 1, "sunday": 1})
        );
    }

    #[test]
    fn weekdays_and_turns_are_the_venues_local_ones() {
        // Seed bug: counted in UTC. 00:30 UTC on Monday is 21:30 on Sunday in Buenos Aires.
        let stats = venue_stats(&[closed(Assisted, ClosedBy::Venue, at("2024-04-15T00:30:00Z"), 2)]);
        assert_eq!(stats.days.get(Weekday::Sun), 1);
        assert_eq!(stats.days.get(Weekday::Mon), 0);
        assert_eq!(serde_json::to_value(&stats.turns).unwrap(), json!({"21:30": 1}));
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        let mut reservation = reservation();
        reservation.status = Assisted;
        reservation.closed_by = Some(ClosedBy::Venue);
        reservation.time = at("2024-04-15T00:30:00Z");
        let outcome = Outcome::of(&reservation, tokyo).unwrap();
        assert_eq!(
            (outcome.weekday, outcome.turn.to_string()),
            (Weekday::Mon, "09:30".into())
        );
    }

    #[test]
    fn a_venue_counts_assisted_reservations_per_turn() {
        // Seed: nine reservations at 20:00, 21:00 and 22:00 in turn: three each.
        let start = at("2024-04-14T23:00:00Z"); // 20:00 local
        let nine: Vec<Outcome> = (0..9)
            .map(|i| closed(Assisted, ClosedBy::Venue, start + Duration::hours(i % 3), 5))
            .collect();
        let stats = venue_stats(&nine);
        assert_eq!(stats.total, 9);
        assert_eq!(
            serde_json::to_value(&stats.turns).unwrap(),
            json!({"20:00": 3, "21:00": 3, "22:00": 3})
        );
        let increment = VenueIncrement::of(&nine[0]);
        assert_eq!(
            increment.day_and_turn_keys(),
            Some(("days.sunday".to_string(), "turns.20:00".to_string()))
        );
        assert_eq!(VenueIncrement::of(&outcome(Expired)).day_and_turn_keys(), None);
    }

    #[test]
    fn a_venue_without_history_has_zeros_and_seven_days() {
        let stats = VenueStats::new("venue-1", &VenueCounters::default());
        assert_eq!(
            serde_json::to_value(&stats).unwrap(),
            json!({"venue": "venue-1", "total": 0, "canceled": 0.0, "expired": 0.0, "people": 0,
                   "days": {"monday": 0, "tuesday": 0, "wednesday": 0, "thursday": 0, "friday": 0,
                            "saturday": 0, "sunday": 0},
                   "turns": {}})
        );
    }

    #[test]
    fn a_diner_counts_a_cancel() {
        let stats = user_stats(&[outcome(Canceled)]);
        assert_eq!((stats.total, stats.canceled, stats.expired), (1, 1.0, 0.0));
    }

    #[test]
    fn a_diner_counts_an_expiry() {
        let stats = user_stats(&[outcome(Expired)]);
        assert_eq!((stats.total, stats.canceled, stats.expired), (1, 0.0, 1.0));
    }

    #[test]
    fn a_diner_counts_a_cancel_and_an_expiry() {
        let stats = user_stats(&[outcome(Canceled), outcome(Expired)]);
        assert_eq!((stats.total, stats.canceled, stats.expired), (2, 0.5, 0.5));
    }

    #[test]
    fn a_diners_stats_leave_out_cancels_by_the_venue() {
        let by_venue = closed(Canceled, ClosedBy::Venue, at("2030-01-06T23:00:00Z"), 2);
        assert_eq!(UserCounters::increment(&by_venue), None);
        let stats = user_stats(&[by_venue, outcome(Assisted)]);
        assert_eq!((stats.total, stats.canceled), (1, 0.0));
    }

    #[test]
    fn half_expired_is_no_alert() {
        // Seed: five expired of ten alerted at a 0.4 threshold; the contract's alert is > 0.5.
        let ten: Vec<Outcome> = (0..10)
            .map(|i| outcome(if i % 2 == 0 { Assisted } else { Expired }))
            .collect();
        let stats = user_stats(&ten);
        assert_eq!(stats.expired, 0.5);
        assert!(!stats.expired_alert);
    }

    #[test]
    fn half_canceled_is_no_alert() {
        let ten: Vec<Outcome> = (0..10)
            .map(|i| outcome(if i % 2 == 0 { Canceled } else { Expired }))
            .collect();
        let stats = user_stats(&ten);
        assert_eq!((stats.canceled, stats.expired), (0.5, 0.5));
        assert!(!stats.canceled_alert && !stats.expired_alert);
    }

    #[test]
    fn more_than_half_expired_alerts() {
        // Seed: 51 expired of 101 alert on expiries and not on cancels.
        let mut outcomes: Vec<Outcome> = (0..100)
            .map(|i| outcome(if i % 2 == 0 { Expired } else { Assisted }))
            .collect();
        outcomes.push(outcome(Expired));
        let stats = user_stats(&outcomes);
        assert_eq!((stats.total, stats.expired), (101, 0.5));
        assert!(stats.expired_alert, "51/101 is above 0.5 though it rounds to 0.5");
        assert!(!stats.canceled_alert);
    }

    #[test]
    fn a_diner_without_history_has_zeros() {
        assert_eq!(
            serde_json::to_value(UserStats::new("diner-1", &UserCounters::default())).unwrap(),
            json!({"user": "diner-1", "total": 0, "canceled": 0.0, "expired": 0.0,
                   "canceled_alert": false, "expired_alert": false})
        );
    }

    #[test]
    fn ratios_round_to_two_decimals() {
        assert_eq!(ratio(1, 3), 0.33);
        assert_eq!(ratio(2, 3), 0.67);
        assert_eq!(ratio(0, 0), 0.0);
        assert!(alert(2, 3));
        assert!(!alert(1, 2));
        assert!(!alert(0, 0));
    }
}
