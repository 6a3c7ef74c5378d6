//! What moto never does by itself: expire objects by their bucket's lifecycle rules
//! (`ExpirationInDays`), by scanning: the platform emulating AWS's background process, not a
//! request path. DynamoDB's TTL is the backend's own (it sweeps by itself); a sweep on demand
//! asks it to sweep now.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::Context;
use crate::backend::describe_error as describe;
use crate::control::{Sweep, SweepError, Swept};
use crate::resources::expiration_rules;
use crate::template::Bucket;

const SWEEP_EVERY: Duration = Duration::from_secs(60);
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
            if let Err(failures) = expire_objects_in(&context, &everything).await {
                tracing::warn!(error = %failures.join("; "), "lifecycle sweep failed");
            }
        }
    })
}

/// Expires, as of `scope.now`, what the lifecycle rules say is expired, and has the backend
/// delete the items past their TTL (by its own clock): in every bucket and table, or only the
/// objects of `scope.bucket` under `scope.prefix`.
pub async fn sweep(context: &Context, scope: &Sweep) -> Result<Swept, SweepError> {
    if let Some(wanted) = &scope.bucket {
        if !context
            .stack
            .buckets
            .iter()
            .any(|b| &b.logical_id == wanted || &b.name == wanted)
        {
            return Err(SweepError::UnknownBucket(wanted.clone()));
        }
    }
    let mut swept = Swept::default();
    // One failing bucket or table does not stop the others.
    let mut failures = match expire_objects_in(context, scope).await {
        Ok(expired) => {
            swept.expired_objects = expired;
            Vec::new()
        }
        Err(failures) => failures,
    };
    if scope.bucket.is_none() {
        match crate::backend::sweep_ttl(&context.clients.endpoint).await {
            Ok(expired) => {
                context.stats.add(TTL, "expired_items", expired);
                swept.expired_items = expired;
            }
            Err(error) => failures.push(format!("TTL sweep: {error}")),
        }
    }
    if failures.is_empty() {
        Ok(swept)
    } else {
        Err(SweepError::Backend(failures.join("; ")))
    }
}

/// The lifecycle part of a sweep: the objects expired, or what failed.
async fn expire_objects_in(context: &Context, scope: &Sweep) -> Result<u64, Vec<String>> {
    let buckets = context.stack.buckets.iter().filter(|b| {
        scope
            .bucket
            .as_ref()
            .is_none_or(|wanted| &b.logical_id == wanted || &b.name == wanted)
    });
    let (mut expired, mut failures) = (0, Vec::new());
    for bucket in buckets {
        match expire_objects(context, bucket, scope).await {
            Ok(count) => expired += count,
            Err(message) => failures.push(format!("lifecycle sweep of {}: {message}", bucket.name)),
        }
    }
    if failures.is_empty() {
        Ok(expired)
    } else {
        Err(failures)
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
