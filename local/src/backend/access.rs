//! Who may call the local backend: an access key per function, the platform's own
//! unrestricted key (tests, admin commands, loaders and the platform itself sign with it), and
//! anonymous callers where a bucket policy of the template lets everyone in.

use std::collections::HashMap;

use serde_json::Value;

use super::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The platform's own key: everything is allowed.
    Admin,
    /// A function of the stack, by logical id.
    Function(String),
    /// An unsigned request, let in by a bucket policy.
    Anonymous,
}

impl Principal {
    /// The caller as `/_andes/calls` names it.
    pub fn label(&self) -> &str {
        match self {
            Principal::Admin => "platform",
            Principal::Function(id) => id,
            Principal::Anonymous => "anonymous",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

/// The keys the backend knows and the bucket policies it applies to anonymous requests.
#[derive(Debug, Clone, Default)]
pub struct Access {
    secrets: HashMap<String, (String, Principal)>,
    functions: HashMap<String, AccessKey>,
    /// `(bucket name, PolicyDocument)`.
    bucket_policies: Vec<(String, Value)>,
}

impl Access {
    /// Only the platform's own key.
    pub fn admin_only() -> Access {
        let mut access = Access::default();
        access.secrets.insert(
            ACCESS_KEY_ID.to_string(),
            (SECRET_ACCESS_KEY.to_string(), Principal::Admin),
        );
        access
    }

    /// The platform's key, a fresh random key for each of `functions` (logical ids), and the
    /// stack's bucket policies.
    pub fn for_stack<'a>(
        functions: impl IntoIterator<Item = &'a str>,
        bucket_policies: Vec<(String, Value)>,
    ) -> Access {
        let mut access = Access::admin_only();
        for function in functions {
            let key = AccessKey {
                id: format!(
                    "ASIA{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase()
                ),
                secret: format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()),
            };
            access.secrets.insert(
                key.id.clone(),
                (key.secret.clone(), Principal::Function(function.to_string())),
            );
            access.functions.insert(function.to_string(), key);
        }
        access.bucket_policies = bucket_policies;
        access
    }

    /// The key a function's process signs with.
    pub fn function_key(&self, function: &str) -> Option<&AccessKey> {
        self.functions.get(function)
    }

    /// The secret of `access_key_id` and whose key it is.
    pub fn secret(&self, access_key_id: &str) -> Option<(&str, &Principal)> {
        self.secrets
            .get(access_key_id)
            .map(|(secret, principal)| (secret.as_str(), principal))
    }

    /// Whether a bucket policy lets anyone make this S3 request (`method` on `/bucket/key`):
    /// an `Allow` to `Principal: "*"` of the action on the object, and no `Deny` of it. Only a
    /// plain read of an object (no sub-resource such as `?acl` or `?tagging` in `query`); a
    /// statement with a `Condition` or a `Not*` element, which this does not evaluate, counts
    /// as a `Deny`.
    pub fn allows_anonymous(&self, method: &str, path: &str, query: &str) -> bool {
        if !query
            .split('&')
            .all(|pair| pair.is_empty() || pair.starts_with("versionId="))
        {
            return false;
        }
        let path = percent_encoding::percent_decode_str(path.trim_start_matches('/')).decode_utf8_lossy();
        let Some((bucket, key)) = path.split_once('/') else {
            return false;
        };
        let action = match method {
            "GET" | "HEAD" => "s3:GetObject",
            _ => return false,
        };
        let resource = format!("arn:aws:s3:::{bucket}/{key}");
        let statements: Vec<&Value> = self
            .bucket_policies
            .iter()
            .filter(|(name, _)| name == bucket)
            .flat_map(|(_, policy)| statements(policy))
            .filter(|statement| {
                // A `Not*` element may name this request by leaving it out: the statement counts.
                let applies = |field: &str, value: &str| {
                    names(statement, field, value) || !statement[format!("Not{field}")].is_null()
                };
                (everyone(statement) || !statement["NotPrincipal"].is_null())
                    && applies("Action", action)
                    && applies("Resource", &resource)
            })
            .collect();
        let unevaluated = |statement: &&Value| {
            ["Condition", "NotPrincipal", "NotAction", "NotResource"]
                .iter()
                .any(|element| !statement[*element].is_null())
        };
        let denied = statements.iter().any(|s| s["Effect"] == "Deny" || unevaluated(s));
        statements.iter().any(|s| s["Effect"] == "Allow") && !denied
    }
}

fn statements(policy: &Value) -> Vec<&Value> {
    match &policy["Statement"] {
        Value::Array(statements) => statements.iter().collect(),
        statement @ Value::Object(_) => vec![statement],
        _ => Vec::new(),
    }
}

fn everyone(statement: &Value) -> bool {
    statement["Principal"] == "*" || statement["Principal"]["AWS"] == "*"
}

/// Whether the statement's `field` (a string or a list of them, with `*` and `?` wildcards)
/// names `value`.
fn names(statement: &Value, field: &str, value: &str) -> bool {
    match &statement[field] {
        Value::String(pattern) => wildcard_match(pattern, value),
        Value::Array(patterns) => patterns
            .iter()
            .filter_map(Value::as_str)
            .any(|pattern| wildcard_match(pattern, value)),
        _ => false,
    }
}

/// IAM's matching: `*` any run of characters, `?` any one; actions compare without case.
fn wildcard_match(pattern: &str, value: &str) -> bool {
    fn matches(pattern: &[u8], value: &[u8]) -> bool {
        match pattern.split_first() {
            None => value.is_empty(),
            Some((b'*', rest)) => (0..=value.len()).any(|skip| matches(rest, &value[skip..])),
            Some((b'?', rest)) => !value.is_empty() && matches(rest, &value[1..]),
            Some((c, rest)) => value.first() == Some(c) && matches(rest, &value[1..]),
        }
    }
    let (pattern, value) = if pattern.contains(":::") || pattern.starts_with("arn:") {
        (pattern.to_string(), value.to_string())
    } else {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    };
    matches(pattern.as_bytes(), value.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn public_photos() -> Access {
        Access::for_stack(
            ["Publisher"],
            vec![(
                "images".to_string(),
                json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                      "Resource": "arn:aws:s3:::images/ads/*"}]}),
            )],
        )
    }

    #[test]
    fn a_public_read_policy_lets_anyone_get_only_what_it_names() {
        let access = public_photos();
        assert!(access.allows_anonymous("GET", "/images/ads/ad-1/photo%201.jpg", ""));
        assert!(access.allows_anonymous("HEAD", "/images/ads/ad-1/photo.jpg", ""));
        assert!(access.allows_anonymous("GET", "/images/ads/ad-1/photo.jpg", "versionId=3"));
        assert!(!access.allows_anonymous("GET", "/images/ads/ad-1/photo.jpg", "acl"));
        assert!(!access.allows_anonymous("GET", "/images/ads/ad-1/photo.jpg", "tagging="));
        assert!(!access.allows_anonymous("PUT", "/images/ads/ad-1/photo.jpg", ""));
        assert!(!access.allows_anonymous("GET", "/images/drafts/ad-1/photo.jpg", ""));
        assert!(!access.allows_anonymous("GET", "/uploads/ads/ad-1/photo.jpg", ""));
        assert!(!access.allows_anonymous("GET", "/images", ""));
    }

    #[test]
    fn an_explicit_deny_wins() {
        let mut access = public_photos();
        access.bucket_policies.push((
            "images".to_string(),
            json!({"Statement": {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:Get*"],
                                 "Resource": "arn:aws:s3:::images/ads/secret/*"}}),
        ));
        assert!(access.allows_anonymous("GET", "/images/ads/public.jpg", ""));
        assert!(!access.allows_anonymous("GET", "/images/ads/secret/x.jpg", ""));
    }

    #[test]
    fn a_statement_this_cannot_evaluate_closes_the_door() {
        let mut access = public_photos();
        access.bucket_policies.push((
            "images".to_string(),
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                  "Resource": "arn:aws:s3:::images/*",
                                  "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}),
        ));
        assert!(!access.allows_anonymous("GET", "/images/ads/public.jpg", ""));
    }

    #[test]
    fn every_function_has_its_own_key_and_the_platform_its_unrestricted_one() {
        let access = Access::for_stack(["A", "B"], Vec::new());
        let (a, b) = (access.function_key("A").unwrap(), access.function_key("B").unwrap());
        assert_ne!(a.id, b.id);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.id.len(), 20);
        assert_eq!(
            access.secret(&a.id),
            Some((a.secret.as_str(), &Principal::Function("A".into())))
        );
        assert_eq!(
            access.secret(ACCESS_KEY_ID),
            Some((SECRET_ACCESS_KEY, &Principal::Admin))
        );
        assert_eq!(access.secret("AKIAUNKNOWN"), None);
        assert!(access.function_key("C").is_none());
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:getobject", "s3:GetObject"));
        assert!(wildcard_match("dynamodb:*", "dynamodb:PutItem"));
        assert!(wildcard_match("arn:aws:s3:::b/a?/*", "arn:aws:s3:::b/ab/c/d"));
        assert!(!wildcard_match("arn:aws:s3:::b/a?/*", "arn:aws:s3:::B/ab/c"));
        assert!(!wildcard_match("s3:Put*", "s3:GetObject"));
    }
}
