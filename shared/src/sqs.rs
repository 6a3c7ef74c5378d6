//! SQS batch handling with partial batch failures (`ReportBatchItemFailures`).
//!
//! Each record is handled on its own; a record whose handler fails is reported back so
//! that only it returns to the queue (and, after its retries, to the dead-letter queue).

use std::future::Future;
use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{service_fn, LambdaEvent};

/// Handles every record of a batch concurrently and reports the ones that failed.
pub async fn handle_batch<F, Fut, E>(event: SqsEvent, handler: &F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let outcomes = futures_util::future::join_all(event.records.into_iter().map(|message| async move {
        let started = Instant::now();
        let message_id = message.message_id.clone().unwrap_or_default();
        let outcome = handler(message).await;
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

/// Runs an SQS worker whose handler processes one message.
pub async fn run<F, Fut, E>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(SqsMessage) -> Fut + Send + Sync,
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

    fn message(id: &str, body: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.to_string());
        message.body = Some(body.to_string());
        message
    }

    #[tokio::test]
    async fn only_failed_records_are_reported() {
        let mut event = SqsEvent::default();
        event.records = vec![message("1", "ok"), message("2", "boom"), message("3", "ok")];
        let handler = |m: SqsMessage| async move {
            if m.body.as_deref() == Some("boom") {
                Err("bad message")
            } else {
                Ok(())
            }
        };
        let response = handle_batch(event, &handler).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["2"]);
    }
}
