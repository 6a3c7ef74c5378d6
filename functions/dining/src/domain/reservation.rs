//! Reservations (§4) and their state machine (§4.2): what a diner, a venue owner or the expiry
//! schedule may do to a reservation, with every refusal and its exact message. Closed states
//! (Canceled, Assisted, Expired) are final; only the venue advances; a diner's "back" on an
//! Accepted reservation is a cancel; values equal to the current ones are no change.

use andes_shared::http::ApiError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::access::Actor;
use super::values::{new_id, time_secs, whole_seconds};

pub const RESERVATION_NOT_FOUND: &str = "Reservation does not exist";
pub const ONLY_VENUE_ADVANCES: &str = "Only the venue can advance a reservation";
pub const ONLY_DINER_CHANGES: &str = "Only the diner can change time or people";
pub const ACTION_WITH_CHANGE: &str = "cancel or advance_forward cannot be combined with a change of time or people";
pub const ALREADY_CLOSED: &str = "Reservation is already closed";
/// `DELETE /reservations/{id}` by the venue owner (the contract fixes the 403, not its text).
pub const ONLY_DINER_DELETES: &str = "Only the diner can delete a reservation; the venue cancels with PATCH";

/// An Accepted reservation expires this long after its time (§5).
pub const EXPIRY_GRACE_MINUTES: i64 = 15;

/// 404 of an unknown reservation, or one the caller neither made nor hosts.
pub fn reservation_not_found() -> ApiError {
    ApiError::NotFound(RESERVATION_NOT_FOUND.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum ReservationStatus {
    /// Correctly spelled; the seed's wire value was `Uncomfirmed`.
    Unconfirmed,
    Accepted,
    Assisted,
    Canceled,
    Expired,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 5] = [
        Self::Unconfirmed,
        Self::Accepted,
        Self::Assisted,
        Self::Canceled,
        Self::Expired,
    ];
    /// The statuses of `GET /reservations/history`.
    pub const CLOSED: [ReservationStatus; 3] = [Self::Canceled, Self::Assisted, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconfirmed => "Unconfirmed",
            Self::Accepted => "Accepted",
            Self::Assisted => "Assisted",
            Self::Canceled => "Canceled",
            Self::Expired => "Expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// Unconfirmed or Accepted: still to happen (blocks the diner's instant and a venue delete).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Unconfirmed | Self::Accepted)
    }

    /// Canceled, Assisted or Expired: final.
    pub fn is_closed(self) -> bool {
        !self.is_open()
    }

    /// Whether its seats count against the slot's capacity (Canceled and Expired release them).
    pub fn holds_seats(self) -> bool {
        matches!(self, Self::Unconfirmed | Self::Accepted | Self::Assisted)
    }
}

/// Who moved a reservation into a closed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClosedBy {
    /// The diner.
    User,
    Venue,
    /// The expiry schedule.
    System,
}

/// A reservation as §4 writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reservation {
    pub id: String,
    /// The diner's account id.
    pub user: String,
    pub venue: String,
    /// The slot's start.
    #[serde(with = "time_secs")]
    pub time: DateTime<Utc>,
    pub people: u32,
    pub status: ReservationStatus,
    #[schema(required = true)]
    pub closed_by: Option<ClosedBy>,
    #[serde(with = "time_secs")]
    pub created: DateTime<Utc>,
    #[serde(with = "time_secs")]
    pub updated: DateTime<Utc>,
}

impl Reservation {
    /// A new `Unconfirmed` reservation with a fresh UUIDv7 (after §4.1's checks passed).
    pub fn new(user: &str, venue: &str, time: DateTime<Utc>, people: u32, now: DateTime<Utc>) -> Self {
        let now = whole_seconds(now);
        Self {
            id: new_id(),
            user: user.to_string(),
            venue: venue.to_string(),
            time,
            people,
            status: ReservationStatus::Unconfirmed,
            closed_by: None,
            created: now,
            updated: now,
        }
    }

