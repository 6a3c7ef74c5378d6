//! The seed's own checks of seed 001 (its four cargar_infraccion tests and its report test),
//! against the fixtures the platform loads: Pedro, GPZ402 and the fixture officer's key.

mod infractions_support;

use andes_tests::support::{json, made_up_api_key, unique_tag, Ctx};
use infractions_support::*;

/// Seed check 1: any method but POST on the path answers 405, without credentials.
#[tokio::test]
async fn other_methods_on_cargar_infraccion_are_not_allowed() {
    let ctx = Ctx::new().await;
    for method in ["PUT", "GET", "DELETE"] {
        let reply = ctx.call(method, CARGAR, None, None).await;
        assert_eq!(
            reply.status, 405,
            "{method} {CARGAR}: expected 405, got {} {}",
            reply.status, reply.text
        );
    }
    // Even with a body and the officer's key.
    let body = infraction(FIXTURE_PLATE, &minutes_ago(1), "put");
    let reply = ctx
        .call("PUT", CARGAR, Some(&fixture_officer_key(&ctx)), Some(&body))
        .await;
    assert_eq!(
        reply.status, 405,
        "PUT with a body: expected 405, got {} {}",
        reply.status, reply.text
    );
}

/// Seed check 2: bad bearer forms are refused before the handler.
#[tokio::test]
async fn bad_bearer_forms_are_refused() {
    let ctx = Ctx::new().await;
    let body = infraction(FIXTURE_PLATE, &minutes_ago(1), "bad bearer");

    cargar(&ctx, None, &body).await.expect_gateway(401, "Unauthorized");
    ctx.call_raw(
        "POST",
        CARGAR,
        &[("authorization", ""), ("content-type", "application/json")],
        body.to_string().into(),
    )
    .await
    .expect_gateway(401, "Unauthorized");

    let random_key = made_up_api_key(None);
    for authorization in [
        "Bearer",
        "Bearer x",
        "Token abc",
        "Bearer andes_not-a-key",
        &format!("Bearer {random_key}"),
    ] {
        let reply = ctx
            .call_raw(
                "POST",
                CARGAR,
                &[("authorization", authorization), ("content-type", "application/json")],
                body.to_string().into(),
            )
            .await;
        assert_eq!(
            reply.status, 403,
            "Authorization {authorization:?}: expected 403, got {} {}",
            reply.status, reply.text
        );
    }
    // The raw key without the Bearer scheme is not accepted either.
    let reply = ctx
        .call_raw(
            "POST",
            CARGAR,
            &[("authorization", &random_key), ("content-type", "application/json")],
            body.to_string().into(),
        )
        .await;
    assert_eq!(
        reply.status, 403,
        "bare made-up key: expected 403, got {} {}",
        reply.status, reply.text
    );
}

/// Seed check 3: a plate nobody registered.
#[tokio::test]
async fn unknown_plate_is_not_found() {
    let ctx = Ctx::new().await;
    let body = infraction(&unique_plate(), &minutes_ago(1), "no such plate");
    cargar(&ctx, Some(&fixture_officer_key(&ctx)), &body)
        .await
        .expect_problem(404, Some("No existe un vehículo asociado a la placa"));
}

/// Seed check 4: the fixture officer posts on GPZ402; the infraction reaches Pedro's report.
#[tokio::test]
async fn fixture_officer_posts_on_the_fixture_plate() {
    let ctx = Ctx::new().await;
    let comments = format!("seed check {}", unique_tag());
    let timestamp = minutes_ago(2);
    let id = cargar_ok(&ctx, &fixture_officer_key(&ctx), FIXTURE_PLATE, &timestamp, &comments).await;

    let items = informe_with(&ctx, FIXTURE_EMAIL, std::slice::from_ref(&id)).await;
    let item = items.iter().find(|i| item_id(i) == id).unwrap();
    assert_eq!(item["plate"], json!(FIXTURE_PLATE), "{item}");
    assert_eq!(item["comments"], json!(comments), "{item}");
    assert_eq!(
        item["officer_id"],
        json!(ctx.env.var("INFRACTIONS_OFFICER_ID")),
        "{item}"
    );
    assert_eq!(item["officer_name"], json!("Oficial pedro"), "{item}");
    assert_eq!(item["vehicle_brand"], json!("Ford"), "{item}");
    assert_eq!(item["vehicle_color"], json!("Rojo"), "{item}");
    assert_eq!(
        parse_time(&item["timestamp"], "timestamp"),
        parse_time(&json!(timestamp), "sent"),
        "{item}"
    );
}

/// The seed's report check: Pedro's report is a non-empty list with the seed's keys, newest
/// first, holding the three fixture infractions.
#[tokio::test]
async fn fixture_report_has_the_seed_keys_newest_first() {
    let ctx = Ctx::new().await;
    let items = informe_items(&ctx, FIXTURE_EMAIL).await;
    assert!(!items.is_empty(), "Pedro's report is empty");
    assert_report_shape(&items, "Pedro's report");
    assert_newest_first(&items, "Pedro's report");
    let fixtures = items
        .iter()
        .filter(|i| i["plate"] == json!(FIXTURE_PLATE) && i["comments"] == json!("Comentarios"))
        .count();
    assert!(
        fixtures >= 3,
        "Pedro's report holds {fixtures} fixture infractions (comment \"Comentarios\"), expected 3"
    );
    for item in &items {
        assert!(!item_id(item).is_empty(), "report item without id: {item}");
        parse_time(&item["created"], "created");
    }
}
