//! Ads: create, read, edit, delete, publish; the public list and the owner's list.
//!
//! Every write of an ad is a read-modify-write: a client that sent the `version` it read gets
//! 409 when the ad has moved on; one that sent none never gets a 409 because the
//! image-uploaded or publisher functions (or another version-less request) wrote in between.

use andes_shared::auth::{Principal, PrincipalKind};
use andes_shared::dynamo::retry::{with_client_version, Attempt};
use andes_shared::dynamo::Page;
use andes_shared::http::{self, created, json, ok, ApiError};
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use chrono::{Datelike, Utc};
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde_json::Value;

use super::catalog::resolve_placement;
use super::{
    ad_id, delete_uploads, editable, enqueue, is_stale, own_ad, paging, views, HttpResult, AD_NOT_FOUND,
    MAX_AD_BODY_BYTES, MODIFIED,
};
use crate::config::State;
use crate::domain::{self, build_fields, parse_price, reorder_images, Ad, AdInput, Filters, ImageStatus, Sort, Status};
use crate::messages::Job;
use crate::store::Expect;

fn current_year() -> i32 {
    Utc::now().year()
}

/// The `version` query parameter of a write without a body (publish, delete).
pub(super) fn version_param(request: &Request) -> Result<Option<u64>, ApiError> {
    match http::query(request, "version") {
        None => Ok(None),
        Some(raw) => raw
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid("version", "must be a non-negative integer")),
    }
}

/// 202 with the ad's id and status.
fn accepted(ad: &Ad) -> HttpResult {
    json(StatusCode::ACCEPTED, &views::ad_status(ad))
}

#[utoipa::path(
    post,
    path = "/classifieds/ads",
    request_body = crate::openapi::AdBody,
    responses(
        (status = 201, description = "The new draft", body = views::OwnAdView),
    )
)]
pub async fn create(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let input: AdInput = http::json_body(&request, MAX_AD_BODY_BYTES)?;
    let (details, price_cents) = build_fields(None, &input, current_year()).map_err(ApiError::Validation)?;
    let placement = resolve_placement(state, &details).await?;
    let now = ids::now_rfc3339();
    let ad = Ad {
        id: ids::new_id(),
        owner: principal.id,
        status: Status::Draft,
        details,
        price_cents,
        placement,
        images: Vec::new(),
        dropped: Vec::new(),
        created: now.clone(),
        updated: now,
        published_at: None,
        failure: None,
        version: 1,
    };
    if !state.store.put_ad(&ad, Expect::New).await? {
        return Err(ApiError::Conflict("ad already exists".into()));
    }
    created(&views::own_ad(&ad))
}

/// Public when published; otherwise only its owner sees it.
#[utoipa::path(
    get,
    path = "/classifieds/ads/{id}",
    params(("id" = String, Path, description = "The ad's id")),
    responses(
        (status = 200, description = "The ad; its owner reads it as an `OwnAdView` (every photo, `failure`, `version`)", body = views::AdView),
        (status = 404, description = "No such ad, or it is not published and the caller is not its owner"),
    )
)]
pub async fn get(state: &State, request: Request) -> HttpResult {
    let principal = Principal::from_request(&request);
    let not_found = || ApiError::NotFound(AD_NOT_FOUND.into());
    let id = ad_id(&request)?;
    let ad = state.store.get_ad(&id).await?.ok_or_else(not_found)?;
    let is_owner = principal.kind == PrincipalKind::Account && principal.id == ad.owner;
    if !is_owner && ad.status != Status::Published {
        return Err(not_found());
    }
    // `PUT /me/profile` refuses `show_phone` without a phone.
    let seller_phone = state
        .store
        .get_profile(&ad.owner)
        .await?
        .filter(|profile| profile.show_phone)
        .and_then(|profile| profile.phone);
    if is_owner {
        let mut view = views::own_ad(&ad);
        view.ad.seller_phone = seller_phone;
        ok(&view)
    } else {
        let mut view = views::ad(&ad);
        view.seller_phone = seller_phone;
        ok(&view)
    }
}

/// An edit as written: the ad, its status before, and temporary objects to delete.
struct Edited {
    ad: Ad,
    was: Status,
    removed_uploads: Vec<String>,
}

