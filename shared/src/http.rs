//! HTTP answers for API Gateway (payload 2.0): JSON bodies, `application/problem+json`
//! errors (RFC 9457), bounded JSON request parsing, and the handler runner that logs one line
//! per request.

use std::future::Future;
use std::time::Instant;

use lambda_http::{http::StatusCode, Body, Request, RequestExt, Response};
use serde::{de::DeserializeOwned, Serialize};

/// Largest JSON body a handler accepts unless it says otherwise.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything a handler can answer besides success. Each maps to one status and a
/// problem+json body whose `detail` names the problem.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    /// A write that named the version it expected found another one: 409 with the problem member
    /// `current_version`, so the client can reload and decide again.
    #[error("{detail}")]
    VersionConflict { detail: String, current_version: u64 },
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// An abuse limit refused the request; the client may try again after `retry_after_seconds`
    /// (sent as the `Retry-After` header).
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_seconds: u64 },
    /// A dependency failed in a way the client can recover from by retrying.
    #[error("{0}")]
    Unavailable(String),
    /// Unexpected failure: the message is logged, never sent to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::VersionConflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document; `request_id` lets a client quote an internal error.
    pub fn problem(&self, request_id: &str) -> serde_json::Value {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let mut problem = serde_json::json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
        });
        let detail = match self {
            Self::Internal(_) => format!("Unexpected error; quote request id {request_id}"),
            Self::Validation(errors) => {
                problem["errors"] = serde_json::to_value(errors).unwrap_or_default();
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            other => other.to_string(),
        };
        problem["detail"] = detail.into();
        if let Self::VersionConflict { current_version, .. } = self {
            problem["current_version"] = (*current_version).into();
        }
        if matches!(self, Self::Internal(_)) {
            problem["request_id"] = request_id.into();
        }
        problem
    }

    pub fn into_response(self, request_id: &str) -> Response<Body> {
        let body = self.problem(request_id).to_string();
        let mut response = Response::builder()
            .status(self.status())
            .header("content-type", "application/problem+json");
        if let Self::TooManyRequests {
            retry_after_seconds, ..
        } = &self
        {
            response = response.header("retry-after", retry_after_seconds.to_string());
        }
        response
            .body(Body::Text(body))
            .expect("static response parts are valid")
    }
}

/// A JSON response with the given status.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(ApiError::internal)?;
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .map_err(ApiError::internal)
}

pub fn ok<T: Serialize>(value: &T) -> Result<Response<Body>, ApiError> {
    json(StatusCode::OK, value)
}

pub fn created<T: Serialize>(value: &T) -> Result<Response<Body>, ApiError> {
    json(StatusCode::CREATED, value)
}

pub fn no_content() -> Result<Response<Body>, ApiError> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(ApiError::internal)
}

/// Longest path parameter looked up: ids, slugs, plates and usernames are far shorter, and a
/// longer one finds nothing (404) instead of reaching DynamoDB's key size limit.
pub const MAX_PATH_PARAMETER_BYTES: usize = 256;

/// Path parameter `name` of the matched route (API Gateway always sends it); empty when absent
/// or longer than [`MAX_PATH_PARAMETER_BYTES`], so that a lookup by it finds nothing.
pub fn path(request: &Request, name: &str) -> String {
    let value = request
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default();
    if value.len() > MAX_PATH_PARAMETER_BYTES {
        return String::new();
    }
    value.to_string()
}

/// The first value of query parameter `name`, if sent.
pub fn query(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

/// The request body as JSON of type `T`, at most `max_bytes`: malformed JSON is a 400,
/// well-formed JSON of the wrong shape a 422 naming the field.
pub fn json_body<T: DeserializeOwned>(request: &Request, max_bytes: usize) -> Result<T, ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    parse_json_bytes(bytes, max_bytes)
}

