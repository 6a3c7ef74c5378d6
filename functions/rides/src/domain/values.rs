//! Field values of request bodies and query strings.

use andes_shared::validation::plain_text;
use serde_json::Value;

pub use andes_shared::validation::{bounded_text, parse_time};

/// Longest picture URL, in bytes.
pub const PICTURE_MAX_BYTES: usize = 500;

/// A picture is a URL (the seed's image uploads are out of scope).
pub fn picture(value: &Value) -> Result<Option<String>, String> {
    if let Value::String(url) = value {
        plain_text(url)?;
    }
    match value {
        Value::Null => Ok(None),
        Value::String(url) if url.trim().is_empty() => Ok(None),
        Value::String(url)
            if url.len() <= PICTURE_MAX_BYTES && (url.starts_with("https://") || url.starts_with("http://")) =>
        {
            Ok(Some(url.trim().to_string()))
        }
        _ => Err(format!(
            "must be an http(s) URL of at most {PICTURE_MAX_BYTES} characters, or null"
        )),
    }
}

pub fn boolean(value: &Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| "must be true or false".to_string())
}

pub fn integer(value: &Value, min: i64, max: i64) -> Result<i64, String> {
    match value.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer from {min} to {max}")),
    }
}

/// The `version` a client read, sent back with its change.
pub fn version(value: &Value) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| "must be a non-negative integer (the version read)".to_string())
}

/// `true/false/1/0` (any case) in a query string.
pub fn query_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use andes_shared::validation::CONTROL_CHARACTERS;

    #[test]
    fn text_refuses_control_characters_and_bidi_overrides() {
        assert_eq!(bounded_text("  Plaza\nCentral\t ", 1, 20).unwrap(), "Plaza\nCentral");
        for bad in ["nul\0", "bell\u{7}", "trailing\r", "c1\u{85}", "rlo\u{202E}txt"] {
            assert_eq!(bounded_text(bad, 0, 50).unwrap_err(), CONTROL_CHARACTERS, "{bad:?}");
        }
        assert!(picture(&Value::String("https://x.test/a\0.png".into())).is_err());
    }
}
