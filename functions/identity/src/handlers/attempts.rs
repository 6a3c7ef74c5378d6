//! Every password check of a caller (login, and `PATCH /identity/me`'s current password) runs
//! under the email's lockout: admitted first, resolved after (see [`crate::lockout`]).

use std::future::Future;

use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::ApiError;
use chrono::Utc;

use crate::lockout::{self, Admission, Outcome};
use crate::store::Store;

/// Runs `check` (a password check: `true` when it matched) once the email's lockout admits
/// it, and records how it ended. A 429 while the email is locked out, or while as many checks
/// as failures still allowed are in flight.
pub async fn checked<F>(store: &Store, email: &str, check: F) -> Result<bool, ApiError>
where
    F: Future<Output = Result<bool, ApiError>>,
{
    admit(store, email).await?;
    let matched = check.await;
    let outcome = match &matched {
        Ok(true) => Outcome::Succeeded,
        Ok(false) => Outcome::Failed,
        Err(_) => Outcome::Abandoned,
    };
    resolve(store, email, outcome).await?;
    matched
}

async fn admit(store: &Store, email: &str) -> Result<(), ApiError> {
    read_modify_write(|| async {
        let read = store.login_attempts(email).await?;
        let next = match lockout::admit(read.as_ref(), Utc::now().timestamp()) {
            Admission::Admitted(next) => next,
            Admission::Locked { retry_after_seconds } => {
                return Err(ApiError::TooManyRequests {
                    detail: lockout::locked_message(retry_after_seconds),
                    retry_after_seconds,
                })
            }
            Admission::Busy => {
                return Err(ApiError::TooManyRequests {
                    detail: lockout::BUSY_MESSAGE.into(),
                    retry_after_seconds: 1,
                })
            }
        };
        written(store.write_login_attempts(email, read.as_ref(), Some(&next)).await?)
    })
    .await
}

async fn resolve(store: &Store, email: &str, outcome: Outcome) -> Result<(), ApiError> {
    read_modify_write(|| async {
        let read = store.login_attempts(email).await?;
        let next = lockout::resolve(read.as_ref(), outcome, Utc::now().timestamp());
        written(store.write_login_attempts(email, read.as_ref(), next.as_ref()).await?)
    })
    .await
}

fn written(held: bool) -> Result<Attempt<()>, ApiError> {
    Ok(if held { Attempt::Done(()) } else { Attempt::Stale })
}
