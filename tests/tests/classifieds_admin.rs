//! `classifieds-admin`: the catalog load is idempotent; the demo data goes in through the real
//! path (login, presigned uploads, image-uploaded, publisher) and comes out again whole.

mod classifieds_support;

use andes_tests::support::{json, Ctx};
use classifieds_support::*;

const FIRST_DEMO_EMAIL: &str = "bernardo.alencar@gmail.com";
const FIRST_DEMO_PASSWORD: &str = "QWEAsER3434";

#[tokio::test]
async fn catalog_load_is_idempotent() {
    let ctx = Ctx::new().await;
    let out = classifieds_admin(&ctx, &["load-catalog"]).await;
    assert!(out.contains("catalog loaded: 2024 entries"), "{out}");
    classifieds_admin(&ctx, &["load-catalog"]).await;
    let brands = ctx
        .call("GET", "/classifieds/catalog/brands?limit=100", None, None)
        .await
        .expect(200);
    assert_eq!(brands["items"].as_array().unwrap().len(), 18);
    let versions = ctx
        .call("GET", "/classifieds/catalog/models/1/versions?limit=100", None, None)
        .await
        .expect(200);
    assert_eq!(
        versions["items"],
        json!([{"id": 1, "name": "Sport Highline", "model_id": 1}])
    );
}

#[tokio::test]
async fn demo_data_loads_through_the_real_path_and_is_removed() {
    let ctx = Ctx::new().await;
    let out = classifieds_admin(&ctx, &["load-demo", "--accounts", "2"]).await;
    assert!(
        out.contains("demo loaded: 2 accounts, 6 ads with 3 photos each"),
        "{out}"
    );
    assert!(out.contains("AWS calls by function"), "{out}");

    let seller = ctx.login_session(FIRST_DEMO_EMAIL, FIRST_DEMO_PASSWORD).await;
    let mine = ctx
        .call("GET", "/classifieds/me/ads?limit=100", Some(&seller.access_token), None)
        .await
        .expect(200);
    let ads = mine["items"].as_array().unwrap().clone();
    assert!(ads.len() >= 3, "{mine}");
    let mut ad_ids = Vec::new();
    for ad in &ads {
        assert_eq!(ad["status"], "published");
        assert_eq!(ad["images"].as_array().unwrap().len(), 3);
        let id = ad["id"].as_str().unwrap().to_string();
        assert_eq!(
            ctx.list_keys(&images_bucket(&ctx), &format!("ads/{id}/")).await.len(),
            3
        );
        assert!(ctx
            .list_keys(&uploads_bucket(&ctx), &format!("uploads/{id}/"))
            .await
            .is_empty());
        ad_ids.push(id);
    }
    let profile = ctx
        .call("GET", "/classifieds/me/profile", Some(&seller.access_token), None)
        .await
        .expect(200);
    assert_eq!(profile["show_phone"], true);

    let out = classifieds_admin(&ctx, &["remove-demo"]).await;
    assert!(out.contains("demo removed"), "{out}");
    ctx.login(FIRST_DEMO_EMAIL, FIRST_DEMO_PASSWORD)
        .await
        .expect_problem(401, None);
    for id in &ad_ids {
        get_ad(&ctx, None, id).await.expect_problem(404, None);
        assert!(ctx
            .list_keys(&images_bucket(&ctx), &format!("ads/{id}/"))
            .await
            .is_empty());
    }
}

#[tokio::test]
async fn concurrent_edits_lose_no_update() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap().to_string();
    let start = ad["version"].as_u64().unwrap();
    let edits = (0..10u32).map(|n| {
        let (ctx, id, token) = (ctx.clone(), id.clone(), seller.access_token.clone());
        async move {
            (
                n,
                ctx.call(
                    "PATCH",
                    &format!("{ADS}/{id}"),
                    Some(&token),
                    Some(&json!({"mileage": 1000 + n})),
                )
                .await,
            )
        }
    });
    let answers = futures_util::future::join_all(edits).await;
    let mut applied = Vec::new();
    for (n, reply) in &answers {
        match reply.status {
            200 => applied.push((reply.json()["version"].as_u64().unwrap(), *n)),
            409 => {
                reply.expect_problem(
                    409,
                    Some("the ad was modified by another request; read it again and retry"),
                );
            }
            other => panic!("PATCH answered {other}: {}", reply.text),
        }
    }
    assert!(!applied.is_empty());
    let after = get_ad(&ctx, Some(&seller.access_token), &id).await.expect(200);
    // Every acknowledged edit is one version step, and the last one is what is stored.
    assert_eq!(after["version"].as_u64().unwrap(), start + applied.len() as u64);
    let (_, last) = applied.iter().max().unwrap();
    assert_eq!(after["mileage"], 1000 + last);
}
