//! Dining (seed 004): venues end to end — who may call each route, the venue's shape and
//! `Location`, every validation problem and message of §3, one venue per owner (also in a race),
//! the owner's edits, statuses and delete (another restaurant: 403 "Invalid user"; open
//! reservations: 409), the lists (exact name, all characteristics and features, statuses,
//! paging by id, checked cursors), the near search (distance, radius, filters, paging) and
//! availability in the venue's zone (§4.4).
//!
//! Concurrent-safe: every list is narrowed to names or points this test made up.

mod dining_support;

use andes_tests::support::{json, Ctx, Value};
use chrono::{Duration, NaiveDate, Utc};
use dining_support::*;

const NOT_FOUND: &str = "Venue does not exist";
const INVALID_USER: &str = "Invalid user";

// ------------------------------------------------------------------------------ access

#[tokio::test]
async fn restaurant_routes_need_the_restaurant_role() {
    let ctx = Ctx::new().await;
    let (owner, diner, plain) = tokio::join!(restaurant(&ctx), client(&ctx), plain_user(&ctx));
    let venue = create_venue(&ctx, &owner, &venue_body(&unique_name("Roles"), unique_point())).await;
    let venue_id = id(&venue);
    let body = venue_body("Another", unique_point());
    let action = json!({"action": "close"});
    let routes = [
        ("POST", "/dining/venues".to_string(), Some(&body)),
        ("PATCH", venue_path(&venue_id), Some(&body)),
        ("DELETE", venue_path(&venue_id), None),
        ("POST", format!("{}/status", venue_path(&venue_id)), Some(&action)),
        ("GET", "/dining/me/venue".to_string(), None),
    ];
    for (method, path, body) in &routes {
        ctx.call(method, path, None, *body)
            .await
            .expect_gateway(401, "Unauthorized");
        for caller in [&diner, &plain] {
            ctx.call(method, path, caller.bearer(), *body)
                .await
                .expect_gateway(403, "Forbidden");
        }
        ctx.call(method, path, Some("not-a-token"), *body)
            .await
            .expect_gateway(403, "Forbidden");
    }
    // Nothing of the above reached the venue.
    let read = ctx.call("GET", &venue_path(&venue_id), None, None).await.expect(200);
    assert_eq!(read, venue);
}

#[tokio::test]
async fn anonymous_routes_answer_anyone_with_or_without_an_account() {
    let ctx = Ctx::new().await;
    let (owner, diner) = tokio::join!(restaurant(&ctx), client(&ctx));
    let at = unique_point();
    let name = unique_name("Open");
    let venue = create_venue(&ctx, &owner, &venue_body(&name, at)).await;
    let venue_id = id(&venue);
    let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
    let routes = [
        format!("/dining/venues?name={}", andes_tests::support::query_escape(&name)),
        format!("/dining/venues/near?lat={}&lon={}&radius_m=100", at.0, at.1),
        venue_path(&venue_id),
        format!("{}/availability?date={tomorrow}", venue_path(&venue_id)),
    ];
    for path in &routes {
        for bearer in [None, owner.bearer(), diner.bearer()] {
            let reply = ctx.call("GET", path, bearer, None).await;
            let body = reply.expect(200);
            assert!(body.to_string().contains(&venue_id), "{path}: {body}");
        }
        // Credentials that are sent must be valid (the authorizer's 403).
        ctx.call("GET", path, Some("not-a-token"), None)
            .await
            .expect_gateway(403, "Forbidden");
    }
}

// ------------------------------------------------------------------------------ create and read

#[tokio::test]
async fn a_restaurant_creates_its_venue_and_reads_it_back() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let name = unique_name("La Pizzeria");
    let body = json!({
        "name": format!("  {name}  "),
        "location": {"lat": -34.6037, "lon": -58.3816},
        "timezone": "America/Argentina/Cordoba",
        "capacity": 40,
        "logo": "https://img.example/logo.png",
        "pictures": ["https://img.example/1.jpg", "https://img.example/2.jpg"],
        "menu": "https://menu.example/",
        "slots": ["21:30", "20:00", "12:15"],
        "characteristics": ["Sándwiches", "Pizzas"],
        "features": ["Wifi", "Aire libre"],
        "vacations": ["2030-12-25", "2030-01-01"],
        "reservation_lead_time": 1,
        // Ignored: the server decides these.
        "id": "someone-else", "owner": "someone-else", "status": "Closed",
        "created": "2000-01-01T00:00:00Z", "updated": "2000-01-01T00:00:00Z",
    });
    let before = Utc::now().timestamp();
    let reply = post_venue(&ctx, &owner, &body).await;
    let created = reply.expect(201);
    assert_eq!(
        reply.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(venue_path(&owner.id).as_str()),
        "{:?}",
        reply.headers
    );
    let stamp = created["created"].as_str().unwrap_or_default().to_string();
    let parsed = chrono::DateTime::parse_from_rfc3339(&stamp).expect("created is RFC 3339");
    assert!(stamp.ends_with('Z') && stamp.len() == 20, "whole seconds, Z: {stamp}");
    assert!(
        (before - 1..=Utc::now().timestamp()).contains(&parsed.timestamp()),
        "{stamp}"
    );
    assert_eq!(
        created,
        json!({
            "id": owner.id, "owner": owner.id, "name": name,
            "location": {"lat": -34.6037, "lon": -58.3816},
            "timezone": "America/Argentina/Cordoba", "capacity": 40,
            "logo": "https://img.example/logo.png",
            "pictures": ["https://img.example/1.jpg", "https://img.example/2.jpg"],
            "menu": "https://menu.example/",
            "slots": ["12:15", "20:00", "21:30"],
            "characteristics": ["Sándwiches", "Pizzas"],
            "features": ["Wifi", "Aire libre"],
            "vacations": ["2030-01-01", "2030-12-25"],
            "reservation_lead_time": 1, "status": "Available",
            "created": stamp, "updated": stamp,
        })
    );
    let read = ctx.call("GET", &venue_path(&owner.id), None, None).await.expect(200);
    assert_eq!(read, created);
    let mine = ctx
        .call("GET", "/dining/me/venue", owner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(mine, created);
}

