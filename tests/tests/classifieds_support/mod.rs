//! Steps shared by the `classifieds_*` end-to-end tests: ads, presigned uploads, waiting for
//! the image-uploaded and publisher functions, buckets and the publication queue.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use andes_tests::support::{json, project_dir, query_escape, Ctx, Session, Value, POLL_INTERVAL};

pub const ADS: &str = "/classifieds/ads";
/// Bound for an upload to be judged or an ad to be published (asynchronous deliveries).
pub const ASYNC_TIMEOUT: Duration = Duration::from_secs(60);

/// BMW (brand 1) "C 600" (model 1), version 1 "Sport Highline"; city 1 Adamantina (SP, state 1).
pub fn ad_body() -> Value {
    json!({
        "model_id": 1, "version_id": 1, "city_id": 1, "type": "naked", "origin": "national",
        "fabrication_year": 2022, "model_year": 2023, "mileage": 12000, "color": "black",
        "price": "38900.00", "sales_phrase": "Revisada", "description": "Única dona.",
        "options": ["gps"], "brake_system": "abs", "ignition": "electric", "cooling": "liquid",
        "doc_ok": true
    })
}

/// A demo photo (JPEG) of the seed.
pub fn jpeg(n: u32) -> Vec<u8> {
    std::fs::read(project_dir().join(format!("data/classifieds/demo/img/{n}.jpeg"))).expect("demo photo")
}

pub fn uploads_bucket(ctx: &Ctx) -> String {
    ctx.env.var("CLASSIFIEDS_UPLOADS_BUCKET").to_string()
}

pub fn images_bucket(ctx: &Ctx) -> String {
    ctx.env.var("CLASSIFIEDS_IMAGES_BUCKET").to_string()
}

pub fn queue_url(ctx: &Ctx) -> String {
    ctx.env.var("CLASSIFIEDS_PUBLICATION_QUEUE_URL").to_string()
}

pub async fn create_ad(ctx: &Ctx, session: &Session, body: &Value) -> Value {
    ctx.call("POST", ADS, Some(&session.access_token), Some(body))
        .await
        .expect(201)
}

pub async fn get_ad(ctx: &Ctx, token: Option<&str>, id: &str) -> andes_tests::support::Reply {
    ctx.call("GET", &format!("{ADS}/{id}"), token, None).await
}

/// Asks for a presigned upload and PUTs `bytes` to it; returns the upload answer.
pub async fn upload(ctx: &Ctx, session: &Session, ad_id: &str, content_type: &str, bytes: Vec<u8>) -> Value {
    let upload = ctx
        .call(
            "POST",
            &format!("{ADS}/{ad_id}/images"),
            Some(&session.access_token),
            Some(&json!({"content_type": content_type, "size": bytes.len()})),
        )
        .await
        .expect(201);
    assert_eq!(upload["method"], "PUT", "{upload}");
    let url = upload["url"].as_str().expect("presigned url");
    let response = ctx
        .http
        .put(url)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT {url}: {e}"));
    assert!(response.status().is_success(), "PUT presigned: {}", response.status());
    upload
}

