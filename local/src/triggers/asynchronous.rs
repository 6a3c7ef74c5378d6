//! Lambda's asynchronous invocation (S3 notifications, schedules): a failed invocation is
//! retried twice (after 1 and 2 minutes on AWS; 1 s and 2 s locally, so tests stay fast), then
//! sent to the function's on-failure destination if it declares one, else dropped.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::failures::{error_payload, failure_envelope};
use super::Context;
use crate::control::InvokeError;

const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];

/// Invokes `function` with `payload` in the background, as an asynchronous invocation.
pub fn spawn(context: &Arc<Context>, function: String, payload: Value, source: String) {
    let context = Arc::clone(context);
    tokio::spawn(async move { invoke(&context, &function, payload, &source).await });
}

async fn invoke(context: &Context, function: &str, payload: Value, source: &str) {
    let mut attempts = 0u32;
    let error = loop {
        attempts += 1;
        context.stats.add(source, "invocations", 1);
        match context.invoker.invoke(function, payload.clone()).await {
            Ok(_) => return,
            Err(error) => {
                context.stats.add(source, "failed_invocations", 1);
                let Some(delay) = RETRY_DELAYS.get(attempts as usize - 1) else {
                    break error;
                };
                tracing::warn!(function, source, attempt = attempts, %error, "asynchronous invocation failed; retrying");
                if !context.shutdown.sleep(*delay).await {
                    return;
                }
            }
        }
    };
    context.stats.add(source, "retries_exhausted", 1);
    send_failure(context, function, payload, attempts, &error, source).await;
}

async fn send_failure(
    context: &Context,
    function: &str,
    payload: Value,
    attempts: u32,
    error: &InvokeError,
    source: &str,
) {
    let stack = &context.stack;
    let Some(definition) = stack.function(function) else {
        return;
    };
    let Some(destination) = definition.on_failure.as_ref().and_then(|d| stack.queue(&d.queue)) else {
        tracing::error!(function, source, %error, "asynchronous invocation failed after {attempts} attempts; event dropped (no on-failure destination)");
        return;
    };
    let mut record = failure_envelope(&definition.arn, "RetriesExhausted", attempts, Some(error));
    record["requestPayload"] = payload;
    record["responsePayload"] = error_payload(error);
    match super::sqs::send_to_queue(context, &destination.name, &record).await {
        Ok(()) => context.stats.add(source, "sent_to_on_failure", 1),
        Err(message) => {
            tracing::error!(function, source, queue = destination.name, %message, "cannot send the failed event to its on-failure destination")
        }
    }
}
