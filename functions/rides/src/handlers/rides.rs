//! `/rides/circles/{slug}/rides[/{id}[/join|/finish|/rate]]`: rides of a circle.

use andes_shared::dynamo::retry::{self, Attempt};
use andes_shared::dynamo::{page_limit, page_of};
use andes_shared::http::{self, created, ok, ApiError};
use andes_shared::ids;
use chrono::{Duration, Utc};
use lambda_http::Request;

use super::{body, caller, find_ride, member_of, path, rule, search, written, HttpResult, MODIFIED};
use crate::config::State;
use crate::domain::{
    apply_ride_patch, join_ride_check, new_ride, parse_ordering, select_rides, validate_rating, validate_ride, Caller,
    Rating, Ride, ALREADY_RATED, CANNOT_JOIN_NOW, MIN_DEPARTURE_MINUTES, NOT_ACTIVE_MEMBER, NOT_PASSENGER, NOT_STARTED,
    ONGOING_RIDE, RIDE_ORDERING,
};
use crate::store::RateOutcome;

/// `GET /rides/circles/{slug}/rides`: active rides leaving at least 10 minutes from now
/// with a seat left; `search` on locations, `ordering`; paged in memory with cursors bound to
/// the circle, the search and the order.
#[utoipa::path(
    get,
    path = "/rides/circles/{slug}/rides",
    params(crate::openapi::CirclePath, crate::openapi::RideListQuery),
    responses(
        (status = 200, description = "A page of the active rides leaving at least 10 minutes from now with a seat left", body = andes_shared::dynamo::Page<crate::domain::RideView>),
        (status = 403, description = "Not an active member of the circle (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle"),
        (status = 422, description = "A query parameter is invalid (`errors` names it)"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    member_of(state, &slug, &caller).await?;
    let ordering = parse_ordering(http::query(&request, "ordering").as_deref(), &RIDE_ORDERING)
        .map_err(|m| ApiError::invalid("ordering", m))?;
    let terms = search(&request)?;
    let limit = page_limit(http::query(&request, "limit").as_deref())?;
    let cursor = http::query(&request, "cursor");
    let now = Utc::now();
    let from = ids::rfc3339(now + Duration::minutes(MIN_DEPARTURE_MINUTES));
    let rides = select_rides(state.store.circle_rides(&slug, &from).await?, &terms, &ordering, now);
    let scope = format!("rides|{slug}|{terms:?}|{ordering:?}");
    let page = page_of(rides, &scope, limit, cursor.as_deref())?;
    ok(&page.try_map(|ride| Ok(ride.view()))?)
}

/// `POST /rides/circles/{slug}/rides`: an active member offers a ride.
#[utoipa::path(
    post,
    path = "/rides/circles/{slug}/rides",
    params(crate::openapi::CirclePath),
    request_body = crate::openapi::RideCreateBody,
    responses(
        (status = 201, description = "The ride", body = crate::domain::RideView),
        (status = 403, description = "Not an active member of the circle (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let input = validate_ride(&body(&request)?, true, &caller.username, Utc::now()).map_err(ApiError::Validation)?;
    let (circle, _) = member_of(state, &slug, &caller).await?;
    let ride = new_ride(&circle.slug, &caller.username, input, &ids::now_rfc3339());
    if !state.store.create_ride(&ride).await? {
        return Err(ApiError::Forbidden(NOT_ACTIVE_MEMBER.into()));
    }
    created(&ride.view())
}

/// `GET /rides/circles/{slug}/rides/{id}`: active members.
#[utoipa::path(
    get,
    path = "/rides/circles/{slug}/rides/{id}",
    params(crate::openapi::RidePath),
    responses(
        (status = 200, description = "The ride", body = crate::domain::RideView),
        (status = 403, description = "Not an active member of the circle (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle or ride"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    member_of(state, &slug, &caller).await?;
    ok(&find_ride(state, &slug, &path(&request, "id")).await?.view())
}

fn require_owner(ride: &Ride, caller: &Caller) -> Result<(), ApiError> {
    if ride.offered_by != caller.username {
        return Err(ApiError::Forbidden("only the ride owner can do this".into()));
    }
    Ok(())
}

/// `PATCH /rides/circles/{slug}/rides/{id}`: the owner, before departure. With `version`, a
/// stale read is a 409; without, the change applies to the ride as it is (joins move its
/// version too).
#[utoipa::path(
    patch,
    path = "/rides/circles/{slug}/rides/{id}",
    params(crate::openapi::RidePath),
    request_body = crate::openapi::RidePatchBody,
    responses(
        (status = 200, description = "The ride as changed", body = crate::domain::RideView),
        (status = 403, description = "Not the ride's owner, or not an active member (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle or ride"),
        (status = 409, description = "The ride has left, or the `version` sent is stale"),
        (status = 503, description = "Still contended after the bounded retry of an edit without `version`; retry"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let id = path(&request, "id");
    let body = body(&request)?;
    member_of(state, &slug, &caller).await?;
    let ride = find_ride(state, &slug, &id).await?;
    require_owner(&ride, &caller)?;
    let now = Utc::now();
    if ride.departure() <= now {
        return Err(ApiError::Conflict(ONGOING_RIDE.into()));
    }
    let input = validate_ride(&body, false, &caller.username, now).map_err(ApiError::Validation)?;
    let (input, slug, id) = (&input, slug.as_str(), id.as_str());
    let mut first_read = Some(ride);
    let ride = retry::with_client_version(input.version, MODIFIED, || {
        let first_read = first_read.take();
        async move {
            let mut ride = match first_read {
                Some(ride) => ride,
                None => find_ride(state, slug, id).await?,
            };
            let read = ride.version;
            if input.version.is_some_and(|version| version != read) {
                return Ok(Attempt::Stale);
            }
            apply_ride_patch(&mut ride, input.clone(), Utc::now()).map_err(rule)?;
            Ok(written(state.store.update_ride(&ride, read).await?))
        }
    })
    .await?;
    ok(&ride.view())
}

/// `POST /rides/circles/{slug}/rides/{id}/join`: a member who is not the owner takes one
/// seat; never overbooks (the seat is taken by a conditional update in the transaction).
#[utoipa::path(
    post,
    path = "/rides/circles/{slug}/rides/{id}/join",
    params(crate::openapi::RidePath),
    responses(
        (status = 200, description = "The ride with the caller aboard", body = crate::domain::RideView),
        (status = 403, description = "The ride's owner cannot join it, or not an active member (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle or ride"),
        (status = 409, description = "The ride has left or is inactive, is full, or has the caller aboard already"),
    )
)]
pub async fn join(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let id = path(&request, "id");
    member_of(state, &slug, &caller).await?;
    let ride = find_ride(state, &slug, &id).await?;
    let now = Utc::now();
    join_ride_check(&ride, &caller.username, now).map_err(rule)?;
    if !state
        .store
        .join_ride(&ride, &caller.username, &ids::rfc3339(now))
        .await?
    {
        // Someone changed the ride (or the membership) in between: say what stands now.
        let current = find_ride(state, &slug, &id).await?;
        join_ride_check(&current, &caller.username, Utc::now()).map_err(rule)?;
        member_of(state, &slug, &caller).await?;
        return Err(ApiError::Conflict(CANNOT_JOIN_NOW.into()));
    }
    ok(&find_ride(state, &slug, &id).await?.view())
}

/// `POST /rides/circles/{slug}/rides/{id}/finish`: the owner, after departure.
#[utoipa::path(
    post,
    path = "/rides/circles/{slug}/rides/{id}/finish",
    params(crate::openapi::RidePath),
    responses(
        (status = 200, description = "The ride, inactive", body = crate::domain::RideView),
        (status = 403, description = "Not the ride's owner, or not an active member (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle or ride"),
        (status = 409, description = "The ride has not left yet"),
    )
)]
pub async fn finish(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let id = path(&request, "id");
    member_of(state, &slug, &caller).await?;
    let ride = find_ride(state, &slug, &id).await?;
    require_owner(&ride, &caller)?;
    if Utc::now() <= ride.departure() {
        return Err(ApiError::Conflict(NOT_STARTED.into()));
    }
    state.store.deactivate_ride(&slug, &ride.id).await?;
    ok(&find_ride(state, &slug, &id).await?.view())
}

