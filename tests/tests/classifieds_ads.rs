//! Classifieds ads: creation validated against the catalog, ownership of every owner route,
//! visibility of drafts, edits, my ads, profiles, and the status rules of publish/delete.

mod classifieds_support;

use andes_tests::support::{error_fields, json, Ctx};
use classifieds_support::*;

#[tokio::test]
async fn create_validates_fields_and_the_catalog() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());

    let problem = ctx
        .call("POST", ADS, token, Some(&json!({})))
        .await
        .expect_problem(422, None);
    let fields = error_fields(&problem);
    for field in [
        "model_id",
        "city_id",
        "type",
        "origin",
        "color",
        "price",
        "fabrication_year",
        "model_year",
        "mileage",
        "brake_system",
        "ignition",
        "cooling",
    ] {
        assert!(fields.contains(&field.to_string()), "{field} not in {fields:?}");
    }
    let with = |key: &str, value: serde_json::Value| {
        let mut body = ad_body();
        body[key] = value;
        body
    };
    for (field, value) in [
        ("type", json!("hoverbike")),
        ("color", json!("pink")),
        ("price", json!("0")),
        ("price", json!("12.345")),
        ("mileage", json!(-1)),
        ("model_year", json!(2021)),
        ("sales_phrase", json!("x".repeat(501))),
        ("description", json!("x".repeat(4001))),
        ("options", json!(["jetpack"])),
        ("license_plate", json!("NOT A PLATE!")),
    ] {
        ctx.call("POST", ADS, token, Some(&with(field, value)))
            .await
            .expect_invalid_field(field);
    }
    ctx.call("POST", ADS, token, Some(&with("surprise", json!(1))))
        .await
        .expect_invalid_field("surprise");
    // Catalog: unknown model, city, version; a version of another model.
    ctx.call("POST", ADS, token, Some(&with("model_id", json!(9999))))
        .await
        .expect_invalid_field("model_id");
    ctx.call("POST", ADS, token, Some(&with("city_id", json!(9999))))
        .await
        .expect_invalid_field("city_id");
    ctx.call("POST", ADS, token, Some(&with("version_id", json!(9999))))
        .await
        .expect_invalid_field("version_id");
    let problem = ctx
        .call("POST", ADS, token, Some(&with("version_id", json!(2))))
        .await
        .expect_invalid_field("version_id");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not a version of this model"),
        "{problem}"
    );
    ctx.call("POST", ADS, token, Some(&with("images", json!([]))))
        .await
        .expect_invalid_field("images");

    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    assert_eq!(ad["status"], "draft");
    assert_eq!(ad["owner"], seller.account_id());
    assert_eq!(ad["brand_name"], "BMW");
    assert_eq!(ad["model_name"], "C 600");
    assert_eq!(ad["version_name"], "Sport Highline");
    assert_eq!(ad["city_name"], "Adamantina");
    assert_eq!(ad["state_acronym"], "SP");
    assert_eq!(ad["price"], "38900.00");
    assert_eq!(ad["images"], json!([]));
    assert_eq!(ad["published_at"], serde_json::Value::Null);
}

