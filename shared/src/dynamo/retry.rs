//! Read-modify-write for requests that carry no version.
//!
//! A client that sends `version` gets 409 when it is stale. A client that sends none must
//! never get a 409 because one of our own workers wrote in between: its request re-reads and
//! re-applies, a bounded number of times, with jittered back-off.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::http::ApiError;

/// What one attempt of a conditional write found.
#[derive(Debug)]
pub enum Attempt<T> {
    Done(T),
    /// The item changed since it was read (its version moved on).
    Stale,
}

/// Attempts before a version-less write gives up (only under sustained contention).
pub const ATTEMPTS: u32 = 12;

/// Runs `attempt` (read, change, conditional write) until it is not stale.
pub async fn read_modify_write<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<T>, ApiError>>,
{
    for round in 0..ATTEMPTS {
        if let Attempt::Done(value) = attempt().await? {
            return Ok(value);
        }
        if round + 1 == ATTEMPTS {
            break;
        }
        let ceiling_ms = 5u64 << round.min(6);
        let pause = rand::rng().random_range(1..=ceiling_ms);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    Err(ApiError::Unavailable(
        "too many concurrent changes to this resource; retry in a moment".into(),
    ))
}

/// A write with the client's optional `version`: with one, a single attempt whose staleness
/// is a 409 with `conflict`; without one, [`read_modify_write`]. The attempt itself compares
/// the client's version (if any) with the item it read, and returns `Stale` when they differ.
pub async fn with_client_version<T, F, Fut>(
    client_version: Option<u64>,
    conflict: &str,
    mut attempt: F,
) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Attempt<T>, ApiError>>,
{
    match client_version {
        Some(_) => match attempt().await? {
            Attempt::Done(value) => Ok(value),
            Attempt::Stale => Err(ApiError::Conflict(conflict.to_string())),
        },
        None => read_modify_write(attempt).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn stale_attempts_are_retried_until_done() {
        let tries = Cell::new(0);
        let result = read_modify_write(|| {
            tries.set(tries.get() + 1);
            let outcome = if tries.get() < 4 {
                Attempt::Stale
            } else {
                Attempt::Done(tries.get())
            };
            async move { Ok(outcome) }
        })
        .await;
        assert_eq!(result.unwrap(), 4);
    }

    #[tokio::test]
    async fn a_client_version_is_tried_once() {
        let tries = Cell::new(0);
        let result: Result<(), _> = with_client_version(Some(3), "stale", || {
            tries.set(tries.get() + 1);
            async { Ok(Attempt::Stale) }
        })
        .await;
        assert!(matches!(result, Err(ApiError::Conflict(message)) if message == "stale"));
        assert_eq!(tries.get(), 1);
    }

    #[tokio::test]
    async fn errors_are_not_retried() {
        let tries = Cell::new(0);
        let result: Result<(), _> = read_modify_write(|| {
            tries.set(tries.get() + 1);
            async { Err(ApiError::NotFound("gone".into())) }
        })
        .await;
        assert!(matches!(result, Err(ApiError::NotFound(_))));
        assert_eq!(tries.get(), 1);
    }
}
