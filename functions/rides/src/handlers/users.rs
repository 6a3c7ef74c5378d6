//! `/rides/users/{username}`: profiles and the owner's summary.

use andes_shared::dynamo::retry::{self, Attempt};
use andes_shared::http::{ok, ApiError};
use lambda_http::Request;
use serde::Serialize;

use super::{body, caller, path, written, HttpResult, MODIFIED};
use crate::config::State;
use crate::domain::{validate_profile_patch, Caller, Circle, CircleView, OwnerProfileView, Profile};

/// `GET /rides/users/{username}/profile`: any signed-in user.
#[utoipa::path(
    get,
    path = "/rides/users/{username}/profile",
    params(crate::openapi::UserPath),
    responses(
        (status = 200, description = "The profile (the default one for a user who never used rides)", body = crate::domain::ProfileView),
        (status = 403, description = "The caller's account no longer exists"),
        (status = 404, description = "No such user"),
    )
)]
pub async fn get_profile(state: &State, request: Request) -> HttpResult {
    caller(state, &request).await?;
    let username = path(&request, "username");
    if let Some(profile) = state.store.get_profile(&username).await? {
        return ok(&profile.view());
    }
    // An account that never used rides has the default profile.
    match state.directory.account_id_by_username(&username).await? {
        Some(account_id) => ok(&Profile::new(&Caller { account_id, username }, "").view()),
        None => Err(ApiError::NotFound("user not found".into())),
    }
}

/// `PATCH /rides/users/{username}/profile`: the owner only (`picture`, `biography`, and the
/// `version` read, if the client wants a 409 when it is stale). Without `version` the change
/// applies to the profile as it is.
#[utoipa::path(
    patch,
    path = "/rides/users/{username}/profile",
    params(crate::openapi::UserPath),
    request_body = crate::openapi::ProfilePatchBody,
    responses(
        (status = 200, description = "The profile as changed, with its version", body = crate::domain::OwnerProfileView),
        (status = 403, description = "Not the caller's own profile (or the caller's account no longer exists)"),
        (status = 409, description = "The `version` sent is stale"),
        (status = 503, description = "Still contended after the bounded retry of an edit without `version`; retry"),
    )
)]
pub async fn update_profile(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    if path(&request, "username") != caller.username {
        return Err(ApiError::Forbidden("you can only change your own profile".into()));
    }
    let patch = validate_profile_patch(&body(&request)?).map_err(ApiError::Validation)?;
    let (patch, username) = (&patch, caller.username.as_str());
    let profile = retry::with_client_version(patch.version, MODIFIED, || async move {
        let mut profile = state
            .store
            .get_profile(username)
            .await?
            .ok_or_else(|| ApiError::internal("caller without profile"))?;
        let read = profile.version;
        if patch.version.is_some_and(|version| version != read) {
            return Ok(Attempt::Stale);
        }
        profile.apply(patch);
        Ok(written(state.store.update_profile(&profile, read).await?))
    })
    .await?;
    ok(&profile.owner_view())
}

/// `GET /rides/users/{username}`: the owner only: account summary, profile and active circles.
#[utoipa::path(
    get,
    path = "/rides/users/{username}",
    params(crate::openapi::UserPath),
    responses(
        (status = 200, description = "The caller's account, profile and active circles", body = UserSummary),
        (status = 403, description = "Not the caller's own account (or the caller's account no longer exists)"),
        (status = 404, description = "The account no longer exists"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    if path(&request, "username") != caller.username {
        return Err(ApiError::Forbidden("you can only see your own account".into()));
    }
    let (account, profile, memberships) = tokio::try_join!(
        state.directory.account(&caller.account_id),
        state.store.get_profile(&caller.username),
        state.store.memberships_of(&caller.username),
    )?;
    let account = account.ok_or_else(|| ApiError::NotFound("user not found".into()))?;
    let profile = profile.ok_or_else(|| ApiError::internal("caller without profile"))?;
    let slugs: Vec<String> = memberships
        .iter()
        .filter(|m| m.is_active)
        .map(|m| m.circle.clone())
        .collect();
    let circles = state.store.circles(&slugs).await?;
    ok(&UserSummary {
        user: UserAccount {
            id: account.id,
            username: account.username,
            email: account.email,
            name: account.name,
            phone: account.phone,
            verified: account.verified,
            profile: profile.owner_view(),
        },
        circles: circles.iter().map(Circle::view).collect(),
    })
}

/// The owner's summary: account, profile and active circles.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserSummary {
    pub user: UserAccount,
    /// The circles the user is an active member of, by slug.
    pub circles: Vec<CircleView>,
}

/// The owner's account (from identity) with their rides profile.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserAccount {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    #[schema(required = true)]
    pub phone: Option<String>,
    pub verified: bool,
    pub profile: OwnerProfileView,
}
