//! `DiningChangesFunction`: the table's change stream (new and old images), filtered to
//! reservations and opinions. A new reservation tells its diner and its venue; a change tells
//! the diner of a new status and the venue of a new time or people; a reservation entering a
//! closed state, and a new opinion, put one event on the events queue (points and stats, §7);
//! a new opinion tells the venue. A record delivered twice sends the same messages again: the
//! notices keep their ids (one outbox object each), the events their (reservation, kind).

use andes_shared::dynamo::{from_item, Item};
use andes_shared::http::ApiError;
use andes_shared::sqs;
use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::config::State;
use crate::domain::notifications::{changed, created, opinion_created, BookedVenue, Notice};
use crate::domain::opinions::Opinion;
use crate::domain::Zone;
use crate::messages::{account_notice, DiningEvent};
use crate::store::keys::{OPINION_SK, RESERVATION_SK};
use crate::store::{stored_reservation, StoredReservation};

/// What one record asks for.
#[derive(Debug, Default, PartialEq)]
pub struct Followups {
    /// Notices for identity's notifier, as queue bodies.
    pub notices: Vec<Value>,
    pub events: Vec<DiningEvent>,
}

fn image(raw: &serde_dynamo::Item) -> Item {
    raw.clone().into()
}

fn sort_key(item: &Item) -> Option<&str> {
    item.get("sk").and_then(|sk| sk.as_s().ok()).map(String::as_str)
}

/// The notices of one write, dated `at`, each with its id from `source` and its place.
fn notices(found: &[Notice], at: DateTime<Utc>, source: &str) -> Result<Vec<Value>, ApiError> {
    found
        .iter()
        .enumerate()
        .map(|(index, notice)| {
            account_notice(notice, at, source, index)
                .map(|message| message.body())
                .map_err(|error| ApiError::internal(format!("notice of {source}: {error}")))
        })
        .collect()
}

fn zone_of(stored: &StoredReservation) -> Result<Zone, ApiError> {
    Zone::parse(&stored.timezone).ok_or_else(|| {
        ApiError::internal(format!(
            "reservation {}: zone {}",
            stored.reservation.id, stored.timezone
        ))
    })
}

fn booked_venue(stored: &StoredReservation) -> Result<BookedVenue<'_>, ApiError> {
    Ok(BookedVenue {
        owner: &stored.reservation.venue,
        name: &stored.venue_name,
        zone: zone_of(stored)?,
    })
}

/// What a record asks for; an image that does not parse is an error (never skipped).
pub fn followups(record: &EventRecord) -> Result<Followups, ApiError> {
    let new = image(&record.change.new_image);
    let mut followups = Followups::default();
    match (record.event_name.as_str(), sort_key(&new)) {
        ("INSERT", Some(RESERVATION_SK)) => {
            let stored = stored_reservation(new)?;
            let reservation = &stored.reservation;
            let source = format!("RES#{}#{}", reservation.id, stored.version);
            let found = created(reservation, booked_venue(&stored)?);
            followups.notices = notices(&found, reservation.updated, &source)?;
        }
        ("MODIFY", Some(RESERVATION_SK)) => {
            let before = stored_reservation(image(&record.change.old_image))?;
            let after = stored_reservation(new)?;
            let source = format!("RES#{}#{}", after.reservation.id, after.version);
            let found = changed(&before.reservation, &after.reservation, booked_venue(&after)?);
            followups.notices = notices(&found, after.reservation.updated, &source)?;
            followups.events = DiningEvent::closed(
                &before.reservation,
                &after.reservation,
                zone_of(&after)?,
                after.venue_created,
            )
            .into_iter()
            .collect();
        }
        ("INSERT", Some(OPINION_SK)) => {
            let opinion: Opinion = from_item(new)?;
            let source = format!("OPINION#{}", opinion.reservation);
            followups.notices = notices(&[opinion_created(&opinion.venue)], opinion.date, &source)?;
            followups.events = vec![DiningEvent::opinion(&opinion)];
        }
        _ => {}
    }
    Ok(followups)
}

