//! When a table can be booked (§4.1 steps 3–5, §4.4) and how seats are held (the capacity
//! invariant of §4.1): a reservation starts exactly at one of the venue's local slots, on a local
//! date that is not a vacation, no sooner than the lead time and no later than 90 days; the seats
//! of one slot start instant are counted together, Unconfirmed, Accepted and Assisted alike.

use andes_shared::http::ApiError;
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::values::{date_text, time_secs, SlotTime, Zone};
use super::venue::{Venue, VenueStatus};

/// How far ahead a reservation may be, from now.
pub const HORIZON_DAYS: i64 = 90;

pub const TIME_IN_PAST: &str = "Time must be in the future";
pub const BEYOND_HORIZON: &str = "Reservations can be made at most 90 days ahead";
pub const ON_VACATION: &str = "The venue is on vacation that day";
pub const NOT_A_SLOT: &str = "Time is not one of the venue's slots";
pub const ALREADY_BOOKED: &str = "You already have a reservation at that time";
pub const NOT_ENOUGH_CAPACITY: &str = "Not enough capacity for that time";

/// "Reservations must be made at least {n} days ahead".
pub fn too_soon(lead_days: u32) -> String {
    format!("Reservations must be made at least {lead_days} days ahead")
}

/// "people must be between 1 and {capacity}".
pub fn people_out_of_range(capacity: u32) -> String {
    format!("people must be between 1 and {capacity}")
}

/// 409 of step 6: the diner holds another open reservation at the same instant, at any venue.
pub fn already_booked() -> ApiError {
    ApiError::Conflict(ALREADY_BOOKED.into())
}

/// 409 of step 7: the slot has fewer free seats than asked.
pub fn not_enough_capacity() -> ApiError {
    ApiError::Conflict(NOT_ENOUGH_CAPACITY.into())
}

/// Step 4: `1 ≤ people ≤ capacity`.
pub fn check_people(venue: &Venue, people: u32) -> Result<(), ApiError> {
    if (1..=venue.capacity).contains(&people) {
        Ok(())
    } else {
        Err(ApiError::invalid("people", people_out_of_range(venue.capacity)))
    }
}

/// The instant slot `slot` of local date `date` starts at the venue (the first one when clocks
/// go back; `None` when they jump over it).
pub fn slot_start(venue: &Venue, date: NaiveDate, slot: SlotTime) -> Option<DateTime<Utc>> {
    venue.timezone.instant(date, slot.time())
}

/// The local slot `time` is the start of: its local time is on the minute, one of the venue's
/// slots, and `time` is that local time's (first) instant.
pub fn slot_of(venue: &Venue, time: DateTime<Utc>) -> Option<SlotTime> {
    let local = venue.timezone.local(time);
    let slot = SlotTime::of(local.time()).filter(|slot| venue.has_slot(*slot))?;
    (slot_start(venue, local.date(), slot) == Some(time)).then_some(slot)
}

