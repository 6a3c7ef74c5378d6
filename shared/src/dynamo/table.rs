//! One DynamoDB table: the only place that sends requests to it and maps their outcomes.
//! A failed condition is an answer (`false` / `None`), not an error; every other failure is
//! an internal error with its cause.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest, ReturnValue, TransactWriteItem,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;

use super::cursor::{decode_key, encode_key, invalid_cursor};
use super::{from_item, Change, Condition, Item, Page, Query, TransactionError};
use crate::aws::sdk_error;
use crate::http::ApiError;

/// Whether an SDK error is a failed `ConditionExpression`.
fn is_condition_failed<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException")
}

/// The one mapping of a conditional write's outcome: its output, `None` when its condition
/// failed, an internal error for anything else.
fn condition_held<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<Option<T>, ApiError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(error) if is_condition_failed(&error) => Ok(None),
        Err(error) => Err(sdk_error(error)),
    }
}

fn is_validation<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ValidationException")
}

/// Items per `BatchWriteItem` / `BatchGetItem` request, as DynamoDB allows.
const BATCH_WRITE: usize = 25;
const BATCH_GET: usize = 100;
/// Rounds of resending what DynamoDB left unprocessed before giving up.
const UNPROCESSED_ROUNDS: u32 = 8;
/// Pages read to fill one page of a filtered list; past that the page is short (never wrong)
/// and carries a cursor.
const FILTERED_PAGE_READS: usize = 10;

