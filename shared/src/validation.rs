//! Request validation that reports every bad field at once (a 422 lists them all).

use serde_json::{Map, Value};

use crate::http::FieldError;

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