#[tokio::test]
async fn drafts_are_private_and_owner_routes_check_ownership() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, other) = ctx.new_session().await;
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap();
    let path = format!("{ADS}/{id}");

    get_ad(&ctx, Some(&seller.access_token), id).await.expect(200);
    get_ad(&ctx, Some(&other.access_token), id)
        .await
        .expect_problem(404, Some("ad not found"));
    get_ad(&ctx, None, id).await.expect_problem(404, Some("ad not found"));
    get_ad(&ctx, None, "0197a4c3-0000-7000-8000-000000000000")
        .await
        .expect_problem(404, None);

    // Another account's draft answers on every owner route exactly like a missing ad.
    let theirs = Some(other.access_token.as_str());
    let missing = ctx
        .call(
            "PATCH",
            &format!("{ADS}/0197a4c3-0000-7000-8000-000000000000"),
            theirs,
            Some(&json!({"price": "1.00"})),
        )
        .await
        .expect_problem(404, Some("ad not found"));
    let hidden = |reply: andes_tests::support::Reply| {
        assert_eq!(
            reply.expect_problem(404, Some("ad not found")),
            missing,
            "{}",
            reply.request
        );
    };
    hidden(ctx.call("PATCH", &path, theirs, Some(&json!({"price": "1.00"}))).await);
    hidden(ctx.call("DELETE", &path, theirs, None).await);
    hidden(ctx.call("POST", &format!("{path}/publish"), theirs, None).await);
    hidden(
        ctx.call(
            "POST",
            &format!("{path}/images"),
            theirs,
            Some(&json!({"content_type": "image/jpeg", "size": 10})),
        )
        .await,
    );
    hidden(ctx.call("DELETE", &format!("{path}/images/x"), theirs, None).await);
    // Nothing changed.
    let unchanged = get_ad(&ctx, Some(&seller.access_token), id).await.expect(200);
    assert_eq!(unchanged["price"], "38900.00");
    assert_eq!(unchanged["status"], "draft");
    // Unknown ads are 404 on owner routes too.
    ctx.call("PATCH", &format!("{ADS}/nope"), theirs, Some(&json!({"price": "1.00"})))
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn edits_merge_validate_and_bump_nothing_else() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let path = format!("{ADS}/{}", ad["id"].as_str().unwrap());

    let edited = ctx
        .call(
            "PATCH",
            &path,
            token,
            Some(&json!({"price": 35000, "version_id": null, "model_id": 2, "city_id": 700, "top_offer": true})),
        )
        .await
        .expect(200);
    assert_eq!(edited["price"], "35000.00");
    assert_eq!(edited["version_id"], serde_json::Value::Null);
    assert_eq!(edited["model_name"], "F 650");
    assert_eq!(edited["state_acronym"], "SE");
    assert_eq!(edited["top_offer"], true);
    assert_eq!(edited["mileage"], 12000);
    assert_eq!(edited["status"], "draft");
    ctx.call("PATCH", &path, token, Some(&json!({"model_year": 1999})))
        .await
        .expect_invalid_field("model_year");
    ctx.call("PATCH", &path, token, Some(&json!({"version_id": 1})))
        .await
        .expect_invalid_field("version_id");
    ctx.call("PATCH", &path, token, Some(&json!({"images": ["not-an-image"]})))
        .await
        .expect_invalid_field("images");
    ctx.call("PATCH", &path, token, Some(&json!({"color": 3})))
        .await
        .expect_invalid_field("color");
}