#[derive(Debug, Clone)]
pub struct Table {
    client: Client,
    name: String,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self {
            client,
            name: name.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// One item, strongly consistent (a write just acknowledged is seen).
    pub async fn get_item(&self, key: Item) -> Result<Option<Item>, ApiError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output.item)
    }

    pub async fn get<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>, ApiError> {
        self.get_item(key).await?.map(from_item).transpose()
    }

    /// The items of these keys that exist (any order), strongly consistent.
    pub async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, ApiError> {
        let mut items = Vec::new();
        for chunk in keys.chunks(BATCH_GET) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(ApiError::internal)?,
            );
            for round in 0..UNPROCESSED_ROUNDS {
                let Some(request) = pending.take() else { break };
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << round)).await;
                }
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.name, request)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                items.extend(
                    output
                        .responses
                        .and_then(|mut r| r.remove(&self.name))
                        .unwrap_or_default(),
                );
                pending = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.name))
                    .filter(|k| !k.keys().is_empty());
            }
            if pending.is_some() {
                return Err(ApiError::Unavailable("the table is busy; retry in a moment".into()));
            }
        }
        Ok(items)
    }

    /// Writes an item whatever is there.
    pub async fn put(&self, item: Item) -> Result<(), ApiError> {
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Writes an item unless its key exists; `false` when it did.
    pub async fn put_new(&self, item: Item) -> Result<bool, ApiError> {
        self.put_if(item, Condition::absent()).await
    }

    /// Writes an item if `condition` holds; `false` when it did not.
    pub async fn put_if(&self, item: Item, condition: Condition) -> Result<bool, ApiError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(item))
            .condition_expression(condition.expression())
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .send()
            .await;
        condition_held(result).map(|held| held.is_some())
    }

    /// Runs one `UpdateItem`: the item as it is after the change, or `None` when its condition
    /// failed.
    pub async fn update(&self, change: Change) -> Result<Option<Item>, ApiError> {
        let expression = change.expression();
        let result = self
            .client
            .update_item()
            .table_name(&self.name)
            .set_key(Some(change.key))
            .update_expression(expression.update)
            .set_condition_expression(expression.condition)
            .set_expression_attribute_names(Some(expression.names))
            .set_expression_attribute_values(expression.values)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        Ok(condition_held(result)?.map(|output| output.attributes.unwrap_or_default()))
    }

    /// Deletes an item (nothing happens if it does not exist).
    pub async fn delete(&self, key: Item) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Deletes an item if `condition` holds; `false` when it did not.
    pub async fn delete_if(&self, key: Item, condition: Condition) -> Result<bool, ApiError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .condition_expression(condition.expression())
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .send()
            .await;
        condition_held(result).map(|held| held.is_some())
    }

    /// One `Query` request. `from_client` says that `start` came from a client's cursor: then a
    /// start key DynamoDB still refuses is the client's error (422), not ours.
    async fn query_once(
        &self,
        query: &Query,
        limit: Option<i32>,
        start: Option<Item>,
        from_client: bool,
    ) -> Result<(Vec<Item>, Option<Item>), ApiError> {
        let key = query.key_condition();
        let mut names = key.names().unwrap_or_default();
        let mut values = key.values().unwrap_or_default();
        let filter = query.filter.as_ref().map(|filter| {
            names.extend(filter.names().unwrap_or_default());
            values.extend(filter.values().unwrap_or_default());
            filter.expression()
        });
        let resumed = from_client && start.is_some();
        let result = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(query.index.clone())
            .key_condition_expression(key.expression())
            .set_filter_expression(filter)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(query.forward)
            .consistent_read(query.consistent)
            .set_limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await;
        match result {
            Ok(output) => Ok((
                output.items.unwrap_or_default(),
                output.last_evaluated_key.filter(|k| !k.is_empty()),
            )),
            // A cursor that passed our checks but still does not fit the key schema.
            Err(error) if resumed && is_validation(&error) => Err(invalid_cursor()),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// One page of a list: up to `limit` items from where `cursor` (handed out by this same
    /// list) left off. A filtered list reads a few more pages to fill the page.
    pub async fn query_page(&self, query: &Query, limit: i32, cursor: Option<&str>) -> Result<Page<Item>, ApiError> {
        let scope = query.fingerprint_source();
        let mut start = match cursor.filter(|c| !c.is_empty()) {
            Some(cursor) => {
                let allowed = query.key_attributes();
                let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
                let partition = query.partition_attribute();
                Some(decode_key(&scope, cursor, &allowed, (&partition, &query.partition))?)
            }
            None => None,
        };
        let reads = if query.filter.is_some() { FILTERED_PAGE_READS } else { 1 };
        let mut items = Vec::new();
        for read in 0..reads {
            let wanted = limit - items.len() as i32;
            let (page, last) = self.query_once(query, Some(wanted), start.take(), read == 0).await?;
            items.extend(page);
            start = last;
            if start.is_none() || items.len() as i32 >= limit {
                break;
            }
        }
        Ok(Page {
            items,
            next_cursor: encode_key(&scope, start.as_ref())?,
        })
    }

    /// Every item of a query, all pages.
    pub async fn query_all(&self, query: &Query) -> Result<Vec<Item>, ApiError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let (page, last) = self.query_once(query, None, start, false).await?;
            items.extend(page);
            match last {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
    }

    /// One strongly consistent `Scan` request: its items and where the next page starts.
    async fn scan_once(&self, start: Option<Item>) -> Result<(Vec<Item>, Option<Item>), ApiError> {
        let output = self
            .client
            .scan()
            .table_name(&self.name)
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok((
            output.items.unwrap_or_default(),
            output.last_evaluated_key.filter(|k| !k.is_empty()),
        ))
    }

    /// Every item of the table, all pages of a strongly consistent Scan (for admin processes
    /// only: no function scans). Each page goes to `each_page` as it arrives, so a whole table
    /// never has to fit in memory at once.
    pub async fn scan_all(&self, mut each_page: impl FnMut(Vec<Item>) -> Result<(), ApiError>) -> Result<(), ApiError> {
        let mut start = None;
        loop {
            let (page, last) = self.scan_once(start).await?;
            each_page(page)?;
            match last {
                Some(key) => start = Some(key),
                None => return Ok(()),
            }
        }
    }

    /// Deletes these keys in batches, resending what DynamoDB leaves unprocessed.
    pub async fn batch_delete(&self, keys: Vec<Item>) -> Result<(), ApiError> {
        let requests = keys
            .into_iter()
            .map(|key| {
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(ApiError::internal)?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        self.batch_write(requests).await
    }

    /// Writes these items in batches (unconditional puts), resending what is left unprocessed.
    pub async fn batch_put(&self, items: Vec<Item>) -> Result<(), ApiError> {
        let requests = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(ApiError::internal)?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        self.batch_write(requests).await
    }

    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), ApiError> {
        for chunk in requests.chunks(BATCH_WRITE) {
            let mut pending = chunk.to_vec();
            for round in 0..UNPROCESSED_ROUNDS {
                if pending.is_empty() {
                    break;
                }
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << round)).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.name, std::mem::take(&mut pending))
                    .send()
                    .await
                    .map_err(sdk_error)?;
                pending = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.name))
                    .unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(ApiError::Unavailable("the table is busy; retry in a moment".into()));
            }
        }
        Ok(())
    }

    /// Deletes every item of partition `pk`; how many there were.
    pub async fn delete_partition(&self, pk: &str) -> Result<usize, ApiError> {
        let keys: Vec<Item> = self
            .query_all(&Query::partition(pk))
            .await?
            .into_iter()
            .map(|item| {
                item.into_iter()
                    .filter(|(name, _)| name == "pk" || name == "sk")
                    .collect()
            })
            .collect();
        let count = keys.len();
        self.batch_delete(keys).await?;
        Ok(count)
    }

    /// A put inside a transaction.
    pub fn put_tx(&self, item: Item, condition: Option<Condition>) -> Result<TransactWriteItem, ApiError> {
        let put = Put::builder()
            .table_name(&self.name)
            .set_item(Some(item))
            .set_condition_expression(condition.as_ref().map(Condition::expression))
            .set_expression_attribute_names(condition.as_ref().and_then(Condition::names))
            .set_expression_attribute_values(condition.as_ref().and_then(Condition::values))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A delete inside a transaction.
    pub fn delete_tx(&self, key: Item, condition: Option<Condition>) -> Result<TransactWriteItem, ApiError> {
        let delete = Delete::builder()
            .table_name(&self.name)
            .set_key(Some(key))
            .set_condition_expression(condition.as_ref().map(Condition::expression))
            .set_expression_attribute_names(condition.as_ref().and_then(Condition::names))
            .set_expression_attribute_values(condition.as_ref().and_then(Condition::values))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// A condition on another item inside a transaction.
    pub fn check_tx(&self, key: Item, condition: Condition) -> Result<TransactWriteItem, ApiError> {
        let check = ConditionCheck::builder()
            .table_name(&self.name)
            .set_key(Some(key))
            .condition_expression(condition.expression())
            .set_expression_attribute_names(condition.names())
            .set_expression_attribute_values(condition.values())
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// An update inside a transaction.
    pub fn change_tx(&self, change: Change) -> Result<TransactWriteItem, ApiError> {
        change.transact(&self.name)
    }

    /// Runs a transaction, retrying conflicts with concurrent transactions.
    pub async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), TransactionError> {
        super::transact(&self.client, writes).await
    }
}
