//! Deliveries (seed 002): transport runs end to end — who may call, the run's shape and
//! `Location`, plate normalisation, every validation problem at once, one active run per
//! vehicle (also under a race), depart / arrive and their 409s, the plate freed on arrival,
//! and the lists by warehouse and status with checked cursors.

mod deliveries_support;

use andes_tests::support::{all_at_once, json, Ctx, Value};
use deliveries_support::*;

const NOT_LOADED: &str = "Transport is not loaded";
const NOT_ON_THE_WAY: &str = "Transport is not on the way";

fn active_run(plate: &str) -> String {
    format!("Vehicle {plate} already has an active run")
}

async fn get_transport(ctx: &Ctx, staff: &Caller, id: &str) -> Value {
    ctx.call("GET", &format!("/deliveries/transports/{id}"), staff.bearer(), None)
        .await
        .expect(200)
}

#[tokio::test]
async fn transports_are_for_operators_and_admins_only() {
    let ctx = Ctx::new().await;
    let (user, operator, admin) = tokio::join!(user(&ctx), operator(&ctx), admin(&ctx));
    let warehouse = id(&create_warehouse(&ctx, &operator, &unique_place("Cali"), 10).await);
    let run = id(&create_transport(&ctx, &operator, &unique_plate(), &warehouse).await);
    let body = transport_body(&unique_plate(), &warehouse, "Medellín");
    let routes = [
        ("POST", "/deliveries/transports".to_string(), Some(&body)),
        ("GET", "/deliveries/transports".to_string(), None),
        ("GET", format!("/deliveries/transports/{run}"), None),
        ("POST", format!("/deliveries/transports/{run}/depart"), None),
        ("POST", format!("/deliveries/transports/{run}/arrive"), None),
    ];
    for (method, path, body) in &routes {
        ctx.call(method, path, None, *body)
            .await
            .expect_gateway(401, "Unauthorized");
        ctx.call(method, path, user.bearer(), *body)
            .await
            .expect_gateway(403, "Forbidden");
    }
    // Nothing changed; the admin moves the operator's run.
    assert_eq!(get_transport(&ctx, &admin, &run).await["status"], json!("loaded"));
    move_transport(&ctx, &admin, &run, "depart").await.expect(200);
    move_transport(&ctx, &operator, &run, "arrive").await.expect(200);
    create_transport(&ctx, &admin, &unique_plate(), &warehouse).await;
    ctx.call("GET", "/deliveries/transports", admin.bearer(), None)
        .await
        .expect(200);
}

#[tokio::test]
async fn an_operator_registers_a_run_from_a_warehouse() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let location = unique_place("Bogotá");
    let warehouse = id(&create_warehouse(&ctx, &operator, &location, 10).await);
    let plate = unique_plate();
    let mut body = transport_body(&format!("  {plate}\t"), &warehouse, " Medellín ");
    body["route"]["origin"] = json!("ignored: the warehouse's location");
    body["route"]["departure_date"] = json!("2030-01-10T03:00:00-05:00");
    body["ignored"] = json!(true);
    let reply = ctx
        .call("POST", "/deliveries/transports", operator.bearer(), Some(&body))
        .await;
    let created = reply.expect(201);
    let run = id(&created);
    assert!(uuid::Uuid::parse_str(&run).is_ok(), "{created}");
    assert_eq!(
        reply.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/deliveries/transports/{run}").as_str())
    );
    let created_at = created["created_at"].as_str().unwrap_or_default();
    assert!(created_at.ends_with('Z') && created_at.len() == 24, "{created}");
    assert_eq!(
        created,
        json!({"id": run, "vehicle_plate": plate.to_uppercase(), "cargo_type": "food",
               "warehouse_id": warehouse,
               "route": {"origin": location, "destination": "Medellín",
                         "departure_date": "2030-01-10T08:00:00Z", "arrival_date": "2030-01-10T18:00:00Z"},
               "status": "loaded", "order_ids": [], "version": 1,
               "created_at": created_at, "updated_at": created_at})
    );
    assert_eq!(get_transport(&ctx, &operator, &run).await, created);
}