/// Step 5, in the contract's order: in the future, at most 90 days ahead, not before the lead
/// time (in local days), not on a vacation, at a slot. The first failure is the 422 on `time`.
pub fn check_time(venue: &Venue, time: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ApiError> {
    time_problem(venue, time, now).map_or(Ok(()), |message| Err(ApiError::invalid("time", message)))
}

fn time_problem(venue: &Venue, time: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    if time <= now {
        return Some(TIME_IN_PAST.into());
    }
    if time > now + Duration::days(HORIZON_DAYS) {
        return Some(BEYOND_HORIZON.into());
    }
    let zone: Zone = venue.timezone;
    let date = zone.date(time);
    let earliest = zone
        .date(now)
        .checked_add_days(Days::new(venue.reservation_lead_time.into()));
    if earliest.is_none_or(|earliest| date < earliest) {
        return Some(too_soon(venue.reservation_lead_time));
    }
    if venue.is_vacation(date) {
        return Some(ON_VACATION.into());
    }
    if slot_of(venue, time).is_none() {
        return Some(NOT_A_SLOT.into());
    }
    None
}

/// Steps 3 to 5 of a new reservation, in order: the venue is not `Closed` (409), the people fit
/// its capacity (422 `people`), the time is bookable (422 `time`).
pub fn check_booking(venue: &Venue, time: DateTime<Utc>, people: u32, now: DateTime<Utc>) -> Result<(), ApiError> {
    venue.check_open()?;
    check_people(venue, people)?;
    check_time(venue, time, now)
}

/// Steps 4 and 5 of a diner's change of time or people, on the values the reservation would
/// have after it (an unchanged time is checked again: it must still be bookable).
pub fn check_change(venue: &Venue, time: DateTime<Utc>, people: u32, now: DateTime<Utc>) -> Result<(), ApiError> {
    check_people(venue, people)?;
    check_time(venue, time, now)
}

/// Whether `people` more seats fit a slot holding `booked` under `capacity` (the condition of the
/// slot counter's write; with a lowered capacity, existing seats stay and new ones wait).
pub fn fits(booked: u32, people: u32, capacity: u32) -> bool {
    u64::from(booked) + u64::from(people) <= u64::from(capacity)
}

/// One write to a slot's seat counter: `delta` seats at `start`; a positive delta is
/// conditioned on the room left ([`fits`]), a release never is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatMove {
    pub start: DateTime<Utc>,
    pub delta: i64,
}

impl SeatMove {
    pub fn needs_room(&self) -> bool {
        self.delta > 0
    }
}

/// The counter writes that move a reservation's seats from `(start, people)` to another
/// `(start, people)`: one write on the same slot (none when nothing changes), else a release of
/// the old slot and a take on the new one, in one transaction with the reservation.
pub fn seat_moves(from: (DateTime<Utc>, u32), to: (DateTime<Utc>, u32)) -> Vec<SeatMove> {
    let ((old_start, old_people), (new_start, new_people)) = (from, to);
    if old_start == new_start {
        let delta = i64::from(new_people) - i64::from(old_people);
        return (delta != 0)
            .then_some(SeatMove {
                start: new_start,
                delta,
            })
            .into_iter()
            .collect();
    }
    vec![
        SeatMove {
            start: old_start,
            delta: -i64::from(old_people),
        },
        SeatMove {
            start: new_start,
            delta: i64::from(new_people),
        },
    ]
}

/// One slot of `GET /venues/{id}/availability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SlotAvailability {
    pub time: SlotTime,
    #[serde(with = "time_secs")]
    pub start: DateTime<Utc>,
    pub booked: u32,
    pub available: u32,
    pub bookable: bool,
}

/// `GET /venues/{id}/availability?date=` (§4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Availability {
    pub venue: String,
    #[schema(format = Date)]
    pub date: String,
    pub timezone: Zone,
    pub capacity: u32,
    pub slots: Vec<SlotAvailability>,
}