#[tokio::test]
async fn my_ads_lists_every_status_newest_first_with_paging() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let mut created = Vec::new();
    for _ in 0..3 {
        created.push(
            create_ad(&ctx, &seller, &ad_body()).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let page = ctx
        .call("GET", "/classifieds/me/ads?limit=2", Some(&seller.access_token), None)
        .await
        .expect(200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], created[2].as_str());
    assert_eq!(items[1]["id"], created[1].as_str());
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let rest = ctx
        .call(
            "GET",
            &format!(
                "/classifieds/me/ads?limit=2&cursor={}",
                andes_tests::support::query_escape(cursor)
            ),
            Some(&seller.access_token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["id"], created[0].as_str());
    assert_eq!(rest["items"][0]["status"], "draft");
    // Any status is listed: a published ad, and a deleted one until the worker removes it.
    let published = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let all = ctx
        .call("GET", "/classifieds/me/ads?limit=100", Some(&seller.access_token), None)
        .await
        .expect(200);
    assert_eq!(all["items"][0]["id"], published["id"]);
    assert_eq!(all["items"][0]["status"], "published");
    let (_, other) = ctx.new_session().await;
    let theirs = ctx
        .call("GET", "/classifieds/me/ads", Some(&other.access_token), None)
        .await
        .expect(200);
    assert_eq!(theirs["items"], json!([]));
}

#[tokio::test]
async fn publish_needs_an_image_and_deleted_ads_are_final() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap();
    ctx.call("POST", &format!("{ADS}/{id}/publish"), token, None)
        .await
        .expect_problem(409, Some("the ad needs at least one uploaded image to be published"));
    let deleted = ctx
        .call("DELETE", &format!("{ADS}/{id}"), token, None)
        .await
        .expect(202);
    assert_eq!(deleted["status"], "deleted");
    // The worker removes the item: then the ad is gone for its owner too.
    let deadline = std::time::Instant::now() + ASYNC_TIMEOUT;
    loop {
        let reply = get_ad(&ctx, token, id).await;
        if reply.status == 404 {
            break;
        }
        let body = reply.expect(200);
        assert_eq!(body["status"], "deleted");
        assert!(std::time::Instant::now() < deadline, "deleted ad never removed");
        tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
    }
    ctx.call("POST", &format!("{ADS}/{id}/publish"), token, None)
        .await
        .expect_problem(404, None);
    ctx.call("PATCH", &format!("{ADS}/{id}"), token, Some(&json!({"price": "1.00"})))
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn seller_profile_shows_the_phone_on_published_ads_only_when_asked() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let empty = ctx
        .call("GET", "/classifieds/me/profile", token, None)
        .await
        .expect(200);
    assert_eq!(empty["show_phone"], false);
    ctx.call(
        "PUT",
        "/classifieds/me/profile",
        token,
        Some(&json!({"state_id": 2, "city_id": 1})),
    )
    .await
    .expect_invalid_field("city_id");
    ctx.call(
        "PUT",
        "/classifieds/me/profile",
        token,
        Some(&json!({"city_id": 99999})),
    )
    .await
    .expect_invalid_field("city_id");
    ctx.call("PUT", "/classifieds/me/profile", token, Some(&json!({"phone": "12"})))
        .await
        .expect_invalid_field("phone");
    ctx.call(
        "PUT",
        "/classifieds/me/profile",
        token,
        Some(&json!({"show_phone": true})),
    )
    .await
    .expect_invalid_field("show_phone");
    let profile = ctx
        .call(
            "PUT",
            "/classifieds/me/profile",
            token,
            Some(&json!({"city_id": 1, "phone": "+55 11 91234-5678", "show_phone": true})),
        )
        .await
        .expect(200);
    assert_eq!(profile["state_id"], 1);
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let public = get_ad(&ctx, None, ad["id"].as_str().unwrap()).await.expect(200);
    assert_eq!(public["seller_phone"], "+55 11 91234-5678");
    ctx.call(
        "PUT",
        "/classifieds/me/profile",
        token,
        Some(&json!({"city_id": 1, "phone": "+55 11 91234-5678"})),
    )
    .await
    .expect(200);
    let hidden = get_ad(&ctx, None, ad["id"].as_str().unwrap()).await.expect(200);
    assert!(hidden.get("seller_phone").is_none(), "{hidden}");
}

/// A published ad is public: another account's edit of it is forbidden, not hidden.
#[tokio::test]
async fn another_accounts_published_ad_is_forbidden_not_hidden() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, other) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let path = format!("{ADS}/{}", ad["id"].as_str().unwrap());
    let theirs = Some(other.access_token.as_str());
    ctx.call("PATCH", &path, theirs, Some(&json!({"price": "1.00"})))
        .await
        .expect_problem(403, Some("this ad belongs to another account"));
    ctx.call("DELETE", &path, theirs, None)
        .await
        .expect_problem(403, Some("this ad belongs to another account"));
    let unchanged = get_ad(&ctx, None, ad["id"].as_str().unwrap()).await.expect(200);
    assert_eq!(unchanged["price"], "38900.00");
}

