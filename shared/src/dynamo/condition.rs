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
        self.names.insert(format!("#{name}"), name.to_string());
        self
    }

    /// Declares `placeholder` (e.g. `#kp`) for an attribute whose name is not a valid placeholder.
    pub(crate) fn alias(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names.insert(placeholder.to_string(), attribute.to_string());
        self
    }

    pub fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
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
}
