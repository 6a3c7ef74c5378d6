//! What `deliveries-admin rebuild-projections` reads and writes (`crate::rebuild`): one
//! paginated, strongly consistent Scan of the whole table (an admin process may Scan; no
//! function does) sorted into events, order views, daily counters and warehouses, and the writes
//! that replace the views and counters by the replayed ones.

use andes_shared::dynamo::{from_item, number, Condition, Item};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::{stream, StreamExt};
use serde_json::Value;

use super::keys::*;
use super::views::{counts_of, daily_key, view_item};
use super::views::{view_key, TOTAL};
use super::Store;
use crate::domain::{zero_counts, Counts, Event, Order, Warehouse};
use crate::rebuild::{Expect, LiveCounts, LiveView, Plan, Snapshot, Written};

/// View writes in flight at once.
const CONCURRENT_WRITES: usize = 8;
/// Items written between two progress reports.
const PROGRESS_EVERY: usize = 500;

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value),
        _ => None,
    }
}

/// Files one item of the table into `snapshot`; items of other kinds (transports, plate locks,
/// waiting orders, idempotency keys) are skipped.
fn sort_item(item: Item, snapshot: &mut Snapshot) -> Result<(), ApiError> {
    let (Some(pk), Some(sk)) = (text(&item, "pk"), text(&item, "sk")) else {
        return Ok(());
    };
    let (pk, sk) = (pk.to_string(), sk.to_string());
    if let Some(order_id) = pk.strip_prefix("ORDER#") {
        if sk.starts_with(EVENT_PREFIX) {
            let event: Event =
                from_item(item).map_err(|error| ApiError::internal(format!("event {pk} {sk}: {error}")))?;
            if event.subject != order_id || event_sk(event.version) != sk {
                return Err(ApiError::internal(format!(
                    "event {pk} {sk} is of order {} at version {}",
                    event.subject, event.version
                )));
            }
            snapshot.events.push(event);
        } else if sk == VIEW_SK {
            let view = match from_item::<Order>(item.clone()) {
                Ok(order) => LiveView::Order(Box::new(order)),
                Err(_) => LiveView::Unreadable(from_item::<Value>(item).unwrap_or(Value::Null)),
            };
            snapshot.views.insert(order_id.to_string(), view);
        }
    } else if let (Some(date), DAILY_SK) = (pk.strip_prefix("DAILY#"), sk.as_str()) {
        let Ok(date) = date.parse() else {
            eprintln!("skipping counters {pk} {sk}: not a date");
            return Ok(());
        };
        let total = match item.get(TOTAL) {
            Some(AttributeValue::N(total)) => total.parse().unwrap_or(0),
            _ => 0,
        };
        let counts = counts_of(&item);
        snapshot.daily.insert(date, LiveCounts { counts, total });
    } else if sk == WAREHOUSE_SK {
        let warehouse: Warehouse =
            from_item(item).map_err(|error| ApiError::internal(format!("warehouse {pk}: {error}")))?;
        snapshot.stock.insert(warehouse.id, warehouse.stock);
    }
    Ok(())
}

/// A date's counters as a whole item: every event type (zeros included) and `total`.
fn counter_item(date: chrono::NaiveDate, counts: &Counts) -> Item {
    let mut full = zero_counts();
    full.extend(counts.iter().map(|(kind, count)| (*kind, *count)));
    let mut item = daily_key(date);
    for (kind, count) in &full {
        item.insert(kind.as_str().to_string(), number(*count as i64));
    }
    item.insert(TOTAL.to_string(), number(full.values().sum::<u64>() as i64));
    item
}

fn condition(expect: Expect) -> Option<Condition> {
    match expect {
        Expect::Absent => Some(Condition::absent()),
        Expect::Version(version) => Some(Condition::version(version)),
        Expect::Anything => None,
    }
}

