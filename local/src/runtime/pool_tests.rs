use std::collections::BTreeMap;

use super::*;

#[derive(Default)]
struct Fake {
    spawned: Vec<u64>,
    kills: BTreeMap<u64, oneshot::Receiver<()>>,
    timers: Vec<(u64, String)>,
    refuse: bool,
}

impl Fake {
    fn killed(&mut self, id: u64) -> bool {
        // A kill is a sent `()` or a dropped sender.
        self.kills
            .get_mut(&id)
            .is_some_and(|rx| !matches!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty)))
    }
}

impl Effects for Fake {
    fn spawn(&mut self, instance: u64) -> Result<oneshot::Sender<()>, String> {
        if self.refuse {
            return Err("binary missing: run `cargo build`".into());
        }
        let (tx, rx) = oneshot::channel();
        self.spawned.push(instance);
        self.kills.insert(instance, rx);
        Ok(tx)
    }
    fn arm_timeout(&mut self, instance: u64, request_id: &str, _timeout: Duration) {
        self.timers.push((instance, request_id.to_string()));
    }
}

fn pool(max: u32) -> Pool {
    Pool::new("Fn", Duration::from_secs(3), 128, max)
}

fn invocation(id: &str) -> (Invocation, oneshot::Receiver<Result<Value, InvokeError>>) {
    let (reply, rx) = oneshot::channel();
    (
        Invocation {
            request_id: id.into(),
            payload: Bytes::from_static(b"{}"),
            reply,
        },
        rx,
    )
}

fn now(next: Next) -> Assignment {
    match next {
        Next::Now(assignment) => assignment,
        _ => panic!("expected an invocation now"),
    }
}

fn wait(next: Next) -> oneshot::Receiver<Assignment> {
    match next {
        Next::Wait(rx) => rx,
        _ => panic!("expected to wait"),
    }
}

#[test]
fn first_invocation_is_a_cold_start_then_the_instance_is_reused() {
    let (mut pool, mut fx) = (pool(10), Fake::default());
    let (a, mut a_rx) = invocation("a");
    pool.submit(a, &mut fx);
    assert_eq!(fx.spawned, vec![1]);
    assert_eq!(now(pool.next(1, &mut fx)).request_id, "a");
    assert_eq!(fx.timers, vec![(1, "a".to_string())]);
    pool.finish(1, "a", Ok(json!({"ok": true}))).unwrap();
    assert_eq!(a_rx.try_recv().unwrap().unwrap(), json!({"ok": true}));

    let mut idle = wait(pool.next(1, &mut fx));
    let (b, _b_rx) = invocation("b");
    pool.submit(b, &mut fx);
    assert_eq!(fx.spawned, vec![1], "a warm idle instance is reused");
    assert_eq!(idle.try_recv().unwrap().request_id, "b");
    assert_eq!(pool.stats()["cold_starts"], 1);
}

#[test]
fn an_invocation_arriving_between_an_answer_and_the_next_poll_waits_for_that_instance() {
    let (mut pool, mut fx) = (pool(10), Fake::default());
    let (a, _a_rx) = invocation("a");
    pool.submit(a, &mut fx);
    assert_eq!(now(pool.next(1, &mut fx)).request_id, "a");
    pool.finish(1, "a", Ok(json!(1))).unwrap();
    let (b, _b_rx) = invocation("b");
    pool.submit(b, &mut fx);
    assert_eq!(fx.spawned, vec![1], "no cold start for an instance about to poll again");
    assert_eq!(now(pool.next(1, &mut fx)).request_id, "b");

    pool.finish(1, "b", Ok(json!(2))).unwrap();
    let (c, c_rx) = invocation("c");
    pool.submit(c, &mut fx);
    pool.exited(1, "exit status: 1", &mut fx);
    assert_eq!(
        fx.spawned,
        vec![1, 2],
        "it died instead: a new process takes the invocation"
    );
    assert_eq!(now(pool.next(2, &mut fx)).request_id, "c");
    drop(c_rx);
}

