//! Background functions: `image-uploaded` (S3 ObjectCreated on the temporary bucket) and
//! `publisher` (publication queue). Both are idempotent: every step can run twice, and every
//! write of an ad is a read-modify-write retried while other writers get there first. Both
//! copy photos to the permanent bucket through one path, [`publish`]: the publisher for the
//! ads it is asked to publish, image-uploaded for a photo added to an ad already published
//! (so the photo never waits for the next edit in the temporary bucket, which expires objects
//! after a day).

use andes_shared::aws::sdk_error;
use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::ApiError;
use andes_shared::ids;
use andes_shared::sqs::Received;
use aws_lambda_events::event::s3::S3Event;
use aws_sdk_s3::error::ProvideErrorMetadata;

use crate::config::State;
use crate::domain::{
    finish_publication, image_key, parse_upload_key, publication_step, Ad, Image, ImageStatus, ImageType,
    PublicationStep, PublicationTrigger, Status, UploadKey, MAX_IMAGES, MAX_IMAGE_BYTES,
};
use crate::messages::{Action, Job};
use crate::store::Expect;

/// What happened to one uploaded object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    Recorded,
    AlreadyRecorded,
    /// Deleted, with the reason.
    Rejected(String),
    /// Not ours to judge (another bucket, another event, or the object is already gone).
    Ignored,
}

pub async fn image_uploaded(state: &State, event: S3Event) -> Result<(), ApiError> {
    for record in event.records {
        let event_name = record.event_name.clone().unwrap_or_default();
        let bucket = record.s3.bucket.name.clone().unwrap_or_default();
        let key = andes_shared::s3::decode_event_key(record.s3.object.key.as_deref().unwrap_or_default());
        let size = record.s3.object.size.and_then(|s| u64::try_from(s).ok());
        let outcome = if event_name.starts_with("ObjectCreated") {
            handle_upload(state, &bucket, &key, size).await?
        } else {
            UploadOutcome::Ignored
        };
        match &outcome {
            UploadOutcome::Rejected(reason) => {
                tracing::warn!(key = %key, reason = %reason, "upload rejected and deleted")
            }
            other => tracing::info!(key = %key, outcome = ?other, "upload"),
        }
    }
    Ok(())
}

/// Deletes one object of the temporary uploads bucket.
pub(crate) async fn delete_upload(state: &State, key: &str) -> Result<(), ApiError> {
    state
        .s3
        .delete_object()
        .bucket(&state.config.uploads_bucket)
        .key(key)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}

async fn reject(state: &State, key: &str, reason: impl Into<String>) -> Result<UploadOutcome, ApiError> {
    delete_upload(state, key).await?;
    Ok(UploadOutcome::Rejected(reason.into()))
}

/// Checks one object of the temporary bucket: its key (ad and uploader), size, magic bytes
/// and the ad's owner; records it on the ad or deletes it. When the ad is published, the photo
/// is then copied to the permanent bucket and published with it (see [`publish`]).
pub async fn handle_upload(
    state: &State,
    bucket: &str,
    key: &str,
    size: Option<u64>,
) -> Result<UploadOutcome, ApiError> {
    if bucket != state.config.uploads_bucket {
        return Ok(UploadOutcome::Ignored);
    }
    let Some(parsed) = parse_upload_key(key) else {
        return reject(state, key, "not an upload key").await;
    };
    let size = match size {
        Some(size) => size,
        None => match state.s3.head_object().bucket(bucket).key(key).send().await {
            Ok(head) => head.content_length.and_then(|l| u64::try_from(l).ok()).unwrap_or(0),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Ok(UploadOutcome::Ignored)
            }
            Err(error) => return Err(sdk_error(error)),
        },
    };
    if size > MAX_IMAGE_BYTES {
        return reject(state, key, format!("{size} bytes is over the 5 MiB limit")).await;
    }
    if size == 0 {
        return reject(state, key, "empty object").await;
    }
    let range = format!("bytes=0-{}", ImageType::SNIFF_BYTES - 1);
    let head = match state.s3.get_object().bucket(bucket).key(key).range(range).send().await {
        Ok(output) => output.body.collect().await.map_err(ApiError::internal)?.into_bytes(),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            return Ok(UploadOutcome::Ignored)
        }
        Err(error) => return Err(sdk_error(error)),
    };
    if ImageType::sniff(&head) != Some(parsed.kind) {
        return reject(state, key, format!("content is not a {}", parsed.kind.content_type())).await;
    }
    let (outcome, live) = read_modify_write(|| record_upload(state, &parsed, key, size)).await?;
    if live {
        // Recorded first, copied second: while the copy runs the photo is on the ad, so a
        // lost race (an edit, a delete, a duplicate of this event) can tell a copy to keep
        // from one to discard. A crash in between is repaired by the retried event (the photo
        // is already recorded, the ad still published) or by the next publication.
        publish_new_photos(state, &parsed.ad_id).await?;
    }
    Ok(outcome)
}

