//! Functions triggered by S3 notifications, schedules and DynamoDB streams: the payload
//! deserialised into its `aws_lambda_events` type, one log line per invocation, errors
//! returned to Lambda (which retries or sends the event to the on-failure destination).

use std::future::Future;
use std::time::Instant;

use lambda_runtime::{service_fn, LambdaEvent};
use serde::{de::DeserializeOwned, Serialize};

/// Runs a function whose handler takes the event payload and answers `R` (e.g. `()` or a
/// stream's batch-failure report).
pub async fn run<E, R, F, Fut, Err>(handler: F) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned + Send,
    R: Serialize,
    F: Fn(E) -> Fut + Send + Sync,
    Fut: Future<Output = Result<R, Err>> + Send,
    Err: std::fmt::Display,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| async move {
        let started = Instant::now();
        let request_id = event.context.request_id.clone();
        let outcome = handler(event.payload).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(response) => {
                tracing::info!(request_id = %request_id, status = "ok", latency_ms, "event");
                Ok(response)
            }
            Err(error) => {
                tracing::warn!(request_id = %request_id, status = "failed", latency_ms, error = %error, "event");
                Err(lambda_runtime::Error::from(error.to_string()))
            }
        }
    }))
    .await
}
