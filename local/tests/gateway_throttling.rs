//! Stage throttling through the real gateway: a template parsed as `andes-local up` parses it
//! (`DefaultRouteSettings` from `!Ref` parameters, a `RouteSettings` override), served over
//! HTTP with a fake runtime behind it that counts invocations.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use andes_local::control::{Background, BoxFuture, InvokeError, Invoker, Sweep, SweepError};
use andes_local::gateway::{serve, LocalEndpoints, StatsFn};
use andes_local::template::{parse, StackOptions};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Parameters:
  ApiThrottlingBurstLimit: { Type: Number, Default: 200 }
  ApiThrottlingRateLimit: { Type: Number, Default: 100 }
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefaultRouteSettings:
        ThrottlingBurstLimit: !Ref ApiThrottlingBurstLimit
        ThrottlingRateLimit: !Ref ApiThrottlingRateLimit
      RouteSettings:
        "POST /hello": { ThrottlingBurstLimit: 4 }
      Auth:
        DefaultAuthorizer: Required
        Authorizers:
          Required:
            FunctionArn: !GetAtt Authorizer.Arn
            EnableSimpleResponses: true
            Identity: { Headers: [Authorization], ReauthorizeEvery: 0 }
  Authorizer:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: authorizer } }
  Hello:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: hello } }
    Properties:
      Events:
        Get: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /hello, Method: get } }
        Post: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /hello, Method: post } }
        Other: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /other, Method: get } }
"#;

#[derive(Default)]
struct FakeRuntime {
    calls: Mutex<Vec<String>>,
}

impl FakeRuntime {
    fn calls_to(&self, function: &str) -> usize {
        self.calls.lock().unwrap().iter().filter(|f| *f == function).count()
    }
}

impl Invoker for FakeRuntime {
    fn invoke<'a>(&'a self, function: &'a str, _: Value) -> BoxFuture<'a, Result<Value, InvokeError>> {
        self.calls.lock().unwrap().push(function.to_string());
        let result = match function {
            "Authorizer" => json!({"isAuthorized": true}),
            _ => json!({"statusCode": 200, "body": "hi"}),
        };
        Box::pin(async move { Ok(result) })
    }
}

struct NoBackground;

impl Background for NoBackground {
    fn fire<'a>(&'a self, function: &'a str, _: Option<DateTime<Utc>>) -> BoxFuture<'a, Result<Value, InvokeError>> {
        let function = function.to_string();
        Box::pin(async move { Err(InvokeError::UnknownFunction(function)) })
    }

    fn sweep<'a>(&'a self, _: &'a Sweep) -> BoxFuture<'a, Result<Value, SweepError>> {
        Box::pin(async move { Ok(json!({})) })
    }
}

async fn start(burst: &str, rate: &str) -> (u16, Arc<FakeRuntime>) {
    let options = StackOptions {
        stack_name: "andes-local".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        endpoint: "http://127.0.0.1:5000".into(),
        parameter_overrides: BTreeMap::from([
            ("ApiThrottlingBurstLimit".to_string(), burst.to_string()),
            ("ApiThrottlingRateLimit".to_string(), rate.to_string()),
        ]),
    };
    let stack = parse(TEMPLATE, &options).expect("the template parses");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let runtime = Arc::new(FakeRuntime::default());
    let stats: StatsFn = Arc::new(|| json!({}));
    tokio::spawn(serve(
        listener,
        Arc::new(stack),
        runtime.clone(),
        Arc::new(NoBackground),
        LocalEndpoints {
            ready: Arc::new(AtomicBool::new(true)),
            runtime_stats: stats.clone(),
            trigger_stats: stats,
            docs_dir: None,
        },
    ));
    (port, runtime)
}

struct Answer {
    status: u16,
    content_type: Option<String>,
    body: String,
}

/// A bare HTTP/1.1 exchange, so the test sees exactly what goes over the wire.
async fn send(port: u16, method: &str, path: &str) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = lines
        .filter_map(|l| l.split_once(": "))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.to_string());
    Answer {
        status,
        content_type,
        body: body.to_string(),
    }
}

async fn statuses(port: u16, method: &str, path: &str, n: usize) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        statuses.push(send(port, method, path).await.status);
    }
    statuses
}

#[tokio::test]
async fn requests_past_the_burst_get_429_and_the_bucket_refills() {
    // Burst 2, 1 request per second (as `--parameter-overrides` would set them).
    let (port, runtime) = start("2", "1").await;

    assert_eq!(statuses(port, "GET", "/hello", 2).await, [200, 200]);
    let throttled = send(port, "GET", "/hello").await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.body, r#"{"message":"Too Many Requests"}"#);
    assert_eq!(throttled.content_type.as_deref(), Some("application/json"));
    // The 429 comes before the authorizer and the function.
    assert_eq!(runtime.calls_to("Authorizer"), 2);
    assert_eq!(runtime.calls_to("Hello"), 2);

    // The stage default limits each route on its own...
    assert_eq!(statuses(port, "GET", "/other", 3).await, [200, 200, 429]);
    // ...and a route setting overrides it for its route.
    assert_eq!(statuses(port, "POST", "/hello", 5).await, [200, 200, 200, 200, 429]);
    // The platform's own endpoints are never throttled.
    let health = statuses(port, "GET", "/_local/health", 10).await;
    assert!(health.iter().all(|&status| status == 200), "{health:?}");

    // A second later the bucket holds one token again (the rate), not the whole burst.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(statuses(port, "GET", "/hello", 2).await, [200, 429]);
    assert_eq!(runtime.calls_to("Hello"), 9);
}

#[tokio::test]
async fn raised_limits_throttle_nothing() {
    // What the test platform passes (`scripts/test.sh`).
    let (port, runtime) = start("100000", "100000").await;
    let all = statuses(port, "GET", "/hello", 300).await;
    assert!(all.iter().all(|&status| status == 200));
    assert_eq!(runtime.calls_to("Hello"), 300);
}
