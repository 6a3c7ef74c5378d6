//! The environment of the local stack: what every function gets besides its own variables,
//! and what `.andes/local.env` tells developers and tests (base URL, backend endpoint and
//! credentials, one line per resource, parameters, setup exports).

use std::collections::BTreeMap;
use std::path::Path;

use crate::backend::access::AccessKey;
use crate::template::Stack;

/// Variables every local process talking to the backend needs: its endpoint and region.
pub fn backend_environment(endpoint: &str, region: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AWS_ENDPOINT_URL".to_string(), endpoint.to_string()),
        ("AWS_REGION".to_string(), region.to_string()),
        ("AWS_DEFAULT_REGION".to_string(), region.to_string()),
    ])
}

/// A key as the SDKs read it from the environment.
pub fn credentials(key: &AccessKey) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("AWS_ACCESS_KEY_ID".to_string(), key.id.clone()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), key.secret.clone()),
    ])
}

/// One variable per resource and parameter, named after its logical id in SCREAMING_SNAKE_CASE:
/// tables and buckets by name (`IDENTITY_TABLE`), queues by URL (`NOTIFICATIONS_QUEUE_URL`),
/// parameters by value (`JWT_SECRET`).
pub fn stack_environment(stack: &Stack) -> BTreeMap<String, String> {
    let mut variables = BTreeMap::new();
    for table in &stack.tables {
        variables.insert(screaming_snake(&table.logical_id), table.name.clone());
    }
    for bucket in &stack.buckets {
        variables.insert(screaming_snake(&bucket.logical_id), bucket.name.clone());
    }
    for queue in &stack.queues {
        variables.insert(format!("{}_URL", screaming_snake(&queue.logical_id)), queue.url.clone());
    }
    for (name, parameter) in &stack.parameters {
        variables.insert(screaming_snake(name), parameter.value.clone());
    }
    variables
}

/// `NotificationsDeadLetterQueue` → `NOTIFICATIONS_DEAD_LETTER_QUEUE`, `S3EventsDLQ` → `S3_EVENTS_DLQ`.
pub fn screaming_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Writes `KEY=VALUE` lines (sorted, one per variable) with a header, readable by `source`.
pub fn write(path: &Path, variables: &BTreeMap<String, String>) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut text =
        String::from("# Written by `andes-local up`: the local stack's endpoints, names and demo credentials.\n");
    for (key, value) in variables {
        text.push_str(&format!("{key}={}\n", shell_quote(value)));
    }
    std::fs::write(path, text)
}

/// Quotes a value for `source` only when it needs it, so the file stays plain `KEY=VALUE`.
fn shell_quote(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:@+=,%".contains(c));
    if plain && !value.is_empty() {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_logical_ids() {
        assert_eq!(screaming_snake("IdentityTable"), "IDENTITY_TABLE");
        assert_eq!(
            screaming_snake("NotificationsDeadLetterQueue"),
            "NOTIFICATIONS_DEAD_LETTER_QUEUE"
        );
        assert_eq!(screaming_snake("JwtSecret"), "JWT_SECRET");
        assert_eq!(screaming_snake("S3EventsDLQ"), "S3_EVENTS_DLQ");
        assert_eq!(screaming_snake("DLQArchive"), "DLQ_ARCHIVE");
    }

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(shell_quote("http://127.0.0.1:5000/1/q"), "http://127.0.0.1:5000/1/q");
        assert_eq!(shell_quote("Andes Admin"), "'Andes Admin'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
