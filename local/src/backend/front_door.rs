//! The front door: the one AWS endpoint functions, the platform, tests and admin commands talk
//! to. It verifies every request's SigV4 signature (in its headers or a presigned URL) with the
//! secret of the key that signed it, lets unsigned S3 reads through only where a bucket policy
//! lets everyone read, sends DynamoDB and DynamoDB Streams requests to the embedded dynoxide and
//! everything else (S3, SQS) to moto, and counts every call by caller and operation.
//!
//! Its own endpoints, under `/_andes/`:
//! - `GET /_andes/calls`: `{caller: {operation: count}}`; `DELETE` answers them and starts over.
//!   The caller is the function whose key signed (its logical id), `platform` (the platform's
//!   own key) or `anonymous`.
//! - `POST /_andes/sweep-ttl`: deletes the expired TTL items now: `{"expired_items": n}`.
//! - `POST /_andes/reset`: every table, bucket and queue deleted.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dynoxide::Database;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use super::access::{Access, Principal};
use super::dynamodb;
use super::iam::Call;
use super::refusals::{Refusal, Service};
use super::routing;
use super::sigv4::{self, Location, SignatureError, SignedRequest};

/// The largest body the front door takes (it reads each one whole, to check its signature).
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Headers of one connection, not of the request (RFC 9110 §7.6.1); `expect` too: the body is
/// already here.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
];

/// Where each service is served.
#[derive(Clone, Copy, Debug)]
pub struct Upstreams {
    pub dynamodb_port: u16,
    pub moto_port: u16,
}

struct FrontDoor {
    upstreams: Upstreams,
    database: Database,
    access: Arc<Access>,
    client: Client<HttpConnector, Body>,
    calls: Mutex<BTreeMap<(String, String), u64>>,
}

/// Serves the front door on `listener` until the task is aborted.
pub fn spawn(
    listener: tokio::net::TcpListener,
    upstreams: Upstreams,
    database: Database,
    access: Arc<Access>,
) -> tokio::task::JoinHandle<()> {
    let front_door = Arc::new(FrontDoor {
        upstreams,
        database,
        access,
        client: Client::builder(TokioExecutor::new()).build(connector()),
        calls: Mutex::new(BTreeMap::new()),
    });
    let own = Router::new()
        .route("/_andes/calls", get(calls).delete(take_calls))
        .route("/_andes/sweep-ttl", post(sweep_ttl))
        .route("/_andes/reset", post(reset))
        .layer(axum::middleware::from_fn(refuse_browsers));
    let app = own.fallback(forward).with_state(front_door);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(crate::net::without_delay(listener), app).await {
            tracing::error!(%error, "the AWS front door stopped");
        }
    })
}

/// Connections to the backends, Nagle's algorithm off (see [`crate::net::without_delay`]): a
/// request body forwarded after its head would otherwise wait for a delayed ACK.
fn connector() -> HttpConnector {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector
}

async fn forward(State(front_door): State<Arc<FrontDoor>>, request: Request) -> Response {
    let has_target = request.headers().contains_key("x-amz-target");
    let (mut parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        let unread = routing::operation(&parts.headers, parts.method.as_str(), &parts.uri, b"");
        return Refusal::TooLarge(MAX_BODY_BYTES).response(Service::of(&unread, has_target));
    };
    let operation = routing::operation(&parts.headers, parts.method.as_str(), &parts.uri, &body);
    let service = Service::of(&operation, has_target);
    let call = Call {
        operation: &operation,
        request: SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &body,
        },
    };
    let principal = match front_door.admit(&call, service) {
        Ok(principal) => principal,
        Err(refusal) => {
            // The path only: a presigned URL's query carries its signature.
            let text = format!(
                "{operation} {} refused: {}",
                call.request.path,
                refusal.summary(service)
            );
            crate::runtime::report::line("backend", &text);
            return refusal.response(service);
        }
    };
    front_door.count(principal.label().to_string(), operation.clone());
    for hop_by_hop in HOP_BY_HOP {
        parts.headers.remove(*hop_by_hop);
    }
    let port = match service {
        Service::DynamoDb => front_door.upstreams.dynamodb_port,
        _ => front_door.upstreams.moto_port,
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = match format!("http://127.0.0.1:{port}{path}").parse() {
        Ok(uri) => uri,
        Err(error) => return (StatusCode::BAD_REQUEST, format!("unusable request target: {error}")).into_response(),
    };
    // The Host header stays the front door's: moto builds the URLs it answers (queue URLs, S3
    // locations) from it, and they must lead back here.
    match front_door
        .client
        .request(Request::from_parts(parts, Body::from(body)))
        .await
    {
        Ok(response) if operation == "DynamoDBStreams.GetRecords" => {
            let (parts, body) = response.into_parts();
            match axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES).await {
                Ok(bytes) => {
                    let body = dynamodb::with_api_identity_names(&bytes).map_or(Body::from(bytes), Body::from);
                    let mut response = Response::from_parts(parts, body);
                    response.headers_mut().remove(axum::http::header::CONTENT_LENGTH);
                    response
                }
                Err(error) => (
                    StatusCode::BAD_GATEWAY,
                    format!("GetRecords answer unreadable: {error}"),
                )
                    .into_response(),
            }
        }
        Ok(response) => response.map(Body::new),
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            format!("the local backend on port {port} did not answer: {error}"),
        )
            .into_response(),
    }
}

