//! API Gateway (HTTP API, payload format 2.0) for the local platform: every route of every
//! API on one port, the Lambda authorizer first, the function's result mapped back to HTTP,
//! and API Gateway's own answers (404, 401, 403, 413, 429, 500, 503) where it gives them, stage
//! throttling included ([`throttle`]). Requests under `/_local` are the platform's own
//! ([`local`]) and never throttled.

mod authorizer;
mod docs;
mod events;
mod local;
mod response;
mod routing;
mod throttle;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{Map, Value};

use crate::control::{Background, Invoker};
use crate::template::Stack;
use authorizer::Decision;
use events::{Incoming, Target};
use response::{internal_error, message};
use routing::{Matched, RouteTable};
use throttle::Throttle;

/// API Gateway's payload limit for HTTP APIs.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
/// Beyond this an oversized request is cut off instead of drained.
const DRAIN_LIMIT_BYTES: usize = 64 * 1024 * 1024;
/// The HTTP API integration timeout: past it the caller gets a 503, whatever the function does.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long API Gateway waits for a Lambda authorizer before answering 500.
const AUTHORIZER_TIMEOUT: Duration = Duration::from_secs(10);

/// Produces a JSON document for `GET /_local/stats`.
pub type StatsFn = Arc<dyn Fn() -> Value + Send + Sync>;

struct Shared {
    stack: Arc<Stack>,
    routes: RouteTable,
    throttle: Throttle,
    invoker: Arc<dyn Invoker>,
    background: Arc<dyn Background>,
    ready: Arc<AtomicBool>,
    runtime_stats: StatsFn,
    trigger_stats: StatsFn,
    cache: authorizer::Cache,
    port: u16,
    /// The committed OpenAPI documents (`docs/openapi` beside the template), if any.
    docs_dir: Option<std::path::PathBuf>,
}

/// What `/_local` serves besides the routes: `ready` drives `GET /_local/health`;
/// `runtime_stats` and `trigger_stats` fill `GET /_local/stats` as `{runtime, triggers}`;
/// `docs_dir` holds the OpenAPI documents of `/_local/openapi` and `/_local/docs`.
pub struct LocalEndpoints {
    pub ready: Arc<AtomicBool>,
    pub runtime_stats: StatsFn,
    pub trigger_stats: StatsFn,
    pub docs_dir: Option<std::path::PathBuf>,
}

/// Serves every HTTP API of `stack` (and `/_local`) on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    stack: Arc<Stack>,
    invoker: Arc<dyn Invoker>,
    background: Arc<dyn Background>,
    local: LocalEndpoints,
) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    let routes = RouteTable::new(&stack);
    let throttle = Throttle::new(&stack);
    let shared = Arc::new(Shared {
        stack,
        routes,
        throttle,
        invoker,
        background,
        ready: local.ready,
        runtime_stats: local.runtime_stats,
        trigger_stats: local.trigger_stats,
        cache: authorizer::Cache::default(),
        port,
        docs_dir: local.docs_dir,
    });
    let app = Router::new().fallback(handle).with_state(shared);
    axum::serve(
        crate::net::without_delay(listener),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let request_id = request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let mut response = if path == local::PREFIX || path.starts_with("/_local/") {
        let query = request.uri().query().unwrap_or_default().to_string();
        match read_body(request.into_body()).await {
            Ok(body) => local::handle(&shared, &method, &path, &query, &body).await,
            Err(too_large) => too_large,
        }
    } else {
        route(&shared, peer, request, &request_id).await
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", value);
    }
    let status = response.status().as_u16();
    log(format!(
        "{method} {path} -> {status} ({} ms)",
        started.elapsed().as_millis()
    ));
    response
}

/// Same shape as API Gateway's request ids (`JKJaXmPLvHcESHA=`).
fn request_id() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    base64::engine::general_purpose::STANDARD.encode(&bytes[..11])
}