#[tokio::test]
async fn every_problem_of_a_run_is_reported_at_once() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let location = unique_place("Bogotá");
    let warehouse = id(&create_warehouse(&ctx, &operator, &location, 10).await);
    let post = |body: Value| {
        let (ctx, operator) = (ctx.clone(), operator.clone());
        async move { post_transport(&ctx, &operator, &body).await.expect_problem(422, None) }
    };

    let missing = post(json!({})).await;
    assert_eq!(
        problems(&missing),
        [
            ("vehicle_plate".to_string(), "is required".to_string()),
            ("cargo_type".to_string(), "is required".to_string()),
            ("warehouse_id".to_string(), "is required".to_string()),
            ("route".to_string(), "is required".to_string()),
        ]
    );
    let wrong = post(json!({
        "vehicle_plate": "ab 1",
        "cargo_type": "frozen",
        "warehouse_id": unknown_id(),
        "route": {"destination": "Medellín", "departure_date": "2030-01-10T08:00:00Z",
                  "arrival_date": "2030-01-10T08:00:00Z"},
    }))
    .await;
    assert_eq!(
        problems(&wrong),
        [
            (
                "vehicle_plate".to_string(),
                "must be 5 to 10 letters, digits or dashes".to_string()
            ),
            (
                "cargo_type".to_string(),
                "must be one of refrigerated, food, goods".to_string()
            ),
            ("warehouse_id".to_string(), "unknown warehouse".to_string()),
            (
                "route.arrival_date".to_string(),
                "must be after route.departure_date".to_string()
            ),
        ]
    );
    // The destination is compared with the warehouse's location, trimmed and in any case.
    let mut same_place = transport_body(&unique_plate(), &warehouse, &format!(" {} ", location.to_uppercase()));
    same_place["route"]["departure_date"] = json!("tomorrow");
    assert_eq!(
        problems(&post(same_place).await),
        [
            (
                "route.destination".to_string(),
                "must differ from the warehouse location".to_string()
            ),
            (
                "route.departure_date".to_string(),
                "must be an RFC 3339 date-time with a time zone (2026-12-03T08:00:00Z)".to_string()
            ),
        ]
    );
    let mut empty_route = transport_body("ABCDEFGHIJK", "bodega-1", "x");
    empty_route["route"] = json!({});
    assert_eq!(
        fields(&post(empty_route).await),
        [
            "vehicle_plate",
            "warehouse_id",
            "route.destination",
            "route.departure_date",
            "route.arrival_date"
        ]
    );
    let mut not_an_object = transport_body(&unique_plate(), &warehouse, "Cali");
    not_an_object["route"] = json!("Cali");
    assert_eq!(
        problems(&post(not_an_object).await),
        [("route".to_string(), "must be an object".to_string())]
    );
    // Nothing of the above was registered.
    let page = ctx
        .call(
            "GET",
            &format!("/deliveries/transports?warehouse_id={warehouse}"),
            operator.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(page, json!({"items": [], "next_cursor": null}));
    let authorization = format!("Bearer {}", operator.token);
    ctx.call_raw(
        "POST",
        "/deliveries/transports",
        &[("authorization", authorization.as_str())],
        b"[]".to_vec(),
    )
    .await
    .expect_problem(400, None);
}

