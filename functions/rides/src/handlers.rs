//! HTTP handlers of the rides API. Each binary in `src/bin` runs one of them.

use andes_shared::auth::Principal;
use andes_shared::dynamo::page_limit;
use andes_shared::http::{created, no_content, ok, parse_json_bounded, ApiError, FieldError};
use andes_shared::ids;
use chrono::{Duration, Utc};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Map, Value};

use crate::domain::*;
use crate::invitations;
use crate::store::{JoinOutcome, RateOutcome, Store};

/// Request bodies of this API are small.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Longest search string accepted.
const MAX_SEARCH_CHARS: usize = 100;

/// What every handler needs: the rides table, and the identity table to resolve usernames.
pub struct State {
    pub store: Store,
    pub identity: crate::config::Identity,
}

impl State {
    pub async fn from_env() -> Result<Self, andes_shared::config::ConfigError> {
        let (store, identity) = crate::config::stores().await?;
        Ok(Self { store, identity })
    }

    /// The calling account as a rides user; its profile is created on first use.
    pub async fn caller(&self, request: &Request) -> Result<Caller, ApiError> {
        let principal = Principal::require_account(request)?;
        if let Some(caller) = self.store.get_caller(&principal.id).await? {
            return Ok(caller);
        }
        let account = self
            .identity
            .account(&principal.id)
            .await?
            .ok_or_else(|| ApiError::Forbidden("account not found".into()))?;
        let caller = Caller {
            account_id: account.id,
            username: account.username,
        };
        self.store
            .create_caller(&caller, &Profile::new(&caller, &ids::now_rfc3339()))
            .await?;
        Ok(caller)
    }
}

type HttpResult = Result<Response<Body>, ApiError>;

/// Longest path parameter looked up (usernames, slugs and ids are far shorter); a longer one
/// finds nothing (404) instead of reaching DynamoDB's key size limit.
const MAX_PATH_PARAM: usize = 128;

fn path_param(request: &Request, name: &str) -> String {
    let value = request
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .unwrap_or_default()
        .trim();
    if value.len() > MAX_PATH_PARAM {
        return String::new();
    }
    value.to_lowercase()
}

