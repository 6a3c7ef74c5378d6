//! Update expressions built from parts: `SET`, `ADD`, `REMOVE` and a condition, every attribute
//! name aliased (so reserved words such as `name`, `status` or `comments` need no care).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use super::{number, Condition, Item};
use crate::http::ApiError;

/// One `UpdateItem`, run alone with [`super::Table::update`] or inside a transaction with
/// [`Change::transact`].
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub(crate) key: Item,
    sets: Vec<(String, AttributeValue)>,
    adds: Vec<(String, AttributeValue)>,
    appends: Vec<(String, AttributeValue)>,
    removes: Vec<String>,
    pub(crate) condition: Option<Condition>,
}

/// An update expression with its placeholders resolved.
pub(crate) struct Expression {
    pub update: String,
    pub condition: Option<String>,
    pub names: HashMap<String, String>,
    pub values: Option<HashMap<String, AttributeValue>>,
}

impl Change {
    pub fn new(key: Item) -> Self {
        Self {
            key,
            ..Default::default()
        }
    }

    pub fn set(mut self, attribute: &str, value: AttributeValue) -> Self {
        self.sets.push((attribute.to_string(), value));
        self
    }

    /// `SET` each attribute of a serialised value (e.g. the fields a PATCH changed).
    pub fn set_all(mut self, attributes: Item) -> Self {
        let mut attributes: Vec<_> = attributes.into_iter().collect();
        attributes.sort_by(|a, b| a.0.cmp(&b.0));
        self.sets.extend(attributes);
        self
    }

    /// Atomic counter change (`ADD`), negative to subtract.
    pub fn add(mut self, attribute: &str, value: i64) -> Self {
        self.adds.push((attribute.to_string(), number(value)));
        self
    }

    pub fn add_to_set(mut self, attribute: &str, member: &str) -> Self {
        self.adds
            .push((attribute.to_string(), AttributeValue::Ss(vec![member.to_string()])));
        self
    }

    /// Appends `members` to the list `attribute` (created when absent).
    pub fn append_to_list(mut self, attribute: &str, members: Vec<AttributeValue>) -> Self {
        self.appends.push((attribute.to_string(), AttributeValue::L(members)));
        self
    }

    pub fn remove(mut self, attribute: &str) -> Self {
        self.removes.push(attribute.to_string());
        self
    }

    /// The condition the item must meet for the change to apply.
    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    pub(crate) fn expression(&self) -> Expression {
        let (condition, mut names, mut values) = match &self.condition {
            Some(condition) => {
                let (expression, names, values) = condition.parts();
                (Some(expression), names, values)
            }
            None => (None, HashMap::new(), HashMap::new()),
        };
        let mut clauses = Vec::new();
        let mut clause = |word: &str, items: Vec<String>| {
            if !items.is_empty() {
                clauses.push(format!("{word} {}", items.join(", ")));
            }
        };
        let mut sets = Vec::new();
        for (i, (attribute, value)) in self.sets.iter().enumerate() {
            names.insert(format!("#s{i}"), attribute.clone());
            values.insert(format!(":s{i}"), value.clone());
            sets.push(format!("#s{i} = :s{i}"));
        }
        for (i, (attribute, members)) in self.appends.iter().enumerate() {
            names.insert(format!("#l{i}"), attribute.clone());
            values.insert(format!(":l{i}"), members.clone());
            values.insert(":empty_list".to_string(), AttributeValue::L(Vec::new()));
            sets.push(format!("#l{i} = list_append(if_not_exists(#l{i}, :empty_list), :l{i})"));
        }
        clause("SET", sets);
        let mut adds = Vec::new();
        for (i, (attribute, value)) in self.adds.iter().enumerate() {
            names.insert(format!("#a{i}"), attribute.clone());
            values.insert(format!(":a{i}"), value.clone());
            adds.push(format!("#a{i} :a{i}"));
        }
        clause("ADD", adds);
        let mut removes = Vec::new();
        for (i, attribute) in self.removes.iter().enumerate() {
            names.insert(format!("#r{i}"), attribute.clone());
            removes.push(format!("#r{i}"));
        }
        clause("REMOVE", removes);
        Expression {
            update: clauses.join(" "),
            condition,
            names,
            values: (!values.is_empty()).then_some(values),
        }
    }

    /// This change as one item of a `TransactWriteItems`.
    pub fn transact(self, table: &str) -> Result<TransactWriteItem, ApiError> {
        let expression = self.expression();
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(self.key))
            .update_expression(expression.update)
            .set_condition_expression(expression.condition)
            .set_expression_attribute_names(Some(expression.names))
            .set_expression_attribute_values(expression.values)
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::{key, string};

    #[test]
    fn every_name_is_aliased() {
        let change = Change::new(key("p", "s"))
            .set("name", string("x"))
            .add("members_count", 1)
            .remove("gsi1pk")
            .when(
                Condition::new("#status = :active AND attribute_exists(pk)")
                    .name("status")
                    .value(":active", string("a")),
            );
        let expression = change.expression();
        assert_eq!(expression.update, "SET #s0 = :s0 ADD #a0 :a0 REMOVE #r0");
        assert_eq!(
            expression.condition.as_deref(),
            Some("#status = :active AND attribute_exists(pk)")
        );
        assert_eq!(expression.names["#s0"], "name");
        assert_eq!(expression.names["#status"], "status");
        assert_eq!(expression.values.unwrap()[":a0"], AttributeValue::N("1".into()));
    }

    #[test]
    fn appends_create_the_list_when_absent() {
        let member = || vec![string("o-1")];
        let change = Change::new(key("T#1", "T"))
            .set("status", string("loaded"))
            .append_to_list("order_ids", member());
        let expression = change.expression();
        assert_eq!(
            expression.update,
            "SET #s0 = :s0, #l0 = list_append(if_not_exists(#l0, :empty_list), :l0)"
        );
        assert_eq!(expression.names["#l0"], "order_ids");
        let values = expression.values.unwrap();
        assert_eq!(values[":l0"], AttributeValue::L(member()));
        assert_eq!(values[":empty_list"], AttributeValue::L(Vec::new()));
    }

    #[test]
    fn set_all_is_ordered() {
        let attributes = Item::from([("b".into(), string("2")), ("a".into(), string("1"))]);
        let expression = Change::new(key("p", "s")).set_all(attributes).expression();
        assert_eq!(expression.names["#s0"], "a");
        assert_eq!(expression.names["#s1"], "b");
    }
}
