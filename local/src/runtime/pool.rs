//! The instances of one function and the invocations waiting for them: every scheduling
//! decision of the runtime (start another process, hand an invocation to an idle one, retire
//! stale ones, fail on timeout or crash) lives here, free of I/O so it can be unit-tested.
//! Side effects (spawning a process, arming a timer) go through [`Effects`].

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::report;
use crate::control::InvokeError;

pub type Reply = oneshot::Sender<Result<Value, InvokeError>>;

/// How long an instance that answered is expected back on `/next` before an invocation
/// arriving meanwhile starts another process instead of waiting for it.
const FINISHING_GRACE: Duration = Duration::from_secs(1);

/// An invocation not yet handed to an instance.
pub struct Invocation {
    pub request_id: String,
    pub payload: Bytes,
    pub reply: Reply,
}

/// What `/invocation/next` answers an instance.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline: SystemTime,
}

/// The I/O the pool asks for. Implemented by the runtime; faked in tests.
pub trait Effects {
    /// Starts a process for `instance`; returns what kills it (dropping it kills too).
    fn spawn(&mut self, instance: u64) -> Result<oneshot::Sender<()>, String>;
    /// Calls [`Pool::timed_out`] for this invocation after `timeout`.
    fn arm_timeout(&mut self, instance: u64, request_id: &str, timeout: Duration);
}

enum State {
    /// Spawned, has not asked for its first invocation yet.
    Starting {
        since: Instant,
    },
    /// Long-polling `/next` since `since`.
    Idle {
        waiter: oneshot::Sender<Assignment>,
        since: Instant,
    },
    Busy(Busy),
    /// Answered; not back on `/next` yet, so not available.
    Finishing {
        since: Instant,
    },
}

struct Busy {
    request_id: String,
    reply: Reply,
    started: Instant,
    /// Set on the first invocation of a process: a cold start.
    init: Option<Duration>,
}

struct Instance {
    state: State,
    /// Runs an older binary: killed instead of reused once it is free.
    retired: bool,
    kill: Option<oneshot::Sender<()>>,
    /// Init duration waiting to be reported with the first invocation.
    pending_init: Option<Duration>,
}

impl Instance {
    fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
    }
}

/// Answer of [`Pool::next`].
pub enum Next {
    Now(Assignment),
    Wait(oneshot::Receiver<Assignment>),
    /// The instance was retired or killed: its process must stop.
    Gone,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub invocations: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub cold_starts: u64,
    pub idle_retired: u64,
}

pub struct Pool {
    function: String,
    timeout: Duration,
    memory_mb: u32,
    max_instances: u32,
    queue: VecDeque<Invocation>,
    instances: BTreeMap<u64, Instance>,
    binary_mtime: Option<SystemTime>,
    next_instance: u64,
    closed: bool,
    stats: Stats,
}

impl Pool {
    pub fn new(function: &str, timeout: Duration, memory_mb: u32, max_instances: u32) -> Self {
        Pool {
            function: function.to_string(),
            timeout,
            memory_mb,
            max_instances,
            queue: VecDeque::new(),
            instances: BTreeMap::new(),
            binary_mtime: None,
            next_instance: 1,
            closed: false,
            stats: Stats::default(),
        }
    }

    /// Retires every instance started from an older binary (a developer ran `cargo build`):
    /// idle ones now, busy ones when they finish.
    pub fn check_binary(&mut self, mtime: Option<SystemTime>) {
        if mtime.is_none() || self.binary_mtime == mtime {
            return;
        }
        let first = self.binary_mtime.is_none();
        self.binary_mtime = mtime;
        if first {
            return;
        }
        let mut reloaded = false;
        self.instances.retain(|_, instance| {
            reloaded = true;
            instance.retired = true;
            if matches!(instance.state, State::Idle { .. }) {
                instance.kill();
                return false;
            }
            true
        });
        if reloaded {
            report::line(&self.function, "binary changed: warm instances retired");
        }
    }

    pub fn submit(&mut self, invocation: Invocation, effects: &mut dyn Effects) {
        self.stats.invocations += 1;
        if self.closed {
            self.fail(
                invocation.reply,
                InvokeError::Runtime("the local platform is shutting down".into()),
            );
            return;
        }
        if self.max_instances == 0 {
            // ReservedConcurrentExecutions: 0 throttles every invocation on AWS.
            self.fail(
                invocation.reply,
                InvokeError::Runtime("Rate Exceeded: reserved concurrency is 0".into()),
            );
            return;
        }
        self.queue.push_back(invocation);
        self.pump(effects);
    }

