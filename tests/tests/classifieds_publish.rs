//! Publication through the real queue and publisher: copies to the permanent bucket, URL
//! rewrite, temporary objects deleted; duplicates and a crash between the copies and the
//! status write; edits re-publish; deletes clean both buckets; failures; the public list.
//! Photos added to a published ad are published at once by image-uploaded (so the uploads
//! bucket's 1-day expiry cannot take them), also when the upload races a publication, a
//! delete, or a repeat of its own event.

mod classifieds_support;

use std::collections::BTreeSet;
use std::time::Instant;

use andes_tests::support::{json, query_escape, Ctx, Session, Value};
use classifieds_support::*;

fn keys_of(ad: &Value) -> BTreeSet<String> {
    let id = ad["id"].as_str().unwrap();
    ad["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("ads/{id}/{}.jpg", i["id"].as_str().unwrap()))
        .collect()
}

async fn permanent_keys(ctx: &Ctx, ad_id: &str) -> BTreeSet<String> {
    ctx.list_keys(&images_bucket(ctx), &format!("ads/{ad_id}/"))
        .await
        .into_iter()
        .collect()
}

async fn temporary_keys(ctx: &Ctx, ad_id: &str) -> Vec<String> {
    ctx.list_keys(&uploads_bucket(ctx), &format!("uploads/{ad_id}/")).await
}

/// The end state every publication must reach: published, each photo once in the permanent
/// bucket behind its public URL, nothing left in the temporary bucket.
async fn assert_published_cleanly(ctx: &Ctx, session: &Session, ad_id: &str, photos: usize) -> Value {
    let ad = get_ad(ctx, Some(&session.access_token), ad_id).await.expect(200);
    assert_eq!(ad["status"], "published", "{ad}");
    assert!(ad["published_at"].is_string());
    let images = ad["images"].as_array().unwrap();
    assert_eq!(images.len(), photos);
    let base = format!(
        "{}/{}/ads/{ad_id}/",
        ctx.env.var("AWS_ENDPOINT_URL").trim_end_matches('/'),
        images_bucket(ctx)
    );
    for image in images {
        assert_eq!(image["status"], "published");
        let url = image["url"].as_str().expect("a public url");
        assert!(url.starts_with(&base), "{url} is not under {base}");
    }
    assert_eq!(
        permanent_keys(ctx, ad_id).await,
        keys_of(&ad),
        "each photo exactly once in the permanent bucket"
    );
    assert!(
        temporary_keys(ctx, ad_id).await.is_empty(),
        "nothing left in the temporary bucket"
    );
    ad
}

#[tokio::test]
async fn publishing_copies_the_photos_and_rewrites_their_urls() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = ad_with_photos(&ctx, &seller, &ad_body(), 3).await;
    let id = ad["id"].as_str().unwrap();
    get_ad(&ctx, None, id).await.expect_problem(404, None);

    let started = Instant::now();
    let answer = ctx
        .call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None)
        .await
        .expect(202);
    assert_eq!(answer["status"], "pending");
    wait_status(&ctx, &seller, id, "published").await;
    // Measured, not asserted (README): POST publish → published, 3 photos.
    println!("publish → published with 3 photos: {:?}", started.elapsed());

    let ad = assert_published_cleanly(&ctx, &seller, id, 3).await;
    // Anyone reads it, and each URL serves the uploaded bytes.
    let public = get_ad(&ctx, None, id).await.expect(200);
    assert_eq!(public["images"], ad["images"]);
    for (n, image) in public["images"].as_array().unwrap().iter().enumerate() {
        let response = ctx.http.get(image["url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "anonymous GET of {}", image["url"]);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        let bytes = response.bytes().await.unwrap();
        let original = jpeg(n as u32 + 1);
        assert!(
            bytes.as_ref() == original.as_slice(),
            "photo {n}: {} bytes served, {} uploaded",
            bytes.len(),
            original.len()
        );
    }
    // Publishing again changes nothing but leaves it published.
    ctx.call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None)
        .await
        .expect(202);
    wait_status(&ctx, &seller, id, "published").await;
    let again = assert_published_cleanly(&ctx, &seller, id, 3).await;
    assert_eq!(again["published_at"], ad["published_at"]);
}

