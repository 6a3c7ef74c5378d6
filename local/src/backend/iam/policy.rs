//! IAM policy statements and how one applies to a request: actions and resources with IAM's
//! wildcards, `Not*` elements, principals of resource policies, and the condition operators a
//! local stack needs. What this cannot evaluate never lets a request in: an `Allow` with an
//! unknown condition operator or key does not apply, a `Deny` with one does.

use std::collections::BTreeMap;

use serde_json::Value;

/// One request to authorise: an IAM action on a resource, with the condition keys it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// `dynamodb:PutItem`, `s3:GetObject`, `sqs:SendMessage` ...
    pub action: String,
    /// The resource's ARN.
    pub resource: String,
    /// Condition keys (lower case) and their values; a key the request leaves out is absent,
    /// one whose values could not be read is `None` (conditions on it cannot be evaluated).
    pub context: BTreeMap<String, Option<Vec<String>>>,
}

impl Authorization {
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Authorization {
        Authorization {
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::new(),
        }
    }

    /// The request carries `key` with `values` (`None`: it does, but they could not be read).
    pub fn with_all(mut self, key: &str, values: Option<Vec<String>>) -> Authorization {
        self.context.insert(key.to_ascii_lowercase(), values);
        self
    }

    /// The request carries `key` with one value.
    pub fn with_values(self, key: &str, value: Option<String>) -> Authorization {
        self.with_all(key, value.map(|value| vec![value]))
    }
}

/// The condition keys this evaluates; any other key in a policy makes its statement unevaluable.
const EVALUATED_KEYS: &[&str] = &["dynamodb:leadingkeys", "aws:securetransport"];

/// Keys every request carries: calls to AWS travel over TLS (locally they do not, but the
/// usual "deny without TLS" bucket policy must not shut out every local call).
const GLOBAL_KEYS: &[(&str, &str)] = &[("aws:securetransport", "true")];

/// Who makes a request, as a resource policy's `Principal` names callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller<'a> {
    Anonymous,
    Role {
        /// `arn:aws:iam::<account>:role/<name>`.
        arn: &'a str,
        /// `arn:aws:sts::<account>:assumed-role/<name>/<session>`.
        session: &'a str,
        account: &'a str,
    },
}

