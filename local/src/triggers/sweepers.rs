//! What moto never does by itself: expire objects by their bucket's lifecycle rules
//! (`ExpirationInDays`) and delete DynamoDB items past their TTL. Both scan: they are the
//! platform emulating AWS's background processes, not a request path.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use tokio::task::JoinHandle;

use super::Context;
use crate::backend::describe_error as describe;
use crate::control::{Sweep, SweepError, Swept};
use crate::resources::expiration_rules;
use crate::template::{Bucket, Table};

const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// DynamoDB ignores TTL values more than five years in the past (likely not epoch seconds).
const TTL_IGNORED_AFTER_SECONDS: i64 = 5 * 365 * 86_400;
const LIFECYCLE: &str = "sweeper.lifecycle";
const TTL: &str = "sweeper.ttl";

pub fn start(context: &Arc<Context>) -> JoinHandle<()> {
    context.stats.register(LIFECYCLE, "sweeper");
    context.stats.register(TTL, "sweeper");
    let context = Arc::clone(context);
    tokio::spawn(async move {
        while context.shutdown.sleep(SWEEP_EVERY).await {
            let everything = Sweep {
                now: chrono::Utc::now().timestamp(),
                bucket: None,
                prefix: String::new(),
            };
            if let Err(error) = sweep(&context, &everything).await {
                tracing::warn!(%error, "sweep failed");
            }
        }
    })
}

/// Expires, as of `scope.now`, what the lifecycle rules and TTL attributes say is expired: in
/// every bucket and table, or only the objects of `scope.bucket` under `scope.prefix`.
pub async fn sweep(context: &Context, scope: &Sweep) -> Result<Swept, SweepError> {
    let mut swept = Swept::default();
    let buckets: Vec<&Bucket> = match &scope.bucket {
        None => context.stack.buckets.iter().collect(),
        Some(wanted) => vec![context
            .stack
            .buckets
            .iter()
            .find(|b| &b.logical_id == wanted || &b.name == wanted)
            .ok_or_else(|| SweepError::UnknownBucket(wanted.clone()))?],
    };
    // One failing bucket or table does not stop the others.
    let mut failures = Vec::new();
    for bucket in buckets {
        match expire_objects(context, bucket, scope).await {
            Ok(expired) => swept.expired_objects += expired,
            Err(message) => failures.push(format!("lifecycle sweep of {}: {message}", bucket.name)),
        }
    }
    if scope.bucket.is_none() {
        for table in &context.stack.tables {
            match expire_items(context, table, scope.now).await {
                Ok(expired) => swept.expired_items += expired,
                Err(message) => failures.push(format!("TTL sweep of {}: {message}", table.name)),
            }
        }
    }
    if failures.is_empty() {
        Ok(swept)
    } else {
        Err(SweepError::Backend(failures.join("; ")))
    }
}

async fn expire_objects(context: &Context, bucket: &Bucket, scope: &Sweep) -> Result<u64, String> {
    let s3 = &context.clients.s3;
    let mut expired = 0;
    for rule in expiration_rules(bucket) {
        // Objects under both the rule's prefix and the requested one: the longer of the two,
        // when one extends the other; none otherwise.
        let prefix = if scope.prefix.starts_with(&rule.prefix) {
            scope.prefix.clone()
        } else if rule.prefix.starts_with(&scope.prefix) {
            rule.prefix.clone()
        } else {
            continue;
        };
        let cutoff = scope.now - i64::from(rule.days) * 86_400;
        let mut token: Option<String> = None;
        loop {
            let page = s3
                .list_objects_v2()
                .bucket(&bucket.name)
                .prefix(&prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(describe)?;
            for object in page.contents() {
                let (Some(key), Some(modified)) = (object.key(), object.last_modified()) else {
                    continue;
                };
                if modified.secs() > cutoff {
                    continue;
                }
                // The notification this deletion causes is a lifecycle expiration, not a
                // DeleteObject: the S3 trigger renames it (see `s3::dispatch`).
                if let Ok(mut expiring) = context.expiring.lock() {
                    expiring.insert((bucket.name.clone(), key.to_string()));
                }
                s3.delete_object()
                    .bucket(&bucket.name)
                    .key(key)
                    .send()
                    .await
                    .map_err(describe)?;
                context.stats.add(LIFECYCLE, "expired_objects", 1);
                expired += 1;
            }
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    Ok(expired)
}

async fn expire_items(context: &Context, table: &Table, now: i64) -> Result<u64, String> {
    let Some(ttl) = table.properties.get("TimeToLiveSpecification") else {
        return Ok(0);
    };
    let enabled = matches!(ttl.get("Enabled"), Some(serde_json::Value::Bool(true)))
        || ttl.get("Enabled").and_then(|e| e.as_str()) == Some("true");
    let Some(attribute) = ttl.get("AttributeName").and_then(|a| a.as_str()).filter(|_| enabled) else {
        return Ok(0);
    };
    let keys: Vec<String> = table
        .properties
        .get("KeySchema")
        .and_then(|k| k.as_array())
        .map(|schema| {
            schema
                .iter()
                .filter_map(|k| k.get("AttributeName")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        return Ok(0);
    }
    let dynamodb = &context.clients.dynamodb;
    let mut expired = 0;
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(&table.name)
            .filter_expression("attribute_exists(#ttl)")
            .expression_attribute_names("#ttl", attribute)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(describe)?;
        for item in page.items() {
            let Some(AttributeValue::N(value)) = item.get(attribute) else {
                continue;
            };
            let Ok(expires) = value.parse::<f64>().map(|v| v as i64) else {
                continue;
            };
            if expires > now || expires < now - TTL_IGNORED_AFTER_SECONDS {
                continue;
            }
            let key: HashMap<String, AttributeValue> = keys
                .iter()
                .filter_map(|k| Some((k.clone(), item.get(k)?.clone())))
                .collect();
            // Only if the item still carries the expired value: it may have been renewed since.
            let deleted = dynamodb
                .delete_item()
                .table_name(&table.name)
                .set_key(Some(key))
                .condition_expression("#ttl = :expires")
                .expression_attribute_names("#ttl", attribute)
                .expression_attribute_values(":expires", AttributeValue::N(value.clone()))
                .send()
                .await;
            match deleted {
                Ok(_) => {
                    context.stats.add(TTL, "expired_items", 1);
                    expired += 1;
                }
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(error) => return Err(describe(error)),
            }
        }
        match page.last_evaluated_key() {
            Some(last) if !last.is_empty() => start = Some(last.clone()),
            _ => break,
        }
    }
    Ok(expired)
}
