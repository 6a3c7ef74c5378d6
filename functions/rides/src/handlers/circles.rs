//! `/rides/circles[/{slug}]`: public circles, creation and edits.

use andes_shared::dynamo::retry::{self, Attempt};
use andes_shared::dynamo::{page_limit, page_of};
use andes_shared::http::{self, created, ok, ApiError};
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use lambda_http::Request;

use super::{body, caller, find_circle, member_of, path, search, HttpResult, MODIFIED};
use crate::config::State;
use crate::domain::{
    apply_circle_patch, new_circle, parse_ordering, query_bool, select_circles, validate_circle, Circle, CircleQuery,
    Membership, CIRCLE_ORDERING, CREATOR_INVITATIONS, LIMIT_BELOW_MEMBERS, SLUG_TAKEN,
};
use crate::store::CircleUpdate;

/// `GET /rides/circles`: public circles; `search`, `verified`, `is_limited`, `ordering`,
/// paged in memory with cursors bound to the query.
#[utoipa::path(
    get,
    path = "/rides/circles",
    params(crate::openapi::CircleListQuery),
    responses(
        (status = 200, description = "A page of public circles", body = andes_shared::dynamo::Page<crate::domain::CircleView>),
        (status = 403, description = "The caller's account no longer exists"),
        (status = 422, description = "A query parameter is invalid (`errors` names it)"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    caller(state, &request).await?;
    let mut errors = FieldErrors::default();
    let mut flag = |name: &str| http::query(&request, name).and_then(|raw| errors.check(name, query_bool(&raw)));
    let verified = flag("verified");
    let is_limited = flag("is_limited");
    let ordering = errors.check(
        "ordering",
        parse_ordering(http::query(&request, "ordering").as_deref(), &CIRCLE_ORDERING),
    );
    errors.finish(|| ()).map_err(ApiError::Validation)?;
    let query = CircleQuery {
        search: search(&request)?,
        verified,
        is_limited,
        ordering: ordering.unwrap_or_default(),
    };
    let limit = page_limit(http::query(&request, "limit").as_deref())?;
    let cursor = http::query(&request, "cursor");
    let circles = select_circles(state.store.public_circles().await?, &query);
    let page = page_of(circles, &query.scope(), limit, cursor.as_deref())?;
    ok(&page.try_map(|circle| Ok(circle.view()))?)
}

/// `POST /rides/circles`: the creator becomes its admin with 10 invitations.
#[utoipa::path(
    post,
    path = "/rides/circles",
    request_body = crate::openapi::CircleCreateBody,
    responses(
        (status = 201, description = "The circle; the caller is its admin", body = crate::domain::CircleView),
        (status = 403, description = "The caller's account no longer exists"),
        (status = 409, description = "The slug is taken"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let (slug, patch) = validate_circle(&body(&request)?, true).map_err(ApiError::Validation)?;
    let now = ids::now_rfc3339();
    let mut circle = new_circle(slug.unwrap_or_default(), patch, &now).map_err(ApiError::Validation)?;
    circle.members_count = 1;
    let admin = Membership::new(&circle.slug, &caller.username, true, CREATOR_INVITATIONS, None, &now);
    if !state.store.create_circle(&circle, &admin).await? {
        return Err(ApiError::Conflict(SLUG_TAKEN.into()));
    }
    created(&circle.view())
}

/// `GET /rides/circles/{slug}`: any signed-in user.
#[utoipa::path(
    get,
    path = "/rides/circles/{slug}",
    params(crate::openapi::CirclePath),
    responses(
        (status = 200, description = "The circle", body = crate::domain::CircleView),
        (status = 403, description = "The caller's account no longer exists"),
        (status = 404, description = "No such circle"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    caller(state, &request).await?;
    ok(&find_circle(state, &path(&request, "slug")).await?.view())
}

/// `PATCH /rides/circles/{slug}`: circle admins; `is_public`, `verified`, counters and the
/// slug are read-only. With `version`, a stale read is a 409; without, the change applies to
/// the circle as it is.
#[utoipa::path(
    patch,
    path = "/rides/circles/{slug}",
    params(crate::openapi::CirclePath),
    request_body = crate::openapi::CirclePatchBody,
    responses(
        (status = 200, description = "The circle as changed", body = crate::domain::CircleView),
        (status = 403, description = "Not an admin of the circle, or not an active member (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle"),
        (status = 409, description = "The `version` sent is stale"),
        (status = 503, description = "Still contended after the bounded retry of an edit without `version`; retry"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let (circle, membership) = member_of(state, &slug, &caller).await?;
    if !membership.is_admin {
        return Err(ApiError::Forbidden("only circle admins can change the circle".into()));
    }
    let (_, patch) = validate_circle(&body(&request)?, false).map_err(ApiError::Validation)?;
    let (patch, slug) = (&patch, slug.as_str());
    let mut first_read = Some(circle);
    let circle = retry::with_client_version(patch.version, MODIFIED, || {
        let first_read = first_read.take();
        async move {
            let mut circle: Circle = match first_read {
                Some(circle) => circle,
                None => find_circle(state, slug).await?,
            };
            let read = circle.version;
            if patch.version.is_some_and(|version| version != read) {
                return Ok(Attempt::Stale);
            }
            apply_circle_patch(&mut circle, patch.clone()).map_err(ApiError::Validation)?;
            match state.store.update_circle(&circle, read, &ids::now_rfc3339()).await? {
                CircleUpdate::Updated(circle) => Ok(Attempt::Done(circle)),
                CircleUpdate::Stale => Ok(Attempt::Stale),
                CircleUpdate::LimitBelowMembers => Err(ApiError::invalid("members_limit", LIMIT_BELOW_MEMBERS)),
            }
        }
    })
    .await?;
    ok(&circle.view())
}
