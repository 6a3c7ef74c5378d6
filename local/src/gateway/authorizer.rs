//! The Lambda REQUEST authorizer (payload 2.0) as API Gateway runs it before a route: identity
//! sources first (missing → 401 without calling it), then its answer (`false` → 403, anything
//! unusable → 500), optionally cached by identity source values.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::template::Authorizer;

/// What API Gateway does with the request after the authorizer step.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Run the route with this `requestContext.authorizer.lambda`.
    Allow(Map<String, Value>),
    /// 403 `Forbidden`.
    Deny,
}

/// The identity source values in declaration order (headers, then query strings), or `None`
/// when one is missing or empty: API Gateway then answers 401 on its own.
pub fn identity_sources(
    authorizer: &Authorizer,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Option<Vec<String>> {
    let from_headers = authorizer.identity_headers.iter().map(|name| {
        let values: Vec<String> = headers
            .get_all(name.as_str())
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        values.join(",")
    });
    let from_query = authorizer
        .identity_query_strings
        .iter()
        .map(|name| query.get(name).cloned().unwrap_or_default());
    from_headers
        .chain(from_query)
        .map(|value| (!value.is_empty()).then_some(value))
        .collect()
}

/// Reads the authorizer's answer: a simple response (`{isAuthorized, context}`) or, without
/// simple responses, an IAM policy. `None` for anything API Gateway would reject (→ 500).
pub fn decision(authorizer: &Authorizer, answer: &Value) -> Option<Decision> {
    let context = match answer.get("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(context)) => context.clone(),
        Some(_) => return None,
    };
    let allowed = if authorizer.simple_responses {
        answer.get("isAuthorized")?.as_bool()?
    } else {
        policy_allows(answer.get("policyDocument")?)?
    };
    Some(if allowed {
        Decision::Allow(context)
    } else {
        Decision::Deny
    })
}

/// An IAM policy allows when some statement allows and none denies.
fn policy_allows(policy: &Value) -> Option<bool> {
    let statements = match policy.get("Statement")? {
        Value::Array(statements) => statements.clone(),
        single => vec![single.clone()],
    };
    let effects: Vec<&str> = statements.iter().filter_map(|s| s.get("Effect")?.as_str()).collect();
    Some(effects.contains(&"Allow") && !effects.contains(&"Deny"))
}

/// Decisions per (API, authorizer, identity source values) for `cache_ttl`; only used when the
/// authorizer has identity sources and a TTL, as on API Gateway.
#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<CacheKey, (Instant, Decision)>>,
}

/// API, authorizer name, identity source values.
type CacheKey = (String, String, Vec<String>);

impl Cache {
    pub fn get(&self, api: &str, authorizer: &Authorizer, identity: &[String]) -> Option<Decision> {
        if !cacheable(authorizer, identity) {
            return None;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let key = (api.to_string(), authorizer.name.clone(), identity.to_vec());
        match entries.get(&key) {
            Some((expires, decision)) if *expires > Instant::now() => Some(decision.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, api: &str, authorizer: &Authorizer, identity: &[String], decision: &Decision) {
        if !cacheable(authorizer, identity) {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let expires = Instant::now() + authorizer.cache_ttl;
        entries.insert(
            (api.to_string(), authorizer.name.clone(), identity.to_vec()),
            (expires, decision.clone()),
        );
    }
}

fn cacheable(authorizer: &Authorizer, identity: &[String]) -> bool {
    authorizer.cache_ttl > Duration::ZERO && !identity.is_empty()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn authorizer(headers: &[&str], query: &[&str], ttl: u64) -> Authorizer {
        Authorizer {
            name: "Required".into(),
            function: "IdentityAuthorizerFunction".into(),
            identity_headers: headers.iter().map(|s| s.to_string()).collect(),
            identity_query_strings: query.iter().map(|s| s.to_string()).collect(),
            simple_responses: true,
            cache_ttl: Duration::from_secs(ttl),
        }
    }

    #[test]
    fn a_missing_or_empty_identity_source_is_a_401() {
        let required = authorizer(&["Authorization"], &[], 0);
        let mut headers = HeaderMap::new();
        let query = HashMap::new();
        assert_eq!(identity_sources(&required, &headers, &query), None);
        headers.insert("authorization", "".parse().unwrap());
        assert_eq!(identity_sources(&required, &headers, &query), None);
        headers.insert("authorization", "Bearer t".parse().unwrap());
        assert_eq!(
            identity_sources(&required, &headers, &query),
            Some(vec!["Bearer t".to_string()])
        );

        let with_query = authorizer(&["Authorization"], &["key"], 0);
        assert_eq!(identity_sources(&with_query, &headers, &query), None);
        let query = HashMap::from([("key".to_string(), "k1".to_string())]);
        assert_eq!(
            identity_sources(&with_query, &headers, &query),
            Some(vec!["Bearer t".into(), "k1".into()])
        );

        let optional = authorizer(&[], &[], 0);
        assert_eq!(
            identity_sources(&optional, &HeaderMap::new(), &HashMap::new()),
            Some(vec![])
        );
    }

    #[test]
    fn simple_responses_decide_and_carry_the_context() {
        let a = authorizer(&[], &[], 0);
        let allow = decision(&a, &json!({"isAuthorized": true, "context": {"userId": "u1", "n": 2}}));
        assert_eq!(
            allow,
            Some(Decision::Allow(
                json!({"userId": "u1", "n": 2}).as_object().unwrap().clone()
            ))
        );
        assert_eq!(decision(&a, &json!({"isAuthorized": false})), Some(Decision::Deny));
        assert_eq!(decision(&a, &json!({"isAuthorized": "yes"})), None, "malformed → 500");
        assert_eq!(decision(&a, &json!({"context": {}})), None);
        assert_eq!(decision(&a, &json!("true")), None);
    }

    #[test]
    fn iam_policies_when_simple_responses_are_off() {
        let a = Authorizer {
            simple_responses: false,
            ..authorizer(&[], &[], 0)
        };
        let policy = |effect: &str| {
            json!({"principalId": "u", "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": "*"}]}})
        };
        assert!(matches!(decision(&a, &policy("Allow")), Some(Decision::Allow(_))));
        assert_eq!(decision(&a, &policy("Deny")), Some(Decision::Deny));
        assert_eq!(decision(&a, &json!({"isAuthorized": true})), None);
    }

    #[test]
    fn caching_only_with_a_ttl_and_identity_sources() {
        let cache = Cache::default();
        let identity = vec!["Bearer t".to_string()];
        let off = authorizer(&["Authorization"], &[], 0);
        cache.put("Api", &off, &identity, &Decision::Deny);
        assert_eq!(cache.get("Api", &off, &identity), None);

        let on = authorizer(&["Authorization"], &[], 300);
        cache.put("Api", &on, &identity, &Decision::Deny);
        assert_eq!(cache.get("Api", &on, &identity), Some(Decision::Deny));
        assert_eq!(cache.get("Api", &on, &["Bearer other".to_string()]), None);
        assert_eq!(cache.get("OtherApi", &on, &identity), None);
    }
}
