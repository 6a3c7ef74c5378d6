//! `DiningDecayPointsFunction` (daily, §7): 200 points off (floor 0) each total whose last
//! points-moving event and last decay are both at least 14 days before the sweep's time, and
//! the decay recorded — at most once per 14 days of inactivity. "Now" is the scheduled event's
//! `time`; a second run with the same time finds every decay it made and changes nothing.
//! Candidates come from the points' sparse index (`DECAY`), never a Scan.

use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::ApiError;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::config::State;
use crate::domain::points::{decay_due, DECAY_AFTER_DAYS};
use crate::store::Store;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Decayed {
    /// Totals the index showed as possibly due.
    pub candidates: usize,
    pub decayed: usize,
    pub failed: usize,
}

/// The scheduled function's handler.
pub async fn run(state: &State, event: Value) -> Result<Decayed, ApiError> {
    let as_of = andes_shared::event::scheduled_time(&event);
    let swept = sweep(&state.store, as_of).await?;
    tracing::info!(as_of = %as_of, candidates = swept.candidates, decayed = swept.decayed, "decayed points");
    Ok(swept)
}

/// Decays every total due as of `as_of`; goes on past one that fails, and fails at the end if
/// any did (the schedule retries: what was done stays done).
pub async fn sweep(store: &Store, as_of: DateTime<Utc>) -> Result<Decayed, ApiError> {
    let mut swept = Decayed::default();
    for user in store.decay_candidates(as_of - Duration::days(DECAY_AFTER_DAYS)).await? {
        swept.candidates += 1;
        match decay_one(store, &user, as_of).await {
            Ok(true) => swept.decayed += 1,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(user_id = %user, error = %error, "points not decayed");
                swept.failed += 1;
            }
        }
    }
    match swept.failed {
        0 => Ok(swept),
        n => Err(ApiError::Unavailable(format!(
            "{n} totals could not be decayed: {swept:?}"
        ))),
    }
}

/// Decays one total if it is (still) due; `false` when it no longer is.
async fn decay_one(store: &Store, user: &str, as_of: DateTime<Utc>) -> Result<bool, ApiError> {
    read_modify_write(|| async move {
        let read = store.points(user).await?;
        if !decay_due(read.total, read.last_activity, read.last_decay, as_of) {
            return Ok(Attempt::Done(false));
        }
        Ok(match store.save_decay(&read, as_of).await? {
            true => Attempt::Done(true),
            false => Attempt::Stale,
        })
    })
    .await
}
