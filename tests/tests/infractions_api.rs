//! The public contract of infractions beyond the seed's checks: every answer of
//! cargar_infraccion, the report of a person with several vehicles, revoked officer keys, and
//! concurrent uploads. Every test makes its own person, vehicles and officer.

mod infractions_support;

use std::collections::HashSet;

use andes_tests::support::{json, unique_tag, Ctx, Value};
use chrono::{SecondsFormat, Utc};
use infractions_support::*;

/// A fresh person with one vehicle and a fresh officer: (email, plate, officer key).
async fn fresh_vehicle_and_officer(ctx: &Ctx) -> (String, String, String) {
    let admin = admin_token(ctx).await;
    let (owner_id, email, _) = new_person(ctx, &admin).await;
    let plate = new_vehicle(ctx, &admin, &owner_id, "Fiat", "Blanco").await;
    let (_, _, key, _) = new_officer(ctx, &admin).await;
    (email, plate, key)
}

#[tokio::test]
async fn cargar_infraccion_answers_every_status() {
    let ctx = Ctx::new().await;
    let (_, plate, key) = fresh_vehicle_and_officer(&ctx).await;
    let key = key.as_str();
    let good = infraction(&plate, &minutes_ago(5), "todo bien");

    // Malformed JSON.
    for raw in ["{\"placa_patente\": ", "not json", "[1, 2]"] {
        let reply = ctx
            .call_raw(
                "POST",
                CARGAR,
                &[
                    ("authorization", &format!("Bearer {key}")),
                    ("content-type", "application/json"),
                ],
                raw.as_bytes().to_vec(),
            )
            .await;
        assert!(
            reply.status == 400 || (raw == "[1, 2]" && reply.status == 422),
            "body {raw:?}: expected 400, got {} {}",
            reply.status,
            reply.text
        );
        reply.expect_problem(reply.status, None);
    }

    // Each missing required field is named; a missing timestamp means "now", as the seed's own
    // valid post (which sends none) expects.
    for field in ["placa_patente", "comentarios"] {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(field);
        cargar(&ctx, Some(key), &body).await.expect_invalid_field(field);
    }
    let mut undated = good.clone();
    undated.as_object_mut().unwrap().remove("timestamp");
    cargar(&ctx, Some(key), &undated).await.expect(200);

    // Timestamps that cannot be parsed, and one a day ahead.
    for bad in [json!("ayer a la tarde"), json!("2024-13-45T99:00:00Z"), json!("")] {
        let mut body = good.clone();
        body["timestamp"] = bad.clone();
        cargar(&ctx, Some(key), &body).await.expect_invalid_field("timestamp");
    }
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    cargar(&ctx, Some(key), &infraction(&plate, &tomorrow, "del futuro"))
        .await
        .expect_invalid_field("timestamp");

    // Unknown plate.
    cargar(&ctx, Some(key), &infraction(&unique_plate(), &minutes_ago(5), "x"))
        .await
        .expect_problem(404, Some("No existe un vehículo asociado a la placa"));

    // No credentials: the gateway's 401.
    cargar(&ctx, None, &good).await.expect_gateway(401, "Unauthorized");

    // Principals that are not officers: a user's and an admin's access token.
    let (_, user) = ctx.new_session().await;
    let reply = cargar(&ctx, Some(&user.access_token), &good).await;
    assert_eq!(
        reply.status, 403,
        "user token: expected 403, got {} {}",
        reply.status, reply.text
    );
    let admin = admin_token(&ctx).await;
    let reply = cargar(&ctx, Some(&admin), &good).await;
    assert_eq!(
        reply.status, 403,
        "admin token: expected 403, got {} {}",
        reply.status, reply.text
    );

    // And the good request.
    let body = cargar(&ctx, Some(key), &good).await.expect(200);
    id_of(&body, "cargar_infraccion answer");
}

#[tokio::test]
async fn generar_informe_requires_a_known_email() {
    let ctx = Ctx::new().await;
    informe(&ctx, None).await.expect_problem(400, None);
    informe(&ctx, Some(&format!("nadie.{}@example.com", unique_tag())))
        .await
        .expect_problem(404, Some("El email no se encuentra asociado ninguna persona"));
}

