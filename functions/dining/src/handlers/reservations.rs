//! `/dining/reservations[/history | /{id}]`: diners book (capacity held under concurrency, one
//! open reservation per instant, `Idempotency-Key`), change and cancel their reservations;
//! venue owners accept them, mark them assisted or no-show, or cancel them (§4).

use andes_shared::auth::Principal;
use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{ok, ApiError};
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::Serialize;

use super::{body, client, client_or_restaurant, params, path_id, respond_at, restaurant, HttpResult};
use crate::config::State;
use crate::domain::access::{actor, Actor};
use crate::domain::idempotency::{fingerprint, key_reused, IDEMPOTENCY_KEY};
use crate::domain::is_id;
use crate::domain::opinions::Opinion;
use crate::domain::query::reservation_list;
use crate::domain::reservation::{
    decide, decide_delete, reservation_not_found, Decision, Reservation, ReservationStatus,
};
use crate::domain::slots::{already_booked, check_booking, check_change, not_enough_capacity};
use crate::domain::validation::{new_reservation, reservation_change, NewReservation};
use crate::domain::venue::unknown_venue_for_booking;
use crate::store::{Booking, IdempotencyRecord};

/// Where a reservation is read.
pub fn location(id: &str) -> String {
    format!("/dining/reservations/{id}")
}

/// `POST /dining/reservations {venue, time, people}` (+ `Idempotency-Key`) → 201, `Location`, the
/// new `Unconfirmed` reservation; the checks of §4.1 in order.
#[utoipa::path(
    post,
    path = "/dining/reservations",
    params(crate::openapi::IdempotencyKeyParam),
    request_body = crate::openapi::ReservationBody,
    responses(
        (status = 201, description = "The new `Unconfirmed` reservation, or the first answer to this `Idempotency-Key`",
            body = Reservation, headers(("Location" = String, description = "Where the reservation is read"))),
        (status = 400, description = "The body is missing or not a JSON object, or `venue` names no venue \
            (\"Venue does not exist\")"),
        (status = 409, description = "\"Venue is closed\", \"You already have a reservation at that time\" \
            or \"Not enough capacity for that time\""),
        (status = 422, description = "A field is missing or invalid (`errors` names each): `people` outside 1 to the \
            venue's capacity, a `time` that cannot be booked, an invalid `Idempotency-Key`, or a key already used for \
            a different request"),
        (status = 503, description = "Too many concurrent bookings; retry in a moment"),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let caller = client(&request)?;
    let header = request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let input = new_reservation(&body(&request)?, header.as_deref())?;
    let print = fingerprint(&input);
    if let Some(key) = &input.idempotency_key {
        if let Some(first) = state.store.idempotency_record(&caller.id, key, Utc::now()).await? {
            return replay(&first, &print);
        }
    }
    let booked = read_modify_write(|| book(state, &caller, &input, &print)).await?;
    respond_at(StatusCode::CREATED, &location(&booked.id), &booked)
}

/// One attempt at a booking: read the venue, check it (§4.1 steps 2–5), then the transaction
/// (steps 6–7); a venue that changed in between is read again.
async fn book(
    state: &State,
    caller: &Principal,
    input: &NewReservation,
    print: &str,
) -> Result<Attempt<Reservation>, ApiError> {
    let now = Utc::now();
    let venue = match is_id(&input.venue) {
        true => state.store.bookable_venue(&input.venue, now).await?,
        false => None,
    };
    let venue = venue.ok_or_else(unknown_venue_for_booking)?;
    if venue.held {
        // A `DELETE` is deciding: read again in a moment (it removes the venue or its hold).
        return Ok(Attempt::Stale);
    }
    check_booking(&venue.venue, input.time, input.people, now)?;
    let reservation = Reservation::new(&caller.id, &venue.venue.id, input.time, input.people, now);
    let record = IdempotencyRecord {
        fingerprint: print.to_string(),
        answer: reservation.clone(),
    };
    let idempotency = input.idempotency_key.as_deref().map(|key| (key, &record));
    match state.store.book(&reservation, &venue, idempotency, now).await? {
        Booking::Done => Ok(Attempt::Done(reservation)),
        Booking::DinerBusy => Err(already_booked()),
        Booking::Full => Err(not_enough_capacity()),
        Booking::VenueChanged | Booking::Stale => Ok(Attempt::Stale),
        Booking::KeyTaken => {
            let key = input.idempotency_key.as_deref().unwrap_or_default();
            match state.store.idempotency_record(&caller.id, key, now).await? {
                Some(first) if first.fingerprint == print => Ok(Attempt::Done(first.answer)),
                Some(_) => Err(key_reused()),
                None => Ok(Attempt::Stale),
            }
        }
    }
}

/// The first answer to a key, or 422 when the key was used for a different request.
fn replay(first: &IdempotencyRecord, print: &str) -> HttpResult {
    if first.fingerprint != print {
        return Err(key_reused());
    }
    respond_at(StatusCode::CREATED, &location(&first.answer.id), &first.answer)
}

