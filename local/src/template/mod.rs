//! Reads `template.yaml` (AWS SAM) into the local [`Stack`]: parameters, `Globals`, physical
//! names, resolved properties, and every function's event sources. Nothing is listed twice:
//! the rest of the platform only ever looks at the template through this module.

mod events;
pub mod filters;
mod intrinsics;
mod model;
mod policies;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use serde_yaml::{Mapping, Value as Yaml};

pub use model::*;
pub use policies::{role, Role, SamPolicyTemplates};

use intrinsics::{Names, NoNames, Resolver};

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the template: {0}")]
    Io(#[from] std::io::Error),
    #[error("the template is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("invalid template: {0}")]
    Invalid(String),
    #[error("cannot resolve {0}: no such parameter or resource")]
    Unresolved(String),
}

/// Where the local stack lives.
#[derive(Debug, Clone)]
pub struct StackOptions {
    pub stack_name: String,
    pub region: String,
    pub account_id: String,
    /// Base URL of the local AWS backend (queue URLs are built from it).
    pub endpoint: String,
    /// `--parameter-overrides Name=Value`.
    pub parameter_overrides: BTreeMap<String, String>,
}

pub fn load(path: &Path, options: &StackOptions) -> Result<Stack, TemplateError> {
    parse(&std::fs::read_to_string(path)?, options)
}

pub fn parse(text: &str, options: &StackOptions) -> Result<Stack, TemplateError> {
    let document: Yaml = serde_yaml::from_str(text)?;
    let resources = document
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .ok_or_else(|| TemplateError::Invalid("no Resources section".into()))?;

    let parameters = parameters(&document, &options.parameter_overrides)?;
    let mut values: BTreeMap<String, String> = parameters
        .iter()
        .map(|(name, p)| (name.clone(), p.value.clone()))
        .collect();
    values.extend(pseudo_parameters(
        &options.stack_name,
        &options.region,
        &options.account_id,
    ));

    let names = physical_names(resources, options, &values)?;
    let resolver = Resolver {
        names: &names,
        values: &values,
    };
    let globals = document
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .cloned()
        .unwrap_or(Yaml::Mapping(Mapping::new()));

    let mut stack = Stack {
        name: options.stack_name.clone(),
        region: options.region.clone(),
        account_id: options.account_id.clone(),
        parameters,
        tables: Vec::new(),
        buckets: Vec::new(),
        queues: Vec::new(),
        functions: Vec::new(),
        apis: Vec::new(),
    };
    let mut implicit_api_used = false;
    let mut policies = Vec::new();

    for (logical_id, resource) in resources {
        let logical_id = logical_id.as_str().unwrap_or_default().to_string();
        let kind = resource.get("Type").and_then(Yaml::as_str).unwrap_or_default();
        let empty = Yaml::Mapping(Mapping::new());
        let raw_properties = resource.get("Properties").unwrap_or(&empty);
        let name = names.refs.get(&logical_id).cloned().unwrap_or_default();
        match kind {
            "AWS::DynamoDB::Table" => stack.tables.push(Table {
                logical_id,
                name,
                properties: resolver.resolve(raw_properties)?,
            }),
            "AWS::S3::Bucket" => stack.buckets.push(Bucket {
                logical_id,
                name,
                properties: resolver.resolve(raw_properties)?,
                policy: None,
            }),
            "AWS::S3::BucketPolicy" => policies.push(resolver.resolve(raw_properties)?),
            "AWS::SQS::Queue" => {
                let properties = resolver.resolve(raw_properties)?;
                stack
                    .queues
                    .push(queue(&logical_id, &names, raw_properties, properties)?);
            }
            "AWS::Serverless::Function" => {
                let merged = merge_globals(&globals, raw_properties);
                let function = function(&logical_id, resource, &merged, &names, &resolver)?;
                implicit_api_used |= function
                    .events
                    .iter()
                    .any(|e| matches!(e, EventSource::HttpApi(r) if r.api == events::IMPLICIT_HTTP_API));
                stack.functions.push(function);
            }
            "AWS::Serverless::HttpApi" => stack.apis.push(http_api(&logical_id, raw_properties, &resolver)?),
            _ => {}
        }
    }
    // A bucket policy applies to the bucket its `Bucket` property names.
    for policy in policies {
        let bucket_name = policy
            .get("Bucket")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        if let Some(bucket) = stack.buckets.iter_mut().find(|b| b.name == bucket_name) {
            bucket.policy = policy.get("PolicyDocument").cloned();
        }
    }
    if implicit_api_used {
        stack.apis.push(HttpApi {
            logical_id: events::IMPLICIT_HTTP_API.to_string(),
            default_authorizer: None,
            authorizers: BTreeMap::new(),
            default_throttling: Throttling::default(),
            route_throttling: BTreeMap::new(),
        });
    }
    events::apply_default_authorizers(&mut stack);
    validate_references(&stack)?;
    Ok(stack)
}

