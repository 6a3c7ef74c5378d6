//! HTTP handlers of the rides API, by resource. Each binary in `src/bin` runs one of them.

pub mod circles;
pub mod members;
pub mod rides;
pub mod users;

use andes_shared::auth::Principal;
use andes_shared::dynamo::retry::Attempt;
use andes_shared::http::{self, ApiError};
use andes_shared::ids;
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value};

use crate::config::State;
use crate::domain::{
    search_terms, validate_slug, Caller, Circle, Membership, Profile, Ride, RideRuleError, NOT_ACTIVE_MEMBER,
};

/// Request bodies of this API are small.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Longest search string accepted.
pub const MAX_SEARCH_CHARS: usize = 100;
/// A write whose item changed since it was read, for a client that sent the `version` it read.
pub const MODIFIED: &str = "modified by another request; read it again and retry";

type HttpResult = Result<Response<Body>, ApiError>;

/// The calling account as a rides user; its profile is created on first use.
pub async fn caller(state: &State, request: &Request) -> Result<Caller, ApiError> {
    let principal = Principal::require_account(request)?;
    if let Some(caller) = state.store.get_caller(&principal.id).await? {
        return Ok(caller);
    }
    let account = state
        .directory
        .account(&principal.id)
        .await?
        .ok_or_else(|| ApiError::Forbidden("account not found".into()))?;
    let caller = Caller {
        account_id: account.id,
        username: account.username,
    };
    state
        .store
        .create_caller(&caller, &Profile::new(&caller, &ids::now_rfc3339()))
        .await?;
    Ok(caller)
}

/// A path parameter, trimmed and lowercased (usernames, slugs and ids are lowercase).
fn path(request: &Request, name: &str) -> String {
    http::path(request, name).trim().to_lowercase()
}

fn body(request: &Request) -> Result<Map<String, Value>, ApiError> {
    http::json_body(request, MAX_BODY_BYTES)
}

fn rule(error: RideRuleError) -> ApiError {
    match error {
        RideRuleError::Conflict(message) => ApiError::Conflict(message.into()),
        RideRuleError::Forbidden(message) => ApiError::Forbidden(message.into()),
        RideRuleError::Invalid(errors) => ApiError::Validation(errors),
    }
}

/// A conditional write's outcome as an attempt: `None` means the item moved on.
fn written<T>(outcome: Option<T>) -> Attempt<T> {
    outcome.map_or(Attempt::Stale, Attempt::Done)
}

fn search(request: &Request) -> Result<Vec<String>, ApiError> {
    let raw = http::query(request, "search");
    if raw.as_deref().is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::invalid(
            "search",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok(search_terms(raw.as_deref()))
}

async fn find_circle(state: &State, slug: &str) -> Result<Circle, ApiError> {
    let not_found = || ApiError::NotFound("circle not found".into());
    if validate_slug(slug).is_err() {
        return Err(not_found());
    }
    state.store.get_circle(slug).await?.ok_or_else(not_found)
}

/// The circle and the caller's active membership in it (403 otherwise). Both reads run in
/// parallel.
async fn member_of(state: &State, slug: &str, caller: &Caller) -> Result<(Circle, Membership), ApiError> {
    let (circle, membership) = tokio::join!(
        find_circle(state, slug),
        state.store.get_membership(slug, &caller.username)
    );
    let circle = circle?;
    match membership? {
        Some(membership) if membership.is_active => Ok((circle, membership)),
        _ => Err(ApiError::Forbidden(NOT_ACTIVE_MEMBER.into())),
    }
}

async fn find_ride(state: &State, slug: &str, id: &str) -> Result<Ride, ApiError> {
    let not_found = || ApiError::NotFound("ride not found".into());
    if id.is_empty() || id.len() > 64 {
        return Err(not_found());
    }
    state.store.get_ride(slug, id).await?.ok_or_else(not_found)
}
