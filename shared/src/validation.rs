//! Request validation that reports every bad field at once (a 422 lists them all).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::http::FieldError;

/// Whether a character may appear in user text: no NUL or other C0/C1 control except newline
/// and tab, and no bidirectional override or isolate (which make text display other than it
/// reads, e.g. a file name or amount shown reversed).
pub fn is_allowed_text_char(c: char) -> bool {
    let bidi_control = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    (c == '\n' || c == '\t' || !c.is_control()) && !bidi_control
}

/// The message of a text field holding a refused character.
pub const CONTROL_CHARACTERS: &str =
    "may not contain control characters (other than newline and tab) or bidirectional overrides";

/// Checks user text against [`is_allowed_text_char`].
pub fn plain_text(value: &str) -> Result<(), String> {
    if value.chars().all(is_allowed_text_char) {
        Ok(())
    } else {
        Err(CONTROL_CHARACTERS.to_string())
    }
}

/// User text of `min` to `max` characters once trimmed, checked by [`plain_text`] wherever
/// the refused characters are.
pub fn bounded_text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    plain_text(raw)?;
    let text = raw.trim();
    let count = text.chars().count();
    if count < min || count > max {
        return Err(if min == 0 {
            format!("must be at most {max} characters")
        } else {
            format!("must be {min} to {max} characters")
        });
    }
    Ok(text.to_string())
}

/// An RFC 3339 date-time with an offset (surrounding spaces ignored), in UTC.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// Collects the problems of one request body.
#[derive(Debug, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Runs a rule on a value and keeps it only if valid.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.add(field, message)).ok()
    }

    /// Adds a problem if `value` holds a character [`plain_text`] refuses; whether it is clean.
    pub fn plain(&mut self, field: &str, value: &str) -> bool {
        self.check(field, plain_text(value)).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A string field: `None` when absent; an error when present but not a string.
    pub fn text<'a>(&mut self, body: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
        match body.get(field)? {
            Value::String(s) => Some(s),
            _ => {
                self.add(field, "must be a string");
                None
            }
        }
    }

    /// A string field that must be present (and not null).
    pub fn required_text<'a>(&mut self, body: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
        if !body.contains_key(field) || body.get(field) == Some(&Value::Null) {
            self.add(field, "is required");
            return None;
        }
        self.text(body, field)
    }

    /// Every field of `body` not in `allowed` is an error.
    pub fn unknown(&mut self, body: &Map<String, Value>, allowed: &[&str]) {
        for field in body.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.add(field, "is not a known field");
        }
    }

    /// The validated value when nothing was wrong, else every problem.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_refuses_controls_and_bidi_overrides() {
        assert!(plain_text("Olá, ainda disponível?\nObrigado\t!").is_ok());
        for bad in [
            "nul\0",
            "bell\u{7}",
            "cr\r",
            "del\u{7f}",
            "c1\u{85}",
            "rlo\u{202E}gpj.exe",
            "isolate\u{2067}",
        ] {
            assert!(plain_text(bad).is_err(), "{bad:?} should be refused");
        }
        let mut errors = FieldErrors::default();
        assert!(!errors.plain("text", "a\u{0}"));
        assert_eq!(errors.0[0].field, "text");
    }

    #[test]
    fn collects_every_problem() {
        let body = serde_json::json!({"name": 3, "extra": true});
        let body = body.as_object().unwrap();
        let mut errors = FieldErrors::default();
        assert_eq!(errors.text(body, "name"), None);
        assert_eq!(errors.required_text(body, "email"), None);
        errors.unknown(body, &["name", "email"]);
        let fields: Vec<_> = errors.finish(|| ()).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "email", "extra"]);
    }
}
