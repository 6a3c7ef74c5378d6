//! `/_local/*`: the platform's own endpoints for tests and developers. Never routed to
//! functions, whatever the template declares.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::docs;
use super::events::query_parameters;
use super::response::message;
use super::Shared;
use crate::control::{InvokeError, Sweep, SweepError};

pub const PREFIX: &str = "/_local";

pub async fn handle(shared: &Shared, method: &Method, path: &str, raw_query: &str, body: &[u8]) -> Response {
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    match (method.as_str(), rest) {
        ("GET", "/health") => {
            if shared.ready.load(Ordering::SeqCst) {
                Json(json!({"status": "ok"})).into_response()
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "starting"}))).into_response()
            }
        }
        ("GET", "/stats") => Json(json!({
            "runtime": (shared.runtime_stats)(),
            "triggers": (shared.trigger_stats)(),
        }))
        .into_response(),
        ("POST", rest) if rest.starts_with("/schedules/") => {
            let function = &rest["/schedules/".len()..];
            fire(shared, function, raw_query).await
        }
        ("POST", "/sweep") => sweep(shared, raw_query).await,
        ("GET", rest) if rest.starts_with("/openapi/") => {
            docs::document(shared.docs_dir.as_deref(), &rest["/openapi/".len()..])
        }
        ("GET", rest) if rest == "/docs" || rest.starts_with("/docs/") => {
            docs::reference(shared.docs_dir.as_deref(), &rest["/docs".len()..])
        }
        ("POST", rest) if rest.starts_with("/invoke/") => {
            let function = &rest["/invoke/".len()..];
            invoke(shared, function, body).await
        }
        _ => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// Fires a function's schedule now; answers once the invocation has finished.
/// `?time=<RFC 3339>` puts that instant in the scheduled event's `time` (default now); a
/// schedule with a declared `Input` sends that Input unchanged.
async fn fire(shared: &Shared, function: &str, raw_query: &str) -> Response {
    let time = match time_parameter(&query_parameters(raw_query)) {
        Ok(time) => time,
        Err(bad) => return bad.into_response(),
    };
    match shared.background.fire(function, time).await {
        Ok(result) => Json(result).into_response(),
        Err(InvokeError::UnknownFunction(_)) => {
            let error = format!("{function} is not a function with a schedule");
            (StatusCode::NOT_FOUND, Json(json!({"message": error}))).into_response()
        }
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"message": error.to_string(), "error": error_json(&error)})),
        )
            .into_response(),
    }
}

/// Invokes a function synchronously with the request body as its event (as `aws lambda invoke`
/// does): answers the function's response, or 502 with its error. Lets a test hand a function
/// exactly the event it wants to check — e.g. the same stream batch twice.
async fn invoke(shared: &Shared, function: &str, body: &[u8]) -> Response {
    let payload: serde_json::Value = match serde_json::from_slice(body) {
        Ok(payload) => payload,
        Err(_) => return message(StatusCode::BAD_REQUEST, "the body must be the event as JSON"),
    };
    match shared.invoker.invoke(function, payload).await {
        Ok(result) => Json(result).into_response(),
        Err(InvokeError::UnknownFunction(_)) => {
            let error = format!("{function} is not a function of the template");
            (StatusCode::NOT_FOUND, Json(json!({"message": error}))).into_response()
        }
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"message": error.to_string(), "error": error_json(&error)})),
        )
            .into_response(),
    }
}

/// Runs the lifecycle and TTL sweepers once: `?time=<RFC 3339>` as of that instant (default
/// now), `&bucket=<logical id or name>[&prefix=]` over that bucket's objects only.
async fn sweep(shared: &Shared, raw_query: &str) -> Response {
    let query = query_parameters(raw_query);
    let now = match time_parameter(&query) {
        Ok(time) => time.unwrap_or_else(Utc::now).timestamp(),
        Err(bad) => return bad.into_response(),
    };
    let request = Sweep {
        now,
        bucket: query.get("bucket").cloned(),
        prefix: query.get("prefix").cloned().unwrap_or_default(),
    };
    if request.bucket.is_none() && !request.prefix.is_empty() {
        return message(StatusCode::BAD_REQUEST, "prefix needs a bucket");
    }
    match shared.background.sweep(&request).await {
        Ok(swept) => Json(swept).into_response(),
        Err(error @ SweepError::UnknownBucket(_)) => message(StatusCode::NOT_FOUND, &error.to_string()),
        Err(error) => message(StatusCode::BAD_GATEWAY, &error.to_string()),
    }
}

/// The `time` query parameter of `/_local` endpoints that act "as of" an instant: `None` when
/// absent.
fn time_parameter(query: &HashMap<String, String>) -> Result<Option<DateTime<Utc>>, BadTime> {
    let Some(time) = query.get("time") else { return Ok(None) };
    let time = DateTime::parse_from_rfc3339(time).map_err(|_| BadTime)?;
    Ok(Some(time.with_timezone(&Utc)))
}

/// A `time` query parameter that is not an RFC 3339 instant: a 400.
struct BadTime;

impl IntoResponse for BadTime {
    fn into_response(self) -> Response {
        message(StatusCode::BAD_REQUEST, "time must be an RFC 3339 instant")
    }
}

fn error_json(error: &InvokeError) -> serde_json::Value {
    match error {
        InvokeError::Function {
            error_type,
            error_message,
        } => {
            json!({"errorType": error_type, "errorMessage": error_message})
        }
        InvokeError::Timeout(seconds) => {
            json!({"errorType": "Sandbox.Timedout", "errorMessage": error.to_string(), "seconds": seconds})
        }
        InvokeError::Runtime(message) => json!({"errorType": "Runtime", "errorMessage": message}),
        InvokeError::UnknownFunction(function) => {
            json!({"errorType": "ResourceNotFound", "errorMessage": function})
        }
    }
}
