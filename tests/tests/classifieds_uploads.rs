//! Photo uploads: presigned PUTs into the temporary bucket, judged by the image-uploaded
//! function on the bucket's real ObjectCreated event. The local backend checks a presigned
//! URL's signature as S3 does (a tampered, moved, re-typed or re-sized upload gets 403 and
//! writes nothing); what a signature cannot say is proven too: a text file named `.jpg`, and a
//! photo under another user's ad, written behind the API's back, each end deleted and
//! unrecorded.

mod classifieds_support;

use std::panic::AssertUnwindSafe;

use andes_tests::support::{json, Ctx};
use aws_sdk_s3::primitives::ByteStream;
use classifieds_support::*;
use futures_util::FutureExt;

#[tokio::test]
async fn a_presigned_upload_is_recorded_on_the_ad() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap();
    let answer = upload(&ctx, &seller, id, "image/jpeg", jpeg(1)).await;
    let key = answer["key"].as_str().unwrap();
    assert_eq!(
        key,
        format!(
            "uploads/{id}/{}/{}.jpg",
            seller.account_id(),
            answer["image_id"].as_str().unwrap()
        )
    );
    assert_eq!(answer["headers"]["content-type"], "image/jpeg");
    let ad = wait_images(&ctx, &seller, id, 1).await;
    let image = &ad["images"][0];
    assert_eq!(image["id"], answer["image_id"]);
    assert_eq!(image["status"], "uploaded");
    assert_eq!(image["content_type"], "image/jpeg");
    assert_eq!(image["size"], jpeg(1).len());
    assert_eq!(image["url"], serde_json::Value::Null);
    // Still in the temporary bucket, nothing in the permanent one yet.
    assert_eq!(ctx.list_keys(&uploads_bucket(&ctx), key).await, vec![key.to_string()]);
    assert!(ctx
        .list_keys(&images_bucket(&ctx), &format!("ads/{id}/"))
        .await
        .is_empty());

    // PNG and WebP are accepted too.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0u8; 64]);
    upload(&ctx, &seller, id, "image/png", png).await;
    let mut webp = b"RIFF\x40\x00\x00\x00WEBPVP8 ".to_vec();
    webp.extend_from_slice(&[0u8; 64]);
    upload(&ctx, &seller, id, "image/webp", webp).await;
    let ad = wait_images(&ctx, &seller, id, 3).await;
    let types: Vec<_> = ad["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content_type"].as_str().unwrap().to_string())
        .collect();
    assert!(
        types.contains(&"image/png".to_string()) && types.contains(&"image/webp".to_string()),
        "{types:?}"
    );
}

#[tokio::test]
async fn upload_requests_are_limited_to_images_of_5_mib() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let path = format!("{ADS}/{}/images", ad["id"].as_str().unwrap());
    let token = Some(seller.access_token.as_str());
    ctx.call(
        "POST",
        &path,
        token,
        Some(&json!({"content_type": "image/gif", "size": 10})),
    )
    .await
    .expect_invalid_field("content_type");
    ctx.call(
        "POST",
        &path,
        token,
        Some(&json!({"content_type": "image/jpeg", "size": 5 * 1024 * 1024 + 1})),
    )
    .await
    .expect_invalid_field("size");
    ctx.call(
        "POST",
        &path,
        token,
        Some(&json!({"content_type": "image/jpeg", "size": 0})),
    )
    .await
    .expect_invalid_field("size");
    ctx.call("POST", &path, token, Some(&json!({"content_type": "image/jpeg"})))
        .await
        .expect_invalid_field("size");
    ctx.call(
        "POST",
        &path,
        token,
        Some(&json!({"content_type": "image/jpeg", "size": 5 * 1024 * 1024})),
    )
    .await
    .expect(201);
}

