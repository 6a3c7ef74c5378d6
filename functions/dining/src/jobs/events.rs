//! `DiningEventsFunction`: the events queue's worker (§7). Each event is applied exactly once
//! per (reservation, kind): its applied marker is written in the same transaction as the
//! points, stats and visit counters it changes, so a redelivered event finds the marker and
//! changes nothing. Points are clamped at 0 when written, over the version read (a
//! read-modify-write: the decay sweep and other events may write in between).

use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::ApiError;
use andes_shared::sqs::Received;

use crate::config::State;
use crate::domain::Venue;
use crate::messages::DiningEvent;
use crate::store::Application;

/// The handler of one message.
pub async fn apply(state: &State, received: Received<DiningEvent>) -> Result<(), ApiError> {
    let event = &received.body;
    let venue = counting_venue(state, event).await?;
    let store = &state.store;
    let venue = venue.as_ref();
    let outcome = read_modify_write(|| async move {
        let read = store.points(&event.user).await?;
        Ok(match store.apply_event(event, &read, venue).await? {
            Application::Stale => Attempt::Stale,
            done => Attempt::Done(done),
        })
    })
    .await?;
    tracing::info!(
        reservation_id = %event.reservation,
        kind = event.kind.as_str(),
        applied = outcome == Application::Applied,
        "dining event"
    );
    Ok(())
}

/// The venue whose stats a closed reservation counts for: the one it was booked at, if it still
/// exists (a venue deleted, or deleted and created again since, keeps no stats of it).
async fn counting_venue(state: &State, event: &DiningEvent) -> Result<Option<Venue>, ApiError> {
    let (Some(_), Some(created)) = (&event.outcome, event.venue_created) else {
        return Ok(None);
    };
    state.store.venue_incarnation(&event.venue, created).await
}
