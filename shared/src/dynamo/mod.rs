//! The shared table layer: every service's `store.rs` holds only its keys and access patterns
//! on top of it.
//!
//! - [`Table`]: typed get, put-new, put-if, [`Change`] updates, one-page queries into
//!   [`Page`] with checked cursors, all-pages queries and scans, batch writes, partition delete,
//!   transaction items; a failed condition is an answer, never an error.
//! - [`Condition`], [`Change`], [`Query`]: expressions with their placeholders.
//! - [`retry`]: read-modify-write for requests without a client version.

mod change;
mod condition;
pub mod cursor;
mod query;
pub mod retry;
mod table;
mod transact;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{de::DeserializeOwned, Serialize};

pub use change::Change;
pub use condition::Condition;
pub use query::Query;
pub use retry::Attempt;
pub use table::Table;
pub use transact::{cancellation_codes, failed_conditions, transact, TransactionError};

use crate::http::ApiError;

pub type Item = HashMap<String, AttributeValue>;

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, ApiError> {
    serde_dynamo::to_item(value).map_err(ApiError::internal)
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, ApiError> {
    serde_dynamo::from_item(item).map_err(ApiError::internal)
}

pub fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The primary key of an item of an Andes table (`pk`, `sk`).
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    Item::from([("pk".to_string(), string(pk)), ("sk".to_string(), string(sk))])
}

/// A value serialised as an item under its primary key.
pub fn keyed_item<T: Serialize>(value: &T, pk: impl Into<String>, sk: impl Into<String>) -> Result<Item, ApiError> {
    let mut item = to_item(value)?;
    item.extend(key(pk, sk));
    Ok(item)
}

/// Page size of a list request: `limit` defaults to 20 and is capped at 100.
pub const DEFAULT_LIMIT: i32 = 20;
pub const MAX_LIMIT: i32 = 100;

pub fn page_limit(raw: Option<&str>) -> Result<i32, ApiError> {
    match raw {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(raw) => match raw.parse::<i32>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            _ => Err(ApiError::invalid(
                "limit",
                format!("must be an integer from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// One page of a list, in the shape every Andes list answers: `{items, next_cursor}`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item converted (e.g. from DynamoDB items to entities).
    pub fn try_map<U>(self, convert: impl FnMut(T) -> Result<U, ApiError>) -> Result<Page<U>, ApiError> {
        Ok(Page {
            items: self.items.into_iter().map(convert).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }

    /// The items of this page that pass `keep` (the cursor is unchanged: a short page, never a
    /// wrong one).
    pub fn retain(mut self, keep: impl FnMut(&T) -> bool) -> Self {
        self.items.retain(keep);
        self
    }
}

impl Page<Item> {
    /// Each item deserialised as `T`.
    pub fn parse<T: DeserializeOwned>(self) -> Result<Page<T>, ApiError> {
        self.try_map(from_item)
    }
}

/// A page of a list held in memory: `limit` items from the checked offset cursor of `scope`.
pub fn page_of<T>(all: Vec<T>, scope: &str, limit: i32, cursor: Option<&str>) -> Result<Page<T>, ApiError> {
    let offset = cursor::decode_offset(scope, cursor)?;
    let limit = usize::try_from(limit).unwrap_or(0);
    let total = all.len();
    let items: Vec<T> = all.into_iter().skip(offset).take(limit).collect();
    let next = offset.saturating_add(items.len());
    let next_cursor = (next < total && !items.is_empty()).then(|| cursor::encode_offset(scope, next));
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), 20);
        assert_eq!(page_limit(Some("100")).unwrap(), 100);
        assert!(page_limit(Some("0")).is_err());
        assert!(page_limit(Some("101")).is_err());
        assert!(page_limit(Some("ten")).is_err());
    }

    #[test]
    fn in_memory_pages_follow_their_cursor() {
        let first = page_of((1..=5).collect(), "l", 2, None).unwrap();
        assert_eq!(first.items, [1, 2]);
        let second = page_of((1..=5).collect(), "l", 2, first.next_cursor.as_deref()).unwrap();
        assert_eq!(second.items, [3, 4]);
        let last = page_of((1..=5).collect(), "l", 2, second.next_cursor.as_deref()).unwrap();
        assert_eq!(last.items, [5]);
        assert!(last.next_cursor.is_none());
        assert!(page_of((1..=5).collect::<Vec<_>>(), "other", 2, first.next_cursor.as_deref()).is_err());
        let past_the_end = cursor::encode_offset("l", usize::MAX);
        assert!(page_of((1..=5).collect::<Vec<i32>>(), "l", 2, Some(&past_the_end))
            .unwrap()
            .items
            .is_empty());
    }
}