#[tokio::test]
async fn a_run_departs_arrives_and_frees_its_plate() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let warehouse = id(&create_warehouse(&ctx, &operator, &unique_place("Bogotá"), 10).await);
    let plate = unique_plate();
    let upper = plate.to_uppercase();
    let first = create_transport(&ctx, &operator, &plate, &warehouse).await;
    let run = id(&first);

    // One active run per vehicle, however the plate is written.
    for written in [plate.clone(), format!(" {upper} ")] {
        let body = transport_body(&written, &warehouse, "Cali");
        post_transport(&ctx, &operator, &body)
            .await
            .expect_problem(409, Some(&active_run(&upper)));
    }
    move_transport(&ctx, &operator, &run, "arrive")
        .await
        .expect_problem(409, Some(NOT_ON_THE_WAY));

    let departed = move_transport(&ctx, &operator, &run, "depart").await.expect(200);
    assert_eq!(
        (departed["status"].clone(), departed["version"].clone()),
        (json!("on_the_way"), json!(2))
    );
    assert_eq!(departed["order_ids"], json!([]));
    assert!(departed["updated_at"].as_str() >= first["updated_at"].as_str());
    assert_eq!(departed["created_at"], first["created_at"]);
    assert_eq!(get_transport(&ctx, &operator, &run).await, departed);
    move_transport(&ctx, &operator, &run, "depart")
        .await
        .expect_problem(409, Some(NOT_LOADED));
    // Still on the way: the plate is still held.
    post_transport(&ctx, &operator, &transport_body(&plate, &warehouse, "Cali"))
        .await
        .expect_problem(409, Some(&active_run(&upper)));

    let arrived = move_transport(&ctx, &operator, &run, "arrive").await.expect(200);
    assert_eq!(
        (arrived["status"].clone(), arrived["version"].clone()),
        (json!("dispatched"), json!(3))
    );
    assert_eq!(get_transport(&ctx, &operator, &run).await, arrived);
    move_transport(&ctx, &operator, &run, "arrive")
        .await
        .expect_problem(409, Some(NOT_ON_THE_WAY));
    move_transport(&ctx, &operator, &run, "depart")
        .await
        .expect_problem(409, Some(NOT_LOADED));

    // The run is over: the vehicle may start a new one.
    let next = create_transport(&ctx, &operator, &upper, &warehouse).await;
    assert_ne!(id(&next), run);
    assert_eq!(next["vehicle_plate"], json!(upper));
    post_transport(&ctx, &operator, &transport_body(&plate, &warehouse, "Cali"))
        .await
        .expect_problem(409, Some(&active_run(&upper)));
}

#[tokio::test]
async fn ten_runs_race_for_one_plate_and_exactly_one_is_registered() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let warehouse = id(&create_warehouse(&ctx, &operator, &unique_place("Bogotá"), 10).await);
    let plate = unique_plate();
    let replies = all_at_once(10, |i| {
        let (ctx, operator) = (ctx.clone(), operator.clone());
        // Written ten ways: all the same plate.
        let written = if i % 2 == 0 {
            plate.clone()
        } else {
            format!(" {} ", plate.to_uppercase())
        };
        let body = transport_body(&written, &warehouse, "Medellín");
        async move { post_transport(&ctx, &operator, &body).await }
    })
    .await;
    assert_eq!(
        statuses(&replies),
        [(201, 1), (409, 9)].into_iter().collect(),
        "{replies:#?}"
    );
    for loser in replies.iter().filter(|r| r.status == 409) {
        loser.expect_problem(409, Some(&active_run(&plate.to_uppercase())));
    }
    let winner = replies.iter().find(|r| r.status == 201).unwrap().json();
    let page = ctx
        .call(
            "GET",
            &format!("/deliveries/transports?warehouse_id={warehouse}"),
            operator.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(ids(&page), [id(&winner)], "{page}");

    // Concurrent departs of that run: one moves it, the others find it no longer loaded.
    let run = id(&winner);
    let departs = all_at_once(5, |_| {
        let (ctx, operator, run) = (ctx.clone(), operator.clone(), run.clone());
        async move { move_transport(&ctx, &operator, &run, "depart").await }
    })
    .await;
    assert_eq!(
        statuses(&departs),
        [(200, 1), (409, 4)].into_iter().collect(),
        "{departs:#?}"
    );
    assert_eq!(get_transport(&ctx, &operator, &run).await["version"], json!(2));
}

#[tokio::test]
async fn unknown_and_malformed_transport_ids_are_not_found() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    for unknown in [unknown_id(), "not-a-uuid".to_string(), "TRANSPORT".to_string()] {
        for (method, suffix) in [("GET", ""), ("POST", "/depart"), ("POST", "/arrive")] {
            ctx.call(
                method,
                &format!("/deliveries/transports/{unknown}{suffix}"),
                operator.bearer(),
                None,
            )
            .await
            .expect_problem(404, Some("transport not found"));
        }
    }
}

