//! DynamoDB helpers over `serde_dynamo`: items, conditional-write outcomes, list paging.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};

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

/// Whether an SDK error is a failed `ConditionExpression`.
pub fn is_condition_failed<E, R>(error: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    error.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException")
}

/// For a cancelled transaction, the cancellation code of each item in request order
/// (`None` where that item did not fail). `None` if the error is not a cancellation.
pub fn cancellation_codes(error: &SdkError<TransactWriteItemsError>) -> Option<Vec<Option<String>>> {
    match error.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().filter(|code| *code != "None").map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

/// Which items of a cancelled transaction failed their condition.
pub fn failed_conditions(error: &SdkError<TransactWriteItemsError>) -> Vec<usize> {
    cancellation_codes(error)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, code)| code.as_deref() == Some("ConditionalCheckFailed"))
        .map(|(index, _)| index)
        .collect()
}

/// Reads one item with a strongly consistent `GetItem` (a write just acknowledged is seen).
pub async fn get_consistent(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: Item,
) -> Result<Option<Item>, ApiError> {
    let output = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(crate::aws::sdk_error)?;
    Ok(output.item)
}

/// Why a transaction did not apply.
#[derive(Debug)]
pub enum TransactionError {
    /// These items (in request order) failed their condition.
    Conditions(Vec<usize>),
    Other(ApiError),
}

impl From<ApiError> for TransactionError {
    fn from(error: ApiError) -> Self {
        Self::Other(error)
    }
}

/// Attempts of a transaction that DynamoDB cancels because a concurrent transaction touched
/// the same items (as opposed to a failed condition, which is final).
const TRANSACTION_ATTEMPTS: u32 = 4;

/// Runs `TransactWriteItems`, retrying with back-off only cancellations caused by
/// conflicting concurrent transactions.
pub async fn transact(
    client: &aws_sdk_dynamodb::Client,
    writes: Vec<TransactWriteItem>,
) -> Result<(), TransactionError> {
    for attempt in 1..=TRANSACTION_ATTEMPTS {
        let result = client
            .transact_write_items()
            .set_transact_items(Some(writes.clone()))
            .send()
            .await;
        let Err(error) = result else { return Ok(()) };
        let failed = failed_conditions(&error);
        if !failed.is_empty() {
            return Err(TransactionError::Conditions(failed));
        }
        let conflicted = cancellation_codes(&error)
            .is_some_and(|codes| codes.iter().flatten().any(|code| code == "TransactionConflict"));
        if !conflicted || attempt == TRANSACTION_ATTEMPTS {
            return Err(TransactionError::Other(crate::aws::sdk_error(error)));
        }
        tokio::time::sleep(std::time::Duration::from_millis(25 * u64::from(attempt))).await;
    }
    Err(TransactionError::Other(ApiError::internal(
        "transaction attempts exhausted",
    )))
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
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The cursor of the page after a Query's: none when DynamoDB reports no `LastEvaluatedKey`
/// (or an empty one), so the last page never hands out a cursor to an empty page.
pub fn next_cursor(last_evaluated_key: Option<&Item>) -> Option<String> {
    last_evaluated_key.filter(|key| !key.is_empty()).and_then(encode_cursor)
}

/// An opaque cursor for a `LastEvaluatedKey` made of string and number attributes.
pub fn encode_cursor(key: &Item) -> Option<String> {
    let mut plain = serde_json::Map::new();
    for (name, value) in key {
        let encoded = match value {
            AttributeValue::S(s) => serde_json::json!({ "S": s }),
            AttributeValue::N(n) => serde_json::json!({ "N": n }),
            _ => return None,
        };
        plain.insert(name.clone(), encoded);
    }
    let json = serde_json::Value::Object(plain).to_string();
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

pub fn decode_cursor(cursor: &str) -> Result<Item, ApiError> {
    let invalid = || ApiError::invalid("cursor", "is not a cursor returned by this list");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let plain: HashMap<String, HashMap<String, String>> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    plain
        .into_iter()
        .map(|(name, typed)| {
            let value = match (typed.get("S"), typed.get("N")) {
                (Some(s), None) => AttributeValue::S(s.clone()),
                (None, Some(n)) => AttributeValue::N(n.clone()),
                _ => return Err(invalid()),
            };
            Ok((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let key = Item::from([
            ("pk".into(), string("A#1")),
            ("n".into(), AttributeValue::N("3".into())),
        ]);
        let cursor = encode_cursor(&key).unwrap();
        assert_eq!(decode_cursor(&cursor).unwrap(), key);
    }

    #[test]
    fn garbage_cursor_is_a_validation_error() {
        assert!(matches!(decode_cursor("%%%"), Err(ApiError::Validation(_))));
        assert!(matches!(decode_cursor("e30"), Ok(map) if map.is_empty()));
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), 20);
        assert_eq!(page_limit(Some("100")).unwrap(), 100);
        assert!(page_limit(Some("0")).is_err());
        assert!(page_limit(Some("101")).is_err());
        assert!(page_limit(Some("ten")).is_err());
    }
}