/// One attempt at appending an upload to its ad (or rejecting it). Also says whether the ad
/// was published when the photo was recorded (or found recorded): then the photo is copied
/// at once. An ad published later has its photos copied by that publication, whose
/// conditional write fails on the version this recording made, so it reads them.
async fn record_upload(
    state: &State,
    parsed: &UploadKey,
    key: &str,
    size: u64,
) -> Result<Attempt<(UploadOutcome, bool)>, ApiError> {
    let rejected = |outcome| Attempt::Done((outcome, false));
    let Some(mut ad) = state.store.get_ad(&parsed.ad_id).await? else {
        return reject(state, key, "no such ad").await.map(rejected);
    };
    if ad.owner != parsed.owner {
        return reject(state, key, "the uploader does not own the ad")
            .await
            .map(rejected);
    }
    if ad.status == Status::Deleted {
        return reject(state, key, "the ad is deleted").await.map(rejected);
    }
    let live = ad.status == Status::Published;
    if ad.images.iter().any(|i| i.id == parsed.image_id) {
        return Ok(Attempt::Done((UploadOutcome::AlreadyRecorded, live)));
    }
    if ad.images.len() >= MAX_IMAGES {
        return reject(state, key, format!("the ad already has {MAX_IMAGES} images"))
            .await
            .map(rejected);
    }
    let expected = ad.version;
    ad.images.push(Image {
        id: parsed.image_id.clone(),
        content_type: parsed.kind.content_type().into(),
        size,
        upload_key: key.to_string(),
        key: None,
        url: None,
        status: ImageStatus::Uploaded,
    });
    ad.version = expected + 1;
    ad.updated = ids::now_rfc3339();
    if state.store.put_ad(&ad, Expect::Version(expected)).await? {
        Ok(Attempt::Done((UploadOutcome::Recorded, live)))
    } else {
        Ok(Attempt::Stale)
    }
}

/// Handles one message of the publication queue. On the last delivery of a failing
/// publication the ad is marked `failed` (the owner can publish again) before the message
/// goes to the dead-letter queue.
pub async fn publisher(state: &State, message: Received<Job>) -> Result<(), ApiError> {
    let (job, receives) = (message.body, message.receive_count);
    let result = match job.action {
        Action::Publish => publish(state, &job.ad_id).await,
        Action::Delete => remove(state, &job.ad_id).await,
    };
    if let Err(error) = &result {
        if job.action == Action::Publish && receives >= state.config.max_receive_count {
            mark_failed(state, &job.ad_id, "publication failed after retries; publish again").await?;
        }
        tracing::warn!(ad_id = %job.ad_id, receives, error = %error, "publication job failed");
    }
    result
}

/// Sets `ad` (as read by `publish`) to `failed` with a reason the owner sees, on condition
/// that it is still `pending` at the version read. Returns `false` when that condition failed:
/// the ad was edited (or deleted) since, so the failure may no longer apply and the caller
/// reads it again.
async fn mark_failed_at(state: &State, ad: &Ad, reason: &str) -> Result<bool, ApiError> {
    let mut failed = ad.clone();
    failed.status = Status::Failed;
    failed.failure = Some(reason.to_string());
    failed.version = ad.version + 1;
    failed.updated = ids::now_rfc3339();
    state
        .store
        .put_ad(&failed, Expect::VersionAndStatus(ad.version, Status::Pending))
        .await
}

