//! `andes-local measure-init`: how long a function binary takes from exec to its first
//! `GET /runtime/invocation/next` (Lambda's init phase), and its peak RSS at that moment.
//! A one-connection Runtime API stand-in is enough: nothing is invoked.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy)]
pub struct InitSample {
    pub init: Duration,
    pub peak_rss_kib: u64,
}

/// Starts `binary` once and measures its init. `environment` is what it needs to initialise
/// (table names, secrets); it makes no network call before `/next`.
pub async fn sample(binary: &Path, environment: &[(String, String)]) -> std::io::Result<InitSample> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(environment.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "measure")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().unwrap_or_default();
    let result = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let (mut stream, _) = listener.accept().await?;
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let read = stream.read(&mut buffer).await?;
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
            }
            let head = String::from_utf8_lossy(&request);
            if head.starts_with("GET ") && head.lines().next().is_some_and(|l| l.contains("/invocation/next")) {
                let init = started.elapsed();
                return Ok::<_, std::io::Error>(InitSample {
                    init,
                    peak_rss_kib: peak_rss_kib(pid),
                });
            }
        }
    })
    .await;
    let _ = child.kill().await;
    match result {
        Ok(sample) => sample,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no /next within 10 s: init failed?",
        )),
    }
}

/// `VmHWM` of a live process: its peak resident set.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Median init and peak RSS over `runs` cold starts.
pub async fn measure(binary: &Path, environment: &[(String, String)], runs: usize) -> std::io::Result<InitSample> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        samples.push(sample(binary, environment).await?);
    }
    samples.sort_by_key(|s| s.init);
    let median_init = samples[samples.len() / 2].init;
    let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    rss.sort_unstable();
    Ok(InitSample {
        init: median_init,
        peak_rss_kib: rss[rss.len() / 2],
    })
}