#[tokio::test]
async fn duplicate_publication_messages_publish_once() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = ad_with_photos(&ctx, &seller, &ad_body(), 3).await;
    let id = ad["id"].as_str().unwrap();
    ctx.call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None)
        .await
        .expect(202);
    // The same message twice more, racing the first.
    send_job(&ctx, "publish", id, 0).await;
    send_job(&ctx, "publish", id, 0).await;
    wait_status(&ctx, &seller, id, "published").await;
    wait_queue_drained(&ctx).await;
    let first = assert_published_cleanly(&ctx, &seller, id, 3).await;
    // And once more after publication.
    send_job(&ctx, "publish", id, 0).await;
    wait_queue_drained(&ctx).await;
    let after = assert_published_cleanly(&ctx, &seller, id, 3).await;
    assert_eq!(after["published_at"], first["published_at"]);
    assert_eq!(after["images"], first["images"]);
}

/// The crash: this test brings the buckets into the state a publisher leaves when it dies
/// after the copies and before the status write (each photo copied to the permanent bucket
/// with the S3 client as the publisher copies it; one temporary object already gone), then
/// the publication message is delivered (POST publish) — and again, as a redelivery.
#[tokio::test]
async fn a_publisher_crash_between_copies_and_status_write_is_recovered() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = ad_with_photos(&ctx, &seller, &ad_body(), 3).await;
    let id = ad["id"].as_str().unwrap();
    let uploads = uploads_bucket(&ctx);
    let images = images_bucket(&ctx);
    let temporary = temporary_keys(&ctx, id).await;
    assert_eq!(temporary.len(), 3);
    for image_id in image_ids(&ad) {
        let source = temporary.iter().find(|k| k.contains(&image_id)).unwrap();
        ctx.s3
            .copy_object()
            .copy_source(format!("{uploads}/{source}"))
            .bucket(&images)
            .key(format!("ads/{id}/{image_id}.jpg"))
            .send()
            .await
            .expect("copy like the publisher");
    }
    ctx.s3
        .delete_object()
        .bucket(&uploads)
        .key(&temporary[0])
        .send()
        .await
        .expect("delete one source");
    assert_eq!(
        get_ad(&ctx, Some(&seller.access_token), id).await.expect(200)["status"],
        "draft"
    );

    ctx.call("POST", &format!("{ADS}/{id}/publish"), Some(&seller.access_token), None)
        .await
        .expect(202);
    send_job(&ctx, "publish", id, 0).await;
    wait_status(&ctx, &seller, id, "published").await;
    wait_queue_drained(&ctx).await;
    assert_published_cleanly(&ctx, &seller, id, 3).await;
}

