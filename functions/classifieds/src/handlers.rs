//! HTTP handlers of the classifieds API. Each binary in `src/bin` runs one of them.

use std::time::Duration;

use andes_shared::auth::{Principal, PrincipalKind};
use andes_shared::dynamo::page_limit;
use andes_shared::http::{created, json, no_content, ok, parse_json_bounded, ApiError, FieldError};
use andes_shared::ids;
use andes_shared::validation::FieldErrors;
use aws_sdk_s3::presigning::PresigningConfig;
use chrono::{Datelike, Utc};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::catalog::{self, Kind};
use crate::config::State;
use crate::domain::{
    self, build_fields, check_upload, parse_price, reorder_images, upload_key, AdFields, AdInput, Image, ImageStatus,
    Placement, Status, MAX_IMAGES,
};
use crate::jobs::{self, Job};
use crate::store::{Ad, Chat, ChatCreate, Expect, Filters, Message, Page, Profile, Sort};

/// An ad body: 4000 characters of description, up to 4 bytes each, plus the other fields.
pub const MAX_AD_BODY_BYTES: usize = 24 * 1024;
pub const MAX_SMALL_BODY_BYTES: usize = 4 * 1024;
pub const MAX_MESSAGE_BODY_BYTES: usize = 12 * 1024;
/// Lifetime of a presigned upload.
pub const UPLOAD_URL_SECONDS: u64 = 900;

type HttpResult = Result<Response<Body>, ApiError>;

const AD_NOT_FOUND: &str = "ad not found";
const CHAT_NOT_FOUND: &str = "chat not found";
const MODIFIED: &str = "the ad was modified by another request; read it again and retry";

fn path_param(request: &Request, name: &str) -> Option<String> {
    request
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
}

fn query_param(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_string)
}

fn current_year() -> i32 {
    Utc::now().year()
}

fn accepted<T: Serialize>(value: &T) -> HttpResult {
    json(StatusCode::ACCEPTED, value)
}

// ------------------------------------------------------------------------ views

/// The JSON of an ad: its fields, catalog facts and images. Others than the owner see only
/// published images (with their public URLs).
pub fn ad_view(ad: &Ad, owner_view: bool) -> Value {
    let mut view = Map::new();
    view.insert("id".into(), ad.id.clone().into());
    view.insert("owner".into(), ad.owner.clone().into());
    view.insert("status".into(), ad.status.as_str().into());
    if let Ok(Value::Object(details)) = serde_json::to_value(&ad.details) {
        view.extend(details);
    }
    if let Ok(Value::Object(placement)) = serde_json::to_value(&ad.placement) {
        view.extend(placement);
    }
    let images: Vec<Value> = ad
        .images
        .iter()
        .filter(|i| owner_view || i.status == ImageStatus::Published)
        .map(|i| {
            json!({
                "id": i.id,
                "url": i.url,
                "status": match i.status { ImageStatus::Uploaded => "uploaded", ImageStatus::Published => "published" },
                "content_type": i.content_type,
                "size": i.size,
            })
        })
        .collect();
    view.insert("images".into(), images.into());
    view.insert("created".into(), ad.created.clone().into());
    view.insert("updated".into(), ad.updated.clone().into());
    view.insert("published_at".into(), ad.published_at.clone().into());
    if owner_view {
        view.insert("failure".into(), ad.failure.clone().into());
        view.insert("version".into(), ad.version.into());
    }
    Value::Object(view)
}

fn page_view(page: Page<Ad>, owner_view: bool) -> Value {
    json!({
        "items": page.items.iter().map(|ad| ad_view(ad, owner_view)).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    })
}

// ---------------------------------------------------------------------- catalog

fn catalog_id(request: &Request, what: &str) -> Result<u32, ApiError> {
    path_param(request, "id")
        .and_then(|id| id.parse::<u32>().ok())
        .ok_or_else(|| ApiError::NotFound(format!("{what} not found")))
}

