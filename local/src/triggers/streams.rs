//! DynamoDB-stream event-source mappings: one task per shard, records in order, a failed batch
//! blocks its shard while it is retried (split in two with `BisectBatchOnFunctionError`,
//! resumed after the last good record with `ReportBatchItemFailures`), then described to the
//! `OnFailure` destination. Records that match none of the event's `FilterCriteria` are skipped
//! as they are read: they never enter a batch, and reading goes on past them (Lambda checkpoints
//! them), so a batch holds only records the function wants.
//!
//! moto quirk: after a failed transaction, moto restores a copy of the table and iterators
//! obtained earlier keep reading the old, frozen shard. So an iterator that returns nothing is
//! never trusted: the next poll opens a fresh one after the last record read.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::failures::{error_payload, failure_envelope, interpret_batch_response, BatchOutcome};
use super::filter::stream_record_passes;
use super::records::stream_record;
use super::stats::source_key;
use super::{Context, TriggerError};
use crate::backend::describe_error as describe;
use crate::control::InvokeError;
use crate::template::{EventSource, StreamSource};

/// Idle poll interval per shard (Lambda polls each shard four times a second).
const IDLE_POLL: Duration = Duration::from_millis(250);
/// `MaximumRetryAttempts: -1` retries until the record expires (24 h) on AWS; locally a broken
/// function would block its shard for good, so retrying stops here.
const UNBOUNDED_RETRY_CAP: u32 = 100;

struct Mapping {
    function: String,
    function_arn: String,
    source: StreamSource,
    key: String,
    /// The stream as the backend names it, for its API.
    stream_arn: String,
    /// The stream as the stack names it, in events (dynoxide files every table under a region
    /// and account of its own).
    event_source_arn: String,
    shard_id: String,
}

pub async fn start(context: &Arc<Context>) -> Result<Vec<JoinHandle<()>>, TriggerError> {
    let mut tasks = Vec::new();
    for function in &context.stack.functions {
        for event in &function.events {
            let EventSource::DynamoDb(source) = event else { continue };
            let key = source_key(&function.logical_id, &source.event_name);
            context.stats.register(&key, "dynamodb");
            if !source.enabled {
                continue;
            }
            let table = context
                .stack
                .table(&source.table)
                .ok_or_else(|| TriggerError::Invalid {
                    source_name: key.clone(),
                    message: format!("table {} is not in the template", source.table),
                })?;
            let described = context
                .clients
                .dynamodb
                .describe_table()
                .table_name(&table.name)
                .send()
                .await
                .map_err(|e| TriggerError::backend(&key, "DescribeTable", e))?;
            let stream_arn =
                described
                    .table
                    .and_then(|t| t.latest_stream_arn)
                    .ok_or_else(|| TriggerError::Invalid {
                        source_name: key.clone(),
                        message: format!("table {} has no stream (StreamSpecification)", table.logical_id),
                    })?;
            let stream = context
                .clients
                .streams
                .describe_stream()
                .stream_arn(&stream_arn)
                .send()
                .await
                .map_err(|e| TriggerError::backend(&key, "DescribeStream", e))?;
            let shards = stream.stream_description.and_then(|d| d.shards).unwrap_or_default();
            let label = stream_arn.rsplit_once("/stream/").map_or("local", |(_, label)| label);
            let event_source_arn = format!(
                "arn:aws:dynamodb:{}:{}:table/{}/stream/{label}",
                context.stack.region, context.stack.account_id, table.name
            );
            for shard in shards {
                let mapping = Mapping {
                    function: function.logical_id.clone(),
                    function_arn: function.arn.clone(),
                    source: source.clone(),
                    key: key.clone(),
                    stream_arn: stream_arn.clone(),
                    event_source_arn: event_source_arn.clone(),
                    shard_id: shard.shard_id.unwrap_or_default(),
                };
                let context = Arc::clone(context);
                tasks.push(tokio::spawn(async move { follow_shard(context, mapping).await }));
            }
        }
    }
    Ok(tasks)
}

/// Where reading resumes.
#[derive(Clone, Debug, PartialEq)]
enum Position {
    TrimHorizon,
    After(String),
}