/// Free texts refuse NUL, other control characters and bidirectional overrides (422 naming
/// the field); newlines and tabs are text.
#[tokio::test]
async fn free_texts_refuse_control_characters() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    for field in ["sales_phrase", "description"] {
        for bad in ["Revisada\u{0}", "sino\u{7}", "carro\u{202E}gpj.exe", "c1\u{85}"] {
            let mut body = ad_body();
            body[field] = json!(bad);
            ctx.call("POST", ADS, token, Some(&body))
                .await
                .expect_invalid_field(field);
        }
    }
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let path = format!("{ADS}/{}", ad["id"].as_str().unwrap());
    ctx.call("PATCH", &path, token, Some(&json!({"description": "linha\u{0}"})))
        .await
        .expect_invalid_field("description");
    let edited = ctx
        .call(
            "PATCH",
            &path,
            token,
            Some(&json!({"description": "Linha 1\nLinha 2\tfim"})),
        )
        .await
        .expect(200);
    assert_eq!(edited["description"], "Linha 1\nLinha 2\tfim");
    ctx.call(
        "PUT",
        "/classifieds/me/profile",
        token,
        Some(&json!({"phone": "+55 11 91234-5678\u{0}"})),
    )
    .await
    .expect_invalid_field("phone");
}

/// A client that sends the `version` it read gets 409 when it is stale; without one the
/// write applies to the ad as it is.
#[tokio::test]
async fn a_stale_client_version_is_a_conflict() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let ad = create_ad(&ctx, &seller, &ad_body()).await;
    let id = ad["id"].as_str().unwrap();
    let path = format!("{ADS}/{id}");
    let read = ad["version"].as_u64().unwrap();
    let edited = ctx
        .call("PATCH", &path, token, Some(&json!({"mileage": 1, "version": read})))
        .await
        .expect(200);
    assert_eq!(edited["version"], read + 1);
    let modified = "the ad was modified by another request; read it again and retry";
    ctx.call("PATCH", &path, token, Some(&json!({"mileage": 2, "version": read})))
        .await
        .expect_problem(409, Some(modified));
    ctx.call("POST", &format!("{path}/publish?version={read}"), token, None)
        .await
        .expect_problem(409, Some(modified));
    ctx.call("DELETE", &format!("{path}?version={read}"), token, None)
        .await
        .expect_problem(409, Some(modified));
    ctx.call("DELETE", &format!("{path}?version=latest"), token, None)
        .await
        .expect_invalid_field("version");
    let unchanged = get_ad(&ctx, token, id).await.expect(200);
    assert_eq!(unchanged["mileage"], 1);
    assert_eq!(unchanged["status"], "draft");
    let edited = ctx
        .call("PATCH", &path, token, Some(&json!({"mileage": 3})))
        .await
        .expect(200);
    assert_eq!(edited["version"], read + 2);
    ctx.call("POST", ADS, token, Some(&json!({"version": 1})))
        .await
        .expect_invalid_field("version");
}

/// The owner's list refuses forged cursors and cursors of another owner's list.
#[tokio::test]
async fn my_ads_cursors_are_checked() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, other) = ctx.new_session().await;
    for _ in 0..2 {
        create_ad(&ctx, &seller, &ad_body()).await;
    }
    let mine = |token: String, query: String| {
        let ctx = &ctx;
        async move {
            ctx.call("GET", &format!("/classifieds/me/ads?{query}"), Some(&token), None)
                .await
        }
    };
    for forged in ["e30", "nonsense", "eyJsIjoiMCJ9"] {
        mine(seller.access_token.clone(), format!("cursor={forged}"))
            .await
            .expect_invalid_field("cursor");
    }
    let page = mine(seller.access_token.clone(), "limit=1".into()).await.expect(200);
    let cursor = andes_tests::support::query_escape(page["next_cursor"].as_str().expect("a second page"));
    mine(seller.access_token.clone(), format!("limit=1&cursor={cursor}"))
        .await
        .expect(200);
    mine(other.access_token.clone(), format!("limit=1&cursor={cursor}"))
        .await
        .expect_invalid_field("cursor");
}
