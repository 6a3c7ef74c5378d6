//! `deliveries-admin rebuild-projections [--dry-run]` (§10 of the contract): every event of
//! every order, read with one Scan of the table (`store/replay.rs`), is folded with the live
//! projector's own pure functions — [`fold`] into order views, [`count_by_date`] into daily
//! counters — and [`stock_from_events`] into each warehouse's stock, then compared with the live
//! read models. The comparison and the write plan here are plain functions; the table is read and
//! written by `Store::snapshot` and `Store::write_plan`.
//!
//! Meant for a quiet system. The Scan is no snapshot of one instant, and the projector applies an
//! event a moment after it is appended: while orders move, an event may be read before its view
//! or its counters catch up, and the command reports what it read (run it again once the system
//! is quiet). A write guards each view with the version it read, so a view the projector moves
//! in between is left alone (and reported on stderr), but daily counters are overwritten whole.
//!
//! Warehouse stock belongs to the write model: it is only compared, never written.

use std::collections::BTreeMap;

use andes_shared::http::ApiError;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::{count_by_date, fold, stock_from_events, zero_counts, Counts, Event, FoldError, Order};
use crate::store::Store;

// ------------------------------------------------------------------ what the table holds

/// An order view as read from the table.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveView {
    Order(Box<Order>),
    /// A view item that does not parse as an order, as stored: it always differs, and a write
    /// replaces it.
    Unreadable(Value),
}

/// A date's counters as stored: one count per event type (an absent type is 0) and `total`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveCounts {
    pub counts: Counts,
    pub total: u64,
}

/// The items the rebuild reads, by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Every event of every order, in any order.
    pub events: Vec<Event>,
    /// The order views, by order id.
    pub views: BTreeMap<String, LiveView>,
    /// The daily counters, by UTC date.
    pub daily: BTreeMap<NaiveDate, LiveCounts>,
    /// The stock of every warehouse, by warehouse id.
    pub stock: BTreeMap<String, u32>,
}

// ------------------------------------------------------------------ the replay

/// The read models the events imply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replayed {
    /// One view per order that has events.
    pub views: BTreeMap<String, Order>,
    /// The counters of every date an event falls on (every type, zeros included).
    pub daily: BTreeMap<NaiveDate, Counts>,
    /// Reserved minus released units, by warehouse (only warehouses that stock ever moved in).
    pub stock: BTreeMap<String, i64>,
}

/// A stream that does not fold: the write model itself is broken, which no rebuild of its
/// projections can repair.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the events of order {order_id} do not fold: {error}")]
pub struct ReplayError {
    pub order_id: String,
    pub error: FoldError,
}

/// Folds `events` (of any orders, in any order) into views, counters and stock.
pub fn replay(events: &[Event]) -> Result<Replayed, ReplayError> {
    let mut streams: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in events {
        streams.entry(event.order_id()).or_default().push(event);
    }
    let mut views = BTreeMap::new();
    for (order_id, mut stream) in streams {
        stream.sort_by_key(|event| event.version);
        let stream: Vec<Event> = stream.into_iter().cloned().collect();
        let failed = |error| ReplayError {
            order_id: order_id.to_string(),
            error,
        };
        if let Some(view) = fold(&stream).map_err(failed)? {
            views.insert(order_id.to_string(), view);
        }
    }
    Ok(Replayed {
        views,
        daily: count_by_date(events),
        stock: stock_from_events(events),
    })
}

// ------------------------------------------------------------------ the comparison

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Order,
    Daily,
    Warehouse,
}

/// A read model that is not what the events imply. `live` / `replayed` are `null` where that
/// side has nothing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub kind: Kind,
    /// Order id, `YYYY-MM-DD` or warehouse id.
    pub key: String,
    pub live: Value,
    pub replayed: Value,
}

fn order_json(order: &Order) -> Value {
    serde_json::to_value(order).unwrap_or(Value::Null)
}