#[tokio::test]
async fn edits_republish_new_photos_and_delete_dropped_ones() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let ad = published_ad(&ctx, &seller, &ad_body(), 2).await;
    let id = ad["id"].as_str().unwrap();
    let old = image_ids(&ad);
    let new = upload(&ctx, &seller, id, "image/jpeg", jpeg(7)).await["image_id"]
        .as_str()
        .unwrap()
        .to_string();
    // A photo added to a published ad is published at once, for everyone.
    wait_photos_published(&ctx, &seller, id, 3).await;
    assert_eq!(
        get_ad(&ctx, None, id).await.expect(200)["images"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let edited = ctx
        .call(
            "PATCH",
            &format!("{ADS}/{id}"),
            token,
            Some(&json!({"price": "30000.00", "images": [new, old[0]]})),
        )
        .await
        .expect(200);
    assert_eq!(edited["status"], "pending");
    wait_status(&ctx, &seller, id, "published").await;
    let republished = assert_published_cleanly(&ctx, &seller, id, 2).await;
    assert_eq!(image_ids(&republished), vec![new.clone(), old[0].clone()]);
    assert_eq!(republished["price"], "30000.00");
    assert_eq!(republished["published_at"], ad["published_at"]);
    assert!(
        !permanent_keys(&ctx, id).await.iter().any(|k| k.contains(&old[1])),
        "the dropped photo is deleted"
    );

    // Dropping a published photo directly re-publishes too; the last one cannot be dropped.
    ctx.call("DELETE", &format!("{ADS}/{id}/images/{new}"), token, None)
        .await
        .expect(204);
    wait_status(&ctx, &seller, id, "published").await;
    let ad = assert_published_cleanly(&ctx, &seller, id, 1).await;
    ctx.call("DELETE", &format!("{ADS}/{id}/images/{}", old[0]), token, None)
        .await
        .expect_problem(409, Some("a published ad needs at least one image"));
    assert_eq!(image_ids(&ad), vec![old[0].clone()]);
}

#[tokio::test]
async fn deleting_removes_photos_from_both_buckets_then_the_ad() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 2).await;
    let id = ad["id"].as_str().unwrap();
    upload(&ctx, &seller, id, "image/jpeg", jpeg(9)).await;
    wait_photos_published(&ctx, &seller, id, 3).await;
    assert_eq!(permanent_keys(&ctx, id).await.len(), 3);
    // A draft's photos are still in the temporary bucket.
    let draft = ad_with_photos(&ctx, &seller, &ad_body(), 2).await;
    let draft = draft["id"].as_str().unwrap();
    assert_eq!(temporary_keys(&ctx, draft).await.len(), 2);

    for id in [id, draft] {
        ctx.call("DELETE", &format!("{ADS}/{id}"), Some(&seller.access_token), None)
            .await
            .expect(202);
        get_ad(&ctx, None, id).await.expect_problem(404, None);
    }
    for id in [id, draft] {
        let deadline = Instant::now() + ASYNC_TIMEOUT;
        while get_ad(&ctx, Some(&seller.access_token), id).await.status != 404 {
            assert!(Instant::now() < deadline, "the deleted ad was never removed");
            tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
        }
        assert!(permanent_keys(&ctx, id).await.is_empty());
        assert!(temporary_keys(&ctx, id).await.is_empty());
    }
}

#[tokio::test]
async fn a_photo_lost_before_publication_fails_it_and_the_owner_can_retry() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let ad = ad_with_photos(&ctx, &seller, &ad_body(), 2).await;
    let id = ad["id"].as_str().unwrap();
    let lost = image_ids(&ad)[1].clone();
    // The uploads bucket's lifecycle rule, once the photo is more than a day old.
    let key = temporary_keys(&ctx, id)
        .await
        .into_iter()
        .find(|k| k.contains(&lost))
        .unwrap();
    assert_eq!(
        expire_uploads(&ctx, &key).await,
        1,
        "the sweeper expires the day-old upload"
    );

    ctx.call("POST", &format!("{ADS}/{id}/publish"), token, None)
        .await
        .expect(202);
    let failed = wait_status(&ctx, &seller, id, "failed").await;
    assert!(failed["failure"].as_str().unwrap().contains(&lost), "{failed}");
    ctx.call("DELETE", &format!("{ADS}/{id}/images/{lost}"), token, None)
        .await
        .expect(204);
    ctx.call("POST", &format!("{ADS}/{id}/publish"), token, None)
        .await
        .expect(202);
    wait_status(&ctx, &seller, id, "published").await;
    assert_published_cleanly(&ctx, &seller, id, 1).await;
}

