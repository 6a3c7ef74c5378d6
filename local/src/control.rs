//! The seams between the platform's parts: the gateway and the triggers invoke functions
//! through [`Invoker`] (implemented by the runtime), and the gateway fires schedules through
//! [`ScheduleFirer`] (implemented by the triggers).

use std::future::Future;
use std::pin::Pin;

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

/// Fires a function's schedule now and answers once the invocation has finished.
pub trait ScheduleFirer: Send + Sync {
    fn fire<'a>(&'a self, function: &'a str) -> BoxFuture<'a, Result<Value, InvokeError>>;
}
