//! `/deliveries/stats/daily?from=&to=`: the analytic projection, one item per date.

use andes_shared::dynamo::Page;
use andes_shared::http::ok;
use chrono::Utc;
use lambda_http::Request;

use super::{query, staff, HttpResult};
use crate::config::State;
use crate::domain::{daily_stats, date_range, DailyStats};

/// Every date of the range (default: the last 7 days to today UTC), ascending, zeros included.
#[utoipa::path(
    get,
    path = "/deliveries/stats/daily",
    params(crate::openapi::StatsQuery),
    responses(
        (status = 200, description = "One item per date of the range, ascending, zeros included; `next_cursor` is \
            always `null`", body = Page<DailyStats>),
        (status = 422, description = "`from` or `to` is not a date, `from` is after `to`, or the range holds more \
            than 100 dates (`errors` names the parameter)"),
        (status = 503, description = "The table is busy; retry in a moment"),
    )
)]
pub async fn daily(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    let range = date_range(
        query(&request, "from").as_deref(),
        query(&request, "to").as_deref(),
        Utc::now().date_naive(),
    )?;
    let dates = range.dates();
    let counted = state.store.daily_counts(&dates).await?;
    ok(&Page {
        items: daily_stats(range.from, range.to, &counted),
        next_cursor: None,
    })
}
