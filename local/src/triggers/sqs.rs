//! SQS event-source mappings: ONE receiver per queue (concurrent receivers on moto deliver a
//! message twice inside its visibility timeout), long-polling, batching up to `BatchSize`
//! within `MaximumBatchingWindowInSeconds`, with batches invoked concurrently up to a small
//! bound, as Lambda scales its pollers. Undeleted messages come back after the visibility
//! timeout and moto's redrive moves them to the dead-letter queue after `maxReceiveCount`
//! receives (checked on receive, as SQS does). Messages that match none of the event's
//! `FilterCriteria` are deleted without an invocation, as Lambda deletes them, and do not count
//! towards the batch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::failures::{interpret_batch_response, BatchOutcome};
use super::filter::sqs_record_passes;
use super::records::sqs_record;
use super::stats::source_key;
use super::{Context, TriggerError};
use crate::backend::describe_error;
use crate::template::{EventSource, Queue, SqsSource};

/// Longest long poll SQS allows; shutdown interrupts it.
const LONG_POLL_SECONDS: i32 = 20;
/// Batches of one queue in flight at once.
const MAX_CONCURRENT_BATCHES: usize = 5;
/// Lambda invokes early once a batch reaches the 6 MB payload limit.
const MAX_BATCH_BYTES: usize = 6 * 1024 * 1024;

/// A function listening to a queue.
struct Mapping {
    function: String,
    source: SqsSource,
    key: String,
}

pub async fn start(context: &Arc<Context>) -> Result<Vec<JoinHandle<()>>, TriggerError> {
    let mut by_queue: BTreeMap<String, Vec<Mapping>> = BTreeMap::new();
    for function in &context.stack.functions {
        for event in &function.events {
            if let EventSource::Sqs(source) = event {
                let key = source_key(&function.logical_id, &source.event_name);
                context.stats.register(&key, "sqs");
                let queue_timeout = context.stack.queue(&source.queue).map(|q| q.visibility_timeout);
                if queue_timeout.is_some_and(|visibility| visibility < function.timeout) {
                    // CloudFormation refuses this mapping: messages would reappear mid-invocation.
                    tracing::warn!(source = key, "the queue's VisibilityTimeout is shorter than the function's Timeout; AWS rejects this mapping");
                }
                if source.enabled {
                    by_queue.entry(source.queue.clone()).or_default().push(Mapping {
                        function: function.logical_id.clone(),
                        source: source.clone(),
                        key,
                    });
                }
            }
        }
    }
    let mut tasks = Vec::new();
    for (queue_id, mappings) in by_queue {
        let queue = context
            .stack
            .queue(&queue_id)
            .cloned()
            .ok_or_else(|| TriggerError::Invalid {
                source_name: mappings[0].key.clone(),
                message: format!("queue {queue_id} is not in the template"),
            })?;
        let url = queue_url(context, &queue.name)
            .await
            .map_err(|message| TriggerError::Backend {
                source_name: mappings[0].key.clone(),
                operation: "GetQueueUrl",
                message,
            })?;
        let context = Arc::clone(context);
        tasks.push(tokio::spawn(async move { poll(context, queue, url, mappings).await }));
    }
    Ok(tasks)
}

pub async fn queue_url(context: &Context, name: &str) -> Result<String, String> {
    let output = context
        .clients
        .sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(describe_error)?;
    Ok(output.queue_url.unwrap_or_default())
}

/// Sends `body` as JSON to the queue named `name` (on-failure destinations).
pub async fn send_to_queue(context: &Context, name: &str, body: &Value) -> Result<(), String> {
    let url = queue_url(context, name).await?;
    context
        .clients
        .sqs
        .send_message()
        .queue_url(url)
        .message_body(body.to_string())
        .send()
        .await
        .map_err(describe_error)?;
    Ok(())
}

