//! Login lockout: after 5 consecutive failed logins an email refuses logins, the right
//! password too, for 1 min, doubling per further failure up to 15 min; a successful login
//! resets the count. `PATCH /identity/me` counts its `current_password` checks the same way.
//!
//! A password is checked only after its attempt was *admitted* by a write conditional on the
//! record read: an email has at most as many checks in flight as failures it may still make
//! before a lockout (at least one), so parallel guesses get no more checks than a sequence
//! would. Each check then *resolves*: a failure counts (and locks at the fifth), a success resets
//! the count. Correct logins in parallel are never read as failures: past the in-flight bound
//! they are asked to try again in a second. Records are kept per email, whether or not an
//! account has it, so a lockout never tells which emails are registered.

use serde::{Deserialize, Serialize};

pub const FAILURES_BEFORE_LOCKOUT: u64 = 5;
pub const FIRST_LOCKOUT_SECONDS: i64 = 60;
pub const LONGEST_LOCKOUT_SECONDS: i64 = 15 * 60;
/// An admitted check not resolved within this time (its function timed out) no longer counts.
pub const CHECK_TIMEOUT_SECONDS: i64 = 30;
/// A record untouched this long is forgotten (and deleted by TTL on AWS).
pub const FORGOTTEN_AFTER_SECONDS: i64 = 24 * 60 * 60;

/// The login attempts of one email, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempts {
    /// Consecutive failed checks since the last success.
    pub failures: u64,
    /// Admitted checks not resolved yet.
    pub in_flight: u64,
    /// Epoch seconds of the last admission (in-flight checks older than the timeout lapse).
    pub admitted_at: i64,
    /// Epoch seconds; logins are refused before it (0: not locked).
    pub locked_until: i64,
    /// Bumped by every write; writes are conditional on the value read.
    pub revision: u64,
    /// Epoch seconds (TTL).
    pub expires_at: i64,
}

/// Whether an attempt may check its password.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Write this record (conditional on the one read), then check the password.
    Admitted(LoginAttempts),
    /// The email is locked out.
    Locked { retry_after_seconds: u64 },
    /// As many checks as failures still allowed are in flight: try again in a moment.
    Busy,
}

/// How long the `failures`-th consecutive failure locks the email.
pub fn lockout_seconds(failures: u64) -> i64 {
    if failures < FAILURES_BEFORE_LOCKOUT {
        return 0;
    }
    let doublings = (failures - FAILURES_BEFORE_LOCKOUT).min(16) as u32;
    (FIRST_LOCKOUT_SECONDS << doublings).min(LONGEST_LOCKOUT_SECONDS)
}

/// The record as it stands at `now`: forgotten when expired, lapsed checks dropped.
fn current(read: Option<&LoginAttempts>, now: i64) -> LoginAttempts {
    let mut record = read.filter(|r| r.expires_at > now).cloned().unwrap_or_default();
    if now - record.admitted_at > CHECK_TIMEOUT_SECONDS {
        record.in_flight = 0;
    }
    record.revision = read.map_or(0, |r| r.revision);
    record
}

fn touched(mut record: LoginAttempts, now: i64) -> LoginAttempts {
    record.revision += 1;
    record.expires_at = now.max(record.locked_until) + FORGOTTEN_AFTER_SECONDS;
    record
}

/// The decision on one attempt at `now` (epoch seconds), given the record read.
pub fn admit(read: Option<&LoginAttempts>, now: i64) -> Admission {
    let record = current(read, now);
    if record.locked_until > now {
        return Admission::Locked {
            retry_after_seconds: (record.locked_until - now) as u64,
        };
    }
    let allowed = FAILURES_BEFORE_LOCKOUT.saturating_sub(record.failures).max(1);
    if record.in_flight >= allowed {
        return Admission::Busy;
    }
    Admission::Admitted(touched(
        LoginAttempts {
            in_flight: record.in_flight + 1,
            admitted_at: now,
            ..record
        },
        now,
    ))
}

/// How an admitted check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    /// The check did not happen (a failure of ours, not a wrong password): it counts for nothing.
    Abandoned,
}

/// The record after an admitted check ended; `None`: delete the record (nothing left to
/// remember).
pub fn resolve(read: Option<&LoginAttempts>, outcome: Outcome, now: i64) -> Option<LoginAttempts> {
    let mut record = current(read, now);
    record.in_flight = record.in_flight.saturating_sub(1);
    match outcome {
        Outcome::Succeeded => {
            record.failures = 0;
            record.locked_until = 0;
        }
        Outcome::Failed => {
            record.failures += 1;
            if let seconds @ 1.. = lockout_seconds(record.failures) {
                record.locked_until = record.locked_until.max(now + seconds);
            }
        }
        Outcome::Abandoned => {}
    }
    if record.in_flight == 0 && record.failures == 0 && record.locked_until <= now {
        return None;
    }
    Some(touched(record, now))
}