#[tokio::test]
async fn runs_are_listed_by_warehouse_and_status_with_checked_cursors() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let warehouse = id(&create_warehouse(&ctx, &operator, &unique_place("Bogotá"), 10).await);
    let other = id(&create_warehouse(&ctx, &operator, &unique_place("Tunja"), 10).await);
    let mut runs = Vec::new();
    for _ in 0..4 {
        runs.push(id(&create_transport(&ctx, &operator, &unique_plate(), &warehouse).await));
    }
    let elsewhere = id(&create_transport(&ctx, &operator, &unique_plate(), &other).await);
    // runs[0] dispatched, runs[1] on the way, runs[2..] loaded.
    move_transport(&ctx, &operator, &runs[0], "depart").await.expect(200);
    move_transport(&ctx, &operator, &runs[0], "arrive").await.expect(200);
    move_transport(&ctx, &operator, &runs[1], "depart").await.expect(200);

    let by_warehouse = format!("/deliveries/transports?warehouse_id={warehouse}&limit=3");
    let pages = all_pages(&ctx, &operator, &by_warehouse).await;
    let newest_first: Vec<String> = runs.iter().rev().cloned().collect();
    assert_eq!(pages, [newest_first[..3].to_vec(), newest_first[3..].to_vec()]);

    let list = |query: String| {
        let (ctx, operator) = (ctx.clone(), operator.clone());
        async move {
            let page = ctx
                .call(
                    "GET",
                    &format!("/deliveries/transports?{query}"),
                    operator.bearer(),
                    None,
                )
                .await
                .expect(200);
            ids(&page)
        }
    };
    assert_eq!(
        list(format!("warehouse_id={warehouse}&status=loaded")).await,
        [runs[3].clone(), runs[2].clone()]
    );
    assert_eq!(
        list(format!("warehouse_id={warehouse}&status=on_the_way")).await,
        [runs[1].clone()]
    );
    assert_eq!(
        list(format!("warehouse_id={warehouse}&status=dispatched")).await,
        [runs[0].clone()]
    );
    assert_eq!(
        list(format!("warehouse_id={other}")).await,
        std::slice::from_ref(&elsewhere)
    );
    assert!(list(format!("warehouse_id={}", unknown_id())).await.is_empty());
    assert!(list("warehouse_id=bodega-1".to_string()).await.is_empty());
    // Across warehouses, newest first: this test's runs are among the newest.
    let loaded = list("status=loaded&limit=100".to_string()).await;
    assert!(loaded.contains(&runs[2]) && loaded.contains(&elsewhere), "{loaded:?}");
    assert!(!loaded.contains(&runs[0]) && !loaded.contains(&runs[1]));
    let on_the_way = list("status=on_the_way&limit=100".to_string()).await;
    assert!(on_the_way.contains(&runs[1]) && !on_the_way.contains(&runs[2]));
    let all = list("limit=100".to_string()).await;
    assert!(runs.iter().all(|run| all.contains(run)), "{all:?}");

    let first = ctx
        .call("GET", &by_warehouse, operator.bearer(), None)
        .await
        .expect(200);
    let cursor = first["next_cursor"].as_str().expect("a second page").to_string();
    for list in [
        format!("/deliveries/transports?warehouse_id={warehouse}&status=loaded&limit=3"),
        format!("/deliveries/transports?warehouse_id={other}&limit=3"),
        "/deliveries/transports?limit=3".to_string(),
    ] {
        ctx.call("GET", &with_cursor(&list, &cursor), operator.bearer(), None)
            .await
            .expect_invalid_field("cursor");
    }
    for forged in FORGED_CURSORS {
        ctx.call("GET", &with_cursor(&by_warehouse, forged), operator.bearer(), None)
            .await
            .expect_invalid_field("cursor");
    }
    let bad = ctx
        .call(
            "GET",
            "/deliveries/transports?status=OnTheWay&limit=0",
            operator.bearer(),
            None,
        )
        .await
        .expect_problem(422, None);
    assert_eq!(
        problems(&bad),
        [
            ("limit".to_string(), "must be an integer from 1 to 100".to_string()),
            (
                "status".to_string(),
                "must be one of loaded, on_the_way, dispatched".to_string()
            ),
        ]
    );
}
