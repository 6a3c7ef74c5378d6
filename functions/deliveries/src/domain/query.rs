//! Query parameters (§5, §8): list filters, the event feed's `after`/`limit`/`wait`, and the
//! daily stats' `from`/`to`. Each problem is a 422 naming its parameter; an empty value counts as
//! absent. (`limit` of plain lists and `cursor` are `andes_shared::dynamo`'s.)

use andes_shared::dynamo::{DEFAULT_LIMIT, MAX_LIMIT};
use andes_shared::http::ApiError;
use andes_shared::validation::FieldErrors;
use chrono::{Days, NaiveDate};

use super::order::OrderStatus;
use super::stats::{dates, MAX_DATES};
use super::transport::TransportStatus;

/// Longest hold of the event feed: every call stays under API Gateway's 30 s limit.
pub const MAX_WAIT_SECONDS: u64 = 20;
/// Dates of the default stats range: today and the 6 days before.
pub const DEFAULT_DAYS: u64 = 7;

pub const BAD_ORDER_STATUS: &str = "must be one of received, stored, dispatched, delivered, returned, cancelled";
pub const BAD_TRANSPORT_STATUS: &str = "must be one of loaded, on_the_way, dispatched";
pub const BAD_DATE: &str = "must be a date YYYY-MM-DD";
pub const FROM_AFTER_TO: &str = "must not be after to";
pub const TOO_MANY_DATES: &str = "must be at most 99 days after from (100 dates)";

/// `GET /orders?status=`.
pub fn order_status_filter(raw: Option<&str>) -> Result<Option<OrderStatus>, ApiError> {
    present(raw)
        .map(|raw| OrderStatus::parse(raw).ok_or_else(|| ApiError::invalid("status", BAD_ORDER_STATUS)))
        .transpose()
}

/// `GET /transports?status=`.
pub fn transport_status_filter(raw: Option<&str>) -> Result<Option<TransportStatus>, ApiError> {
    present(raw)
        .map(|raw| TransportStatus::parse(raw).ok_or_else(|| ApiError::invalid("status", BAD_TRANSPORT_STATUS)))
        .transpose()
}

/// `GET /orders/{id}/events?after=0&limit=20&wait=0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventsQuery {
    /// Events with a version above this one.
    pub after: u64,
    pub limit: i32,
    /// How long to hold the request when no event follows `after` (0: answer at once).
    pub wait_seconds: u64,
}

pub fn events_query(after: Option<&str>, limit: Option<&str>, wait: Option<&str>) -> Result<EventsQuery, ApiError> {
    let mut errors = FieldErrors::default();
    let after = integer(&mut errors, "after", after, (0, u64::MAX), 0);
    let default_limit = u64::try_from(DEFAULT_LIMIT).unwrap_or(20);
    let max_limit = u64::try_from(MAX_LIMIT).unwrap_or(100);
    let limit = integer(&mut errors, "limit", limit, (1, max_limit), default_limit);
    let wait_seconds = integer(&mut errors, "wait", wait, (0, MAX_WAIT_SECONDS), 0);
    match (after, limit.and_then(|n| i32::try_from(n).ok()), wait_seconds) {
        (Some(after), Some(limit), Some(wait_seconds)) if errors.is_empty() => Ok(EventsQuery {
            after,
            limit,
            wait_seconds,
        }),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// `GET /stats/daily?from=&to=`: both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// Every date of the range, ascending.
    pub fn dates(&self) -> Vec<NaiveDate> {
        dates(self.from, self.to)
    }
}

/// `to` defaults to `today` (UTC), `from` to `to` − 6 days; `from > to` names `from`, more than
/// 100 dates names `to`, a malformed date names itself. Future dates are allowed.
pub fn date_range(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<DateRange, ApiError> {
    let mut errors = FieldErrors::default();
    let from = date(&mut errors, "from", from);
    let to = date(&mut errors, "to", to).map(|to| to.unwrap_or(today));
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::Validation(errors.0));
    };
    let from = from.unwrap_or_else(|| to.checked_sub_days(Days::new(DEFAULT_DAYS - 1)).unwrap_or(to));
    if from > to {
        return Err(ApiError::invalid("from", FROM_AFTER_TO));
    }
    if (to - from).num_days() >= MAX_DATES {
        return Err(ApiError::invalid("to", TOO_MANY_DATES));
    }
    Ok(DateRange { from, to })
}

fn present(raw: Option<&str>) -> Option<&str> {
    raw.filter(|raw| !raw.is_empty())
}

/// An integer parameter within `(min, max)`, `default` when absent; `None` when refused.
fn integer(
    errors: &mut FieldErrors,
    name: &str,
    raw: Option<&str>,
    (min, max): (u64, u64),
    default: u64,
) -> Option<u64> {
    let Some(raw) = present(raw) else {
        return Some(default);
    };
    let message = if max == u64::MAX {
        format!("must be an integer of at least {min}")
    } else {
        format!("must be an integer from {min} to {max}")
    };
    let parsed = raw.parse::<u64>().ok().filter(|n| (min..=max).contains(n));
    errors.check(name, parsed.ok_or(message))
}

