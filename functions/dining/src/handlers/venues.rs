//! `/dining/venues[/near | /{id}[/status | /availability]]`: restaurants create, edit, open,
//! close and delete their one venue (its id is theirs); anyone lists venues (exact name, all
//! characteristics and features, statuses), finds them near a point, reads one and its
//! availability on a date.

use andes_shared::auth::Principal;
use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{no_content, ok, ApiError};
use chrono::{DateTime, Utc};
use lambda_http::http::StatusCode;
use lambda_http::Request;

use super::{body, params, path_id, respond_at, restaurant, HttpResult};
use crate::config::State;
use crate::domain::query::{availability_date, near as near_query, venue_list, NearVenue};
use crate::domain::slots::{availability as slots_of, slot_start, Availability};
use crate::domain::validation::{venue_action, venue_edit, venue_input};
use crate::domain::venue::{venue_exists, venue_has_open_reservations, venue_not_found};
use crate::domain::{check_venue_owner, Venue};
use andes_shared::openapi::PageParams;

use crate::openapi::{AvailabilityParams, NearParams, VenueFilterParams};
use crate::store::Removal;

/// Where a venue is read.
pub fn location(id: &str) -> String {
    format!("/dining/venues/{id}")
}

/// `POST /dining/venues` → 201, `Location`, the caller's venue (`Available`); 409 "User already
/// has a venue".
#[utoipa::path(
    post,
    path = "/dining/venues",
    request_body = crate::openapi::VenueBody,
    responses(
        (status = 201, description = "The caller's new venue, `Available`; its id is the caller's", body = Venue,
            headers(("Location" = String, description = "Where the venue is read"))),
        (status = 409, description = "The caller already has a venue (\"User already has a venue\")"),
        (status = 503, description = "Too many concurrent writes; retry in a moment"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let caller = restaurant(&request)?;
    let input = venue_input(&body(&request)?)?;
    let venue = Venue::new(&caller.id, input, Utc::now());
    if !state.store.create_venue(&venue).await? {
        return Err(venue_exists());
    }
    respond_at(StatusCode::CREATED, &location(&venue.id), &venue)
}

/// `GET /dining/venues?name=&characteristic=&feature=&status=&limit=&cursor=`: by id.
#[utoipa::path(
    get,
    path = "/dining/venues",
    params(VenueFilterParams, PageParams),
    responses(
        (status = 200, description = "One page of the venues that match, by id", body = Page<Venue>),
        (status = 422, description = "A query parameter is invalid, or the cursor is not one of this list's"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    let list = venue_list(&params(&request))?;
    let page = state
        .store
        .list_venues(&list.filter, list.paging.limit, list.paging.cursor.as_deref())
        .await?;
    ok(&page)
}

/// `GET /dining/venues/near?lat=&lon=&radius_m=&…`: `{venue, distance_m}` nearest first.
#[utoipa::path(
    get,
    path = "/dining/venues/near",
    params(NearParams, VenueFilterParams, PageParams),
    responses(
        (status = 200, description = "One page of the venues within the radius that match, nearest first (ties by id)",
            body = Page<NearVenue>),
        (status = 422, description = "A query parameter is missing or invalid, or the cursor is not one of this \
            search's"),
        (status = 503, description = "The table is busy; retry in a moment"),
    )
)]
pub async fn near(state: &State, request: Request) -> HttpResult {
    let query = near_query(&params(&request))?;
    ok(&state.store.venues_near(&query).await?)
}

/// `GET /dining/venues/{id}`.
#[utoipa::path(
    get,
    path = "/dining/venues/{id}",
    params(("id" = String, Path, description = "The venue's id: its owner's account id (a UUID)")),
    responses(
        (status = 200, description = "The venue", body = Venue),
        (status = 404, description = "Venue does not exist"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    ok(&find(state, &request).await?.0)
}

/// `PATCH /dining/venues/{id}`: the owner's edit (the checks of create, any subset); an actual
/// change sets `Unconfirmed`.
#[utoipa::path(
    patch,
    path = "/dining/venues/{id}",
    params(("id" = String, Path, description = "The venue's id: its owner's account id (a UUID)")),
    request_body = crate::openapi::VenuePatchBody,
    responses(
        (status = 200, description = "The venue as edited: `Unconfirmed` after an actual change, else as it was",
            body = Venue),
        (status = 403, description = "Not the caller's venue (\"Invalid user\")"),
        (status = 404, description = "Venue does not exist"),
        (status = 503, description = "Too many concurrent changes to this venue; retry in a moment"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let caller = restaurant(&request)?;
    let read = find(state, &request).await?;
    check_venue_owner(&read.0.id, &caller.id)?;
    let edit = venue_edit(&body(&request)?)?;
    let venue = change(state, &caller, read, |venue, now| venue.edit(edit.clone(), now)).await?;
    ok(&venue)
}

/// `POST /dining/venues/{id}/status {"action": "open" | "close" | "occupy"}`.
#[utoipa::path(
    post,
    path = "/dining/venues/{id}/status",
    params(("id" = String, Path, description = "The venue's id: its owner's account id (a UUID)")),
    request_body = crate::openapi::VenueStatusBody,
    responses(
        (status = 200, description = "The venue in the status the action sets", body = Venue),
        (status = 403, description = "Not the caller's venue (\"Invalid user\")"),
        (status = 404, description = "Venue does not exist"),
        (status = 503, description = "Too many concurrent changes to this venue; retry in a moment"),
    )
)]
pub async fn status(state: &State, request: Request) -> HttpResult {
    let caller = restaurant(&request)?;
    let read = find(state, &request).await?;
    check_venue_owner(&read.0.id, &caller.id)?;
    let action = venue_action(&body(&request)?)?;
    let venue = change(state, &caller, read, |venue, now| venue.act(action, now)).await?;
    ok(&venue)
}

