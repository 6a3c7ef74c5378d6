//! One function instance as an operating-system process: its Lambda environment, its output
//! copied to our terminal line by line, and its end (exit, or killed on request).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{ExitStatus, Stdio};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::oneshot;

use super::report;
use crate::template::Function;

/// Variables of our own environment a process still needs (finding programs, locale).
const INHERITED: [&str; 3] = ["PATH", "HOME", "LANG"];

/// The environment Lambda gives a `provided.al2023` function, over `base` (endpoint,
/// credentials, log level) and the function's own variables.
pub fn environment(
    function: &Function,
    region: &str,
    base: &BTreeMap<String, String>,
    runtime_api: &str,
    task_root: &Path,
    instance: u64,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = INHERITED
        .iter()
        .filter_map(|key| std::env::var(key).ok().map(|value| (key.to_string(), value)))
        .collect();
    env.extend(base.iter().map(|(k, v)| (k.clone(), v.clone())));
    env.extend(function.environment.iter().map(|(k, v)| (k.clone(), v.clone())));
    // Reserved variables last: on AWS a template cannot override them either.
    let date = chrono::Utc::now().format("%Y/%m/%d");
    let stream = format!(
        "{date}/[$LATEST]{:032x}",
        uuid::Uuid::new_v4().as_u128() ^ u128::from(instance)
    );
    let reserved = [
        ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", function.memory_mb.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", function.name)),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
        ("AWS_REGION", region.to_string()),
        ("AWS_DEFAULT_REGION", region.to_string()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_string()),
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("LAMBDA_TASK_ROOT", task_root.display().to_string()),
        ("_HANDLER", "bootstrap".to_string()),
        ("TZ", ":UTC".to_string()),
        // The SDK puts this in its user agent: a function's calls are told apart in traces.
        ("AWS_SDK_UA_APP_ID", function.logical_id.clone()),
    ];
    env.extend(reserved.into_iter().map(|(k, v)| (k.to_string(), v)));
    env
}

/// Spawns `command`, retrying briefly while its binary is "text file busy" (ETXTBSY): a binary
/// written just before (a rebuild, a copy) can still be open for writing in a process that
/// another thread forked at that moment, until that child execs and closes it.
fn spawn_retrying_busy(command: &mut Command) -> std::io::Result<tokio::process::Child> {
    const TEXT_FILE_BUSY: i32 = 26;
    let mut attempts = 0;
    loop {
        match command.spawn() {
            Err(error) if error.raw_os_error() == Some(TEXT_FILE_BUSY) && attempts < 20 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            result => return result,
        }
    }
}

/// Starts `binary`; returns the sender that kills it. `on_exit` runs once it has ended.
pub fn spawn(
    function: &str,
    binary: &Path,
    env: BTreeMap<String, String>,
    on_exit: impl FnOnce(String) + Send + 'static,
) -> Result<oneshot::Sender<()>, String> {
    if !binary.is_file() {
        return Err(format!(
            "the binary of {function} is missing at {}: run `cargo build` first",
            binary.display()
        ));
    }
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(env)
        .current_dir(binary.parent().unwrap_or(Path::new(".")))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // If our task is dropped (runtime shutting down), the process goes with it.
        .kill_on_drop(true);
    let mut child = spawn_retrying_busy(&mut command).map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(copy_lines(function.to_string(), stdout));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(copy_lines(function.to_string(), stderr));
    }
    let (kill, killed) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let status = tokio::select! {
            status = child.wait() => status,
            // A sent `()` or a dropped sender: either way the instance is no longer wanted.
            _ = killed => {
                let _ = child.start_kill();
                child.wait().await
            }
        };
        on_exit(describe(status));
    });
    Ok(kill)
}

fn describe(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(error) => format!("unknown ({error})"),
    }
}

async fn copy_lines(function: String, stream: impl AsyncRead + Unpin) {
    let mut reader = BufReader::new(stream);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match reader.read_until(b'\n', &mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buffer);
                report::line(&function, text.trim_end_matches(['\n', '\r']));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn function() -> Function {
        Function {
            logical_id: "IdentitySignupFunction".into(),
            name: "andes-IdentitySignupFunction".into(),
            arn: "arn:aws:lambda:us-east-1:000000000000:function:andes-IdentitySignupFunction".into(),
            binary: "identity-signup".into(),
            timeout: Duration::from_secs(10),
            memory_mb: 256,
            environment: BTreeMap::from([
                ("TABLE".to_string(), "andes-IdentityTable".to_string()),
                ("AWS_LAMBDA_FUNCTION_NAME".to_string(), "sneaky".to_string()),
            ]),
            reserved_concurrency: None,
            policies: vec![],
            events: vec![],
            on_failure: None,
        }
    }

    #[test]
    fn environment_is_lambdas_over_the_template_over_the_base() {
        let base = BTreeMap::from([
            ("AWS_ENDPOINT_URL".to_string(), "http://127.0.0.1:4566".to_string()),
            ("TABLE".to_string(), "overridden".to_string()),
        ]);
        let env = environment(
            &function(),
            "eu-west-1",
            &base,
            "http://127.0.0.1:9/IdentitySignupFunction/3",
            Path::new("/t"),
            3,
        );
        assert_eq!(env["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566");
        assert_eq!(env["TABLE"], "andes-IdentityTable");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "andes-IdentitySignupFunction");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
        assert_eq!(
            env["AWS_LAMBDA_LOG_GROUP_NAME"],
            "/aws/lambda/andes-IdentitySignupFunction"
        );
        assert_eq!(env["AWS_REGION"], "eu-west-1");
        assert_eq!(env["_HANDLER"], "bootstrap");
        assert_eq!(
            env["AWS_LAMBDA_RUNTIME_API"],
            "http://127.0.0.1:9/IdentitySignupFunction/3"
        );
        assert!(env["AWS_LAMBDA_LOG_STREAM_NAME"].contains("/[$LATEST]"));
        assert!(
            !env.contains_key("AWS_LAMBDA_LOG_FORMAT"),
            "text logs locally unless the base asks for JSON"
        );
    }

    #[tokio::test]
    async fn a_missing_binary_says_to_build() {
        let error = spawn("Fn", Path::new("/nonexistent/identity-signup"), BTreeMap::new(), |_| {}).unwrap_err();
        assert!(
            error.contains("/nonexistent/identity-signup") && error.contains("cargo build"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_killed_process_reports_its_exit() {
        let (tx, rx) = oneshot::channel();
        let env = BTreeMap::from([("PATH".to_string(), std::env::var("PATH").unwrap_or_default())]);
        let kill = spawn("Fn", Path::new("/bin/sleep"), env, move |status| {
            let _ = tx.send(status);
        });
        // `sleep` without arguments exits at once with an error; either way we learn its end.
        let kill = kill.unwrap();
        let _ = kill.send(());
        let status = tokio::time::timeout(Duration::from_secs(5), rx).await.unwrap().unwrap();
        assert!(!status.is_empty());
    }
}
