//! `AWS::S3::Bucket` → CreateBucket (+ versioning, lifecycle), and the notification of every
//! bucket a function listens to into an internal queue that `triggers::s3` reads.

use std::collections::BTreeSet;

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, Event, ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, NotificationConfiguration, QueueConfiguration, VersioningConfiguration,
};
use serde_json::Value;

use super::props::{list, number, text};
use super::queues::queue_arn;
use super::ResourceError;
use crate::template::{Bucket, EventSource, Stack};

/// The events every notified bucket sends to its internal queue; the triggers pick what each
/// function asked for.
const ALWAYS_NOTIFIED: &[&str] = &["s3:ObjectCreated:*", "s3:ObjectRemoved:*"];

/// Name of the internal queue that carries `bucket`'s notifications (SQS names allow only
/// letters, digits, `-` and `_`, up to 80 characters; bucket names may hold dots).
pub fn s3_events_queue_name(stack: &Stack, bucket: &Bucket) -> String {
    let raw = format!("{}-s3events-{}", stack.name, bucket.logical_id);
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(80);
    name
}

pub async fn create(stack: &Stack, bucket: &Bucket, client: &aws_sdk_s3::Client) -> Result<(), ResourceError> {
    let id = bucket.logical_id.as_str();
    let mut request = client.create_bucket().bucket(&bucket.name);
    // us-east-1 refuses an explicit location constraint.
    if stack.region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(stack.region.as_str()))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()) => {}
        Err(error) => return Err(ResourceError::backend(id, "CreateBucket", error)),
    }

    if let Some(policy) = &bucket.policy {
        client
            .put_bucket_policy()
            .bucket(&bucket.name)
            .policy(policy.to_string())
            .send()
            .await
            .map_err(|e| ResourceError::backend(id, "PutBucketPolicy", e))?;
    }

    let p = &bucket.properties;
    if let Some(status) = p.get("VersioningConfiguration").and_then(|v| text(v, "Status")) {
        client
            .put_bucket_versioning()
            .bucket(&bucket.name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::from(status))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| ResourceError::backend(id, "PutBucketVersioning", e))?;
    }
    if let Some(lifecycle) = p.get("LifecycleConfiguration") {
        let rules = list(lifecycle, "Rules")
            .iter()
            .map(|rule| lifecycle_rule(id, rule))
            .collect::<Result<Vec<_>, _>>()?;
        if !rules.is_empty() {
            let configuration = BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(|e| ResourceError::invalid(id, e.to_string()))?;
            client
                .put_bucket_lifecycle_configuration()
                .bucket(&bucket.name)
                .lifecycle_configuration(configuration)
                .send()
                .await
                .map_err(|e| ResourceError::backend(id, "PutBucketLifecycleConfiguration", e))?;
        }
    }
    Ok(())
}

/// A CloudFormation lifecycle rule in the shape of the S3 API.
fn lifecycle_rule(bucket: &str, rule: &Value) -> Result<LifecycleRule, ResourceError> {
    let mut expiration = LifecycleExpiration::builder();
    let mut expires = false;
    if let Some(days) = number(rule, "ExpirationInDays") {
        expiration = expiration.days(days as i32);
        expires = true;
    }
    if let Some(marker) = rule.get("ExpiredObjectDeleteMarker").and_then(Value::as_bool) {
        expiration = expiration.expired_object_delete_marker(marker);
        expires = true;
    }
    let noncurrent_days = number(rule, "NoncurrentVersionExpirationInDays").or_else(|| {
        rule.get("NoncurrentVersionExpiration")
            .and_then(|n| number(n, "NoncurrentDays"))
    });
    let abort_days = rule
        .get("AbortIncompleteMultipartUpload")
        .and_then(|a| number(a, "DaysAfterInitiation"));
    LifecycleRule::builder()
        .set_id(text(rule, "Id").map(str::to_string))
        .status(ExpirationStatus::from(text(rule, "Status").unwrap_or("Enabled")))
        .filter(LifecycleRuleFilter::builder().prefix(rule_prefix(rule)).build())
        .set_expiration(expires.then(|| expiration.build()))
        .set_noncurrent_version_expiration(
            noncurrent_days.map(|d| NoncurrentVersionExpiration::builder().noncurrent_days(d as i32).build()),
        )
        .set_abort_incomplete_multipart_upload(abort_days.map(|d| {
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(d as i32)
                .build()
        }))
        .build()
        .map_err(|e| ResourceError::invalid(bucket, e.to_string()))
}

fn rule_prefix(rule: &Value) -> String {
    text(rule, "Prefix").unwrap_or_default().to_string()
}

/// An enabled `ExpirationInDays` rule of a bucket: the part of lifecycle the platform applies
/// itself, since moto never runs lifecycle rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpirationRule {
    pub prefix: String,
    pub days: u32,
}

pub fn expiration_rules(bucket: &Bucket) -> Vec<ExpirationRule> {
    let Some(lifecycle) = bucket.properties.get("LifecycleConfiguration") else {
        return Vec::new();
    };
    list(lifecycle, "Rules")
        .iter()
        .filter(|rule| text(rule, "Status").unwrap_or("Enabled") == "Enabled")
        // Tag and size filters need per-object requests; rules with them are left alone.
        .filter(|rule| rule.get("TagFilters").is_none() && rule.get("ObjectSizeGreaterThan").is_none())
        .filter_map(|rule| {
            let days = number(rule, "ExpirationInDays")?;
            Some(ExpirationRule {
                prefix: rule_prefix(rule),
                days: u32::try_from(days).ok()?,
            })
        })
        .collect()
}

/// Sends every event of `bucket` to its internal queue (created here).
pub async fn notify(
    stack: &Stack,
    bucket: &Bucket,
    s3: &aws_sdk_s3::Client,
    sqs: &aws_sdk_sqs::Client,
) -> Result<(), ResourceError> {
    let id = bucket.logical_id.as_str();
    let queue_name = s3_events_queue_name(stack, bucket);
    let url = sqs
        .create_queue()
        .queue_name(&queue_name)
        .send()
        .await
        .map_err(|e| ResourceError::backend(id, "CreateQueue (S3 notifications)", e))?
        .queue_url
        .unwrap_or_default();
    let arn = queue_arn(sqs, &url)
        .await
        .map_err(|e| ResourceError::backend(id, "GetQueueAttributes", e))?;

    let mut events: BTreeSet<String> = ALWAYS_NOTIFIED.iter().map(|e| e.to_string()).collect();
    for function in &stack.functions {
        for event in &function.events {
            if let EventSource::S3(source) = event {
                if source.bucket == bucket.logical_id {
                    events.extend(source.events.iter().filter(|e| !is_covered(e)).cloned());
                }
            }
        }
    }
    let configuration = QueueConfiguration::builder()
        .id(format!("{queue_name}-all"))
        .queue_arn(arn)
        .set_events(Some(events.iter().map(|e| Event::from(e.as_str())).collect()))
        .build()
        .map_err(|e| ResourceError::invalid(id, e.to_string()))?;
    s3.put_bucket_notification_configuration()
        .bucket(&bucket.name)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(configuration)
                .build(),
        )
        .send()
        .await
        .map_err(|e| ResourceError::backend(id, "PutBucketNotificationConfiguration", e))?;
    Ok(())
}

/// Whether `event` (e.g. `s3:ObjectCreated:Put`) is already part of [`ALWAYS_NOTIFIED`]: S3
/// refuses overlapping event types in one configuration.
fn is_covered(event: &str) -> bool {
    ALWAYS_NOTIFIED
        .iter()
        .any(|all| event.starts_with(all.trim_end_matches('*')))
}