fn live_view_json(view: &LiveView) -> Value {
    match view {
        LiveView::Order(order) => order_json(order),
        LiveView::Unreadable(raw) => raw.clone(),
    }
}

/// Views that are missing, stale, unreadable, or left without events.
pub fn order_differences(live: &BTreeMap<String, LiveView>, replayed: &BTreeMap<String, Order>) -> Vec<Difference> {
    let mut ids: Vec<&String> = live.keys().chain(replayed.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let (live, replayed) = (live.get(id), replayed.get(id));
            let same = matches!((live, replayed), (Some(LiveView::Order(view)), Some(order)) if **view == *order);
            (!same).then(|| Difference {
                kind: Kind::Order,
                key: id.clone(),
                live: live.map_or(Value::Null, live_view_json),
                replayed: replayed.map_or(Value::Null, order_json),
            })
        })
        .collect()
}

/// Every event type's count (absent: 0) and the total, as compared and shown.
fn daily_json(counts: &Counts, total: u64) -> Value {
    let mut full = zero_counts();
    full.extend(counts.iter().map(|(kind, count)| (*kind, *count)));
    json!({"counts": full, "total": total})
}

/// Dates whose counters differ from a recount of their events in any type or in `total`. A date
/// without events is compared as all zeros, so a counter item left at zero is no difference.
pub fn daily_differences(
    live: &BTreeMap<NaiveDate, LiveCounts>,
    replayed: &BTreeMap<NaiveDate, Counts>,
) -> Vec<Difference> {
    let mut dates: Vec<&NaiveDate> = live.keys().chain(replayed.keys()).collect();
    dates.sort();
    dates.dedup();
    let nothing = Counts::new();
    dates
        .into_iter()
        .filter_map(|date| {
            let (live, replayed) = (live.get(date), replayed.get(date));
            let live_json = daily_json(live.map_or(&nothing, |l| &l.counts), live.map_or(0, |l| l.total));
            let counts = replayed.unwrap_or(&nothing);
            let replayed_json = daily_json(counts, counts.values().sum());
            (live_json != replayed_json).then(|| Difference {
                kind: Kind::Daily,
                key: date.to_string(),
                live: live.map_or(Value::Null, |_| live_json),
                replayed: replayed.map_or(Value::Null, |_| replayed_json),
            })
        })
        .collect()
}

/// Warehouses whose stock is not reserved minus released units (0 when stock never moved
/// there), and warehouses the events name that do not exist (`live: null`).
pub fn warehouse_differences(live: &BTreeMap<String, u32>, replayed: &BTreeMap<String, i64>) -> Vec<Difference> {
    let mut ids: Vec<&String> = live.keys().chain(replayed.keys()).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let live = live.get(id).map(|stock| i64::from(*stock));
            let replayed = replayed.get(id).copied().unwrap_or(0);
            (live != Some(replayed)).then(|| Difference {
                kind: Kind::Warehouse,
                key: id.clone(),
                live: live.map_or(Value::Null, Value::from),
                replayed: Value::from(replayed),
            })
        })
        .collect()
}

/// Every difference: orders, then dates, then warehouses, each by key.
pub fn differences(live: &Snapshot, replayed: &Replayed) -> Vec<Difference> {
    let mut all = order_differences(&live.views, &replayed.views);
    all.extend(daily_differences(&live.daily, &replayed.daily));
    all.extend(warehouse_differences(&live.stock, &replayed.stock));
    all
}

// ------------------------------------------------------------------ the report

/// The last stdout line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Event items read.
    pub events: usize,
    /// Orders with events (replayed views).
    pub orders: usize,
    /// Dates with events (replayed counters).
    pub days: usize,
    /// Warehouse items read.
    pub warehouses: usize,
    /// What differed when the table was read (before any write).
    pub differences: Vec<Difference>,
    pub written: bool,
}

