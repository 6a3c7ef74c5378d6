//! The publication queue's dead-letter path: a message the publisher cannot handle is
//! reported as a batch item failure (the good messages of its batch still go through),
//! comes back after the visibility timeout, and after MaxReceiveCount deliveries lands in the
//! dead-letter queue. Its own test binary: it waits out visibility timeouts, and the other
//! tests wait for the publication queue to drain.

mod classifieds_support;

use std::time::Instant;

use andes_tests::support::{unique_tag, Ctx, DEAD_LETTER_TIMEOUT};
use classifieds_support::*;

#[tokio::test]
async fn a_poison_message_reaches_the_dead_letter_queue_and_others_still_publish() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = ad_with_photos(&ctx, &seller, &ad_body(), 1).await;
    let id = ad["id"].as_str().unwrap();
    let poison = format!("{{\"action\":\"explode\",\"ad_id\":\"{}\",\"version\":1}}", unique_tag());
    ctx.sqs.send_message().queue_url(queue_url(&ctx)).message_body(&poison).send().await.expect("send poison");
    ctx.call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None).await.expect(202);
    wait_status(&ctx, &seller, id, "published").await;

    let dead_letters = ctx.env.var("CLASSIFIEDS_PUBLICATION_DEAD_LETTER_QUEUE_URL");
    let deadline = Instant::now() + DEAD_LETTER_TIMEOUT;
    loop {
        let received = ctx
            .sqs
            .receive_message()
            .queue_url(dead_letters)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(3)
            .send()
            .await
            .expect("receive from the dead-letter queue");
        if let Some(message) = received.messages().iter().find(|m| m.body() == Some(poison.as_str())) {
            ctx.sqs
                .delete_message()
                .queue_url(dead_letters)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .expect("delete the dead letter");
            break;
        }
        assert!(Instant::now() < deadline, "the poison message never reached the dead-letter queue");
    }
    // The poison message stopped nothing else: the ad stays published.
    assert_eq!(get_ad(&ctx, Some(&seller.access_token), id).await.expect(200)["status"], "published");
}
