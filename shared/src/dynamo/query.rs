//! Queries of one partition (of the table or of an index), read one page or all pages.

use super::{string, Condition};

/// Which sort keys of the partition a query reads.
#[derive(Debug, Clone)]
enum SortRange {
    All,
    BeginsWith(String),
    Between(String, String),
    From(String),
    Until(String),
}

/// A `Query` of one partition. Index `gsiN` is keyed by `gsiNpk` / `gsiNsk`; the table by
/// `pk` / `sk` (the convention of every Andes table).
#[derive(Debug, Clone)]
pub struct Query {
    pub(crate) index: Option<String>,
    pub(crate) partition: String,
    sort: SortRange,
    pub(crate) filter: Option<Condition>,
    pub(crate) forward: bool,
    pub(crate) consistent: bool,
    scope: String,
}

impl Query {
    /// The table's partition `pk = value`.
    pub fn partition(value: impl Into<String>) -> Self {
        Self {
            index: None,
            partition: value.into(),
            sort: SortRange::All,
            filter: None,
            forward: true,
            consistent: true,
            scope: String::new(),
        }
    }

    /// Partition `value` of a global secondary index (eventually consistent, as DynamoDB allows).
    pub fn index(index: &str, value: impl Into<String>) -> Self {
        Self {
            index: Some(index.to_string()),
            consistent: false,
            ..Self::partition(value)
        }
    }

    pub fn begins_with(mut self, prefix: impl Into<String>) -> Self {
        self.sort = SortRange::BeginsWith(prefix.into());
        self
    }

    pub fn between(mut self, low: impl Into<String>, high: impl Into<String>) -> Self {
        self.sort = SortRange::Between(low.into(), high.into());
        self
    }

    /// Sort keys `>= low`.
    pub fn from(mut self, low: impl Into<String>) -> Self {
        self.sort = SortRange::From(low.into());
        self
    }

    /// Sort keys `<= high`.
    pub fn until(mut self, high: impl Into<String>) -> Self {
        self.sort = SortRange::Until(high.into());
        self
    }

    /// Newest (highest sort key) first.
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }

    /// A filter applied after the key condition (its expression, names and values are part of
    /// the list's identity: a cursor of one filter is refused by another).
    pub fn filter(mut self, condition: Condition) -> Self {
        self.filter = Some(condition);
        self
    }

    /// Binds this list's cursors to more than the key condition (e.g. the filters of a search,
    /// so a cursor of one search is refused by another).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    pub(crate) fn partition_attribute(&self) -> String {
        match &self.index {
            Some(index) => format!("{index}pk"),
            None => "pk".to_string(),
        }
    }

    pub(crate) fn sort_attribute(&self) -> String {
        match &self.index {
            Some(index) => format!("{index}sk"),
            None => "sk".to_string(),
        }
    }

    /// The attributes an `ExclusiveStartKey` of this query may hold.
    pub(crate) fn key_attributes(&self) -> Vec<String> {
        let mut attributes = vec!["pk".to_string(), "sk".to_string()];
        if self.index.is_some() {
            attributes.push(self.partition_attribute());
            attributes.push(self.sort_attribute());
        }
        attributes
    }

    /// Everything that identifies this list, for its cursors.
    pub(crate) fn fingerprint_source(&self) -> String {
        let filter = self.filter.as_ref().map(super::condition::describe).unwrap_or_default();
        format!(
            "{}|{}|{:?}|{}|{}|{}",
            self.index.as_deref().unwrap_or("table"),
            self.partition,
            self.sort,
            self.forward,
            filter,
            self.scope
        )
    }

    /// `KeyConditionExpression` with its names and values.
    pub(crate) fn key_condition(&self) -> Condition {
        let partition = Condition::new("#kp = :kp")
            .generated_value(":kp", string(&self.partition))
            .alias("#kp", &self.partition_attribute());
        let sort = |expression: &str| {
            Condition::new(format!("#kp = :kp AND {expression}"))
                .generated_value(":kp", string(&self.partition))
                .alias("#kp", &self.partition_attribute())
                .alias("#ks", &self.sort_attribute())
        };
        match &self.sort {
            SortRange::All => partition,
            SortRange::BeginsWith(prefix) => sort("begins_with(#ks, :ks)").generated_value(":ks", string(prefix)),
            SortRange::Between(low, high) => sort("#ks BETWEEN :ks AND :kh")
                .generated_value(":ks", string(low))
                .generated_value(":kh", string(high)),
            SortRange::From(low) => sort("#ks >= :ks").generated_value(":ks", string(low)),
            SortRange::Until(high) => sort("#ks <= :ks").generated_value(":ks", string(high)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn index_queries_use_the_index_keys() {
        let query = Query::index("gsi2", "PUBLISHED").begins_with("2026").backward();
        let condition = query.key_condition();
        let (expression, names, values) = condition.parts();
        assert_eq!(expression, "#kp = :kp AND begins_with(#ks, :ks)");
        assert_eq!(names["#kp"], "gsi2pk");
        assert_eq!(names["#ks"], "gsi2sk");
        assert_eq!(values[":ks"], AttributeValue::S("2026".into()));
        assert_eq!(query.key_attributes(), ["pk", "sk", "gsi2pk", "gsi2sk"]);
        assert!(!query.consistent);
    }

    #[test]
    fn lists_differ_by_partition_order_and_scope() {
        let newest = Query::index("gsi2", "P").backward();
        assert_ne!(
            newest.fingerprint_source(),
            Query::index("gsi2", "P").fingerprint_source()
        );
        assert_ne!(
            newest.fingerprint_source(),
            Query::index("gsi2", "Q").backward().fingerprint_source()
        );
        assert_ne!(
            newest.fingerprint_source(),
            newest.clone().scope("brand=7").fingerprint_source()
        );
        let brand = |id: i64| {
            let filter = Condition::new("#brand = :brand")
                .name("brand")
                .value(":brand", crate::dynamo::number(id));
            newest.clone().filter(filter).fingerprint_source()
        };
        assert_ne!(brand(7), brand(8), "a filter's values are part of the list");
        assert_eq!(brand(7), brand(7));
    }
}
