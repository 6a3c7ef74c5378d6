//! Daily counters (§8), the analytic projection: how many events of each type fall on each UTC
//! date, over all orders. The projector adds one per event (idempotently, with the view
//! update); the admin rebuild recounts with [`count_by_date`]; both answer through [`DailyStats`].

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::events::{Event, EventType};

/// Most dates one `GET /stats/daily` answers (`to − from` ≤ 99 days).
pub const MAX_DATES: i64 = 100;

/// Events of each type; a full map has every type of §2.
pub type Counts = BTreeMap<EventType, u64>;

/// The UTC date an event counts on.
pub fn event_date(event: &Event) -> NaiveDate {
    event.time.date_naive()
}

/// Every event type at zero.
pub fn zero_counts() -> Counts {
    EventType::ALL.into_iter().map(|kind| (kind, 0)).collect()
}

/// One item of `GET /stats/daily`: every event type (zeros included) and their total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DailyStats {
    pub date: NaiveDate,
    /// Events of each type whose `time` falls on `date` (UTC), over all orders.
    #[schema(schema_with = crate::openapi::counts)]
    pub counts: Counts,
    pub total: u64,
}

impl DailyStats {
    /// The item of `date` from the counts stored for it (`None`: nothing happened that day).
    pub fn new(date: NaiveDate, counted: Option<&Counts>) -> Self {
        let mut counts = zero_counts();
        for (kind, count) in counted.into_iter().flatten() {
            counts.insert(*kind, *count);
        }
        let total = counts.values().sum();
        Self { date, counts, total }
    }
}

/// The counts of `events`, by date; each date's map has every type.
pub fn count_by_date<'a>(events: impl IntoIterator<Item = &'a Event>) -> BTreeMap<NaiveDate, Counts> {
    let mut days = BTreeMap::new();
    for event in events {
        let counts = days.entry(event_date(event)).or_insert_with(zero_counts);
        *counts.entry(event.event_type()).or_insert(0) += 1;
    }
    days
}

/// Every date from `from` to `to`, both included, ascending (empty when `from > to`).
pub fn dates(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    std::iter::successors(Some(from), |day| day.checked_add_days(Days::new(1)))
        .take_while(|day| *day <= to)
        .collect()
}

/// The items of a range: one per date, ascending, zeros included.
pub fn daily_stats(from: NaiveDate, to: NaiveDate, counted: &BTreeMap<NaiveDate, Counts>) -> Vec<DailyStats> {
    dates(from, to)
        .into_iter()
        .map(|date| DailyStats::new(date, counted.get(&date)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::{EventData, OrderStored};
    use crate::domain::testing::{at, received};
    use serde_json::json;

    fn day(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    fn stored(time: &str) -> Event {
        let data = EventData::OrderStored(OrderStored {
            warehouse_id: "w-1".into(),
        });
        Event::new("o-1", 3, at(time), data)
    }

    #[test]
    fn an_event_counts_on_its_utc_date() {
        assert_eq!(event_date(&stored("2026-12-02T23:59:59.999Z")), day("2026-12-02"));
        assert_eq!(event_date(&stored("2026-12-02T20:00:00-05:00")), day("2026-12-03"));
    }

    #[test]
    fn events_are_counted_by_date_and_type() {
        let events = [
            received("o-1", "c", "2026-12-02T10:00:00Z"),
            received("o-2", "c", "2026-12-02T23:00:00Z"),
            stored("2026-12-02T23:30:00Z"),
            stored("2026-12-03T00:30:00Z"),
        ];
        let days = count_by_date(&events);
        assert_eq!(days.len(), 2);
        let first = &days[&day("2026-12-02")];
        assert_eq!(first.len(), 11);
        assert_eq!(first[&EventType::OrderReceived], 2);
        assert_eq!(first[&EventType::OrderStored], 1);
        assert_eq!(first[&EventType::OrderCancelled], 0);
        assert_eq!(days[&day("2026-12-03")][&EventType::OrderStored], 1);
    }

    #[test]
    fn an_item_has_every_type_and_the_total() {
        let mut counted = Counts::new();
        counted.insert(EventType::OrderReceived, 3);
        counted.insert(EventType::OrderCancelled, 1);
        let item = DailyStats::new(day("2026-12-02"), Some(&counted));
        let written = serde_json::to_value(&item).unwrap();
        assert_eq!(written["date"], json!("2026-12-02"));
        assert_eq!(written["total"], json!(4));
        let counts = written["counts"].as_object().unwrap();
        assert_eq!(counts.len(), 11);
        for kind in EventType::ALL {
            assert!(counts.contains_key(kind.as_str()), "{kind}");
        }
        assert_eq!(counts["OrderReceived"], json!(3));
        assert_eq!(counts["StockReleased"], json!(0));
        assert_eq!(serde_json::from_value::<DailyStats>(written).unwrap(), item);
        let quiet = DailyStats::new(day("2026-12-03"), None);
        assert_eq!((quiet.counts, quiet.total), (zero_counts(), 0));
    }

    #[test]
    fn a_range_lists_every_date_ascending() {
        assert_eq!(
            dates(day("2026-12-30"), day("2027-01-02")),
            [
                day("2026-12-30"),
                day("2026-12-31"),
                day("2027-01-01"),
                day("2027-01-02")
            ]
        );
        assert_eq!(dates(day("2024-02-28"), day("2024-03-01")).len(), 3);
        assert_eq!(dates(day("2026-12-02"), day("2026-12-02")), [day("2026-12-02")]);
        assert!(dates(day("2026-12-03"), day("2026-12-02")).is_empty());
    }

    #[test]
    fn daily_stats_fill_the_quiet_days_with_zeros() {
        let events = [received("o-1", "c", "2026-12-02T10:00:00Z")];
        let items = daily_stats(day("2026-12-01"), day("2026-12-03"), &count_by_date(&events));
        let totals: Vec<_> = items.iter().map(|i| (i.date, i.total)).collect();
        assert_eq!(
            totals,
            [(day("2026-12-01"), 0), (day("2026-12-02"), 1), (day("2026-12-03"), 0)]
        );
        assert!(items.iter().all(|i| i.counts.len() == 11));
    }
}