impl Caller<'_> {
    /// Whether a `Principal` entry names this caller. An account (its id or root) names every
    /// role in it only to deny: to allow, it hands the decision to the role's own policies.
    fn named_by(&self, principal: &str, effect: Effect) -> bool {
        match *self {
            _ if principal == "*" => true,
            Caller::Anonymous => false,
            Caller::Role { arn, session, account } => {
                principal == arn
                    || principal == session
                    || (effect == Effect::Deny
                        && (principal == account || principal == format!("arn:aws:iam::{account}:root")))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action`/`Resource`/`Principal`, or their `Not*` forms.
#[derive(Debug, Clone, PartialEq)]
enum Names {
    Only(Vec<String>),
    AllBut(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub effect: Effect,
    actions: Names,
    resources: Names,
    /// Resource policies only: who the statement is about (`"*"` or ARNs).
    principals: Option<Names>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    operator: String,
    key: String,
    values: Vec<String>,
}

/// Whether a statement applies to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applies {
    Yes,
    No,
    /// It names the request but has a condition this cannot evaluate.
    Unknown,
}

/// A policy document's statements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Reads `{"Statement": [...]}` (or one statement object).
    pub fn parse(document: &Value) -> Result<Policy, String> {
        let statements = match &document["Statement"] {
            Value::Array(statements) => statements.iter().collect(),
            statement @ Value::Object(_) => vec![statement],
            _ => return Err(format!("a policy document needs a Statement: {document}")),
        };
        let statements = statements.into_iter().map(Statement::parse).collect::<Result<_, _>>()?;
        Ok(Policy { statements })
    }
}

impl Statement {
    fn parse(statement: &Value) -> Result<Statement, String> {
        let effect = match statement["Effect"].as_str() {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => return Err(format!("a statement's Effect must be Allow or Deny: {statement}")),
        };
        let names = |element: &str| -> Result<Option<Names>, String> {
            let only = strings(&statement[element]);
            let all_but = strings(&statement[format!("Not{element}")]);
            match (only, all_but) {
                (Some(names), None) => Ok(Some(Names::Only(names))),
                (None, Some(names)) => Ok(Some(Names::AllBut(names))),
                (None, None) => Ok(None),
                (Some(_), Some(_)) => Err(format!("a statement has both {element} and Not{element}: {statement}")),
            }
        };
        let required = |element: &str| {
            names(element)?.ok_or_else(|| format!("a statement needs {element} or Not{element}: {statement}"))
        };
        let principals = match (&statement["Principal"], &statement["NotPrincipal"]) {
            (Value::Null, Value::Null) => None,
            (principal, Value::Null) => Some(Names::Only(principal_names(principal))),
            (_, not_principal) => Some(Names::AllBut(principal_names(not_principal))),
        };
        let mut conditions = Vec::new();
        if let Some(operators) = statement["Condition"].as_object() {
            for (operator, keys) in operators {
                for (key, values) in keys.as_object().into_iter().flatten() {
                    conditions.push(Condition {
                        operator: operator.clone(),
                        key: key.to_ascii_lowercase(),
                        values: strings(values).unwrap_or_default(),
                    });
                }
            }
        }
        Ok(Statement {
            effect,
            actions: required("Action")?,
            resources: required("Resource")?,
            principals,
            conditions,
        })
    }

    fn applies(&self, request: &Authorization, caller: &Caller) -> Applies {
        let action =
            |pattern: &str| wildcard_match(&pattern.to_ascii_lowercase(), &request.action.to_ascii_lowercase());
        let resource = |pattern: &str| wildcard_match(pattern, &request.resource);
        let named = self.actions.names(action)
            && self.resources.names(resource)
            && match &self.principals {
                None => true,
                Some(principals) => principals.names(|p| caller.named_by(p, self.effect)),
            };
        if !named {
            return Applies::No;
        }
        let mut applies = Applies::Yes;
        for condition in &self.conditions {
            match condition.holds(&request.context) {
                Some(true) => {}
                Some(false) => return Applies::No,
                None => applies = Applies::Unknown,
            }
        }
        applies
    }
}

impl Names {
    fn names(&self, matches: impl Fn(&str) -> bool) -> bool {
        match self {
            Names::Only(names) => names.iter().any(|n| matches(n)),
            Names::AllBut(names) => !names.iter().any(|n| matches(n)),
        }
    }
}

impl Condition {
    /// Whether the condition holds; `None` when this cannot tell.
    fn holds(&self, context: &BTreeMap<String, Option<Vec<String>>>) -> Option<bool> {
        if !EVALUATED_KEYS.contains(&self.key.as_str()) {
            return None;
        }
        let (set, operator) = match self.operator.split_once(':') {
            Some((set @ ("ForAllValues" | "ForAnyValue"), operator)) => (Some(set), operator),
            _ => (None, self.operator.as_str()),
        };
        let (operator, if_exists) = match operator.strip_suffix("IfExists") {
            Some(operator) => (operator, true),
            None => (operator, false),
        };
        let (matches, negated): (fn(&str, &str) -> bool, bool) = match operator {
            "StringEquals" => (|p, v| p == v, false),
            "Bool" => (|p, v| p.eq_ignore_ascii_case(v), false),
            "StringNotEquals" => (|p, v| p == v, true),
            "StringEqualsIgnoreCase" => (|p, v| p.eq_ignore_ascii_case(v), false),
            "StringNotEqualsIgnoreCase" => (|p, v| p.eq_ignore_ascii_case(v), true),
            "StringLike" => (wildcard_match, false),
            "StringNotLike" => (wildcard_match, true),
            "Null" => {
                let present = context.contains_key(&self.key);
                return Some(self.values.iter().any(|v| (v == "true") != present));
            }
            _ => return None,
        };
        let global = GLOBAL_KEYS
            .iter()
            .find(|(key, _)| *key == self.key)
            .map(|(_, value)| vec![value.to_string()]);
        let request_values = match (context.get(&self.key), &global) {
            (Some(Some(values)), _) | (_, Some(values)) => values,
            (Some(None), None) => return None,
            // An absent key: every value of nothing is fine; any value of nothing is not.
            (None, None) => {
                return Some(match set {
                    Some("ForAllValues") => true,
                    Some(_) => false,
                    None => if_exists || negated,
                })
            }
        };
        let named = |value: &String| self.values.iter().any(|pattern| matches(pattern, value));
        Some(match (set, negated) {
            (Some("ForAllValues"), false) => request_values.iter().all(named),
            (Some("ForAllValues"), true) => request_values.iter().all(|v| !named(v)),
            (_, false) => request_values.iter().any(named),
            (_, true) => request_values.iter().any(|v| !named(v)),
        })
    }
}

/// What the policies of one caller decide about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Nothing allows it.
    NotAllowed,
    /// A statement denies it (or might: one this cannot evaluate).
    Denied,
}

/// AWS's evaluation within one account: an explicit deny in any policy wins, then an allow in
/// any of them (identity policies, or a resource policy naming `principal`) lets the request in.
pub fn decide<'a>(
    policies: impl IntoIterator<Item = &'a Policy>,
    caller: &Caller,
    request: &Authorization,
) -> Decision {
    let mut allowed = false;
    for statement in policies.into_iter().flat_map(|p| &p.statements) {
        match (statement.effect, statement.applies(request, caller)) {
            (Effect::Deny, Applies::Yes | Applies::Unknown) => return Decision::Denied,
            (Effect::Allow, Applies::Yes) => allowed = true,
            _ => {}
        }
    }
    if allowed {
        Decision::Allowed
    } else {
        Decision::NotAllowed
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|item| item.as_str().map(str::to_string).unwrap_or_else(|| item.to_string()))
                .collect(),
        ),
        Value::Bool(_) | Value::Number(_) => Some(vec![value.to_string()]),
        _ => None,
    }
}

/// `"*"`, `{"AWS": "*"}`, `{"AWS": [arns]}`, `{"Service": ...}`: every name in it.
fn principal_names(principal: &Value) -> Vec<String> {
    match principal {
        Value::Object(kinds) => kinds.values().filter_map(strings).flatten().collect(),
        other => strings(other).unwrap_or_default(),
    }
}

/// IAM's matching: `*` any run of characters, `?` any one character.
fn wildcard_match(pattern: &str, value: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let value: Vec<char> = value.chars().collect();
    // The classic greedy matcher with one backtrack point: linear in practice, never exponential.
    let (mut p, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == value[v]) {
            p += 1;
            v += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, v));
            p += 1;
        } else if let Some((star_p, star_v)) = star {
            p = star_p + 1;
            v = star_v + 1;
            star = Some((star_p, star_v + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