async fn catalog_get<T: serde::de::DeserializeOwned + Serialize>(
    state: &State,
    request: &Request,
    kind: Kind,
    what: &str,
) -> HttpResult {
    let id = catalog_id(request, what)?;
    let found: Option<T> = state.catalog.get(kind, id).await?;
    ok(&found.ok_or_else(|| ApiError::NotFound(format!("{what} not found")))?)
}

async fn catalog_list<T: serde::de::DeserializeOwned + Serialize>(
    state: &State,
    request: &Request,
    kind: Kind,
    parent: Option<(Kind, &str)>,
) -> HttpResult {
    let limit = page_limit(query_param(request, "limit").as_deref())?;
    let cursor = query_param(request, "cursor");
    let parent_id = match parent {
        Some((parent_kind, what)) => {
            let id = catalog_id(request, what)?;
            let exists: Option<Value> = state.catalog.get(parent_kind, id).await?;
            if exists.is_none() {
                return Err(ApiError::NotFound(format!("{what} not found")));
            }
            Some(id)
        }
        None => None,
    };
    ok(&state
        .catalog
        .list::<T>(kind, parent_id, limit, cursor.as_deref())
        .await?)
}

pub async fn list_states(state: &State, request: Request) -> HttpResult {
    catalog_list::<catalog::State>(state, &request, Kind::State, None).await
}
pub async fn get_state(state: &State, request: Request) -> HttpResult {
    catalog_get::<catalog::State>(state, &request, Kind::State, "state").await
}
pub async fn list_cities(state: &State, request: Request) -> HttpResult {
    catalog_list::<catalog::City>(state, &request, Kind::City, Some((Kind::State, "state"))).await
}
pub async fn get_city(state: &State, request: Request) -> HttpResult {
    catalog_get::<catalog::City>(state, &request, Kind::City, "city").await
}
pub async fn list_brands(state: &State, request: Request) -> HttpResult {
    catalog_list::<catalog::Brand>(state, &request, Kind::Brand, None).await
}
pub async fn get_brand(state: &State, request: Request) -> HttpResult {
    catalog_get::<catalog::Brand>(state, &request, Kind::Brand, "brand").await
}
pub async fn list_models(state: &State, request: Request) -> HttpResult {
    catalog_list::<catalog::Model>(state, &request, Kind::Model, Some((Kind::Brand, "brand"))).await
}
pub async fn get_model(state: &State, request: Request) -> HttpResult {
    catalog_get::<catalog::Model>(state, &request, Kind::Model, "model").await
}
pub async fn list_versions(state: &State, request: Request) -> HttpResult {
    catalog_list::<catalog::Version>(state, &request, Kind::Version, Some((Kind::Model, "model"))).await
}
pub async fn get_version(state: &State, request: Request) -> HttpResult {
    catalog_get::<catalog::Version>(state, &request, Kind::Version, "version").await
}

/// Checks an ad's catalog ids (model, optional version of that model, city) and returns
/// the facts the ad keeps (brand, state and names). Unknown ids are 422s naming the field.
pub async fn resolve_placement(state: &State, fields: &AdFields) -> Result<Placement, ApiError> {
    let version = async {
        match fields.version_id {
            Some(id) => state.catalog.get::<catalog::Version>(Kind::Version, id).await,
            None => Ok(None),
        }
    };
    let (model, version, city) = tokio::try_join!(
        state.catalog.get::<catalog::Model>(Kind::Model, fields.model_id),
        version,
        state.catalog.get::<catalog::City>(Kind::City, fields.city_id),
    )?;
    let mut errors = FieldErrors::default();
    if model.is_none() {
        errors.add("model_id", "is not a model of the catalog");
    }
    if fields.version_id.is_some() {
        match (&version, &model) {
            (None, _) => errors.add("version_id", "is not a version of the catalog"),
            (Some(v), Some(m)) if v.model_id != m.id => errors.add("version_id", "is not a version of this model"),
            _ => {}
        }
    }
    if city.is_none() {
        errors.add("city_id", "is not a city of the catalog");
    }
    errors.finish(|| ()).map_err(ApiError::Validation)?;
    let (model, city) = (model.expect("checked"), city.expect("checked"));
    let (brand, uf) = tokio::try_join!(
        state.catalog.get::<catalog::Brand>(Kind::Brand, model.brand_id),
        state.catalog.get::<catalog::State>(Kind::State, city.state_id),
    )?;
    let brand =
        brand.ok_or_else(|| ApiError::internal(format!("model {} has no brand {}", model.id, model.brand_id)))?;
    let uf = uf.ok_or_else(|| ApiError::internal(format!("city {} has no state {}", city.id, city.state_id)))?;
    Ok(Placement {
        brand_id: brand.id,
        brand_name: brand.name,
        model_name: model.name,
        version_name: version.map(|v| v.name),
        state_id: uf.id,
        state_acronym: uf.acronym,
        city_name: city.name,
    })
}

