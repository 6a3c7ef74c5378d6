//! `/_local/*`: the platform's own endpoints for tests and developers. Never routed to
//! functions, whatever the template declares.

use std::sync::atomic::Ordering;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::response::message;
use super::Shared;
use crate::control::InvokeError;

pub const PREFIX: &str = "/_local";

pub async fn handle(shared: &Shared, method: &Method, path: &str) -> Response {
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
            fire(shared, function).await
        }
        _ => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// Fires a function's schedule now; answers once the invocation has finished.
async fn fire(shared: &Shared, function: &str) -> Response {
    match shared.schedules.fire(function).await {
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
