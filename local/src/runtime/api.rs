//! The Lambda Runtime API (`/2018-06-01/runtime/...`) as each instance sees it. Every
//! instance's `AWS_LAMBDA_RUNTIME_API` carries `/{function}/{instance}` as a base path, so one
//! server tells all instances apart.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::pool::{Assignment, Next};
use super::Inner;
use crate::control::InvokeError;

/// Lambda's limit on a synchronous response.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

pub fn router(inner: Arc<Inner>) -> Router {
    const BASE: &str = "/{function}/{instance}/2018-06-01/runtime";
    Router::new()
        .route(&format!("{BASE}/invocation/next"), get(next))
        .route(&format!("{BASE}/invocation/{{request_id}}/response"), post(response))
        .route(&format!("{BASE}/invocation/{{request_id}}/error"), post(error))
        .route(&format!("{BASE}/init/error"), post(init_error))
        // Oversized responses must reach the handler to fail the invocation as Lambda does.
        .layer(DefaultBodyLimit::max(MAX_RESPONSE_BYTES * 2))
        .with_state(inner)
}

async fn next(State(inner): State<Arc<Inner>>, Path((function, instance)): Path<(String, u64)>) -> Response {
    let outcome = match inner.with_pool(&function, |pool, effects| pool.next(instance, effects)) {
        Some(outcome) => outcome,
        None => return unknown_function(&function),
    };
    let assignment = match outcome {
        Next::Now(assignment) => assignment,
        Next::Wait(receiver) => match receiver.await {
            Ok(assignment) => assignment,
            Err(_) => return gone(),
        },
        Next::Gone => return gone(),
    };
    invocation_response(&inner, &function, assignment)
}

fn invocation_response(inner: &Inner, function: &str, assignment: Assignment) -> Response {
    let deadline_ms = assignment
        .deadline
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let arn = inner
        .stack
        .function(function)
        .map(|f| f.arn.clone())
        .unwrap_or_default();
    let mut response = Response::new(Body::from(assignment.payload));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json".into());
    set("lambda-runtime-aws-request-id", assignment.request_id.clone());
    set("lambda-runtime-deadline-ms", deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", arn);
    set("lambda-runtime-trace-id", trace_id(&assignment.request_id));
    response
}

/// An X-Ray trace header in the format Lambda passes (`Root=1-{epoch hex}-{24 hex}`).
fn trace_id(request_id: &str) -> String {
    let epoch = chrono::Utc::now().timestamp();
    let digits: String = request_id.chars().filter(char::is_ascii_hexdigit).take(24).collect();
    let parent = uuid::Uuid::new_v4().as_u64_pair().0;
    format!("Root=1-{epoch:08x}-{digits:0>24};Parent={parent:016x};Sampled=0")
}

async fn response(
    State(inner): State<Arc<Inner>>,
    Path((function, instance, request_id)): Path<(String, u64, String)>,
    body: Bytes,
) -> Response {
    let result = if body.len() > MAX_RESPONSE_BYTES {
        Err(InvokeError::Function {
            error_type: "Function.ResponseSizeTooLarge".into(),
            error_message: format!(
                "Response payload size ({} bytes) exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
                body.len()
            ),
        })
    } else if body.is_empty() {
        // A handler returning `()` sends nothing; Lambda hands the caller `null`.
        Ok(Value::Null)
    } else {
        serde_json::from_slice(&body).map_err(|e| InvokeError::Runtime(format!("the response is not JSON: {e}")))
    };
    let too_large = body.len() > MAX_RESPONSE_BYTES;
    let answer = finish(&inner, &function, instance, &request_id, result);
    if too_large && answer.status() == StatusCode::ACCEPTED {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({"errorType": "RequestEntityTooLarge", "errorMessage": "Payload too large"})),
        )
            .into_response();
    }
    answer
}

async fn error(
    State(inner): State<Arc<Inner>>,
    Path((function, instance, request_id)): Path<(String, u64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error = function_error(&headers, &body);
    finish(&inner, &function, instance, &request_id, Err(error))
}

async fn init_error(
    State(inner): State<Arc<Inner>>,
    Path((function, instance)): Path<(String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let message = function_error(&headers, &body).to_string();
    match inner.with_pool(&function, |pool, effects| pool.init_failed(instance, message, effects)) {
        Some(()) => accepted(),
        None => unknown_function(&function),
    }
}

/// `{errorType, errorMessage}` as the runtime posts it; the header names the type otherwise.
fn function_error(headers: &HeaderMap, body: &[u8]) -> InvokeError {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let header_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok());
    let error_type = parsed["errorType"]
        .as_str()
        .or(header_type)
        .unwrap_or("Unhandled")
        .to_string();
    let error_message = match parsed["errorMessage"].as_str() {
        Some(message) => message.to_string(),
        None => String::from_utf8_lossy(body).into_owned(),
    };
    InvokeError::Function {
        error_type,
        error_message,
    }
}

fn finish(
    inner: &Arc<Inner>,
    function: &str,
    instance: u64,
    request_id: &str,
    result: Result<Value, InvokeError>,
) -> Response {
    match inner.with_pool(function, |pool, _| pool.finish(instance, request_id, result)) {
        None => unknown_function(function),
        Some(Ok(())) => accepted(),
        Some(Err(())) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"errorType": "InvalidRequestID", "errorMessage": format!("Invalid request ID: {request_id}")})),
        )
            .into_response(),
    }
}

fn accepted() -> Response {
    (StatusCode::ACCEPTED, Json(json!({"status": "OK"}))).into_response()
}

fn gone() -> Response {
    // The instance was retired or killed; any answer that makes the runtime stop will do.
    (
        StatusCode::GONE,
        Json(json!({"errorType": "InstanceRetired", "errorMessage": "instance retired"})),
    )
        .into_response()
}

fn unknown_function(function: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"errorType": "ResourceNotFound", "errorMessage": format!("no function {function}")})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_type_comes_from_the_body_then_the_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "lambda-runtime-function-error-type",
            "Runtime.Unhandled".parse().unwrap(),
        );
        let body = br#"{"errorType":"&alloc::string::String","errorMessage":"boom"}"#;
        let error = function_error(&headers, body);
        assert!(matches!(&error, InvokeError::Function { error_type, error_message }
            if error_type == "&alloc::string::String" && error_message == "boom"));
        let error = function_error(&headers, b"not json");
        assert!(matches!(&error, InvokeError::Function { error_type, error_message }
            if error_type == "Runtime.Unhandled" && error_message == "not json"));
    }

    #[test]
    fn trace_ids_have_the_xray_shape() {
        let trace = trace_id("8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        assert!(trace.starts_with("Root=1-"), "{trace}");
        let root = trace.split(';').next().unwrap();
        assert_eq!(root.len(), "Root=1-".len() + 8 + 1 + 24);
    }
}