/// Writes an object straight into the temporary bucket with the platform's own key (what a
/// presigned URL cannot do: the size, type and key are signed) and waits for its deletion.
async fn put_and_expect_rejected(ctx: &Ctx, key: &str, content_type: &str, bytes: Vec<u8>) {
    let bucket = uploads_bucket(ctx);
    ctx.s3
        .put_object()
        .bucket(&bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    wait_gone(ctx, &bucket, key).await;
}

#[tokio::test]
async fn a_presigned_upload_that_differs_from_what_was_signed_is_refused_and_not_recorded() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap();
    let photo = jpeg(7);
    let answer = ctx
        .call(
            "POST",
            &format!("{ADS}/{id}/images"),
            Some(&seller.access_token),
            Some(&json!({"content_type": "image/jpeg", "size": photo.len()})),
        )
        .await
        .expect(201);
    let url = answer["url"].as_str().unwrap().to_string();
    let key = answer["key"].as_str().unwrap().to_string();
    let signature_at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut forged = url.clone();
    let flipped = if &url[signature_at..=signature_at] == "0" {
        "1"
    } else {
        "0"
    };
    forged.replace_range(signature_at..=signature_at, flipped);
    let image_id = answer["image_id"].as_str().unwrap();
    let moved = url.replace(image_id, "0197a4c3-cccc-7000-8000-000000000001");
    let put = |url: String, content_type: &'static str, body: Vec<u8>| {
        let http = ctx.http.clone();
        async move {
            let response = http
                .put(url)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .expect("PUT presigned");
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let mut bigger = photo.clone();
    bigger.extend_from_slice(&[0; 1024]);
    for (what, (status, body)) in [
        ("a forged signature", put(forged, "image/jpeg", photo.clone()).await),
        ("another key", put(moved.clone(), "image/jpeg", photo.clone()).await),
        (
            "another content type",
            put(url.clone(), "image/png", photo.clone()).await,
        ),
        ("another size", put(url.clone(), "image/jpeg", bigger).await),
    ] {
        assert_eq!(status, 403, "{what}: {body}");
        assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{what}: {body}");
    }
    let moved_key = key.replace(image_id, "0197a4c3-cccc-7000-8000-000000000001");
    for written in [&key, &moved_key] {
        assert!(
            ctx.list_keys(&uploads_bucket(&ctx), written).await.is_empty(),
            "{written} was written"
        );
    }
    // The URL as signed still works.
    let (status, _) = put(url, "image/jpeg", photo).await;
    assert_eq!(status, 200);
    let ad = wait_images(&ctx, &seller, id, 1).await;
    assert_eq!(ad["images"][0]["id"], image_id);
}

#[tokio::test]
async fn oversized_fake_and_foreign_uploads_end_deleted_and_unrecorded() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, intruder) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap();

    // 6 MiB that start like a JPEG, through a presigned URL asked for 1 KiB: the signature
    // covers the size, so S3 refuses it and nothing is written.
    let upload_answer = ctx
        .call(
            "POST",
            &format!("{ADS}/{id}/images"),
            Some(&seller.access_token),
            Some(&json!({"content_type": "image/jpeg", "size": 1024})),
        )
        .await
        .expect(201);
    let mut big = jpeg(2);
    big.resize(6 * 1024 * 1024, 0);
    let response = ctx
        .http
        .put(upload_answer["url"].as_str().unwrap())
        .header("content-type", "image/jpeg")
        .body(big)
        .send()
        .await
        .expect("PUT presigned");
    assert_eq!(response.status(), 403);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("<Code>SignatureDoesNotMatch</Code>"));
    wait_gone(&ctx, &uploads_bucket(&ctx), upload_answer["key"].as_str().unwrap()).await;

    // A text file renamed .jpg, under the right ad and owner.
    let text_key = format!(
        "uploads/{id}/{}/0197a4c3-aaaa-7000-8000-000000000001.jpg",
        seller.account_id()
    );
    put_and_expect_rejected(
        &ctx,
        &text_key,
        "image/jpeg",
        b"this is not a photo, just text\n".repeat(50),
    )
    .await;

    // A real photo under another user's ad (key names the intruder as uploader).
    let foreign_key = format!(
        "uploads/{id}/{}/0197a4c3-aaaa-7000-8000-000000000002.jpg",
        intruder.account_id()
    );
    put_and_expect_rejected(&ctx, &foreign_key, "image/jpeg", jpeg(3)).await;

    // A photo for an ad that does not exist, and a key outside the layout.
    put_and_expect_rejected(
        &ctx,
        &format!(
            "uploads/0197a4c3-0000-7000-8000-00000000dead/{}/0197a4c3-aaaa-7000-8000-000000000003.jpg",
            seller.account_id()
        ),
        "image/jpeg",
        jpeg(4),
    )
    .await;
    put_and_expect_rejected(&ctx, "uploads/whatever.jpg", "image/jpeg", jpeg(5)).await;

    // A PNG named .jpg is not what it claims either.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0u8; 64]);
    put_and_expect_rejected(
        &ctx,
        &format!(
            "uploads/{id}/{}/0197a4c3-aaaa-7000-8000-000000000004.jpg",
            seller.account_id()
        ),
        "image/jpeg",
        png,
    )
    .await;

    // Then one good photo: it alone is recorded.
    upload(&ctx, &seller, id, "image/jpeg", jpeg(6)).await;
    let ad = wait_images(&ctx, &seller, id, 1).await;
    assert_eq!(ad["images"][0]["size"], jpeg(6).len());
    let left = ctx.list_keys(&uploads_bucket(&ctx), &format!("uploads/{id}/")).await;
    assert_eq!(left.len(), 1, "only the good photo stays: {left:?}");
}

