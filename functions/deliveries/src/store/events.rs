//! The event store: one partition per order, one item per event (`V#{version:010}`), each put
//! only if its key is free, so a stream's versions never repeat and two writers deciding on the
//! same version cannot both append. Events are never updated or deleted.

use andes_shared::dynamo::{key, keyed_item, number, Condition, Item, Page, Query, TransactionError};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::{parse_all, Store};
use crate::domain::{fold, Event, Order};

/// Why an append did not happen.
#[derive(Debug)]
pub enum AppendError {
    /// Another writer appended first: the stream is past the version the events were numbered
    /// from. Read it again.
    Taken,
    /// The condition of the `index`-th extra write failed (the caller knows what it meant).
    Refused(usize),
    Other(ApiError),
}

impl From<ApiError> for AppendError {
    fn from(error: ApiError) -> Self {
        Self::Other(error)
    }
}

/// How long an `Idempotency-Key` is kept: the contract promises at least 24 h.
const IDEMPOTENCY_TTL_SECONDS: i64 = 25 * 60 * 60;

/// A caller's `Idempotency-Key` as stored: which order it created, from which request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub order_id: String,
    pub fingerprint: String,
    /// Unix seconds; DynamoDB's TTL removes the record some time after, readers ignore it at once.
    pub expires_at: i64,
}

/// The highest version a stream can reach (ten digits).
const MAX_VERSION: u64 = 9_999_999_999;

fn event_key(order_id: &str, version: u64) -> Item {
    key(order_pk(order_id), event_sk(version))
}

fn idempotency_key(principal_id: &str, idempotency_key: &str) -> Item {
    key(idempotency_pk(principal_id, idempotency_key), IDEMPOTENCY_SK)
}

pub fn event_item(event: &Event) -> Result<Item, ApiError> {
    keyed_item(event, order_pk(&event.subject), event_sk(event.version))
}

/// The record is absent or expired.
fn free_key(now: DateTime<Utc>) -> Condition {
    Condition::new("attribute_not_exists(pk) OR #expires_at < :now")
        .name("expires_at")
        .value(":now", number(now.timestamp()))
}

impl Store {
    /// Every event of an order, in version order (strongly consistent).
    pub async fn events(&self, order_id: &str) -> Result<Vec<Event>, ApiError> {
        let query = Query::partition(order_pk(order_id)).begins_with(EVENT_PREFIX);
        parse_all(self.table.query_all(&query).await?)
    }

    /// Events `from..=to` of an order (strongly consistent): what a projector reads to fill a gap.
    pub async fn events_between(&self, order_id: &str, from: u64, to: u64) -> Result<Vec<Event>, ApiError> {
        let query = Query::partition(order_pk(order_id)).between(event_sk(from), event_sk(to));
        parse_all(self.table.query_all(&query).await?)
    }

    /// The order folded from its whole stream (the write model); `None` when it has no event.
    pub async fn order(&self, order_id: &str) -> Result<Option<Order>, ApiError> {
        let events = self.events(order_id).await?;
        fold(&events).map_err(|error| ApiError::internal(format!("order {order_id}: {error}")))
    }

    /// One page of the events after version `after`, ascending (strongly consistent).
    pub async fn events_page(
        &self,
        order_id: &str,
        after: u64,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Event>, ApiError> {
        // Versions have at most 10 digits (their sort keys are zero-padded to 10): nothing
        // follows a larger `after`, and its key would not sort as a number.
        if after >= MAX_VERSION {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let query = Query::partition(order_pk(order_id)).between(event_sk(after + 1), event_sk(MAX_VERSION));
        self.table.query_page(&query, limit, cursor).await?.parse()
    }

    /// The version of an order's last event (0: no event), strongly consistent.
    pub async fn stream_version(&self, order_id: &str) -> Result<u64, ApiError> {
        let query = Query::partition(order_pk(order_id))
            .begins_with(EVENT_PREFIX)
            .backward();
        let page: Page<Event> = self.table.query_page(&query, 1, None).await?.parse()?;
        Ok(page.items.first().map_or(0, |event| event.version))
    }

    /// The first event of an order: who placed it (strongly consistent).
    pub async fn first_event(&self, order_id: &str) -> Result<Option<Event>, ApiError> {
        self.table.get(event_key(order_id, 1)).await
    }

    /// Appends `events` (consecutive versions of one stream) with `also` in one transaction.
    pub async fn append(&self, events: &[Event], also: Vec<TransactWriteItem>) -> Result<(), AppendError> {
        // The other writes go first: the local backend (moto) applies a transaction's items one
        // by one and emits their stream records even when a later condition fails and it rolls
        // them back. With the events last, a refused transaction never shows an event that was
        // not appended to the projector and the saga. On AWS the order does not matter.
        let extra_writes = also.len();
        let mut writes = also;
        for event in events {
            writes.push(self.table.put_tx(event_item(event)?, Some(Condition::absent()))?);
        }
        // One event alone needs no transaction (cheaper, and the same guarantee).
        let result = match (events, writes.len()) {
            ([event], 1) => match self.table.put_new(event_item(event)?).await? {
                true => Ok(()),
                false => Err(TransactionError::Conditions(vec![0])),
            },
            _ => self.table.transact(writes).await,
        };
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) => {
                if failed.iter().any(|&index| index >= extra_writes) {
                    Err(AppendError::Taken)
                } else {
                    Err(AppendError::Refused(failed.first().copied().unwrap_or(0)))
                }
            }
            Err(TransactionError::Other(error)) => Err(AppendError::Other(error)),
        }
    }

    /// Appends OrderReceived with the caller's `Idempotency-Key`, in one transaction. `Refused(0)`
    /// means the key is taken (by an unexpired record).
    pub async fn append_received(
        &self,
        event: &Event,
        principal_id: &str,
        idempotency: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AppendError> {
        let record = IdempotencyRecord {
            order_id: event.subject.clone(),
            fingerprint: fingerprint.to_string(),
            expires_at: now.timestamp() + IDEMPOTENCY_TTL_SECONDS,
        };
        let item = keyed_item(&record, idempotency_pk(principal_id, idempotency), IDEMPOTENCY_SK)?;
        let also = vec![self.table.put_tx(item, Some(free_key(now)))?];
        self.append(std::slice::from_ref(event), also).await
    }

    /// A caller's unexpired `Idempotency-Key` record.
    pub async fn idempotency_record(
        &self,
        principal_id: &str,
        idempotency: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, ApiError> {
        let record: Option<IdempotencyRecord> = self.table.get(idempotency_key(principal_id, idempotency)).await?;
        Ok(record.filter(|record| record.expires_at >= now.timestamp()))
    }
}
