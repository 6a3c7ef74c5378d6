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

/// The "now" of a scheduled event: its `time` (EventBridge sets it; the local platform's
/// `POST /_local/schedules/{id}?time=` chooses it), so a sweep can be replayed as of any
/// instant. The wall clock only when the event has no readable `time`.
pub fn scheduled_time(event: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    event["time"]
        .as_str()
        .and_then(|time| chrono::DateTime::parse_from_rfc3339(time).ok())
        .map_or_else(chrono::Utc::now, |time| time.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduled_event_is_as_of_its_time() {
        let event = serde_json::json!({"time": "2030-01-05T23:15:00Z", "detail-type": "Scheduled Event"});
        assert_eq!(scheduled_time(&event).to_rfc3339(), "2030-01-05T23:15:00+00:00");
        let offset = serde_json::json!({"time": "2030-01-05T20:15:00-03:00"});
        assert_eq!(scheduled_time(&offset), scheduled_time(&event));
        let before = chrono::Utc::now();
        assert!(scheduled_time(&serde_json::json!({"time": "soon"})) >= before);
    }
}
