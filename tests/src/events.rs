//! Every function of `template.yaml` has a sample event under `events/` that deserializes into
//! the `aws_lambda_events` type its trigger delivers (what `cargo lambda invoke --data-file`
//! hands the function), and every sample names a real function.
//!
//! A sample `events/<service>/<name>.json` belongs to the function whose binary is
//! `<service>-<name>` or `<name>` (e.g. `events/identity/signup.json` → `identity-signup`).

use std::path::{Path, PathBuf};

use aws_lambda_events::event::apigw::{ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpRequest};
use aws_lambda_events::event::sqs::SqsEvent;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::support::project_dir;
use crate::template::{path_matches, Function, Template, Trigger};

fn sample_files() -> Vec<PathBuf> {
    let root = project_dir().join("events");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The function a sample belongs to.
fn owner<'a>(file: &Path, functions: &'a [Function]) -> Option<&'a Function> {
    let stem = file.file_stem()?.to_str()?;
    let service = file.parent()?.file_name()?.to_str()?;
    let qualified = format!("{service}-{stem}");
    functions
        .iter()
        .find(|f| f.binary.as_deref() == Some(qualified.as_str()))
        .or_else(|| functions.iter().find(|f| f.binary.as_deref() == Some(stem)))
}

fn parse<T: DeserializeOwned>(file: &Path, raw: &Value) -> T {
    serde_json::from_value(raw.clone()).unwrap_or_else(|e| {
        panic!(
            "{} does not deserialize as {}: {e}",
            file.display(),
            std::any::type_name::<T>()
        )
    })
}

fn check_sample(file: &Path, function: &Function) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    let raw: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
    let name = file.display();

    if function.is_authorizer {
        let event: ApiGatewayV2CustomAuthorizerV2Request = parse(file, &raw);
        assert_eq!(raw["version"], "2.0", "{name}: authorizer payload version");
        assert_eq!(raw["type"], "REQUEST", "{name}: authorizer event type");
        assert!(event.route_arn.is_some(), "{name}: routeArn");
        let route_key = event.route_key.as_deref().unwrap_or_default();
        let routes = Template::load().http_routes();
        assert!(
            routes.iter().any(|r| r.key() == route_key),
            "{name}: routeKey {route_key:?} is not a route of template.yaml"
        );
        assert!(
            event.headers.contains_key("authorization"),
            "{name}: an Authorization header to decide on"
        );
        return;
    }

    match function.triggers.first() {
        Some(Trigger::Http(_)) => {
            let event: ApiGatewayV2httpRequest = parse(file, &raw);
            assert_eq!(event.version.as_deref(), Some("2.0"), "{name}: payload format version");
            let route_key = event.route_key.clone().unwrap_or_default();
            let route = function
                .routes()
                .into_iter()
                .find(|r| r.key() == route_key)
                .unwrap_or_else(|| {
                    panic!(
                        "{name}: routeKey {route_key:?} is not a route of {}",
                        function.logical_id
                    )
                });
            let context = &event.request_context;
            assert_eq!(
                context.route_key.as_deref(),
                Some(route_key.as_str()),
                "{name}: requestContext.routeKey"
            );
            assert_eq!(
                context.stage.as_deref(),
                Some("$default"),
                "{name}: requestContext.stage"
            );
            assert!(context.request_id.is_some(), "{name}: requestContext.requestId");
            assert_eq!(
                context.http.method.as_str(),
                route.method,
                "{name}: requestContext.http.method"
            );
            let raw_path = event.raw_path.as_deref().unwrap_or_default();
            assert!(
                path_matches(&route.path, raw_path),
                "{name}: rawPath {raw_path:?} does not match {}",
                route.path
            );
            assert_eq!(
                context.http.path.as_deref(),
                Some(raw_path),
                "{name}: requestContext.http.path"
            );
            let authorizer = context
                .authorizer
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: requestContext.authorizer.lambda (the principal)"));
            for field in ["principal_id", "roles", "kind"] {
                assert!(
                    authorizer.fields.get(field).is_some_and(Value::is_string),
                    "{name}: authorizer.lambda.{field} string"
                );
            }
            assert!(!event.is_base64_encoded, "{name}: isBase64Encoded");
            if let Some(body) = &event.body {
                serde_json::from_str::<Value>(body).unwrap_or_else(|e| panic!("{name}: body is not JSON: {e}"));
            }
        }
        Some(Trigger::Sqs) => {
            let event: SqsEvent = parse(file, &raw);
            assert!(!event.records.is_empty(), "{name}: at least one record");
            for record in &event.records {
                assert_eq!(record.event_source.as_deref(), Some("aws:sqs"), "{name}: eventSource");
                assert!(record.message_id.is_some(), "{name}: messageId");
                let body = record.body.as_deref().unwrap_or_default();
                let message: Value =
                    serde_json::from_str(body).unwrap_or_else(|e| panic!("{name}: record body is not JSON: {e}"));
                if function.binary.as_deref() == Some("identity-notifier") {
                    for field in ["id", "template", "created"] {
                        assert!(message[field].is_string(), "{name}: notification.{field}");
                    }
                    assert!(message["to"]["email"].is_string(), "{name}: notification.to.email");
                }
            }
        }
        Some(Trigger::S3) => {
            let _: aws_lambda_events::event::s3::S3Event = parse(file, &raw);
        }
        Some(Trigger::DynamoDb) => {
            let _: aws_lambda_events::event::dynamodb::Event = parse(file, &raw);
        }
        Some(Trigger::Schedule) => {
            let _: aws_lambda_events::event::eventbridge::EventBridgeEvent<Value> = parse(file, &raw);
        }
        other => panic!(
            "{name}: no known event type for {} (trigger {other:?})",
            function.logical_id
        ),
    }
}

#[test]
fn every_sample_event_parses_as_its_functions_event() {
    let functions = Template::load().functions();
    let files = sample_files();
    let mut orphans = Vec::new();
    for file in &files {
        match owner(file, &functions) {
            Some(function) => check_sample(file, function),
            None => orphans.push(file.display().to_string()),
        }
    }
    assert!(
        orphans.is_empty(),
        "sample events that belong to no function of template.yaml: {orphans:?}"
    );
}

#[test]
fn every_function_has_a_sample_event() {
    let functions = Template::load().functions();
    let files = sample_files();
    let missing: Vec<String> = functions
        .iter()
        .filter(|f| {
            !files
                .iter()
                .any(|file| owner(file, &functions).is_some_and(|o| o.logical_id == f.logical_id))
        })
        .map(|f| format!("{} ({})", f.logical_id, f.binary.as_deref().unwrap_or("no binary")))
        .collect();
    assert!(
        missing.is_empty(),
        "functions without a sample event under events/: {missing:?}"
    );
}
