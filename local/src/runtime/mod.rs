//! Lambda for the local platform: each function runs as processes of its real binary, started
//! on demand (cold starts), kept warm, one invocation at a time each, talking to one local
//! Runtime API server ([`api`]). [`pool`] decides, [`process`] spawns and kills, [`report`]
//! writes the terminal lines.

mod api;
mod pool;
mod process;
pub(crate) mod report;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use serde_json::{Map, Value};
use tokio::sync::{oneshot, Notify};

use crate::control::{BoxFuture, InvokeError, Invoker};
use crate::template::{Function, Stack};
use pool::{Effects, Invocation, Pool};

/// Lambda's init phase limit; on AWS a timed-out init is retried within the invocation's own
/// `Timeout`, so an instance gets both before it is given up.
const INIT_LIMIT: Duration = Duration::from_secs(10);

pub struct RuntimeConfig {
    /// Where cargo puts the function binaries (e.g. `target/debug`).
    pub target_dir: PathBuf,
    /// Added to every function's environment: backend endpoint, region, dummy credentials,
    /// `RUST_LOG`, ...
    pub base_env: BTreeMap<String, String>,
    /// Added to one function's environment over `base_env`, by logical id: its own access key.
    pub function_env: HashMap<String, BTreeMap<String, String>>,
    /// Instances per function when it declares no `ReservedConcurrentExecutions`.
    pub max_instances_default: u32,
    /// An instance idle this long is retired (its process killed, the next call a cold start),
    /// as Lambda retires idle execution environments; `None` keeps instances forever.
    pub idle_timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot serve the Lambda Runtime API: {0}")]
    Listen(#[from] std::io::Error),
}

pub struct Runtime {
    inner: Arc<Inner>,
    port: u16,
}

/// What the server, the processes' exit watchers and the timers share.
struct Inner {
    stack: Arc<Stack>,
    config: RuntimeConfig,
    port: u16,
    pools: HashMap<String, Mutex<Pool>>,
    /// Processes not yet reaped, so shutdown can wait for them.
    live: AtomicUsize,
    reaped: Notify,
}

impl Runtime {
    /// Serves the Runtime API on `127.0.0.1` (any free port); starts no process yet.
    pub async fn start(stack: Arc<Stack>, config: RuntimeConfig) -> Result<Arc<Runtime>, RuntimeError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let pools = stack
            .functions
            .iter()
            .map(|f| {
                let max = f.reserved_concurrency.unwrap_or(config.max_instances_default);
                (
                    f.logical_id.clone(),
                    Mutex::new(Pool::new(&f.logical_id, f.timeout, f.memory_mb, max)),
                )
            })
            .collect();
        let inner = Arc::new(Inner {
            stack,
            config,
            port,
            pools,
            live: AtomicUsize::new(0),
            reaped: Notify::new(),
        });
        if let Some(timeout) = inner.config.idle_timeout {
            tokio::spawn(retire_idle_instances(Arc::downgrade(&inner), timeout));
        }
        let app = api::router(inner.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(crate::net::without_delay(listener), app).await {
                tracing::error!(%error, "the Lambda Runtime API server stopped");
            }
        });
        Ok(Arc::new(Runtime { inner, port }))
    }

    /// Port of the Runtime API server.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Per function (logical id): invocations, errors, timeouts, cold_starts, instances, busy,
    /// queued.
    pub fn stats(&self) -> Value {
        let mut stats = Map::new();
        for (function, pool) in &self.inner.pools {
            stats.insert(function.clone(), lock(pool).stats());
        }
        Value::Object(stats)
    }

    /// Kills every process, fails what is waiting, and waits (a few seconds at most) for the
    /// processes to be gone.
    pub async fn shutdown(&self) {
        for pool in self.inner.pools.values() {
            lock(pool).close();
        }
        let all_gone = async {
            loop {
                let notified = self.inner.reaped.notified();
                if self.inner.live.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), all_gone).await;
    }

    async fn invoke_function(&self, function: &str, payload: Value) -> Result<Value, InvokeError> {
        let inner = &self.inner;
        let definition = inner
            .stack
            .function(function)
            .ok_or_else(|| InvokeError::UnknownFunction(function.into()))?;
        let binary = inner.config.target_dir.join(&definition.binary);
        // Checked on every invocation: a rebuilt binary replaces the warm instances.
        let mtime = match tokio::fs::metadata(&binary).await {
            Ok(metadata) => metadata.modified().ok(),
            Err(_) => {
                return Err(InvokeError::Runtime(format!(
                    "the binary of {function} is missing at {}: run `cargo build` first",
                    binary.display()
                )))
            }
        };
        let payload = Bytes::from(serde_json::to_vec(&payload).expect("a JSON value serializes"));
        let (reply, answer) = oneshot::channel();
        let invocation = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            payload,
            reply,
        };
        inner.with_pool(function, |pool, effects| {
            pool.check_binary(mtime);
            pool.submit(invocation, effects);
        });
        answer
            .await
            .unwrap_or_else(|_| Err(InvokeError::Runtime("the invocation was abandoned".into())))
    }
}