    /// The reservation after `decision`, as of `now` (unchanged for [`Decision::Unchanged`]).
    pub fn after(&self, decision: &Decision, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        match *decision {
            Decision::Unchanged => return next,
            Decision::Accept => next.status = ReservationStatus::Accepted,
            Decision::Close { status, closed_by } => {
                next.status = status;
                next.closed_by = Some(closed_by);
            }
            Decision::Modify { time, people } => {
                next.time = time;
                next.people = people;
                next.status = ReservationStatus::Unconfirmed;
            }
        }
        next.updated = whole_seconds(now);
        next
    }
}

/// A valid `PATCH /reservations/{id}` body. `people` is kept as sent (saturated into `u32`): its
/// range is step 4's, checked against the venue only when it is an actual change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationChange {
    pub advance_forward: Option<bool>,
    pub cancel: bool,
    pub time: Option<DateTime<Utc>>,
    pub people: Option<u32>,
}

impl ReservationChange {
    /// The diner's `DELETE` (same as `{"cancel": true}`).
    pub fn cancel() -> Self {
        Self {
            cancel: true,
            ..Self::default()
        }
    }

    fn is_action(&self) -> bool {
        self.cancel || self.advance_forward.is_some()
    }
}

/// What a request does to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to write (no action, and time and people as they are).
    Unchanged,
    /// Unconfirmed → Accepted, by the venue.
    Accept,
    /// Into a closed state.
    Close {
        status: ReservationStatus,
        closed_by: ClosedBy,
    },
    /// The diner's actual change of time and/or people: back to Unconfirmed, once §4.1 steps
    /// 4–7 pass on the new values (`slots::check_change`, then the seats and the diner's instant).
    Modify { time: DateTime<Utc>, people: u32 },
}

/// The decision on `change` by `actor` (§4.2), or its refusal, in this order: an action combined
/// with an actual change (422), a closed reservation (409), the actor's refusals (403).
pub fn decide(reservation: &Reservation, actor: Actor, change: &ReservationChange) -> Result<Decision, ApiError> {
    let time = change.time.filter(|time| *time != reservation.time);
    let people = change.people.filter(|people| *people != reservation.people);
    let changes = time.is_some() || people.is_some();
    if change.is_action() && changes {
        let field = if change.cancel { "cancel" } else { "advance_forward" };
        return Err(ApiError::invalid(field, ACTION_WITH_CHANGE));
    }
    if reservation.status.is_closed() {
        return Err(ApiError::Conflict(ALREADY_CLOSED.into()));
    }
    let close = |status, closed_by| Ok(Decision::Close { status, closed_by });
    match actor {
        Actor::Diner => {
            if change.cancel || change.advance_forward == Some(false) {
                return close(ReservationStatus::Canceled, ClosedBy::User);
            }
            if change.advance_forward == Some(true) {
                return Err(ApiError::Forbidden(ONLY_VENUE_ADVANCES.into()));
            }
            if changes {
                return Ok(Decision::Modify {
                    time: time.unwrap_or(reservation.time),
                    people: people.unwrap_or(reservation.people),
                });
            }
            Ok(Decision::Unchanged)
        }
        Actor::VenueOwner => {
            if changes {
                return Err(ApiError::Forbidden(ONLY_DINER_CHANGES.into()));
            }
            if change.cancel {
                return close(ReservationStatus::Canceled, ClosedBy::Venue);
            }
            match (reservation.status, change.advance_forward) {
                (_, None) => Ok(Decision::Unchanged),
                (ReservationStatus::Unconfirmed, Some(true)) => Ok(Decision::Accept),
                (ReservationStatus::Unconfirmed, Some(false)) => close(ReservationStatus::Canceled, ClosedBy::Venue),
                // Accepted: the diner came, or did not (a no-show).
                (_, Some(true)) => close(ReservationStatus::Assisted, ClosedBy::Venue),
                (_, Some(false)) => close(ReservationStatus::Expired, ClosedBy::Venue),
            }
        }
    }
}

/// `DELETE /reservations/{id}`: the diner cancels; the venue owner is refused (403).
pub fn decide_delete(reservation: &Reservation, actor: Actor) -> Result<Decision, ApiError> {
    match actor {
        Actor::Diner => decide(reservation, actor, &ReservationChange::cancel()),
        Actor::VenueOwner => Err(ApiError::Forbidden(ONLY_DINER_DELETES.into())),
    }
}