/// One view write or removal.
enum ViewWrite<'a> {
    Put(&'a Order, Expect),
    Remove(&'a str, Expect),
}

/// What became of a view write.
enum Outcome {
    Put,
    Removed,
    /// The view was not as read (the projector moved it): left alone.
    Skipped(String),
}

impl Store {
    /// Every event, order view, daily counter and warehouse of the table (all pages of a
    /// strongly consistent Scan); `progress` hears the items and pages read so far.
    pub async fn snapshot(&self, mut progress: impl FnMut(usize, usize)) -> Result<Snapshot, ApiError> {
        let mut snapshot = Snapshot::default();
        let (mut items, mut pages) = (0, 0);
        self.table
            .scan_all(|page| {
                items += page.len();
                pages += 1;
                for item in page {
                    sort_item(item, &mut snapshot)?;
                }
                progress(items, pages);
                Ok(())
            })
            .await?;
        Ok(snapshot)
    }

    /// Writes `plan`: each view only if it is still as it was read (else it is skipped and
    /// named), whole counter items over whatever is there, and the removals. `progress` hears
    /// how many of the view writes are done.
    pub async fn write_plan(&self, plan: &Plan, progress: impl Fn(usize, usize)) -> Result<Written, ApiError> {
        let writes: Vec<ViewWrite> = plan
            .views
            .iter()
            .map(|(order, expect)| ViewWrite::Put(order, *expect))
            .chain(
                plan.removed_views
                    .iter()
                    .map(|(id, expect)| ViewWrite::Remove(id, *expect)),
            )
            .collect();
        let all = writes.len();
        let mut results = stream::iter(writes)
            .map(|write| self.write_view(write))
            .buffer_unordered(CONCURRENT_WRITES);
        let mut written = Written::default();
        let mut done = 0;
        while let Some(result) = results.next().await {
            match result? {
                Outcome::Put => written.views += 1,
                Outcome::Removed => written.removed_views += 1,
                Outcome::Skipped(order_id) => written.skipped_views.push(order_id),
            }
            done += 1;
            if done % PROGRESS_EVERY == 0 || done == all {
                progress(done, all);
            }
        }
        written.skipped_views.sort();

        let counters = plan
            .daily
            .iter()
            .map(|(date, counts)| counter_item(*date, counts))
            .collect();
        self.table.batch_put(counters).await?;
        written.days = plan.daily.len();
        let removed = plan.removed_days.iter().map(|date| daily_key(*date)).collect();
        self.table.batch_delete(removed).await?;
        written.removed_days = plan.removed_days.len();
        Ok(written)
    }

    async fn write_view(&self, write: ViewWrite<'_>) -> Result<Outcome, ApiError> {
        let (held, done, order_id) = match write {
            ViewWrite::Put(order, expect) => {
                let item = view_item(order)?;
                let held = match condition(expect) {
                    Some(condition) => self.table.put_if(item, condition).await?,
                    None => self.table.put(item).await.map(|()| true)?,
                };
                (held, Outcome::Put, order.id.as_str())
            }
            ViewWrite::Remove(order_id, expect) => {
                let held = match condition(expect) {
                    Some(condition) => self.table.delete_if(view_key(order_id), condition).await?,
                    None => self.table.delete(view_key(order_id)).await.map(|()| true)?,
                };
                (held, Outcome::Removed, order_id)
            }
        };
        Ok(if held {
            done
        } else {
            Outcome::Skipped(order_id.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{order, received, warehouse};
    use crate::domain::EventType;
    use crate::store::events::event_item;
    use crate::store::warehouse_item;
    use andes_shared::dynamo::key;

    fn sorted(items: Vec<Item>) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for item in items {
            sort_item(item, &mut snapshot).unwrap();
        }
        snapshot
    }

    #[test]
    fn scanned_items_are_sorted_by_kind() {
        let date: chrono::NaiveDate = "2026-12-02".parse().unwrap();
        let mut stored_counts = daily_key(date);
        stored_counts.insert("OrderReceived".into(), number(2));
        stored_counts.insert(TOTAL.into(), number(3));
        let mut broken_view = view_key("o-2");
        broken_view.insert("status".into(), number(7));
        let event = received("o-1", "client-1", "2026-12-02T10:00:00Z");
        let snapshot = sorted(vec![
            event_item(&event).unwrap(),
            view_item(&order()).unwrap(),
            broken_view,
            stored_counts,
            warehouse_item(&warehouse("w-1", "Bogotá", 10, 4)).unwrap(),
            key("PLATE#ABC-123", PLATE_SK),
            key(waiting_pk("w-1"), "o-1"),
            key("DAILY#someday", DAILY_SK),
        ]);
        assert_eq!(snapshot.events, [event]);
        assert_eq!(snapshot.views["o-1"], LiveView::Order(Box::new(order())));
        let LiveView::Unreadable(raw) = &snapshot.views["o-2"] else {
            panic!("{:?}", snapshot.views["o-2"]);
        };
        assert_eq!((raw["sk"].clone(), raw["status"].clone()), ("VIEW".into(), 7.into()));
        let counted = &snapshot.daily[&date];
        assert_eq!(counted.counts, Counts::from([(EventType::OrderReceived, 2)]));
        assert_eq!(counted.total, 3);
        assert_eq!(snapshot.daily.len(), 1);
        assert_eq!(snapshot.stock, [("w-1".to_string(), 4)].into());
    }

    #[test]
    fn an_event_under_another_key_is_refused() {
        let mut item = event_item(&received("o-1", "client-1", "2026-12-02T10:00:00Z")).unwrap();
        item.insert("pk".into(), AttributeValue::S(order_pk("o-2")));
        assert!(sort_item(item, &mut Snapshot::default()).is_err());
    }

    #[test]
    fn a_counter_item_has_every_type_and_the_total() {
        let date = "2026-12-02".parse().unwrap();
        let item = counter_item(date, &Counts::from([(EventType::OrderStored, 2)]));
        assert_eq!(text(&item, "pk"), Some("DAILY#2026-12-02"));
        assert_eq!(text(&item, "sk"), Some("COUNTS"));
        assert_eq!(item.len(), 2 + 11 + 1);
        assert_eq!(item.get("OrderCancelled"), Some(&number(0)));
        assert_eq!(item.get(TOTAL), Some(&number(2)));
        assert_eq!(counts_of(&item)[&EventType::OrderStored], 2);
    }
}