fn query_param(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

fn body(request: &Request) -> Result<Map<String, Value>, ApiError> {
    parse_json_bounded(request, MAX_BODY_BYTES)
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation(errors)
}

fn rule(error: RideRuleError) -> ApiError {
    match error {
        RideRuleError::Conflict(message) => ApiError::Conflict(message.into()),
        RideRuleError::Forbidden(message) => ApiError::Forbidden(message.into()),
        RideRuleError::Invalid(errors) => ApiError::Validation(errors),
    }
}

fn search(request: &Request) -> Result<Vec<String>, ApiError> {
    let raw = query_param(request, "search");
    if raw.as_deref().is_some_and(|s| s.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::invalid(
            "search",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    Ok(search_terms(raw.as_deref()))
}

fn paging(request: &Request) -> Result<(usize, usize), ApiError> {
    let limit = page_limit(query_param(request, "limit").as_deref())? as usize;
    let offset =
        parse_offset_cursor(query_param(request, "cursor").as_deref()).map_err(|m| ApiError::invalid("cursor", m))?;
    Ok((offset, limit))
}

async fn find_circle(state: &State, slug: &str) -> Result<Circle, ApiError> {
    let not_found = || ApiError::NotFound("circle not found".into());
    if validate_slug(slug).is_err() {
        return Err(not_found());
    }
    state.store.get_circle(slug).await?.ok_or_else(not_found)
}

/// The circle and the caller's active membership in it (403 otherwise).
/// Both reads run in parallel.
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

async fn find_ride(state: &State, slug: &str, request: &Request) -> Result<Ride, ApiError> {
    let id = path_param(request, "id");
    let not_found = || ApiError::NotFound("ride not found".into());
    if id.is_empty() || id.len() > 64 {
        return Err(not_found());
    }
    state.store.get_ride(slug, &id).await?.ok_or_else(not_found)
}

// ------------------------------------------------------------------------------ users

/// `GET /rides/users/{username}/profile`: any signed-in user.
pub async fn get_profile(state: &State, request: Request) -> HttpResult {
    state.caller(&request).await?;
    let username = path_param(&request, "username");
    if let Some(profile) = state.store.get_profile(&username).await? {
        return ok(&profile.view());
    }
    // An account that never used rides has the default profile.
    match state.identity.account_id_of(&username).await? {
        Some(account_id) => ok(&Profile::new(&Caller { account_id, username }, "").view()),
        None => Err(ApiError::NotFound("user not found".into())),
    }
}

/// `PATCH /rides/users/{username}/profile`: the owner only (`picture`, `biography`).
pub async fn update_profile(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    if path_param(&request, "username") != caller.username {
        return Err(ApiError::Forbidden("you can only change your own profile".into()));
    }
    let patch = validate_profile_patch(&body(&request)?).map_err(invalid)?;
    let mut profile = state
        .store
        .get_profile(&caller.username)
        .await?
        .ok_or_else(|| ApiError::internal("caller without profile"))?;
    let expected = profile.version;
    if let Some(picture) = patch.picture {
        profile.picture = picture;
    }
    if let Some(biography) = patch.biography {
        profile.biography = biography;
    }
    ok(&state.store.update_profile(&profile, expected).await?.view())
}

/// `GET /rides/users/{username}`: the owner only: account summary, profile and active circles.
pub async fn get_user(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    if path_param(&request, "username") != caller.username {
        return Err(ApiError::Forbidden("you can only see your own account".into()));
    }
    let (account, profile, memberships) = tokio::try_join!(
        state.identity.account(&caller.account_id),
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
    ok(&json!({
        "user": {
            "id": account.id,
            "username": account.username,
            "email": account.email,
            "name": account.name,
            "phone": account.phone,
            "verified": account.verified,
            "profile": profile.view(),
        },
        "circles": circles.iter().map(Circle::view).collect::<Vec<_>>(),
    }))
}

// ------------------------------------------------------------------------------ circles

/// `GET /rides/circles`: public circles; `search`, `verified`, `is_limited`, `ordering`.
pub async fn list_circles(state: &State, request: Request) -> HttpResult {
    state.caller(&request).await?;
    let mut errors = andes_shared::validation::FieldErrors::default();
    let mut flag = |name: &str| query_param(&request, name).and_then(|raw| errors.check(name, query_bool(&raw)));
    let verified = flag("verified");
    let is_limited = flag("is_limited");
    let ordering = errors.check(
        "ordering",
        parse_ordering(query_param(&request, "ordering").as_deref(), &CIRCLE_ORDERING),
    );
    errors.finish(|| ()).map_err(invalid)?;
    let query = CircleQuery {
        search: search(&request)?,
        verified,
        is_limited,
        ordering: ordering.unwrap_or_default(),
    };
    let (offset, limit) = paging(&request)?;
    let circles = select_circles(state.store.public_circles().await?, &query);
    ok(&page(circles, offset, limit, Circle::view))
}

/// `POST /rides/circles`: the creator becomes its admin with 10 invitations.
pub async fn create_circle(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let (slug, patch) = validate_circle(&body(&request)?, true).map_err(invalid)?;
    let now = ids::now_rfc3339();
    let mut circle = new_circle(slug.unwrap_or_default(), patch, &now).map_err(invalid)?;
    circle.members_count = 1;
    let admin = Membership::new(&circle.slug, &caller.username, true, CREATOR_INVITATIONS, None, &now);
    state.store.create_circle(&circle, &admin).await?;
    created(&circle.view())
}

/// `GET /rides/circles/{slug}`: any signed-in user.
pub async fn get_circle(state: &State, request: Request) -> HttpResult {
    state.caller(&request).await?;
    ok(&find_circle(state, &path_param(&request, "slug")).await?.view())
}

/// `PATCH /rides/circles/{slug}`: circle admins; `is_public`, `verified`, counters and the
/// slug are read-only.
pub async fn update_circle(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let (mut circle, membership) = member_of(state, &path_param(&request, "slug"), &caller).await?;
    if !membership.is_admin {
        return Err(ApiError::Forbidden("only circle admins can change the circle".into()));
    }
    let (_, patch) = validate_circle(&body(&request)?, false).map_err(invalid)?;
    let expected = circle.version;
    apply_circle_patch(&mut circle, patch).map_err(invalid)?;
    ok(&state
        .store
        .update_circle(&circle, expected, &ids::now_rfc3339())
        .await?
        .view())
}

// ------------------------------------------------------------------------------ members

/// `GET /rides/circles/{slug}/members`: active members only.
pub async fn list_members(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    member_of(state, &slug, &caller).await?;
    let limit = page_limit(query_param(&request, "limit").as_deref())?;
    let cursor = query_param(&request, "cursor");
    let page = state.store.list_members(&slug, limit, cursor.as_deref()).await?;
    ok(
        &json!({ "items": page.items.iter().map(Membership::view).collect::<Vec<_>>(), "next_cursor": page.next_cursor }),
    )
}

async fn active_member(state: &State, slug: &str, username: &str) -> Result<Membership, ApiError> {
    match state.store.get_membership(slug, username).await? {
        Some(membership) if membership.is_active => Ok(membership),
        _ => Err(ApiError::NotFound("member not found".into())),
    }
}

/// `GET /rides/circles/{slug}/members/{username}`: active members only.
pub async fn get_member(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    member_of(state, &slug, &caller).await?;
    ok(&active_member(state, &slug, &path_param(&request, "username"))
        .await?
        .view())
}

/// `DELETE /rides/circles/{slug}/members/{username}`: a circle admin, or the member themself
/// (the seed let any member remove anyone). The membership becomes inactive.
pub async fn remove_member(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    let (_, own) = member_of(state, &slug, &caller).await?;
    let username = path_param(&request, "username");
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
pub async fn join_circle(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let body = body(&request)?;
    let mut errors = andes_shared::validation::FieldErrors::default();
    errors.unknown(&body, &["invitation_code"]);
    let raw_code = errors.required_text(&body, "invitation_code").map(str::to_string);
    errors.finish(|| ()).map_err(invalid)?;
    let circle = find_circle(state, &path_param(&request, "slug")).await?;
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
pub async fn list_invitations(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    let (_, membership) = member_of(state, &slug, &caller).await?;
    if path_param(&request, "username") != caller.username {
        return Err(ApiError::Forbidden("you can only see your own invitations".into()));
    }
    invitations::top_up(&state.store, membership, Vec::new()).await?;
    let (codes, invited) = tokio::try_join!(
        state.store.unused_codes(&slug, &caller.username),
        state.store.invited_by(&slug, &caller.username)
    )?;
    ok(&json!({
        "used_invitations": invited.iter().map(Membership::view).collect::<Vec<_>>(),
        "invitations": codes,
    }))
}

// ------------------------------------------------------------------------------ rides

/// `GET /rides/circles/{slug}/rides`: active rides leaving at least 10 minutes from now
/// with a seat left; `search` on locations, `ordering`.
pub async fn list_rides(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    member_of(state, &slug, &caller).await?;
    let ordering = parse_ordering(query_param(&request, "ordering").as_deref(), &RIDE_ORDERING)
        .map_err(|m| ApiError::invalid("ordering", m))?;
    let terms = search(&request)?;
    let (offset, limit) = paging(&request)?;
    let now = Utc::now();
    let from = ids::rfc3339(now + Duration::minutes(MIN_DEPARTURE_MINUTES));
    let rides = select_rides(state.store.circle_rides(&slug, &from).await?, &terms, &ordering, now);
    ok(&page(rides, offset, limit, Ride::view))
}

/// `POST /rides/circles/{slug}/rides`: an active member offers a ride.
pub async fn create_ride(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    let input = validate_ride(&body(&request)?, true, &caller.username, Utc::now()).map_err(invalid)?;
    let (circle, _) = member_of(state, &slug, &caller).await?;
    let ride = new_ride(&circle.slug, &caller.username, input, &ids::now_rfc3339());
    if !state.store.create_ride(&ride).await? {
        return Err(ApiError::Forbidden(NOT_ACTIVE_MEMBER.into()));
    }
    created(&ride.view())
}

/// `GET /rides/circles/{slug}/rides/{id}`: active members.
pub async fn get_ride(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    member_of(state, &slug, &caller).await?;
    ok(&find_ride(state, &slug, &request).await?.view())
}

fn require_owner(ride: &Ride, caller: &Caller) -> Result<(), ApiError> {
    if ride.offered_by != caller.username {
        return Err(ApiError::Forbidden("only the ride owner can do this".into()));
    }
    Ok(())
}

/// `PATCH /rides/circles/{slug}/rides/{id}`: the owner, before departure.
pub async fn update_ride(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    let body = body(&request)?;
    member_of(state, &slug, &caller).await?;
    let mut ride = find_ride(state, &slug, &request).await?;
    require_owner(&ride, &caller)?;
    let now = Utc::now();
    if ride.departure() <= now {
        return Err(ApiError::Conflict(ONGOING_RIDE.into()));
    }
    let input = validate_ride(&body, false, &caller.username, now).map_err(invalid)?;
    let expected = ride.version;
    apply_ride_patch(&mut ride, input, now).map_err(rule)?;
    ok(&state.store.update_ride(&ride, expected).await?.view())
}

/// `POST /rides/circles/{slug}/rides/{id}/join`: a member who is not the owner takes one
/// seat; never overbooks (the seat is taken by a conditional update in the transaction).
pub async fn join_ride(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    member_of(state, &slug, &caller).await?;
    let ride = find_ride(state, &slug, &request).await?;
    let now = Utc::now();
    join_ride_check(&ride, &caller.username, now).map_err(rule)?;
    if !state
        .store
        .join_ride(&ride, &caller.username, &ids::rfc3339(now))
        .await?
    {
        // Someone changed the ride (or the membership) in between: say what stands now.
        let current = find_ride(state, &slug, &request).await?;
        join_ride_check(&current, &caller.username, Utc::now()).map_err(rule)?;
        member_of(state, &slug, &caller).await?;
        return Err(ApiError::Conflict(CANNOT_JOIN_NOW.into()));
    }
    ok(&find_ride(state, &slug, &request).await?.view())
}

/// `POST /rides/circles/{slug}/rides/{id}/finish`: the owner, after departure.
pub async fn finish_ride(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    member_of(state, &slug, &caller).await?;
    let ride = find_ride(state, &slug, &request).await?;
    require_owner(&ride, &caller)?;
    if Utc::now() <= ride.departure() {
        return Err(ApiError::Conflict(NOT_STARTED.into()));
    }
    state.store.deactivate_ride(&slug, &ride.id).await?;
    ok(&find_ride(state, &slug, &request).await?.view())
}

/// `POST /rides/circles/{slug}/rides/{id}/rate` `{rating, comments?}`: each passenger once,
/// also after the ride finished. Updates the ride's average and the driver's reputation.
pub async fn rate_ride(state: &State, request: Request) -> HttpResult {
    let caller = state.caller(&request).await?;
    let slug = path_param(&request, "slug");
    let (rating, comments) = validate_rating(&body(&request)?).map_err(invalid)?;
    member_of(state, &slug, &caller).await?;
    let ride = find_ride(state, &slug, &request).await?;
    if !ride.passengers.contains(&caller.username) {
        return Err(ApiError::Forbidden(NOT_PASSENGER.into()));
    }
    let rating = Rating {
        ride: ride.id.clone(),
        circle: slug.clone(),
        rating_user: caller.username.clone(),
        rated_user: ride.offered_by.clone(),
        rating,
        comments,
        created: ids::now_rfc3339(),
    };
    match state.store.rate_ride(&ride, &rating).await? {
        RateOutcome::Rated => created(&find_ride(state, &slug, &request).await?.view()),
        RateOutcome::AlreadyRated => Err(ApiError::Conflict(ALREADY_RATED.into())),
        RateOutcome::NotPassenger => Err(ApiError::Forbidden(NOT_PASSENGER.into())),
    }
}
