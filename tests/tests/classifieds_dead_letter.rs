//! The publication queue's dead-letter path: a message the publisher cannot handle is
//! reported as a batch item failure (the good messages of its batch still go through),
//! comes back after the visibility timeout, and after MaxReceiveCount deliveries lands in the
//! dead-letter queue. Its own test binary: it waits out visibility timeouts, and the other
//! tests wait for the publication queue to drain.

mod classifieds_support;

use std::time::Instant;

use andes_tests::support::{unique_tag, Ctx, DEAD_LETTER_TIMEOUT};
use classifieds_support::*;

const DEAD_LETTERS: &str = "CLASSIFIEDS_PUBLICATION_DEAD_LETTER_QUEUE_URL";

#[tokio::test]
async fn a_poison_message_reaches_the_dead_letter_queue_and_others_still_publish() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = ad_with_photos(&ctx, &seller, &ad_body(), 1).await;
    let id = ad["id"].as_str().unwrap();
    let poison = format!(
        "{{\"action\":\"explode\",\"ad_id\":\"{}\",\"version\":1}}",
        unique_tag()
    );
    ctx.sqs
        .send_message()
        .queue_url(queue_url(&ctx))
        .message_body(&poison)
        .send()
        .await
        .expect("send poison");
    ctx.call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None)
        .await
        .expect(202);
    wait_status(&ctx, &seller, id, "published").await;
    ctx.dead_letter(DEAD_LETTERS, "the poison message", |body| body == poison)
        .await;
    // The poison message stopped nothing else: the ad stays published.
    assert_eq!(
        get_ad(&ctx, Some(&seller.access_token), id).await.expect(200)["status"],
        "published"
    );
}

/// A publication that keeps failing for real: the images bucket refuses writes under this
/// ad (a Deny statement added to the bucket policy, which the local backend enforces like
/// S3), so every server-side copy fails. On the last delivery the publisher marks the ad
/// `failed`, and the message goes to the dead-letter queue; once writes are allowed again
/// the owner publishes again and it goes through.
#[tokio::test]
async fn a_publication_failing_on_every_delivery_marks_the_ad_failed_then_the_owner_retries() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = ad_with_photos(&ctx, &seller, &ad_body(), 2).await;
    let id = ad["id"].as_str().unwrap().to_string();
    let bucket = images_bucket(&ctx);
    let original = ctx
        .s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket policy")
        .policy
        .unwrap();
    let mut denied: serde_json::Value = serde_json::from_str(&original).unwrap();
    denied["Statement"].as_array_mut().unwrap().push(serde_json::json!({
        "Sid": format!("DenyTest{}", unique_tag()),
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{bucket}/ads/{id}/*"),
    }));
    ctx.s3
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(denied.to_string())
        .send()
        .await
        .expect("deny writes under the ad");

    ctx.call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None)
        .await
        .expect(202);
    let failed = wait_status_within(&ctx, &seller, &id, "failed", DEAD_LETTER_TIMEOUT).await;
    assert_eq!(failed["failure"], "publication failed after retries; publish again");
    ctx.dead_letter(DEAD_LETTERS, "the failed publication job", |body| body.contains(&id))
        .await;
    // Restore the template's policy (other tests' ads were never affected: the Deny names this ad).
    ctx.s3
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(&original)
        .send()
        .await
        .expect("restore the bucket policy");
    assert!(ctx.list_keys(&bucket, &format!("ads/{id}/")).await.is_empty());
    assert_eq!(
        ctx.list_keys(&uploads_bucket(&ctx), &format!("uploads/{id}/"))
            .await
            .len(),
        2,
        "nothing was lost"
    );

    ctx.call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None)
        .await
        .expect(202);
    let published = wait_status(&ctx, &seller, &id, "published").await;
    assert_eq!(published["failure"], serde_json::Value::Null);
    assert_eq!(ctx.list_keys(&bucket, &format!("ads/{id}/")).await.len(), 2);
    assert!(ctx
        .list_keys(&uploads_bucket(&ctx), &format!("uploads/{id}/"))
        .await
        .is_empty());
}

/// `wait_status` with a longer bound (a message needs MaxReceiveCount visibility timeouts).
async fn wait_status_within(
    ctx: &Ctx,
    session: &andes_tests::support::Session,
    id: &str,
    status: &str,
    bound: std::time::Duration,
) -> serde_json::Value {
    let deadline = Instant::now() + bound;
    loop {
        let ad = get_ad(ctx, Some(&session.access_token), id).await.expect(200);
        if ad["status"] == status {
            return ad;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {bound:?} waiting for status {status}: {ad}"
        );
        tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
    }
}
