//! The local AWS backend: one endpoint (the [`front_door`]) in front of DynamoDB and its streams
//! ([`dynamodb`], embedded dynoxide) and S3 and SQS ([`moto`]), and the SDK clients the platform
//! itself uses to talk to it.

pub mod access;
pub mod dynamodb;
pub mod front_door;
pub mod iam;
pub mod moto;
pub mod refusals;
pub mod routing;
pub mod sigv4;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use access::Access;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The platform's own unrestricted key: the platform, tests, admin commands and loaders sign
/// with it (functions have keys of their own, see [`access`]). Not a 12-digit number, so moto
/// files everything under `MOTO_ACCOUNT_ID`.
pub const ACCESS_KEY_ID: &str = "test";
pub const SECRET_ACCESS_KEY: &str = "test";

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot start the local AWS backend ({python}): {source}")]
    Spawn { python: String, source: std::io::Error },
    #[error("cannot write the local AWS backend log {log}: {source}")]
    Log { log: String, source: std::io::Error },
    #[error("the local AWS backend exited during start-up ({status}); see {log}")]
    Exited { status: String, log: String },
    #[error("the local AWS backend did not answer on port {port} within {seconds} s; see {log}")]
    Timeout { port: u16, seconds: u64, log: String },
    #[error("cannot listen on 127.0.0.1:{port} for the local AWS backend: {source}")]
    Listen { port: u16, source: std::io::Error },
    #[error("the local DynamoDB failed: {message}")]
    DynamoDb { message: String },
    #[error("the local AWS backend at {endpoint} failed: {message}")]
    Request { endpoint: String, message: String },
}

/// An SDK error of any local client as one line with its whole cause chain
/// (`DisplayErrorContext` is the same type in every AWS SDK crate).
pub fn describe_error(error: impl std::error::Error) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string()
}

/// The local AWS backend: the front door on the stack's backend port, the embedded DynamoDB and
/// moto behind it. Stopped when dropped.
pub struct Backend {
    moto: moto::Moto,
    dynamodb: dynamodb::EmbeddedDynamoDb,
    front_door: tokio::task::JoinHandle<()>,
    port: u16,
}

impl Backend {
    /// Starts the backend with its front door on `127.0.0.1:port` and waits until it answers;
    /// moto runs `script` with the venv's Python, its output in [`Backend::log_path`].
    pub async fn start(venv_python: &Path, script: &Path, port: u16) -> Result<Backend, BackendError> {
        Self::start_with_account(venv_python, script, port, None, Access::admin_only()).await
    }