async fn list(ctx: &Ctx, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{ADS}?{query}&cursor={}", query_escape(c)),
            None => format!("{ADS}?{query}"),
        };
        let page = ctx.call("GET", &url, None, None).await.expect(200);
        for ad in page["items"].as_array().unwrap() {
            assert_eq!(ad["status"], "published");
            ids.push(ad["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn the_public_list_filters_sorts_and_pages() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    // Cities no other test uses: a random SP city (ids 1..=644 are SP) and an SE one.
    let city = 2 + (rand_u32() % 600);
    let se_city = 645 + (rand_u32() % 74);
    // A price no other ad of another run has, to single out the SE ad.
    let d_price = format!("{}.{:02}", 14_000 + rand_u32() % 1000, rand_u32() % 100);
    let variant =
        |model: u32, city: u32, price: &str, year: i32, color: &str, brake: &str, ignition: &str, flags: [bool; 5]| {
            let mut body = ad_body();
            body["model_id"] = json!(model);
            body["version_id"] = Value::Null;
            body["city_id"] = json!(city);
            body["price"] = json!(price);
            body["fabrication_year"] = json!(year);
            body["model_year"] = json!(year);
            body["color"] = json!(color);
            body["brake_system"] = json!(brake);
            body["ignition"] = json!(ignition);
            body["is_new"] = json!(flags[0]);
            body["doc_ok"] = json!(flags[1]);
            body["accept_exchange"] = json!(flags[2]);
            body["accept_new_offer"] = json!(flags[3]);
            body["top_offer"] = json!(flags[4]);
            body
        };
    let a = published_ad(
        &ctx,
        &seller,
        &variant(
            1,
            city,
            "10000",
            2020,
            "red",
            "abs",
            "electric",
            [false, true, true, false, false],
        ),
        1,
    )
    .await;
    let b = published_ad(
        &ctx,
        &seller,
        &variant(
            73,
            city,
            "20000",
            2022,
            "blue",
            "drum",
            "pedal",
            [true, false, false, true, true],
        ),
        1,
    )
    .await;
    let c = published_ad(
        &ctx,
        &seller,
        &variant(
            73,
            city,
            "30000",
            2024,
            "red",
            "combined",
            "both",
            [false, true, false, false, false],
        ),
        1,
    )
    .await;
    let d = published_ad(
        &ctx,
        &seller,
        &variant(
            1,
            se_city,
            &d_price,
            2021,
            "silver",
            "abs",
            "electric",
            [false, false, false, false, false],
        ),
        1,
    )
    .await;
    let draft = create_ad(
        &ctx,
        &seller,
        &variant(1, city, "10000", 2020, "red", "abs", "electric", [false; 5]),
    )
    .await;
    let [a, b, c, d] = [&a, &b, &c, &d].map(|ad| ad["id"].as_str().unwrap().to_string());
    assert!(!list(&ctx, &format!("city={city}&limit=100"))
        .await
        .contains(&draft["id"].as_str().unwrap().to_string()));

    let at = |extra: &str| format!("city={city}&{extra}");
    assert_eq!(
        list(&ctx, &at("limit=100")).await,
        vec![c.clone(), b.clone(), a.clone()],
        "newest first"
    );
    assert_eq!(
        list(&ctx, &at("limit=1")).await,
        vec![c.clone(), b.clone(), a.clone()],
        "paged one by one"
    );
    assert_eq!(
        list(&ctx, &at("sort=top_offer")).await,
        vec![b.clone(), c.clone(), a.clone()],
        "top offers first"
    );
    assert_eq!(list(&ctx, &at("brand=7")).await, vec![c.clone(), b.clone()]);
    assert_eq!(list(&ctx, &at("model=1")).await, vec![a.clone()]);
    assert_eq!(
        list(&ctx, &at("price_min=15000&price_max=25000.00")).await,
        vec![b.clone()]
    );
    assert_eq!(list(&ctx, &at("year_min=2021")).await, vec![c.clone(), b.clone()]);
    assert_eq!(list(&ctx, &at("year_max=2021")).await, vec![a.clone()]);
    assert_eq!(list(&ctx, &at("brake_system=drum")).await, vec![b.clone()]);
    assert_eq!(list(&ctx, &at("ignition=both")).await, vec![c.clone()]);
    assert_eq!(list(&ctx, &at("color=red")).await, vec![c.clone(), a.clone()]);
    assert_eq!(list(&ctx, &at("is_new=true")).await, vec![b.clone()]);
    assert_eq!(list(&ctx, &at("doc_ok=true&limit=1")).await, vec![c.clone(), a.clone()]);
    assert_eq!(list(&ctx, &at("accept_exchange=true")).await, vec![a.clone()]);
    assert_eq!(list(&ctx, &at("accept_new_offer=true")).await, vec![b.clone()]);
    assert_eq!(list(&ctx, &at("state=1")).await, vec![c.clone(), b.clone(), a.clone()]);
    assert!(list(&ctx, &at("state=2")).await.is_empty());
    assert_eq!(
        list(
            &ctx,
            &format!("city={se_city}&state=2&model=1&price_min={d_price}&price_max={d_price}")
        )
        .await,
        vec![d.clone()]
    );
    assert!(list(
        &ctx,
        &format!("city={se_city}&state=1&model=1&price_min={d_price}&price_max={d_price}")
    )
    .await
    .is_empty());

    for (query, field) in [
        ("color=pink", "color"),
        ("price_min=abc", "price_min"),
        ("year_min=-3", "year_min"),
        ("sort=cheapest", "sort"),
        ("is_new=maybe", "is_new"),
        ("brake_system=disc", "brake_system"),
        ("limit=101", "limit"),
        ("cursor=nonsense", "cursor"),
    ] {
        ctx.call("GET", &format!("{ADS}?{query}"), None, None)
            .await
            .expect_invalid_field(field);
    }
}

fn rand_u32() -> u32 {
    u32::from_str_radix(&andes_tests::support::unique_tag()[..6], 16).unwrap()
}

/// Review C2: the owner drops a not yet published photo while a publication is running. The
/// publisher that read the ad before the edit finds that photo's temporary object gone; it
/// must read the ad again (the photo is no longer on it) and publish the rest, not mark the
/// ad `failed` because of a photo that is not on it any more. A real race, run on several ads
/// at once, dropping the last photo (copied last, so the widest window).
#[tokio::test]
async fn dropping_a_photo_during_publication_never_fails_the_ad() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let mut ads = Vec::new();
    for _ in 0..3 {
        ads.push(ad_with_photos(&ctx, &seller, &ad_body(), 5).await);
    }
    let races = ads.iter().map(|ad| {
        let ctx = &ctx;
        async move {
            let id = ad["id"].as_str().unwrap();
            let last = image_ids(ad)[4].clone();
            ctx.call("POST", &format!("{ADS}/{id}/publish"), token, None)
                .await
                .expect(202);
            ctx.call("DELETE", &format!("{ADS}/{id}/images/{last}"), token, None)
                .await
                .expect(204);
        }
    });
    futures_util::future::join_all(races).await;
    wait_queue_drained(&ctx).await;
    for ad in &ads {
        let id = ad["id"].as_str().unwrap();
        let done = wait_ad(&ctx, &seller, id, "published or failed", |a| {
            a["status"] == "published" || a["status"] == "failed"
        })
        .await;
        assert_eq!(done["status"], "published", "{done}");
        assert_published_cleanly(&ctx, &seller, id, 4).await;
    }
}

/// Review C3: the owner deletes an ad while its publication is copying photos (the delete is
/// sent once the first copy shows up in the images bucket). Whichever job finishes first, no
/// photo of the deleted ad may stay in the (public) images bucket.
#[tokio::test]
async fn deleting_an_ad_during_its_publication_leaves_no_public_photo() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let mut ids = Vec::new();
    for _ in 0..3 {
        let ad = ad_with_photos(&ctx, &seller, &ad_body(), 8).await;
        ids.push(ad["id"].as_str().unwrap().to_string());
    }
    let races = ids.iter().map(|id| {
        let ctx = &ctx;
        async move {
            ctx.call("POST", &format!("{ADS}/{id}/publish"), token, None)
                .await
                .expect(202);
            let deadline = Instant::now() + ASYNC_TIMEOUT;
            while permanent_keys(ctx, id).await.is_empty() {
                assert!(
                    Instant::now() < deadline,
                    "the publication of {id} never started copying"
                );
            }
            ctx.call("DELETE", &format!("{ADS}/{id}"), token, None)
                .await
                .expect(202);
        }
    });
    futures_util::future::join_all(races).await;
    wait_removed(&ctx, token, &ids).await;
    wait_queue_drained(&ctx).await;
    for id in &ids {
        assert!(
            permanent_keys(&ctx, id).await.is_empty(),
            "photos of deleted ad {id} left in the images bucket"
        );
        assert!(temporary_keys(&ctx, id).await.is_empty());
    }
}

