//! A tiny Lambda function for the runtime's integration tests (`local/tests/runtime.rs`): it
//! echoes its event, and on request sleeps, fails, exits or fails its init.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::var("ECHO_FAIL_INIT").is_ok_and(|v| v == "1") {
        // An error from main before polling: the runtime never reaches `/next`.
        return Err("init failed on purpose".into());
    }
    lambda_runtime::run(service_fn(handler)).await
}

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    println!("handling {}", context.request_id);
    if let Some(ms) = payload["sleep_ms"].as_u64() {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    if let Some(code) = payload["exit"].as_i64() {
        std::process::exit(code as i32);
    }
    if let Some(message) = payload["fail"].as_str() {
        return Err(message.into());
    }
    Ok(json!({
        "payload": payload,
        "requestId": context.request_id,
        "arn": context.invoked_function_arn,
        "deadline": context.deadline,
        "functionName": std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
        "custom": std::env::var("CUSTOM").unwrap_or_default(),
        "pid": std::process::id(),
    }))
}
