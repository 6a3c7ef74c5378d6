//! Login lockout: after 5 consecutive failed logins an email refuses logins, the right
//! password too, for 1 min, doubling per further failure up to 15 min; a successful login
//! resets the count.
//!
//! Every attempt is counted *before* its password is checked (and the lock it would earn is set
//! with it), by a write conditional on the count it read: parallel guesses are admitted one at
//! a time, so a burst gets no more checks than a sequence would. A successful login then clears
//! the record. Records are kept per email, whether or not an account has it, so that a lockout
//! never tells which emails are registered.

use serde::{Deserialize, Serialize};

pub const FAILURES_BEFORE_LOCKOUT: u64 = 5;
pub const FIRST_LOCKOUT_SECONDS: i64 = 60;
pub const LONGEST_LOCKOUT_SECONDS: i64 = 15 * 60;
/// A record untouched this long is forgotten (and deleted by TTL on AWS).
pub const FORGOTTEN_AFTER_SECONDS: i64 = 24 * 60 * 60;

/// The login attempts of one email, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempts {
    /// Attempts since the last successful login, counting the ones being checked right now.
    pub failures: u64,
    /// Epoch seconds; logins are refused before it (0: not locked).
    pub locked_until: i64,
    /// Epoch seconds (TTL).
    pub expires_at: i64,
}

/// Whether an attempt may check its password.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Write `next` (conditional on the record read), then check the password.
    Admitted(LoginAttempts),
    Refused {
        retry_after_seconds: u64,
    },
}

/// How long the `failures`-th consecutive failure locks the email.
pub fn lockout_seconds(failures: u64) -> i64 {
    if failures < FAILURES_BEFORE_LOCKOUT {
        return 0;
    }
    let doublings = (failures - FAILURES_BEFORE_LOCKOUT).min(16) as u32;
    (FIRST_LOCKOUT_SECONDS << doublings).min(LONGEST_LOCKOUT_SECONDS)
}

/// The decision on one attempt at `now` (epoch seconds), given the record read.
pub fn admit(current: Option<&LoginAttempts>, now: i64) -> Admission {
    let current = current.filter(|record| record.expires_at > now);
    if let Some(record) = current.filter(|record| record.locked_until > now) {
        return Admission::Refused {
            retry_after_seconds: (record.locked_until - now) as u64,
        };
    }
    let failures = current.map_or(0, |record| record.failures) + 1;
    let locked_until = match lockout_seconds(failures) {
        0 => 0,
        seconds => now + seconds,
    };
    Admission::Admitted(LoginAttempts {
        failures,
        locked_until,
        expires_at: now.max(locked_until) + FORGOTTEN_AFTER_SECONDS,
    })
}

pub fn refused_message(retry_after_seconds: u64) -> String {
    format!("Too many failed logins for this account; try again in {retry_after_seconds} seconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn admitted(current: Option<&LoginAttempts>, now: i64) -> LoginAttempts {
        match admit(current, now) {
            Admission::Admitted(next) => next,
            refused => panic!("expected admission, got {refused:?}"),
        }
    }

    #[test]
    fn lockouts_start_at_the_fifth_failure_and_double_up_to_fifteen_minutes() {
        let seconds: Vec<i64> = (1..=10).map(lockout_seconds).collect();
        assert_eq!(seconds, vec![0, 0, 0, 0, 60, 120, 240, 480, 900, 900]);
        assert_eq!(lockout_seconds(u64::MAX), 900);
    }

    #[test]
    fn four_failures_lock_nothing_and_the_fifth_attempt_locks_as_it_is_checked() {
        let mut record = None;
        for expected in 1..=4 {
            let next = admitted(record.as_ref(), NOW);
            assert_eq!((next.failures, next.locked_until), (expected, 0));
            record = Some(next);
        }
        let fifth = admitted(record.as_ref(), NOW);
        assert_eq!((fifth.failures, fifth.locked_until), (5, NOW + 60));
        assert_eq!(
            admit(Some(&fifth), NOW + 59),
            Admission::Refused { retry_after_seconds: 1 }
        );
        let sixth = admitted(Some(&fifth), NOW + 60);
        assert_eq!((sixth.failures, sixth.locked_until), (6, NOW + 180));
    }

    #[test]
    fn a_record_past_its_expiry_is_forgotten() {
        let old = LoginAttempts {
            failures: 9,
            locked_until: NOW - 10,
            expires_at: NOW - 1,
        };
        assert_eq!(admitted(Some(&old), NOW).failures, 1);
        let next = admitted(None, NOW);
        assert_eq!(next.expires_at, NOW + FORGOTTEN_AFTER_SECONDS);
    }
}