impl FrontDoor {
    /// Who made the call, once its signature is checked and the caller's policies allow it; or
    /// why it is refused.
    fn admit(&self, call: &Call, service: Service) -> Result<Principal, Refusal> {
        let (principal, scope) = self.authenticate(call, service)?;
        routing::check(call, service, &principal, scope.as_deref()).map_err(Refusal::Ambiguous)?;
        self.access
            .authorize(&principal, call)
            .map_err(|denial| Refusal::AccessDenied(denial.0))?;
        Ok(principal)
    }

    /// Who signed the call and for which service, once its signature is checked; `Anonymous`
    /// for an unsigned call a bucket policy lets everyone make.
    fn authenticate(&self, call: &Call, service: Service) -> Result<(Principal, Option<String>), Refusal> {
        let request = &call.request;
        let anonymous_read = || {
            service == Service::S3
                // A browser's CORS preflight before a presigned upload is never signed.
                && (request.method == "OPTIONS" || self.access.allows_anonymous(call))
        };
        let signature = match sigv4::parse(request) {
            Ok(signature) => signature,
            Err(SignatureError::Missing) if anonymous_read() => return Ok((Principal::Anonymous, None)),
            Err(error) => return Err(Refusal::Signature(error, None)),
        };
        // moto would route by the header and run what the URL's signature never covered.
        if signature.location == Location::Query && call.request.headers.contains_key("authorization") {
            let both = "a request carries a signature in its URL and in its headers";
            return Err(Refusal::Signature(SignatureError::Malformed(both.into()), None));
        }
        let key = &signature.credential.access_key_id;
        let (secret, principal) = self
            .access
            .secret(key)
            .ok_or_else(|| Refusal::Signature(SignatureError::UnknownKey(key.clone()), None))?;
        sigv4::verify(request, &signature, secret, SystemTime::now())
            .map_err(|error| Refusal::Signature(error, Some(signature.location)))?;
        Ok((principal.clone(), Some(signature.credential.service)))
    }

    fn count(&self, caller: String, operation: String) {
        let mut calls = self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *calls.entry((caller, operation)).or_default() += 1;
    }

    fn calls(&self, start_over: bool) -> Value {
        let mut calls = self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut by_caller: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        for ((caller, operation), count) in calls.iter() {
            by_caller.entry(caller).or_default().insert(operation, *count);
        }
        let answer = json!(by_caller);
        if start_over {
            calls.clear();
        }
        answer
    }
}

/// The backend's own endpoints answer local tools, never a web page: a page the developer opens
/// could otherwise post a reset (a simple cross-site POST needs no preflight).
async fn refuse_browsers(request: Request, next: axum::middleware::Next) -> Response {
    if request.headers().contains_key("origin") || request.headers().contains_key("sec-fetch-site") {
        return (
            StatusCode::FORBIDDEN,
            "the local backend's own endpoints take no browser requests",
        )
            .into_response();
    }
    next.run(request).await
}

async fn calls(State(front_door): State<Arc<FrontDoor>>) -> Json<Value> {
    Json(front_door.calls(false))
}

async fn take_calls(State(front_door): State<Arc<FrontDoor>>) -> Json<Value> {
    Json(front_door.calls(true))
}

async fn sweep_ttl(State(front_door): State<Arc<FrontDoor>>) -> Response {
    let database = front_door.database.clone();
    match tokio::task::spawn_blocking(move || dynamodb::sweep_ttl(&database)).await {
        Ok(Ok(expired)) => Json(json!({ "expired_items": expired })).into_response(),
        Ok(Err(error)) => (StatusCode::INTERNAL_SERVER_ERROR, error).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

async fn reset(State(front_door): State<Arc<FrontDoor>>) -> Response {
    let database = front_door.database.clone();
    match tokio::task::spawn_blocking(move || dynamodb::delete_all_tables(&database)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return (StatusCode::INTERNAL_SERVER_ERROR, error).into_response(),
        Err(error) => return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
    match super::http_request(front_door.upstreams.moto_port, "POST", "/moto-api/reset").await {
        Ok(200) => StatusCode::OK.into_response(),
        Ok(status) => (StatusCode::BAD_GATEWAY, format!("moto's reset answered HTTP {status}")).into_response(),
        Err(error) => (StatusCode::BAD_GATEWAY, format!("moto's reset failed: {error}")).into_response(),
    }
}