pub fn locked_message(retry_after_seconds: u64) -> String {
    format!("Too many failed logins for this account; try again in {retry_after_seconds} seconds")
}

pub const BUSY_MESSAGE: &str = "Other logins to this account are being checked; try again in a second";

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn admitted(read: Option<&LoginAttempts>, now: i64) -> LoginAttempts {
        match admit(read, now) {
            Admission::Admitted(next) => next,
            other => panic!("expected admission, got {other:?}"),
        }
    }

    fn fail(read: Option<LoginAttempts>, now: i64) -> LoginAttempts {
        let admitted = admitted(read.as_ref(), now);
        resolve(Some(&admitted), Outcome::Failed, now).expect("a failure keeps the record")
    }

    #[test]
    fn lockouts_start_at_the_fifth_failure_and_double_up_to_fifteen_minutes() {
        let seconds: Vec<i64> = (1..=10).map(lockout_seconds).collect();
        assert_eq!(seconds, vec![0, 0, 0, 0, 60, 120, 240, 480, 900, 900]);
        assert_eq!(lockout_seconds(u64::MAX), 900);
    }

    #[test]
    fn the_fifth_failure_locks_and_the_right_password_is_refused_until_it_ends() {
        let mut record = None;
        for expected in 1..=4 {
            let next = fail(record, NOW);
            assert_eq!((next.failures, next.locked_until), (expected, 0));
            record = Some(next);
        }
        let fifth = fail(record, NOW);
        assert_eq!((fifth.failures, fifth.locked_until, fifth.in_flight), (5, NOW + 60, 0));
        assert_eq!(
            admit(Some(&fifth), NOW + 59),
            Admission::Locked { retry_after_seconds: 1 }
        );
        // After the lockout one more check is admitted; its failure locks for 2 min.
        let sixth = fail(Some(fifth), NOW + 60);
        assert_eq!((sixth.failures, sixth.locked_until), (6, NOW + 180));
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut record = None;
        for _ in 0..4 {
            record = Some(fail(record, NOW));
        }
        let checking = admitted(record.as_ref(), NOW);
        assert_eq!(
            resolve(Some(&checking), Outcome::Succeeded, NOW),
            None,
            "nothing else in flight: deleted"
        );
        let abandoned = resolve(Some(&checking), Outcome::Abandoned, NOW).unwrap();
        assert_eq!(
            (abandoned.failures, abandoned.in_flight),
            (4, 0),
            "an abandoned check counts for nothing"
        );
    }

    #[test]
    fn parallel_checks_are_bounded_by_the_failures_still_allowed() {
        let mut record: Option<LoginAttempts> = None;
        for _ in 0..5 {
            record = Some(admitted(record.as_ref(), NOW));
        }
        assert_eq!(admit(record.as_ref(), NOW), Admission::Busy, "five in flight");
        // Three failed already: two checks at a time.
        let three = (0..3).fold(None, |r, _| Some(fail(r, NOW)));
        let one = admitted(three.as_ref(), NOW);
        let two = admitted(Some(&one), NOW);
        assert_eq!(admit(Some(&two), NOW), Admission::Busy);
        // Past a lockout, one at a time.
        let locked = (0..5).fold(None, |r, _| Some(fail(r, NOW))).unwrap();
        let after = admitted(Some(&locked), NOW + 60);
        assert_eq!(admit(Some(&after), NOW + 60), Admission::Busy);
    }

    #[test]
    fn correct_logins_in_parallel_never_lock_and_leave_the_count_at_zero() {
        let mut record: Option<LoginAttempts> = None;
        for _ in 0..5 {
            record = Some(admitted(record.as_ref(), NOW));
        }
        for remaining in (0..5).rev() {
            record = resolve(record.as_ref(), Outcome::Succeeded, NOW);
            match &record {
                Some(r) => assert_eq!((r.failures, r.in_flight, r.locked_until), (0, remaining, 0)),
                None => assert_eq!(remaining, 0),
            }
        }
    }

    #[test]
    fn lapsed_checks_and_old_records_are_forgotten() {
        let stuck = (0..5).fold(None, |r: Option<LoginAttempts>, _| Some(admitted(r.as_ref(), NOW)));
        assert_eq!(admit(stuck.as_ref(), NOW + CHECK_TIMEOUT_SECONDS), Admission::Busy);
        let later = admitted(stuck.as_ref(), NOW + CHECK_TIMEOUT_SECONDS + 1);
        assert_eq!(later.in_flight, 1);

        let old = LoginAttempts {
            failures: 9,
            locked_until: NOW - 10,
            expires_at: NOW - 1,
            revision: 7,
            ..LoginAttempts::default()
        };
        let fresh = admitted(Some(&old), NOW);
        assert_eq!(
            (fresh.failures, fresh.revision),
            (0, 8),
            "forgotten, but written over the old revision"
        );
        assert_eq!(fresh.expires_at, NOW + FORGOTTEN_AFTER_SECONDS);
    }
}
