//! The gateway over real HTTP with a fake runtime behind it.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::control::{BoxFuture, InvokeError, Sweep, SweepError};
use crate::template::{Authorizer, EventSource, Function, HttpApi, HttpRoute};

#[derive(Default)]
struct FakeRuntime {
    calls: Mutex<Vec<(String, Value)>>,
}

impl FakeRuntime {
    fn calls_to(&self, function: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

impl Invoker for FakeRuntime {
    fn invoke<'a>(&'a self, function: &'a str, event: Value) -> BoxFuture<'a, Result<Value, InvokeError>> {
        self.calls.lock().unwrap().push((function.to_string(), event.clone()));
        let result = match function {
            "Authorizer" => match event["headers"]["authorization"].as_str() {
                Some("Bearer good") => Ok(json!({"isAuthorized": true, "context": {"userId": "u1"}})),
                Some("Bearer bad") => Ok(json!({"isAuthorized": false})),
                _ => Err(InvokeError::Runtime("boom".into())),
            },
            "Echo" => Ok(
                json!({"statusCode": 200, "headers": {"content-type": "application/json"}, "body": event.to_string()}),
            ),
            "Plain" => Ok(json!({"hello": "world"})),
            "Missing" => Err(InvokeError::UnknownFunction(function.to_string())),
            _ => Err(InvokeError::Function {
                error_type: "Panic".into(),
                error_message: "crashed".into(),
            }),
        };
        Box::pin(async move { result })
    }
}

struct FakeBackground;

impl Background for FakeBackground {
    /// `Clock` answers the `time` it was asked to put in its event (`null`: now).
    fn fire<'a>(&'a self, function: &'a str, time: Option<DateTime<Utc>>) -> BoxFuture<'a, Result<Value, InvokeError>> {
        let result = match function {
            "Cleanup" => Ok(json!({"removed": 3})),
            "Clock" => Ok(json!({"time": time.map(|time| time.to_rfc3339())})),
            "Broken" => Err(InvokeError::Timeout(3.0)),
            other => Err(InvokeError::UnknownFunction(other.to_string())),
        };
        Box::pin(async move { result })
    }

    /// Echoes the sweep it was asked for; only bucket `Uploads` exists.
    fn sweep<'a>(&'a self, sweep: &'a Sweep) -> BoxFuture<'a, Result<Value, SweepError>> {
        let result = match sweep.bucket.as_deref() {
            Some(bucket) if bucket != "Uploads" => Err(SweepError::UnknownBucket(bucket.to_string())),
            _ => Ok(json!({"now": sweep.now, "bucket": sweep.bucket, "prefix": sweep.prefix})),
        };
        Box::pin(async move { result })
    }
}

fn function(logical_id: &str, routes: &[(&str, &str, Option<&str>)]) -> Function {
    let events = routes
        .iter()
        .map(|(method, path, authorizer)| {
            EventSource::HttpApi(HttpRoute {
                event_name: format!("{method}{path}"),
                api: "Api".into(),
                method: method.to_string(),
                path: path.to_string(),
                authorizer: authorizer.map(str::to_string),
            })
        })
        .collect();
    Function {
        logical_id: logical_id.into(),
        name: format!("andes-{logical_id}"),
        arn: format!("arn:aws:lambda:us-east-1:000000000000:function:andes-{logical_id}"),
        binary: "unused".into(),
        timeout: Duration::from_secs(3),
        memory_mb: 128,
        environment: BTreeMap::new(),
        reserved_concurrency: None,
        policies: Vec::new(),
        events,
        on_failure: None,
    }
}

fn stack() -> Stack {
    let authorizer = |name: &str, headers: &[&str]| Authorizer {
        name: name.into(),
        function: "Authorizer".into(),
        identity_headers: headers.iter().map(|h| h.to_string()).collect(),
        identity_query_strings: vec![],
        simple_responses: true,
        cache_ttl: Duration::ZERO,
    };
    Stack {
        name: "andes".into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        parameters: BTreeMap::new(),
        tables: vec![],
        buckets: vec![],
        queues: vec![],
        functions: vec![
            function("Authorizer", &[]),
            function(
                "Echo",
                &[
                    ("GET", "/identity/me", Some("Required")),
                    ("POST", "/identity/items/{id}", Some("Optional")),
                ],
            ),
            function("Plain", &[("GET", "/identity/plain", None)]),
            function("Crash", &[("POST", "/identity/crash", None)]),
        ],
        apis: vec![HttpApi {
            logical_id: "Api".into(),
            default_authorizer: Some("Required".into()),
            authorizers: [
                ("Required", authorizer("Required", &["Authorization"])),
                ("Optional", authorizer("Optional", &[])),
            ]
            .into_iter()
            .map(|(name, a)| (name.to_string(), a))
            .collect(),
            default_throttling: Default::default(),
            route_throttling: BTreeMap::new(),
        }],
    }
}

struct Harness {
    port: u16,
    runtime: Arc<FakeRuntime>,
    ready: Arc<AtomicBool>,
}

async fn start() -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let runtime = Arc::new(FakeRuntime::default());
    let ready = Arc::new(AtomicBool::new(false));
    let stats: StatsFn = Arc::new(|| json!({"queues": 1}));
    let runtime_stats: StatsFn = Arc::new(|| json!({"Echo": {"invocations": 0}}));
    tokio::spawn(serve(
        listener,
        Arc::new(stack()),
        runtime.clone(),
        Arc::new(FakeBackground),
        LocalEndpoints {
            ready: ready.clone(),
            runtime_stats,
            trigger_stats: stats,
            docs_dir: None,
        },
    ));
    Harness { port, runtime, ready }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A bare HTTP/1.1 exchange, so the test sees exactly what goes over the wire.
async fn send(port: u16, head: &str, body: &str) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!("{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n{body}");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

#[tokio::test]
async fn health_follows_readiness() {
    let h = start().await;
    assert_eq!(send(h.port, "GET /_local/health HTTP/1.1", "").await.status, 503);
    h.ready.store(true, Ordering::SeqCst);
    let answer = send(h.port, "GET /_local/health HTTP/1.1", "").await;
    assert_eq!((answer.status, answer.json()), (200, json!({"status": "ok"})));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404() {
    let h = start().await;
    for head in ["GET /nope HTTP/1.1", "DELETE /identity/plain HTTP/1.1"] {
        let answer = send(h.port, head, "").await;
        assert_eq!(answer.status, 404);
        assert_eq!(answer.json(), json!({"message": "Not Found"}));
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert!(answer.header("apigw-requestid").is_some());
    }
}

#[tokio::test]
async fn missing_identity_source_is_401_without_calling_the_authorizer() {
    let h = start().await;
    let answer = send(h.port, "GET /identity/me HTTP/1.1", "").await;
    assert_eq!(
        (answer.status, answer.json()),
        (401, json!({"message": "Unauthorized"}))
    );
    assert!(h.runtime.calls_to("Authorizer").is_empty());
    assert!(h.runtime.calls_to("Echo").is_empty());
}

#[tokio::test]
async fn authorizer_decides_and_its_context_reaches_the_route() {
    let h = start().await;
    let denied = send(h.port, "GET /identity/me HTTP/1.1\r\nAuthorization: Bearer bad", "").await;
    assert_eq!((denied.status, denied.json()), (403, json!({"message": "Forbidden"})));
    let failed = send(h.port, "GET /identity/me HTTP/1.1\r\nAuthorization: Bearer weird", "").await;
    assert_eq!(
        (failed.status, failed.json()),
        (500, json!({"message": "Internal Server Error"}))
    );
    assert!(h.runtime.calls_to("Echo").is_empty());

    let allowed = send(
        h.port,
        "GET /identity/me?x=1 HTTP/1.1\r\nAuthorization: Bearer good",
        "",
    )
    .await;
    assert_eq!(allowed.status, 200);
    let event = allowed.json();
    assert_eq!(event["routeKey"], "GET /identity/me");
    assert_eq!(event["requestContext"]["authorizer"]["lambda"], json!({"userId": "u1"}));
    assert_eq!(
        event["requestContext"]["requestId"].as_str(),
        allowed.header("apigw-requestid")
    );
    let authorizer_event = &h.runtime.calls_to("Authorizer")[2];
    assert_eq!(authorizer_event["identitySource"], json!(["Bearer good"]));
    assert_eq!(
        authorizer_event["routeArn"],
        "arn:aws:execute-api:us-east-1:000000000000:localApi/$default/GET/identity/me"
    );
}

#[tokio::test]
async fn route_events_carry_path_parameters_and_body() {
    let h = start().await;
    let body = r#"{"a":1}"#;
    let head = format!(
        "POST /identity/items/x%20y HTTP/1.1\r\nAuthorization: Bearer good\r\nContent-Type: application/json\r\nContent-Length: {}",
        body.len()
    );
    let answer = send(h.port, &head, body).await;
    assert_eq!(answer.status, 200);
    let event = answer.json();
    assert_eq!(event["pathParameters"], json!({"id": "x y"}));
    assert_eq!(event["body"], body);
    assert_eq!(event["routeKey"], "POST /identity/items/{id}");
}

#[tokio::test]
async fn results_without_status_code_and_failures() {
    let h = start().await;
    let plain = send(h.port, "GET /identity/plain HTTP/1.1", "").await;
    assert_eq!((plain.status, plain.json()), (200, json!({"hello": "world"})));
    let crash = send(h.port, "POST /identity/crash HTTP/1.1\r\nContent-Length: 0", "").await;
    assert_eq!(
        (crash.status, crash.json()),
        (500, json!({"message": "Internal Server Error"}))
    );
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let h = start().await;
    let body = "x".repeat(MAX_REQUEST_BYTES + 1);
    let head = format!("POST /identity/crash HTTP/1.1\r\nContent-Length: {}", body.len());
    let answer = send(h.port, &head, &body).await;
    assert_eq!(
        (answer.status, answer.json()),
        (413, json!({"message": "Request Entity Too Large"}))
    );
    // A declared length past what is worth draining is refused without reading the body.
    let head = format!(
        "POST /identity/crash HTTP/1.1\r\nContent-Length: {}",
        DRAIN_LIMIT_BYTES + 1
    );
    let answer = send(h.port, &head, "").await;
    assert_eq!(answer.status, 413);
    assert!(h.runtime.calls_to("Crash").is_empty());
}

#[tokio::test]
async fn local_invoke_hands_a_function_the_body_as_its_event() {
    let h = start().await;
    let post = |target: &str, body: &str| format!("POST {target} HTTP/1.1\r\nContent-Length: {}", body.len());
    let event = r#"{"Records":[{"eventName":"INSERT"}]}"#;
    let echoed = send(h.port, &post("/_local/invoke/Echo", event), event).await;
    assert_eq!(echoed.status, 200);
    assert_eq!(echoed.json()["statusCode"], json!(200));
    assert_eq!(
        h.runtime.calls_to("Echo"),
        [json!({"Records": [{"eventName": "INSERT"}]})]
    );
    let plain = send(h.port, &post("/_local/invoke/Plain", "{}"), "{}").await;
    assert_eq!((plain.status, plain.json()), (200, json!({"hello": "world"})));
    let missing = send(h.port, &post("/_local/invoke/Missing", "{}"), "{}").await;
    assert_eq!(missing.status, 404);
    let crashed = send(h.port, &post("/_local/invoke/Crash", "{}"), "{}").await;
    assert_eq!(crashed.status, 502);
    assert_eq!(crashed.json()["error"]["errorType"], json!("Panic"));
    let not_json = send(h.port, &post("/_local/invoke/Plain", "nope"), "nope").await;
    assert_eq!(not_json.status, 400);
    assert!(
        h.runtime.calls_to("Plain").len() == 1,
        "a body that is not JSON invokes nothing"
    );
}

#[tokio::test]
async fn local_endpoints_fire_schedules_and_report_stats() {
    let h = start().await;
    let fired = send(
        h.port,
        "POST /_local/schedules/Cleanup HTTP/1.1\r\nContent-Length: 0",
        "",
    )
    .await;
    assert_eq!((fired.status, fired.json()), (200, json!({"removed": 3})));
    let unknown = send(h.port, "POST /_local/schedules/Nope HTTP/1.1\r\nContent-Length: 0", "").await;
    assert_eq!(unknown.status, 404);
    let broken = send(
        h.port,
        "POST /_local/schedules/Broken HTTP/1.1\r\nContent-Length: 0",
        "",
    )
    .await;
    assert_eq!(broken.status, 502);
    let post = |target: &str| format!("POST {target} HTTP/1.1\r\nContent-Length: 0");
    let swept = send(
        h.port,
        &post("/_local/sweep?time=2026-12-04T00:00:00Z&bucket=Uploads&prefix=uploads%2Fad-1%2F"),
        "",
    )
    .await;
    assert_eq!(
        (swept.status, swept.json()),
        (
            200,
            json!({"now": 1_796_342_400, "bucket": "Uploads", "prefix": "uploads/ad-1/"})
        )
    );
    let everything = send(h.port, &post("/_local/sweep"), "").await;
    assert_eq!(everything.status, 200);
    assert_eq!(everything.json()["bucket"], json!(null));
    for (target, status) in [
        ("/_local/sweep?time=tomorrow", 400),
        ("/_local/sweep?prefix=uploads%2F", 400),
        ("/_local/sweep?bucket=Nope", 404),
    ] {
        assert_eq!(send(h.port, &post(target), "").await.status, status, "{target}");
    }
    let stats = send(h.port, "GET /_local/stats HTTP/1.1", "").await.json();
    assert_eq!(
        stats,
        json!({"runtime": {"Echo": {"invocations": 0}}, "triggers": {"queues": 1}})
    );
}

#[tokio::test]
async fn local_schedules_fire_as_of_a_given_time() {
    let h = start().await;
    let post = |target: &str| format!("POST {target} HTTP/1.1\r\nContent-Length: 0");
    let now = send(h.port, &post("/_local/schedules/Clock"), "").await;
    assert_eq!((now.status, now.json()), (200, json!({"time": null})));
    let later = send(
        h.port,
        &post("/_local/schedules/Clock?time=2026-12-04T01:30:00%2B01:00"),
        "",
    )
    .await;
    assert_eq!(
        (later.status, later.json()),
        (200, json!({"time": "2026-12-04T00:30:00+00:00"}))
    );
    // A malformed time is refused before the function is even looked up.
    for target in [
        "/_local/schedules/Clock?time=tomorrow",
        "/_local/schedules/Clock?time=",
        "/_local/schedules/Clock?time=2026-12-04",
        "/_local/schedules/Nope?time=tomorrow",
        "/_local/sweep?time=tomorrow",
    ] {
        let answer = send(h.port, &post(target), "").await;
        assert_eq!(
            (answer.status, answer.json()),
            (400, json!({"message": "time must be an RFC 3339 instant"})),
            "{target}"
        );
    }
}