// --------------------------------------------------------------------------- ads

/// The caller's ad: 404 when it does not exist or is someone else's (no leak of existence).
async fn own_ad(state: &State, request: &Request, principal: &Principal) -> Result<Ad, ApiError> {
    let not_found = || ApiError::NotFound(AD_NOT_FOUND.into());
    let id = path_param(request, "id")
        .filter(|id| id.len() <= 64)
        .ok_or_else(not_found)?;
    let ad = state.store.get_ad(&id).await?.ok_or_else(not_found)?;
    if ad.owner != principal.id {
        return Err(ApiError::Forbidden("this ad belongs to another account".into()));
    }
    Ok(ad)
}

fn editable(ad: &Ad) -> Result<(), ApiError> {
    if ad.status.is_editable() {
        Ok(())
    } else {
        Err(ApiError::Conflict("the ad is deleted".into()))
    }
}

async fn enqueue(state: &State, job: &Job) -> Result<(), ApiError> {
    jobs::send(&state.sqs, &state.config.queue_url, job)
        .await
        .map_err(|error| {
            tracing::error!(ad_id = %job.ad_id, error = %error, "enqueueing a publication job failed");
            ApiError::Unavailable("the publication queue is unavailable; try again".into())
        })
}

pub async fn create_ad(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let input: AdInput = parse_json_bounded(&request, MAX_AD_BODY_BYTES)?;
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
    created(&ad_view(&ad, true))
}

/// Public when published; otherwise only its owner sees it.
pub async fn get_ad(state: &State, request: Request) -> HttpResult {
    let principal = Principal::from_request(&request);
    let not_found = || ApiError::NotFound(AD_NOT_FOUND.into());
    let id = path_param(&request, "id")
        .filter(|id| id.len() <= 64)
        .ok_or_else(not_found)?;
    let ad = state.store.get_ad(&id).await?.ok_or_else(not_found)?;
    let is_owner = principal.kind == PrincipalKind::Account && principal.id == ad.owner;
    if !is_owner && ad.status != Status::Published {
        return Err(not_found());
    }
    let mut view = ad_view(&ad, is_owner);
    if let Some(profile) = state.store.get_profile(&ad.owner).await? {
        if profile.show_phone {
            view["seller_phone"] = profile.phone.into();
        }
    }
    ok(&view)
}

pub async fn update_ad(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let input: AdInput = parse_json_bounded(&request, MAX_AD_BODY_BYTES)?;
    let mut ad = own_ad(state, &request, &principal).await?;
    editable(&ad)?;
    let (details, price_cents) =
        build_fields(Some(&ad.details), &input, current_year()).map_err(ApiError::Validation)?;
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
        return Err(ApiError::Conflict(MODIFIED.into()));
    }
    delete_uploads(state, &removed_uploads).await;
    if was == Status::Published {
        enqueue(state, &Job::publish(&ad)).await?;
    }
    ok(&ad_view(&ad, true))
}

/// Best effort: what is left is removed by the bucket's lifecycle rule (1 day).
async fn delete_uploads(state: &State, keys: &[String]) {
    for key in keys {
        if let Err(error) = state
            .s3
            .delete_object()
            .bucket(&state.config.uploads_bucket)
            .key(key)
            .send()
            .await
        {
            tracing::warn!(error = %andes_shared::aws::sdk_error(error), "deleting a dropped upload failed");
        }
    }
}

