//! S3 and SQS: moto's server (`local/python/moto_server.py`, pinned in the venv), a child
//! process on a loopback port of its own behind the front door.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::{http_request, BackendError};

/// How long moto may take to answer its first request (it measures 0.3–0.7 s; imports of a
/// cold venv on a loaded machine can take much longer).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running moto server, killed when dropped.
pub struct Moto {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
}

impl Moto {
    /// Starts `script` with the venv's Python on `127.0.0.1:port` and waits until it answers.
    /// moto builds the URLs it answers with `public_port` (the front door's), files every
    /// resource under `account_id` when given (so the ARNs it builds agree with the stack's),
    /// and writes its output to a log file in the temporary directory.
    pub async fn start(
        venv_python: &Path,
        script: &Path,
        port: u16,
        public_port: u16,
        account_id: Option<&str>,
    ) -> Result<Moto, BackendError> {
        let log = std::env::temp_dir().join(format!("andes-local-moto-{public_port}.log"));
        let log_text = log.display().to_string();
        let log_failed = |source| BackendError::Log {
            log: log_text.clone(),
            source,
        };
        let log_file = std::fs::File::create(&log).map_err(log_failed)?;
        let log_err = log_file.try_clone().map_err(log_failed)?;
        let mut command = Command::new(venv_python);
        command
            .arg(script)
            .arg(port.to_string())
            .env("MOTO_PORT", public_port.to_string())
            // Buckets by path only, as the front door reads them: a crafted Host header must not
            // make moto read another bucket than the one the front door checked.
            .env("S3_IGNORE_SUBDOMAIN_BUCKETNAME", "true")
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
        let mut moto = Moto {
            child: Some(child),
            port,
            log,
        };
        moto.wait_until_ready().await?;
        Ok(moto)
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

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}