impl Report {
    /// 0 or 1 as §10 says: a dry run fails on any difference; a write repaired the views and
    /// counters, so only a warehouse difference (never written) fails it.
    pub fn exit_code(&self) -> u8 {
        let failed = if self.written {
            self.differences.iter().any(|d| d.kind == Kind::Warehouse)
        } else {
            !self.differences.is_empty()
        };
        u8::from(failed)
    }
}

// ------------------------------------------------------------------ the write

/// What a write of a view expects to find, so that it never undoes a change made after the read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No view was read.
    Absent,
    /// The view read was at this version.
    Version(u64),
    /// The view read did not parse: replaced whatever it is.
    Anything,
}

fn expect_of(view: Option<&LiveView>) -> Expect {
    match view {
        None => Expect::Absent,
        Some(LiveView::Order(order)) => Expect::Version(order.version),
        Some(LiveView::Unreadable(_)) => Expect::Anything,
    }
}

/// The writes that replace the read models by the replayed ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Every replayed view, each expecting the view that was read.
    pub views: Vec<(Order, Expect)>,
    /// Views whose order has no event, by order id.
    pub removed_views: Vec<(String, Expect)>,
    /// Every replayed date's counters (whole items).
    pub daily: Vec<(NaiveDate, Counts)>,
    /// Counter items of dates without events.
    pub removed_days: Vec<NaiveDate>,
}

pub fn plan(live: &Snapshot, replayed: &Replayed) -> Plan {
    Plan {
        views: replayed
            .views
            .iter()
            .map(|(id, order)| (order.clone(), expect_of(live.views.get(id))))
            .collect(),
        removed_views: live
            .views
            .iter()
            .filter(|(id, _)| !replayed.views.contains_key(*id))
            .map(|(id, view)| (id.clone(), expect_of(Some(view))))
            .collect(),
        daily: replayed
            .daily
            .iter()
            .map(|(date, counts)| (*date, counts.clone()))
            .collect(),
        removed_days: live
            .daily
            .keys()
            .filter(|date| !replayed.daily.contains_key(*date))
            .copied()
            .collect(),
    }
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub views: usize,
    pub removed_views: usize,
    /// Views that changed after they were read (the projector moved them): left as they are.
    pub skipped_views: Vec<String>,
    pub days: usize,
    pub removed_days: usize,
}

// ------------------------------------------------------------------ the command