    /// Like [`Backend::start`], with moto filing every resource under `account_id`, so that the
    /// ARNs moto builds (queue ARNs in redrive policies, S3 notification targets) agree with the
    /// stack's, and the front door taking the keys and bucket policies of `access`.
    pub async fn start_with_account(
        venv_python: &Path,
        script: &Path,
        port: u16,
        account_id: Option<&str>,
        access: Access,
    ) -> Result<Backend, BackendError> {
        // The public port first: a busy port fails before anything is started.
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| BackendError::Listen { port, source })?;
        let moto_port = free_port().map_err(|source| BackendError::Listen { port: 0, source })?;
        let moto = moto::Moto::start(venv_python, script, moto_port, port, account_id).await?;
        let dynamodb = dynamodb::EmbeddedDynamoDb::start()?;
        let upstreams = front_door::Upstreams {
            dynamodb_port: dynamodb.port(),
            moto_port: moto.port(),
        };
        let front_door = front_door::spawn(listener, upstreams, dynamodb.database(), Arc::new(access));
        Ok(Backend {
            moto,
            dynamodb,
            front_door,
            port,
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where moto's output goes.
    pub fn log_path(&self) -> &Path {
        self.moto.log_path()
    }

    pub async fn stop(&mut self) {
        self.front_door.abort();
        self.dynamodb.stop();
        self.moto.stop().await;
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.front_door.abort();
    }
}

/// A loopback port nobody listens on now (moto binds it itself a moment later).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// Wipes every resource and item of the backend (`POST /_andes/reset` on the front door).
pub async fn reset(endpoint: &str) -> Result<(), BackendError> {
    match front_door_call(endpoint, "/_andes/reset").await? {
        (200, _) => Ok(()),
        (status, body) => Err(request_failed(
            endpoint,
            format!("reset answered HTTP {status}: {body}"),
        )),
    }
}

/// Has DynamoDB delete the items past their TTL now (it also does every half minute by
/// itself): the number deleted.
pub async fn sweep_ttl(endpoint: &str) -> Result<u64, BackendError> {
    let (status, body) = front_door_call(endpoint, "/_andes/sweep-ttl").await?;
    let expired = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|answer| answer["expired_items"].as_u64());
    match (status, expired) {
        (200, Some(expired)) => Ok(expired),
        _ => Err(request_failed(
            endpoint,
            format!("TTL sweep answered HTTP {status}: {body}"),
        )),
    }
}

fn request_failed(endpoint: &str, message: String) -> BackendError {
    BackendError::Request {
        endpoint: endpoint.to_string(),
        message,
    }
}

async fn front_door_call(endpoint: &str, path: &str) -> Result<(u16, String), BackendError> {
    let port = endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
        .ok_or_else(|| request_failed(endpoint, "the endpoint has no port".into()))?;
    http_exchange(port, "POST", path)
        .await
        .map_err(|e| request_failed(endpoint, e.to_string()))
}

/// A minimal HTTP/1.1 request to the local backend, answering the status code: enough for
/// moto's readiness and the front door's own endpoints.
async fn http_request(port: u16, method: &str, path: &str) -> std::io::Result<u16> {
    http_exchange(port, method, path).await.map(|(status, _)| status)
}

/// [`http_request`], answering the status code and the body.
async fn http_exchange(port: u16, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let response = String::from_utf8_lossy(&response).to_string();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok());
        status.map(|status| (status, body.to_string())).ok_or_else(|| {
            let start: String = head.chars().take(64).collect();
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not an HTTP answer: {start:?}"),
            )
        })
    };
    // A reset deletes every table: more than the few milliseconds of the other calls.
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within 30 s"))?
}

/// The SDK clients of the platform itself, all pointed at the local backend.
#[derive(Clone, Debug)]
pub struct Clients {
    /// The front door, for the backend's own endpoints.
    pub endpoint: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Clients with static dummy credentials and an explicit region and endpoint: no credential
    /// chain, profile or instance metadata lookups, which would only slow start-up down.
    pub async fn new(endpoint: &str, region: &str) -> Clients {
        Self::signing_with(endpoint, region, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
    }

    /// Clients that sign with another key (a function's, in tests of its permissions).
    pub fn signing_with(endpoint: &str, region: &str, access_key_id: &str, secret: &str) -> Clients {
        let credentials = Credentials::new(access_key_id, secret, None, None, "andes-local");
        let region = Region::new(region.to_string());
        let dynamodb = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(region.clone())
            .endpoint_url(endpoint)
            .credentials_provider(credentials.clone())
            .build();
        let streams = aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodbstreams::config::Region::new(region.to_string()))
            .endpoint_url(endpoint)
            .credentials_provider(credentials.clone())
            .build();
        let s3 = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(region.to_string()))
            .endpoint_url(endpoint)
            .credentials_provider(credentials.clone())
            .force_path_style(true)
            .build();
        let sqs = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new(region.to_string()))
            .endpoint_url(endpoint)
            .credentials_provider(credentials)
            .build();
        Clients {
            endpoint: endpoint.to_string(),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
            streams: aws_sdk_dynamodbstreams::Client::from_conf(streams),
            s3: aws_sdk_s3::Client::from_conf(s3),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
        }
    }
}
