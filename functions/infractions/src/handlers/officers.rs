//! `/infractions/admin/officers`: officers, each with one `officer` API key (issued by identity).

use andes_shared::dynamo::retry::{self, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{self, created, no_content, ok, ApiError};
use andes_shared::ids;
use lambda_http::Request;
use serde::Serialize;

use super::{admin_body, HttpResult, MODIFIED};
use crate::config::State;
use crate::domain::{self, normalize_id, Officer};
use crate::keys;
use crate::store::OFFICERS;

fn not_found() -> ApiError {
    ApiError::NotFound("officer not found".into())
}

async fn find(state: &State, id: &str) -> Result<Officer, ApiError> {
    state.store.get_officer(id).await?.ok_or_else(not_found)
}

/// The `{id}` of the path (an id that cannot exist finds nothing).
fn officer_id(request: &Request) -> Result<String, ApiError> {
    normalize_id(&http::path(request, "id")).map_err(|_| not_found())
}

/// An officer as created, with its API key.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OfficerWithKey<'a> {
    #[serde(flatten)]
    pub officer: &'a Officer,
    /// Shown once, never stored in clear.
    pub api_key: String,
}

#[utoipa::path(
    get,
    path = "/infractions/admin/officers",
    params(andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "One page of officers, by id", body = Page<Officer>),
        (status = 422, description = "`limit` out of range, or a `cursor` this list did not hand out"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    super::list::<Officer>(state, &request, OFFICERS).await
}

/// Creates the officer with a new `officer` API key, returned once.
#[utoipa::path(
    post,
    path = "/infractions/admin/officers",
    request_body = crate::openapi::OfficerBody,
    responses(
        (status = 201, description = "The new officer with its API key (shown only here)", body = OfficerWithKey),
        (status = 409, description = "The badge is already registered"),
        (status = 503, description = "No key could be issued, or too many concurrent changes; retry"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_officer(&admin_body(&request)?, false).map_err(ApiError::Validation)?;
    let directory = &state.directory;
    let now = ids::now_rfc3339();
    let mut officer = Officer {
        id: ids::new_id(),
        name: input.name.unwrap_or_default(),
        badge: input.badge.unwrap_or_default(),
        key_prefix: None,
        created: now.clone(),
        updated: now,
        version: 1,
    };
    if state.store.officer_id_by_badge(officer.badge).await?.is_some() {
        return Err(ApiError::Conflict("badge already registered".into()));
    }
    let issued = keys::issue_officer_key(directory, &officer.id).await?;
    officer.key_prefix = Some(issued.prefix.clone());
    if let Err(error) = state.store.create_officer(&officer).await {
        // The officer does not exist: its key must not work either.
        keys::revoke(directory, Some(&issued.prefix)).await?;
        return Err(error);
    }
    created(&OfficerWithKey {
        officer: &officer,
        api_key: issued.key,
    })
}

#[utoipa::path(
    get,
    path = "/infractions/admin/officers/{id}",
    params(("id" = String, Path, description = "The officer's id")),
    responses(
        (status = 200, description = "The officer", body = Officer),
        (status = 404, description = "No such officer"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    ok(&find(state, &officer_id(&request)?).await?)
}

/// A partial change. With `version` a stale write is a 409; without it the change applies to
/// the current officer, re-read and re-applied if another request wrote in between.
#[utoipa::path(
    patch,
    path = "/infractions/admin/officers/{id}",
    params(("id" = String, Path, description = "The officer's id")),
    request_body = crate::openapi::OfficerPatch,
    responses(
        (status = 200, description = "The officer as changed", body = Officer),
        (status = 404, description = "No such officer"),
        (status = 409, description = "The `version` sent is stale, or the new badge is already registered"),
        (status = 503, description = "Too many concurrent changes; retry"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let input = &domain::validate_officer(&admin_body(&request)?, true).map_err(ApiError::Validation)?;
    let id = &officer_id(&request)?;
    let officer = retry::with_client_version(input.version, &format!("the officer was {MODIFIED}"), || async move {
        let read = find(state, id).await?;
        if input.version.is_some_and(|version| version != read.version) {
            return Ok(Attempt::Stale);
        }
        let written = state.store.update_officer(&read, input, &ids::now_rfc3339()).await?;
        Ok(written.map_or(Attempt::Stale, Attempt::Done))
    })
    .await?;
    ok(&officer)
}

/// Revokes the officer's key, then deletes the officer and its badge guard.
#[utoipa::path(
    delete,
    path = "/infractions/admin/officers/{id}",
    params(("id" = String, Path, description = "The officer's id")),
    responses(
        (status = 204, description = "The officer's key is revoked and the officer deleted"),
        (status = 404, description = "No such officer"),
        (status = 503, description = "Too many concurrent changes; retry"),
    )
)]
pub async fn delete(state: &State, request: Request) -> HttpResult {
    let directory = &state.directory;
    let officer = find(state, &officer_id(&request)?).await?;
    keys::revoke(directory, officer.key_prefix.as_deref()).await?;
    state.store.delete_officer(&officer).await?;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::tests::{request, state};
    use lambda_http::http::{Method, StatusCode};

    #[tokio::test]
    async fn bodies_are_validated_before_any_read() {
        let error = create(&state(), request(Method::POST, r#"{"name":"x","badge":0}"#))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error = create(&state(), request(Method::POST, r#"{"name":"x\u0000","badge":3}"#))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
