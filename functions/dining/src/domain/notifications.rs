//! Notifications (§8): the seed's Spanish texts (typos fixed), addressed by account id; identity's
//! notifier resolves the email and name. Dates are the venue's local `YYYY-MM-DD`. Messages go
//! out only on real changes: a request that changes nothing notifies no one.

use serde::{Deserialize, Serialize};

use super::reservation::{Reservation, ReservationStatus};
use super::values::{date_text, Zone};
use super::venue::Venue;

pub const NEW_OPINION: &str = "Tenes una nueva opinion en tu local!";

/// One message for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The account to tell (a diner's id, or a venue's, which is its owner's).
    pub recipient_id: String,
    pub text: String,
}

impl Notice {
    fn new(recipient_id: &str, text: String) -> Self {
        Self {
            recipient_id: recipient_id.to_string(),
            text,
        }
    }
}

/// What a notice needs of the venue a reservation was booked at (the reservation item keeps
/// its name and zone, so the change stream needs no read).
#[derive(Debug, Clone, Copy)]
pub struct BookedVenue<'a> {
    /// The venue's id, which is its owner's account id.
    pub owner: &'a str,
    pub name: &'a str,
    pub zone: Zone,
}

impl<'a> From<&'a Venue> for BookedVenue<'a> {
    fn from(venue: &'a Venue) -> Self {
        Self {
            owner: &venue.owner,
            name: &venue.name,
            zone: venue.timezone,
        }
    }
}

/// The second line of a status change, per new status.
pub fn status_message(status: ReservationStatus) -> &'static str {
    match status {
        ReservationStatus::Unconfirmed => "La reserva aun no esta confirmada",
        ReservationStatus::Accepted => "La reserva fue aceptada por el local!",
        ReservationStatus::Canceled => "Tu reserva ha sido cancelada.",
        ReservationStatus::Assisted => {
            "Esperamos que disfrutes tu experiencia! No te olvides de dejar una reseña luego."
        }
        ReservationStatus::Expired => "Tu reserva ha expirado!",
    }
}

fn local_date(reservation: &Reservation, zone: Zone) -> String {
    date_text(zone.date(reservation.time))
}

/// A new reservation: the diner and the venue's owner.
pub fn created(reservation: &Reservation, venue: BookedVenue<'_>) -> Vec<Notice> {
    let date = local_date(reservation, venue.zone);
    vec![
        Notice::new(
            &reservation.user,
            format!("Tu reserva para el dia {date} fue creada con exito!"),
        ),
        Notice::new(
            venue.owner,
            format!("Crearon una nueva reserva para el dia {date}, podes verla agregada en la web!"),
        ),
    ]
}

/// A reservation went from `before` to `after` (by anyone, the schedule included): the diner
/// hears of a new status; the owner hears of a change of time or people (made by the diner).
pub fn changed(before: &Reservation, after: &Reservation, venue: BookedVenue<'_>) -> Vec<Notice> {
    let mut notices = Vec::new();
    if after.status != before.status {
        notices.push(Notice::new(
            &after.user,
            format!(
                "Tienes un cambio de estado en tu reserva en {}!\n{}",
                venue.name,
                status_message(after.status)
            ),
        ));
    }
    if after.time != before.time || after.people != before.people {
        notices.push(Notice::new(
            venue.owner,
            format!(
                "Tienes una modificacion en la reserva ({}) del dia {}!",
                after.id,
                local_date(after, venue.zone)
            ),
        ));
    }
    notices
}

/// A new opinion: the venue's owner.
pub fn opinion_created(venue_id: &str) -> Notice {
    Notice::new(venue_id, NEW_OPINION.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Actor;
    use crate::domain::reservation::{decide, ReservationChange};
    use crate::domain::testing::{at, reservation, venue};

    fn texts(notices: &[Notice]) -> Vec<(&str, &str)> {
        notices
            .iter()
            .map(|n| (n.recipient_id.as_str(), n.text.as_str()))
            .collect()
    }

    #[test]
    fn a_new_reservation_tells_diner_and_owner_its_local_date() {
        let mut reservation = reservation();
        reservation.time = at("2030-01-07T00:30:00Z"); // 21:30 on the 6th in Buenos Aires
        assert_eq!(
            texts(&created(&reservation, (&venue()).into())),
            [
                ("diner-1", "Tu reserva para el dia 2030-01-06 fue creada con exito!"),
                (
                    "owner-1",
                    "Crearon una nueva reserva para el dia 2030-01-06, podes verla agregada en la web!"
                ),
            ]
        );
    }

    #[test]
    fn every_status_change_tells_the_diner() {
        let expected = [
            (ReservationStatus::Accepted, "La reserva fue aceptada por el local!"),
            (ReservationStatus::Canceled, "Tu reserva ha sido cancelada."),
            (
                ReservationStatus::Assisted,
                "Esperamos que disfrutes tu experiencia! No te olvides de dejar una reseña luego.",
            ),
            (ReservationStatus::Expired, "Tu reserva ha expirado!"),
        ];
        for (status, message) in expected {
            let before = reservation();
            let mut after = before.clone();
            after.status = status;
            assert_eq!(
                texts(&changed(&before, &after, (&venue()).into())),
                [(
                    "diner-1",
                    format!("Tienes un cambio de estado en tu reserva en La Pizzeria!\n{message}").as_str()
                )]
            );
        }
    }

    #[test]
    fn a_diners_change_tells_the_owner_and_an_accepted_diner() {
        let mut before = reservation();
        before.status = ReservationStatus::Accepted;
        let change = ReservationChange {
            people: Some(4),
            time: Some(at("2030-01-08T00:30:00Z")),
            ..ReservationChange::default()
        };
        let decision = decide(&before, Actor::Diner, &change).unwrap();
        let after = before.after(&decision, at("2030-01-05T16:00:00Z"));
        assert_eq!(
            texts(&changed(&before, &after, (&venue()).into())),
            [
                (
                    "diner-1",
                    "Tienes un cambio de estado en tu reserva en La Pizzeria!\nLa reserva aun no esta confirmada"
                ),
                (
                    "owner-1",
                    "Tienes una modificacion en la reserva (0193a000-0000-7000-8000-000000000001) del dia 2030-01-07!"
                ),
            ]
        );
        // Unconfirmed stays Unconfirmed: only the owner hears of it.
        let before = reservation();
        let after = before.after(
            &decide(&before, Actor::Diner, &change).unwrap(),
            at("2030-01-05T16:00:00Z"),
        );
        assert_eq!(changed(&before, &after, (&venue()).into()).len(), 1);
    }

    #[test]
    fn no_change_no_message() {
        let before = reservation();
        assert_eq!(changed(&before, &before.clone(), (&venue()).into()), []);
    }

    #[test]
    fn a_new_opinion_tells_the_owner() {
        assert_eq!(
            opinion_created("owner-1"),
            Notice {
                recipient_id: "owner-1".into(),
                text: "Tenes una nueva opinion en tu local!".into()
            }
        );
    }
}