#[tokio::test]
async fn a_minimal_venue_gets_the_defaults() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let name = unique_name("Minimal");
    let created = create_venue(&ctx, &owner, &venue_body(&name, (1.5, 2.25))).await;
    for (field, default) in [
        ("timezone", json!("America/Argentina/Buenos_Aires")),
        ("logo", json!(null)),
        ("menu", json!(null)),
        ("pictures", json!([])),
        ("characteristics", json!([])),
        ("features", json!([])),
        ("vacations", json!([])),
        ("reservation_lead_time", json!(0)),
        ("status", json!("Available")),
        ("capacity", json!(10)),
        ("slots", json!(["20:00", "21:30"])),
    ] {
        assert_eq!(created[field], default, "{field}: {created}");
    }
    assert_eq!(created["location"], json!({"lat": 1.5, "lon": 2.25}));
}

#[tokio::test]
async fn unknown_venues_are_404() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    ctx.call("GET", "/dining/me/venue", owner.bearer(), None)
        .await
        .expect_problem(404, Some(NOT_FOUND));
    for venue_id in [unknown_id(), owner.id.clone(), "not-a-uuid".to_string()] {
        let path = venue_path(&venue_id);
        ctx.call("GET", &path, None, None)
            .await
            .expect_problem(404, Some(NOT_FOUND));
        ctx.call("GET", &format!("{path}/availability?date=2030-01-05"), None, None)
            .await
            .expect_problem(404, Some(NOT_FOUND));
        let edit = json!({"capacity": 5});
        ctx.call("PATCH", &path, owner.bearer(), Some(&edit))
            .await
            .expect_problem(404, Some(NOT_FOUND));
        ctx.call("DELETE", &path, owner.bearer(), None)
            .await
            .expect_problem(404, Some(NOT_FOUND));
        act(&ctx, &owner, &venue_id, "open")
            .await
            .expect_problem(404, Some(NOT_FOUND));
    }
}

// ------------------------------------------------------------------------------ validation

#[tokio::test]
async fn every_problem_of_a_venue_is_reported_at_once() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let post = |body: Value| {
        let (ctx, owner) = (ctx.clone(), owner.clone());
        async move { post_venue(&ctx, &owner, &body).await }
    };
    let missing = post(json!({})).await.expect_problem(422, None);
    assert_eq!(
        problems(&missing),
        [
            problem("name", "is required"),
            problem("location", "is required"),
            problem("capacity", "is required"),
            problem("slots", "is required"),
        ]
    );
    let wrong = post(json!({
        "name": "   ",
        "location": {"lat": 90.5, "lon": -180.5},
        "timezone": "Mars/Olympus",
        "capacity": 0,
        "logo": "ftp://img.example/logo.png",
        "menu": "not a url",
        "pictures": ["https://ok.example/1.jpg", "javascript:alert(1)"],
        "slots": ["20:00", "24:00", "20:00"],
        "characteristics": ["Pizzas", "Tacos", "Sandwiches", "Pizzas"],
        "features": ["WiFi", "Wifi"],
        "vacations": ["2030-02-30", "2030-01-01", "2030-01-01"],
        "reservation_lead_time": 366,
    }))
    .await
    .expect_problem(422, None);
    assert_eq!(
        problems(&wrong),
        [
            problem("name", "must be 1 to 100 characters"),
            problem("location.lat", "must be a number from -90 to 90"),
            problem("location.lon", "must be a number from -180 to 180"),
            problem(
                "timezone",
                "must be an IANA time zone name (America/Argentina/Buenos_Aires)"
            ),
            problem("capacity", "must be an integer from 1 to 10000"),
            problem("logo", "must be an http or https URL of at most 2048 characters"),
            problem("menu", "must be an http or https URL of at most 2048 characters"),
            problem("pictures[1]", "must be an http or https URL of at most 2048 characters"),
            problem("slots[1]", "must be a local time HH:MM (00:00 to 23:59)"),
            problem("slots[2]", "Duplicate slot: 20:00"),
            problem("characteristics[1]", "Invalid characteristic: Tacos"),
            problem("characteristics[2]", "Invalid characteristic: Sandwiches"),
            problem("characteristics[3]", "Duplicate characteristic: Pizzas"),
            problem("features[0]", "Invalid feature: WiFi"),
            problem("vacations[0]", "must be a date YYYY-MM-DD"),
            problem("vacations[2]", "Duplicate date: 2030-01-01"),
            problem("reservation_lead_time", "must be a whole number of days from 0 to 365"),
        ]
    );
    let at = unique_point();
    let base = venue_body("Bounds", at);
    for (field, value, expected_field) in [
        ("name", json!("n".repeat(101)), "name"),
        ("name", json!(7), "name"),
        ("location", json!("here"), "location"),
        ("location", json!({"lat": "1", "lon": 2}), "location.lat"),
        ("location", json!({"lat": 1}), "location.lon"),
        ("capacity", json!(10_001), "capacity"),
        ("capacity", json!(2.5), "capacity"),
        ("capacity", json!("10"), "capacity"),
        ("slots", json!([]), "slots"),
        ("slots", json!("20:00"), "slots"),
        ("slots", json!(["9:30"]), "slots[0]"),
        ("slots", json!([2030]), "slots[0]"),
        ("pictures", json!(vec!["https://img.example/x.jpg"; 21]), "pictures"),
        ("vacations", json!(vec!["2030-01-01"; 367]), "vacations"),
        ("reservation_lead_time", json!(-1), "reservation_lead_time"),
        ("reservation_lead_time", json!(1.5), "reservation_lead_time"),
        ("timezone", json!("america/argentina/buenos_aires"), "timezone"),
        ("characteristics", json!(["pizzas"]), "characteristics[0]"),
        ("features", json!("Wifi"), "features"),
    ] {
        let reply = post(with(base.clone(), json!({ field: value }))).await;
        assert_eq!(
            fields(&reply.expect_problem(422, None)),
            [expected_field],
            "{field} = {value}"
        );
    }
    let slots: Vec<String> = (0..97)
        .map(|i| format!("{:02}:{:02}", i / 4 % 24, i % 4 * 15))
        .collect();
    let too_many = post(with(base.clone(), json!({ "slots": slots }))).await;
    assert_eq!(
        problems(&too_many.expect_problem(422, None)),
        [problem("slots", "must hold 1 to 96 times")]
    );
    // Every characteristic and feature of the fixed lists is accepted, exact spelling.
    let all = with(
        base.clone(),
        json!({
            "characteristics": ["Arepas", "Cafeteria", "Carnes", "Comida Armenia", "Comida China",
                "Comida Japonesa", "Comida Mexicana", "Comida Vegana", "Comida Vegetariana", "Empanadas",
                "Hamburguesas", "Helados", "Licuado y jugos", "Lomitos", "Milanesas", "Panaderia",
                "Panchos", "Pasta", "Pescado y mariscos", "Picadas", "Pizzas", "Poke", "Pollo", "Postres",
                "Saludable", "Sushi", "Sándwiches", "Tartas", "Tortillas", "Woks", "Wraps"],
            "features": ["Estacionamiento", "Wifi", "Mascotas", "Aire libre", "Veggie",
                "Movilidad reducida", "Musica en vivo", "Area fumadores"],
            "slots": (0..96).map(|i| format!("{:02}:{:02}", i / 4, i % 4 * 15)).collect::<Vec<_>>(),
        }),
    );
    // Malformed JSON and bodies that are not objects are 400s.
    for raw in ["{\"name\": ", "[]", "\"venue\"", "null"] {
        let reply = ctx
            .call_raw(
                "POST",
                "/dining/venues",
                &[
                    ("authorization", &format!("Bearer {}", owner.token)),
                    ("content-type", "application/json"),
                ],
                raw.as_bytes().to_vec(),
            )
            .await;
        reply.expect_problem(400, None);
    }
    // None of the refused bodies made a venue; the full one does (the largest entry fan-out).
    ctx.call("GET", "/dining/me/venue", owner.bearer(), None)
        .await
        .expect_problem(404, Some(NOT_FOUND));
    let created = create_venue(&ctx, &owner, &all).await;
    assert_eq!(created["characteristics"].as_array().map(Vec::len), Some(31));
    assert_eq!(created["slots"].as_array().map(Vec::len), Some(96));
    assert_eq!(venue_partition(&ctx, &owner.id).await.len(), 1 + 31 + 8 + 6);
}