    /// Hands queued invocations to idle instances, then starts processes for the rest (one per
    /// queued invocation not already covered by a starting or just-answered one, within bounds).
    fn pump(&mut self, effects: &mut dyn Effects) {
        self.queue.retain(|invocation| !invocation.reply.is_closed());
        while !self.queue.is_empty() {
            let Some(id) = self
                .instances
                .iter()
                .find(|(_, i)| matches!(i.state, State::Idle { .. }))
                .map(|(id, _)| *id)
            else {
                break;
            };
            let instance = self.instances.get_mut(&id).expect("found above");
            let State::Idle { waiter, .. } =
                std::mem::replace(&mut instance.state, State::Finishing { since: Instant::now() })
            else {
                unreachable!()
            };
            let invocation = self.queue.pop_front().expect("queue not empty");
            let assignment = self.assign(id, invocation, effects);
            if let Err(assignment) = waiter.send(assignment) {
                // Its `/next` request is gone (the process died); the exit handler fails it.
                report::line(
                    &self.function,
                    &format!("instance {id} stopped polling; {} lost", assignment.request_id),
                );
            }
        }
        if self.closed {
            return;
        }
        loop {
            let live = self.instances.values().filter(|i| !i.retired).count();
            // An instance that has just answered is back on `/next` within microseconds, as
            // a starting one will be: both take a queued invocation before a new process could.
            // One that answered and has not polled for a while is not counted on any more.
            let coming = self
                .instances
                .values()
                .filter(|i| !i.retired)
                .filter(|i| match i.state {
                    State::Starting { .. } => true,
                    State::Finishing { since } => since.elapsed() < FINISHING_GRACE,
                    _ => false,
                })
                .count();
            if self.queue.len() <= coming || live >= self.max_instances as usize {
                break;
            }
            let id = self.next_instance;
            self.next_instance += 1;
            match effects.spawn(id) {
                Ok(kill) => {
                    self.stats.cold_starts += 1;
                    let state = State::Starting { since: Instant::now() };
                    self.instances.insert(
                        id,
                        Instance {
                            state,
                            retired: false,
                            kill: Some(kill),
                            pending_init: None,
                        },
                    );
                }
                Err(error) => {
                    let invocation = self.queue.pop_front().expect("queue not empty");
                    self.fail(invocation.reply, InvokeError::Runtime(error));
                }
            }
        }
    }

    /// The oldest queued invocation whose caller still waits for it.
    fn pop_queued(&mut self) -> Option<Invocation> {
        while let Some(invocation) = self.queue.pop_front() {
            if !invocation.reply.is_closed() {
                return Some(invocation);
            }
        }
        None
    }

    /// Marks `id` busy with `invocation` and builds what `/next` answers.
    fn assign(&mut self, id: u64, invocation: Invocation, effects: &mut dyn Effects) -> Assignment {
        let instance = self.instances.get_mut(&id).expect("assigning to a known instance");
        let init = instance.pending_init.take();
        report::start(&self.function, &invocation.request_id);
        effects.arm_timeout(id, &invocation.request_id, self.timeout);
        let assignment = Assignment {
            request_id: invocation.request_id.clone(),
            payload: invocation.payload,
            deadline: SystemTime::now() + self.timeout,
        };
        instance.state = State::Busy(Busy {
            request_id: invocation.request_id,
            reply: invocation.reply,
            started: Instant::now(),
            init,
        });
        assignment
    }

    /// An instance asks for its next invocation (`GET /invocation/next`).
    pub fn next(&mut self, id: u64, effects: &mut dyn Effects) -> Next {
        let Some(instance) = self.instances.get_mut(&id) else {
            return Next::Gone;
        };
        if instance.retired || self.closed {
            instance.kill();
            self.instances.remove(&id);
            self.pump(effects);
            return Next::Gone;
        }
        match &instance.state {
            State::Starting { since } => instance.pending_init = Some(since.elapsed()),
            State::Busy(busy) => {
                // Asking again without answering: the runtime lost the invocation.
                let request_id = busy.request_id.clone();
                let message = format!("runtime asked for a new invocation without answering {request_id}");
                let _ = self.finish(id, &request_id, Err(InvokeError::Runtime(message)));
            }
            State::Idle { .. } | State::Finishing { .. } => {}
        }
        if let Some(invocation) = self.pop_queued() {
            return Next::Now(self.assign(id, invocation, effects));
        }
        let (sender, receiver) = oneshot::channel();
        self.instances.get_mut(&id).expect("present").state = State::Idle {
            waiter: sender,
            since: Instant::now(),
        };
        Next::Wait(receiver)
    }

    /// The instance answered (`/response` or `/error`). `Err(..)` when `request_id` is not
    /// the invocation it is running.
    pub fn finish(&mut self, id: u64, request_id: &str, result: Result<Value, InvokeError>) -> Result<(), ()> {
        let Some(instance) = self.instances.get_mut(&id) else {
            return Err(());
        };
        let State::Busy(busy) = &instance.state else {
            return Err(());
        };
        if busy.request_id != request_id {
            return Err(());
        }
        let State::Busy(busy) = std::mem::replace(&mut instance.state, State::Finishing { since: Instant::now() })
        else {
            unreachable!()
        };
        self.settle(busy, result);
        Ok(())
    }