#[test]
fn an_instance_that_answered_and_stopped_polling_is_not_waited_for() {
    let (mut pool, mut fx) = (pool(10), Fake::default());
    let (a, _a_rx) = invocation("a");
    pool.submit(a, &mut fx);
    assert_eq!(now(pool.next(1, &mut fx)).request_id, "a");
    pool.finish(1, "a", Ok(json!(1))).unwrap();
    std::thread::sleep(FINISHING_GRACE + Duration::from_millis(50));
    let (b, _b_rx) = invocation("b");
    pool.submit(b, &mut fx);
    assert_eq!(fx.spawned, vec![1, 2]);
}

#[test]
fn idle_instances_are_retired_after_the_timeout_and_the_next_call_is_cold() {
    let (mut pool, mut fx) = (pool(10), Fake::default());
    let (a, _a_rx) = invocation("a");
    pool.submit(a, &mut fx);
    assert_eq!(now(pool.next(1, &mut fx)).request_id, "a");
    pool.finish(1, "a", Ok(json!(1))).unwrap();
    let _idle = wait(pool.next(1, &mut fx));
    assert_eq!(pool.retire_idle(Duration::from_secs(300)), 0, "not idle long enough");
    assert_eq!(pool.retire_idle(Duration::ZERO), 1);
    assert!(fx.killed(1));
    assert_eq!(
        (
            pool.stats()["instances"].as_u64(),
            pool.stats()["idle_retired"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let (b, _b_rx) = invocation("b");
    pool.submit(b, &mut fx);
    assert_eq!(fx.spawned, vec![1, 2], "a cold start");
    assert_eq!(pool.stats()["cold_starts"], 2);
}

#[test]
fn concurrent_invocations_start_more_instances_up_to_the_bound_then_queue() {
    let (mut pool, mut fx) = (pool(2), Fake::default());
    let mut replies = Vec::new();
    for id in ["a", "b", "c"] {
        let (inv, rx) = invocation(id);
        pool.submit(inv, &mut fx);
        replies.push(rx);
    }
    assert_eq!(fx.spawned, vec![1, 2], "never more than the reserved concurrency");
    assert_eq!(now(pool.next(1, &mut fx)).request_id, "a");
    assert_eq!(now(pool.next(2, &mut fx)).request_id, "b");
    assert_eq!(pool.stats()["queued"], 1);
    pool.finish(1, "a", Ok(json!(1))).unwrap();
    assert_eq!(
        now(pool.next(1, &mut fx)).request_id,
        "c",
        "the queued invocation goes to the first free instance"
    );
}

#[test]
fn an_answer_for_another_request_id_is_refused() {
    let (mut pool, mut fx) = (pool(1), Fake::default());
    let (a, _rx) = invocation("a");
    pool.submit(a, &mut fx);
    now(pool.next(1, &mut fx));
    assert!(pool.finish(1, "zzz", Ok(json!(null))).is_err());
    assert!(pool.finish(1, "a", Ok(json!(null))).is_ok());
    assert!(pool.finish(1, "a", Ok(json!(null))).is_err(), "answered twice");
}

#[test]
fn timeout_kills_the_instance_and_fails_the_invocation() {
    let (mut pool, mut fx) = (pool(1), Fake::default());
    let (a, mut rx) = invocation("a");
    pool.submit(a, &mut fx);
    now(pool.next(1, &mut fx));
    pool.timed_out(1, "a", &mut fx);
    assert!(matches!(rx.try_recv().unwrap(), Err(InvokeError::Timeout(s)) if s == 3.0));
    assert!(fx.killed(1));
    // A late answer of the killed process is refused; the next invocation gets a new process.
    assert!(pool.finish(1, "a", Ok(json!(null))).is_err());
    let (b, _rx) = invocation("b");
    pool.submit(b, &mut fx);
    assert_eq!(fx.spawned, vec![1, 2]);
}

#[test]
fn a_timer_for_a_finished_invocation_does_nothing() {
    let (mut pool, mut fx) = (pool(1), Fake::default());
    let (a, _rx) = invocation("a");
    pool.submit(a, &mut fx);
    now(pool.next(1, &mut fx));
    pool.finish(1, "a", Ok(json!(null))).unwrap();
    pool.timed_out(1, "a", &mut fx);
    assert!(!fx.killed(1));
}

#[test]
fn a_process_exiting_mid_invocation_fails_it() {
    let (mut pool, mut fx) = (pool(1), Fake::default());
    let (a, mut rx) = invocation("a");
    pool.submit(a, &mut fx);
    now(pool.next(1, &mut fx));
    pool.exited(1, "exit status: 101", &mut fx);
    match rx.try_recv().unwrap() {
        Err(InvokeError::Runtime(message)) => {
            assert_eq!(message, "process exited: exit status: 101")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn init_failure_fails_the_queued_invocation_and_kills_the_process() {
    let (mut pool, mut fx) = (pool(1), Fake::default());
    let (a, mut rx) = invocation("a");
    pool.submit(a, &mut fx);
    pool.init_failed(1, "Runtime.InitError: no table".into(), &mut fx);
    assert!(matches!(rx.try_recv().unwrap(), Err(InvokeError::Runtime(m)) if m.contains("no table")));
    assert!(fx.killed(1));
    assert_eq!(pool.stats()["instances"], 0);
}

#[test]
fn a_missing_binary_fails_the_invocation() {
    let (mut pool, mut fx) = (
        pool(1),
        Fake {
            refuse: true,
            ..Fake::default()
        },
    );
    let (a, mut rx) = invocation("a");
    pool.submit(a, &mut fx);
    assert!(matches!(rx.try_recv().unwrap(), Err(InvokeError::Runtime(m)) if m.contains("cargo build")));
}

#[test]
fn a_new_binary_retires_idle_instances_now_and_busy_ones_when_they_finish() {
    let (mut pool, mut fx) = (pool(10), Fake::default());
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
    pool.check_binary(Some(t0));
    let (a, _a) = invocation("a");
    let (b, _b) = invocation("b");
    pool.submit(a, &mut fx);
    pool.submit(b, &mut fx);
    now(pool.next(1, &mut fx));
    now(pool.next(2, &mut fx));
    pool.finish(1, "a", Ok(json!(null))).unwrap();
    let _idle = wait(pool.next(1, &mut fx));

    pool.check_binary(Some(t0 + Duration::from_secs(1)));
    assert!(fx.killed(1), "idle instance retired at once");
    assert!(!fx.killed(2), "busy instance finishes its invocation");
    pool.finish(2, "b", Ok(json!(null))).unwrap();
    assert!(matches!(pool.next(2, &mut fx), Next::Gone));
    assert!(fx.killed(2));

    let (c, _c) = invocation("c");
    pool.submit(c, &mut fx);
    assert_eq!(fx.spawned, vec![1, 2, 3], "the next invocation starts the new binary");
}

#[test]
fn cancelled_invocations_are_dropped_from_the_queue() {
    let (mut pool, mut fx) = (pool(1), Fake::default());
    let (a, _a) = invocation("a");
    pool.submit(a, &mut fx);
    now(pool.next(1, &mut fx));
    let (b, b_rx) = invocation("b");
    pool.submit(b, &mut fx);
    drop(b_rx); // the HTTP client went away
    pool.finish(1, "a", Ok(json!(null))).unwrap();
    assert!(matches!(pool.next(1, &mut fx), Next::Wait(_)));
}

#[test]
fn zero_reserved_concurrency_throttles() {
    let (mut pool, mut fx) = (pool(0), Fake::default());
    let (a, mut rx) = invocation("a");
    pool.submit(a, &mut fx);
    assert!(rx.try_recv().unwrap().is_err());
    assert!(fx.spawned.is_empty());
}

#[test]
fn close_fails_everything_and_kills_every_process() {
    let (mut pool, mut fx) = (pool(1), Fake::default());
    let (a, mut a_rx) = invocation("a");
    let (b, mut b_rx) = invocation("b");
    pool.submit(a, &mut fx);
    now(pool.next(1, &mut fx));
    pool.submit(b, &mut fx);
    pool.close();
    assert!(fx.killed(1));
    assert!(a_rx.try_recv().unwrap().is_err());
    assert!(b_rx.try_recv().unwrap().is_err());
}