#[tokio::test]
async fn generar_informe_lists_every_vehicle_newest_first() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let (owner_id, email, _) = new_person(&ctx, &admin).await;
    let ford = new_vehicle(&ctx, &admin, &owner_id, "Ford", "Rojo").await;
    let fiat = new_vehicle(&ctx, &admin, &owner_id, "Fiat", "Azul").await;
    let (officer_id, officer_name, key, _) = new_officer(&ctx, &admin).await;

    // Brand-new person: an empty report, not a 404.
    let empty = informe_items(&ctx, &email).await;
    assert!(empty.is_empty(), "report of a person without infractions: {empty:?}");

    // Interleaved on both vehicles, posted out of time order.
    let posted: Vec<(i64, &str)> = vec![(30, &ford), (10, &fiat), (50, &fiat), (20, &ford), (40, &fiat)];
    let mut expected: Vec<(String, i64, String, String)> = Vec::new(); // id, minutes ago, plate, comments
    for (minutes, plate) in &posted {
        let comments = format!("hace {minutes} minutos {}", unique_tag());
        let id = cargar_ok(&ctx, &key, plate, &minutes_ago(*minutes), &comments).await;
        expected.push((id, *minutes, plate.to_string(), comments));
    }
    let ids: Vec<String> = expected.iter().map(|e| e.0.clone()).collect();
    let items = informe_with(&ctx, &email, &ids).await;

    assert_eq!(
        items.len(),
        expected.len(),
        "report of {email} holds only this test's infractions: {items:?}"
    );
    assert_report_shape(&items, "report");
    assert_newest_first(&items, "report");
    expected.sort_by_key(|e| e.1);
    let order: Vec<String> = items.iter().map(item_id).collect();
    assert_eq!(
        order,
        expected.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        "newest first by timestamp"
    );

    for (id, _, plate, comments) in &expected {
        let item = items.iter().find(|i| item_id(i) == *id).unwrap();
        let (brand, color) = if plate == &ford {
            ("Ford", "Rojo")
        } else {
            ("Fiat", "Azul")
        };
        assert_eq!(item["plate"], json!(plate), "{item}");
        assert_eq!(item["vehicle_brand"], json!(brand), "{item}");
        assert_eq!(item["vehicle_color"], json!(color), "{item}");
        assert_eq!(item["comments"], json!(comments), "{item}");
        assert_eq!(item["officer_id"], json!(officer_id), "{item}");
        assert_eq!(item["officer_name"], json!(officer_name), "{item}");
        parse_time(&item["created"], "created");
    }

    // The email is matched without regard to case.
    let upper = informe_items(&ctx, &email.to_uppercase()).await;
    assert_eq!(upper.len(), expected.len(), "report by the upper-cased email");
}

#[tokio::test]
async fn deleted_officers_key_is_refused_at_once() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let (owner_id, _, _) = new_person(&ctx, &admin).await;
    let plate = new_vehicle(&ctx, &admin, &owner_id, "Renault", "Gris").await;
    let (officer_id, _, key, _) = new_officer(&ctx, &admin).await;

    cargar_ok(&ctx, &key, &plate, &minutes_ago(3), "antes de la baja").await;

    let reply = ctx
        .call("DELETE", &format!("{OFFICERS}/{officer_id}"), Some(&admin), None)
        .await;
    assert_eq!(
        reply.status, 204,
        "DELETE officer: expected 204, got {} {}",
        reply.status, reply.text
    );

    let reply = cargar(
        &ctx,
        Some(&key),
        &infraction(&plate, &minutes_ago(2), "después de la baja"),
    )
    .await;
    assert_eq!(
        reply.status, 403,
        "revoked key: expected 403, got {} {}",
        reply.status, reply.text
    );
}

#[tokio::test]
async fn fifty_concurrent_infractions_on_one_plate() {
    const N: usize = 50;
    let ctx = Ctx::new().await;
    let (email, plate, key) = fresh_vehicle_and_officer(&ctx).await;

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..N {
        let (ctx, plate, key) = (ctx.clone(), plate.clone(), key.clone());
        tasks.spawn(async move {
            let body = infraction(&plate, &minutes_ago(1 + i as i64), &format!("concurrente {i}"));
            let reply = cargar(&ctx, Some(&key), &body).await;
            (i, reply)
        });
    }
    let mut ids = HashSet::new();
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, reply) = joined.expect("request task");
        if reply.status == 200 {
            ids.insert(id_of(&reply.json(), "cargar_infraccion answer"));
        } else {
            failures.push(format!("#{i}: {} {}", reply.status, reply.text));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {N} concurrent uploads failed: {failures:?}",
        failures.len()
    );
    assert_eq!(ids.len(), N, "ids are not distinct");

    let ids: Vec<String> = ids.into_iter().collect();
    let items = informe_with(&ctx, &email, &ids).await;
    assert_eq!(items.len(), N, "the owner's report holds exactly the {N} infractions");
    assert_newest_first(&items, "report");
    let comments: HashSet<Value> = items.iter().map(|i| i["comments"].clone()).collect();
    assert_eq!(comments.len(), N, "every upload kept its own comments");
}

#[tokio::test]
async fn comentarios_refuse_control_characters() {
    let ctx = Ctx::new().await;
    let (email, plate, key) = fresh_vehicle_and_officer(&ctx).await;
    for comments in [
        "nul\u{0}",
        "bell\u{7}",
        "cr\r",
        "esc\u{1b}[2J",
        "c1\u{85}",
        "\u{202E}gpj.exe",
        "\u{2067}x",
    ] {
        cargar(&ctx, Some(&key), &infraction(&plate, &minutes_ago(3), comments))
            .await
            .expect_invalid_field("comentarios");
    }
    // Newlines, tabs and any letter are comments; empty comments too.
    let multiline = "Semáforo en rojo.\nVelocidad:\t80 km/h — ñandú";
    let id = cargar_ok(&ctx, &key, &plate, &minutes_ago(2), multiline).await;
    let empty = cargar_ok(&ctx, &key, &plate, &minutes_ago(1), "").await;
    let items = informe_with(&ctx, &email, &[id.clone(), empty]).await;
    assert_eq!(items.len(), 2, "only the accepted infractions were recorded: {items:?}");
    let item = items.iter().find(|i| item_id(i) == id).unwrap();
    assert_eq!(item["comments"], json!(multiline), "{item}");
}