async fn follow_shard(context: Arc<Context>, mapping: Mapping) {
    let mut position = match mapping.source.starting_position.as_str() {
        // Pin LATEST to a sequence number now: re-opening `LATEST` later would skip records.
        "LATEST" => match context.shutdown.run(latest_position(&context, &mapping)).await {
            Some(position) => position,
            None => return,
        },
        _ => Position::TrimHorizon,
    };
    let mut iterator: Option<String> = None;
    let mut buffer: VecDeque<Record> = VecDeque::new();
    let mut first_buffered: Option<Instant> = None;
    let batch_size = mapping.source.batch_size.max(1) as usize;
    loop {
        if context.shutdown.is_set() {
            return;
        }
        let ready = !buffer.is_empty()
            && (buffer.len() >= batch_size
                || first_buffered.is_some_and(|t| t.elapsed() >= mapping.source.batching_window));
        if ready {
            let batch: Vec<Record> = buffer.drain(..batch_size.min(buffer.len())).collect();
            if process(&context, &mapping, batch).await.is_none() {
                return;
            }
            first_buffered = if buffer.is_empty() { None } else { Some(Instant::now()) };
            continue;
        }
        match read(&context, &mapping, &position, iterator.take()).await {
            Ok((records, next)) if records.is_empty() => {
                // Possibly a stale iterator (see the module comment): re-open next time.
                drop(next);
                if !context.shutdown.sleep(IDLE_POLL).await {
                    return;
                }
            }
            Ok((records, next)) => {
                if let Some(last) = records.last().and_then(sequence_number) {
                    position = Position::After(last.to_string());
                }
                let read = records.len();
                let wanted = passing(
                    &mapping.source,
                    records,
                    &mapping.event_source_arn,
                    &context.stack.region,
                );
                if wanted.len() < read {
                    let skipped = (read - wanted.len()) as u64;
                    context.stats.add(&mapping.key, "filtered_records", skipped);
                }
                if !wanted.is_empty() {
                    first_buffered.get_or_insert_with(Instant::now);
                    buffer.extend(wanted);
                }
                iterator = next;
            }
            Err(message) => {
                tracing::warn!(source = mapping.key, %message, "reading the stream failed; re-opening the shard");
                if !context.shutdown.sleep(Duration::from_secs(1)).await {
                    return;
                }
            }
        }
    }
}

/// The records that pass the source's filters (all of them without filters).
fn passing(source: &StreamSource, records: Vec<Record>, stream_arn: &str, region: &str) -> Vec<Record> {
    if source.filters.is_empty() {
        return records;
    }
    records
        .into_iter()
        .filter(|record| stream_record_passes(&source.filters, &stream_record(record, stream_arn, region)))
        .collect()
}

fn sequence_number(record: &Record) -> Option<&str> {
    record.dynamodb.as_ref()?.sequence_number.as_deref()
}