/// `GET /dining/reservations`: the caller's, filters of §4.5, time descending.
#[utoipa::path(
    get,
    path = "/dining/reservations",
    params(
        crate::openapi::ReservationFilterParams,
        ("venue" = Option<String>, Query, description = "Only those at this venue."),
        andes_shared::openapi::PageParams,
    ),
    responses(
        (status = 200, description = "One page of the caller's reservations, time descending",
            body = Page<Reservation>),
        (status = 422, description = "A query parameter is invalid, or the cursor is not one of this list's"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    let caller = client(&request)?;
    let list = reservation_list(&params(&request), true)?;
    let page = state
        .store
        .diner_reservations(
            &caller.id,
            &list.filter,
            list.paging.limit,
            list.paging.cursor.as_deref(),
        )
        .await?;
    ok(&page)
}

/// A closed reservation of the history, with its opinion (if the diner left one).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct WithOpinion {
    #[serde(flatten)]
    reservation: Reservation,
    #[schema(required = true)]
    opinion: Option<Opinion>,
}

/// `GET /dining/reservations/history`: the caller's Canceled, Assisted and Expired reservations
/// (any other filter of §4.5 too), each with `opinion`.
#[utoipa::path(
    get,
    path = "/dining/reservations/history",
    params(
        crate::openapi::ReservationFilterParams,
        ("venue" = Option<String>, Query, description = "Only those at this venue."),
        andes_shared::openapi::PageParams,
    ),
    responses(
        (status = 200, description = "One page of the caller's closed reservations, time descending, each with its \
            opinion", body = Page<WithOpinion>),
        (status = 422, description = "A query parameter is invalid, or the cursor is not one of this list's"),
        (status = 503, description = "The table is busy; retry in a moment"),
    )
)]
pub async fn history(state: &State, request: Request) -> HttpResult {
    let caller = client(&request)?;
    let mut list = reservation_list(&params(&request), true)?;
    let asked = std::mem::take(&mut list.filter.statuses);
    list.filter.statuses = ReservationStatus::CLOSED
        .into_iter()
        .filter(|status| asked.is_empty() || asked.contains(status))
        .collect();
    if list.filter.statuses.is_empty() {
        // Only open statuses asked for: none of them is history.
        return ok(&Page::<WithOpinion> {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let page = state
        .store
        .diner_reservations(
            &caller.id,
            &list.filter,
            list.paging.limit,
            list.paging.cursor.as_deref(),
        )
        .await?;
    let ids: Vec<&str> = page.items.iter().map(|r| r.id.as_str()).collect();
    let mut opinions = state.store.opinions_of(&ids).await?;
    let items = page
        .items
        .into_iter()
        .map(|reservation| WithOpinion {
            opinion: opinions.remove(&reservation.id),
            reservation,
        })
        .collect();
    ok(&Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// A diner as the venue's list shows them (§4.5): name and phone from identity, their visits
/// here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Diner {
    id: String,
    #[schema(required = true)]
    name: Option<String>,
    #[schema(required = true)]
    phone: Option<String>,
    times_assisted: u64,
    times_expired: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct WithDiner {
    #[serde(flatten)]
    reservation: Reservation,
    diner: Diner,
}

/// `GET /dining/me/venue/reservations`: the caller's venue's reservations (§4.5 filters but
/// `venue`), each with its `diner`.
#[utoipa::path(
    get,
    path = "/dining/me/venue/reservations",
    params(crate::openapi::ReservationFilterParams, andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "One page of the reservations at the caller's venue, time descending, each with \
            its diner (none without a venue)", body = Page<WithDiner>),
        (status = 422, description = "A query parameter is invalid, or the cursor is not one of this list's"),
        (status = 503, description = "The table is busy; retry in a moment"),
    )
)]
pub async fn venue_list(state: &State, request: Request) -> HttpResult {
    let caller = restaurant(&request)?;
    let list = reservation_list(&params(&request), false)?;
    // The venue's id is its owner's: no venue, no reservations.
    let page = state
        .store
        .venue_reservations(
            &caller.id,
            &list.filter,
            list.paging.limit,
            list.paging.cursor.as_deref(),
        )
        .await?;
    let mut diners: Vec<&str> = page.items.iter().map(|r| r.user.as_str()).collect();
    diners.sort_unstable();
    diners.dedup();
    let (accounts, visits) = tokio::try_join!(
        state.directory.accounts(&diners),
        state.store.visits(&caller.id, &diners)
    )?;
    let items = page
        .items
        .into_iter()
        .map(|reservation| {
            let account = accounts.get(&reservation.user);
            let (times_assisted, times_expired) = visits.get(&reservation.user).copied().unwrap_or((0, 0));
            let diner = Diner {
                id: reservation.user.clone(),
                name: account.map(|a| a.name.clone()),
                phone: account.and_then(|a| a.phone.clone()),
                times_assisted,
                times_expired,
            };
            WithDiner { reservation, diner }
        })
        .collect();
    ok(&Page {
        items,
        next_cursor: page.next_cursor,
    })
}

/// `GET /dining/reservations/{id}`: its diner or its venue's owner; anyone else 404.
#[utoipa::path(
    get,
    path = "/dining/reservations/{id}",
    params(("id" = String, Path, description = "The reservation's id")),
    responses(
        (status = 200, description = "The reservation", body = Reservation),
        (status = 404, description = "No such reservation, or the caller is neither its diner nor its venue's owner \
            (\"Reservation does not exist\")"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    let caller = client_or_restaurant(&request)?;
    let id = path_id(&request).ok_or_else(reservation_not_found)?;
    let (reservation, _) = state.store.reservation(&id).await?.ok_or_else(reservation_not_found)?;
    actor(&reservation, &caller.id)?;
    ok(&reservation)
}

/// `PATCH /dining/reservations/{id}`: §4.2.
#[utoipa::path(
    patch,
    path = "/dining/reservations/{id}",
    params(("id" = String, Path, description = "The reservation's id")),
    request_body = crate::openapi::ReservationPatchBody,
    responses(
        (status = 200, description = "The reservation after the change (as it was when the request changes nothing)",
            body = Reservation),
        (status = 403, description = "\"Only the venue can advance a reservation\" or \"Only the diner can change time \
            or people\""),
        (status = 404, description = "No such reservation, or the caller is neither its diner nor its venue's owner \
            (\"Reservation does not exist\")"),
        (status = 409, description = "\"Reservation is already closed\", \"You already have a reservation at that \
            time\" or \"Not enough capacity for that time\""),
        (status = 422, description = "A field is invalid (`errors` names each): an action with a change of time or \
            people, `people` outside 1 to the venue's capacity, or a `time` that cannot be booked"),
        (status = 503, description = "Too many concurrent changes to this reservation; retry in a moment"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let caller = client_or_restaurant(&request)?;
    let id = path_id(&request).ok_or_else(reservation_not_found)?;
    let change = reservation_change(&body(&request)?)?;
    let after = read_modify_write(|| {
        apply(state, &caller, &id, |reservation, actor| {
            decide(reservation, actor, &change)
        })
    })
    .await?;
    ok(&after)
}

/// `DELETE /dining/reservations/{id}`: the diner cancels (as `{"cancel": true}`); answers the
/// reservation. The venue owner is refused (403); anyone else 404.
#[utoipa::path(
    delete,
    path = "/dining/reservations/{id}",
    params(("id" = String, Path, description = "The reservation's id")),
    responses(
        (status = 200, description = "The reservation, `Canceled` by the user", body = Reservation),
        (status = 403, description = "The caller owns the venue: it cancels with `PATCH`"),
        (status = 404, description = "No such reservation, or the caller is neither its diner nor its venue's owner \
            (\"Reservation does not exist\")"),
        (status = 409, description = "Reservation is already closed"),
        (status = 503, description = "Too many concurrent changes to this reservation; retry in a moment"),
    )
)]
pub async fn cancel(state: &State, request: Request) -> HttpResult {
    let caller = client_or_restaurant(&request)?;
    let id = path_id(&request).ok_or_else(reservation_not_found)?;
    let after = read_modify_write(|| apply(state, &caller, &id, decide_delete)).await?;
    ok(&after)
}

/// One attempt at a change: read the reservation, decide (§4.2), write; the diner's change of
/// time or people is checked against the venue as it is (§4.1 steps 4–7).
async fn apply(
    state: &State,
    caller: &Principal,
    id: &str,
    decision: impl Fn(&Reservation, Actor) -> Result<Decision, ApiError>,
) -> Result<Attempt<Reservation>, ApiError> {
    let before = state
        .store
        .stored_reservation(id)
        .await?
        .ok_or_else(reservation_not_found)?;
    let actor = actor(&before.reservation, &caller.id)?;
    let decision = decision(&before.reservation, actor)?;
    if decision == Decision::Unchanged {
        return Ok(Attempt::Done(before.reservation));
    }
    let now = Utc::now();
    let after = before.reservation.after(&decision, now);
    let venue = match decision {
        Decision::Modify { time, people } => {
            let venue = state
                .store
                .bookable_venue(&before.reservation.venue, now)
                .await?
                .ok_or_else(unknown_venue_for_booking)?;
            if venue.held {
                return Ok(Attempt::Stale);
            }
            check_change(&venue.venue, time, people, now)?;
            Some(venue)
        }
        _ => None,
    };
    match state
        .store
        .save_reservation(&before, &after, venue.as_ref(), now)
        .await?
    {
        Booking::Done => Ok(Attempt::Done(after)),
        Booking::DinerBusy => Err(already_booked()),
        Booking::Full => Err(not_enough_capacity()),
        Booking::Stale | Booking::VenueChanged | Booking::KeyTaken => Ok(Attempt::Stale),
    }
}
