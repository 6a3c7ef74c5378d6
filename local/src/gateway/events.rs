//! The events API Gateway sends with payload format 2.0: the route event
//! (`ApiGatewayV2httpRequest`) and the Lambda REQUEST authorizer event
//! (`ApiGatewayV2CustomAuthorizerV2Request`), built with the same `aws_lambda_events` types the
//! functions deserialize.

use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method};
use base64::Engine;
use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};

/// An HTTP request as the gateway received it.
pub struct Incoming {
    pub method: Method,
    pub raw_path: String,
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub source_ip: String,
    /// Our listening port (`x-forwarded-port`).
    pub port: u16,
    pub request_id: String,
    pub time: DateTime<Utc>,
}

/// Where the request landed: the values of `requestContext` that do not come from the request.
pub struct Target<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    pub api_id: &'a str,
    pub route_key: &'a str,
    pub path_parameters: &'a HashMap<String, String>,
}

/// Query string parameters: percent-decoded, repeated names joined by commas.
pub fn query_parameters(raw_query: &str) -> HashMap<String, String> {
    let mut parameters: HashMap<String, String> = HashMap::new();
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        parameters
            .entry(decode(name))
            .and_modify(|joined| {
                joined.push(',');
                joined.push_str(&decode(value));
            })
            .or_insert_with(|| decode(value));
    }
    parameters
}

/// The `cookies` array: every `Cookie` header split into its `name=value` pairs.
pub fn cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("cookie")
        .iter()
        .flat_map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(';')
                .map(|c| c.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|cookie| !cookie.is_empty())
        .collect()
}

/// Headers as the event carries them: one value per lower-case name, repeated values joined by
/// commas, cookies taken out, the `x-forwarded-*` headers API Gateway adds.
pub fn event_headers(incoming: &Incoming) -> HeaderMap {
    let mut joined: Vec<(String, String)> = Vec::new();
    for name in incoming.headers.keys() {
        if name == "cookie" {
            continue;
        }
        let values: Vec<String> = incoming
            .headers
            .get_all(name)
            .iter()
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .collect();
        joined.push((name.as_str().to_string(), values.join(",")));
    }
    let forwarded_for = match incoming.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {}", incoming.source_ip),
        None => incoming.source_ip.clone(),
    };
    joined.retain(|(name, _)| !name.starts_with("x-forwarded-"));
    joined.push(("x-forwarded-for".into(), forwarded_for));
    joined.push(("x-forwarded-port".into(), incoming.port.to_string()));
    joined.push(("x-forwarded-proto".into(), "http".into()));
    let mut headers = HeaderMap::new();
    for (name, value) in joined {
        let value = HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""));
        if let Ok(name) = axum::http::HeaderName::from_bytes(name.as_bytes()) {
            headers.insert(name, value);
        }
    }
    headers
}

/// `(body, isBase64Encoded)`: text bodies as they are, anything else in base64 as API Gateway
/// does (a body without a textual content type is binary to it).
pub fn body(headers: &HeaderMap, body: &Bytes) -> (Option<String>, bool) {
    if body.is_empty() {
        return (None, false);
    }
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    match std::str::from_utf8(body) {
        Ok(text) if is_text(content_type) => (Some(text.to_string()), false),
        _ => (Some(base64::engine::general_purpose::STANDARD.encode(body)), true),
    }
}

fn is_text(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
                | "application/yaml"
                | "application/x-yaml"
        )
}

fn request_context(incoming: &Incoming, target: &Target) -> ApiGatewayV2httpRequestContext {
    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = incoming.method.clone();
    http.path = Some(incoming.raw_path.clone());
    http.protocol = Some("HTTP/1.1".into());
    http.source_ip = Some(incoming.source_ip.clone());
    http.user_agent = Some(
        incoming
            .headers
            .get("user-agent")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default(),
    );
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(target.route_key.to_string());
    context.account_id = Some(target.account_id.to_string());
    context.stage = Some("$default".into());
    context.request_id = Some(incoming.request_id.clone());
    context.apiid = Some(target.api_id.to_string());
    context.domain_name = Some("127.0.0.1".into());
    context.domain_prefix = Some(target.api_id.to_string());
    context.time = Some(incoming.time.format("%d/%b/%Y:%H:%M:%S +0000").to_string());
    context.time_epoch = incoming.time.timestamp_millis();
    context.http = http;
    context
}

/// The event of a route's function; `authorizer` is the Lambda authorizer's `context`.
pub fn route_event(incoming: &Incoming, target: &Target, authorizer: Option<&Map<String, Value>>) -> Value {
    let mut event = ApiGatewayV2httpRequest::default();
    let (body, is_base64_encoded) = body(&incoming.headers, &incoming.body);
    let cookies = cookies(&incoming.headers);
    event.version = Some("2.0".into());
    event.route_key = Some(target.route_key.to_string());
    event.raw_path = Some(incoming.raw_path.clone());
    event.raw_query_string = Some(incoming.raw_query.clone());
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.headers = event_headers(incoming);
    event.query_string_parameters = query_parameters(&incoming.raw_query).into();
    event.path_parameters = target.path_parameters.clone();
    event.request_context = request_context(incoming, target);
    event.body = body;
    event.is_base64_encoded = is_base64_encoded;
    let mut event = serde_json::to_value(&event).expect("the event serializes");
    strip_v1_fields(&mut event);
    if let Some(context) = authorizer {
        event["requestContext"]["authorizer"] = json!({ "lambda": context });
    }
    event
}

/// The REQUEST authorizer event (payload 2.0); `identity` holds the identity source values.
pub fn authorizer_event(incoming: &Incoming, target: &Target, identity: Vec<String>) -> Value {
    let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
    event.version = Some("2.0".into());
    event.type_ = Some("REQUEST".into());
    event.route_arn = Some(format!(
        "arn:aws:execute-api:{}:{}:{}/$default/{}{}",
        target.region, target.account_id, target.api_id, incoming.method, incoming.raw_path
    ));
    event.identity_source = (!identity.is_empty()).then_some(identity);
    event.route_key = Some(target.route_key.to_string());
    event.raw_path = Some(incoming.raw_path.clone());
    event.raw_query_string = Some(incoming.raw_query.clone());
    event.cookies = cookies(&incoming.headers);
    event.headers = event_headers(incoming);
    event.query_string_parameters = query_parameters(&incoming.raw_query);
    event.path_parameters = target.path_parameters.clone();
    event.request_context = request_context(incoming, target);
    let mut event = serde_json::to_value(&event).expect("the event serializes");
    strip_v1_fields(&mut event);
    event
}

/// The types also describe older payloads; drop what a 2.0 event never carries, and the maps
/// API Gateway leaves out when empty.
fn strip_v1_fields(event: &mut Value) {
    let Some(object) = event.as_object_mut() else {
        return;
    };
    for field in ["methodArn", "httpMethod", "authorizationToken", "resource"] {
        object.remove(field);
    }
    if object.get("type").is_some_and(Value::is_null) {
        object.remove("type");
    }
    if object.get("identitySource").is_some_and(Value::is_null) {
        object.remove("identitySource");
    }
    for map in ["stageVariables", "pathParameters", "queryStringParameters", "cookies"] {
        let empty = match object.get(map) {
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            object.remove(map);
        }
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
