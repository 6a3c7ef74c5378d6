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

/// Most entries one `SendMessageBatch` takes.
const SEND_BATCH: usize = 10;
/// Rounds of resending the entries a batch send did not take.
const SEND_ROUNDS: u32 = 3;

/// Sends each message (as JSON) to the queue, ten per call, resending entries SQS did not take;
/// an error if some are still not sent (the caller's own retry then sends them again).
pub async fn send_all<T: serde::Serialize>(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[T],
) -> Result<(), crate::http::ApiError> {
    use crate::http::ApiError;
    use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
    for chunk in messages.chunks(SEND_BATCH) {
        let mut pending = chunk
            .iter()
            .enumerate()
            .map(|(index, message)| {
                let body = serde_json::to_string(message).map_err(ApiError::internal)?;
                SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(body)
                    .build()
                    .map_err(ApiError::internal)
            })
            .collect::<Result<Vec<_>, _>>()?;
        for round in 0..SEND_ROUNDS {
            if pending.is_empty() {
                break;
            }
            if round > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
            }
            let output = sqs
                .send_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(pending.clone()))
                .send()
                .await
                .map_err(crate::aws::sdk_error)?;
            let failed: Vec<&str> = output.failed().iter().map(|entry| entry.id()).collect();
            pending.retain(|entry| failed.contains(&entry.id()));
        }
        if !pending.is_empty() {
            return Err(ApiError::Unavailable(format!(
                "{} messages not sent to the queue",
                pending.len()
            )));
        }
    }
    Ok(())
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