fn sequence_number(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

/// Lambda retries a batch from the first record reported.
fn failed_from(record: &EventRecord) -> DynamoDbEventResponse {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence_number(record));
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures.push(failure);
    response
}

/// The handler: the batch's messages, sent together. A record that does not parse is put whole
/// on the failures queue (with why), so neither it nor the records after it wait on a fix; a
/// send that fails fails the whole batch (sent again, they change nothing).
pub async fn route(state: &State, batch: StreamEvent) -> Result<DynamoDbEventResponse, ApiError> {
    let mut all = Followups::default();
    let mut unreadable = Vec::new();
    for record in &batch.records {
        match followups(record) {
            Ok(found) => {
                all.notices.extend(found.notices);
                all.events.extend(found.events);
            }
            Err(error) => {
                tracing::error!(sequence_number = %sequence_number(record), error = %error, "unreadable stream record");
                unreadable.push(json!({"error": error.to_string(), "record": record}));
            }
        }
    }
    let sent = async {
        sqs::send_all(&state.sqs, state.config.failures_queue_url()?, &unreadable).await?;
        sqs::send_all(&state.sqs, state.config.notifications_queue_url()?, &all.notices).await?;
        sqs::send_all(&state.sqs, state.config.events_queue_url()?, &all.events).await
    };
    if let Err(error) = sent.await {
        tracing::warn!(error = %error, "stream batch not routed");
        return Ok(batch.records.first().map(failed_from).unwrap_or_default());
    }
    Ok(DynamoDbEventResponse::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::points::EventKind;
    use crate::domain::reservation::ReservationStatus;
    use aws_lambda_events::event::sqs::SqsEvent;

    fn sample<T: serde::de::DeserializeOwned>(name: &str) -> T {
        let path = format!("{}/../../events/dining/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn an_assisted_reservation_tells_its_diner_and_counts_once() {
        let batch: StreamEvent = sample("route-changes.json");
        let found = followups(&batch.records[0]).unwrap();
        assert_eq!(found.notices.len(), 1);
        let notice = &found.notices[0];
        assert_eq!(notice["kind"], "account_notice");
        assert_eq!(notice["recipient_id"], "0197a4c2-9a00-7b11-8c22-0d1e2f3a4b5c");
        assert_eq!(
            notice["text"],
            "Tienes un cambio de estado en tu reserva en La Pizzeria!\nEsperamos que disfrutes tu experiencia! No te \
             olvides de dejar una reseña luego."
        );
        assert_eq!(
            found,
            followups(&batch.records[0]).unwrap(),
            "the same on every delivery"
        );
        let [event] = &found.events[..] else {
            panic!("{:?}", found.events)
        };
        assert_eq!((event.kind, event.delta()), (EventKind::Assisted, 50));
        let outcome = event.outcome.unwrap();
        assert_eq!(
            (outcome.status, outcome.weekday),
            (ReservationStatus::Assisted, chrono::Weekday::Sat)
        );
        assert_eq!(outcome.turn.to_string(), "20:00", "23:00Z is 20:00 in Buenos Aires");
    }

    #[test]
    fn the_events_queue_sample_is_an_event() {
        let batch: SqsEvent = sample("apply-events.json");
        let body = batch.records[0].body.as_deref().unwrap();
        let event: DiningEvent = serde_json::from_str(body).unwrap();
        assert_eq!((event.kind, event.delta()), (EventKind::Assisted, 50));
        assert!(event.venue_created.is_some());
    }

    #[test]
    fn other_records_ask_for_nothing() {
        let mut batch: StreamEvent = sample("route-changes.json");
        let record = &mut batch.records[0];
        record
            .change
            .new_image
            .insert("sk".into(), serde_dynamo::AttributeValue::S("VISIT".into()));
        assert_eq!(followups(record).unwrap(), Followups::default());
        record.event_name = "REMOVE".into();
        assert_eq!(followups(record).unwrap(), Followups::default());
    }
}