// ------------------------------------------------------------------------------ one per owner

#[tokio::test]
async fn one_venue_per_owner_even_in_a_race() {
    let ctx = Ctx::new().await;
    let (owner, racer) = tokio::join!(restaurant(&ctx), restaurant(&ctx));
    let first = create_venue(&ctx, &owner, &venue_body(&unique_name("First"), unique_point())).await;
    post_venue(&ctx, &owner, &venue_body(&unique_name("Second"), unique_point()))
        .await
        .expect_problem(409, Some("User already has a venue"));
    let read = ctx.call("GET", &venue_path(&owner.id), None, None).await.expect(200);
    assert_eq!(read, first, "the second create changed nothing");

    let name = unique_name("Racer");
    let at = unique_point();
    let replies = andes_tests::support::all_at_once(5, |i| {
        let (ctx, racer) = (ctx.clone(), racer.clone());
        let body = with(venue_body(&name, at), json!({ "capacity": 10 + i }));
        async move { post_venue(&ctx, &racer, &body).await }
    })
    .await;
    assert_eq!(
        statuses(&replies),
        std::collections::BTreeMap::from([(201, 1), (409, 4)]),
        "{replies:#?}"
    );
    let winner = replies.iter().find(|r| r.status == 201).unwrap().json();
    for loser in replies.iter().filter(|r| r.status == 409) {
        loser.expect_problem(409, Some("User already has a venue"));
    }
    let read = ctx.call("GET", &venue_path(&racer.id), None, None).await.expect(200);
    assert_eq!(read, winner);
    let listed = all_ids(
        &ctx,
        &format!("/dining/venues?name={}", andes_tests::support::query_escape(&name)),
    )
    .await;
    assert_eq!(listed, vec![racer.id.clone()]);
}

// ------------------------------------------------------------------------------ owner's changes

#[tokio::test]
async fn only_the_owner_edits_sets_the_status_or_deletes() {
    let ctx = Ctx::new().await;
    let (owner, other, other_with_venue) = tokio::join!(restaurant(&ctx), restaurant(&ctx), restaurant(&ctx));
    let venue = create_venue(&ctx, &owner, &venue_body(&unique_name("Mine"), unique_point())).await;
    create_venue(
        &ctx,
        &other_with_venue,
        &venue_body(&unique_name("Theirs"), unique_point()),
    )
    .await;
    let path = venue_path(&owner.id);
    for intruder in [&other, &other_with_venue] {
        for body in [json!({"capacity": 99}), json!({"capacity": 0}), json!("not an object")] {
            ctx.call("PATCH", &path, intruder.bearer(), Some(&body))
                .await
                .expect_problem(403, Some(INVALID_USER));
        }
        ctx.call("DELETE", &path, intruder.bearer(), None)
            .await
            .expect_problem(403, Some(INVALID_USER));
        for action in ["close", "fly"] {
            act(&ctx, intruder, &owner.id, action)
                .await
                .expect_problem(403, Some(INVALID_USER));
        }
    }
    let read = ctx.call("GET", &path, None, None).await.expect(200);
    assert_eq!(read, venue, "nothing changed");
}

