//! S3 notifications: each notified bucket's events arrive on its internal queue (see
//! `resources`); every record is rebuilt as S3 sends it and each function whose `Events` and
//! `Filter` match gets it by asynchronous invocation, one record per event, as S3 does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::records::{aws_s3_record, moto_record_key, s3_event_matches, s3_request_ids, S3RecordContext};
use super::stats::source_key;
use super::{asynchronous, Context, TriggerError};
use crate::backend::describe_error;
use crate::resources::s3_events_queue_name;
use crate::template::{Bucket, EventSource, S3Source};

struct Listener {
    function: String,
    source: S3Source,
    key: String,
}

pub async fn start(context: &Arc<Context>) -> Result<Vec<JoinHandle<()>>, TriggerError> {
    let mut tasks = Vec::new();
    for bucket in &context.stack.buckets {
        let listeners: Vec<Listener> = context
            .stack
            .functions
            .iter()
            .flat_map(|f| f.events.iter().map(move |e| (f, e)))
            .filter_map(|(function, event)| match event {
                EventSource::S3(source) if source.bucket == bucket.logical_id => Some(Listener {
                    function: function.logical_id.clone(),
                    source: source.clone(),
                    key: source_key(&function.logical_id, &source.event_name),
                }),
                _ => None,
            })
            .collect();
        if listeners.is_empty() {
            continue;
        }
        for listener in &listeners {
            context.stats.register(&listener.key, "s3");
        }
        let queue_name = s3_events_queue_name(&context.stack, bucket);
        let url = super::sqs::queue_url(context, &queue_name)
            .await
            .map_err(|message| TriggerError::Backend {
                source_name: listeners[0].key.clone(),
                operation: "GetQueueUrl (S3 notifications)",
                message,
            })?;
        let (context, bucket) = (Arc::clone(context), bucket.clone());
        tasks.push(tokio::spawn(async move { poll(context, bucket, url, listeners).await }));
    }
    Ok(tasks)
}

async fn poll(context: Arc<Context>, bucket: Bucket, url: String, listeners: Vec<Listener>) {
    let sqs = &context.clients.sqs;
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(20)
            .send();
        let messages = match context.shutdown.run(received).await {
            None => return,
            Some(Ok(output)) => output.messages.unwrap_or_default(),
            Some(Err(error)) => {
                tracing::warn!(bucket = bucket.name, error = %describe_error(error), "reading S3 notifications failed");
                if !context.shutdown.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        for message in messages {
            let body: Value = serde_json::from_str(message.body.as_deref().unwrap_or_default()).unwrap_or(Value::Null);
            dispatch(&context, &listeners, &body);
            // Dispatched (or not an event at all): the asynchronous invocations own it now.
            let receipt = message.receipt_handle.unwrap_or_default();
            if let Err(error) = sqs
                .delete_message()
                .queue_url(&url)
                .receipt_handle(receipt)
                .send()
                .await
            {
                tracing::warn!(bucket = bucket.name, error = %describe_error(error), "deleting an S3 notification failed");
            }
        }
    }
}

fn dispatch(context: &Arc<Context>, listeners: &[Listener], body: &Value) {
    // S3 sends `s3:TestEvent` when a notification configuration is set: not for functions.
    if body.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return;
    }
    let Some(records) = body.get("Records").and_then(Value::as_array) else {
        tracing::warn!(%body, "ignoring an S3 notification that is not an event");
        return;
    };
    for moto in records {
        let Some(key) = moto_record_key(moto) else { continue };
        let bucket_name = moto
            .pointer("/s3/bucket/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut event_name = moto
            .get("eventName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if event_name.starts_with("ObjectRemoved") && lifecycle_deleted(context, bucket_name, &key) {
            event_name = "LifecycleExpiration:Delete".to_string();
        }
        let (request_id, host_id) = s3_request_ids();
        let sequencer = next_sequencer();
        for listener in listeners {
            if !listener_matches(&listener.source, &event_name, &key) {
                continue;
            }
            let record_context = S3RecordContext {
                configuration_id: &listener.source.event_name,
                sequencer: sequencer.clone(),
                request_id: request_id.clone(),
                host_id: host_id.clone(),
                event_name: Some(&event_name),
            };
            let Some(record) = aws_s3_record(moto, &record_context) else {
                continue;
            };
            context.stats.add(&listener.key, "events", 1);
            asynchronous::spawn(
                context,
                listener.function.clone(),
                json!({ "Records": [record] }),
                listener.key.clone(),
            );
        }
    }
}

/// Whether a removal was the lifecycle sweeper's (then S3 reports `LifecycleExpiration:Delete`).
fn lifecycle_deleted(context: &Context, bucket: &str, key: &str) -> bool {
    context
        .expiring
        .lock()
        .map(|mut set| set.remove(&(bucket.to_string(), key.to_string())))
        .unwrap_or(false)
}

/// Whether a function's S3 event source wants this event for this (raw) key.
pub fn listener_matches(source: &S3Source, event_name: &str, key: &str) -> bool {
    source
        .events
        .iter()
        .any(|pattern| s3_event_matches(pattern, event_name))
        && source.prefix.as_deref().is_none_or(|p| key.starts_with(p))
        && source.suffix.as_deref().is_none_or(|s| key.ends_with(s))
}

/// S3's `sequencer`: hexadecimal, increasing for the events of a key (here: globally).
fn next_sequencer() -> String {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let previous = LAST.fetch_max(now, Ordering::SeqCst);
    let value = if now > previous {
        now
    } else {
        LAST.fetch_add(1, Ordering::SeqCst) + 1
    };
    format!("{value:018X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(events: &[&str], prefix: Option<&str>, suffix: Option<&str>) -> S3Source {
        S3Source {
            event_name: "Upload".into(),
            bucket: "Bucket".into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            prefix: prefix.map(str::to_string),
            suffix: suffix.map(str::to_string),
        }
    }

    #[test]
    fn listeners_filter_by_event_prefix_and_suffix() {
        let uploads = source(&["s3:ObjectCreated:*"], Some("uploads/"), Some(".png"));
        assert!(listener_matches(&uploads, "ObjectCreated:Put", "uploads/a b.png"));
        assert!(listener_matches(
            &uploads,
            "ObjectCreated:CompleteMultipartUpload",
            "uploads/x.png"
        ));
        assert!(!listener_matches(&uploads, "ObjectRemoved:Delete", "uploads/x.png"));
        assert!(!listener_matches(&uploads, "ObjectCreated:Put", "other/x.png"));
        assert!(!listener_matches(&uploads, "ObjectCreated:Put", "uploads/x.jpg"));
        let deletes = source(&["s3:ObjectRemoved:Delete"], None, None);
        assert!(deletes
            .events
            .iter()
            .any(|p| s3_event_matches(p, "ObjectRemoved:Delete")));
        assert!(!listener_matches(&deletes, "ObjectRemoved:DeleteMarkerCreated", "k"));
        assert!(!listener_matches(&deletes, "LifecycleExpiration:Delete", "k"));
    }

    #[test]
    fn sequencers_increase() {
        let a = next_sequencer();
        let b = next_sequencer();
        assert_eq!(a.len(), 18);
        assert!(b > a);
    }
}