/// The expiry sweep (§5) as of the scheduled event's time: an Accepted reservation whose time is
/// at least 15 minutes past expires (`system`); anything else is left alone (Unconfirmed ones
/// too, as in the seed).
pub fn expiry(reservation: &Reservation, now: DateTime<Utc>) -> Option<Decision> {
    let due = reservation.time + Duration::minutes(EXPIRY_GRACE_MINUTES) <= now;
    (reservation.status == ReservationStatus::Accepted && due).then_some(Decision::Close {
        status: ReservationStatus::Expired,
        closed_by: ClosedBy::System,
    })
}

/// The filters of `GET /reservations` and `GET /me/venue/reservations` (§4.5), all inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationFilter {
    /// Any of these; empty: any status.
    pub statuses: Vec<ReservationStatus>,
    /// The diner's list only.
    pub venue: Option<String>,
    pub from_time: Option<DateTime<Utc>>,
    pub to_time: Option<DateTime<Utc>>,
    pub from_people: Option<u32>,
    pub to_people: Option<u32>,
}

impl ReservationFilter {
    pub fn matches(&self, reservation: &Reservation) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&reservation.status))
            && self.venue.as_ref().is_none_or(|venue| *venue == reservation.venue)
            && self.from_time.is_none_or(|from| reservation.time >= from)
            && self.to_time.is_none_or(|to| reservation.time <= to)
            && self.from_people.is_none_or(|from| reservation.people >= from)
            && self.to_people.is_none_or(|to| reservation.people <= to)
    }
}