/// Sets a pending ad to `failed` with a reason the owner sees (whatever its version: the
/// last delivery of a publication that kept failing).
async fn mark_failed(state: &State, ad_id: &str, reason: &str) -> Result<(), ApiError> {
    read_modify_write(|| async {
        let Some(mut ad) = state.store.get_ad(ad_id).await? else {
            return Ok(Attempt::Done(()));
        };
        if ad.status != Status::Pending {
            return Ok(Attempt::Done(()));
        }
        let expected = ad.version;
        ad.status = Status::Failed;
        ad.failure = Some(reason.to_string());
        ad.version = expected + 1;
        ad.updated = ids::now_rfc3339();
        let written = state
            .store
            .put_ad(&ad, Expect::VersionAndStatus(expected, Status::Pending))
            .await?;
        Ok(if written { Attempt::Done(()) } else { Attempt::Stale })
    })
    .await
}

enum CopyError {
    /// Neither the source nor the destination exists.
    Missing,
    Other(ApiError),
}

/// Server-side copy from the temporary to the permanent bucket (the bytes never pass
/// through the function). A copy whose source is gone but whose destination exists was done
/// by an earlier run.
async fn copy_image(state: &State, image: &Image, destination: &str) -> Result<(), CopyError> {
    let result = state
        .s3
        .copy_object()
        .copy_source(format!("{}/{}", state.config.uploads_bucket, image.upload_key))
        .bucket(&state.config.images_bucket)
        .key(destination)
        .content_type(&image.content_type)
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .cache_control("public, max-age=31536000, immutable")
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.code() == Some("NoSuchKey") => {
            match state
                .s3
                .head_object()
                .bucket(&state.config.images_bucket)
                .key(destination)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(head) if head.as_service_error().is_some_and(|e| e.is_not_found()) => Err(CopyError::Missing),
                Err(head) => Err(CopyError::Other(sdk_error(head))),
            }
        }
        Err(error) => Err(CopyError::Other(sdk_error(error))),
    }
}

/// Publishes a pending ad: copies its new images, deletes the ones dropped by edits, writes
/// `published` on condition that the ad is still pending at the version read (else reads it
/// again), then deletes the temporary objects. A message for a published ad copies the photos
/// added since its publication (if image-uploaded has not yet), else only makes sure no
/// temporary object is left.
pub async fn publish(state: &State, ad_id: &str) -> Result<(), ApiError> {
    read_modify_write(|| publish_once(state, ad_id, PublicationTrigger::Queue)).await
}

/// image-uploaded's part of [`publish`]: copies the new photos of an ad that is published (and
/// does nothing to one that is not: a pending ad's queued publication copies them).
pub async fn publish_new_photos(state: &State, ad_id: &str) -> Result<(), ApiError> {
    read_modify_write(|| publish_once(state, ad_id, PublicationTrigger::Upload)).await
}