/// Cursors of the public list are bound to its sort order and filters: one reused with
/// another sort or other filters, or a forged one, is a 422 naming `cursor`.
#[tokio::test]
async fn public_list_cursors_are_bound_to_the_sort_and_the_filters() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let city = 2 + (rand_u32() % 600);
    let mut body = ad_body();
    body["city_id"] = json!(city);
    let mut published = Vec::new();
    for _ in 0..2 {
        published.push(
            published_ad(&ctx, &seller, &body, 1).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let at = |query: &str, cursor: Option<&str>| match cursor {
        Some(c) => format!("{ADS}?city={city}{query}&cursor={}", query_escape(c)),
        None => format!("{ADS}?city={city}{query}"),
    };
    let page = ctx.call("GET", &at("&limit=1", None), None, None).await.expect(200);
    let cursor = page["next_cursor"].as_str().expect("a cursor").to_string();
    ctx.call("GET", &at("&limit=1", Some(&cursor)), None, None)
        .await
        .expect(200);
    ctx.call("GET", &at("&limit=1&sort=newest", Some(&cursor)), None, None)
        .await
        .expect(200);
    for other in [
        "&limit=1&sort=top_offer",
        "&limit=1&color=black",
        "&limit=1&brand=1",
        "&limit=1&price_max=50000",
    ] {
        ctx.call("GET", &at(other, Some(&cursor)), None, None)
            .await
            .expect_invalid_field("cursor");
    }
    ctx.call(
        "GET",
        &format!("{ADS}?city={}&limit=1&cursor={}", city + 1, query_escape(&cursor)),
        None,
        None,
    )
    .await
    .expect_invalid_field("cursor");
    ctx.call(
        "GET",
        &format!("{ADS}?limit=1&cursor={}", query_escape(&cursor)),
        None,
        None,
    )
    .await
    .expect_invalid_field("cursor");
    let top = ctx
        .call("GET", &at("&limit=1&sort=top_offer", None), None, None)
        .await
        .expect(200);
    let top_cursor = top["next_cursor"].as_str().expect("a cursor");
    ctx.call("GET", &at("&limit=1", Some(top_cursor)), None, None)
        .await
        .expect_invalid_field("cursor");
    for forged in ["e30", "eyJsIjoiMCJ9"] {
        ctx.call("GET", &format!("{ADS}?cursor={forged}"), None, None)
            .await
            .expect_invalid_field("cursor");
        ctx.call("GET", &at("", Some(forged)), None, None)
            .await
            .expect_invalid_field("cursor");
    }
    // A cursor of the owner's list does not page the public one.
    let mine = ctx
        .call("GET", "/classifieds/me/ads?limit=1", Some(&seller.access_token), None)
        .await
        .expect(200);
    ctx.call("GET", &at("&limit=1", mine["next_cursor"].as_str()), None, None)
        .await
        .expect_invalid_field("cursor");
    // Following the cursors still lists both ads, newest first.
    assert_eq!(
        list(&ctx, &format!("city={city}&limit=1")).await,
        vec![published[1].clone(), published[0].clone()]
    );
}

/// Measured before: a seller who deleted a photo of a published ad and then changed the
/// price got 409 in 2–3 of 8–12 tries (the re-publication wrote the ad in between). Without a
/// client `version` every such edit applies, and no update is lost.
#[tokio::test]
async fn deleting_a_photo_then_changing_the_price_never_conflicts() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let ad = published_ad(&ctx, &seller, &ad_body(), 10).await;
    let id = ad["id"].as_str().unwrap().to_string();
    let mut photos = image_ids(&ad);
    for round in 0..8 {
        let photo = photos.remove(round % photos.len());
        ctx.call("DELETE", &format!("{ADS}/{id}/images/{photo}"), token, None)
            .await
            .expect(204);
        let price = format!("{}.00", 30_000 + round);
        let edited = ctx
            .call("PATCH", &format!("{ADS}/{id}"), token, Some(&json!({"price": price})))
            .await
            .expect(200);
        assert_eq!(edited["price"], price.as_str());
        let done = wait_ad(&ctx, &seller, &id, "the edit published", |a| {
            a["status"] == "published" && a["price"] == price.as_str()
        })
        .await;
        assert_eq!(image_ids(&done), photos, "round {round}");
        assert_published_cleanly(&ctx, &seller, &id, photos.len()).await;
    }
}

