//! SQS workers with partial batch failures (`ReportBatchItemFailures`).
//!
//! Each record is handled on its own, its body deserialised into the queue's message type; a
//! record whose handler fails (or whose body is not a message of that type) is reported back
//! so that only it returns to the queue and, after its retries, goes to the dead-letter queue.

use std::future::Future;
use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{service_fn, LambdaEvent};
use serde::de::DeserializeOwned;

/// One message as the handler sees it.
#[derive(Debug, Clone)]
pub struct Received<T> {
    pub body: T,
    pub message_id: String,
    /// Deliveries of this message so far, this one included (`ApproximateReceiveCount`).
    pub receive_count: u32,
}

fn receive_count(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}

fn decode<T: DeserializeOwned>(message: SqsMessage) -> Result<Received<T>, String> {
    let count = receive_count(&message);
    let body: T = serde_json::from_str(message.body.as_deref().unwrap_or_default())
        .map_err(|error| format!("the message body is not a message of this queue: {error}"))?;
    Ok(Received {
        body,
        message_id: message.message_id.unwrap_or_default(),
        receive_count: count,
    })
}

/// Handles every record of a batch concurrently and reports the ones that failed.
pub async fn handle_batch<T, F, Fut, E>(event: SqsEvent, handler: &F) -> SqsBatchResponse
where
    T: DeserializeOwned,
    F: Fn(Received<T>) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let outcomes = futures_util::future::join_all(event.records.into_iter().map(|message| async move {
        let started = Instant::now();
        let message_id = message.message_id.clone().unwrap_or_default();
        let outcome = match decode::<T>(message) {
            Ok(received) => handler(received).await.map_err(|error| error.to_string()),
            Err(error) => Err(error),
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        match &outcome {
            Ok(()) => tracing::info!(message_id = %message_id, status = "ok", latency_ms, "message"),
            Err(error) => {
                tracing::warn!(message_id = %message_id, status = "failed", latency_ms, error = %error, "message")
            }
        }
        (message_id, outcome.is_ok())
    }))
    .await;

    let mut response = SqsBatchResponse::default();
    for (message_id, succeeded) in outcomes {
        if !succeeded {
            response.add_failure(message_id);
        }
    }
    response
}

/// Runs an SQS worker whose handler processes one message of type `T`.
pub async fn run<T, F, Fut, E>(handler: F) -> Result<(), lambda_runtime::Error>
where
    T: DeserializeOwned,
    F: Fn(Received<T>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(handle_batch(event.payload, handler).await)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Job {
        ok: bool,
    }

    fn message(id: &str, body: &str, count: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.to_string());
        message.body = Some(body.to_string());
        message
            .attributes
            .insert("ApproximateReceiveCount".into(), count.into());
        message
    }

    #[tokio::test]
    async fn failed_and_malformed_records_are_reported() {
        let mut event = SqsEvent::default();
        event.records = vec![
            message("1", r#"{"ok":true}"#, "1"),
            message("2", r#"{"ok":false}"#, "2"),
            message("3", "not json", "1"),
        ];
        let handler = |m: Received<Job>| async move {
            assert!(m.receive_count >= 1);
            if m.body.ok {
                Ok(())
            } else {
                Err("bad message")
            }
        };
        let response = handle_batch(event, &handler).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["2", "3"]);
    }

    #[test]
    fn receive_count_is_read() {
        let received: Received<serde_json::Value> = decode(message("1", "{}", "3")).unwrap();
        assert_eq!(received.receive_count, 3);
    }
}