/// Checks every pool for idle instances a few times per `timeout`, until the runtime is gone.
async fn retire_idle_instances(inner: std::sync::Weak<Inner>, timeout: Duration) {
    let every = (timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(15));
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        for pool in inner.pools.values() {
            lock(pool).retire_idle(timeout);
        }
    }
}

impl Invoker for Runtime {
    fn invoke<'a>(&'a self, function: &'a str, payload: Value) -> BoxFuture<'a, Result<Value, InvokeError>> {
        Box::pin(self.invoke_function(function, payload))
    }
}

impl Inner {
    /// Runs `f` on the pool of `function` (a logical id) with the real side effects.
    fn with_pool<R>(self: &Arc<Self>, function: &str, f: impl FnOnce(&mut Pool, &mut dyn Effects) -> R) -> Option<R> {
        let (logical_id, pool) = self.pools.get_key_value(function)?;
        let definition = self.stack.function(logical_id)?;
        let mut effects = ProcessEffects {
            inner: self,
            function: definition,
        };
        Some(f(&mut lock(pool), &mut effects))
    }
}

fn lock(pool: &Mutex<Pool>) -> std::sync::MutexGuard<'_, Pool> {
    // A panic while holding the lock leaves the pool usable: every step keeps it consistent.
    pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct ProcessEffects<'a> {
    inner: &'a Arc<Inner>,
    function: &'a Function,
}

impl Effects for ProcessEffects<'_> {
    fn spawn(&mut self, instance: u64) -> Result<oneshot::Sender<()>, String> {
        let inner = self.inner;
        let function = self.function;
        let id = function.logical_id.clone();
        let runtime_api = format!("http://127.0.0.1:{}/{id}/{instance}", inner.port);
        let target_dir = &inner.config.target_dir;
        let mut base = inner.config.base_env.clone();
        if let Some(own) = inner.config.function_env.get(&id) {
            base.extend(own.clone());
        }
        let env = process::environment(function, &inner.stack.region, &base, &runtime_api, target_dir, instance);
        let binary = target_dir.join(&function.binary);

        inner.live.fetch_add(1, Ordering::SeqCst);
        let on_exit = {
            let (inner, id) = (inner.clone(), id.clone());
            move |status: String| {
                inner.with_pool(&id, |pool, effects| pool.exited(instance, &status, effects));
                inner.live.fetch_sub(1, Ordering::SeqCst);
                inner.reaped.notify_waiters();
            }
        };
        let kill = process::spawn(&id, &binary, env, on_exit).inspect_err(|_| {
            inner.live.fetch_sub(1, Ordering::SeqCst);
        })?;

        let (inner, limit) = (inner.clone(), INIT_LIMIT + function.timeout);
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            inner.with_pool(&id, |pool, effects| pool.init_timed_out(instance, limit, effects));
        });
        Ok(kill)
    }

    fn arm_timeout(&mut self, instance: u64, request_id: &str, timeout: Duration) {
        let (inner, id, request_id) = (
            self.inner.clone(),
            self.function.logical_id.clone(),
            request_id.to_string(),
        );
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            inner.with_pool(&id, |pool, effects| pool.timed_out(instance, &request_id, effects));
        });
    }
}