/// Measured before: `POST /ads/{id}/publish` right after three uploads got 409 in 9 of 10
/// tries (image-uploaded recorded the other photos in between). Without a client `version`
/// the publication is always accepted and every photo ends on the ad.
#[tokio::test]
async fn publishing_right_after_uploads_never_conflicts() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    for round in 0..8u32 {
        let ad = create_ad(&ctx, &seller, &ad_body()).await;
        let id = ad["id"].as_str().unwrap().to_string();
        for n in 1..=3 {
            upload(&ctx, &seller, &id, "image/jpeg", jpeg(round * 3 + n)).await;
        }
        let seen = wait_ad(&ctx, &seller, &id, "a first recorded photo", |a| {
            !a["images"].as_array().unwrap().is_empty()
        })
        .await;
        let recorded = seen["images"].as_array().unwrap().len();
        let accepted = ctx
            .call("POST", &format!("{ADS}/{id}/publish"), token, None)
            .await
            .expect(202);
        assert_eq!(accepted["status"], "pending");
        // Photos recorded before the publication's status write are copied by it; one
        // recorded after it, by image-uploaded (the ad is published by then): every photo
        // ends published, whichever way the race went.
        let done = wait_photos_published(&ctx, &seller, &id, 3).await;
        assert_eq!(done["status"], "published", "round {round}: {done}");
        assert!(recorded >= 1);
        wait_temporary_empty(&ctx, &id).await;
        assert_published_cleanly(&ctx, &seller, &id, 3).await;
    }
}