async fn route(shared: &Shared, peer: SocketAddr, request: Request, request_id: &str) -> Response {
    let declared_length = request
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > DRAIN_LIMIT_BYTES) {
        return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    }
    let (parts, body) = request.into_parts();
    // The whole request is read before answering, as API Gateway does: a client still
    // writing an oversized body must get its 413, not a broken pipe.
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let method = parts.method.clone();
    let Some(matched) = shared.routes.find(method.as_str(), parts.uri.path()) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    // Stage throttling answers before the authorizer or the function is invoked.
    if !shared
        .throttle
        .admit(&matched.route.api, &matched.route.route_key, Instant::now())
    {
        return message(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    }
    let incoming = Incoming {
        method,
        raw_path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts.headers,
        body,
        source_ip: peer.ip().to_string(),
        port: shared.port,
        request_id: request_id.to_string(),
        time: chrono::Utc::now(),
    };
    let api_id = format!("local{}", matched.route.api);
    let target = Target {
        account_id: &shared.stack.account_id,
        region: &shared.stack.region,
        api_id: &api_id,
        route_key: &matched.route.route_key,
        path_parameters: &matched.path_parameters,
    };
    let context = match &matched.route.authorizer {
        None => None,
        Some(name) => match authorize(shared, &matched, name, &incoming, &target).await {
            Ok(context) => Some(context),
            Err(response) => return response,
        },
    };
    let event = events::route_event(&incoming, &target, context.as_ref());
    let function = &matched.route.function;
    match tokio::time::timeout(INTEGRATION_TIMEOUT, shared.invoker.invoke(function, event)).await {
        Err(_) => message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        Ok(Err(error)) => {
            log(format!("{function} failed: {error}"));
            internal_error()
        }
        Ok(Ok(result)) => response::from_result(result).unwrap_or_else(|| {
            log(format!("{function} returned a response API Gateway cannot map"));
            internal_error()
        }),
    }
}

/// Reads the body, refusing more than API Gateway accepts (whatever `content-length` said).
/// Past the limit the rest is read and dropped, up to `DRAIN_LIMIT_BYTES`, so the client
/// finishes sending and reads the 413.
async fn read_body(mut body: Body) -> Result<axum::body::Bytes, Response> {
    let too_large = || message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
    let mut kept = Vec::new();
    let mut received = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(message(StatusCode::BAD_REQUEST, "Bad Request"));
        };
        let Ok(data) = frame.into_data() else { continue };
        received += data.len();
        if received > DRAIN_LIMIT_BYTES {
            return Err(too_large());
        }
        if received <= MAX_REQUEST_BYTES {
            kept.extend_from_slice(&data);
        }
    }
    if received > MAX_REQUEST_BYTES {
        return Err(too_large());
    }
    Ok(kept.into())
}

/// Runs the route's authorizer; `Ok` with its context, or the answer API Gateway gives instead.
async fn authorize(
    shared: &Shared,
    matched: &Matched<'_>,
    name: &str,
    incoming: &Incoming,
    target: &Target<'_>,
) -> Result<Map<String, Value>, Response> {
    let api = &matched.route.api;
    let Some(authorizer) = shared.stack.api(api).and_then(|a| a.authorizers.get(name)) else {
        log(format!(
            "{}: authorizer {name} is not declared on {api}",
            matched.route.route_key
        ));
        return Err(internal_error());
    };
    let query = events::query_parameters(&incoming.raw_query);
    let Some(identity) = authorizer::identity_sources(authorizer, &incoming.headers, &query) else {
        return Err(message(StatusCode::UNAUTHORIZED, "Unauthorized"));
    };
    let decision = match shared.cache.get(api, authorizer, &identity) {
        Some(decision) => decision,
        None => {
            let event = events::authorizer_event(incoming, target, identity.clone());
            let answer =
                tokio::time::timeout(AUTHORIZER_TIMEOUT, shared.invoker.invoke(&authorizer.function, event)).await;
            let decision = match answer {
                Ok(Ok(answer)) => authorizer::decision(authorizer, &answer),
                Ok(Err(error)) => {
                    log(format!("authorizer {name} failed: {error}"));
                    None
                }
                Err(_) => {
                    log(format!(
                        "authorizer {name} did not answer within {AUTHORIZER_TIMEOUT:?}"
                    ));
                    None
                }
            };
            let Some(decision) = decision else {
                return Err(internal_error());
            };
            shared.cache.put(api, authorizer, &identity, &decision);
            decision
        }
    };
    match decision {
        Decision::Allow(context) => Ok(context),
        Decision::Deny => Err(message(StatusCode::FORBIDDEN, "Forbidden")),
    }
}

/// One line of the gateway's own log, written like the functions' lines (never panics when the
/// terminal or log file cannot be written: a full disk must not drop requests).
fn log(text: String) {
    crate::runtime::report::line("gateway", &text);
}

#[cfg(test)]
mod tests;
