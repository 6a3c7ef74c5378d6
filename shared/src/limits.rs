//! Abuse limits that hold across Lambda instances: fixed-window counters in DynamoDB, one
//! atomic `ADD` per attempt. The window is part of the key, so a counter is never read as
//! current after its window ends, whether or not TTL has deleted it yet (AWS deletes expired
//! items lazily, and the local backend not at all); `expires_at` lets AWS clean them up.
//!
//! A service's table needs `TimeToLiveSpecification` on `expires_at` in `template.yaml`.

use std::net::IpAddr;

use lambda_http::Request;

use crate::dynamo::{key, number, Change, Table};
use crate::http::{self, ApiError};

/// The TTL attribute of every table that holds limit counters.
pub const EXPIRES_AT: &str = "expires_at";

/// At most `max` attempts per `subject` (an address, an email, ...) in each window.
#[derive(Debug, Clone)]
pub struct Limit {
    /// Names the counter in its key (`LIMIT#{name}#{subject}`); unique per table.
    pub name: &'static str,
    pub max: u64,
    pub window_seconds: u64,
    /// The `detail` of the 429 answer: what happened and what to do.
    pub message: &'static str,
}

/// The subject of a per-address limit for this request: its source address, an IPv6 one by its
/// /64 prefix (one subscriber's usual allocation, which it can spread requests over).
pub fn client_address(request: &Request) -> String {
    address_subject(&http::source_ip(request))
}

fn address_subject(source_ip: &str) -> String {
    match source_ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => "unknown".to_string(),
    }
}

/// The fixed window `now` falls in: its start and end (epoch seconds).
pub fn window(now: i64, window_seconds: u64) -> (i64, i64) {
    let length = window_seconds.max(1) as i64;
    let start = now.div_euclid(length) * length;
    (start, start + length)
}

impl Limit {
    /// Counts one attempt by `subject` now; a 429 problem with `Retry-After` (the rest of the
    /// window) once more than `max` were counted in this window. Refused attempts count too:
    /// hammering does not shorten the wait.
    pub async fn hit(&self, table: &Table, subject: &str) -> Result<(), ApiError> {
        let now = chrono::Utc::now().timestamp();
        let (start, end) = window(now, self.window_seconds);
        let change = Change::new(key(format!("LIMIT#{}#{subject}", self.name), start.to_string()))
            .add("attempts", 1)
            .set(EXPIRES_AT, number(end));
        let item = table
            .update(change)
            .await?
            .ok_or_else(|| ApiError::internal("an unconditional update returned no item"))?;
        let attempts: u64 = item
            .get("attempts")
            .and_then(|value| value.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ApiError::internal("limit counter without a numeric `attempts`"))?;
        self.check(attempts, now, end)
    }

    /// The verdict on the `attempts`-th attempt of a window that ends at `end`.
    pub fn check(&self, attempts: u64, now: i64, end: i64) -> Result<(), ApiError> {
        if attempts <= self.max {
            return Ok(());
        }
        Err(ApiError::TooManyRequests {
            detail: self.message.to_string(),
            retry_after_seconds: (end - now).max(1) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNUPS: Limit = Limit {
        name: "signup-ip",
        max: 10,
        window_seconds: 3600,
        message: "too many signups from this address; try again later",
    };

    #[test]
    fn addresses_are_counted_by_ipv4_address_or_ipv6_slash_64() {
        assert_eq!(address_subject("203.0.113.9"), "203.0.113.9");
        assert_eq!(address_subject("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(address_subject("2001:db8:1:2:ffff::9"), "2001:db8:1:2::/64");
        assert_eq!(address_subject("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(address_subject(""), "unknown");
    }

    #[test]
    fn windows_are_aligned_and_contain_now() {
        assert_eq!(window(7_205, 3600), (7_200, 10_800));
        assert_eq!(window(7_200, 3600), (7_200, 10_800));
        assert_eq!(window(7_199, 3600), (3_600, 7_200));
        assert_eq!(window(59, 60), (0, 60));
    }

    #[test]
    fn the_attempt_past_the_maximum_is_refused_until_the_window_ends() {
        assert!(SIGNUPS.check(1, 7_205, 10_800).is_ok());
        assert!(SIGNUPS.check(10, 7_205, 10_800).is_ok());
        match SIGNUPS.check(11, 7_205, 10_800) {
            Err(ApiError::TooManyRequests {
                detail,
                retry_after_seconds,
            }) => {
                assert_eq!(retry_after_seconds, 3_595);
                assert!(detail.contains("try again"));
            }
            other => panic!("expected 429, got {other:?}"),
        }
        let Err(ApiError::TooManyRequests {
            retry_after_seconds, ..
        }) = SIGNUPS.check(99, 10_800, 10_800)
        else {
            panic!("refused")
        };
        assert_eq!(retry_after_seconds, 1, "never a zero Retry-After");
    }
}
