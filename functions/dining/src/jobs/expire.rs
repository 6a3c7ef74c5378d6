//! `DiningExpireReservationsFunction` (every 5 minutes, §5): Accepted reservations 15 minutes
//! past their time become Expired (`closed_by: system`), as of the scheduled event's `time`.
//! Unconfirmed ones are left alone (seed). Replayable and idempotent: a reservation already
//! expired is no longer Accepted, so a second run with the same time changes nothing; a
//! reservation that changed since the index was read is read again and decided again.

use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::ApiError;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::config::State;
use crate::domain::reservation::{expiry, EXPIRY_GRACE_MINUTES};
use crate::store::{Booking, Store};

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Expired {
    /// Accepted reservations due, as the index showed them.
    pub due: usize,
    pub expired: usize,
    pub failed: usize,
}

/// The scheduled function's handler.
pub async fn run(state: &State, event: Value) -> Result<Expired, ApiError> {
    let as_of = andes_shared::event::scheduled_time(&event);
    let swept = sweep(&state.store, as_of).await?;
    tracing::info!(as_of = %as_of, due = swept.due, expired = swept.expired, "expired reservations");
    Ok(swept)
}

/// Expires every Accepted reservation due as of `as_of`; goes on past one that fails, and fails
/// at the end if any did (the schedule retries: what was done stays done).
pub async fn sweep(store: &Store, as_of: DateTime<Utc>) -> Result<Expired, ApiError> {
    let mut swept = Expired::default();
    for id in store
        .accepted_until(as_of - Duration::minutes(EXPIRY_GRACE_MINUTES))
        .await?
    {
        swept.due += 1;
        match expire_one(store, &id, as_of).await {
            Ok(true) => swept.expired += 1,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(reservation_id = %id, error = %error, "reservation not expired");
                swept.failed += 1;
            }
        }
    }
    match swept.failed {
        0 => Ok(swept),
        n => Err(ApiError::Unavailable(format!(
            "{n} reservations could not be expired: {swept:?}"
        ))),
    }
}

/// Expires one reservation if it is (still) due; `false` when it no longer is.
async fn expire_one(store: &Store, id: &str, as_of: DateTime<Utc>) -> Result<bool, ApiError> {
    read_modify_write(|| async move {
        let Some(before) = store.stored_reservation(id).await? else {
            return Ok(Attempt::Done(false));
        };
        let Some(decision) = expiry(&before.reservation, as_of) else {
            return Ok(Attempt::Done(false));
        };
        let after = before.reservation.after(&decision, as_of);
        match store.save_reservation(&before, &after, None, as_of).await? {
            Booking::Done => Ok(Attempt::Done(true)),
            _ => Ok(Attempt::Stale),
        }
    })
    .await
}