#[tokio::test]
async fn an_edit_is_checked_like_a_create_and_an_actual_change_unconfirms() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let path = venue_path(&owner.id);
    let body = with(
        venue_body(&unique_name("Edits"), unique_point()),
        json!({"logo": "https://img.example/a.png", "menu": "https://menu.example/",
               "characteristics": ["Pizzas"], "features": ["Wifi"]}),
    );
    let venue = create_venue(&ctx, &owner, &body).await;
    let patch = |body: Value| {
        let (ctx, owner, path) = (ctx.clone(), owner.clone(), path.clone());
        async move { ctx.call("PATCH", &path, owner.bearer(), Some(&body)).await }
    };
    // Sending the current values (or nothing) changes nothing: status and `updated` stay.
    for same in [
        json!({}),
        json!({"name": venue["name"], "capacity": 10, "slots": ["21:30", "20:00"]}),
        json!({"logo": venue["logo"], "characteristics": ["Pizzas"], "status": "Closed", "id": "x"}),
    ] {
        assert_eq!(patch(same.clone()).await.expect(200), venue, "{same}");
    }
    // The checks of create, every problem at once; nothing is written.
    let refused = patch(json!({
        "name": "", "capacity": 0, "slots": [], "characteristics": ["Tacos"], "features": ["Pileta"],
        "location": {"lat": 91, "lon": 0}, "reservation_lead_time": 400, "logo": 5
    }))
    .await
    .expect_problem(422, None);
    assert_eq!(
        problems(&refused),
        [
            problem("name", "must be 1 to 100 characters"),
            problem("location.lat", "must be a number from -90 to 90"),
            problem("capacity", "must be an integer from 1 to 10000"),
            problem("logo", "must be a string"),
            problem("slots", "must hold 1 to 96 times"),
            problem("characteristics[0]", "Invalid characteristic: Tacos"),
            problem("features[0]", "Invalid feature: Pileta"),
            problem("reservation_lead_time", "must be a whole number of days from 0 to 365"),
        ]
    );
    let reply = ctx
        .call_raw(
            "PATCH",
            &path,
            &[("authorization", &format!("Bearer {}", owner.token))],
            b"{oops".to_vec(),
        )
        .await;
    reply.expect_problem(400, None);
    // An actual change: answered with the venue, Unconfirmed, a new `updated`.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let edited = patch(json!({
        "capacity": 12, "characteristics": ["Sushi", "Pizzas"], "features": [], "logo": null,
        "vacations": ["2031-05-01"], "slots": ["19:00"]
    }))
    .await
    .expect(200);
    assert_eq!(edited["status"], "Unconfirmed");
    assert_eq!(edited["capacity"], 12);
    assert_eq!(edited["characteristics"], json!(["Sushi", "Pizzas"]));
    assert_eq!(edited["features"], json!([]));
    assert_eq!(edited["logo"], json!(null), "null clears the logo");
    assert_eq!(edited["menu"], venue["menu"], "what was not sent stays");
    assert_eq!(edited["slots"], json!(["19:00"]));
    assert_eq!(edited["created"], venue["created"]);
    assert!(edited["updated"].as_str() > venue["updated"].as_str(), "{edited}");
    let read = ctx.call("GET", &path, None, None).await.expect(200);
    assert_eq!(read, edited);
    // The indexes follow: no longer listed under Wifi, now under Sushi (and still Pizzas).
    let name = andes_tests::support::query_escape(venue["name"].as_str().unwrap());
    let listed = |query: &str| format!("/dining/venues?name={name}&{query}");
    assert!(all_ids(&ctx, &listed("feature=Wifi")).await.is_empty());
    assert_eq!(
        all_ids(&ctx, &listed("characteristic=Sushi&characteristic=Pizzas")).await,
        vec![owner.id.clone()]
    );
    assert_eq!(
        all_ids(&ctx, &listed("status=Unconfirmed")).await,
        vec![owner.id.clone()]
    );
    let mut sks = venue_partition(&ctx, &owner.id).await;
    sks.retain(|sk| sk.starts_with("CHAR#") || sk.starts_with("FEAT#"));
    assert_eq!(sks, ["CHAR#Pizzas", "CHAR#Sushi"]);
    // A status action, then an actual change: Unconfirmed again.
    act(&ctx, &owner, &owner.id, "open").await.expect(200);
    let renamed = patch(json!({"name": format!("{} bis", venue["name"].as_str().unwrap())}))
        .await
        .expect(200);
    assert_eq!(renamed["status"], "Unconfirmed");
    assert!(
        all_ids(&ctx, &listed("")).await.is_empty(),
        "the old name lists nothing"
    );
}

#[tokio::test]
async fn status_actions_set_their_status() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let venue = create_venue(&ctx, &owner, &venue_body(&unique_name("Status"), unique_point())).await;
    for (action, status) in [
        ("close", "Closed"),
        ("occupy", "Occupied"),
        ("open", "Available"),
        ("close", "Closed"),
    ] {
        let answered = act(&ctx, &owner, &owner.id, action).await.expect(200);
        assert_eq!(answered["status"], status, "{action}");
        assert_eq!(answered["capacity"], venue["capacity"]);
        let read = ctx.call("GET", &venue_path(&owner.id), None, None).await.expect(200);
        assert_eq!(read, answered);
    }
    // The same status again changes nothing (not even `updated`).
    let closed = ctx.call("GET", &venue_path(&owner.id), None, None).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(act(&ctx, &owner, &owner.id, "close").await.expect(200), closed);
    for (body, expected) in [
        (
            json!({"action": "unconfirm"}),
            problem("action", "must be one of open, close, occupy"),
        ),
        (
            json!({"action": "Open"}),
            problem("action", "must be one of open, close, occupy"),
        ),
        (json!({"action": 1}), problem("action", "must be a string")),
        (json!({}), problem("action", "is required")),
    ] {
        let reply = ctx
            .call(
                "POST",
                &format!("{}/status", venue_path(&owner.id)),
                owner.bearer(),
                Some(&body),
            )
            .await;
        assert_eq!(problems(&reply.expect_problem(422, None)), [expected], "{body}");
    }
}

// ------------------------------------------------------------------------------ delete

#[tokio::test]
async fn a_venue_with_open_reservations_is_not_deleted() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let venue = create_venue(&ctx, &owner, &venue_body(&unique_name("Busy"), unique_point())).await;
    let path = venue_path(&owner.id);
    // What the reservation slice writes while a reservation is Unconfirmed or Accepted.
    let open = open_reservation(&ctx, &owner.id, "2030-01-06T23:00:00Z").await;
    for _ in 0..2 {
        ctx.call("DELETE", &path, owner.bearer(), None)
            .await
            .expect_problem(409, Some("Venue has open reservations"));
    }
    assert_eq!(ctx.call("GET", &path, None, None).await.expect(200), venue);
    // The refused delete left the venue as it was: it can still be changed.
    act(&ctx, &owner, &owner.id, "close").await.expect(200);
    // The reservation closes: the venue can go.
    close_reservation(&ctx, open).await;
    let reply = ctx.call("DELETE", &path, owner.bearer(), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty(), "{}", reply.text);
    ctx.call("GET", &path, None, None)
        .await
        .expect_problem(404, Some(NOT_FOUND));
}