/// Malformed JSON is a 400; well-formed JSON of the wrong shape is a 422 naming the field.
pub fn parse_json_bytes<T: DeserializeOwned>(bytes: &[u8], max_bytes: usize) -> Result<T, ApiError> {
    if bytes.len() > max_bytes {
        return Err(ApiError::PayloadTooLarge(max_bytes));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest("request body is required (JSON)".into()));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::BadRequest("request body must be a JSON object".into()));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        let field = missing_field_name(&inner)
            .map(|missing| {
                if path == "." {
                    missing.to_string()
                } else {
                    format!("{path}.{missing}")
                }
            })
            .unwrap_or(path);
        ApiError::invalid(field, strip_position(&inner))
    })
}

fn missing_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

/// The route key API Gateway matched (`POST /identity/signup`), if any.
pub fn route_key(request: &Request) -> String {
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
            context.route_key.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The caller's address as API Gateway saw it (`requestContext.http.sourceIp`); empty when
/// the request did not come through API Gateway.
pub fn source_ip(request: &Request) -> String {
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// Runs an HTTP handler: turns its errors into problem+json answers and logs one line per
/// request (function, request id, route, status, latency). Internal errors are logged with
/// their cause; nothing from the request body is.
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send,
{
    let handler = &handler;
    lambda_http::run(lambda_http::service_fn(move |request: Request| async move {
        let started = Instant::now();
        let request_id = request
            .lambda_context_ref()
            .map(|c| c.request_id.clone())
            .unwrap_or_default();
        let route = route_key(&request);
        let response = match handler(request).await {
            Ok(response) => response,
            Err(error) => {
                if let ApiError::Internal(cause) = &error {
                    tracing::error!(request_id = %request_id, route = %route, cause = %cause, "internal error");
                }
                error.into_response(&request_id)
            }
        };
        tracing::info!(
            request_id = %request_id,
            route = %route,
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        Ok::<_, lambda_http::Error>(response)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Signup {
        email: String,
        age: Option<u32>,
    }

    #[test]
    fn a_version_conflict_names_the_current_version() {
        let error = ApiError::VersionConflict {
            detail: "Order has changed: expected version 2, current version 3".into(),
            current_version: 3,
        };
        assert_eq!(error.status(), StatusCode::CONFLICT);
        let problem = error.problem("r-1");
        assert_eq!(problem["current_version"], 3);
        assert_eq!(
            problem["detail"],
            "Order has changed: expected version 2, current version 3"
        );
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let error = parse_json_bytes::<Signup>(b"{not json", 100).unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn missing_field_is_named() {
        let error = parse_json_bytes::<Signup>(b"{}", 100).unwrap_err();
        match error {
            ApiError::Validation(errors) => assert_eq!(errors[0].field, "email"),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn wrong_type_names_the_field() {
        let error = parse_json_bytes::<Signup>(br#"{"email":"a@b.c","age":"old"}"#, 100).unwrap_err();
        match error {
            ApiError::Validation(errors) => assert_eq!(errors[0].field, "age"),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn oversized_and_empty_bodies_are_refused() {
        assert_eq!(
            parse_json_bytes::<Signup>(&[b' '; 200], 100).unwrap_err().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            parse_json_bytes::<Signup>(b"", 100).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            parse_json_bytes::<Signup>(b"[]", 100).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn too_many_requests_says_when_to_retry() {
        let error = ApiError::TooManyRequests {
            detail: "too many signups from this address; try again later".into(),
            retry_after_seconds: 42,
        };
        let response = error.into_response("r");
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "42");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }

    #[test]
    fn internal_problem_hides_the_cause() {
        let problem = ApiError::internal("db password=hunter2").problem("req-1");
        let text = problem.to_string();
        assert!(!text.contains("hunter2"));
        assert_eq!(problem["status"], 500);
        assert_eq!(problem["request_id"], "req-1");
    }

    #[test]
    fn validation_problem_lists_fields() {
        let problem = ApiError::Validation(vec![FieldError::new("email", "is not an email")]).problem("r");
        assert_eq!(problem["status"], 422);
        assert_eq!(problem["errors"][0]["field"], "email");
        assert!(problem["detail"].as_str().unwrap().contains("email"));
    }
}
