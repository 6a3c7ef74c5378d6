//! Points, stats and the caller's profile (§2, §7): `/dining/stats/users/{id}`,
//! `/dining/stats/venues/{id}`, `/dining/users/{id}/points`, `GET` and `PATCH /dining/me`.
//! Points and stats are what the events worker has applied so far (eventually consistent);
//! reads never change them.

use andes_shared::auth::Principal;
use andes_shared::http::{ok, ApiError};
use identity::account::AccountView;
use lambda_http::Request;
use serde::Serialize;

use super::{body, client_or_restaurant, path_id, restaurant, HttpResult, CLIENT, RESTAURANT};
use crate::config::State;
use crate::domain::points::Points;
use crate::domain::stats::{UserStats, VenueStats};
use crate::domain::validation::profile_edit;
use crate::domain::venue::venue_not_found;
use crate::domain::{check_venue_owner, may_read_diner, user_not_found, Caller};

/// The diner named by the path, if the caller may read their points and stats: a client
/// itself, a restaurant a diner who booked at its venue; anyone else is a 404.
async fn readable_diner(state: &State, caller: &Principal, request: &Request) -> Result<String, ApiError> {
    let diner = path_id(request).ok_or_else(user_not_found)?;
    let caller = Caller {
        id: &caller.id,
        client: caller.has_role(CLIENT),
        restaurant: caller.has_role(RESTAURANT),
    };
    let booked_here = caller.restaurant && state.store.has_visited(caller.id, &diner).await?;
    match may_read_diner(caller, &diner, booked_here) {
        true => Ok(diner),
        false => Err(user_not_found()),
    }
}

/// `GET /dining/stats/users/{id}`: zeros for a diner without history.
#[utoipa::path(
    get,
    path = "/dining/stats/users/{id}",
    params(("id" = String, Path, description = "The diner's account id")),
    responses(
        (status = 200, description = "The diner's stats (zeros without history)", body = UserStats),
        (status = 404, description = "Not the caller, nor a diner who booked at the caller's venue \
            (\"User does not exist\")"),
    )
)]
pub async fn user_stats(state: &State, request: Request) -> HttpResult {
    let caller = client_or_restaurant(&request)?;
    let diner = readable_diner(state, &caller, &request).await?;
    let counters = state.store.user_counters(&diner).await?;
    ok(&UserStats::new(&diner, &counters))
}

/// `GET /dining/users/{id}/points`.
#[utoipa::path(
    get,
    path = "/dining/users/{id}/points",
    params(("id" = String, Path, description = "The diner's account id")),
    responses(
        (status = 200, description = "The diner's points and level", body = Points),
        (status = 404, description = "Not the caller, nor a diner who booked at the caller's venue \
            (\"User does not exist\")"),
    )
)]
pub async fn points(state: &State, request: Request) -> HttpResult {
    let caller = client_or_restaurant(&request)?;
    let diner = readable_diner(state, &caller, &request).await?;
    let stored = state.store.points(&diner).await?;
    ok(&Points::new(&diner, stored.total))
}

/// `GET /dining/stats/venues/{id}`: the owner only (403 "Invalid user"); the stats of the venue
/// as it is now (a venue deleted and created again starts from zero).
#[utoipa::path(
    get,
    path = "/dining/stats/venues/{id}",
    params(("id" = String, Path, description = "The venue's id: its owner's account id")),
    responses(
        (status = 200, description = "The venue's stats", body = VenueStats),
        (status = 403, description = "Not the caller's venue (\"Invalid user\")"),
        (status = 404, description = "The caller has no venue (\"Venue does not exist\")"),
    )
)]
pub async fn venue_stats(state: &State, request: Request) -> HttpResult {
    let caller = restaurant(&request)?;
    let id = path_id(&request).unwrap_or_default();
    check_venue_owner(&id, &caller.id)?;
    let (venue, _) = state.store.venue(&id).await?.ok_or_else(venue_not_found)?;
    let counters = state.store.venue_counters(&venue).await?;
    ok(&VenueStats::new(&venue.id, &counters))
}

/// `/dining/me`'s shape (the seed's gateway): the account and the caller's points.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Me {
    data: Profile,
    points: Points,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Profile {
    id: String,
    name: String,
    #[schema(required = true)]
    phone: Option<String>,
    roles: Vec<String>,
}

async fn me_of(state: &State, account: AccountView) -> HttpResult {
    let stored = state.store.points(&account.id).await?;
    ok(&Me {
        points: Points::new(&account.id, stored.total),
        data: Profile {
            id: account.id,
            name: account.name,
            phone: account.phone,
            roles: account.roles,
        },
    })
}

/// `GET /dining/me`.
#[utoipa::path(
    get,
    path = "/dining/me",
    responses(
        (status = 200, description = "The caller's account and points", body = Me),
        (status = 404, description = "The account no longer exists (\"User does not exist\")"),
    )
)]
pub async fn me(state: &State, request: Request) -> HttpResult {
    let caller = client_or_restaurant(&request)?;
    let account = state.directory.account(&caller.id).await?.ok_or_else(user_not_found)?;
    me_of(state, account).await
}

/// `PATCH /dining/me {name?, phone?}`: writes only what it names (concurrent edits of different
/// fields all land), on identity's account.
#[utoipa::path(
    patch,
    path = "/dining/me",
    request_body = crate::openapi::MePatchBody,
    responses(
        (status = 200, description = "The caller's account as changed, and points", body = Me),
        (status = 404, description = "The account no longer exists (\"User does not exist\")"),
    )
)]
pub async fn update_me(state: &State, request: Request) -> HttpResult {
    let caller = client_or_restaurant(&request)?;
    let edit = profile_edit(&body(&request)?)?;
    let account = match (edit.name, edit.phone) {
        (None, None) => state.directory.account(&caller.id).await?,
        (name, phone) => state.directory.change_name_and_phone(&caller.id, name, phone).await?,
    };
    me_of(state, account.ok_or_else(user_not_found)?).await
}
