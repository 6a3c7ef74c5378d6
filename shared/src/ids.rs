//! Identifiers and timestamps: UUIDv7 ids, RFC 3339 UTC times.

use chrono::{DateTime, SecondsFormat, Utc};

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A time as RFC 3339 UTC with millisecond precision (`2026-01-02T03:04:05.678Z`).
pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn now_rfc3339() -> String {
    rfc3339(Utc::now())
}
