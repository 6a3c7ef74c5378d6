//! Photos of an ad: presigned uploads into the temporary bucket, and removal.

use std::time::Duration;

use andes_shared::auth::Principal;
use andes_shared::dynamo::retry::{with_client_version, Attempt};
use andes_shared::http::{self, created, no_content, ApiError};
use andes_shared::ids;
use aws_sdk_s3::presigning::PresigningConfig;
use lambda_http::Request;
use serde::Deserialize;

use super::ads::version_param;
use super::views::UploadView;
use super::{
    ad_id, delete_uploads, editable, enqueue, id_param, is_stale, own_ad, HttpResult, MAX_SMALL_BODY_BYTES, MODIFIED,
};
use crate::config::State;
use crate::domain::{check_upload, upload_key, Image, ImageStatus, Status, MAX_IMAGES, MAX_IMAGE_BYTES};
use crate::messages::Job;
use crate::store::Expect;

/// Lifetime of a presigned upload.
pub const UPLOAD_URL_SECONDS: u64 = 900;

/// The photo to upload: its content type (taken case-insensitively) and its size in bytes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    #[schema(schema_with = crate::openapi::content_type)]
    content_type: String,
    #[schema(schema_with = crate::openapi::image_size)]
    size: u64,
}

/// A presigned PUT into the temporary bucket, under the ad and the uploader. S3 enforces the
/// signed content type and length on AWS; `image-uploaded` checks both again (and the magic
/// bytes), since nothing stops a client from writing something else.
#[utoipa::path(
    post,
    path = "/classifieds/ads/{id}/images",
    params(("id" = String, Path, description = "The ad's id")),
    request_body = UploadRequest,
    responses(
        (status = 201, description = "PUT the photo to `url` with `headers`; it is recorded once uploaded", body = UploadView),
        (status = 403, description = "The ad is another account's published ad"),
        (status = 404, description = "No such ad (or another account's unpublished ad)"),
        (status = 409, description = "The ad is deleted or has the most photos an ad can have"),
    )
)]
pub async fn request_upload(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let body: UploadRequest = http::json_body(&request, MAX_SMALL_BODY_BYTES)?;
    let kind = check_upload(&body.content_type, body.size).map_err(ApiError::Validation)?;
    let ad = own_ad(state, &ad_id(&request)?, &principal).await?;
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
    let headers = presigned
        .headers()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-length"))
        .map(|(name, value)| (name.to_lowercase(), value.to_string()))
        .collect();
    created(&UploadView {
        image_id,
        method: presigned.method().to_string(),
        url: presigned.uri().to_string(),
        headers,
        key,
        max_size: MAX_IMAGE_BYTES,
        expires_in: UPLOAD_URL_SECONDS,
    })
}

/// Answers 204: a published photo is deleted from the images bucket by the re-publication
/// this triggers; a photo not yet published is deleted from the temporary bucket at once.
#[utoipa::path(
    delete,
    path = "/classifieds/ads/{id}/images/{image_id}",
    params(
        ("id" = String, Path, description = "The ad's id"),
        ("image_id" = String, Path, description = "The photo's id"),
        crate::openapi::VersionParam,
    ),
    responses(
        (status = 204, description = "The photo is gone from the ad"),
        (status = 403, description = "The ad is another account's published ad"),
        (status = 404, description = "No such ad (or another account's unpublished ad), or no such photo on it"),
        (status = 409, description = "The ad is deleted, the photo is the last of a published ad, or `version` is stale"),
        (status = 422, description = "`version` is not a non-negative integer"),
        (status = 503, description = "Too many concurrent changes, or the re-publication could not be queued; retry"),
    )
)]
pub async fn delete(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let version = version_param(&request)?;
    let id = ad_id(&request)?;
    let image_id = id_param(&request, "image_id").unwrap_or_default();
    let (id, image_id, principal) = (id.as_str(), image_id.as_str(), &principal);
    let (ad, was, removed_uploads) = with_client_version(version, MODIFIED, || async move {
        let mut ad = own_ad(state, id, principal).await?;
        editable(&ad)?;
        let Some(position) = ad.images.iter().position(|i| i.id == image_id) else {
            return Err(ApiError::NotFound("image not found".into()));
        };
        if is_stale(version, &ad) {
            return Ok(Attempt::Stale);
        }
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
        let written = state.store.put_ad(&ad, Expect::Version(expected)).await?;
        Ok(if written {
            Attempt::Done((ad, was, removed_uploads))
        } else {
            Attempt::Stale
        })
    })
    .await?;
    delete_uploads(state, &removed_uploads).await;
    if was == Status::Published && ad.status == Status::Pending {
        enqueue(state, &Job::publish(&ad)).await?;
    }
    no_content()
}