/// The position of `LATEST` now: after the shard's last record (or its start if empty).
async fn latest_position(context: &Context, mapping: &Mapping) -> Position {
    let mut position = Position::TrimHorizon;
    loop {
        match read(context, mapping, &position, None).await {
            Ok((records, _)) if records.is_empty() => return position,
            Ok((records, _)) => match records.last().and_then(sequence_number) {
                Some(last) => position = Position::After(last.to_string()),
                None => return position,
            },
            Err(message) => {
                tracing::warn!(source = mapping.key, %message, "cannot find the stream's LATEST position yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// One GetRecords, with `iterator` or a fresh one at `position`.
async fn read(
    context: &Context,
    mapping: &Mapping,
    position: &Position,
    iterator: Option<String>,
) -> Result<(Vec<Record>, Option<String>), String> {
    let streams = &context.clients.streams;
    let iterator = match iterator {
        Some(iterator) => iterator,
        None => {
            let request = streams
                .get_shard_iterator()
                .stream_arn(&mapping.stream_arn)
                .shard_id(&mapping.shard_id);
            let request = match position {
                Position::TrimHorizon => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
                Position::After(sequence) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(sequence),
            };
            let output = request.send().await.map_err(describe)?;
            output.shard_iterator.ok_or("no shard iterator")?
        }
    };
    let output = streams
        .get_records()
        .shard_iterator(iterator)
        .limit(mapping.source.batch_size.clamp(1, 1000) as i32)
        .send()
        .await
        .map_err(describe)?;
    Ok((output.records.unwrap_or_default(), output.next_shard_iterator))
}

/// Delivers one batch until it is done (succeeded, or given up and sent to the on-failure
/// destination), blocking the shard meanwhile. `None` if the platform stopped.
async fn process(context: &Context, mapping: &Mapping, batch: Vec<Record>) -> Option<()> {
    let source = &mapping.source;
    let max_retries = source.maximum_retry_attempts.unwrap_or(UNBOUNDED_RETRY_CAP);
    // Chunks still to deliver, in order, each with the retries it has used.
    let mut pending: VecDeque<(Vec<Record>, u32)> = VecDeque::from([(batch, 0)]);
    while let Some((chunk, retries)) = pending.pop_front() {
        let events: Vec<Value> = chunk
            .iter()
            .map(|r| stream_record(r, &mapping.event_source_arn, &context.stack.region))
            .collect();
        context.stats.add(&mapping.key, "batches", 1);
        context.stats.add(&mapping.key, "records", chunk.len() as u64);
        let result = context
            .invoker
            .invoke(&mapping.function, json!({ "Records": events }))
            .await;
        let ids: Vec<&str> = chunk.iter().map(|r| sequence_number(r).unwrap_or_default()).collect();
        let (failed_from, error) = match interpret_batch_response(&result, source.report_batch_item_failures, &ids) {
            BatchOutcome::Success => continue,
            // Records before the first failure are done; retry from it.
            BatchOutcome::Partial(failed) => {
                let first = ids.iter().position(|id| *id == failed[0]).unwrap_or(0);
                (first, result.err())
            }
            BatchOutcome::Failed(_) => (0, result.err()),
        };
        let remaining: Vec<Record> = chunk[failed_from..].to_vec();
        context.stats.add(&mapping.key, "failed_batches", 1);
        if retries >= max_retries {
            give_up(context, mapping, &remaining, retries + 1, error.as_ref()).await;
            continue;
        }
        if source.bisect_on_error && remaining.len() > 1 {
            // Splitting does not count as a retry (as on AWS).
            let mut first = remaining;
            let second = first.split_off(first.len() / 2);
            pending.push_front((second, retries));
            pending.push_front((first, retries));
            continue;
        }
        context.stats.add(&mapping.key, "retries", 1);
        let backoff = Duration::from_millis(200u64 << retries.min(5));
        if !context.shutdown.sleep(backoff).await {
            return None;
        }
        pending.push_front((remaining, retries + 1));
    }
    Some(())
}

/// Retries exhausted: the batch is skipped and, if declared, described to the on-failure queue.
async fn give_up(context: &Context, mapping: &Mapping, records: &[Record], attempts: u32, error: Option<&InvokeError>) {
    context
        .stats
        .add(&mapping.key, "discarded_records", records.len() as u64);
    let Some(destination) = mapping
        .source
        .on_failure
        .as_ref()
        .and_then(|d| context.stack.queue(&d.queue))
    else {
        tracing::error!(
            source = mapping.key,
            records = records.len(),
            "stream batch failed after all retries; records skipped"
        );
        return;
    };
    let mut message = failure_envelope(&mapping.function_arn, "RetryAttemptsExhausted", attempts, error);
    if let Some(error) = error {
        message["responsePayload"] = error_payload(error);
    }
    message["DDBStreamBatchInfo"] = batch_info(mapping, records);
    match super::sqs::send_to_queue(context, &destination.name, &message).await {
        Ok(()) => context.stats.add(&mapping.key, "sent_to_on_failure", 1),
        Err(reason) => {
            tracing::error!(source = mapping.key, %reason, "cannot send the failed batch to its on-failure destination")
        }
    }
}

fn batch_info(mapping: &Mapping, records: &[Record]) -> Value {
    let arrival = |record: Option<&Record>| {
        record
            .and_then(|r| r.dynamodb.as_ref()?.approximate_creation_date_time)
            .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), 0))
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    json!({
        "shardId": mapping.shard_id,
        "startSequenceNumber": records.first().and_then(sequence_number),
        "endSequenceNumber": records.last().and_then(sequence_number),
        "approximateArrivalOfFirstRecord": arrival(records.first()),
        "approximateArrivalOfLastRecord": arrival(records.last()),
        "batchSize": records.len(),
        "streamArn": mapping.event_source_arn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::filters::parse_pattern;
    use aws_sdk_dynamodbstreams::types::{AttributeValue, OperationType, StreamRecord};

    fn record(operation: OperationType, sk: &str, sequence: &str) -> Record {
        let change = StreamRecord::builder()
            .keys("pk", AttributeValue::S("ORDER#o-1".into()))
            .keys("sk", AttributeValue::S(sk.into()))
            .new_image("sk", AttributeValue::S(sk.into()))
            .sequence_number(sequence)
            .build();
        Record::builder().event_name(operation).dynamodb(change).build()
    }

    #[test]
    fn only_records_that_pass_the_filters_are_buffered() {
        let mut source = StreamSource {
            event_name: "Appended".into(),
            table: "Table".into(),
            starting_position: "TRIM_HORIZON".into(),
            batch_size: 100,
            batching_window: Duration::ZERO,
            maximum_retry_attempts: Some(5),
            bisect_on_error: true,
            report_batch_item_failures: true,
            on_failure: None,
            enabled: true,
            filters: Vec::new(),
        };
        let records = || {
            vec![
                record(OperationType::Insert, "V#0000000001", "1"),
                record(OperationType::Insert, "VIEW", "2"),
                record(OperationType::Modify, "V#0000000001", "3"),
                record(OperationType::Insert, "V#0000000002", "4"),
                record(OperationType::Remove, "V#0000000002", "5"),
            ]
        };
        let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Table/stream/x";
        let sequences = |records: Vec<Record>| -> Vec<String> {
            records
                .iter()
                .filter_map(|r| sequence_number(r).map(str::to_string))
                .collect()
        };
        assert_eq!(
            sequences(passing(&source, records(), arn, "us-east-1")),
            ["1", "2", "3", "4", "5"]
        );
        source.filters = vec![parse_pattern(
            r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": [{"prefix": "V#"}]}}}}"#,
            Some("dynamodb"),
        )
        .unwrap()];
        assert_eq!(sequences(passing(&source, records(), arn, "us-east-1")), ["1", "4"]);
    }
}