/// Runs the command against the table; progress goes to stderr, the report is returned.
pub async fn run(store: &Store, dry_run: bool) -> Result<Report, ApiError> {
    eprintln!(
        "rebuild-projections: scanning the table{}",
        if dry_run { " (dry run)" } else { "" }
    );
    let snapshot = store
        .snapshot(|items, pages| eprintln!("  scanned {items} items ({pages} pages)"))
        .await?;
    eprintln!(
        "read {} events, {} order views, {} daily counters, {} warehouses",
        snapshot.events.len(),
        snapshot.views.len(),
        snapshot.daily.len(),
        snapshot.stock.len()
    );
    let replayed = replay(&snapshot.events).map_err(ApiError::internal)?;
    let differences = differences(&snapshot, &replayed);
    let of = |kind| differences.iter().filter(|d| d.kind == kind).count();
    eprintln!(
        "replayed {} orders over {} days: {} differences ({} order, {} daily, {} warehouse)",
        replayed.views.len(),
        replayed.daily.len(),
        differences.len(),
        of(Kind::Order),
        of(Kind::Daily),
        of(Kind::Warehouse)
    );
    if !dry_run {
        let plan = plan(&snapshot, &replayed);
        eprintln!(
            "writing {} views, {} daily counters; removing {} views, {} daily counters",
            plan.views.len(),
            plan.daily.len(),
            plan.removed_views.len(),
            plan.removed_days.len()
        );
        let written = store
            .write_plan(&plan, |done, all| eprintln!("  wrote {done}/{all} items"))
            .await?;
        eprintln!(
            "wrote {} views and {} daily counters; removed {} views and {} daily counters",
            written.views, written.days, written.removed_views, written.removed_days
        );
        if !written.skipped_views.is_empty() {
            eprintln!(
                "left {} views the projector changed after the read (run again on a quiet system): {}",
                written.skipped_views.len(),
                written.skipped_views.join(", ")
            );
        }
    }
    if of(Kind::Warehouse) > 0 {
        eprintln!("warehouse stock belongs to the write model: it is reported, never written");
    }
    Ok(Report {
        events: snapshot.events.len(),
        orders: replayed.views.len(),
        days: replayed.daily.len(),
        warehouses: snapshot.stock.len(),
        differences,
        written: !dry_run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, received};
    use crate::domain::{EventData, EventType, OrderStored, StockMove};

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    /// Order `o-1` stored in `w-1` (2 units) on 2026-12-02, order `o-2` received on 2026-12-03.
    fn events() -> Vec<Event> {
        let move_ = StockMove {
            warehouse_id: "w-1".into(),
            units: 2,
        };
        let stored = OrderStored {
            warehouse_id: "w-1".into(),
        };
        vec![
            received("o-1", "client-1", "2026-12-02T10:00:00Z"),
            Event::new("o-1", 2, at("2026-12-02T10:00:01Z"), EventData::StockReserved(move_)),
            Event::new("o-1", 3, at("2026-12-02T10:00:01Z"), EventData::OrderStored(stored)),
            received("o-2", "client-2", "2026-12-03T09:00:00Z"),
        ]
    }

    /// The live read models exactly as the events imply.
    fn in_step(events: &[Event]) -> Snapshot {
        let replayed = replay(events).unwrap();
        Snapshot {
            events: events.to_vec(),
            views: replayed
                .views
                .iter()
                .map(|(id, order)| (id.clone(), LiveView::Order(Box::new(order.clone()))))
                .collect(),
            daily: replayed
                .daily
                .iter()
                .map(|(date, counts)| {
                    // Stored as the projector writes them: only the types that happened.
                    let counts: Counts = counts.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (*k, *n)).collect();
                    let total = counts.values().sum();
                    (*date, LiveCounts { counts, total })
                })
                .collect(),
            stock: BTreeMap::from([("w-1".to_string(), 2), ("w-2".to_string(), 0)]),
        }
    }

    fn compare(live: &Snapshot) -> Vec<Difference> {
        differences(live, &replay(&live.events).unwrap())
    }

    #[test]
    fn the_replay_folds_each_order_in_version_order() {
        let mut shuffled = events();
        shuffled.reverse();
        let replayed = replay(&shuffled).unwrap();
        assert_eq!(replayed, replay(&events()).unwrap());
        let first = &replayed.views["o-1"];
        assert_eq!((first.version, first.stored_at()), (3, Some("w-1")));
        assert_eq!(replayed.views["o-2"].version, 1);
        assert_eq!(replayed.daily[&day("2026-12-02")][&EventType::OrderReceived], 1);
        assert_eq!(replayed.daily[&day("2026-12-02")].values().sum::<u64>(), 3);
        assert_eq!(replayed.daily[&day("2026-12-03")].values().sum::<u64>(), 1);
        assert_eq!(replayed.stock, BTreeMap::from([("w-1".to_string(), 2)]));
    }

    #[test]
    fn a_stream_with_a_gap_does_not_replay() {
        let mut gap = events();
        gap.remove(1);
        let error = replay(&gap).unwrap_err();
        assert_eq!(error.order_id, "o-1");
        assert_eq!(error.error, FoldError::Gap { current: 1, found: 3 });
        assert!(error.to_string().contains("order o-1"), "{error}");
    }

    #[test]
    fn read_models_in_step_with_the_events_differ_in_nothing() {
        assert_eq!(compare(&in_step(&events())), []);
        assert_eq!(compare(&Snapshot::default()), []);
    }

    #[test]
    fn a_view_at_a_lower_version_is_an_order_difference() {
        let mut live = in_step(&events());
        let behind = fold(&events()[..2]).unwrap().unwrap();
        live.views
            .insert("o-1".into(), LiveView::Order(Box::new(behind.clone())));
        let found = compare(&live);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind, found[0].key.as_str()), (Kind::Order, "o-1"));
        assert_eq!(found[0].live["version"], json!(2));
        assert_eq!(found[0].replayed["version"], json!(3));
        assert_eq!(found[0].replayed["status"], json!("stored"));
    }

    #[test]
    fn a_missing_view_is_a_difference_with_live_null() {
        let mut live = in_step(&events());
        live.views.remove("o-2");
        let found = compare(&live);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind, found[0].key.as_str()), (Kind::Order, "o-2"));
        assert_eq!(found[0].live, Value::Null);
        assert_eq!(found[0].replayed["id"], json!("o-2"));
    }

    #[test]
    fn a_view_without_events_or_unreadable_is_a_difference() {
        let mut live = in_step(&events());
        let mut ghost = live.views["o-2"].clone();
        if let LiveView::Order(order) = &mut ghost {
            order.id = "o-3".into();
        }
        live.views.insert("o-3".into(), ghost);
        live.views
            .insert("o-1".into(), LiveView::Unreadable(json!({"id": "o-1", "status": 7})));
        let found = compare(&live);
        let keys: Vec<_> = found.iter().map(|d| (d.kind, d.key.as_str())).collect();
        assert_eq!(keys, [(Kind::Order, "o-1"), (Kind::Order, "o-3")]);
        assert_eq!(found[0].live, json!({"id": "o-1", "status": 7}));
        assert_eq!(found[0].replayed["version"], json!(3));
        assert_eq!(
            (found[1].live["id"].clone(), found[1].replayed.clone()),
            (json!("o-3"), Value::Null)
        );
    }

    #[test]
    fn a_counter_off_by_one_is_a_daily_difference() {
        let mut live = in_step(&events());
        let first = live.daily.get_mut(&day("2026-12-02")).unwrap();
        *first.counts.get_mut(&EventType::OrderStored).unwrap() += 1;
        first.total += 1;
        let found = compare(&live);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind, found[0].key.as_str()), (Kind::Daily, "2026-12-02"));
        assert_eq!(found[0].live["counts"]["OrderStored"], json!(2));
        assert_eq!(found[0].replayed["counts"]["OrderStored"], json!(1));
        assert_eq!(
            (found[0].live["total"].clone(), found[0].replayed["total"].clone()),
            (json!(4), json!(3))
        );
        // Every type is shown, zeros included.
        assert_eq!(found[0].live["counts"].as_object().unwrap().len(), 11);
        assert_eq!(found[0].live["counts"]["OrderCancelled"], json!(0));
    }

    #[test]
    fn a_wrong_total_alone_is_a_daily_difference() {
        let mut live = in_step(&events());
        live.daily.get_mut(&day("2026-12-03")).unwrap().total = 2;
        let found = compare(&live);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].key.as_str(), found[0].live["total"].clone()),
            ("2026-12-03", json!(2))
        );
    }

    #[test]
    fn missing_counters_and_counters_without_events() {
        let mut live = in_step(&events());
        live.daily.remove(&day("2026-12-03"));
        // A date with counters but no event: at zero it is no difference, above it is.
        live.daily.insert(day("2026-12-01"), LiveCounts::default());
        let counted = LiveCounts {
            counts: Counts::from([(EventType::OrderReceived, 1)]),
            total: 1,
        };
        live.daily.insert(day("2026-11-30"), counted);
        let found = compare(&live);
        let keys: Vec<_> = found.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["2026-11-30", "2026-12-03"]);
        assert_eq!(
            (found[0].live["total"].clone(), found[0].replayed.clone()),
            (json!(1), Value::Null)
        );
        assert_eq!(
            (found[1].live.clone(), found[1].replayed["total"].clone()),
            (Value::Null, json!(1))
        );
    }

    #[test]
    fn a_stock_difference_is_a_warehouse_difference() {
        let mut live = in_step(&events());
        live.stock.insert("w-1".into(), 4);
        live.stock.insert("w-2".into(), 1);
        let found = compare(&live);
        let shown: Vec<_> = found
            .iter()
            .map(|d| (d.kind, d.key.as_str(), d.live.clone(), d.replayed.clone()))
            .collect();
        assert_eq!(
            shown,
            [
                (Kind::Warehouse, "w-1", json!(4), json!(2)),
                (Kind::Warehouse, "w-2", json!(1), json!(0))
            ]
        );
        // Stock moved in a warehouse that does not exist.
        live.stock.clear();
        let found = compare(&live);
        assert_eq!(
            (found.len(), found[0].live.clone(), found[0].replayed.clone()),
            (1, Value::Null, json!(2))
        );
    }

    #[test]
    fn the_report_is_one_json_object_and_its_exit_code_follows_the_contract() {
        let order = Difference {
            kind: Kind::Order,
            key: "o-1".into(),
            live: Value::Null,
            replayed: json!({}),
        };
        let warehouse = Difference {
            kind: Kind::Warehouse,
            key: "w-1".into(),
            live: json!(1),
            replayed: json!(0),
        };
        let report = |differences: Vec<Difference>, written| Report {
            events: 4,
            orders: 2,
            days: 2,
            warehouses: 1,
            differences,
            written,
        };
        let text = serde_json::to_string(&report(vec![order.clone()], false)).unwrap();
        assert!(!text.contains('\n'));
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"events": 4, "orders": 2, "days": 2, "warehouses": 1, "written": false,
                   "differences": [{"kind": "order", "key": "o-1", "live": null, "replayed": {}}]})
        );
        assert_eq!(report(vec![], false).exit_code(), 0);
        assert_eq!(report(vec![order.clone()], false).exit_code(), 1);
        assert_eq!(report(vec![order.clone()], true).exit_code(), 0);
        assert_eq!(report(vec![order, warehouse.clone()], true).exit_code(), 1);
        assert_eq!(report(vec![warehouse], false).exit_code(), 1);
    }

    #[test]
    fn the_plan_replaces_views_and_counters_and_removes_those_without_events() {
        let mut live = in_step(&events());
        let unreadable = LiveView::Unreadable(json!({}));
        live.views.insert("o-1".into(), unreadable);
        live.views.remove("o-2");
        live.views.insert(
            "o-9".into(),
            LiveView::Order(Box::new(fold(&events()[3..]).unwrap().unwrap())),
        );
        live.daily.insert(day("2026-11-30"), LiveCounts::default());
        let replayed = replay(&live.events).unwrap();
        let plan = plan(&live, &replayed);
        let views: Vec<_> = plan.views.iter().map(|(o, e)| (o.id.as_str(), o.version, *e)).collect();
        assert_eq!(views, [("o-1", 3, Expect::Anything), ("o-2", 1, Expect::Absent)]);
        assert_eq!(plan.removed_views, [("o-9".to_string(), Expect::Version(1))]);
        let days: Vec<_> = plan
            .daily
            .iter()
            .map(|(d, c)| (*d, c.len(), c.values().sum::<u64>()))
            .collect();
        assert_eq!(days, [(day("2026-12-02"), 11, 3), (day("2026-12-03"), 11, 1)]);
        assert_eq!(plan.removed_days, [day("2026-11-30")]);
        // In step: every view is written over itself, at the version read.
        let plan = super::plan(&in_step(&events()), &replayed);
        assert!(plan.views.iter().all(|(o, e)| *e == Expect::Version(o.version)));
        assert!(plan.removed_views.is_empty() && plan.removed_days.is_empty());
    }
}
