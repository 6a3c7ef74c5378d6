//! `/deliveries/stats/daily?from=&to=`: the analytic projection, one item per date.

use andes_shared::http::ok;
use chrono::Utc;
use lambda_http::Request;
use serde_json::json;

use super::{query, staff, HttpResult};
use crate::config::State;
use crate::domain::{daily_stats, date_range};

/// Every date of the range (default: the last 7 days to today UTC), ascending, zeros included.
pub async fn daily(state: &State, request: Request) -> HttpResult {
    staff(&request)?;
    let range = date_range(
        query(&request, "from").as_deref(),
        query(&request, "to").as_deref(),
        Utc::now().date_naive(),
    )?;
    let dates = range.dates();
    let counted = state.store.daily_counts(&dates).await?;
    ok(&json!({"items": daily_stats(range.from, range.to, &counted), "next_cursor": null}))
}
