//! The local stack as the rest of the platform sees it: every resource of `template.yaml`
//! with its local physical name and resolved properties.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

pub use super::filters::FilterPattern;

#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub region: String,
    pub account_id: String,
    /// Resolved parameter values (defaults, overrides and generated secrets).
    pub parameters: BTreeMap<String, Parameter>,
    pub tables: Vec<Table>,
    pub buckets: Vec<Bucket>,
    pub queues: Vec<Queue>,
    pub functions: Vec<Function>,
    pub apis: Vec<HttpApi>,
}

#[derive(Debug, Clone)]
pub struct Parameter {
    pub value: String,
    pub no_echo: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub logical_id: String,
    pub name: String,
    /// `AWS::DynamoDB::Table` properties, intrinsics resolved.
    pub properties: Value,
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub logical_id: String,
    pub name: String,
    /// `AWS::S3::Bucket` properties (lifecycle rules, ...), intrinsics resolved.
    pub properties: Value,
    /// The `PolicyDocument` of the `AWS::S3::BucketPolicy` naming this bucket, if any.
    pub policy: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Queue {
    pub logical_id: String,
    pub name: String,
    pub url: String,
    pub arn: String,
    pub visibility_timeout: Duration,
    pub fifo: bool,
    /// Logical id of the dead-letter queue and `maxReceiveCount`.
    pub redrive: Option<Redrive>,
    /// `AWS::SQS::Queue` properties, intrinsics resolved.
    pub properties: Value,
}

#[derive(Debug, Clone)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    pub name: String,
    pub arn: String,
    /// The cargo binary that implements it (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    pub timeout: Duration,
    pub memory_mb: u32,
    /// Globals merged with the function's own variables, `!Ref`s resolved.
    pub environment: BTreeMap<String, String>,
    /// Concurrent instances at most (`ReservedConcurrentExecutions`).
    pub reserved_concurrency: Option<u32>,
    /// `Policies`, intrinsics resolved: SAM policy templates with their parameters, inline
    /// documents, managed policy names or ARNs (see [`super::role`]).
    pub policies: Vec<serde_json::Value>,
    pub events: Vec<EventSource>,
    pub on_failure: Option<Destination>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventSource {
    HttpApi(HttpRoute),
    Sqs(SqsSource),
    S3(S3Source),
    DynamoDb(StreamSource),
    Schedule(ScheduleSource),
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpRoute {
    pub event_name: String,
    /// Logical id of the `AWS::Serverless::HttpApi`.
    pub api: String,
    /// Upper-case method or `ANY`.
    pub method: String,
    /// `/identity/me`, `/items/{id}`, `/files/{proxy+}` or `$default`.
    pub path: String,
    /// Name of the API authorizer, `None` for an open route (`NONE`, or no authorizer at all).
    pub authorizer: Option<String>,
}

impl HttpRoute {
    pub fn route_key(&self) -> String {
        if self.path == "$default" {
            "$default".to_string()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SqsSource {
    pub event_name: String,
    pub queue: String,
    pub batch_size: u32,
    pub batching_window: Duration,
    pub report_batch_item_failures: bool,
    pub enabled: bool,
    /// `FilterCriteria`: a message reaches the function only if it matches one of them (none:
    /// every message); the others are deleted from the queue, as Lambda deletes them.
    pub filters: Vec<FilterPattern>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct S3Source {
    pub event_name: String,
    pub bucket: String,
    /// `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`, ...
    pub events: Vec<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamSource {
    pub event_name: String,
    pub table: String,
    /// `TRIM_HORIZON` or `LATEST`.
    pub starting_position: String,
    pub batch_size: u32,
    pub batching_window: Duration,
    /// `None`: retry until the record expires (-1 on AWS).
    pub maximum_retry_attempts: Option<u32>,
    pub bisect_on_error: bool,
    pub report_batch_item_failures: bool,
    pub on_failure: Option<Destination>,
    pub enabled: bool,
    /// `FilterCriteria`: a record reaches the function only if it matches one of them (none:
    /// every record); the others are skipped, as Lambda checkpoints past them.
    pub filters: Vec<FilterPattern>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleSource {
    pub event_name: String,
    /// `rate(20 minutes)` or `cron(0/20 * * * ? *)`.
    pub expression: String,
    /// The declared `Input` (JSON text) that replaces the scheduled-event payload.
    pub input: Option<String>,
    pub enabled: bool,
}

/// Where failed asynchronous invocations or stream batches go: a queue (by logical id).
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub queue: String,
}

#[derive(Debug, Clone)]
pub struct HttpApi {
    pub logical_id: String,
    pub default_authorizer: Option<String>,
    pub authorizers: BTreeMap<String, Authorizer>,
    /// Stage throttling of every route (`DefaultRouteSettings`).
    pub default_throttling: Throttling,
    /// Throttling of single routes by route key (`RouteSettings`, `"GET /items/{id}"`): each
    /// limit it sets overrides the default's.
    pub route_throttling: BTreeMap<String, Throttling>,
}

/// `ThrottlingBurstLimit` and `ThrottlingRateLimit` of a stage's route settings; `None` where
/// the template sets no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Throttling {
    /// Requests at once: the size of the token bucket.
    pub burst_limit: Option<u64>,
    /// Steady requests per second: the bucket's refill rate.
    pub rate_limit: Option<f64>,
}

impl Throttling {
    /// `self`'s limits where it sets them, `default`'s elsewhere.
    pub fn or(self, default: Throttling) -> Throttling {
        Throttling {
            burst_limit: self.burst_limit.or(default.burst_limit),
            rate_limit: self.rate_limit.or(default.rate_limit),
        }
    }

    pub fn is_set(&self) -> bool {
        self.burst_limit.is_some() || self.rate_limit.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct Authorizer {
    pub name: String,
    /// Logical id of the authorizer function.
    pub function: String,
    /// Headers whose absence makes API Gateway answer 401 without calling the authorizer.
    pub identity_headers: Vec<String>,
    /// Query string parameters with the same role.
    pub identity_query_strings: Vec<String>,
    pub simple_responses: bool,
    /// `ReauthorizeEvery`: 0 disables caching.
    pub cache_ttl: Duration,
}

impl Stack {
    pub fn function(&self, logical_id: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }

    pub fn queue(&self, logical_id: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.logical_id == logical_id)
    }

    pub fn bucket(&self, logical_id: &str) -> Option<&Bucket> {
        self.buckets.iter().find(|b| b.logical_id == logical_id)
    }

    pub fn table(&self, logical_id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.logical_id == logical_id)
    }

    pub fn api(&self, logical_id: &str) -> Option<&HttpApi> {
        self.apis.iter().find(|a| a.logical_id == logical_id)
    }

    /// Every HTTP route with the function that serves it.
    pub fn routes(&self) -> impl Iterator<Item = (&Function, &HttpRoute)> {
        self.functions.iter().flat_map(|function| {
            function.events.iter().filter_map(move |event| match event {
                EventSource::HttpApi(route) => Some((function, route)),
                _ => None,
            })
        })
    }
}
