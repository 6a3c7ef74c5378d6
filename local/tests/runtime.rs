//! The runtime against a real `lambda_runtime` process: the `echo_lambda` example, which
//! `cargo test` builds next to the test binaries (`target/debug/examples`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use andes_local::control::{InvokeError, Invoker};
use andes_local::runtime::{Runtime, RuntimeConfig};
use andes_local::template::{Function, Stack};
use serde_json::{json, Value};

fn examples_dir() -> PathBuf {
    // target/debug/deps/runtime-xxxx → target/debug/examples
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    if !dir.join("echo_lambda").is_file() {
        // `cargo test` builds examples, `cargo test --test runtime` does not. The whole
        // workspace's features, as every other build has them: `-p andes-local` alone would
        // resolve fewer and rebuild half the dependencies for one example.
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--workspace", "--example", "echo_lambda"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    dir
}

fn function(logical_id: &str, binary: &str, timeout_ms: u64, env: &[(&str, &str)]) -> Function {
    Function {
        logical_id: logical_id.into(),
        name: format!("andes-{logical_id}"),
        arn: format!("arn:aws:lambda:us-east-1:000000000000:function:andes-{logical_id}"),
        binary: binary.into(),
        timeout: Duration::from_millis(timeout_ms),
        memory_mb: 128,
        environment: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        reserved_concurrency: None,
        policies: vec![],
        events: vec![],
        on_failure: None,
    }
}

async fn runtime(functions: Vec<Function>) -> Arc<Runtime> {
    runtime_with_idle_timeout(functions, None).await
}

async fn runtime_with_idle_timeout(functions: Vec<Function>, idle_timeout: Option<Duration>) -> Arc<Runtime> {
    let stack = Stack {
        name: "andes".into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        parameters: BTreeMap::new(),
        tables: vec![],
        buckets: vec![],
        queues: vec![],
        functions,
        apis: vec![],
    };
    let config = RuntimeConfig {
        function_env: Default::default(),
        target_dir: examples_dir(),
        base_env: BTreeMap::from([("RUST_LOG".to_string(), "warn".to_string())]),
        max_instances_default: 4,
        idle_timeout,
    };
    Runtime::start(Arc::new(stack), config).await.unwrap()
}

#[tokio::test]
async fn invokes_a_real_function_through_the_runtime_api() {
    let rt = runtime(vec![
        function("Echo", "echo_lambda", 2_000, &[("CUSTOM", "from-template")]),
        function("Broken", "echo_lambda", 2_000, &[("ECHO_FAIL_INIT", "1")]),
        function("Missing", "no_such_binary", 2_000, &[]),
    ])
    .await;

    let first = rt.invoke("Echo", json!({"n": 1})).await.unwrap();
    assert_eq!(first["payload"], json!({"n": 1}));
    assert_eq!(first["functionName"], "andes-Echo");
    assert_eq!(first["custom"], "from-template");
    assert_eq!(
        first["arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:andes-Echo"
    );
    assert!(first["deadline"].as_u64().unwrap() > 0);
    let second = rt.invoke("Echo", json!({"n": 2})).await.unwrap();
    assert_eq!(second["pid"], first["pid"], "warm instance reused");
    assert_ne!(second["requestId"], first["requestId"]);

    let error = rt.invoke("Echo", json!({"fail": "nope"})).await.unwrap_err();
    assert!(
        matches!(&error, InvokeError::Function { error_message, .. } if error_message == "nope"),
        "{error:?}"
    );

    // Two at once: a second instance starts.
    let (a, b) = tokio::join!(
        rt.invoke("Echo", json!({"sleep_ms": 300})),
        rt.invoke("Echo", json!({"sleep_ms": 300}))
    );
    assert_ne!(a.unwrap()["pid"], b.unwrap()["pid"]);

    let timeout = rt.invoke("Echo", json!({"sleep_ms": 5_000})).await.unwrap_err();
    assert!(matches!(timeout, InvokeError::Timeout(s) if s == 2.0), "{timeout:?}");

    let exited = rt.invoke("Echo", json!({"exit": 3})).await.unwrap_err();
    assert!(
        matches!(&exited, InvokeError::Runtime(m) if m.starts_with("process exited")),
        "{exited:?}"
    );

    // Still serving after all that.
    assert_eq!(
        rt.invoke("Echo", json!({"n": 3})).await.unwrap()["payload"],
        json!({"n": 3})
    );

    let init = rt.invoke("Broken", json!({})).await.unwrap_err();
    assert!(matches!(&init, InvokeError::Runtime(_)), "{init:?}");
    let missing = rt.invoke("Missing", json!({})).await.unwrap_err();
    assert!(
        matches!(&missing, InvokeError::Runtime(m) if m.contains("cargo build")),
        "{missing:?}"
    );
    let unknown = rt.invoke("Nope", json!({})).await.unwrap_err();
    assert!(matches!(unknown, InvokeError::UnknownFunction(_)));

    let stats = rt.stats();
    assert!(stats["Echo"]["cold_starts"].as_u64().unwrap() >= 3, "{stats}");
    assert_eq!(stats["Echo"]["timeouts"], 1);
    rt.shutdown().await;
    assert_eq!(rt.stats()["Echo"]["instances"], 0);
}

#[tokio::test]
async fn a_rebuilt_binary_replaces_warm_instances() {
    // A copy of the example, so touching it does not disturb the other test.
    let dir = std::env::temp_dir().join(format!("andes-runtime-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(examples_dir().join("echo_lambda"), dir.join("echo_copy")).unwrap();
    let stack_fn = function("Echo", "echo_copy", 2_000, &[]);
    let stack = Stack {
        name: "andes".into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        parameters: BTreeMap::new(),
        tables: vec![],
        buckets: vec![],
        queues: vec![],
        functions: vec![stack_fn],
        apis: vec![],
    };
    let config = RuntimeConfig {
        function_env: Default::default(),
        target_dir: dir.clone(),
        base_env: BTreeMap::new(),
        max_instances_default: 2,
        idle_timeout: None,
    };
    let rt = Runtime::start(Arc::new(stack), config).await.unwrap();

    let before: Value = rt.invoke("Echo", json!({})).await.unwrap();
    let file = std::fs::File::open(dir.join("echo_copy")).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(file);
    let after = rt.invoke("Echo", json!({})).await.unwrap();
    assert_ne!(before["pid"], after["pid"], "the new binary runs in a new process");
    assert_eq!(rt.stats()["Echo"]["instances"], 1, "the old instance is gone");
    rt.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_idle_instance_is_retired_and_the_next_call_is_a_cold_start() {
    let rt = runtime_with_idle_timeout(
        vec![function("Echo", "echo_lambda", 2_000, &[])],
        Some(Duration::from_millis(400)),
    )
    .await;
    let first = rt.invoke("Echo", json!({})).await.unwrap();
    let warm = rt.invoke("Echo", json!({})).await.unwrap();
    assert_eq!(first["pid"], warm["pid"], "reused while warm");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let stats = rt.stats();
    assert_eq!(stats["Echo"]["instances"], 0, "{stats}");
    assert_eq!(stats["Echo"]["idle_retired"], 1, "{stats}");
    let cold = rt.invoke("Echo", json!({})).await.unwrap();
    assert_ne!(cold["pid"], first["pid"], "a new process");
    assert_eq!(rt.stats()["Echo"]["cold_starts"], 2);
    rt.shutdown().await;
}
