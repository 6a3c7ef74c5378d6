//! The seams between the platform's parts: the gateway and the triggers invoke functions
//! through [`Invoker`] (implemented by the runtime), and the gateway fires schedules and
//! sweepers through [`Background`] (implemented by the triggers).

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why an invocation produced no result, as Lambda reports it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    #[error("function {0} is not in the template")]
    UnknownFunction(String),
    /// The handler returned an error (`/invocation/{id}/error`).
    #[error("{error_type}: {error_message}")]
    Function { error_type: String, error_message: String },
    /// Init failed, the process exited mid-invocation, or its binary could not start.
    #[error("runtime failure: {0}")]
    Runtime(String),
    /// The function ran past its `Timeout` and was killed.
    #[error("task timed out after {0:.2} seconds")]
    Timeout(f64),
}

/// Synchronous invocation of a function by logical id, returning its JSON response.
pub trait Invoker: Send + Sync {
    fn invoke<'a>(&'a self, function: &'a str, payload: Value) -> BoxFuture<'a, Result<Value, InvokeError>>;
}

/// What the platform otherwise runs on its own clock, run on demand (`/_local`): a function's
/// schedule, and the sweepers that stand in for AWS's background expiry.
pub trait Background: Send + Sync {
    /// Fires a function's schedule now and answers once the invocation has finished. The
    /// scheduled event's `time` is `time` (default now); a schedule with a declared `Input`
    /// sends that Input unchanged, whatever `time`.
    fn fire<'a>(&'a self, function: &'a str, time: Option<DateTime<Utc>>) -> BoxFuture<'a, Result<Value, InvokeError>>;
    /// Runs the lifecycle and TTL sweepers once, as of `sweep.now`; answers what they expired.
    fn sweep<'a>(&'a self, sweep: &'a Sweep) -> BoxFuture<'a, Result<Value, SweepError>>;
}

/// One run of the sweepers: as of `now` (epoch seconds), over every bucket and table, or only
/// over the objects of one bucket under a prefix (so that a test expires its own objects and
/// nobody else's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    pub now: i64,
    /// A bucket's logical id or name; `None`: every bucket and every table.
    pub bucket: Option<String>,
    pub prefix: String,
}

/// What one sweep expired.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    pub expired_objects: u64,
    pub expired_items: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SweepError {
    #[error("{0} is not a bucket of the stack")]
    UnknownBucket(String),
    #[error("{0}")]
    Backend(String),
}