/// 202: the ad is `deleted` at once (gone from every public list); the publisher removes
/// its images from both buckets and then the item.
pub async fn delete_ad(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let mut ad = own_ad(state, &request, &principal).await?;
    if ad.status != Status::Deleted {
        let expected = ad.version;
        ad.status = Status::Deleted;
        ad.updated = ids::now_rfc3339();
        ad.version = expected + 1;
        if !state.store.put_ad(&ad, Expect::Version(expected)).await? {
            return Err(ApiError::Conflict(MODIFIED.into()));
        }
    }
    enqueue(state, &Job::delete(&ad)).await?;
    accepted(&json!({ "id": ad.id, "status": ad.status.as_str() }))
}

fn parse_filters(request: &Request) -> Result<(Filters, Sort), ApiError> {
    let mut e = FieldErrors::default();
    let number = |e: &mut FieldErrors, name: &str| -> Option<i64> {
        let raw = query_param(request, name)?;
        match raw.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                e.add(name, "must be a non-negative integer");
                None
            }
        }
    };
    let id = |e: &mut FieldErrors, name: &str| number(e, name).and_then(|v| u32::try_from(v).ok());
    let brand = id(&mut e, "brand");
    let model = id(&mut e, "model");
    let state_id = id(&mut e, "state");
    let city = id(&mut e, "city");
    let year_min = number(&mut e, "year_min").map(|v| v.min(i64::from(i32::MAX)) as i32);
    let year_max = number(&mut e, "year_max").map(|v| v.min(i64::from(i32::MAX)) as i32);
    let price = |e: &mut FieldErrors, name: &str| -> Option<i64> {
        let raw = query_param(request, name)?;
        e.check(name, parse_price(&Value::String(raw))).map(|(_, cents)| cents)
    };
    let price_min_cents = price(&mut e, "price_min");
    let price_max_cents = price(&mut e, "price_max");
    let choice = |e: &mut FieldErrors, name: &str, allowed: &[&str]| -> Option<String> {
        let raw = query_param(request, name)?.to_lowercase();
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
        match query_param(request, name)?.as_str() {
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
    let sort = match query_param(request, "sort").as_deref() {
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

pub async fn list_ads(state: &State, request: Request) -> HttpResult {
    let (filters, sort) = parse_filters(&request)?;
    let limit = page_limit(query_param(&request, "limit").as_deref())?;
    let cursor = query_param(&request, "cursor");
    let page = state
        .store
        .published_ads(&filters, sort, limit, cursor.as_deref())
        .await?;
    ok(&page_view(page, false))
}

pub async fn my_ads(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let limit = page_limit(query_param(&request, "limit").as_deref())?;
    let cursor = query_param(&request, "cursor");
    let page = state.store.owner_ads(&principal.id, limit, cursor.as_deref()).await?;
    ok(&page_view(page, true))
}

// ------------------------------------------------------------------------ images

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    content_type: String,
    size: u64,
}

/// A presigned PUT into the temporary bucket, under the ad and the uploader. S3 enforces the
/// signed content type and length on AWS; `image-uploaded` checks both again (and the magic
/// bytes), since nothing stops a client from writing something else.
pub async fn request_upload(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let body: UploadRequest = parse_json_bounded(&request, MAX_SMALL_BODY_BYTES)?;
    let kind = check_upload(&body.content_type, body.size).map_err(ApiError::Validation)?;
    let ad = own_ad(state, &request, &principal).await?;
    editable(&ad)?;
    if ad.images.len() >= MAX_IMAGES {
        return Err(ApiError::Conflict(format!("an ad has at most {MAX_IMAGES} images")));
    }
    let image_id = ids::new_id();
    let key = upload_key(&ad.id, &principal.id, &image_id, kind);
    let presigning =
        PresigningConfig::expires_in(Duration::from_secs(UPLOAD_URL_SECONDS)).map_err(ApiError::internal)?;
    let presigned = state
        .s3
        .put_object()
        .bucket(&state.config.uploads_bucket)
        .key(&key)
        .content_type(kind.content_type())
        .content_length(body.size as i64)
        .presigned(presigning)
        .await
        .map_err(andes_shared::aws::sdk_error)?;
    let headers: Map<String, Value> = presigned
        .headers()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .map(|(name, value)| (name.to_lowercase(), Value::from(value)))
        .collect();
    created(&json!({
        "image_id": image_id,
        "method": presigned.method(),
        "url": presigned.uri(),
        "headers": headers,
        "key": key,
        "max_size": domain::MAX_IMAGE_BYTES,
        "expires_in": UPLOAD_URL_SECONDS,
    }))
}

pub async fn delete_image(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let mut ad = own_ad(state, &request, &principal).await?;
    editable(&ad)?;
    let image_id = path_param(&request, "image_id").unwrap_or_default();
    let Some(position) = ad.images.iter().position(|i| i.id == image_id) else {
        return Err(ApiError::NotFound("image not found".into()));
    };
    if ad.images.len() == 1 && matches!(ad.status, Status::Published | Status::Pending) {
        return Err(ApiError::Conflict("a published ad needs at least one image".into()));
    }
    let image: Image = ad.images.remove(position);
    let was = ad.status;
    let mut removed_uploads = Vec::new();
    match (image.status, image.key) {
        (ImageStatus::Published, Some(key)) => {
            ad.dropped.push(key);
            ad.status = was.after_edit();
        }
        _ => removed_uploads.push(image.upload_key),
    }
    let expected = ad.version;
    ad.version = expected + 1;
    ad.updated = ids::now_rfc3339();
    if !state.store.put_ad(&ad, Expect::Version(expected)).await? {
        return Err(ApiError::Conflict(MODIFIED.into()));
    }
    delete_uploads(state, &removed_uploads).await;
    if was == Status::Published && ad.status == Status::Pending {
        enqueue(state, &Job::publish(&ad)).await?;
    }
    no_content()
}

/// 202: the ad is `pending` and its publication is queued.
pub async fn publish_ad(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let mut ad = own_ad(state, &request, &principal).await?;
    if !ad.status.can_publish() {
        return Err(ApiError::Conflict("a deleted ad cannot be published".into()));
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
    if !state.store.put_ad(&ad, Expect::Version(expected)).await? {
        return Err(ApiError::Conflict(MODIFIED.into()));
    }
    enqueue(state, &Job::publish(&ad)).await?;
    accepted(&json!({ "id": ad.id, "status": ad.status.as_str() }))
}

// ------------------------------------------------------------------------- chats

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdMessage {
    text: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatMessage {
    text: String,
}

fn message_view(message: &Message) -> Value {
    json!({ "id": message.id, "from": message.from, "text": message.text, "timestamp": message.timestamp })
}

/// `POST /ads/{id}/messages`: a buyer (an account, or anyone with name and email) writes to
/// the seller of a published ad. One chat per buyer and ad; the seller cannot write to their
/// own ad.
pub async fn message_ad(state: &State, request: Request) -> HttpResult {
    let principal = Principal::from_request(&request);
    if principal.kind == PrincipalKind::ApiKey {
        return Err(ApiError::Forbidden(
            "this route needs an account or no credentials, not an API key".into(),
        ));
    }
    let body: AdMessage = parse_json_bounded(&request, MAX_MESSAGE_BODY_BYTES)?;
    let mut e = FieldErrors::default();
    let text = e.check("text", domain::check_message(&body.text));
    let anonymous = principal.is_anonymous();
    let (mut name, mut email, mut phone) = (None, None, None);
    if anonymous {
        name = match &body.name {
            Some(n) => e.check("name", domain::check_name(n)),
            None => {
                e.add("name", "is required without an account");
                None
            }
        };
        email = match &body.email {
            Some(m) => e.check("email", domain::check_email(m)),
            None => {
                e.add("email", "is required without an account");
                None
            }
        };
        phone = body
            .phone
            .as_deref()
            .and_then(|p| e.check("phone", domain::check_phone(p)));
    }
    e.finish(|| ()).map_err(ApiError::Validation)?;
    let text = text.expect("checked");

    let not_found = || ApiError::NotFound(AD_NOT_FOUND.into());
    let id = path_param(&request, "id")
        .filter(|id| id.len() <= 64)
        .ok_or_else(not_found)?;
    let ad = state.store.get_ad(&id).await?.ok_or_else(not_found)?;
    if ad.status != Status::Published {
        return Err(not_found());
    }
    if !anonymous && principal.id == ad.owner {
        return Err(ApiError::Forbidden("the seller cannot message their own ad".into()));
    }
    // An anonymous buyer's email is never verified, so it cannot identify them: each anonymous
    // first message opens a chat of its own (keyed on its fresh id) instead of joining an
    // earlier chat with the same email, which would let anyone post as that buyer.
    let chat_id = ids::new_id();
    let buyer_key = if anonymous {
        format!("ANON#{chat_id}")
    } else {
        format!("ACCOUNT#{}", principal.id)
    };
    let now = ids::now_rfc3339();
    let new_message = |chat_id: &str| Message {
        id: ids::new_id(),
        chat_id: chat_id.to_string(),
        from: "buyer".into(),
        text: text.clone(),
        timestamp: ids::now_rfc3339(),
    };
    let existing = if anonymous {
        None
    } else {
        state.store.chat_id_of(&ad.id, &buyer_key).await?
    };
    if let Some(chat_id) = existing {
        let message = new_message(&chat_id);
        state.store.add_message(&message).await?;
        return created(&json!({ "chat_id": chat_id, "message": message_view(&message) }));
    }
    let chat = Chat {
        id: chat_id,
        ad_id: ad.id.clone(),
        seller: ad.owner.clone(),
        buyer: (!anonymous).then(|| principal.id.clone()),
        buyer_name: name,
        buyer_email: email,
        buyer_phone: phone,
        created: now.clone(),
        last_message_at: now,
    };
    let message = new_message(&chat.id);
    match state.store.create_chat(&chat, &buyer_key, &message).await? {
        ChatCreate::Created => created(&json!({ "chat_id": chat.id, "message": message_view(&message) })),
        ChatCreate::Exists => {
            // A concurrent first message created the chat: this one joins it.
            let chat_id = state
                .store
                .chat_id_of(&ad.id, &buyer_key)
                .await?
                .ok_or_else(|| ApiError::internal("chat guard vanished"))?;
            let message = new_message(&chat_id);
            state.store.add_message(&message).await?;
            created(&json!({ "chat_id": chat_id, "message": message_view(&message) }))
        }
    }
}

fn chat_view(chat: &Chat, me: &str) -> Value {
    json!({
        "id": chat.id,
        "ad_id": chat.ad_id,
        "side": if chat.seller == me { "selling" } else { "buying" },
        "seller": chat.seller,
        "buyer": chat.buyer,
        "buyer_name": chat.buyer_name,
        "buyer_email": if chat.seller == me { chat.buyer_email.clone() } else { None },
        "buyer_phone": if chat.seller == me { chat.buyer_phone.clone() } else { None },
        "created": chat.created,
        "last_message_at": chat.last_message_at,
    })
}

pub async fn my_chats(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let selling = match query_param(&request, "side").as_deref() {
        None | Some("") | Some("buying") => false,
        Some("selling") => true,
        Some(_) => return Err(ApiError::invalid("side", "must be buying or selling")),
    };
    let limit = page_limit(query_param(&request, "limit").as_deref())?;
    let cursor = query_param(&request, "cursor");
    let page = state
        .store
        .chats_of(&principal.id, selling, limit, cursor.as_deref())
        .await?;
    ok(&json!({
        "items": page.items.iter().map(|c| chat_view(c, &principal.id)).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    }))
}

/// The chat, if the caller takes part in it (else 404: a chat's existence is not disclosed),
/// and the caller's side.
async fn my_chat(state: &State, request: &Request, principal: &Principal) -> Result<(Chat, &'static str), ApiError> {
    let not_found = || ApiError::NotFound(CHAT_NOT_FOUND.into());
    let id = path_param(request, "id")
        .filter(|id| id.len() <= 64)
        .ok_or_else(not_found)?;
    let chat = state.store.get_chat(&id).await?.ok_or_else(not_found)?;
    if chat.seller == principal.id {
        Ok((chat, "seller"))
    } else if chat.buyer.as_deref() == Some(principal.id.as_str()) {
        Ok((chat, "buyer"))
    } else {
        Err(not_found())
    }
}

pub async fn list_messages(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let limit = page_limit(query_param(&request, "limit").as_deref())?;
    let cursor = query_param(&request, "cursor");
    let (chat, _) = my_chat(state, &request, &principal).await?;
    let page = state.store.messages(&chat.id, limit, cursor.as_deref()).await?;
    ok(&json!({
        "items": page.items.iter().map(message_view).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    }))
}

pub async fn post_message(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let body: ChatMessage = parse_json_bounded(&request, MAX_MESSAGE_BODY_BYTES)?;
    let text = domain::check_message(&body.text).map_err(|m| ApiError::invalid("text", m))?;
    let (chat, side) = my_chat(state, &request, &principal).await?;
    let message = Message {
        id: ids::new_id(),
        chat_id: chat.id.clone(),
        from: side.into(),
        text,
        timestamp: ids::now_rfc3339(),
    };
    state.store.add_message(&message).await?;
    created(&message_view(&message))
}

// ---------------------------------------------------------------------- profiles

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileInput {
    state_id: Option<u32>,
    city_id: Option<u32>,
    phone: Option<String>,
    #[serde(default)]
    show_phone: bool,
}

fn profile_view(profile: &Profile) -> Value {
    json!({
        "state_id": profile.state_id,
        "city_id": profile.city_id,
        "phone": profile.phone,
        "show_phone": profile.show_phone,
        "updated": profile.updated,
    })
}

pub async fn get_profile(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let profile = state.store.get_profile(&principal.id).await?.unwrap_or(Profile {
        account_id: principal.id.clone(),
        state_id: None,
        city_id: None,
        phone: None,
        show_phone: false,
        updated: String::new(),
    });
    ok(&profile_view(&profile))
}

/// Replaces the caller's seller profile (state, city of that state, phone, show_phone).
pub async fn put_profile(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let body: ProfileInput = parse_json_bounded(&request, MAX_SMALL_BODY_BYTES)?;
    let mut e: Vec<FieldError> = Vec::new();
    let phone = match body.phone.as_deref() {
        Some(p) => match domain::check_phone(p) {
            Ok(p) => Some(p),
            Err(m) => {
                e.push(FieldError::new("phone", m));
                None
            }
        },
        None => None,
    };
    if body.show_phone && body.phone.is_none() {
        e.push(FieldError::new("show_phone", "needs a phone"));
    }
    let mut state_id = body.state_id;
    if let Some(city_id) = body.city_id {
        match state.catalog.get::<catalog::City>(Kind::City, city_id).await? {
            None => e.push(FieldError::new("city_id", "is not a city of the catalog")),
            Some(city) if body.state_id.is_some_and(|s| s != city.state_id) => {
                e.push(FieldError::new("city_id", "is not a city of this state"))
            }
            Some(city) => state_id = Some(city.state_id),
        }
    } else if let Some(id) = body.state_id {
        if state.catalog.get::<catalog::State>(Kind::State, id).await?.is_none() {
            e.push(FieldError::new("state_id", "is not a state of the catalog"));
        }
    }
    if !e.is_empty() {
        return Err(ApiError::Validation(e));
    }
    let profile = Profile {
        account_id: principal.id,
        state_id,
        city_id: body.city_id,
        phone,
        show_phone: body.show_phone,
        updated: ids::now_rfc3339(),
    };
    state.store.put_profile(&profile).await?;
    ok(&profile_view(&profile))
}
