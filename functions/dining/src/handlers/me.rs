//! `/dining/me/…`: the caller's own resources. So far `GET /dining/me/venue`.

use andes_shared::http::ok;
use lambda_http::Request;

use super::{restaurant, HttpResult};
use crate::config::State;
use crate::domain::venue::venue_not_found;

/// `GET /dining/me/venue`: the caller's venue (its id is the caller's); 404 "Venue does not
/// exist".
#[utoipa::path(
    get,
    path = "/dining/me/venue",
    responses(
        (status = 200, description = "The caller's venue", body = crate::domain::Venue),
        (status = 404, description = "The caller has no venue (\"Venue does not exist\")"),
    )
)]
pub async fn venue(state: &State, request: Request) -> HttpResult {
    let caller = restaurant(&request)?;
    let (venue, _) = state.store.venue(&caller.id).await?.ok_or_else(venue_not_found)?;
    ok(&venue)
}