async fn poll(context: Arc<Context>, queue: Queue, url: String, mappings: Vec<Mapping>) {
    let mappings: Vec<Arc<Mapping>> = mappings.into_iter().map(Arc::new).collect();
    let queue = Arc::new(queue);
    let in_flight = Arc::new(Semaphore::new(MAX_CONCURRENT_BATCHES));
    let mut turn = 0usize;
    loop {
        // Wait for a free slot before receiving: messages must not sit invisible while no
        // invocation can take them.
        let Some(Ok(permit)) = context.shutdown.run(Arc::clone(&in_flight).acquire_owned()).await else {
            return;
        };
        let mapping = Arc::clone(&mappings[turn % mappings.len()]);
        turn = turn.wrapping_add(1);
        let received = match context
            .shutdown
            .run(receive_batch(&context, &url, &queue, &mapping.source))
            .await
        {
            None => return,
            Some(Ok(received)) => received,
            Some(Err(message)) => {
                tracing::warn!(queue = queue.name, %message, "receiving from the queue failed");
                if !context.shutdown.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        if received.batch.is_empty() && received.filtered.is_empty() {
            continue;
        }
        let (context, queue, url) = (Arc::clone(&context), Arc::clone(&queue), url.clone());
        tokio::spawn(async move {
            delete_filtered(&context, &queue, &url, &mapping, &received.filtered).await;
            if !received.batch.is_empty() {
                deliver(&context, &queue, &url, &mapping, received.batch).await;
            }
            drop(permit);
        });
    }
}

/// What a mapping received: the batch for its function, and the messages its filters drop.
#[derive(Debug, Default)]
struct Received {
    batch: Vec<Message>,
    filtered: Vec<Message>,
}

impl Received {
    /// Adds messages to the batch or to the filtered ones, by the source's filters applied to
    /// the record Lambda would send.
    fn sort(&mut self, messages: Vec<Message>, source: &SqsSource, queue_arn: &str, region: &str) {
        for message in messages {
            let passes = source.filters.is_empty()
                || sqs_record_passes(&source.filters, &sqs_record(&message, queue_arn, region));
            if passes {
                self.batch.push(message);
            } else {
                self.filtered.push(message);
            }
        }
    }
}

/// One long poll, then more receives until the batch is full or the batching window closes.
async fn receive_batch(context: &Context, url: &str, queue: &Queue, source: &SqsSource) -> Result<Received, String> {
    let wanted = source.batch_size.max(1) as usize;
    let region = &context.stack.region;
    let mut received = Received::default();
    let first = receive(context, url, wanted.min(10), LONG_POLL_SECONDS).await?;
    received.sort(first, source, &queue.arn, region);
    if received.batch.is_empty() || source.batching_window.is_zero() {
        return Ok(received);
    }
    let deadline = Instant::now() + source.batching_window;
    let mut bytes: usize = received.batch.iter().map(message_size).sum();
    while received.batch.len() < wanted && bytes < MAX_BATCH_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let wait = left.as_secs().min(LONG_POLL_SECONDS as u64) as i32;
        let more = receive(context, url, (wanted - received.batch.len()).min(10), wait).await?;
        if more.is_empty() && wait == 0 {
            tokio::time::sleep(left.min(Duration::from_millis(200))).await;
        }
        let before = received.batch.len();
        received.sort(more, source, &queue.arn, region);
        bytes += received.batch[before..].iter().map(message_size).sum::<usize>();
    }
    Ok(received)
}

/// Messages that match none of the filters are deleted without an invocation, as Lambda does.
async fn delete_filtered(context: &Context, queue: &Queue, url: &str, mapping: &Mapping, messages: &[Message]) {
    if messages.is_empty() {
        return;
    }
    context
        .stats
        .add(&mapping.key, "filtered_records", messages.len() as u64);
    let messages: Vec<&Message> = messages.iter().collect();
    if let Err(message) = delete(context, url, &messages).await {
        tracing::warn!(queue = queue.name, %message, "deleting filtered-out messages failed; they will be received again");
    }
}

fn message_size(message: &Message) -> usize {
    message.body.as_ref().map_or(0, String::len)
}

async fn receive(context: &Context, url: &str, max: usize, wait_seconds: i32) -> Result<Vec<Message>, String> {
    let output = context
        .clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(max as i32)
        .wait_time_seconds(wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(describe_error)?;
    Ok(output.messages.unwrap_or_default())
}

async fn deliver(context: &Context, queue: &Queue, url: &str, mapping: &Mapping, batch: Vec<Message>) {
    let stack = &context.stack;
    let records: Vec<Value> = batch.iter().map(|m| sqs_record(m, &queue.arn, &stack.region)).collect();
    let stats = &context.stats;
    stats.add(&mapping.key, "batches", 1);
    stats.add(&mapping.key, "records", batch.len() as u64);

    let result = context
        .invoker
        .invoke(&mapping.function, json!({ "Records": records }))
        .await;
    let ids: Vec<&str> = batch
        .iter()
        .map(|m| m.message_id.as_deref().unwrap_or_default())
        .collect();
    let done: Vec<&Message> = match interpret_batch_response(&result, mapping.source.report_batch_item_failures, &ids) {
        BatchOutcome::Success => batch.iter().collect(),
        BatchOutcome::Partial(failed) => {
            stats.add(&mapping.key, "partial_batches", 1);
            stats.add(&mapping.key, "failed_records", failed.len() as u64);
            batch
                .iter()
                .filter(|m| !failed.iter().any(|f| Some(f.as_str()) == m.message_id.as_deref()))
                .collect()
        }
        BatchOutcome::Failed(reason) => {
            stats.add(&mapping.key, "failed_batches", 1);
            stats.add(&mapping.key, "failed_records", batch.len() as u64);
            tracing::warn!(function = mapping.function, queue = queue.name, %reason, "SQS batch failed; its messages return after the visibility timeout");
            Vec::new()
        }
    };
    if let Err(message) = delete(context, url, &done).await {
        tracing::warn!(queue = queue.name, %message, "deleting processed messages failed; they will be delivered again");
    } else {
        stats.add(&mapping.key, "deleted", done.len() as u64);
    }
}

async fn delete(context: &Context, url: &str, messages: &[&Message]) -> Result<(), String> {
    for chunk in messages.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                    .build()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let output = context
            .clients
            .sqs
            .delete_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(describe_error)?;
        if !output.failed.is_empty() {
            return Err(format!("{} deletions refused", output.failed.len()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::filters::parse_pattern;

    fn source(patterns: &[&str]) -> SqsSource {
        SqsSource {
            event_name: "Steps".into(),
            queue: "Queue".into(),
            batch_size: 10,
            batching_window: Duration::ZERO,
            report_batch_item_failures: true,
            enabled: true,
            filters: patterns.iter().map(|p| parse_pattern(p, None).unwrap()).collect(),
        }
    }

    fn message(id: &str, body: &str) -> Message {
        Message::builder()
            .message_id(id)
            .receipt_handle(format!("receipt-{id}"))
            .body(body)
            .build()
    }

    fn ids(messages: &[Message]) -> Vec<&str> {
        messages.iter().filter_map(|m| m.message_id.as_deref()).collect()
    }

    #[test]
    fn filters_split_what_reaches_the_function_from_what_is_deleted() {
        let arn = "arn:aws:sqs:us-east-1:123456789012:q";
        let messages = || {
            vec![
                message("1", r#"{"kind": "wanted", "n": 1}"#),
                message("2", r#"{"kind": "other"}"#),
                message("3", "wanted"),
                message("4", r#"{"kind": "wanted"}"#),
            ]
        };
        let mut received = Received::default();
        received.sort(
            messages(),
            &source(&[r#"{"body": {"kind": ["wanted"]}}"#]),
            arn,
            "us-east-1",
        );
        assert_eq!(ids(&received.batch), ["1", "4"]);
        assert_eq!(ids(&received.filtered), ["2", "3"]);

        // Two filters: or. A plain pattern takes the plain body.
        let mut received = Received::default();
        let either = source(&[r#"{"body": {"n": [{"numeric": [">", 0]}]}}"#, r#"{"body": ["wanted"]}"#]);
        received.sort(messages(), &either, arn, "us-east-1");
        assert_eq!(ids(&received.batch), ["1", "3"]);
        assert_eq!(ids(&received.filtered), ["2", "4"]);

        // Without filters everything is delivered.
        let mut received = Received::default();
        received.sort(messages(), &source(&[]), arn, "us-east-1");
        assert_eq!(received.batch.len(), 4);
        assert!(received.filtered.is_empty());
    }
}