/// A `YYYY-MM-DD` parameter: `Some(None)` when absent, `None` when refused.
fn date(errors: &mut FieldErrors, name: &str, raw: Option<&str>) -> Option<Option<NaiveDate>> {
    let Some(raw) = present(raw) else {
        return Some(None);
    };
    let parsed = Some(raw)
        .filter(|raw| raw.len() == 10)
        .and_then(|raw| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok());
    errors.check(name, parsed.ok_or_else(|| BAD_DATE.to_string())).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{fields, problems};

    fn day(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn status_filters_take_the_statuses_or_nothing() {
        assert_eq!(order_status_filter(None).unwrap(), None);
        assert_eq!(order_status_filter(Some("")).unwrap(), None);
        assert_eq!(order_status_filter(Some("stored")).unwrap(), Some(OrderStatus::Stored));
        assert_eq!(
            problems(order_status_filter(Some("lost")).unwrap_err()),
            [("status".to_string(), BAD_ORDER_STATUS.to_string())]
        );
        assert_eq!(
            transport_status_filter(Some("on_the_way")).unwrap(),
            Some(TransportStatus::OnTheWay)
        );
        assert_eq!(fields(transport_status_filter(Some("Loaded")).unwrap_err()), ["status"]);
    }

    #[test]
    fn the_event_feed_defaults_to_everything_at_once() {
        assert_eq!(
            events_query(None, None, None).unwrap(),
            EventsQuery {
                after: 0,
                limit: 20,
                wait_seconds: 0
            }
        );
        assert_eq!(
            events_query(Some("6"), Some("100"), Some("20")).unwrap(),
            EventsQuery {
                after: 6,
                limit: 100,
                wait_seconds: 20
            }
        );
        assert_eq!(events_query(Some(""), Some(""), Some("")).unwrap().limit, 20);
    }

    #[test]
    fn every_bad_feed_parameter_is_named() {
        assert_eq!(
            problems(events_query(Some("-1"), Some("0"), Some("21")).unwrap_err()),
            [
                ("after".to_string(), "must be an integer of at least 0".to_string()),
                ("limit".to_string(), "must be an integer from 1 to 100".to_string()),
                ("wait".to_string(), "must be an integer from 0 to 20".to_string()),
            ]
        );
        assert_eq!(fields(events_query(Some("x"), None, None).unwrap_err()), ["after"]);
        assert_eq!(fields(events_query(None, Some("101"), None).unwrap_err()), ["limit"]);
        assert_eq!(fields(events_query(None, None, Some("1.5")).unwrap_err()), ["wait"]);
    }

    #[test]
    fn the_stats_range_defaults_to_the_last_seven_days() {
        let today = day("2026-12-10");
        let range = date_range(None, None, today).unwrap();
        assert_eq!((range.from, range.to), (day("2026-12-04"), today));
        assert_eq!(range.dates().len(), 7);
        let range = date_range(None, Some("2027-01-03"), today).unwrap();
        assert_eq!(range.from, day("2026-12-28"));
        let range = date_range(Some("2026-12-10"), None, today).unwrap();
        assert_eq!((range.from, range.to), (today, today));
    }

    #[test]
    fn the_stats_range_holds_at_most_100_dates() {
        let today = day("2026-12-10");
        let range = date_range(Some("2026-01-01"), Some("2026-04-10"), today).unwrap();
        assert_eq!(range.dates().len(), 100);
        assert_eq!(
            problems(date_range(Some("2026-01-01"), Some("2026-04-11"), today).unwrap_err()),
            [("to".to_string(), TOO_MANY_DATES.to_string())]
        );
        assert_eq!(
            problems(date_range(Some("2026-12-11"), Some("2026-12-10"), today).unwrap_err()),
            [("from".to_string(), FROM_AFTER_TO.to_string())]
        );
        assert_eq!(
            fields(date_range(Some("2026-12-11"), None, today).unwrap_err()),
            ["from"]
        );
    }

    #[test]
    fn malformed_dates_name_themselves() {
        let today = day("2026-12-10");
        assert_eq!(
            problems(date_range(Some("2026-2-1"), Some("10/12/2026"), today).unwrap_err()),
            [
                ("from".to_string(), BAD_DATE.to_string()),
                ("to".to_string(), BAD_DATE.to_string())
            ]
        );
        for bad in ["2026-02-30", "2026-12-10T00:00:00Z", "today", "+02026-12-1"] {
            assert_eq!(
                fields(date_range(Some(bad), None, today).unwrap_err()),
                ["from"],
                "{bad}"
            );
        }
    }
}
