//! The local AWS backend: moto's server (launched by `python/moto_server.py`, which serialises
//! DynamoDB requests) and the SDK clients the platform itself uses to talk to it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// How long moto may take to answer its first request (it measures 0.3–0.7 s; imports of a
/// cold venv on a loaded machine can take much longer).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The dummy credentials every local client signs with. moto accepts anything; with an access
/// key that is not a 12-digit number it files everything under its default account (or
/// `MOTO_ACCOUNT_ID`).
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
    #[error("the local AWS backend at {endpoint} failed: {message}")]
    Request { endpoint: String, message: String },
}

/// An SDK error of any local client as one line with its whole cause chain
/// (`DisplayErrorContext` is the same type in every AWS SDK crate).
pub fn describe_error(error: impl std::error::Error) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string()
}

/// A running moto server, killed when dropped.
pub struct Backend {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
}

impl Backend {
    /// Starts `script` with the venv's Python on `127.0.0.1:port` and waits until it answers.
    /// Its output goes to a log file in the temporary directory ([`Backend::log_path`]).
    pub async fn start(venv_python: &Path, script: &Path, port: u16) -> Result<Backend, BackendError> {
        Self::start_with_account(venv_python, script, port, None).await
    }

    /// Like [`Backend::start`], with moto filing every resource under `account_id`, so that the
    /// ARNs moto builds (queue ARNs in redrive policies, S3 notification targets) agree with the
    /// stack's.
    pub async fn start_with_account(
        venv_python: &Path,
        script: &Path,
        port: u16,
        account_id: Option<&str>,
    ) -> Result<Backend, BackendError> {
        let log = std::env::temp_dir().join(format!("andes-local-moto-{port}.log"));
        let log_text = log.display().to_string();
        let log_file = std::fs::File::create(&log).map_err(|source| BackendError::Log {
            log: log_text.clone(),
            source,
        })?;
        let log_err = log_file.try_clone().map_err(|source| BackendError::Log {
            log: log_text.clone(),
            source,
        })?;
        let mut command = Command::new(venv_python);
        command
            .arg(script)
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        if let Some(account) = account_id {
            command.env("MOTO_ACCOUNT_ID", account);
        }
        let child = command.spawn().map_err(|source| BackendError::Spawn {
            python: venv_python.display().to_string(),
            source,
        })?;
        let mut backend = Backend {
            child: Some(child),
            port,
            log,
        };
        backend.wait_until_ready().await?;
        Ok(backend)
    }

    async fn wait_until_ready(&mut self) -> Result<(), BackendError> {
        let started = Instant::now();
        let log = self.log.display().to_string();
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(BackendError::Exited {
                        status: status.to_string(),
                        log,
                    });
                }
            }
            if http_request(self.port, "GET", "/moto-api/").await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                self.stop().await;
                return Err(BackendError::Timeout {
                    port: self.port,
                    seconds: START_TIMEOUT.as_secs(),
                    log,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where moto's output goes.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

/// Wipes every resource and item of the backend (`POST /moto-api/reset`).
pub async fn reset(endpoint: &str) -> Result<(), BackendError> {
    let failed = |message: String| BackendError::Request {
        endpoint: endpoint.to_string(),
        message,
    };
    let port = endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
        .ok_or_else(|| failed("the endpoint has no port".into()))?;
    let status = http_request(port, "POST", "/moto-api/reset")
        .await
        .map_err(|e| failed(e.to_string()))?;
    if status == 200 {
        Ok(())
    } else {
        Err(failed(format!("reset answered HTTP {status}")))
    }
}

/// A minimal HTTP/1.1 request to the local backend, answering the status code: enough for
/// moto's own endpoints, without pulling an HTTP client into the platform for two calls.
async fn http_request(port: u16, method: &str, path: &str) -> std::io::Result<u16> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let head = String::from_utf8_lossy(&response[..response.len().min(64)]).to_string();
        head.split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not an HTTP answer: {head:?}"))
            })
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within 5 s"))?
}

/// The SDK clients of the platform itself, all pointed at the local backend.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    /// Clients with static dummy credentials and an explicit region and endpoint: no credential
    /// chain, profile or instance metadata lookups, which would only slow start-up down.
    pub async fn new(endpoint: &str, region: &str) -> Clients {
        let credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "andes-local");
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
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb),
            streams: aws_sdk_dynamodbstreams::Client::from_conf(streams),
            s3: aws_sdk_s3::Client::from_conf(s3),
            sqs: aws_sdk_sqs::Client::from_conf(sqs),
        }
    }
}