/// One attempt of an edit on the ad as it is now.
async fn edit(state: &State, id: &str, principal: &Principal, input: &AdInput) -> Result<Attempt<Edited>, ApiError> {
    let mut ad = own_ad(state, id, principal).await?;
    editable(&ad)?;
    if is_stale(input.version, &ad) {
        return Ok(Attempt::Stale);
    }
    let (details, price_cents) =
        build_fields(Some(&ad.details), input, current_year()).map_err(ApiError::Validation)?;
    let catalog_changed = (details.model_id, details.version_id, details.city_id)
        != (ad.details.model_id, ad.details.version_id, ad.details.city_id);
    if catalog_changed {
        ad.placement = resolve_placement(state, &details).await?;
    }
    let mut removed_uploads = Vec::new();
    if let Some(order) = &input.images {
        let (kept, dropped) = reorder_images(&ad.images, order).map_err(|m| ApiError::invalid("images", m))?;
        if kept.is_empty() && matches!(ad.status, Status::Published | Status::Pending) {
            return Err(ApiError::invalid("images", "a published ad needs at least one image"));
        }
        for image in dropped {
            match (image.status, image.key) {
                (ImageStatus::Published, Some(key)) => ad.dropped.push(key),
                _ => removed_uploads.push(image.upload_key),
            }
        }
        ad.images = kept;
    }
    let expected = ad.version;
    let was = ad.status;
    ad.details = details;
    ad.price_cents = price_cents;
    ad.status = was.after_edit();
    ad.updated = ids::now_rfc3339();
    ad.version = expected + 1;
    if !state.store.put_ad(&ad, Expect::Version(expected)).await? {
        return Ok(Attempt::Stale);
    }
    Ok(Attempt::Done(Edited {
        ad,
        was,
        removed_uploads,
    }))
}

#[utoipa::path(
    patch,
    path = "/classifieds/ads/{id}",
    params(("id" = String, Path, description = "The ad's id")),
    request_body = crate::openapi::AdPatchBody,
    responses(
        (status = 200, description = "The ad as edited (a published ad is `pending` until re-published)", body = views::OwnAdView),
        (status = 403, description = "The ad is another account's published ad"),
        (status = 404, description = "No such ad (or another account's unpublished ad)"),
        (status = 409, description = "The ad is deleted, or `version` is stale"),
        (status = 503, description = "Too many concurrent changes, or the re-publication could not be queued; retry"),
    )
)]
pub async fn update(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let input: AdInput = http::json_body(&request, MAX_AD_BODY_BYTES)?;
    let id = ad_id(&request)?;
    let (id, principal, input) = (id.as_str(), &principal, &input);
    let edited = with_client_version(input.version, MODIFIED, || async move {
        edit(state, id, principal, input).await
    })
    .await?;
    delete_uploads(state, &edited.removed_uploads).await;
    if edited.was == Status::Published {
        enqueue(state, &Job::publish(&edited.ad)).await?;
    }
    ok(&views::own_ad(&edited.ad))
}

/// 202: the ad is `deleted` at once (gone from every public list); the publisher removes
/// its images from both buckets and then the item.
#[utoipa::path(
    delete,
    path = "/classifieds/ads/{id}",
    params(("id" = String, Path, description = "The ad's id"), crate::openapi::VersionParam),
    responses(
        (status = 202, description = "The ad is `deleted`; its photos and the item are removed in the background", body = views::AdStatusView),
        (status = 403, description = "The ad is another account's published ad"),
        (status = 404, description = "No such ad (or another account's unpublished ad)"),
        (status = 409, description = "`version` is stale"),
        (status = 422, description = "`version` is not a non-negative integer"),
        (status = 503, description = "Too many concurrent changes, or the removal could not be queued; retry"),
    )
)]
pub async fn delete(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let version = version_param(&request)?;
    let id = ad_id(&request)?;
    let (id, principal) = (id.as_str(), &principal);
    let ad = with_client_version(version, MODIFIED, || async move {
        let mut ad = own_ad(state, id, principal).await?;
        if ad.status == Status::Deleted {
            return Ok(Attempt::Done(ad));
        }
        if is_stale(version, &ad) {
            return Ok(Attempt::Stale);
        }
        let expected = ad.version;
        ad.status = Status::Deleted;
        ad.updated = ids::now_rfc3339();
        ad.version = expected + 1;
        let written = state.store.put_ad(&ad, Expect::Version(expected)).await?;
        Ok(if written { Attempt::Done(ad) } else { Attempt::Stale })
    })
    .await?;
    enqueue(state, &Job::delete(&ad)).await?;
    accepted(&ad)
}

/// 202: the ad is `pending` and its publication is queued.
#[utoipa::path(
    post,
    path = "/classifieds/ads/{id}/publish",
    params(("id" = String, Path, description = "The ad's id"), crate::openapi::VersionParam),
    responses(
        (status = 202, description = "The ad is `pending`; its publication is queued", body = views::AdStatusView),
        (status = 403, description = "The ad is another account's published ad"),
        (status = 404, description = "No such ad (or another account's unpublished ad)"),
        (status = 409, description = "The ad is deleted or has no photo, or `version` is stale"),
        (status = 422, description = "`version` is not a non-negative integer"),
        (status = 503, description = "Too many concurrent changes, or the publication could not be queued; retry"),
    )
)]
pub async fn publish(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let version = version_param(&request)?;
    let id = ad_id(&request)?;
    let (id, principal) = (id.as_str(), &principal);
    let ad = with_client_version(version, MODIFIED, || async move {
        let mut ad = own_ad(state, id, principal).await?;
        if !ad.status.can_publish() {
            return Err(ApiError::Conflict("a deleted ad cannot be published".into()));
        }
        if is_stale(version, &ad) {
            return Ok(Attempt::Stale);
        }
        if ad.images.is_empty() {
            return Err(ApiError::Conflict(
                "the ad needs at least one uploaded image to be published".into(),
            ));
        }
        let expected = ad.version;
        ad.status = Status::Pending;
        ad.failure = None;
        ad.version = expected + 1;
        ad.updated = ids::now_rfc3339();
        let written = state.store.put_ad(&ad, Expect::Version(expected)).await?;
        Ok(if written { Attempt::Done(ad) } else { Attempt::Stale })
    })
    .await?;
    enqueue(state, &Job::publish(&ad)).await?;
    accepted(&ad)
}