/// Polls until every ad of `ids` answers 404 (its delete job has removed it), bounded.
async fn wait_removed(ctx: &Ctx, token: Option<&str>, ids: &[String]) {
    for id in ids {
        let deadline = Instant::now() + ASYNC_TIMEOUT;
        while get_ad(ctx, token, id).await.status != 404 {
            assert!(Instant::now() < deadline, "the deleted ad was never removed");
            tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
        }
    }
}

/// Polls until nothing of the ad is left in the temporary bucket (bounded).
async fn wait_temporary_empty(ctx: &Ctx, ad_id: &str) {
    let deadline = Instant::now() + ASYNC_TIMEOUT;
    loop {
        let left = temporary_keys(ctx, ad_id).await;
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "temporary objects of {ad_id} left: {left:?}");
        tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
    }
}

/// GETs a photo's public URL anonymously; returns its bytes (panics unless 200).
async fn served(ctx: &Ctx, url: &str) -> Vec<u8> {
    let response = ctx.http.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "anonymous GET of {url}");
    response.bytes().await.unwrap().to_vec()
}

/// Issue 10: a photo added to a published ad used to wait in the temporary bucket for the
/// owner's next edit; after a day the bucket's lifecycle rule expired it, and that edit then
/// failed its publication. Now image-uploaded copies it to the images bucket as soon as it is
/// recorded: it is public at once, the expiry finds nothing to take, and the next edit
/// re-publishes cleanly.
#[tokio::test]
async fn a_photo_added_to_a_published_ad_is_published_at_once_and_outlives_the_uploads_expiry() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let id = ad["id"].as_str().unwrap();
    let added = upload(&ctx, &seller, id, "image/jpeg", jpeg(12)).await;
    let added_id = added["image_id"].as_str().unwrap().to_string();

    let after = wait_photos_published(&ctx, &seller, id, 2).await;
    assert_eq!(after["status"], "published", "the ad stays up: {after}");
    assert_eq!(after["published_at"], ad["published_at"]);
    assert_eq!(image_ids(&after), vec![image_ids(&ad)[0].clone(), added_id.clone()]);
    wait_temporary_empty(&ctx, id).await;
    assert_published_cleanly(&ctx, &seller, id, 2).await;
    let public = get_ad(&ctx, None, id).await.expect(200);
    assert_eq!(public["images"], after["images"], "everyone sees the new photo");
    let url = public["images"][1]["url"].as_str().unwrap().to_string();
    assert!(url.ends_with(&format!("/ads/{id}/{added_id}.jpg")), "{url}");
    assert!(served(&ctx, &url).await == jpeg(12));

    // More than a day later: the uploads bucket's rule has nothing of this ad left to expire.
    assert_eq!(expire_uploads(&ctx, &format!("uploads/{id}/")).await, 0);
    assert!(served(&ctx, &url).await == jpeg(12));
    let still = get_ad(&ctx, None, id).await.expect(200);
    assert_eq!(still["images"], after["images"]);

    // The owner's next edit re-publishes, with both photos, and their URLs keep working.
    let edited = ctx
        .call(
            "PATCH",
            &format!("{ADS}/{id}"),
            token,
            Some(&json!({"price": "31000.00"})),
        )
        .await
        .expect(200);
    assert_eq!(edited["status"], "pending");
    let republished = wait_ad(&ctx, &seller, id, "the edit published", |a| {
        a["status"] == "published" && a["price"] == "31000.00"
    })
    .await;
    assert_eq!(republished["failure"], Value::Null);
    assert_eq!(republished["images"], after["images"]);
    assert_published_cleanly(&ctx, &seller, id, 2).await;
    assert!(served(&ctx, &url).await == jpeg(12));
}

