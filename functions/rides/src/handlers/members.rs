//! `/rides/circles/{slug}/members[/{username}[/invitations]]`: memberships and invitations.

use andes_shared::dynamo::{cursor, page_limit};
use andes_shared::http::{self, created, no_content, ok, ApiError};
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use lambda_http::Request;
use serde::Serialize;

use super::{body, caller, find_circle, member_of, path, HttpResult};
use crate::config::State;
use crate::domain::{
    validate_code, Membership, MembershipView, ALREADY_MEMBER, INVALID_INVITATION, MEMBER_LIMIT_REACHED,
};
use crate::invitations;
use crate::store::JoinOutcome;

/// `GET /rides/circles/{slug}/members`: active members, a page at a time.
#[utoipa::path(
    get,
    path = "/rides/circles/{slug}/members",
    params(crate::openapi::CirclePath, andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "A page of the circle's active members", body = andes_shared::dynamo::Page<crate::domain::MembershipView>),
        (status = 403, description = "Not an active member of the circle (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle"),
        (status = 422, description = "A query parameter is invalid (`errors` names it)"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    member_of(state, &slug, &caller).await?;
    let limit = page_limit(http::query(&request, "limit").as_deref())?;
    let cursor = http::query(&request, "cursor");
    let page = state.store.list_members(&slug, limit, cursor.as_deref()).await?;
    ok(&page.try_map(|member| Ok(member.view()))?)
}

async fn active_member(state: &State, slug: &str, username: &str) -> Result<Membership, ApiError> {
    match state.store.get_membership(slug, username).await? {
        Some(membership) if membership.is_active => Ok(membership),
        _ => Err(ApiError::NotFound("member not found".into())),
    }
}

/// `GET /rides/circles/{slug}/members/{username}`: active members only.
#[utoipa::path(
    get,
    path = "/rides/circles/{slug}/members/{username}",
    params(crate::openapi::MemberPath),
    responses(
        (status = 200, description = "The membership", body = crate::domain::MembershipView),
        (status = 403, description = "Not an active member of the circle (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle, or no such active member"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    member_of(state, &slug, &caller).await?;
    ok(&active_member(state, &slug, &path(&request, "username")).await?.view())
}

/// `DELETE /rides/circles/{slug}/members/{username}`: a circle admin, or the member themself
/// (the seed let any member remove anyone). The membership becomes inactive.
#[utoipa::path(
    delete,
    path = "/rides/circles/{slug}/members/{username}",
    params(crate::openapi::MemberPath),
    responses(
        (status = 204, description = "The membership is inactive"),
        (status = 403, description = "Neither a circle admin nor the member themself, or not an active member (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle, or no such active member"),
    )
)]
pub async fn remove(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let (_, own) = member_of(state, &slug, &caller).await?;
    let username = path(&request, "username");
    if username != caller.username && !own.is_admin {
        return Err(ApiError::Forbidden(
            "only circle admins can remove other members".into(),
        ));
    }
    active_member(state, &slug, &username).await?;
    if !state.store.remove_member(&slug, &username).await? {
        return Err(ApiError::NotFound("member not found".into()));
    }
    no_content()
}

/// `POST /rides/circles/{slug}/members` `{invitation_code}`: joins with a member's code.
/// The code, the issuer's counters, the membership and the circle's count change in one
/// transaction.
#[utoipa::path(
    post,
    path = "/rides/circles/{slug}/members",
    params(crate::openapi::CirclePath),
    request_body = crate::openapi::JoinCircleBody,
    responses(
        (status = 201, description = "The caller's new membership", body = crate::domain::MembershipView),
        (status = 403, description = "The caller's account no longer exists"),
        (status = 404, description = "No such circle"),
        (status = 409, description = "The caller is (or was) a member already, or the circle has reached its member limit"),
        (status = 422, description = "The `invitation_code` is missing, invalid or not of this circle, or another field was sent (`errors` names it)"),
    )
)]
pub async fn join(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let body = body(&request)?;
    let mut errors = FieldErrors::default();
    errors.unknown(&body, &["invitation_code"]);
    let raw_code = errors.required_text(&body, "invitation_code").map(str::to_string);
    errors.finish(|| ()).map_err(ApiError::Validation)?;
    let circle = find_circle(state, &path(&request, "slug")).await?;
    if state
        .store
        .get_membership(&circle.slug, &caller.username)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(ALREADY_MEMBER.into()));
    }
    let invalid_code = || ApiError::invalid("invitation_code", INVALID_INVITATION);
    let code = validate_code(&raw_code.unwrap_or_default()).map_err(|_| invalid_code())?;
    let invitation = match state.store.get_invitation(&code).await? {
        Some(invitation) if !invitation.used && invitation.circle == circle.slug => invitation,
        _ => return Err(invalid_code()),
    };
    if circle.is_limited && circle.members_count >= circle.members_limit {
        return Err(ApiError::Conflict(MEMBER_LIMIT_REACHED.into()));
    }
    let now = ids::now_rfc3339();
    let member = Membership::new(
        &circle.slug,
        &caller.username,
        false,
        0,
        Some(invitation.issued_by.clone()),
        &now,
    );
    match state.store.join_circle(&circle, &member, &invitation, &now).await? {
        JoinOutcome::Joined => created(&member.view()),
        JoinOutcome::AlreadyMember => Err(ApiError::Conflict(ALREADY_MEMBER.into())),
        JoinOutcome::InvalidCode => Err(invalid_code()),
        JoinOutcome::LimitReached => Err(ApiError::Conflict(MEMBER_LIMIT_REACHED.into())),
    }
}

/// `GET /rides/circles/{slug}/members/{username}/invitations`: that member only. Tops the
/// unused codes up to `remaining_invitations`; answers the members they invited and the codes.
/// The answer is not paged, so any `cursor` is one this list never handed out.
#[utoipa::path(
    get,
    path = "/rides/circles/{slug}/members/{username}/invitations",
    params(crate::openapi::MemberPath, crate::openapi::InvitationsQuery),
    responses(
        (status = 200, description = "The members the caller invited and the caller's unused codes (topped up first)", body = Invitations),
        (status = 403, description = "Not the caller's own invitations, or not an active member (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle"),
        (status = 422, description = "A `cursor` was sent (`errors` names it)"),
        (status = 503, description = "The codes could not be issued; retry in a moment"),
    )
)]
pub async fn invitations(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let (_, membership) = member_of(state, &slug, &caller).await?;
    if path(&request, "username") != caller.username {
        return Err(ApiError::Forbidden("you can only see your own invitations".into()));
    }
    if http::query(&request, "cursor").is_some_and(|c| !c.is_empty()) {
        return Err(cursor::invalid_cursor());
    }
    invitations::top_up(&state.store, membership, Vec::new()).await?;
    let (codes, invited) = tokio::try_join!(
        state.store.unused_codes(&slug, &caller.username),
        state.store.invited_by(&slug, &caller.username)
    )?;
    ok(&Invitations {
        used_invitations: invited.iter().map(Membership::view).collect(),
        invitations: codes,
    })
}

/// A member's invitations.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Invitations {
    /// The members this member invited.
    pub used_invitations: Vec<MembershipView>,
    /// The member's unused codes, sorted.
    pub invitations: Vec<String>,
}