/// `DELETE /dining/venues/{id}` → 204; 409 "Venue has open reservations" while its
/// open-reservation index holds one (`Store::delete_venue`).
#[utoipa::path(
    delete,
    path = "/dining/venues/{id}",
    params(("id" = String, Path, description = "The venue's id: its owner's account id (a UUID)")),
    responses(
        (status = 204, description = "The venue and its entries are gone"),
        (status = 403, description = "Not the caller's venue (\"Invalid user\")"),
        (status = 404, description = "Venue does not exist"),
        (status = 409, description = "An Unconfirmed or Accepted reservation remains \
            (\"Venue has open reservations\")"),
        (status = 503, description = "Too many concurrent changes to this venue; retry in a moment"),
    )
)]
pub async fn delete(state: &State, request: Request) -> HttpResult {
    let caller = restaurant(&request)?;
    let id = path_id(&request).ok_or_else(venue_not_found)?;
    read_modify_write(|| async {
        let (venue, version) = state.store.venue(&id).await?.ok_or_else(venue_not_found)?;
        check_venue_owner(&venue.id, &caller.id)?;
        match state.store.delete_venue(&venue.id, version, Utc::now()).await? {
            Removal::Removed => Ok(Attempt::Done(())),
            Removal::Stale => Ok(Attempt::Stale),
            Removal::OpenReservations => Err(venue_has_open_reservations()),
        }
    })
    .await?;
    no_content()
}

/// `GET /dining/venues/{id}/availability?date=YYYY-MM-DD` (venue-local): each slot's seats held
/// (its counter, 0 without one), seats left, and whether it can be booked now.
#[utoipa::path(
    get,
    path = "/dining/venues/{id}/availability",
    params(("id" = String, Path, description = "The venue's id: its owner's account id (a UUID)"), AvailabilityParams),
    responses(
        (status = 200, description = "Each slot of that date: seats held and left, and whether it can be booked now",
            body = Availability),
        (status = 404, description = "Venue does not exist"),
        (status = 422, description = "`date` is missing or not `YYYY-MM-DD`"),
        (status = 503, description = "The table is busy; retry in a moment"),
    )
)]
pub async fn availability(state: &State, request: Request) -> HttpResult {
    let (venue, _) = find(state, &request).await?;
    let date = availability_date(&params(&request))?;
    let starts: Vec<DateTime<Utc>> = venue
        .slots
        .iter()
        .filter_map(|slot| slot_start(&venue, date, *slot))
        .collect();
    let booked = state.store.booked(&venue.id, &starts).await?;
    let answer = slots_of(
        &venue,
        date,
        |start| booked.get(&start).copied().unwrap_or(0),
        Utc::now(),
    );
    ok(&answer)
}

/// The venue of path parameter `id` and its version; 404 "Venue does not exist".
async fn find(state: &State, request: &Request) -> Result<(Venue, u64), ApiError> {
    let id = path_id(request).ok_or_else(venue_not_found)?;
    state.store.venue(&id).await?.ok_or_else(venue_not_found)
}

/// Applies an owner's change to the venue `read` (the first attempt's), writes it if its version
/// is unchanged, and otherwise reads, checks and applies again (bounded): the client sends no
/// version, so a concurrent write is never its 409. A change that changes nothing writes
/// nothing.
async fn change(
    state: &State,
    caller: &Principal,
    read: (Venue, u64),
    apply: impl Fn(&mut Venue, DateTime<Utc>) -> bool,
) -> Result<Venue, ApiError> {
    let id = read.0.id.clone();
    let mut first = Some(read);
    let apply = &apply;
    read_modify_write(|| {
        let read = first.take();
        let id = id.clone();
        async move {
            let (venue, version) = match read {
                Some(read) => read,
                None => state.store.venue(&id).await?.ok_or_else(venue_not_found)?,
            };
            check_venue_owner(&venue.id, &caller.id)?;
            let mut after = venue.clone();
            if !apply(&mut after, Utc::now()) {
                return Ok(Attempt::Done(venue));
            }
            if state.store.save_venue(&venue, &after, version).await? {
                Ok(Attempt::Done(after))
            } else {
                Ok(Attempt::Stale)
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_venue_is_read_at_its_id() {
        assert_eq!(super::location("v-1"), "/dining/venues/v-1");
    }
}