/// The same upload event again (S3 delivers at least once; here the client PUTs the same
/// presigned URL twice at once, then once more after publication): one image, one copy,
/// nothing left in the temporary bucket, and the ad is not written again.
#[tokio::test]
async fn a_repeated_upload_event_on_a_published_ad_duplicates_nothing() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let id = ad["id"].as_str().unwrap();
    let bytes = jpeg(13);
    let answer = ctx
        .call(
            "POST",
            &format!("{ADS}/{id}/images"),
            Some(&seller.access_token),
            Some(&json!({"content_type": "image/jpeg", "size": bytes.len()})),
        )
        .await
        .expect(201);
    let url = answer["url"].as_str().unwrap();
    let key = answer["key"].as_str().unwrap();
    let put = || async {
        let response = ctx
            .http
            .put(url)
            .header("content-type", "image/jpeg")
            .body(bytes.clone())
            .send()
            .await
            .expect("PUT presigned");
        assert!(response.status().is_success(), "PUT presigned: {}", response.status());
    };
    futures_util::future::join(put(), put()).await;
    let first = wait_photos_published(&ctx, &seller, id, 2).await;
    wait_gone(&ctx, &uploads_bucket(&ctx), key).await;
    assert_published_cleanly(&ctx, &seller, id, 2).await;

    put().await;
    wait_gone(&ctx, &uploads_bucket(&ctx), key).await;
    let again = assert_published_cleanly(&ctx, &seller, id, 2).await;
    assert_eq!(again["images"], first["images"]);
    assert_eq!(again["version"], first["version"], "the repeat wrote nothing");
}

/// An upload recorded on a published ad that its owner deletes right away, on several ads at
/// once: whether image-uploaded records and copies the photo before the delete, copies it
/// while the ad's `delete` job sweeps the buckets, or finds the ad deleted or gone, no copy
/// of the photo may stay in the (public) images bucket.
#[tokio::test]
async fn deleting_a_published_ad_while_a_photo_is_added_leaves_no_public_photo() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let token = Some(seller.access_token.as_str());
    let mut ids = Vec::new();
    for _ in 0..4 {
        let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
        ids.push(ad["id"].as_str().unwrap().to_string());
    }
    let races = ids.iter().enumerate().map(|(n, id)| {
        let ctx = &ctx;
        let seller = &seller;
        async move {
            upload(ctx, seller, id, "image/jpeg", jpeg(14 + n as u32)).await;
            // Later and later: right away, then after 50, 100 and 150 ms.
            tokio::time::sleep(std::time::Duration::from_millis(50 * n as u64)).await;
            ctx.call("DELETE", &format!("{ADS}/{id}"), token, None)
                .await
                .expect(202);
        }
    });
    futures_util::future::join_all(races).await;
    wait_removed(&ctx, token, &ids).await;
    wait_queue_drained(&ctx).await;
    for id in &ids {
        wait_temporary_empty(&ctx, id).await;
        let deadline = Instant::now() + ASYNC_TIMEOUT;
        while !permanent_keys(&ctx, id).await.is_empty() {
            assert!(
                Instant::now() < deadline,
                "photos of deleted ad {id} left in the images bucket: {:?}",
                permanent_keys(&ctx, id).await
            );
            tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
        }
    }
    // And none shows up later (a copy still running when the ad went away).
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    for id in &ids {
        assert!(
            permanent_keys(&ctx, id).await.is_empty(),
            "a photo of deleted ad {id} showed up in the images bucket"
        );
        assert!(temporary_keys(&ctx, id).await.is_empty());
    }
}