/// Polls the owner's view of the ad until `done` holds (bounded by ASYNC_TIMEOUT).
pub async fn wait_ad(ctx: &Ctx, session: &Session, ad_id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + ASYNC_TIMEOUT;
    loop {
        let ad = get_ad(ctx, Some(&session.access_token), ad_id).await.expect(200);
        if done(&ad) {
            return ad;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {ASYNC_TIMEOUT:?} waiting for {what}: {ad}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

pub async fn wait_images(ctx: &Ctx, session: &Session, ad_id: &str, count: usize) -> Value {
    wait_ad(ctx, session, ad_id, &format!("{count} recorded images"), |ad| {
        ad["images"].as_array().is_some_and(|i| i.len() == count)
    })
    .await
}

pub async fn wait_status(ctx: &Ctx, session: &Session, ad_id: &str, status: &str) -> Value {
    wait_ad(ctx, session, ad_id, &format!("status {status}"), |ad| {
        ad["status"] == status
    })
    .await
}

/// Polls until `key` is gone from `bucket` (bounded).
pub async fn wait_gone(ctx: &Ctx, bucket: &str, key: &str) {
    let deadline = Instant::now() + ASYNC_TIMEOUT;
    loop {
        if ctx.list_keys(bucket, key).await.iter().all(|k| k != key) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for s3://{bucket}/{key} to be deleted"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Polls until the ad has `count` images, every one published (copied to the images bucket,
/// with its public URL).
pub async fn wait_photos_published(ctx: &Ctx, session: &Session, ad_id: &str, count: usize) -> Value {
    wait_ad(ctx, session, ad_id, &format!("{count} published photos"), |ad| {
        ad["images"]
            .as_array()
            .is_some_and(|i| i.len() == count && i.iter().all(|i| i["status"] == "published"))
    })
    .await
}

/// The uploads bucket's lifecycle rule (1 day), run by the platform's sweeper as of two days
/// from now over the temporary objects under `prefix` only (the rest of the bucket belongs to
/// other tests): how many it expired.
pub async fn expire_uploads(ctx: &Ctx, prefix: &str) -> u64 {
    let two_days_later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let path = format!(
        "/_local/sweep?time={}&bucket={}&prefix={}",
        query_escape(&two_days_later),
        query_escape(&uploads_bucket(ctx)),
        query_escape(prefix)
    );
    let swept = ctx.call("POST", &path, None, None).await.expect(200);
    swept["expired_objects"]
        .as_u64()
        .unwrap_or_else(|| panic!("sweep answer without expired_objects: {swept}"))
}

/// A draft with `photos` recorded images.
pub async fn ad_with_photos(ctx: &Ctx, session: &Session, body: &Value, photos: u32) -> Value {
    let ad = create_ad(ctx, session, body).await;
    let id = ad["id"].as_str().unwrap().to_string();
    for n in 1..=photos {
        upload(ctx, session, &id, "image/jpeg", jpeg(n)).await;
    }
    wait_images(ctx, session, &id, photos as usize).await
}

/// A published ad with `photos` images.
pub async fn published_ad(ctx: &Ctx, session: &Session, body: &Value, photos: u32) -> Value {
    let ad = ad_with_photos(ctx, session, body, photos).await;
    let id = ad["id"].as_str().unwrap().to_string();
    ctx.call(
        "POST",
        &format!("{ADS}/{id}/publish"),
        Some(&session.access_token),
        None,
    )
    .await
    .expect(202);
    wait_status(ctx, session, &id, "published").await
}

/// Waits until the publication queue has no message left, visible or in flight.
pub async fn wait_queue_drained(ctx: &Ctx) {
    let url = queue_url(ctx);
    let deadline = Instant::now() + ASYNC_TIMEOUT;
    loop {
        let attributes = ctx
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes");
        let count = |name: aws_sdk_sqs::types::QueueAttributeName| {
            attributes
                .attributes()
                .and_then(|a| a.get(&name))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        if count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages) == 0
            && count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible) == 0
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the publication queue to drain"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Sends a publication job straight to the queue (what publish-ad sends).
pub async fn send_job(ctx: &Ctx, action: &str, ad_id: &str, version: u64) {
    ctx.sqs
        .send_message()
        .queue_url(queue_url(ctx))
        .message_body(json!({"action": action, "ad_id": ad_id, "version": version}).to_string())
        .send()
        .await
        .expect("send publication job");
}

pub fn image_ids(ad: &Value) -> Vec<String> {
    ad["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// Runs `classifieds-admin` with the env file's variables; returns its stdout, panics on failure.
pub async fn classifieds_admin(ctx: &Ctx, args: &[&str]) -> String {
    ctx.admin_ok("classifieds-admin", args).await
}