fn parse_filters(request: &Request) -> Result<(Filters, Sort), ApiError> {
    let mut e = FieldErrors::default();
    let number = |e: &mut FieldErrors, name: &str| -> Option<i64> {
        let raw = http::query(request, name)?;
        match raw.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                e.add(name, "must be a non-negative integer");
                None
            }
        }
    };
    let id = |e: &mut FieldErrors, name: &str| {
        let value = number(e, name)?;
        let id = u32::try_from(value).ok();
        if id.is_none() {
            e.add(name, "is not a catalog id");
        }
        id
    };
    let brand = id(&mut e, "brand");
    let model = id(&mut e, "model");
    let state_id = id(&mut e, "state");
    let city = id(&mut e, "city");
    let year_min = number(&mut e, "year_min").map(|v| v.min(i64::from(i32::MAX)) as i32);
    let year_max = number(&mut e, "year_max").map(|v| v.min(i64::from(i32::MAX)) as i32);
    let price = |e: &mut FieldErrors, name: &str| -> Option<i64> {
        let raw = http::query(request, name)?;
        e.check(name, parse_price(&Value::String(raw))).map(|(_, cents)| cents)
    };
    let price_min_cents = price(&mut e, "price_min");
    let price_max_cents = price(&mut e, "price_max");
    let choice = |e: &mut FieldErrors, name: &str, allowed: &[&str]| -> Option<String> {
        let raw = http::query(request, name)?.to_lowercase();
        if allowed.contains(&raw.as_str()) {
            Some(raw)
        } else {
            e.add(name, format!("must be one of {}", allowed.join(", ")));
            None
        }
    };
    let brake_system = choice(&mut e, "brake_system", domain::BRAKE_SYSTEMS);
    let ignition = choice(&mut e, "ignition", domain::IGNITIONS);
    let color = choice(&mut e, "color", domain::COLORS);
    let flag = |e: &mut FieldErrors, name: &str| -> Option<bool> {
        match http::query(request, name)?.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                e.add(name, "must be true or false");
                None
            }
        }
    };
    let is_new = flag(&mut e, "is_new");
    let doc_ok = flag(&mut e, "doc_ok");
    let accept_exchange = flag(&mut e, "accept_exchange");
    let accept_new_offer = flag(&mut e, "accept_new_offer");
    let sort = match http::query(request, "sort").as_deref() {
        None | Some("") | Some("newest") => Sort::Newest,
        Some("top_offer") => Sort::TopOffer,
        Some(_) => {
            e.add("sort", "must be newest or top_offer");
            Sort::Newest
        }
    };
    let filters = Filters {
        brand,
        model,
        state: state_id,
        city,
        price_min_cents,
        price_max_cents,
        year_min,
        year_max,
        brake_system,
        ignition,
        color,
        is_new,
        doc_ok,
        accept_exchange,
        accept_new_offer,
    };
    e.finish(|| (filters, sort)).map_err(ApiError::Validation)
}

/// `GET /ads`: published ads, filtered, newest or top offers first.
#[utoipa::path(
    get,
    path = "/classifieds/ads",
    params(crate::openapi::AdFilters, andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "Published ads in the order asked; a filtered page may be short but still carries `next_cursor`", body = Page<views::AdView>),
        (status = 422, description = "A filter, `sort`, `limit` or `cursor` is invalid (`errors` names each)"),
    )
)]
pub async fn list(state: &State, request: Request) -> HttpResult {
    let (filters, sort) = parse_filters(&request)?;
    let (limit, cursor) = paging(&request)?;
    let page = state
        .store
        .published_ads(&filters, sort, limit, cursor.as_deref())
        .await?;
    ok(&views::ads(page))
}

/// `GET /me/ads`: the caller's ads in any status, newest first.
#[utoipa::path(
    get,
    path = "/classifieds/me/ads",
    params(andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The caller's ads in any status, newest first", body = Page<views::OwnAdView>),
        (status = 422, description = "`limit` or `cursor` is invalid"),
    )
)]
pub async fn mine(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let (limit, cursor) = paging(&request)?;
    let page = state.store.owner_ads(&principal.id, limit, cursor.as_deref()).await?;
    ok(&views::own_ads(page))
}