#[tokio::test]
async fn a_deleted_venue_is_gone_everywhere_and_can_be_created_again() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let name = unique_name("Gone");
    let at = unique_point();
    let body = with(
        venue_body(&name, at),
        json!({"characteristics": ["Poke", "Woks"], "features": ["Veggie"]}),
    );
    let first = create_venue(&ctx, &owner, &body).await;
    let path = venue_path(&owner.id);
    let by_name = format!("/dining/venues?name={}", andes_tests::support::query_escape(&name));
    let by_tags = format!("{by_name}&characteristic=Poke&feature=Veggie");
    let near = format!("/dining/venues/near?lat={}&lon={}&radius_m=50", at.0, at.1);
    assert_eq!(all_ids(&ctx, &by_name).await, vec![owner.id.clone()]);
    assert_eq!(all_ids(&ctx, &near).await, vec![owner.id.clone()]);
    let reply = ctx.call("DELETE", &path, owner.bearer(), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    // Gone: its read, the owner's, every list and the whole partition (entries included).
    ctx.call("GET", &path, None, None)
        .await
        .expect_problem(404, Some(NOT_FOUND));
    ctx.call("GET", "/dining/me/venue", owner.bearer(), None)
        .await
        .expect_problem(404, Some(NOT_FOUND));
    for list in [&by_name, &by_tags, &near] {
        assert!(all_ids(&ctx, list).await.is_empty(), "{list}");
    }
    assert!(venue_partition(&ctx, &owner.id).await.is_empty());
    ctx.call("DELETE", &path, owner.bearer(), None)
        .await
        .expect_problem(404, Some(NOT_FOUND));
    // The same owner creates it again: the same id, a new venue.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = create_venue(&ctx, &owner, &venue_body(&name, at)).await;
    assert_eq!(id(&again), owner.id);
    assert_eq!(again["characteristics"], json!([]));
    assert!(again["created"].as_str() > first["created"].as_str());
    assert!(all_ids(&ctx, &by_tags).await.is_empty(), "no stale entries");
    assert_eq!(all_ids(&ctx, &near).await, vec![owner.id.clone()]);
}

// ------------------------------------------------------------------------------ lists

/// Four venues under one made-up name (one of them under its upper-case twin): their ids.
struct Named {
    name: String,
    /// Pizzas + Pasta; Wifi.
    a: String,
    /// Pizzas; Wifi + Mascotas.
    b: String,
    /// Sushi; nothing. Closed.
    c: String,
    /// The name in capitals; Pizzas + Pasta; Wifi.
    d: String,
}

