//! A function's `Events`: HTTP API routes, SQS queues, S3 buckets, DynamoDB streams and
//! schedules, with SAM's defaults.

use std::time::Duration;

use serde_json::Value;
use serde_yaml::Value as Yaml;

use super::filters::filter_criteria;
use super::intrinsics::{referenced_logical_id, Resolver};
use super::model::*;
use super::{number, TemplateError};

/// The API SAM creates for `HttpApi` events without an `ApiId`.
pub const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// Route authorizer as written: `None` = the API's default, `Some("NONE")` = open.
pub const NO_AUTHORIZER: &str = "NONE";

pub fn event_source(
    function: &str,
    name: &str,
    event: &Yaml,
    resolver: &Resolver,
) -> Result<EventSource, TemplateError> {
    let kind = event.get("Type").and_then(Yaml::as_str).unwrap_or_default();
    let empty = Yaml::Mapping(Default::default());
    let raw = event.get("Properties").unwrap_or(&empty);
    let properties = resolver.resolve(raw)?;
    let context = |what: &str| TemplateError::Invalid(format!("{function}.Events.{name}: {what}"));
    let reference = |key: &str| -> Result<String, TemplateError> {
        raw.get(key)
            .and_then(referenced_logical_id)
            .ok_or_else(|| context(&format!("{key} must be a !Ref or !GetAtt of a template resource")))
    };
    let text = |key: &str| properties.get(key).and_then(Value::as_str).map(str::to_string);
    let flag = |key: &str, default: bool| properties.get(key).and_then(Value::as_bool).unwrap_or(default);
    let batching_window = Duration::from_secs(number(&properties, "MaximumBatchingWindowInSeconds").unwrap_or(0));
    let reports_failures = properties
        .get("FunctionResponseTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "ReportBatchItemFailures"));
    let filters = |structured_data: Option<&str>| {
        filter_criteria(properties.get("FilterCriteria"), structured_data).map_err(|error| context(&error))
    };

    Ok(match kind {
        "HttpApi" => {
            let api = match raw.get("ApiId") {
                Some(_) => reference("ApiId")?,
                None => IMPLICIT_HTTP_API.to_string(),
            };
            let path = text("Path").unwrap_or_else(|| "$default".to_string());
            let method = match text("Method") {
                Some(method) if method.eq_ignore_ascii_case("any") || method == "*" => "ANY".to_string(),
                Some(method) => method.to_uppercase(),
                None => "ANY".to_string(),
            };
            let authorizer = properties
                .get("Auth")
                .and_then(|a| a.get("Authorizer"))
                .and_then(Value::as_str)
                .map(str::to_string);
            EventSource::HttpApi(HttpRoute {
                event_name: name.to_string(),
                api,
                method,
                path,
                authorizer,
            })
        }
        "SQS" => EventSource::Sqs(SqsSource {
            event_name: name.to_string(),
            queue: reference("Queue")?,
            batch_size: number(&properties, "BatchSize").unwrap_or(10) as u32,
            batching_window,
            report_batch_item_failures: reports_failures,
            enabled: flag("Enabled", true),
            filters: filters(None)?,
        }),
        "S3" => {
            let events = match properties.get("Events") {
                Some(Value::String(one)) => vec![one.clone()],
                Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => return Err(context("S3 events need Events")),
            };
            let rule = |wanted: &str| {
                properties
                    .get("Filter")
                    .and_then(|f| f.get("S3Key"))
                    .and_then(|k| k.get("Rules"))
                    .and_then(Value::as_array)
                    .and_then(|rules| {
                        rules.iter().find(|r| {
                            r.get("Name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
                        })
                    })
                    .and_then(|r| r.get("Value"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            EventSource::S3(S3Source {
                event_name: name.to_string(),
                bucket: reference("Bucket")?,
                events,
                prefix: rule("prefix"),
                suffix: rule("suffix"),
            })
        }
        "DynamoDB" => {
            let on_failure = raw
                .get("DestinationConfig")
                .and_then(|d| d.get("OnFailure"))
                .and_then(|f| f.get("Destination"))
                .and_then(referenced_logical_id)
                .map(|queue| Destination { queue });
            let retries = match properties.get("MaximumRetryAttempts") {
                None => None,
                Some(value) => match value.as_i64().or_else(|| value.as_str().and_then(|s| s.parse().ok())) {
                    Some(n) if n < 0 => None,
                    Some(n) => Some(n as u32),
                    None => return Err(context("MaximumRetryAttempts must be a number")),
                },
            };
            EventSource::DynamoDb(StreamSource {
                event_name: name.to_string(),
                table: reference("Stream")?,
                starting_position: text("StartingPosition").unwrap_or_else(|| "LATEST".to_string()),
                batch_size: number(&properties, "BatchSize").unwrap_or(100) as u32,
                batching_window,
                maximum_retry_attempts: retries,
                bisect_on_error: flag("BisectBatchOnFunctionError", false),
                report_batch_item_failures: reports_failures,
                on_failure,
                enabled: flag("Enabled", true),
                // A stream record's data is JSON: Lambda only takes an object pattern for it.
                filters: filters(Some("dynamodb"))?,
            })
        }
        "Schedule" | "ScheduleV2" => {
            let expression = text("Schedule")
                .or_else(|| text("ScheduleExpression"))
                .ok_or_else(|| context("a schedule needs Schedule or ScheduleExpression"))?;
            let enabled = match properties.get("State").and_then(Value::as_str) {
                Some(state) => state.eq_ignore_ascii_case("ENABLED"),
                None => flag("Enabled", true),
            };
            EventSource::Schedule(ScheduleSource {
                event_name: name.to_string(),
                expression,
                input: text("Input"),
                enabled,
            })
        }
        other => {
            return Err(context(&format!(
                "event type {other} is not supported by the local platform"
            )))
        }
    })
}

/// Fills each route's authorizer from its API's `DefaultAuthorizer`; `NONE` opens the route.
pub fn apply_default_authorizers(stack: &mut Stack) {
    let defaults: Vec<(String, Option<String>)> = stack
        .apis
        .iter()
        .map(|api| (api.logical_id.clone(), api.default_authorizer.clone()))
        .collect();
    for function in &mut stack.functions {
        for event in &mut function.events {
            if let EventSource::HttpApi(route) = event {
                route.authorizer = match route.authorizer.take() {
                    Some(name) if name == NO_AUTHORIZER => None,
                    Some(name) => Some(name),
                    None => defaults
                        .iter()
                        .find(|(api, _)| *api == route.api)
                        .and_then(|(_, d)| d.clone()),
                };
            }
        }
    }
}