/// The availability of each slot of local date `date`, with `booked(start)` the seats held at a
/// slot start. `bookable`: a seat is free, the venue is not `Closed` and the start passes step 5
/// as of `now`. A slot time that the date skips (clocks jumping forward) is left out.
pub fn availability(
    venue: &Venue,
    date: NaiveDate,
    booked: impl Fn(DateTime<Utc>) -> u32,
    now: DateTime<Utc>,
) -> Availability {
    let slots = venue
        .slots
        .iter()
        .filter_map(|slot| {
            let start = slot_start(venue, date, *slot)?;
            let booked = booked(start);
            let available = venue.capacity.saturating_sub(booked);
            let bookable =
                available > 0 && venue.status != VenueStatus::Closed && time_problem(venue, start, now).is_none();
            Some(SlotAvailability {
                time: *slot,
                start,
                booked,
                available,
                bookable,
            })
        })
        .collect();
    Availability {
        venue: venue.id.clone(),
        date: date_text(date),
        timezone: venue.timezone,
        capacity: venue.capacity,
        slots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, detail, problems, venue};
    use crate::domain::values::parse_date;
    use crate::domain::venue::VenueAction;
    use serde_json::json;

    /// Saturday 2030-01-05 12:00 in Buenos Aires.
    const NOW: &str = "2030-01-05T15:00:00Z";

    fn time_error(venue: &Venue, time: &str) -> Option<String> {
        check_time(venue, at(time), at(NOW)).err().map(|error| {
            let found = problems(error);
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].0, "time");
            found[0].1.clone()
        })
    }

    #[test]
    fn a_slot_in_the_venues_zone_is_bookable() {
        let venue = venue(); // slots 20:00, 21:30 in Buenos Aires, lead 1 day
        assert_eq!(time_error(&venue, "2030-01-06T23:00:00Z"), None); // Jan 6th 20:00 local
        assert_eq!(time_error(&venue, "2030-01-07T00:30:00Z"), None); // Jan 6th 21:30 local
        assert_eq!(time_error(&venue, "2030-01-06T20:00:00-03:00"), None);
        assert_eq!(time_error(&venue, "2030-01-06T20:00:00Z").as_deref(), Some(NOT_A_SLOT));
    }

    #[test]
    fn a_slot_is_on_the_minute() {
        let venue = venue();
        assert_eq!(time_error(&venue, "2030-01-06T23:00:01Z").as_deref(), Some(NOT_A_SLOT));
        assert_eq!(
            time_error(&venue, "2030-01-06T23:00:00.5Z").as_deref(),
            Some(NOT_A_SLOT)
        );
        assert_eq!(time_error(&venue, "2030-01-06T23:30:00Z").as_deref(), Some(NOT_A_SLOT));
    }

    #[test]
    fn the_time_checks_come_in_the_contracts_order() {
        let mut venue = venue();
        venue.reservation_lead_time = 2;
        venue.vacations = vec![parse_date("2030-01-08").unwrap()];
        assert_eq!(time_error(&venue, NOW).as_deref(), Some(TIME_IN_PAST));
        assert_eq!(
            time_error(&venue, "2030-01-05T14:00:00Z").as_deref(),
            Some(TIME_IN_PAST)
        );
        // 90 days is checked before the slot: 91 days ahead off-slot still says the horizon.
        assert_eq!(
            time_error(&venue, "2030-04-06T15:00:01Z").as_deref(),
            Some(BEYOND_HORIZON)
        );
        // Tomorrow (local) is before the 2-day lead time, slot or not.
        assert_eq!(
            time_error(&venue, "2030-01-06T23:00:00Z"),
            Some("Reservations must be made at least 2 days ahead".into())
        );
        assert_eq!(time_error(&venue, "2030-01-07T23:00:00Z"), None);
        assert_eq!(time_error(&venue, "2030-01-08T23:00:00Z").as_deref(), Some(ON_VACATION));
        assert_eq!(time_error(&venue, "2030-01-09T23:00:01Z").as_deref(), Some(NOT_A_SLOT));
    }

    #[test]
    fn the_horizon_is_90_days_from_now() {
        let mut venue = venue();
        venue.slots = vec![SlotTime::parse("12:00").unwrap()];
        // 2030-04-05 12:00 local is exactly 90 days after NOW.
        assert_eq!(time_error(&venue, "2030-04-05T15:00:00Z"), None);
        assert_eq!(
            time_error(&venue, "2030-04-06T15:00:00Z").as_deref(),
            Some(BEYOND_HORIZON)
        );
    }

    #[test]
    fn lead_time_and_vacations_count_local_days() {
        let mut venue = venue();
        venue.reservation_lead_time = 1;
        // 23:30 local on Jan 5th is 02:30 UTC on the 6th: still "today" for the venue.
        venue.slots = vec![SlotTime::parse("23:30").unwrap()];
        assert_eq!(time_error(&venue, "2030-01-06T02:30:00Z"), Some(too_soon(1)));
        assert_eq!(time_error(&venue, "2030-01-07T02:30:00Z"), None);
        venue.vacations = vec![parse_date("2030-01-06").unwrap()];
        assert_eq!(time_error(&venue, "2030-01-07T02:30:00Z").as_deref(), Some(ON_VACATION));
        venue.reservation_lead_time = 0;
        venue.vacations.clear();
        assert_eq!(time_error(&venue, "2030-01-06T02:30:00Z"), None, "lead 0: later today");
    }

    #[test]
    fn a_repeated_local_time_is_booked_at_its_first_instant() {
        let mut venue = venue();
        venue.timezone = Zone::parse("Europe/Madrid").unwrap();
        venue.reservation_lead_time = 0;
        venue.slots = vec![SlotTime::parse("02:30").unwrap()];
        let now = at("2030-10-20T00:00:00Z");
        let ok = |time: &str| check_time(&venue, at(time), now).is_ok();
        assert!(ok("2030-10-27T00:30:00Z"), "02:30 CEST");
        assert!(!ok("2030-10-27T01:30:00Z"), "02:30 CET, the second one");
        let spring = at("2030-03-25T00:00:00Z");
        assert_eq!(
            problems(check_time(&venue, at("2030-03-31T01:30:00Z"), spring).unwrap_err())[0].1,
            NOT_A_SLOT,
            "03:30 CEST: 02:30 is skipped that day"
        );
        assert!(
            check_time(&venue, at("2030-03-30T01:30:00Z"), spring).is_ok(),
            "02:30 CET the day before"
        );
    }

    #[test]
    fn people_fit_between_one_and_the_capacity() {
        let venue = venue(); // capacity 40
        assert!(check_people(&venue, 1).is_ok());
        assert!(check_people(&venue, 40).is_ok());
        for bad in [0, 41, u32::MAX] {
            assert_eq!(
                problems(check_people(&venue, bad).unwrap_err()),
                [("people".to_string(), "people must be between 1 and 40".to_string())],
                "{bad}"
            );
        }
    }

    #[test]
    fn a_booking_checks_closed_then_people_then_time() {
        let mut venue = venue();
        let slot = at("2030-01-06T23:00:00Z");
        assert!(check_booking(&venue, slot, 2, at(NOW)).is_ok());
        let both_wrong = check_booking(&venue, at(NOW), 0, at(NOW)).unwrap_err();
        assert_eq!(problems(both_wrong)[0].0, "people");
        venue.act(VenueAction::Close, at(NOW));
        let closed = check_booking(&venue, at(NOW), 0, at(NOW)).unwrap_err();
        assert_eq!(closed.status().as_u16(), 409);
        assert_eq!(detail(&closed), "Venue is closed");
        // A change is not a new reservation: a closed venue does not refuse it.
        assert!(check_change(&venue, slot, 3, at(NOW)).is_ok());
        assert_eq!(
            problems(check_change(&venue, at(NOW), 3, at(NOW)).unwrap_err())[0].0,
            "time"
        );
    }

    #[test]
    fn seats_fit_under_the_capacity() {
        assert!(fits(0, 3, 3));
        assert!(fits(7, 3, 10));
        assert!(!fits(8, 3, 10));
        // Capacity lowered under what is held: existing seats stay, new ones are refused.
        assert!(!fits(12, 1, 10));
        assert!(fits(u32::MAX, 0, u32::MAX));
    }

    #[test]
    fn racers_for_the_last_seats_win_only_while_they_fit() {
        // Ten diners race for 3 seats one at a time: exactly 3 win.
        let (capacity, mut booked) = (3, 0);
        let wins = (0..10)
            .filter(|_| {
                let won = fits(booked, 1, capacity);
                if won {
                    booked += 1;
                }
                won
            })
            .count();
        assert_eq!((wins, booked), (3, 3));
    }

    #[test]
    fn seats_move_with_a_change_of_time_or_people() {
        let (a, b) = (at("2030-01-06T23:00:00Z"), at("2030-01-07T00:30:00Z"));
        assert_eq!(seat_moves((a, 2), (a, 2)), []);
        assert_eq!(seat_moves((a, 2), (a, 5)), [SeatMove { start: a, delta: 3 }]);
        assert!(seat_moves((a, 2), (a, 5))[0].needs_room());
        assert_eq!(seat_moves((a, 5), (a, 2)), [SeatMove { start: a, delta: -3 }]);
        assert!(!seat_moves((a, 5), (a, 2))[0].needs_room());
        assert_eq!(
            seat_moves((a, 2), (b, 4)),
            [SeatMove { start: a, delta: -2 }, SeatMove { start: b, delta: 4 }]
        );
    }

    #[test]
    fn availability_lists_every_slot_of_the_local_date() {
        let venue = venue(); // capacity 40, lead 1
        let date = parse_date("2030-01-06").unwrap();
        let first = at("2030-01-06T23:00:00Z");
        let booked = |start: DateTime<Utc>| if start == first { 37 } else { 40 };
        let answer = availability(&venue, date, booked, at(NOW));
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({"venue": venue.id, "date": "2030-01-06", "timezone": "America/Argentina/Buenos_Aires",
            "capacity": 40, "slots": [
                {"time": "20:00", "start": "2030-01-06T23:00:00Z", "booked": 37, "available": 3, "bookable": true},
                {"time": "21:30", "start": "2030-01-07T00:30:00Z", "booked": 40, "available": 0, "bookable": false}
            ]})
        );
    }

    #[test]
    fn availability_says_why_nothing_is_bookable() {
        let mut venue = venue();
        let free = |_: DateTime<Utc>| 0;
        let bookable = |venue: &Venue, date: &str| -> Vec<bool> {
            availability(venue, parse_date(date).unwrap(), free, at(NOW))
                .slots
                .iter()
                .map(|slot| slot.bookable)
                .collect()
        };
        assert_eq!(bookable(&venue, "2030-01-06"), [true, true]);
        assert_eq!(bookable(&venue, "2030-01-05"), [false, false], "lead time");
        assert_eq!(bookable(&venue, "2030-01-01"), [false, false], "past");
        assert_eq!(bookable(&venue, "2030-06-01"), [false, false], "beyond 90 days");
        venue.vacations = vec![parse_date("2030-01-07").unwrap()];
        assert_eq!(bookable(&venue, "2030-01-07"), [false, false], "vacation");
        venue.act(VenueAction::Close, at(NOW));
        assert_eq!(bookable(&venue, "2030-01-06"), [false, false], "closed");
        // Over capacity (capacity lowered): available is 0, never negative.
        venue.act(VenueAction::Open, at(NOW));
        venue.capacity = 2;
        let full = availability(&venue, parse_date("2030-01-06").unwrap(), |_| 5, at(NOW));
        assert_eq!((full.slots[0].booked, full.slots[0].available), (5, 0));
    }

    #[test]
    fn availability_leaves_out_a_slot_the_clocks_skip() {
        let mut venue = venue();
        venue.timezone = Zone::parse("Europe/Madrid").unwrap();
        venue.slots = vec![SlotTime::parse("02:30").unwrap(), SlotTime::parse("20:00").unwrap()];
        let answer = availability(
            &venue,
            parse_date("2030-03-31").unwrap(),
            |_| 0,
            at("2030-03-01T00:00:00Z"),
        );
        let times: Vec<String> = answer.slots.iter().map(|s| s.time.to_string()).collect();
        assert_eq!(times, ["20:00"]);
        assert_eq!(answer.slots[0].start, at("2030-03-31T18:00:00Z"));
    }

    #[test]
    fn refusals_of_steps_6_and_7_are_409s() {
        assert_eq!(already_booked().status().as_u16(), 409);
        assert_eq!(detail(&already_booked()), "You already have a reservation at that time");
        assert_eq!(detail(&not_enough_capacity()), "Not enough capacity for that time");
    }
}
