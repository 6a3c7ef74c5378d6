//! `Idempotency-Key` of `POST /reservations` (§4.3): the header's rule, the fingerprint that
//! tells "the same request" from a different one, and the 422 of a key reused with a different
//! request. The same caller and key within 24 hours replay the first answer.

use andes_shared::http::ApiError;
use chrono::SecondsFormat;
use sha2::{Digest, Sha256};

use super::validation::NewReservation;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const MAX_KEY_LENGTH: usize = 255;
/// How long a key's first answer is replayed (the record's TTL).
pub const REPLAY_HOURS: i64 = 24;
pub const BAD_KEY: &str = "must be 1 to 255 visible ASCII characters";
pub const KEY_REUSED: &str = "Idempotency-Key was used for a different request";

/// The header's value: 1–255 visible ASCII characters (`!` to `~`; no space, no control).
pub fn check_key(raw: &str) -> Result<String, String> {
    let valid = (1..=MAX_KEY_LENGTH).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(raw.to_string())
    } else {
        Err(BAD_KEY.to_string())
    }
}

/// The 422 of a key this caller already used with a different request.
pub fn key_reused() -> ApiError {
    ApiError::invalid(IDEMPOTENCY_KEY, KEY_REUSED)
}

/// The fingerprint of a reservation request (SHA-256, hex): equal for two bodies exactly when the
/// API reads the same request from them (ignored fields, key order and a time's offset do not
/// count; a different venue, instant or people does).
pub fn fingerprint(request: &NewReservation) -> String {
    let canonical = serde_json::json!([
        request.venue,
        request.time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        request.people,
    ]);
    Sha256::digest(canonical.to_string())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::problems;
    use crate::domain::validation::new_reservation;
    use serde_json::{json, Value};

    fn print(body: Value) -> String {
        fingerprint(&new_reservation(&body, None).unwrap())
    }

    fn body() -> Value {
        json!({"venue": "owner-1", "time": "2030-01-06T23:00:00Z", "people": 2})
    }

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        assert_eq!(check_key("a").unwrap(), "a");
        assert!(check_key(&"k".repeat(255)).is_ok());
        for bad in ["", " ", "two words", "tab\t", "é", &"k".repeat(256)] {
            assert_eq!(check_key(bad).unwrap_err(), BAD_KEY, "{bad:?}");
        }
    }

    #[test]
    fn the_same_request_has_the_same_fingerprint() {
        let original = print(body());
        assert_eq!(original.len(), 64);
        let same = json!({"people": 2, "time": "2030-01-06T20:00:00-03:00", "venue": "owner-1", "extra": true});
        assert_eq!(print(same), original);
    }

    #[test]
    fn a_different_request_has_a_different_fingerprint() {
        let original = print(body());
        for (key, value) in [
            ("venue", json!("owner-2")),
            ("time", json!("2030-01-07T00:30:00Z")),
            ("people", json!(3)),
        ] {
            let mut changed = body();
            changed[key] = value;
            assert_ne!(print(changed), original, "{key}");
        }
    }

    #[test]
    fn a_reused_key_is_a_422_naming_the_header() {
        assert_eq!(
            problems(key_reused()),
            [(
                "Idempotency-Key".to_string(),
                "Idempotency-Key was used for a different request".to_string()
            )]
        );
    }
}
