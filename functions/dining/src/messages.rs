//! What dining puts on queues: its own events queue (points and stats, §7) and identity's
//! notifications queue (§8). Both are sent again when a stream record is redelivered, so both
//! carry what makes a second delivery change nothing: the event's (reservation, kind), the
//! notice's id derived from what it notifies.

use chrono::{DateTime, Utc};
use identity::messages::AccountNoticeMessage;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::notifications::Notice;
use crate::domain::opinions::Opinion;
use crate::domain::points::{delta, EventKind};
use crate::domain::reservation::Reservation;
use crate::domain::stats::Outcome;
use crate::domain::values::{opt_time_secs, time_secs};
use crate::domain::Zone;

/// On the dining events queue: a reservation entering a closed state, or a new opinion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiningEvent {
    pub kind: EventKind,
    pub reservation: String,
    /// The diner.
    pub user: String,
    pub venue: String,
    /// When it happened (the reservation's last change, the opinion's date): the diner's
    /// activity, for the decay.
    #[serde(with = "time_secs")]
    pub at: DateTime<Utc>,
    /// What the stats count, and the incarnation of the venue (its `created`) they count for:
    /// a closed reservation only.
    pub outcome: Option<Outcome>,
    #[serde(with = "opt_time_secs", default)]
    pub venue_created: Option<DateTime<Utc>>,
}

impl DiningEvent {
    /// The event of a reservation that went from an open status to `after`'s closed one, at the
    /// venue incarnation `venue_created`.
    pub fn closed(before: &Reservation, after: &Reservation, zone: Zone, venue_created: DateTime<Utc>) -> Option<Self> {
        if !before.status.is_open() {
            return None;
        }
        let kind = EventKind::of_status(after.status)?;
        Some(Self {
            kind,
            reservation: after.id.clone(),
            user: after.user.clone(),
            venue: after.venue.clone(),
            at: after.updated,
            outcome: Outcome::of(after, zone),
            venue_created: Some(venue_created),
        })
    }

    /// The event of a new opinion.
    pub fn opinion(opinion: &Opinion) -> Self {
        Self {
            kind: EventKind::Opinion,
            reservation: opinion.reservation.clone(),
            user: opinion.user.clone(),
            venue: opinion.venue.clone(),
            at: opinion.date,
            outcome: None,
            venue_created: None,
        }
    }

    /// The diner's points for it (§4.2).
    pub fn delta(&self) -> i64 {
        delta(self.kind, self.outcome.map(|outcome| outcome.closed_by))
    }
}

/// Most characters of a notice's subject (identity's bound is 200).
const SUBJECT_CHARS: usize = 120;

/// A notice as identity's notifier takes it. Its id is a UUIDv7 dated `at` whose other bits
/// are a digest of `source` (what was written: the item and its version) and the notice's
/// place among that write's notices: the same on every delivery, so one outbox object.
pub fn account_notice(
    notice: &Notice,
    at: DateTime<Utc>,
    source: &str,
    index: usize,
) -> Result<AccountNoticeMessage, String> {
    let digest = Sha256::digest(format!("{source}#{index}#{}", notice.recipient_id));
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(at.timestamp_millis()).map_err(|_| "a notice dated before 1970".to_string())?;
    let event_id: Uuid = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
    let first_line = notice.text.lines().next().unwrap_or_default();
    let subject: String = first_line.chars().take(SUBJECT_CHARS).collect();
    AccountNoticeMessage::new(event_id, &notice.recipient_id, &subject, &notice.text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reservation::{ClosedBy, ReservationStatus};
    use crate::domain::testing::{at, reservation};
    use serde_json::json;

    fn notice() -> Notice {
        Notice {
            recipient_id: "0193a000-0000-7000-8000-0000000000d1".into(),
            text: "Tienes un cambio de estado en tu reserva en La Pizzeria!\nTu reserva ha expirado!".into(),
        }
    }

    #[test]
    fn a_notice_has_the_same_id_on_every_delivery_and_its_first_line_as_subject() {
        let when = at("2030-01-05T23:00:00Z");
        let first = account_notice(&notice(), when, "RES#r-1#3", 0).unwrap();
        assert_eq!(first, account_notice(&notice(), when, "RES#r-1#3", 0).unwrap());
        assert_eq!(first.created, when);
        assert_eq!(
            first.subject,
            "Tienes un cambio de estado en tu reserva en La Pizzeria!"
        );
        assert_ne!(
            first.event_id,
            account_notice(&notice(), when, "RES#r-1#4", 0).unwrap().event_id
        );
        assert_ne!(
            first.event_id,
            account_notice(&notice(), when, "RES#r-1#3", 1).unwrap().event_id
        );
        assert_eq!(first.event_id.get_version_num(), 7);
    }

    #[test]
    fn only_a_transition_into_a_closed_status_is_an_event() {
        let before = reservation();
        let mut accepted = before.clone();
        accepted.status = ReservationStatus::Accepted;
        assert_eq!(
            DiningEvent::closed(&before, &accepted, Zone::default(), at("2030-01-01T12:00:00Z")),
            None
        );
        let mut expired = accepted.clone();
        expired.status = ReservationStatus::Expired;
        expired.closed_by = Some(ClosedBy::System);
        expired.updated = at("2030-01-06T00:00:00Z");
        let event = DiningEvent::closed(&accepted, &expired, Zone::default(), at("2030-01-01T12:00:00Z")).unwrap();
        assert_eq!(
            (event.kind, event.delta(), event.at),
            (EventKind::Expired, -50, expired.updated)
        );
        assert_eq!(event.outcome.unwrap().status, ReservationStatus::Expired);
        assert_eq!(
            DiningEvent::closed(&expired, &expired, Zone::default(), at("2030-01-01T12:00:00Z")),
            None,
            "closed stays closed"
        );
        let wire = json!(event);
        assert_eq!(wire["kind"], "expired");
        assert_eq!(serde_json::from_value::<DiningEvent>(wire).unwrap(), event);
    }
}