/// One attempt of [`publish`]; `Stale` when the ad changed under it (read it again).
async fn publish_once(state: &State, ad_id: &str, trigger: PublicationTrigger) -> Result<Attempt<()>, ApiError> {
    let Some(read) = state.store.get_ad(ad_id).await? else {
        return Ok(Attempt::Done(()));
    };
    let step = publication_step(&read, trigger);
    match step {
        PublicationStep::Nothing => return Ok(Attempt::Done(())),
        PublicationStep::CleanUp => {
            let leftovers = read
                .images
                .iter()
                .filter(|i| i.status == ImageStatus::Published)
                .map(|i| i.upload_key.as_str());
            for key in leftovers {
                delete_upload(state, key).await?;
            }
            return Ok(Attempt::Done(()));
        }
        PublicationStep::Publish | PublicationStep::AddPhotos => {}
    }
    let mut ad = read.clone();
    let mut copied = Vec::new();
    // (image id, destination) of the copies made by this attempt.
    let mut destinations: Vec<(String, String)> = Vec::new();
    for image in ad.images.iter_mut().filter(|i| i.status == ImageStatus::Uploaded) {
        let kind = ImageType::from_content_type(&image.content_type).unwrap_or(ImageType::Jpeg);
        let destination = image_key(&ad.id, &image.id, kind);
        match copy_image(state, image, &destination).await {
            Ok(()) => {}
            Err(CopyError::Missing) if step == PublicationStep::AddPhotos => {
                // Only its owner has seen it: the ad stays up, the photo stays `uploaded`, and
                // the owner's next publication names it.
                tracing::warn!(ad_id, image_id = %image.id, "a photo added to a published ad is gone");
                continue;
            }
            Err(CopyError::Missing) => {
                let reason = format!(
                    "image {} is no longer in the temporary bucket; remove it and publish again",
                    image.id
                );
                if mark_failed_at(state, &read, &reason).await? {
                    return Ok(Attempt::Done(()));
                }
                // Edited since it was read (say, that very image was dropped): read it again.
                if discard_stale_copies(state, ad_id, &destinations).await? {
                    return Ok(Attempt::Done(()));
                }
                return Ok(Attempt::Stale);
            }
            Err(CopyError::Other(error)) => {
                // The copies made so far must not outlive an ad deleted meanwhile.
                if !destinations.is_empty() {
                    if let Err(cleanup) = discard_stale_copies(state, ad_id, &destinations).await {
                        tracing::warn!(ad_id, error = %cleanup, "discarding the copies of a failed attempt failed");
                    }
                }
                return Err(error);
            }
        }
        destinations.push((image.id.clone(), destination.clone()));
        image.url = Some(state.config.public_url(&destination));
        image.key = Some(destination);
        image.status = ImageStatus::Published;
        copied.push(image.upload_key.clone());
    }
    if step == PublicationStep::AddPhotos && copied.is_empty() {
        return Ok(Attempt::Done(()));
    }
    for key in &ad.dropped {
        state
            .s3
            .delete_object()
            .bucket(&state.config.images_bucket)
            .key(key)
            .send()
            .await
            .map_err(sdk_error)?;
    }
    finish_publication(&mut ad);
    if state
        .store
        .put_ad(&ad, Expect::VersionAndStatus(read.version, read.status))
        .await?
    {
        tracing::info!(ad_id, step = ?step, copied = copied.len(), "photos published");
        for key in copied {
            delete_upload(state, &key).await?;
        }
        return Ok(Attempt::Done(()));
    }
    if discard_stale_copies(state, ad_id, &destinations).await? {
        return Ok(Attempt::Done(()));
    }
    Ok(Attempt::Stale)
}

/// After a lost conditional write: reads the ad again and deletes the copies of this attempt
/// that no longer belong to it (all of them when the ad was deleted meanwhile, since its
/// `delete` job may already have swept `ads/{id}/`; else those of images dropped by an edit),
/// so no public object outlives its ad. Returns whether the ad is gone or deleted (publishing
/// is over).
async fn discard_stale_copies(state: &State, ad_id: &str, destinations: &[(String, String)]) -> Result<bool, ApiError> {
    let current = state.store.get_ad(ad_id).await?;
    let gone = current.as_ref().is_none_or(|ad| ad.status == Status::Deleted);
    for (image_id, key) in destinations {
        let kept = !gone
            && current
                .as_ref()
                .is_some_and(|ad| ad.images.iter().any(|i| &i.id == image_id));
        if !kept {
            state
                .s3
                .delete_object()
                .bucket(&state.config.images_bucket)
                .key(key)
                .send()
                .await
                .map_err(sdk_error)?;
            tracing::info!(ad_id, key = %key, gone, "copy discarded: the ad is deleted or no longer has the photo");
        }
    }
    Ok(gone)
}

/// Every key under `prefix` in `bucket`.
pub async fn list_keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<String>, ApiError> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(sdk_error)?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        match page.next_continuation_token() {
            Some(next) if page.is_truncated().unwrap_or(false) => token = Some(next.to_string()),
            _ => return Ok(keys),
        }
    }
}

/// Removes a deleted ad: every object under it in both buckets, then its item.
pub async fn remove(state: &State, ad_id: &str) -> Result<(), ApiError> {
    let Some(ad) = state.store.get_ad(ad_id).await? else {
        return Ok(());
    };
    if ad.status != Status::Deleted {
        return Ok(());
    }
    for (bucket, prefix) in [
        (&state.config.uploads_bucket, format!("uploads/{ad_id}/")),
        (&state.config.images_bucket, format!("ads/{ad_id}/")),
    ] {
        for key in list_keys(&state.s3, bucket, &prefix).await? {
            state
                .s3
                .delete_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .map_err(sdk_error)?;
        }
    }
    state.store.remove_deleted_ad(ad_id).await
}
