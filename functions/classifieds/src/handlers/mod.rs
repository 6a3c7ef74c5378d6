//! HTTP handlers of the classifieds API, one module per resource. Each binary in `src/bin`
//! runs one of them.

pub mod ads;
pub mod catalog;
pub mod chats;
pub mod images;
pub mod profile;
pub mod views;

use andes_shared::auth::Principal;
use andes_shared::dynamo::page_limit;
use andes_shared::http::{self, ApiError};
use lambda_http::{Body, Request, Response};

use crate::config::State;
use crate::domain::{Ad, Status};
use crate::messages::{self, Job};

/// An ad body: 4000 characters of description, up to 4 bytes each, plus the other fields.
pub const MAX_AD_BODY_BYTES: usize = 24 * 1024;
pub const MAX_SMALL_BODY_BYTES: usize = 4 * 1024;
pub const MAX_MESSAGE_BODY_BYTES: usize = 12 * 1024;
/// Longest id looked up (ids are UUIDs); a longer one is simply not found.
const MAX_ID_BYTES: usize = 64;

type HttpResult = Result<Response<Body>, ApiError>;

const AD_NOT_FOUND: &str = "ad not found";
const MODIFIED: &str = "the ad was modified by another request; read it again and retry";

/// Path parameter `name` as an id: `None` when it cannot be one (then nothing is found).
fn id_param(request: &Request, name: &str) -> Option<String> {
    Some(http::path(request, name)).filter(|id| !id.is_empty() && id.len() <= MAX_ID_BYTES)
}

/// `limit` and `cursor` of a list request.
fn paging(request: &Request) -> Result<(i32, Option<String>), ApiError> {
    Ok((
        page_limit(http::query(request, "limit").as_deref())?,
        http::query(request, "cursor"),
    ))
}

/// The caller's ad. Someone else's ad that is not public answers exactly like a missing one
/// (404), so that drafts do not disclose their existence; a published one is a 403.
async fn own_ad(state: &State, id: &str, principal: &Principal) -> Result<Ad, ApiError> {
    let not_found = || ApiError::NotFound(AD_NOT_FOUND.into());
    let ad = state.store.get_ad(id).await?.ok_or_else(not_found)?;
    if ad.owner == principal.id {
        Ok(ad)
    } else if ad.status == Status::Published {
        Err(ApiError::Forbidden("this ad belongs to another account".into()))
    } else {
        Err(not_found())
    }
}

/// The id of the ad a route names (404 when it cannot be one).
fn ad_id(request: &Request) -> Result<String, ApiError> {
    id_param(request, "id").ok_or_else(|| ApiError::NotFound(AD_NOT_FOUND.into()))
}

fn editable(ad: &Ad) -> Result<(), ApiError> {
    if ad.status.is_editable() {
        Ok(())
    } else {
        Err(ApiError::Conflict("the ad is deleted".into()))
    }
}

/// The version a client sent, if any, against the ad as read: a different one is stale.
fn is_stale(client_version: Option<u64>, ad: &Ad) -> bool {
    client_version.is_some_and(|version| version != ad.version)
}

async fn enqueue(state: &State, job: &Job) -> Result<(), ApiError> {
    messages::send(&state.sqs, &state.config.queue_url, job)
        .await
        .map_err(|error| {
            tracing::error!(ad_id = %job.ad_id, error = %error, "enqueueing a publication job failed");
            ApiError::Unavailable("the publication queue is unavailable; try again".into())
        })
}

/// Best effort: what is left is removed by the bucket's lifecycle rule (1 day).
async fn delete_uploads(state: &State, keys: &[String]) {
    for key in keys {
        if let Err(error) = crate::jobs::delete_upload(state, key).await {
            tracing::warn!(error = %error, "deleting a dropped upload failed");
        }
    }
}