#[tokio::test]
async fn an_ad_holds_at_most_ten_images_and_images_can_be_dropped() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap();
    // 10 concurrent uploads: every one is recorded (optimistic retries on the ad).
    let uploads = (1..=10).map(|n| upload(&ctx, &seller, id, "image/jpeg", jpeg(n)));
    futures_util::future::join_all(uploads).await;
    let ad = wait_images(&ctx, &seller, id, 10).await;
    ctx.call(
        "POST",
        &format!("{ADS}/{id}/images"),
        Some(&seller.access_token),
        Some(&json!({"content_type": "image/jpeg", "size": 100})),
    )
    .await
    .expect_problem(409, Some("an ad has at most 10 images"));
    // An eleventh object written behind the API's back is refused by image-uploaded.
    let extra = format!(
        "uploads/{id}/{}/0197a4c3-bbbb-7000-8000-000000000011.jpg",
        seller.account_id()
    );
    put_and_expect_rejected(&ctx, &extra, "image/jpeg", jpeg(11)).await;

    let ids = image_ids(&ad);
    let dropped = &ids[0];
    let dropped_key = format!("uploads/{id}/{}/{dropped}.jpg", seller.account_id());
    ctx.call(
        "DELETE",
        &format!("{ADS}/{id}/images/{dropped}"),
        Some(&seller.access_token),
        None,
    )
    .await
    .expect(204);
    ctx.call(
        "DELETE",
        &format!("{ADS}/{id}/images/{dropped}"),
        Some(&seller.access_token),
        None,
    )
    .await
    .expect_problem(404, None);
    let after = get_ad(&ctx, Some(&seller.access_token), id).await.expect(200);
    assert_eq!(image_ids(&after), ids[1..].to_vec());
    assert!(ctx.list_keys(&uploads_bucket(&ctx), &dropped_key).await.is_empty());
    // Reorder through an edit.
    let mut order = ids[1..].to_vec();
    order.reverse();
    let edited = ctx
        .call(
            "PATCH",
            &format!("{ADS}/{id}"),
            Some(&seller.access_token),
            Some(&json!({"images": order})),
        )
        .await
        .expect(200);
    assert_eq!(image_ids(&edited), order);
}

#[tokio::test]
async fn the_temporary_bucket_expires_leftovers_after_a_day() {
    let ctx = Ctx::new().await;
    let lifecycle = ctx
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket(uploads_bucket(&ctx))
        .send()
        .await
        .expect("the uploads bucket has a lifecycle configuration");
    let rule = lifecycle
        .rules()
        .iter()
        .find(|r| r.id() == Some("expire-uploads"))
        .expect("the expire-uploads rule");
    assert_eq!(rule.status().as_str(), "Enabled");
    assert_eq!(rule.expiration().and_then(|e| e.days()), Some(1));
    // The permanent bucket keeps its photos.
    let images = ctx
        .s3
        .get_bucket_lifecycle_configuration()
        .bucket(images_bucket(&ctx))
        .send()
        .await;
    assert!(images.is_err(), "the images bucket has no lifecycle rule");
}

/// Review C5: an upload event that image-uploaded cannot handle on any attempt is not dropped
/// but lands in the classifieds async-failures queue (its on-failure destination). The upload
/// bucket refuses reads under this ad (a Deny statement, enforced by the local backend like
/// S3), so the worker's ranged GET fails on every attempt.
#[tokio::test]
async fn an_upload_event_failing_every_attempt_reaches_the_async_failures_queue() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap().to_string();
    let bucket = uploads_bucket(&ctx);
    let deny = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyReadsUnderOneAd",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/uploads/{id}/*"),
        }],
    });
    let previous = ctx
        .s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .ok()
        .and_then(|p| p.policy);
    assert!(previous.is_none(), "the uploads bucket has no policy to preserve");
    ctx.s3
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(deny.to_string())
        .send()
        .await
        .expect("deny reads under the ad");
    upload(&ctx, &seller, &id, "image/jpeg", jpeg(1)).await;

    // The deny policy must go whatever happens: on a timeout too, so no later test finds the
    // bucket unreadable. The wait's panic is held until the policy is gone, then resumed.
    let under_ad = format!("uploads/{id}/");
    let waited = AssertUnwindSafe(ctx.dead_letter(
        "CLASSIFIEDS_ASYNC_FAILURES_QUEUE_URL",
        "the failed upload event",
        |body| body.contains(&under_ad),
    ))
    .catch_unwind()
    .await;
    let reads_allowed = ctx.s3.delete_bucket_policy().bucket(&bucket).send().await;
    let record = waited.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    reads_allowed.expect("allow reads again");
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3, "{record}");
    assert_eq!(
        get_ad(&ctx, Some(&seller.access_token), &id).await.expect(200)["images"],
        json!([])
    );
}
