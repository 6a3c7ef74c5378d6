//! `DiningSummariesFunction` (daily, §5 and §6): as of the scheduled event's `time`, each venue
//! with more than 4 opinions dated in the last 45 days gets a new extractive summary when it has
//! none, or one made at least 14 days before.
//!
//! Candidates come from the `OPINED` sparse index only (venues whose last opinion is inside the
//! window; no Scan). Replayable and idempotent: a summary made by this run is not due again at
//! the same time, and the write itself is conditioned on the stored one being due, so a second
//! run with the same time — or two runs at once — change nothing more. A marker left by a venue
//! that is gone (or was created again since) is forgotten.

use andes_shared::event::scheduled_time;
use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;

use crate::config::State;
use crate::domain::summaries::{generate, is_due, replaceable_until, window};
use crate::store::{Marker, Store, SummaryWrite};

/// Venues summarised at once (each is a few reads and at most one write).
const CONCURRENT_VENUES: usize = 8;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summarized {
    /// Venues with an opinion in the window, as the index showed them.
    pub candidates: usize,
    /// Summaries made or remade.
    pub written: usize,
    /// Venues whose summary is not due yet, or with 4 opinions or fewer in the window.
    pub unchanged: usize,
    /// Markers of venues that are gone, removed.
    pub forgotten: usize,
    pub failed: usize,
}

/// What the sweep did for one venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Written,
    Unchanged,
    Forgotten,
}

/// The scheduled function's handler.
pub async fn run(state: &State, event: Value) -> Result<Summarized, ApiError> {
    let as_of = scheduled_time(&event);
    let swept = sweep(&state.store, as_of).await?;
    tracing::info!(
        as_of = %as_of,
        candidates = swept.candidates,
        written = swept.written,
        forgotten = swept.forgotten,
        "summarized opinions"
    );
    Ok(swept)
}

/// Summarises every candidate venue as of `as_of`; goes on past one that fails, and fails at
/// the end if any did (the schedule retries: what was done stays done).
pub async fn sweep(store: &Store, as_of: DateTime<Utc>) -> Result<Summarized, ApiError> {
    let (from, _) = window(as_of);
    let markers = store.opined_since(from).await?;
    let outcomes: Vec<(String, Result<Outcome, ApiError>)> = stream::iter(markers)
        .map(|marker| async move {
            let outcome = summarize_venue(store, &marker, as_of).await;
            (marker.venue, outcome)
        })
        .buffer_unordered(CONCURRENT_VENUES)
        .collect()
        .await;
    let mut swept = Summarized {
        candidates: outcomes.len(),
        ..Summarized::default()
    };
    for (venue, outcome) in outcomes {
        match outcome {
            Ok(Outcome::Written) => swept.written += 1,
            Ok(Outcome::Unchanged) => swept.unchanged += 1,
            Ok(Outcome::Forgotten) => swept.forgotten += 1,
            Err(error) => {
                tracing::warn!(venue_id = %venue, error = %error, "venue not summarized");
                swept.failed += 1;
            }
        }
    }
    match swept.failed {
        0 => Ok(swept),
        n => Err(ApiError::Unavailable(format!(
            "{n} venues could not be summarized: {swept:?}"
        ))),
    }
}

/// (Re)makes one venue's summary if it is due and the venue has enough opinions in the window.
async fn summarize_venue(store: &Store, marker: &Marker, as_of: DateTime<Utc>) -> Result<Outcome, ApiError> {
    let venue = store.venue(&marker.venue).await?.map(|(venue, _)| venue);
    let Some(venue) = venue.filter(|venue| marker.belongs_to(venue)) else {
        // The marker's incarnation is gone: its opinions are no venue's any more.
        store.forget_marker(marker).await?;
        return Ok(Outcome::Forgotten);
    };
    if !is_due(store.summary(&venue).await?.as_ref(), as_of) {
        return Ok(Outcome::Unchanged);
    }
    let (from, to) = window(as_of);
    let opinions = store.venue_opinions(&venue, from, to).await?;
    let Some(summary) = generate(&venue.id, &opinions, as_of) else {
        return Ok(Outcome::Unchanged);
    };
    match store.save_summary(&venue, &summary, replaceable_until(as_of)).await? {
        SummaryWrite::Written => Ok(Outcome::Written),
        // Another run made one first; or the venue went since it was read (its marker goes with
        // it, or the next run forgets it).
        SummaryWrite::NotDue | SummaryWrite::VenueChanged => Ok(Outcome::Unchanged),
    }
}
