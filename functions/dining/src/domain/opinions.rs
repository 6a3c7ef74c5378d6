//! Opinions (§6): one per Assisted reservation, by its diner, dated by the server, worth +50
//! points. The seed ran none of these checks (unlimited +50 farming, opinions on others'
//! reservations, a client-chosen date).

use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::reservation::{reservation_not_found, Reservation, ReservationStatus};
use super::values::{new_id, time_secs, whole_seconds};

pub const NOT_BY_USER: &str = "Reservation was not done by user";
pub const NOT_ASSISTED: &str = "Reservation was not assisted";
pub const OPINION_EXISTS: &str = "Opinion already exists";

/// An opinion as §6 writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Opinion {
    pub id: String,
    pub venue: String,
    pub reservation: String,
    pub user: String,
    pub opinion: String,
    #[serde(with = "time_secs")]
    pub date: DateTime<Utc>,
}

/// The checks of `POST /opinions` that the reservation decides, in order: it exists (404), the
/// caller made it (403), it was Assisted (409); answers the reservation that passed them.
/// "Opinion already exists" (409) is the conditional write's ([`opinion_exists`]).
pub fn check_opinion<'a>(reservation: Option<&'a Reservation>, caller: &str) -> Result<&'a Reservation, ApiError> {
    let reservation = reservation.ok_or_else(reservation_not_found)?;
    if reservation.user != caller {
        return Err(ApiError::Forbidden(NOT_BY_USER.into()));
    }
    if reservation.status != ReservationStatus::Assisted {
        return Err(ApiError::Conflict(NOT_ASSISTED.into()));
    }
    Ok(reservation)
}

/// 409 of a second opinion on one reservation.
pub fn opinion_exists() -> ApiError {
    ApiError::Conflict(OPINION_EXISTS.into())
}

impl Opinion {
    /// The caller's opinion on `reservation` (checked by [`check_opinion`]): its venue is the
    /// reservation's, its date the server's `now`.
    pub fn new(reservation: &Reservation, text: String, now: DateTime<Utc>) -> Self {
        Self {
            id: new_id(),
            venue: reservation.venue.clone(),
            reservation: reservation.id.clone(),
            user: reservation.user.clone(),
            opinion: text,
            date: whole_seconds(now),
        }
    }
}

/// `GET /opinions?venue=&from=&to=`: a venue's opinions dated in `[from, to]`, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionsQuery {
    pub venue: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl OpinionsQuery {
    pub fn matches(&self, opinion: &Opinion) -> bool {
        opinion.venue == self.venue
            && self.from.is_none_or(|from| opinion.date >= from)
            && self.to.is_none_or(|to| opinion.date <= to)
    }
}

/// The order of opinion lists: newest first, then by id descending (the index's sort key is
/// `{date}#{id}`, read backwards; ids are UUIDv7, so within a second the later one comes first).
pub fn list_order(a: &Opinion, b: &Opinion) -> std::cmp::Ordering {
    b.date.cmp(&a.date).then_with(|| b.id.cmp(&a.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::points::{delta, EventKind};
    use crate::domain::testing::{at, detail, reservation};
    use serde_json::json;

    fn assisted() -> Reservation {
        let mut reservation = reservation();
        reservation.status = ReservationStatus::Assisted;
        reservation
    }

    fn refusal(reservation: Option<&Reservation>, caller: &str) -> (u16, String) {
        let error = check_opinion(reservation, caller).unwrap_err();
        (error.status().as_u16(), detail(&error))
    }

    #[test]
    fn the_diner_of_an_assisted_reservation_gives_an_opinion_worth_50_points() {
        assert!(check_opinion(Some(&assisted()), "diner-1").is_ok());
        assert_eq!(delta(EventKind::Opinion, None), 50);
    }

    #[test]
    fn the_checks_come_in_the_contracts_order() {
        assert_eq!(refusal(None, "diner-1"), (404, "Reservation does not exist".into()));
        assert_eq!(refusal(Some(&reservation()), "owner-1"), (403, NOT_BY_USER.into()));
        assert_eq!(refusal(Some(&assisted()), "diner-2"), (403, NOT_BY_USER.into()));
        for status in [
            ReservationStatus::Unconfirmed,
            ReservationStatus::Accepted,
            ReservationStatus::Canceled,
            ReservationStatus::Expired,
        ] {
            let mut reservation = reservation();
            reservation.status = status;
            assert_eq!(
                refusal(Some(&reservation), "diner-1"),
                (409, NOT_ASSISTED.into()),
                "{status:?}"
            );
        }
        assert_eq!(detail(&opinion_exists()), "Opinion already exists");
        assert_eq!(opinion_exists().status().as_u16(), 409);
    }

    #[test]
    fn an_opinion_takes_venue_and_user_from_the_reservation_and_the_servers_date() {
        let opinion = Opinion::new(&assisted(), "Muy rico.".into(), at("2030-01-07T10:00:00.9Z"));
        let wire = serde_json::to_value(&opinion).unwrap();
        assert_eq!(
            wire,
            json!({"id": opinion.id, "venue": "owner-1", "reservation": "0193a000-0000-7000-8000-000000000001",
                   "user": "diner-1", "opinion": "Muy rico.", "date": "2030-01-07T10:00:00Z"})
        );
        assert_eq!(uuid::Uuid::parse_str(&opinion.id).unwrap().get_version_num(), 7);
    }

    #[test]
    fn opinions_of_other_venues_do_not_show_up() {
        // Seed: an opinion on FastFoodGod is not listed for Elegantland.
        let mut elegant = Opinion::new(&assisted(), "Very elegant.".into(), at("2030-01-07T10:00:00Z"));
        elegant.venue = "Elegantland".into();
        let mut fast = elegant.clone();
        fast.venue = "FastFoodGod".into();
        let query = OpinionsQuery {
            venue: "FastFoodGod".into(),
            from: None,
            to: None,
        };
        assert!(query.matches(&fast));
        assert!(!query.matches(&elegant));
    }

    #[test]
    fn opinions_are_listed_in_their_window_newest_first() {
        let make = |id: &str, date: &str| {
            let mut opinion = Opinion::new(&assisted(), "Bien.".into(), at(date));
            opinion.id = id.into();
            opinion
        };
        let mut opinions = vec![
            make("a", "2030-01-01T00:00:00Z"),
            make("b", "2030-01-03T00:00:00Z"),
            make("c", "2030-01-02T00:00:00Z"),
            make("d", "2030-01-03T00:00:00Z"),
        ];
        let query = OpinionsQuery {
            venue: "owner-1".into(),
            from: Some(at("2030-01-02T00:00:00Z")),
            to: Some(at("2030-01-03T00:00:00Z")),
        };
        opinions.retain(|o| query.matches(o));
        opinions.sort_by(list_order);
        let ids: Vec<&str> = opinions.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["d", "b", "c"], "both ends included, ties by id descending");
    }
}