    /// The invocation's `Timeout` elapsed; if it is still running, its process is killed.
    pub fn timed_out(&mut self, id: u64, request_id: &str, effects: &mut dyn Effects) {
        let running = self
            .instances
            .get(&id)
            .is_some_and(|i| matches!(&i.state, State::Busy(busy) if busy.request_id == request_id));
        if !running {
            return;
        }
        let seconds = self.timeout.as_secs_f64();
        report::line(
            &self.function,
            &format!("{request_id} Task timed out after {seconds:.2} seconds"),
        );
        self.stats.timeouts += 1;
        self.remove(id, InvokeError::Timeout(seconds), effects);
    }

    /// The instance has not asked for an invocation within the init limit: it is killed.
    pub fn init_timed_out(&mut self, id: u64, limit: Duration, effects: &mut dyn Effects) {
        if self
            .instances
            .get(&id)
            .is_some_and(|i| matches!(i.state, State::Starting { .. }))
        {
            let message = format!("init did not finish within {:.0} seconds", limit.as_secs_f64());
            self.remove(id, InvokeError::Runtime(message), effects);
        }
    }

    /// The runtime reported an init failure (`/init/error`): the process is killed.
    pub fn init_failed(&mut self, id: u64, message: String, effects: &mut dyn Effects) {
        if self.instances.contains_key(&id) {
            self.remove(id, InvokeError::Runtime(message), effects);
        }
    }

    /// The process of `id` exited (or was killed).
    pub fn exited(&mut self, id: u64, status: &str, effects: &mut dyn Effects) {
        if self.instances.contains_key(&id) {
            self.remove(id, InvokeError::Runtime(format!("process exited: {status}")), effects);
        }
    }

    /// Kills `id` and fails what it stood for: its running invocation, or, if it was still
    /// starting, the oldest queued invocation (which it had been started for).
    fn remove(&mut self, id: u64, error: InvokeError, effects: &mut dyn Effects) {
        let Some(mut instance) = self.instances.remove(&id) else {
            return;
        };
        instance.kill();
        match instance.state {
            State::Busy(busy) => self.settle(busy, Err(error)),
            State::Starting { .. } if !instance.retired => {
                if let Some(invocation) = self.queue.pop_front() {
                    report::line(&self.function, &format!("init failed: {error}"));
                    self.fail(invocation.reply, error);
                }
            }
            _ => {}
        }
        self.pump(effects);
    }

    fn settle(&mut self, busy: Busy, result: Result<Value, InvokeError>) {
        if let Err(error) = &result {
            self.stats.errors += 1;
            if !matches!(error, InvokeError::Timeout(_)) {
                report::line(&self.function, &format!("{} failed: {error}", busy.request_id));
            }
        }
        report::end(
            &self.function,
            &busy.request_id,
            busy.started.elapsed(),
            self.memory_mb,
            busy.init,
        );
        let _ = busy.reply.send(result);
    }

    fn fail(&mut self, reply: Reply, error: InvokeError) {
        self.stats.errors += 1;
        let _ = reply.send(Err(error));
    }

    /// Retires the instances idle for `timeout` or longer, as Lambda retires idle execution
    /// environments: their processes are killed and the next invocation is a cold start.
    pub fn retire_idle(&mut self, timeout: Duration) -> usize {
        let mut retired = 0;
        self.instances.retain(|id, instance| {
            let State::Idle { since, .. } = &instance.state else {
                return true;
            };
            let idle = since.elapsed();
            if idle < timeout {
                return true;
            }
            instance.kill();
            report::line(
                &self.function,
                &format!("instance {id} idle for {}s: retired", idle.as_secs()),
            );
            retired += 1;
            false
        });
        self.stats.idle_retired += retired as u64;
        retired
    }

    /// Kills every process and fails every waiting invocation; nothing starts afterwards.
    pub fn close(&mut self) {
        self.closed = true;
        for (_, mut instance) in std::mem::take(&mut self.instances) {
            instance.kill();
            if let State::Busy(busy) = instance.state {
                let _ = busy
                    .reply
                    .send(Err(InvokeError::Runtime("the local platform is shutting down".into())));
            }
        }
        for invocation in std::mem::take(&mut self.queue) {
            let _ = invocation
                .reply
                .send(Err(InvokeError::Runtime("the local platform is shutting down".into())));
        }
    }

    pub fn stats(&self) -> Value {
        let busy = self
            .instances
            .values()
            .filter(|i| matches!(i.state, State::Busy(_)))
            .count();
        json!({
            "invocations": self.stats.invocations,
            "errors": self.stats.errors,
            "timeouts": self.stats.timeouts,
            "cold_starts": self.stats.cold_starts,
            "idle_retired": self.stats.idle_retired,
            "instances": self.instances.len(),
            "busy": busy,
            "queued": self.queue.len(),
        })
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
