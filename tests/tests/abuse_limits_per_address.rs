//! The per-address abuse limits at the template's real figures: signups (10 per source IP and
//! hour) and classifieds' anonymous messages (20 per source IP and hour). Each test sends from
//! its own loopback address, so the counts are its own.
//!
//! The main test platform raises these figures (every suite signs up many accounts from
//! 127.0.0.1), so these tests are ignored there: `scripts/test.sh` runs them afterwards
//! (`--ignored`) on a fresh platform started with the template's defaults.

mod classifieds_support;

use andes_tests::support::{away_from_the_hour_boundary, json, unique_tag, Ctx, NewUser};
use classifieds_support::*;

const SIGNUPS_PER_IP_PER_HOUR: usize = 10;
const ANONYMOUS_MESSAGES_PER_IP_PER_HOUR: usize = 20;

#[tokio::test]
#[ignore = "needs the template's real per-address figures: scripts/test.sh runs it on its own platform"]
async fn the_eleventh_signup_from_one_address_in_an_hour_is_refused() {
    let ctx = Ctx::new().await.from_address("127.0.0.2");
    away_from_the_hour_boundary().await;
    for n in 1..=SIGNUPS_PER_IP_PER_HOUR {
        let reply = ctx.signup(&NewUser::random()).await;
        assert_eq!(reply.status, 201, "signup {n}: {}", reply.text);
    }
    let refused = ctx.signup(&NewUser::random()).await;
    refused.expect_too_many("Too many signups from this address", 3600);
    // Another address still signs up.
    let elsewhere = Ctx::new().await.from_address("127.0.0.4");
    elsewhere.signup(&NewUser::random()).await.expect(201);
}

#[tokio::test]
#[ignore = "needs the template's real per-address figures: scripts/test.sh runs it on its own platform"]
async fn anonymous_messages_from_one_address_are_limited_whatever_the_email() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let messages = format!("{ADS}/{}/messages", ad["id"].as_str().unwrap());
    let (_, buyer) = ctx.new_session().await;
    let ctx = ctx.from_address("127.0.0.3");
    away_from_the_hour_boundary().await;
    let tag = unique_tag();
    for n in 1..=ANONYMOUS_MESSAGES_PER_IP_PER_HOUR {
        let body = json!({"text": "Hola", "name": "Bruna", "email": format!("b{n}.{tag}@example.com")});
        let reply = ctx.call("POST", &messages, None, Some(&body)).await;
        assert_eq!(reply.status, 201, "anonymous message {n}: {}", reply.text);
    }
    let body = json!({"text": "Hola", "name": "Bruna", "email": format!("last.{tag}@example.com")});
    ctx.call("POST", &messages, None, Some(&body))
        .await
        .expect_too_many("Too many messages without an account from this address", 3600);
    // A buyer with an account still writes, from that address too.
    ctx.call(
        "POST",
        &messages,
        Some(&buyer.access_token),
        Some(&json!({"text": "Hola"})),
    )
    .await
    .expect(201);
}
