//! Conditions of conditional writes, with their name and value placeholders.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::number;

/// A `ConditionExpression`: attributes as `#name`, values as `:value`.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    pub fn new(expression: impl Into<String>) -> Self {
        Self {
            expression: expression.into(),
            ..Default::default()
        }
    }

    /// The item exists (its partition key attribute is present).
    pub fn exists() -> Self {
        Self::new("attribute_exists(pk)")
    }

    /// No item has this key yet.
    pub fn absent() -> Self {
        Self::new("attribute_not_exists(pk)")
    }

    /// The item exists and its `version` is `expected` (optimistic concurrency).
    pub fn version(expected: u64) -> Self {
        Self::new("#version = :expected_version")
            .name("version")
            .value(":expected_version", number(expected as i64))
    }

    /// Declares `#name` for attribute `name`.
    pub fn name(mut self, name: &str) -> Self {
        let placeholder = format!("#{name}");
        debug_assert!(
            !is_reserved(&placeholder),
            "{placeholder} is reserved for generated expressions"
        );
        self.names.insert(placeholder, name.to_string());
        self
    }

    /// Declares a generated `placeholder` (e.g. `#kp`) for an attribute.
    pub(crate) fn alias(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.to_string(), attribute.to_string());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        debug_assert!(
            !is_reserved(placeholder),
            "{placeholder} is reserved for generated expressions"
        );
        self.values.insert(placeholder.to_string(), value);
        self
    }

    /// Both conditions.
    pub fn and(mut self, other: Condition) -> Self {
        self.expression = format!("({}) AND ({})", self.expression, other.expression);
        self.names.extend(other.names);
        self.values.extend(other.values);
        self
    }

    /// A generated value (the key condition's), exempt from the reserved-placeholder check.
    pub(crate) fn generated_value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_string(), value);
        self
    }

    pub(crate) fn parts(&self) -> (String, HashMap<String, String>, HashMap<String, AttributeValue>) {
        (self.expression.clone(), self.names.clone(), self.values.clone())
    }

    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub(crate) fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    pub(crate) fn expression(&self) -> String {
        self.expression.clone()
    }
}

/// Placeholders that [`super::Change`] and [`super::Query`] generate: the key condition's
/// `#kp #ks :kp :ks :kh`, and `#s0 :s0`, `#a0 :a0`, `#r0` for SET, ADD and REMOVE. A condition
/// or filter that declared one would be overwritten by the generated expression.
pub(crate) fn is_reserved(placeholder: &str) -> bool {
    let key_condition = ["#kp", "#ks", ":kp", ":ks", ":kh", ":empty_list"].contains(&placeholder);
    let generated = ["#s", ":s", "#a", ":a", "#r", "#l", ":l"].iter().any(|prefix| {
        placeholder
            .strip_prefix(prefix)
            .is_some_and(|index| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
    });
    key_condition || generated
}

/// Fingerprint text of a condition: expression, names and values, sorted.
pub(crate) fn describe(condition: &Condition) -> String {
    let mut names: Vec<_> = condition.names.iter().collect();
    names.sort();
    let mut values: Vec<_> = condition.values.iter().map(|(k, v)| (k, format!("{v:?}"))).collect();
    values.sort();
    format!("{}|{names:?}|{values:?}", condition.expression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_combine() {
        let condition = Condition::version(3).and(
            Condition::new("#status = :s")
                .name("status")
                .value(":s", AttributeValue::S("draft".into())),
        );
        assert_eq!(
            condition.expression(),
            "(#version = :expected_version) AND (#status = :s)"
        );
        assert_eq!(condition.names().unwrap().len(), 2);
        assert_eq!(
            condition.values().unwrap()[":expected_version"],
            AttributeValue::N("3".into())
        );
        assert!(Condition::absent().names().is_none());
    }

    #[test]
    fn generated_placeholders_are_reserved() {
        for reserved in ["#kp", ":kh", "#s0", ":a12", "#r3"] {
            assert!(is_reserved(reserved), "{reserved}");
        }
        for free in ["#status", ":s", ":since", "#sk", ":expected_version", "#a"] {
            assert!(!is_reserved(free), "{free}");
        }
    }
}