/// `POST /rides/circles/{slug}/rides/{id}/rate` `{rating, comments?}`: each passenger once,
/// also after the ride finished. Updates the ride's average and the driver's reputation.
#[utoipa::path(
    post,
    path = "/rides/circles/{slug}/rides/{id}/rate",
    params(crate::openapi::RidePath),
    request_body = crate::openapi::RateBody,
    responses(
        (status = 201, description = "The ride with its new average rating", body = crate::domain::RideView),
        (status = 403, description = "Not a passenger of the ride, or not an active member (or the caller's account no longer exists)"),
        (status = 404, description = "No such circle or ride"),
        (status = 409, description = "The caller has rated this ride already"),
    )
)]
pub async fn rate(state: &State, request: Request) -> HttpResult {
    let caller = caller(state, &request).await?;
    let slug = path(&request, "slug");
    let id = path(&request, "id");
    let (rating, comments) = validate_rating(&body(&request)?).map_err(ApiError::Validation)?;
    member_of(state, &slug, &caller).await?;
    let ride = find_ride(state, &slug, &id).await?;
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
        RateOutcome::Rated => created(&find_ride(state, &slug, &id).await?.view()),
        RateOutcome::AlreadyRated => Err(ApiError::Conflict(ALREADY_RATED.into())),
        RateOutcome::NotPassenger => Err(ApiError::Forbidden(NOT_PASSENGER.into())),
    }
}