async fn named(ctx: &Ctx) -> Named {
    let name = unique_name("Filtro");
    let owners = restaurants(ctx, 4).await;
    let specs = [
        (
            name.clone(),
            json!({"characteristics": ["Pizzas", "Pasta"], "features": ["Wifi"]}),
        ),
        (
            name.clone(),
            json!({"characteristics": ["Pizzas"], "features": ["Wifi", "Mascotas"]}),
        ),
        (name.clone(), json!({"characteristics": ["Sushi"]})),
        (
            name.to_uppercase(),
            json!({"characteristics": ["Pizzas", "Pasta"], "features": ["Wifi"]}),
        ),
    ];
    for (owner, (name, more)) in owners.iter().zip(specs) {
        create_venue(ctx, owner, &with(venue_body(&name, unique_point()), more)).await;
    }
    act(ctx, &owners[2], &owners[2].id, "close").await.expect(200);
    Named {
        name,
        a: owners[0].id.clone(),
        b: owners[1].id.clone(),
        c: owners[2].id.clone(),
        d: owners[3].id.clone(),
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn lists_filter_by_exact_name_all_characteristics_and_features_and_status() {
    let ctx = Ctx::new().await;
    let venues = named(&ctx).await;
    let name = andes_tests::support::query_escape(&venues.name);
    let (a, b, c) = (venues.a.clone(), venues.b.clone(), venues.c.clone());
    let cases: Vec<(String, Vec<String>)> = vec![
        (String::new(), vec![a.clone(), b.clone(), c.clone()]),
        ("&characteristic=Pizzas".into(), vec![a.clone(), b.clone()]),
        ("&characteristic=Pizzas&characteristic=Pasta".into(), vec![a.clone()]),
        ("&characteristic=Pasta,Pizzas".into(), vec![a.clone()]),
        ("&characteristic=Pizzas&characteristic=Sushi".into(), vec![]),
        ("&feature=Wifi".into(), vec![a.clone(), b.clone()]),
        ("&feature=Wifi&feature=Mascotas".into(), vec![b.clone()]),
        ("&characteristic=Pizzas&feature=Mascotas".into(), vec![b.clone()]),
        ("&characteristic=Sushi&feature=Wifi".into(), vec![]),
        ("&status=Closed".into(), vec![c.clone()]),
        ("&status=Available".into(), vec![a.clone(), b.clone()]),
        (
            "&status=Available&status=Closed".into(),
            vec![a.clone(), b.clone(), c.clone()],
        ),
        ("&status=Occupied,Unconfirmed".into(), vec![]),
        ("&characteristic=Pizzas&status=Closed".into(), vec![]),
        ("&characteristic=".into(), vec![a.clone(), b.clone(), c.clone()]),
    ];
    for (query, expected) in cases {
        let list = format!("/dining/venues?name={name}{query}");
        assert_eq!(all_ids(&ctx, &list).await, sorted(expected), "{list}");
    }
    // The name is exact and case-sensitive.
    let upper = andes_tests::support::query_escape(&venues.name.to_uppercase());
    assert_eq!(
        all_ids(&ctx, &format!("/dining/venues?name={upper}")).await,
        vec![venues.d.clone()]
    );
    let prefix = andes_tests::support::query_escape(&venues.name[..venues.name.len() - 1]);
    assert!(all_ids(&ctx, &format!("/dining/venues?name={prefix}")).await.is_empty());
    // Items are whole venues.
    let page = ctx
        .call(
            "GET",
            &format!("/dining/venues?name={name}&feature=Mascotas"),
            None,
            None,
        )
        .await
        .expect(200);
    let item = &page["items"][0];
    assert_eq!(item["features"], json!(["Wifi", "Mascotas"]));
    assert_eq!(item["slots"], json!(["20:00", "21:30"]));
    assert_eq!(page["next_cursor"], json!(null));
}

#[tokio::test]
async fn characteristic_and_feature_lists_hold_every_venue_with_all_of_them() {
    let ctx = Ctx::new().await;
    let venues = named(&ctx).await;
    // Without a name the list reads a characteristic's (or feature's) entries: other tests'
    // venues show up too, so this checks inclusion, exclusion and that every item matches.
    let cases = [
        (
            "characteristic=Pizzas&characteristic=Pasta&feature=Wifi",
            vec![&venues.a, &venues.d],
            vec![&venues.b, &venues.c],
        ),
        (
            "feature=Mascotas&feature=Wifi&characteristic=Pizzas",
            vec![&venues.b],
            vec![&venues.a, &venues.c, &venues.d],
        ),
        (
            "characteristic=Sushi&status=Closed",
            vec![&venues.c],
            vec![&venues.a, &venues.b, &venues.d],
        ),
    ];
    for (query, included, excluded) in cases {
        let list = format!("/dining/venues?{query}&limit=100");
        let pages = all_pages(&ctx, &list).await;
        let mut seen = Vec::new();
        for page in &pages {
            for item in page["items"].as_array().unwrap() {
                let has = |key: &str, value: &str| item[key].as_array().unwrap().contains(&json!(value));
                for pair in query.split('&') {
                    let (key, value) = pair.split_once('=').unwrap();
                    let ok = match key {
                        "characteristic" => has("characteristics", value),
                        "feature" => has("features", value),
                        "status" => item["status"] == value,
                        _ => true,
                    };
                    assert!(ok, "{list}: {item} lacks {pair}");
                }
                seen.push(id(item));
            }
        }
        assert_eq!(seen, sorted(seen.clone()), "{list}: ordered by id");
        let mut unique = seen.clone();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{list}: pages overlap");
        for venue in included {
            assert!(seen.contains(venue), "{list}: {venue} missing");
        }
        for venue in excluded {
            assert!(!seen.contains(venue), "{list}: {venue} listed");
        }
    }
}

#[tokio::test]
async fn lists_page_by_id_and_refuse_forged_cursors() {
    let ctx = Ctx::new().await;
    let name = unique_name("Pages");
    let owners = restaurants(&ctx, 5).await;
    for owner in &owners {
        create_venue(
            &ctx,
            owner,
            &with(venue_body(&name, unique_point()), json!({"features": ["Veggie"]})),
        )
        .await;
    }
    let expected = sorted(owners.iter().map(|o| o.id.clone()).collect());
    let list = format!(
        "/dining/venues?name={}&limit=2",
        andes_tests::support::query_escape(&name)
    );
    let pages = all_pages(&ctx, &list).await;
    let page_ids: Vec<Vec<String>> = pages.iter().map(ids).collect();
    assert_eq!(
        page_ids,
        [expected[0..2].to_vec(), expected[2..4].to_vec(), expected[4..].to_vec()]
    );
    // The same through the feature's entries.
    let tagged = format!("{list}&feature=Veggie");
    assert_eq!(all_ids(&ctx, &tagged).await, expected);
    let cursor = pages[0]["next_cursor"].as_str().unwrap().to_string();
    for forged in FORGED_CURSORS {
        for path in [&list, &tagged, &"/dining/venues".to_string()] {
            ctx.call("GET", &with_cursor(path, forged), None, None)
                .await
                .expect_invalid_field("cursor");
        }
    }
    // A cursor belongs to its list: another name, another filter or the whole list refuse it.
    for other in [
        format!(
            "/dining/venues?name={}&limit=2",
            andes_tests::support::query_escape(&unique_name("Other"))
        ),
        tagged.clone(),
        format!("{list}&status=Available"),
        "/dining/venues?limit=2".to_string(),
    ] {
        ctx.call("GET", &with_cursor(&other, &cursor), None, None)
            .await
            .expect_invalid_field("cursor");
    }
    // The whole list pages by id too, and a page is never longer than its limit.
    let first = ctx.call("GET", "/dining/venues?limit=3", None, None).await.expect(200);
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 3);
    assert_eq!(first_ids, sorted(first_ids.clone()));
    let next = first["next_cursor"].as_str().expect("more than three venues exist");
    let second = ctx
        .call("GET", &with_cursor("/dining/venues?limit=3", next), None, None)
        .await
        .expect(200);
    assert!(ids(&second).iter().all(|id| id > first_ids.last().unwrap()), "{second}");
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let ctx = Ctx::new().await;
    let bad = ctx
        .call(
            "GET",
            "/dining/venues?characteristic=Tacos&characteristic=Pizzas&feature=Pileta&status=Open&limit=101",
            None,
            None,
        )
        .await
        .expect_problem(422, None);
    assert_eq!(
        problems(&bad),
        [
            problem("characteristic", "Invalid characteristic: Tacos"),
            problem("feature", "Invalid feature: Pileta"),
            problem("status", "must be one of Available, Closed, Occupied, Unconfirmed"),
            problem("limit", "must be an integer from 1 to 100"),
        ]
    );
    for query in [
        "limit=0",
        "limit=ten",
        "limit=-1",
        "characteristic=Sandwiches",
        "feature=wifi",
        "status=closed",
    ] {
        let field = query.split('=').next().unwrap();
        let reply = ctx.call("GET", &format!("/dining/venues?{query}"), None, None).await;
        assert_eq!(fields(&reply.expect_problem(422, None)), [field], "{query}");
    }
    // A name no venue can have lists nothing.
    let long = "n".repeat(300);
    let page = ctx
        .call("GET", &format!("/dining/venues?name={long}"), None, None)
        .await
        .expect(200);
    assert_eq!(page, json!({"items": [], "next_cursor": null}));
}

// ------------------------------------------------------------------------------ near

#[tokio::test]
async fn near_ranks_by_distance_within_the_radius() {
    let ctx = Ctx::new().await;
    let centre = unique_point();
    let points = [
        offset(centre, 80.0, 60.0),        // 100 m
        offset(centre, -900.0, 300.0),     // ~950 m
        offset(centre, 2_000.0, -2_200.0), // ~3 km
        offset(centre, 0.0, 8_000.0),      // 8 km
        offset(centre, 15_000.0, 0.0),     // 15 km
    ];
    let name = unique_name("Cerca");
    let owners = restaurants(&ctx, points.len()).await;
    for (owner, at) in owners.iter().zip(points) {
        create_venue(&ctx, owner, &venue_body(&name, at)).await;
    }
    let near = |query: String| {
        let ctx = ctx.clone();
        async move {
            let list = format!("/dining/venues/near?lat={}&lon={}{query}", centre.0, centre.1);
            let page = ctx.call("GET", &list, None, None).await.expect(200);
            assert_eq!(page["next_cursor"], json!(null), "{list}: {page}");
            page["items"].as_array().unwrap().clone()
        }
    };
    let expect = |items: &[Value], which: &[usize]| {
        let got: Vec<(String, u64)> = items
            .iter()
            .map(|item| (id(&item["venue"]), item["distance_m"].as_u64().unwrap()))
            .collect();
        let wanted: Vec<(String, u64)> = which
            .iter()
            .map(|i| (owners[*i].id.clone(), distance_m(centre, points[*i])))
            .collect();
        assert_eq!(got, wanted);
    };
    // Default radius 5 km, nearest first, whole metres.
    let items = near(String::new()).await;
    expect(&items, &[0, 1, 2]);
    assert_eq!(items[0]["venue"]["name"], json!(name));
    assert_eq!(
        items[0].as_object().unwrap().len(),
        2,
        "{{venue, distance_m}}: {}",
        items[0]
    );
    expect(&near("&radius_m=1000".into()).await, &[0, 1]);
    expect(&near("&radius_m=100".into()).await, &[0]);
    expect(&near("&radius_m=99".into()).await, &[]);
    expect(&near("&radius_m=10000".into()).await, &[0, 1, 2, 3]);
    expect(&near("&radius_m=20000".into()).await, &[0, 1, 2, 3, 4]);
    // Every precision of the index: from a metre to the whole Earth (narrowed by name).
    let by_name = format!("&name={}", andes_tests::support::query_escape(&name));
    expect(&near(format!("{by_name}&radius_m=1")).await, &[]);
    expect(
        &near(format!("{by_name}&radius_m=20000000&limit=100")).await,
        &[0, 1, 2, 3, 4],
    );
    expect(&near(format!("{by_name}&radius_m=3000000")).await, &[0, 1, 2, 3, 4]);
    // From one of the venues itself: distance 0 first.
    let at = points[3];
    let list = format!("/dining/venues/near?lat={}&lon={}&radius_m=1", at.0, at.1);
    let page = ctx.call("GET", &list, None, None).await.expect(200);
    assert_eq!(ids(&page), vec![owners[3].id.clone()]);
    assert_eq!(page["items"][0]["distance_m"], 0);
}

#[tokio::test]
async fn near_filters_ties_pages_and_checks_its_parameters() {
    let ctx = Ctx::new().await;
    let centre = unique_point();
    let twin = offset(centre, 500.0, 0.0);
    let owners = restaurants(&ctx, 4).await;
    let specs = [
        (
            twin,
            json!({"characteristics": ["Empanadas", "Carnes"], "features": ["Wifi"]}),
        ),
        (
            twin,
            json!({"characteristics": ["Empanadas"], "features": ["Wifi", "Estacionamiento"]}),
        ),
        (offset(centre, 0.0, 1_200.0), json!({"characteristics": ["Carnes"]})),
        (
            offset(centre, -2_000.0, 0.0),
            json!({"characteristics": ["Empanadas", "Carnes"], "features": ["Wifi"]}),
        ),
    ];
    for (owner, (at, more)) in owners.iter().zip(specs.clone()) {
        create_venue(&ctx, owner, &with(venue_body(&unique_name("Filtro cerca"), at), more)).await;
    }
    act(&ctx, &owners[3], &owners[3].id, "occupy").await.expect(200);
    let base = format!("/dining/venues/near?lat={}&lon={}", centre.0, centre.1);
    // The two venues at the same point tie: by id.
    let twins = sorted(vec![owners[0].id.clone(), owners[1].id.clone()]);
    let mut all = twins.clone();
    all.extend([owners[2].id.clone(), owners[3].id.clone()]);
    assert_eq!(all_ids(&ctx, &base).await, all);
    for (query, expected) in [
        (
            "&characteristic=Empanadas&characteristic=Carnes",
            vec![&owners[0].id, &owners[3].id],
        ),
        (
            "&characteristic=Carnes,Empanadas&feature=Wifi&status=Available",
            vec![&owners[0].id],
        ),
        ("&feature=Estacionamiento", vec![&owners[1].id]),
        ("&status=Occupied", vec![&owners[3].id]),
        (
            "&characteristic=Carnes&radius_m=1500",
            vec![&owners[0].id, &owners[2].id],
        ),
        ("&feature=Mascotas", vec![]),
    ] {
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(all_ids(&ctx, &format!("{base}{query}")).await, expected, "{query}");
    }
    // Pages of two, without overlap, each item once.
    let paged = format!("{base}&limit=2");
    let pages = all_pages(&ctx, &paged).await;
    let page_ids: Vec<Vec<String>> = pages.iter().map(ids).collect();
    assert_eq!(page_ids, [all[0..2].to_vec(), all[2..4].to_vec()]);
    let cursor = pages[0]["next_cursor"].as_str().unwrap().to_string();
    for other in [
        format!("{paged}&radius_m=6000"),
        format!("{paged}&feature=Wifi"),
        format!("/dining/venues/near?lat={}&lon={}&limit=2", centre.0 + 1.0, centre.1),
        "/dining/venues?limit=2".to_string(),
    ] {
        ctx.call("GET", &with_cursor(&other, &cursor), None, None)
            .await
            .expect_invalid_field("cursor");
    }
    for forged in FORGED_CURSORS {
        ctx.call("GET", &with_cursor(&paged, forged), None, None)
            .await
            .expect_invalid_field("cursor");
    }
    // Parameters.
    let missing = ctx
        .call("GET", "/dining/venues/near", None, None)
        .await
        .expect_problem(422, None);
    assert_eq!(
        problems(&missing),
        [problem("lat", "is required"), problem("lon", "is required")]
    );
    for (query, field) in [
        ("lat=91&lon=0", "lat"),
        ("lat=north&lon=0", "lat"),
        ("lat=0&lon=-180.5", "lon"),
        ("lat=0&lon=0&radius_m=0", "radius_m"),
        ("lat=0&lon=0&radius_m=20000001", "radius_m"),
        ("lat=0&lon=0&radius_m=1.5", "radius_m"),
        ("lat=0&lon=0&characteristic=Tacos", "characteristic"),
        ("lat=0&lon=0&feature=Pileta", "feature"),
        ("lat=0&lon=0&status=Open", "status"),
        ("lat=0&lon=0&limit=101", "limit"),
    ] {
        let reply = ctx
            .call("GET", &format!("/dining/venues/near?{query}"), None, None)
            .await;
        assert_eq!(fields(&reply.expect_problem(422, None)), [field], "{query}");
    }
    let radius = ctx
        .call("GET", "/dining/venues/near?lat=0&lon=0&radius_m=0", None, None)
        .await
        .expect_problem(422, None);
    assert_eq!(
        problems(&radius),
        [problem("radius_m", "must be an integer from 1 to 20000000")]
    );
}

// ------------------------------------------------------------------------------ availability

/// The local date `days` from today in `zone_hours` (a zone without daylight saving).
fn local_date(zone_hours: i64, days: i64) -> NaiveDate {
    (Utc::now() + Duration::hours(zone_hours) + Duration::days(days)).date_naive()
}

/// The UTC instant of local `date` `hh:mm` in a zone `zone_hours` ahead of UTC.
fn instant(date: NaiveDate, hh: u32, mm: u32, zone_hours: i64) -> String {
    let local = date.and_hms_opt(hh, mm, 0).unwrap().and_utc();
    wire(local - Duration::hours(zone_hours))
}

#[tokio::test]
async fn availability_counts_the_slot_counters_in_the_venues_zone() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    // Tokyo: UTC+9 all year.
    let venue = create_venue(
        &ctx,
        &owner,
        &with(
            venue_body(&unique_name("Tokio"), unique_point()),
            json!({"timezone": "Asia/Tokyo", "capacity": 10, "slots": ["20:00", "08:30", "23:45"]}),
        ),
    )
    .await;
    let venue_id = id(&venue);
    let date = local_date(9, 2);
    let day = date.format("%Y-%m-%d").to_string();
    let starts = [
        instant(date, 8, 30, 9),
        instant(date, 20, 0, 9),
        instant(date, 23, 45, 9),
    ];
    let path = format!("{}/availability?date={day}", venue_path(&venue_id));
    let fresh = ctx.call("GET", &path, None, None).await.expect(200);
    assert_eq!(
        fresh,
        json!({"venue": venue_id, "date": day, "timezone": "Asia/Tokyo", "capacity": 10, "slots": [
            {"time": "08:30", "start": starts[0], "booked": 0, "available": 10, "bookable": true},
            {"time": "20:00", "start": starts[1], "booked": 0, "available": 10, "bookable": true},
            {"time": "23:45", "start": starts[2], "booked": 0, "available": 10, "bookable": true},
        ]})
    );
    // Seats held by reservations (the reservation slice's counters): 7 at 20:00, all at 23:45,
    // more than the capacity at 08:30 (a capacity lowered under what is held).
    hold_seats(&ctx, &venue_id, &starts[1], 7).await;
    hold_seats(&ctx, &venue_id, &starts[2], 10).await;
    hold_seats(&ctx, &venue_id, &starts[0], 12).await;
    // A counter of another date or venue does not count.
    hold_seats(&ctx, &venue_id, &instant(local_date(9, 3), 20, 0, 9), 3).await;
    let held = ctx.call("GET", &path, None, None).await.expect(200);
    let slots: Vec<(u64, u64, bool)> = held["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["booked"].as_u64().unwrap(),
                s["available"].as_u64().unwrap(),
                s["bookable"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(slots, [(12, 0, false), (7, 3, true), (10, 0, false)]);
}

#[tokio::test]
async fn availability_says_when_nothing_can_be_booked() {
    let ctx = Ctx::new().await;
    let owner = restaurant(&ctx).await;
    let vacation = local_date(-3, 5);
    let venue = create_venue(
        &ctx,
        &owner,
        &with(
            venue_body(&unique_name("Vacaciones"), unique_point()),
            json!({"reservation_lead_time": 2, "vacations": [vacation.format("%Y-%m-%d").to_string()]}),
        ),
    )
    .await;
    let venue_id = id(&venue);
    let bookable = |days: i64| {
        let ctx = ctx.clone();
        let path = format!(
            "{}/availability?date={}",
            venue_path(&venue_id),
            local_date(-3, days).format("%Y-%m-%d")
        );
        async move {
            let answer = ctx.call("GET", &path, None, None).await.expect(200);
            assert_eq!(answer["timezone"], "America/Argentina/Buenos_Aires");
            answer["slots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["bookable"].as_bool().unwrap())
                .collect::<Vec<bool>>()
        }
    };
    assert_eq!(bookable(-1).await, [false, false], "past");
    assert_eq!(bookable(1).await, [false, false], "before the lead time (2 days)");
    assert_eq!(bookable(3).await, [true, true]);
    assert_eq!(bookable(5).await, [false, false], "vacation");
    assert_eq!(bookable(120).await, [false, false], "beyond 90 days");
    act(&ctx, &owner, &venue_id, "occupy").await.expect(200);
    assert_eq!(
        bookable(3).await,
        [true, true],
        "an occupied venue still takes reservations"
    );
    act(&ctx, &owner, &venue_id, "close").await.expect(200);
    assert_eq!(bookable(3).await, [false, false], "closed");
    // The date is required, exactly YYYY-MM-DD.
    let path = format!("{}/availability", venue_path(&venue_id));
    let missing = ctx.call("GET", &path, None, None).await.expect_problem(422, None);
    assert_eq!(problems(&missing), [problem("date", "is required")]);
    for bad in [
        "2030-1-5",
        "2030-02-30",
        "05/01/2030",
        "2030-01-05T00:00:00Z",
        "tomorrow",
    ] {
        let reply = ctx
            .call(
                "GET",
                &format!("{path}?date={}", andes_tests::support::query_escape(bad)),
                None,
                None,
            )
            .await;
        assert_eq!(
            problems(&reply.expect_problem(422, None)),
            [problem("date", "must be a date YYYY-MM-DD")],
            "{bad}"
        );
    }
}
