//! `/dining/opinions` and `/dining/summaries/{venue}` (§6): a diner leaves one opinion per
//! Assisted reservation of theirs (dated by the server, its venue the reservation's); anyone
//! lists a venue's opinions, newest first, and reads its summary — or the placeholder while the
//! daily sweep has made none.

use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{self, ok, ApiError};
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::Request;

use super::{body, client, params, HttpResult};
use crate::config::State;
use crate::domain::opinions::{check_opinion, opinion_exists, Opinion};
use crate::domain::query::opinions_list;
use crate::domain::reservation::reservation_not_found;
use crate::domain::summaries::SummaryView;
use crate::domain::validation::{opinion_input, OpinionInput};
use crate::domain::venue::venue_not_found;
use crate::domain::{is_id, Venue};
use crate::store::Filed;

/// `POST /dining/opinions {reservation, opinion}` → 201, the opinion. In order: the body (400 /
/// 422), the reservation exists (404), is the caller's (403), was Assisted (409), has no opinion
/// yet (409, decided by the conditional write: of racing requests exactly one wins). A `venue`
/// or `date` in the body is ignored. No `Location`: an opinion has no route of its own (it shows
/// in `GET /opinions` and in its diner's history).
#[utoipa::path(
    post,
    path = "/dining/opinions",
    request_body = crate::openapi::OpinionBody,
    responses(
        (status = 201, description = "The opinion, dated by the server, at the reservation's venue", body = Opinion),
        (status = 403, description = "Reservation was not done by user"),
        (status = 404, description = "Reservation does not exist"),
        (status = 409, description = "\"Reservation was not assisted\" or \"Opinion already exists\""),
        (status = 503, description = "Too many concurrent writes; retry in a moment"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let caller = client(&request)?;
    let input = opinion_input(&body(&request)?)?;
    let opinion = read_modify_write(|| file(state, &caller.id, &input)).await?;
    http::json(StatusCode::CREATED, &opinion)
}

/// One attempt at writing the opinion: read and check the reservation, find the incarnation of
/// its venue to file it under, write it; a venue deleted or created again in between is read
/// again.
async fn file(state: &State, caller: &str, input: &OpinionInput) -> Result<Attempt<Opinion>, ApiError> {
    let found = match is_id(&input.reservation) {
        true => state.store.stored_reservation(&input.reservation).await?,
        false => None,
    };
    let Some(stored) = found else {
        return Err(reservation_not_found());
    };
    let reservation = check_opinion(Some(&stored.reservation), caller)?;
    let venue = state
        .store
        .venue_incarnation(&reservation.venue, stored.venue_created)
        .await?;
    let opinion = Opinion::new(reservation, input.opinion.clone(), Utc::now());
    match state.store.create_opinion(&opinion, venue.as_ref()).await? {
        Filed::Created => Ok(Attempt::Done(opinion)),
        Filed::Exists => Err(opinion_exists()),
        Filed::VenueChanged => Ok(Attempt::Stale),
    }
}

/// `GET /dining/opinions?venue=&from=&to=&limit=&cursor=`: the venue's opinions dated in
/// `[from, to]`, newest first. A venue that does not exist (or no longer does) has none: an
/// empty list, as any filter that matches nothing (the contract names no 404 here).
#[utoipa::path(
    get,
    path = "/dining/opinions",
    params(crate::openapi::OpinionParams, andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "One page of the venue's opinions, newest first", body = Page<Opinion>),
        (status = 422, description = "`venue` is missing, a query parameter is invalid, or the cursor is not one of \
            this list's"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    let list = opinions_list(&params(&request))?;
    let Some(venue) = venue_named(state, &list.query.venue).await? else {
        return ok(&Page::<Opinion> {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let page = state
        .store
        .list_opinions(&venue, &list.query, list.paging.limit, list.paging.cursor.as_deref())
        .await?;
    ok(&page)
}

/// `GET /dining/summaries/{venue}`: the venue's summary, or `available: false` with the
/// placeholder text; 404 "Venue does not exist".
#[utoipa::path(
    get,
    path = "/dining/summaries/{venue}",
    params(("venue" = String, Path, description = "The venue's id")),
    responses(
        (status = 200, description = "The venue's summary, or `available: false` and the placeholder text",
            body = SummaryView),
        (status = 404, description = "Venue does not exist"),
    )
)]
pub async fn summary(state: &State, request: Request) -> HttpResult {
    let venue = venue_named(state, &http::path(&request, "venue"))
        .await?
        .ok_or_else(venue_not_found)?;
    let summary = state.store.summary(&venue).await?;
    ok(&SummaryView::of(&venue.id, summary.as_ref()))
}

/// The venue of this id as it is now (strongly consistent); `None` for an unknown id or one
/// that cannot be an id.
async fn venue_named(state: &State, id: &str) -> Result<Option<Venue>, ApiError> {
    if !is_id(id) {
        return Ok(None);
    }
    Ok(state.store.venue(id).await?.map(|(venue, _)| venue))
}