/// The order of reservation lists: `time` descending, then id (descending too: the indexes'
/// sort key is `{time}#{id}`, read backwards).
pub fn list_order(a: &Reservation, b: &Reservation) -> std::cmp::Ordering {
    b.time.cmp(&a.time).then_with(|| b.id.cmp(&a.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, detail, problems, reservation};
    use serde_json::json;

    use ReservationStatus::*;

    fn in_status(status: ReservationStatus) -> Reservation {
        let mut reservation = reservation();
        reservation.status = status;
        reservation
    }

    fn advance(forward: bool) -> ReservationChange {
        ReservationChange {
            advance_forward: Some(forward),
            ..ReservationChange::default()
        }
    }

    fn people(people: u32) -> ReservationChange {
        ReservationChange {
            people: Some(people),
            ..ReservationChange::default()
        }
    }

    fn status_after(
        status: ReservationStatus,
        actor: Actor,
        change: ReservationChange,
    ) -> (ReservationStatus, Option<ClosedBy>) {
        let reservation = in_status(status);
        let decision = decide(&reservation, actor, &change).unwrap();
        let next = reservation.after(&decision, at("2030-01-05T16:00:00Z"));
        (next.status, next.closed_by)
    }

    fn refusal(status: ReservationStatus, actor: Actor, change: ReservationChange) -> (u16, String) {
        let error = decide(&in_status(status), actor, &change).unwrap_err();
        (error.status().as_u16(), detail(&error))
    }

    #[test]
    fn a_new_reservation_is_unconfirmed() {
        let reservation = Reservation::new(
            "diner-1",
            "venue-1",
            at("2030-01-06T23:00:00Z"),
            5,
            at("2030-01-05T15:00:00.7Z"),
        );
        assert_eq!(reservation.status, Unconfirmed);
        assert_eq!(reservation.closed_by, None);
        assert_eq!(reservation.created, at("2030-01-05T15:00:00Z"));
        assert_eq!(uuid::Uuid::parse_str(&reservation.id).unwrap().get_version_num(), 7);
    }

    #[test]
    fn the_venue_accepts_an_unconfirmed_reservation() {
        assert_eq!(
            status_after(Unconfirmed, Actor::VenueOwner, advance(true)),
            (Accepted, None)
        );
    }

    #[test]
    fn the_venue_declining_an_unconfirmed_reservation_cancels_it() {
        assert_eq!(
            status_after(Unconfirmed, Actor::VenueOwner, advance(false)),
            (Canceled, Some(ClosedBy::Venue))
        );
        assert_eq!(
            status_after(Unconfirmed, Actor::VenueOwner, ReservationChange::cancel()),
            (Canceled, Some(ClosedBy::Venue))
        );
    }

    #[test]
    fn the_venue_marks_an_accepted_reservation_assisted_no_show_or_canceled() {
        assert_eq!(
            status_after(Accepted, Actor::VenueOwner, advance(true)),
            (Assisted, Some(ClosedBy::Venue))
        );
        assert_eq!(
            status_after(Accepted, Actor::VenueOwner, advance(false)),
            (Expired, Some(ClosedBy::Venue))
        );
        assert_eq!(
            status_after(Accepted, Actor::VenueOwner, ReservationChange::cancel()),
            (Canceled, Some(ClosedBy::Venue))
        );
    }

    #[test]
    fn the_diner_cancels_by_cancel_or_going_back_even_when_accepted() {
        for status in [Unconfirmed, Accepted] {
            assert_eq!(
                status_after(status, Actor::Diner, ReservationChange::cancel()),
                (Canceled, Some(ClosedBy::User))
            );
            assert_eq!(
                status_after(status, Actor::Diner, advance(false)),
                (Canceled, Some(ClosedBy::User)),
                "seed bug: going back on Accepted was an expiry"
            );
            let decision = decide_delete(&in_status(status), Actor::Diner).unwrap();
            assert_eq!(
                decision,
                Decision::Close {
                    status: Canceled,
                    closed_by: ClosedBy::User
                }
            );
        }
    }

    #[test]
    fn the_diner_cannot_accept() {
        // Seed: "the user cannot accept through an update"; here it says so (403).
        for status in [Unconfirmed, Accepted] {
            assert_eq!(
                refusal(status, Actor::Diner, advance(true)),
                (403, "Only the venue can advance a reservation".into())
            );
        }
    }

    #[test]
    fn a_change_of_people_or_time_makes_it_unconfirmed_again() {
        assert_eq!(status_after(Unconfirmed, Actor::Diner, people(3)), (Unconfirmed, None));
        assert_eq!(status_after(Accepted, Actor::Diner, people(3)), (Unconfirmed, None));
        let reservation = in_status(Accepted);
        let later = at("2030-01-07T23:00:00Z");
        let change = ReservationChange {
            time: Some(later),
            ..ReservationChange::default()
        };
        let decision = decide(&reservation, Actor::Diner, &change).unwrap();
        assert_eq!(decision, Decision::Modify { time: later, people: 2 });
        let next = reservation.after(&decision, at("2030-01-05T16:00:00Z"));
        assert_eq!((next.time, next.people, next.status), (later, 2, Unconfirmed));
        assert_eq!(next.updated, at("2030-01-05T16:00:00Z"));
    }

    #[test]
    fn resending_the_current_values_is_no_change() {
        // Seed bug: its web client resent time and people with every action, which reset the
        // status, so a venue could never accept.
        let reservation = in_status(Unconfirmed); // 2 people at 2030-01-06T23:00:00Z
        let same = ReservationChange {
            advance_forward: Some(true),
            time: Some(at("2030-01-06T20:00:00-03:00")),
            people: Some(2),
            ..ReservationChange::default()
        };
        assert_eq!(
            decide(&reservation, Actor::VenueOwner, &same).unwrap(),
            Decision::Accept
        );
        let nothing = ReservationChange {
            time: Some(reservation.time),
            people: Some(2),
            ..ReservationChange::default()
        };
        assert_eq!(
            decide(&reservation, Actor::Diner, &nothing).unwrap(),
            Decision::Unchanged
        );
        assert_eq!(
            decide(&reservation, Actor::VenueOwner, &nothing).unwrap(),
            Decision::Unchanged
        );
        assert_eq!(
            decide(&reservation, Actor::Diner, &ReservationChange::default()).unwrap(),
            Decision::Unchanged
        );
        assert_eq!(
            reservation.after(&Decision::Unchanged, at("2031-01-01T00:00:00Z")),
            reservation
        );
    }

    #[test]
    fn the_venue_cannot_change_time_or_people() {
        assert_eq!(
            refusal(Unconfirmed, Actor::VenueOwner, people(4)),
            (403, "Only the diner can change time or people".into())
        );
    }

    #[test]
    fn an_action_cannot_come_with_a_change() {
        let mut change = people(4);
        change.cancel = true;
        let error = decide(&in_status(Unconfirmed), Actor::Diner, &change).unwrap_err();
        assert_eq!(
            problems(error),
            [("cancel".to_string(), ACTION_WITH_CHANGE.to_string())]
        );
        let mut change = people(4);
        change.advance_forward = Some(true);
        for actor in [Actor::Diner, Actor::VenueOwner] {
            let error = decide(&in_status(Accepted), actor, &change).unwrap_err();
            assert_eq!(
                problems(error),
                [("advance_forward".to_string(), ACTION_WITH_CHANGE.to_string())]
            );
        }
        // `cancel: false` is no action.
        let mut change = people(4);
        change.cancel = false;
        assert!(decide(&in_status(Unconfirmed), Actor::Diner, &change).is_ok());
    }

    #[test]
    fn closed_reservations_are_final() {
        // Seed bug: a cancel or a time change revived them, and re-awarded points each time.
        let requests = [
            advance(true),
            advance(false),
            ReservationChange::cancel(),
            people(3),
            ReservationChange::default(),
        ];
        for status in ReservationStatus::CLOSED {
            for actor in [Actor::Diner, Actor::VenueOwner] {
                for change in requests.clone() {
                    assert_eq!(
                        refusal(status, actor, change.clone()),
                        (409, "Reservation is already closed".into()),
                        "{status:?} {actor:?} {change:?}"
                    );
                }
            }
            assert_eq!(
                decide_delete(&in_status(status), Actor::Diner)
                    .unwrap_err()
                    .status()
                    .as_u16(),
                409
            );
        }
    }

    #[test]
    fn cancel_wins_over_advance_forward_as_in_the_seed() {
        let both = ReservationChange {
            cancel: true,
            advance_forward: Some(true),
            ..ReservationChange::default()
        };
        assert_eq!(
            status_after(Accepted, Actor::VenueOwner, both.clone()),
            (Canceled, Some(ClosedBy::Venue))
        );
        assert_eq!(
            status_after(Accepted, Actor::Diner, both),
            (Canceled, Some(ClosedBy::User))
        );
    }

    #[test]
    fn the_venue_owner_cannot_delete() {
        let error = decide_delete(&in_status(Unconfirmed), Actor::VenueOwner).unwrap_err();
        assert_eq!(error.status().as_u16(), 403);
    }

    #[test]
    fn accepted_reservations_expire_15_minutes_after_their_time() {
        let accepted = in_status(Accepted); // 2030-01-06T23:00:00Z
        assert_eq!(expiry(&accepted, at("2030-01-06T23:14:59Z")), None);
        let expired = Decision::Close {
            status: Expired,
            closed_by: ClosedBy::System,
        };
        assert_eq!(expiry(&accepted, at("2030-01-06T23:15:00Z")), Some(expired));
        assert_eq!(expiry(&accepted, at("2030-02-01T00:00:00Z")), Some(expired));
        let next = accepted.after(&expired, at("2030-01-06T23:15:00Z"));
        assert_eq!((next.status, next.closed_by), (Expired, Some(ClosedBy::System)));
        // A second sweep with the same time changes nothing: it is closed now.
        assert_eq!(expiry(&next, at("2030-01-06T23:15:00Z")), None);
        for status in [Unconfirmed, Assisted, Canceled, Expired] {
            assert_eq!(
                expiry(&in_status(status), at("2030-02-01T00:00:00Z")),
                None,
                "{status:?}"
            );
        }
    }

    #[test]
    fn statuses_hold_seats_until_canceled_or_expired() {
        let holding: Vec<_> = ReservationStatus::ALL.into_iter().filter(|s| s.holds_seats()).collect();
        assert_eq!(holding, [Unconfirmed, Accepted, Assisted]);
        let open: Vec<_> = ReservationStatus::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [Unconfirmed, Accepted]);
        assert_eq!(ReservationStatus::parse("Unconfirmed"), Some(Unconfirmed));
        assert_eq!(ReservationStatus::parse("Uncomfirmed"), None);
        assert_eq!(ReservationStatus::parse("canceled"), None);
    }

    #[test]
    fn the_wire_is_the_contracts() {
        let wire = serde_json::to_value(reservation()).unwrap();
        let expected = json!({"id": "0193a000-0000-7000-8000-000000000001", "user": "diner-1", "venue": "owner-1",
            "time": "2030-01-06T23:00:00Z", "people": 2, "status": "Unconfirmed", "closed_by": null,
            "created": "2030-01-05T15:00:00Z", "updated": "2030-01-05T15:00:00Z"});
        assert_eq!(wire, expected);
        let closed = in_status(Canceled).after(
            &Decision::Close {
                status: Canceled,
                closed_by: ClosedBy::System,
            },
            at("2030-01-05T16:00:00Z"),
        );
        assert_eq!(serde_json::to_value(&closed).unwrap()["closed_by"], "system");
        assert_eq!(serde_json::from_value::<Reservation>(wire).unwrap(), reservation());
    }

    fn many(count: usize) -> Vec<Reservation> {
        // Seed: 3 diners and 2 venues in turn, on different days, 0–4 people.
        (0..count)
            .map(|i| {
                let mut reservation = reservation();
                reservation.id = format!("{i}");
                reservation.user = format!("user_{}", i % 3);
                reservation.venue = format!("venue_{}", i % 2);
                reservation.time = at("2030-01-01T23:00:00Z") + Duration::days(i as i64);
                reservation.people = (i % 5) as u32;
                reservation
            })
            .collect()
    }

    #[test]
    fn lists_filter_by_venue_status_time_and_people() {
        let all = many(9);
        let count = |filter: ReservationFilter| all.iter().filter(|r| filter.matches(r)).count();
        assert_eq!(all.iter().filter(|r| r.user == "user_0").count(), 3);
        let venue_1 = ReservationFilter {
            venue: Some("venue_1".into()),
            ..ReservationFilter::default()
        };
        assert_eq!(count(venue_1), 4);
        let window = ReservationFilter {
            from_time: Some(at("2030-01-03T23:00:00Z")),
            to_time: Some(at("2030-01-05T23:00:00Z")),
            ..ReservationFilter::default()
        };
        assert_eq!(count(window), 3, "both ends included");
        let party = ReservationFilter {
            from_people: Some(2),
            to_people: Some(3),
            ..ReservationFilter::default()
        };
        assert_eq!(count(party), 4);
        let statuses = ReservationFilter {
            statuses: vec![Canceled, Unconfirmed],
            ..ReservationFilter::default()
        };
        assert_eq!(count(statuses), 9);
        let none = ReservationFilter {
            statuses: vec![Assisted],
            ..ReservationFilter::default()
        };
        assert_eq!(count(none), 0);
    }

    #[test]
    fn lists_are_newest_time_first_then_by_id() {
        let mut all = many(4);
        all.push(Reservation {
            id: "a".into(),
            ..all[3].clone()
        });
        all.sort_by(list_order);
        let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "3", "2", "1", "0"]);
    }

    #[test]
    fn lists_page_without_overlap() {
        // Seed: venue_1 with limit 2 gives 2 and then 2 others.
        let filter = ReservationFilter {
            venue: Some("venue_1".into()),
            ..ReservationFilter::default()
        };
        let mut found: Vec<Reservation> = many(9).into_iter().filter(|r| filter.matches(r)).collect();
        found.sort_by(list_order);
        let first = andes_shared::dynamo::page_of(found.clone(), "venue_1", 2, None).unwrap();
        let second = andes_shared::dynamo::page_of(found, "venue_1", 2, first.next_cursor.as_deref()).unwrap();
        assert_eq!((first.items.len(), second.items.len()), (2, 2));
        assert!(second.items.iter().all(|r| !first.items.contains(r)));
        assert_eq!(second.next_cursor, None);
    }
}
