//! `/infractions/admin/persons`: the people vehicles belong to.

use andes_shared::dynamo::retry::{self, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{self, created, no_content, ok, ApiError};
use andes_shared::ids;
use lambda_http::Request;

use super::{admin_body, HttpResult, MODIFIED};
use crate::config::State;
use crate::domain::{self, normalize_id, Person};
use crate::store::PERSONS;

fn not_found() -> ApiError {
    ApiError::NotFound("person not found".into())
}

async fn find(state: &State, id: &str) -> Result<Person, ApiError> {
    state.store.get_person(id).await?.ok_or_else(not_found)
}

/// The `{id}` of the path (an id that cannot exist finds nothing).
fn person_id(request: &Request) -> Result<String, ApiError> {
    normalize_id(&http::path(request, "id")).map_err(|_| not_found())
}

#[utoipa::path(
    get,
    path = "/infractions/admin/persons",
    params(andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "One page of persons, by id", body = Page<Person>),
        (status = 422, description = "`limit` out of range, or a `cursor` this list did not hand out"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    super::list::<Person>(state, &request, PERSONS).await
}

#[utoipa::path(
    post,
    path = "/infractions/admin/persons",
    request_body = crate::openapi::PersonBody,
    responses(
        (status = 201, description = "The new person", body = Person),
        (status = 409, description = "The email is already registered"),
        (status = 503, description = "Too many concurrent changes; retry"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let input = domain::validate_person(&admin_body(&request)?, false).map_err(ApiError::Validation)?;
    let now = ids::now_rfc3339();
    let person = Person {
        id: ids::new_id(),
        name: input.name.unwrap_or_default(),
        email: input.email.unwrap_or_default(),
        created: now.clone(),
        updated: now,
        version: 1,
    };
    state.store.create_person(&person).await?;
    created(&person)
}

#[utoipa::path(
    get,
    path = "/infractions/admin/persons/{id}",
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The person", body = Person),
        (status = 404, description = "No such person"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    ok(&find(state, &person_id(&request)?).await?)
}

/// A partial change. With `version` a stale write is a 409; without it the change applies to
/// the current person, re-read and re-applied if another request wrote in between.
#[utoipa::path(
    patch,
    path = "/infractions/admin/persons/{id}",
    params(("id" = String, Path, description = "The person's id")),
    request_body = crate::openapi::PersonPatch,
    responses(
        (status = 200, description = "The person as changed", body = Person),
        (status = 404, description = "No such person"),
        (status = 409, description = "The `version` sent is stale, or the new email is already registered"),
        (status = 503, description = "Too many concurrent changes; retry"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let input = &domain::validate_person(&admin_body(&request)?, true).map_err(ApiError::Validation)?;
    let id = &person_id(&request)?;
    let person = retry::with_client_version(input.version, &format!("the person was {MODIFIED}"), || async move {
        let read = find(state, id).await?;
        if input.version.is_some_and(|version| version != read.version) {
            return Ok(Attempt::Stale);
        }
        let written = state.store.update_person(&read, input, &ids::now_rfc3339()).await?;
        Ok(written.map_or(Attempt::Stale, Attempt::Done))
    })
    .await?;
    ok(&person)
}

/// 409 while the person has vehicles, unless `?cascade=true`: then its vehicles (with
/// their infractions) go first.
#[utoipa::path(
    delete,
    path = "/infractions/admin/persons/{id}",
    params(("id" = String, Path, description = "The person's id"), crate::openapi::CascadeParam),
    responses(
        (status = 204, description = "The person is deleted (with its vehicles when `cascade=true`)"),
        (status = 404, description = "No such person"),
        (status = 409, description = "The person has vehicles and `cascade` is not `true`"),
        (status = 422, description = "`cascade` is neither `true` nor `false`"),
        (status = 503, description = "Too many concurrent changes, or the table is busy; retry"),
    )
)]
pub async fn delete(state: &State, request: Request) -> HttpResult {
    let cascade = match http::query(&request, "cascade").as_deref() {
        None | Some("false") | Some("") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("cascade", "must be true or false")),
    };
    let person = find(state, &person_id(&request)?).await?;
    if state.store.has_vehicles(&person.id).await? {
        if !cascade {
            return Err(ApiError::Conflict("person has vehicles; use cascade=true".into()));
        }
        state.store.delete_vehicles_of(&person.id).await?;
    }
    state.store.delete_person(&person).await?;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::tests::{request, state};
    use lambda_http::http::{Method, StatusCode};

    #[tokio::test]
    async fn bodies_are_validated_before_any_read() {
        let error = create(&state(), request(Method::POST, "{bad")).await.unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let error = update(&state(), request(Method::PATCH, r#"{"name":"a\u0000b"}"#))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