/// `AWS::Region`, `AWS::AccountId` ... as `!Ref` and `!Sub` read them.
fn pseudo_parameters(stack_name: &str, region: &str, account_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AWS::Region".to_string(), region.to_string()),
        ("AWS::StackName".to_string(), stack_name.to_string()),
        ("AWS::AccountId".to_string(), account_id.to_string()),
        ("AWS::Partition".to_string(), "aws".to_string()),
        ("AWS::URLSuffix".to_string(), "amazonaws.com".to_string()),
    ])
}

fn parameters(
    document: &Yaml,
    overrides: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Parameter>, TemplateError> {
    let mut parameters = BTreeMap::new();
    for name in overrides.keys() {
        if document.get("Parameters").and_then(|p| p.get(name.as_str())).is_none() {
            return Err(TemplateError::Invalid(format!(
                "parameter override {name} names no template parameter"
            )));
        }
    }
    let Some(declared) = document.get("Parameters").and_then(Yaml::as_mapping) else {
        return Ok(parameters);
    };
    for (name, declaration) in declared {
        let name = name.as_str().unwrap_or_default().to_string();
        let no_echo = declaration.get("NoEcho").and_then(Yaml::as_bool).unwrap_or(false);
        let default = declaration.get("Default").map(scalar_text);
        let value = match (overrides.get(&name), default) {
            (Some(value), _) => value.clone(),
            (None, Some(default)) => default,
            // A secret without a default gets a fresh random value for this local run.
            (None, None) if no_echo => generated_secret(),
            (None, None) => {
                return Err(TemplateError::Invalid(format!(
                    "parameter {name} has no default: pass --parameter-overrides {name}=VALUE"
                )))
            }
        };
        parameters.insert(name, Parameter { value, no_echo });
    }
    Ok(parameters)
}

fn generated_secret() -> String {
    format!(
        "local-{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn scalar_text(node: &Yaml) -> String {
    match node {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        other => serde_yaml::to_string(other).unwrap_or_default().trim().to_string(),
    }
}

/// The physical names and attributes of every resource, as `!Ref`/`!GetAtt` see them.
#[derive(Default)]
struct LocalNames {
    refs: BTreeMap<String, String>,
    attributes: BTreeMap<(String, String), String>,
}

impl Names for LocalNames {
    fn reference(&self, logical_id: &str) -> Option<String> {
        self.refs.get(logical_id).cloned()
    }
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<String> {
        self.attributes
            .get(&(logical_id.to_string(), attribute.to_string()))
            .cloned()
    }
}

fn physical_names(
    resources: &Mapping,
    options: &StackOptions,
    values: &BTreeMap<String, String>,
) -> Result<LocalNames, TemplateError> {
    let bare = Resolver {
        names: &NoNames,
        values,
    };
    let (region, account, stack) = (&options.region, &options.account_id, &options.stack_name);
    let mut names = LocalNames::default();
    for (logical_id, resource) in resources {
        let id = logical_id.as_str().unwrap_or_default().to_string();
        let kind = resource.get("Type").and_then(Yaml::as_str).unwrap_or_default();
        let explicit = |property: &str| -> Result<Option<String>, TemplateError> {
            resource
                .get("Properties")
                .and_then(|p| p.get(property))
                .map(|n| bare.string(n))
                .transpose()
        };
        let mut attribute = |name: &str, value: String| {
            names.attributes.insert((id.clone(), name.to_string()), value);
        };
        let reference = match kind {
            "AWS::DynamoDB::Table" => {
                let name = explicit("TableName")?.unwrap_or_else(|| format!("{stack}-{id}"));
                let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{name}");
                attribute("StreamArn", format!("{arn}/stream/local"));
                attribute("Arn", arn);
                name
            }
            "AWS::S3::Bucket" => {
                let name = explicit("BucketName")?.unwrap_or_else(|| format!("{stack}-{id}").to_lowercase());
                attribute("Arn", format!("arn:aws:s3:::{name}"));
                attribute("DomainName", format!("{name}.s3.amazonaws.com"));
                attribute("RegionalDomainName", format!("{name}.s3.{region}.amazonaws.com"));
                name
            }
            "AWS::SQS::Queue" => {
                let fifo = resource
                    .get("Properties")
                    .and_then(|p| p.get("FifoQueue"))
                    .is_some_and(|f| f.as_bool() == Some(true) || f.as_str() == Some("true"));
                let default_name = if fifo {
                    format!("{stack}-{id}.fifo")
                } else {
                    format!("{stack}-{id}")
                };
                let name = explicit("QueueName")?.unwrap_or(default_name);
                let url = format!("{}/{account}/{name}", options.endpoint.trim_end_matches('/'));
                attribute("Arn", format!("arn:aws:sqs:{region}:{account}:{name}"));
                attribute("QueueName", name);
                attribute("QueueUrl", url.clone());
                url
            }
            "AWS::Serverless::Function" => {
                let name = explicit("FunctionName")?.unwrap_or_else(|| format!("{stack}-{id}"));
                attribute("Arn", format!("arn:aws:lambda:{region}:{account}:function:{name}"));
                name
            }
            "AWS::Serverless::HttpApi" => {
                attribute("ApiEndpoint", "local".to_string());
                format!("local{id}")
            }
            _ => id.clone(),
        };
        names.refs.insert(id, reference);
    }
    Ok(names)
}

fn queue(logical_id: &str, names: &LocalNames, raw: &Yaml, properties: Value) -> Result<Queue, TemplateError> {
    let attribute = |name: &str| names.attribute(logical_id, name).unwrap_or_default();
    let visibility_seconds = number(&properties, "VisibilityTimeout").unwrap_or(30);
    let redrive = match raw.get("RedrivePolicy") {
        None => None,
        Some(policy) => {
            let target = policy
                .get("deadLetterTargetArn")
                .and_then(intrinsics::referenced_logical_id)
                .ok_or_else(|| {
                    TemplateError::Invalid(format!(
                        "{logical_id}: RedrivePolicy.deadLetterTargetArn must be !GetAtt <Queue>.Arn"
                    ))
                })?;
            let max_receive_count = properties
                .get("RedrivePolicy")
                .and_then(|p| number(p, "maxReceiveCount"))
                .unwrap_or(10) as u32;
            Some(Redrive {
                dead_letter_queue: target,
                max_receive_count,
            })
        }
    };
    Ok(Queue {
        logical_id: logical_id.to_string(),
        name: attribute("QueueName"),
        url: attribute("QueueUrl"),
        arn: attribute("Arn"),
        visibility_timeout: Duration::from_secs(visibility_seconds),
        fifo: properties
            .get("FifoQueue")
            .is_some_and(|f| f == &Value::Bool(true) || f == "true"),
        redrive,
        properties,
    })
}

/// A number property that the template may give as a number or a string (parameters are text).
pub(crate) fn number(object: &Value, key: &str) -> Option<u64> {
    match object.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// SAM `Globals.Function` under a function's own properties: the function wins, and
/// `Environment.Variables` are merged key by key.
fn merge_globals(globals: &Yaml, properties: &Yaml) -> Yaml {
    let mut merged = globals.as_mapping().cloned().unwrap_or_default();
    for (key, value) in properties.as_mapping().cloned().unwrap_or_default() {
        if key.as_str() == Some("Environment") {
            let mut variables = globals
                .get("Environment")
                .and_then(|e| e.get("Variables"))
                .and_then(Yaml::as_mapping)
                .cloned()
                .unwrap_or_default();
            if let Some(own) = value.get("Variables").and_then(Yaml::as_mapping) {
                variables.extend(own.clone());
            }
            let mut environment = Mapping::new();
            environment.insert("Variables".into(), Yaml::Mapping(variables));
            merged.insert(key, Yaml::Mapping(environment));
        } else {
            merged.insert(key, value);
        }
    }
    Yaml::Mapping(merged)
}

fn function(
    logical_id: &str,
    resource: &Yaml,
    properties: &Yaml,
    names: &LocalNames,
    resolver: &Resolver,
) -> Result<Function, TemplateError> {
    let binary = resource
        .get("Metadata")
        .and_then(|m| m.get("BuildProperties"))
        .and_then(|b| b.get("Binary"))
        .and_then(Yaml::as_str)
        .ok_or_else(|| {
            TemplateError::Invalid(format!(
                "{logical_id}: Metadata.BuildProperties.Binary names no cargo binary"
            ))
        })?
        .to_string();
    let resolved = resolver.resolve(properties)?;
    // Its calls are checked against the role SAM would build: a role of its own, or a boundary
    // on it, would need IAM resources this does not read.
    for unsupported in ["Role", "PermissionsBoundary"] {
        if resolved.get(unsupported).is_some() {
            return Err(TemplateError::Invalid(format!(
                "{logical_id}: {unsupported} is not supported locally; give the function Policies"
            )));
        }
    }
    let environment = resolved
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Value::as_object)
        .map(|variables| {
            variables
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let on_failure = properties
        .get("EventInvokeConfig")
        .and_then(|c| c.get("DestinationConfig"))
        .and_then(|d| d.get("OnFailure"))
        .and_then(|f| f.get("Destination"))
        .and_then(intrinsics::referenced_logical_id)
        .map(|queue| Destination { queue });
    let events = match properties.get("Events").and_then(Yaml::as_mapping) {
        Some(declared) => declared
            .iter()
            .map(|(name, event)| events::event_source(logical_id, name.as_str().unwrap_or_default(), event, resolver))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    Ok(Function {
        logical_id: logical_id.to_string(),
        name: names.reference(logical_id).unwrap_or_default(),
        arn: names.attribute(logical_id, "Arn").unwrap_or_default(),
        binary,
        timeout: Duration::from_secs(number(&resolved, "Timeout").unwrap_or(3)),
        memory_mb: number(&resolved, "MemorySize").unwrap_or(128) as u32,
        environment,
        reserved_concurrency: number(&resolved, "ReservedConcurrentExecutions").map(|n| n as u32),
        policies: match resolved.get("Policies") {
            Some(Value::Array(policies)) => policies.clone(),
            Some(policy) => vec![policy.clone()],
            None => Vec::new(),
        },
        events,
        on_failure,
    })
}

fn http_api(logical_id: &str, raw: &Yaml, resolver: &Resolver) -> Result<HttpApi, TemplateError> {
    let auth = raw.get("Auth");
    let default_authorizer = auth
        .and_then(|a| a.get("DefaultAuthorizer"))
        .map(|d| resolver.string(d))
        .transpose()?
        .filter(|name| name != "NONE");
    let mut authorizers = BTreeMap::new();
    if let Some(declared) = auth.and_then(|a| a.get("Authorizers")).and_then(Yaml::as_mapping) {
        for (name, declaration) in declared {
            let name = name.as_str().unwrap_or_default().to_string();
            let function = declaration
                .get("FunctionArn")
                .and_then(intrinsics::referenced_logical_id)
                .ok_or_else(|| {
                    TemplateError::Invalid(format!(
                        "{logical_id}: authorizer {name} needs FunctionArn: !GetAtt <Function>.Arn (JWT authorizers are not supported locally)"
                    ))
                })?;
            let identity = declaration.get("Identity");
            let list = |key: &str| -> Result<Vec<String>, TemplateError> {
                match identity.and_then(|i| i.get(key)) {
                    Some(Yaml::Sequence(items)) => items.iter().map(|i| resolver.string(i)).collect(),
                    _ => Ok(Vec::new()),
                }
            };
            let resolved = resolver.resolve(declaration)?;
            let cache_seconds = resolved
                .get("Identity")
                .and_then(|i| number(i, "ReauthorizeEvery"))
                .unwrap_or(300);
            authorizers.insert(
                name.clone(),
                Authorizer {
                    function,
                    identity_headers: list("Headers")?,
                    identity_query_strings: list("QueryStrings")?,
                    simple_responses: resolved
                        .get("EnableSimpleResponses")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    cache_ttl: Duration::from_secs(cache_seconds),
                    name,
                },
            );
        }
    }
    let default_throttling = match raw.get("DefaultRouteSettings") {
        Some(settings) => throttling(logical_id, "DefaultRouteSettings", &resolver.resolve(settings)?)?,
        None => Throttling::default(),
    };
    let mut route_throttling = BTreeMap::new();
    if let Some(settings) = raw.get("RouteSettings") {
        let resolved = resolver.resolve(settings)?;
        let routes = resolved.as_object().ok_or_else(|| {
            TemplateError::Invalid(format!(
                "{logical_id}: RouteSettings must map route keys (\"GET /path\") to settings"
            ))
        })?;
        for (route_key, settings) in routes {
            let what = format!("RouteSettings.{route_key}");
            let throttling = throttling(logical_id, &what, settings)?;
            if throttling.is_set() {
                route_throttling.insert(route_key.clone(), throttling);
            }
        }
    }
    Ok(HttpApi {
        logical_id: logical_id.to_string(),
        default_authorizer,
        authorizers,
        default_throttling,
        route_throttling,
    })
}

/// The throttling limits of one route settings object (other settings, such as
/// `DetailedMetricsEnabled`, mean nothing locally). Burst is an integer and rate a number, both
/// non-negative, as API Gateway accepts them; `!Ref` parameters arrive as text.
fn throttling(logical_id: &str, what: &str, settings: &Value) -> Result<Throttling, TemplateError> {
    let invalid =
        |key: &str, expected: &str| TemplateError::Invalid(format!("{logical_id}: {what}.{key} must be {expected}"));
    let burst_limit = match settings.get("ThrottlingBurstLimit") {
        None | Some(Value::Null) => None,
        Some(_) => Some(
            number(settings, "ThrottlingBurstLimit")
                .ok_or_else(|| invalid("ThrottlingBurstLimit", "a non-negative integer"))?,
        ),
    };
    let rate_limit = match settings.get("ThrottlingRateLimit") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|rate| rate.is_finite() && *rate >= 0.0)
            .ok_or_else(|| invalid("ThrottlingRateLimit", "a non-negative number"))?,
        ),
    };
    Ok(Throttling {
        burst_limit,
        rate_limit,
    })
}

/// Every event source, authorizer and redrive target points at a resource that exists.
fn validate_references(stack: &Stack) -> Result<(), TemplateError> {
    let missing =
        |what: &str, id: &str| TemplateError::Invalid(format!("{what} {id} is not a resource of the template"));
    for queue in &stack.queues {
        if let Some(redrive) = &queue.redrive {
            stack
                .queue(&redrive.dead_letter_queue)
                .ok_or_else(|| missing("dead-letter queue", &redrive.dead_letter_queue))?;
        }
    }
    for api in &stack.apis {
        for authorizer in api.authorizers.values() {
            stack
                .function(&authorizer.function)
                .ok_or_else(|| missing("authorizer function", &authorizer.function))?;
        }
        // CloudFormation refuses a stage whose RouteSettings name a route the API lacks.
        for route_key in api.route_throttling.keys() {
            if !stack
                .routes()
                .any(|(_, route)| route.api == api.logical_id && &route.route_key() == route_key)
            {
                return Err(TemplateError::Invalid(format!(
                    "{}: RouteSettings names route {route_key}, which no function declares on this API",
                    api.logical_id
                )));
            }
        }
    }
    for function in &stack.functions {
        for event in &function.events {
            match event {
                EventSource::HttpApi(route) => {
                    let api = stack.api(&route.api).ok_or_else(|| missing("HTTP API", &route.api))?;
                    if let Some(name) = &route.authorizer {
                        if !api.authorizers.contains_key(name) {
                            return Err(TemplateError::Invalid(format!(
                                "{}: route {} names authorizer {name}, which {} does not declare",
                                function.logical_id,
                                route.route_key(),
                                api.logical_id
                            )));
                        }
                    }
                }
                EventSource::Sqs(source) => {
                    stack
                        .queue(&source.queue)
                        .ok_or_else(|| missing("queue", &source.queue))?;
                }
                EventSource::S3(source) => {
                    stack
                        .bucket(&source.bucket)
                        .ok_or_else(|| missing("bucket", &source.bucket))?;
                }
                EventSource::DynamoDb(source) => {
                    let table = stack
                        .table(&source.table)
                        .ok_or_else(|| missing("table", &source.table))?;
                    if table.properties.get("StreamSpecification").is_none() {
                        return Err(TemplateError::Invalid(format!(
                            "table {} has no StreamSpecification",
                            source.table
                        )));
                    }
                }
                EventSource::Schedule(_) => {}
            }
        }
        if let Some(destination) = &function.on_failure {
            stack
                .queue(&destination.queue)
                .ok_or_else(|| missing("on-failure queue", &destination.queue))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
