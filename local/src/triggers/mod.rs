//! Event-source triggers: what Lambda's event-source mappings, S3 notifications and
//! EventBridge schedules do on AWS, done against the local backend.
//!
//! `sqs` polls each queue from one place (concurrent receivers duplicate deliveries on moto),
//! `s3` reads the internal notification queues that `resources` set up, `streams` follows
//! DynamoDB stream shards, `filter` decides which SQS and stream records pass their event's
//! `FilterCriteria`, `schedule` ticks `rate(...)`/`cron(...)` expressions, and `sweepers`
//! apply what moto never runs (lifecycle expiration, TTL).

mod asynchronous;
mod failures;
mod filter;
mod records;
mod s3;
mod schedule;
mod shutdown;
mod sqs;
mod stats;
mod streams;
mod sweepers;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::backend::Clients;
use crate::control::{Background, BoxFuture, InvokeError, Invoker, Sweep, SweepError, Swept};
use crate::template::Stack;

pub use failures::{interpret_batch_response, BatchOutcome};
pub use records::{aws_s3_key, decode_moto_s3_key, s3_event_matches};
pub use schedule::{aws_cron_to_crate, Expression};

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("{source_name}: {message}")]
    Invalid { source_name: String, message: String },
    #[error("{source_name}: the backend refused {operation}: {message}")]
    Backend {
        source_name: String,
        operation: &'static str,
        message: String,
    },
}

impl TriggerError {
    fn backend(source_name: &str, operation: &'static str, error: impl std::error::Error) -> Self {
        TriggerError::Backend {
            source_name: source_name.to_string(),
            operation,
            message: crate::backend::describe_error(error),
        }
    }
}

/// What every poller shares.
pub(crate) struct Context {
    pub stack: Arc<Stack>,
    pub clients: Clients,
    pub invoker: Arc<dyn Invoker>,
    pub stats: stats::Stats,
    pub shutdown: shutdown::Shutdown,
    /// Objects the lifecycle sweeper is deleting: their `ObjectRemoved` notifications are
    /// really `LifecycleExpiration:Delete` events (bucket name, key).
    pub expiring: Mutex<HashSet<(String, String)>>,
}

/// The running triggers of a stack.
pub struct Triggers {
    context: Arc<Context>,
    schedules: Vec<schedule::Schedule>,
    signal: shutdown::Signal,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Triggers {
    /// Starts every poller of `stack` (its resources must exist: see `resources::create_all`).
    pub async fn start(
        stack: Arc<Stack>,
        clients: Clients,
        invoker: Arc<dyn Invoker>,
    ) -> Result<Arc<Triggers>, TriggerError> {
        let (signal, shutdown) = shutdown::channel();
        let context = Arc::new(Context {
            stack,
            clients,
            invoker,
            stats: stats::Stats::default(),
            shutdown,
            expiring: Mutex::new(HashSet::new()),
        });
        let schedules = schedule::Schedule::all(&context.stack)?;
        let mut tasks = Vec::new();
        tasks.extend(sqs::start(&context).await?);
        tasks.extend(s3::start(&context).await?);
        tasks.extend(streams::start(&context).await?);
        tasks.extend(schedule::start(&context, &schedules));
        tasks.push(sweepers::start(&context));
        Ok(Arc::new(Triggers {
            context,
            schedules,
            signal,
            tasks: Mutex::new(tasks),
        }))
    }

    /// Counters per event source (`Function.Event`) and sweeper, for `/_local` and tests.
    pub fn stats(&self) -> Value {
        self.context.stats.snapshot()
    }

    /// Runs the lifecycle and TTL sweepers once now over everything (they otherwise run every
    /// minute).
    pub async fn sweep_now(&self) -> Result<Swept, SweepError> {
        let everything = Sweep {
            now: chrono::Utc::now().timestamp(),
            bucket: None,
            prefix: String::new(),
        };
        sweepers::sweep(&self.context, &everything).await
    }

    /// Stops every poller; in-flight invocations are abandoned (their messages come back after
    /// the visibility timeout, as when a Lambda poller dies).
    pub async fn shutdown(&self) {
        self.signal.stop();
        let tasks: Vec<JoinHandle<()>> = match self.tasks.lock() {
            Ok(mut tasks) => tasks.drain(..).collect(),
            Err(_) => return,
        };
        for mut task in tasks {
            if tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for Triggers {
    fn drop(&mut self) {
        self.signal.stop();
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.drain(..).for_each(|task| task.abort());
        }
    }
}

impl Background for Triggers {
    fn fire<'a>(&'a self, function: &'a str, time: Option<DateTime<Utc>>) -> BoxFuture<'a, Result<Value, InvokeError>> {
        Box::pin(async move {
            let schedule = self
                .schedules
                .iter()
                .find(|s| s.function == function)
                .ok_or_else(|| InvokeError::UnknownFunction(function.to_string()))?;
            schedule.fire_now(&self.context, time.unwrap_or_else(Utc::now)).await
        })
    }

    fn sweep<'a>(&'a self, sweep: &'a Sweep) -> BoxFuture<'a, Result<Value, SweepError>> {
        Box::pin(async move {
            let swept = sweepers::sweep(&self.context, sweep).await?;
            Ok(serde_json::to_value(swept).expect("counts serialize"))
        })
    }
}
