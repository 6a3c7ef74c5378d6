//! `GET /me/profile`, `PUT /me/profile`: the caller's seller profile.

use andes_shared::auth::Principal;
use andes_shared::http::{self, ok, ApiError};
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use lambda_http::Request;
use serde::Deserialize;

use super::{views, HttpResult, MAX_SMALL_BODY_BYTES};
use crate::catalog::{self, Kind};
use crate::config::State;
use crate::domain::{check_phone, Profile};

/// The whole profile: a field left out is cleared.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ProfileInput {
    state_id: Option<u32>,
    /// A city of `state_id` (which it implies when absent).
    city_id: Option<u32>,
    #[schema(schema_with = crate::openapi::phone)]
    phone: Option<String>,
    /// Whether buyers see `phone` on the ads; needs a phone.
    #[serde(default)]
    show_phone: bool,
}

#[utoipa::path(
    get,
    path = "/classifieds/me/profile",
    responses(
        (status = 200, description = "The caller's seller profile (empty until written)", body = views::ProfileView),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let profile = state
        .store
        .get_profile(&principal.id)
        .await?
        .unwrap_or_else(|| Profile::empty(&principal.id));
    ok(&views::profile(&profile))
}

/// Replaces the caller's seller profile (state, city of that state, phone, show_phone).
#[utoipa::path(
    put,
    path = "/classifieds/me/profile",
    request_body = ProfileInput,
    responses(
        (status = 200, description = "The profile as written", body = views::ProfileView),
    )
)]
pub async fn put(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let body: ProfileInput = http::json_body(&request, MAX_SMALL_BODY_BYTES)?;
    let mut e = FieldErrors::default();
    let phone = body.phone.as_deref().and_then(|p| e.check("phone", check_phone(p)));
    if body.show_phone && body.phone.is_none() {
        e.add("show_phone", "needs a phone");
    }
    let mut state_id = body.state_id;
    if let Some(city_id) = body.city_id {
        match state.catalog.get::<catalog::City>(Kind::City, city_id).await? {
            None => e.add("city_id", "is not a city of the catalog"),
            Some(city) if body.state_id.is_some_and(|s| s != city.state_id) => {
                e.add("city_id", "is not a city of this state")
            }
            Some(city) => state_id = Some(city.state_id),
        }
    } else if let Some(id) = body.state_id {
        if state.catalog.get::<catalog::State>(Kind::State, id).await?.is_none() {
            e.add("state_id", "is not a state of the catalog");
        }
    }
    e.finish(|| ()).map_err(ApiError::Validation)?;
    let profile = Profile {
        account_id: principal.id,
        state_id,
        city_id: body.city_id,
        phone,
        show_phone: body.show_phone,
        updated: ids::now_rfc3339(),
    };
    state.store.put_profile(&profile).await?;
    ok(&views::profile(&profile))
}
