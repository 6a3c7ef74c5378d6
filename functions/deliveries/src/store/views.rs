//! The read models the projector keeps: one view item per order (beside its events) listed by
//! four indexes, and one counter item per UTC date. A view is replaced only if it is still at
//! the version the projector read, and the counts of the events it applies are added in the same
//! transaction: a redelivered stream record can neither apply nor count twice.

use std::collections::BTreeMap;

use andes_shared::dynamo::{key, keyed_item, string, Change, Condition, Item, Page, Query, TransactionError};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDate;

use super::keys::*;
use super::Store;
use crate::domain::{Counts, EventType, Order, OrderStatus};

/// The total of a date's counters, beside one attribute per event type.
pub(super) const TOTAL: &str = "total";

/// Which orders a list shows: a client's own or everyone's, in a status or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderFilter<'a> {
    pub client_id: Option<&'a str>,
    pub status: Option<OrderStatus>,
}

impl OrderFilter<'_> {
    /// The index and partition that hold exactly the orders of this filter, newest first.
    fn query(&self) -> Query {
        match (self.client_id, self.status) {
            (None, None) => Query::index("gsi1", ORDERS),
            (Some(client), None) => Query::index("gsi2", client_orders(client)),
            (None, Some(status)) => Query::index("gsi3", orders_in(status.as_str())),
            (Some(client), Some(status)) => Query::index("gsi4", client_orders_in(client, status.as_str())),
        }
        .backward()
    }
}

pub(super) fn view_key(order_id: &str) -> Item {
    key(order_pk(order_id), VIEW_SK)
}

pub fn daily_key(date: NaiveDate) -> Item {
    key(daily_pk(&date.to_string()), DAILY_SK)
}

/// An order view as stored, with the index keys of its client and status.
pub fn view_item(order: &Order) -> Result<Item, ApiError> {
    let mut item = keyed_item(order, order_pk(&order.id), VIEW_SK)?;
    let status = order.status.as_str();
    let keys = [
        ("gsi1pk", ORDERS.to_string()),
        ("gsi2pk", client_orders(&order.client_id)),
        ("gsi3pk", orders_in(status)),
        ("gsi4pk", client_orders_in(&order.client_id, status)),
    ];
    for (index, (name, value)) in keys.into_iter().enumerate() {
        item.insert(name.into(), string(value));
        item.insert(format!("gsi{}sk", index + 1), string(&order.id));
    }
    Ok(item)
}

/// Adds `counts` to a date's counters (created at zero when absent).
fn count_change(date: NaiveDate, counts: &Counts) -> Change {
    let mut change = Change::new(daily_key(date));
    let mut total = 0;
    for (kind, count) in counts.iter().filter(|(_, count)| **count > 0) {
        change = change.add(kind.as_str(), *count as i64);
        total += count;
    }
    change.add(TOTAL, total as i64)
}

/// A date's counters as stored; attributes that are no event type (keys, total) are skipped.
pub fn counts_of(item: &Item) -> Counts {
    item.iter()
        .filter_map(|(name, value)| {
            let kind = EventType::parse(name)?;
            let AttributeValue::N(count) = value else { return None };
            Some((kind, count.parse().ok()?))
        })
        .collect()
}

impl Store {
    /// An order's view as the projector last wrote it.
    pub async fn view(&self, order_id: &str) -> Result<Option<Order>, ApiError> {
        self.table.get(view_key(order_id)).await
    }

    /// Order views newest first, one page at a time.
    pub async fn list_orders(
        &self,
        filter: OrderFilter<'_>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Order>, ApiError> {
        self.table.query_page(&filter.query(), limit, cursor).await?.parse()
    }

    /// Writes `view` if the stored view is still at version `read` (0: no view yet), adding
    /// `counts` (the applied events', by date) in the same transaction. `false` when the view
    /// has moved since it was read.
    pub async fn project(
        &self,
        view: &Order,
        read: u64,
        counts: &BTreeMap<NaiveDate, Counts>,
    ) -> Result<bool, ApiError> {
        let condition = match read {
            0 => Condition::absent(),
            read => Condition::version(read),
        };
        let mut writes = vec![self.table.put_tx(view_item(view)?, Some(condition))?];
        for (date, counts) in counts {
            writes.push(self.table.change_tx(count_change(*date, counts))?);
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// The counters of these dates (a date nothing happened on is absent).
    pub async fn daily_counts(&self, dates: &[NaiveDate]) -> Result<BTreeMap<NaiveDate, Counts>, ApiError> {
        let keys = dates.iter().map(|date| daily_key(*date)).collect();
        let items = self.table.batch_get(keys).await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let AttributeValue::S(pk) = item.get("pk")? else {
                    return None;
                };
                let date = pk.strip_prefix("DAILY#")?.parse().ok()?;
                Some((date, counts_of(item)))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use andes_shared::dynamo::from_item;

    fn s(item: &Item, name: &str) -> String {
        match item.get(name) {
            Some(AttributeValue::S(value)) => value.clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn a_view_is_listed_by_client_and_status() {
        let order = crate::domain::testing::order();
        let item = view_item(&order).unwrap();
        assert_eq!(s(&item, "pk"), "ORDER#o-1");
        assert_eq!(s(&item, "sk"), "VIEW");
        assert_eq!(s(&item, "gsi1pk"), "ORDERS");
        assert_eq!(s(&item, "gsi2pk"), "CLIENT#client-1#ORDERS");
        assert_eq!(s(&item, "gsi3pk"), "ORDERS#received");
        assert_eq!(s(&item, "gsi4pk"), "CLIENT#client-1#ORDERS#received");
        for n in 1..=4 {
            assert_eq!(s(&item, &format!("gsi{n}sk")), "o-1");
        }
        assert_eq!(from_item::<Order>(item).unwrap(), order);
    }

    #[test]
    fn counters_add_each_type_and_the_total() {
        let mut counts = crate::domain::zero_counts();
        counts.insert(EventType::OrderReceived, 2);
        counts.insert(EventType::OrderStored, 1);
        let date = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let text = format!("{:?}", count_change(date, &counts));
        assert!(text.contains("DAILY#2026-12-02"), "{text}");
        assert!(text.contains("OrderReceived") && text.contains("OrderStored") && text.contains("total"));
        assert!(!text.contains("OrderCancelled"), "zero counts are not written: {text}");
        let mut item = daily_key(date);
        item.insert("OrderReceived".into(), AttributeValue::N("2".into()));
        item.insert(TOTAL.into(), AttributeValue::N("2".into()));
        assert_eq!(counts_of(&item), Counts::from([(EventType::OrderReceived, 2)]));
    }
}
