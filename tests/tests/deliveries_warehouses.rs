//! Deliveries (seed 002): health and warehouses end to end — who may call, the warehouse's
//! shape and `Location`, every validation problem at once, unknown ids, and the lists by
//! location with checked cursors.

mod deliveries_support;

use andes_tests::support::{json, Ctx};
use deliveries_support::*;

#[tokio::test]
async fn health_answers_anyone() {
    let ctx = Ctx::new().await;
    let reply = ctx.call("GET", "/deliveries/health", None, None).await;
    assert_eq!(reply.expect(200), json!({"status": "ok"}));
    let user = user(&ctx).await;
    let reply = ctx.call("GET", "/deliveries/health", user.bearer(), None).await;
    assert_eq!(reply.expect(200), json!({"status": "ok"}));
}

#[tokio::test]
async fn warehouses_are_for_operators_and_admins_only() {
    let ctx = Ctx::new().await;
    let (user, operator, admin) = tokio::join!(user(&ctx), operator(&ctx), admin(&ctx));
    let existing = id(&create_warehouse(&ctx, &operator, &unique_place("Cali"), 10).await);
    let body = warehouse_body("Cali", 10);
    let routes = [
        ("POST", "/deliveries/warehouses".to_string(), Some(&body)),
        ("GET", "/deliveries/warehouses".to_string(), None),
        ("GET", format!("/deliveries/warehouses/{existing}"), None),
    ];
    for (method, path, body) in &routes {
        ctx.call(method, path, None, *body)
            .await
            .expect_gateway(401, "Unauthorized");
        ctx.call(method, path, user.bearer(), *body)
            .await
            .expect_gateway(403, "Forbidden");
        ctx.call(method, path, Some("not-a-token"), *body)
            .await
            .expect_gateway(403, "Forbidden");
    }
    for staff in [&operator, &admin] {
        create_warehouse(&ctx, staff, &unique_place("Cali"), 10).await;
        ctx.call("GET", "/deliveries/warehouses", staff.bearer(), None)
            .await
            .expect(200);
        let found = ctx
            .call(
                "GET",
                &format!("/deliveries/warehouses/{existing}"),
                staff.bearer(),
                None,
            )
            .await
            .expect(200);
        assert_eq!(id(&found), existing);
    }
}

#[tokio::test]
async fn an_operator_registers_a_warehouse_and_reads_it_back() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let location = unique_place("Bogotá");
    let body = json!({"name": "  Bodega Norte  ", "location": format!(" {location} "), "capacity": 500});
    let reply = ctx
        .call("POST", "/deliveries/warehouses", operator.bearer(), Some(&body))
        .await;
    let created = reply.expect(201);
    let warehouse_id = id(&created);
    assert!(uuid::Uuid::parse_str(&warehouse_id).is_ok(), "{created}");
    assert_eq!(
        reply.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/deliveries/warehouses/{warehouse_id}").as_str()),
        "{:?}",
        reply.headers
    );
    let created_at = created["created_at"].as_str().unwrap_or_default();
    assert!(created_at.ends_with('Z') && created_at.len() == 24, "{created}");
    assert_eq!(
        created,
        json!({"id": warehouse_id, "name": "Bodega Norte", "location": location, "capacity": 500,
               "stock": 0, "available": 500, "version": 1,
               "created_at": created_at, "updated_at": created_at})
    );
    let read = ctx
        .call(
            "GET",
            &format!("/deliveries/warehouses/{warehouse_id}"),
            operator.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(read, created);
    let newest = ctx
        .call("GET", "/deliveries/warehouses?limit=100", operator.bearer(), None)
        .await
        .expect(200);
    assert!(ids(&newest).contains(&warehouse_id), "{newest}");
}

#[tokio::test]
async fn every_problem_of_a_warehouse_is_reported_at_once() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let post = |body: serde_json::Value| {
        let (ctx, operator) = (ctx.clone(), operator.clone());
        async move {
            ctx.call("POST", "/deliveries/warehouses", operator.bearer(), Some(&body))
                .await
        }
    };
    let missing = post(json!({})).await.expect_problem(422, None);
    assert_eq!(
        problems(&missing),
        [
            ("name".to_string(), "is required".to_string()),
            ("location".to_string(), "is required".to_string()),
            ("capacity".to_string(), "is required".to_string()),
        ]
    );
    let wrong = post(json!({"name": "   ", "location": "l".repeat(101), "capacity": 0}))
        .await
        .expect_problem(422, None);
    assert_eq!(
        problems(&wrong),
        [
            ("name".to_string(), "must be 1 to 100 characters".to_string()),
            ("location".to_string(), "must be 1 to 100 characters".to_string()),
            (
                "capacity".to_string(),
                "must be an integer from 1 to 100000".to_string()
            ),
        ]
    );
    for capacity in [json!(100_001), json!(2.5), json!("10"), json!(-1), json!(null)] {
        let reply = post(json!({"name": "B", "location": "Cali", "capacity": capacity})).await;
        assert_eq!(fields(&reply.expect_problem(422, None)), ["capacity"], "{capacity}");
    }
    let types = post(json!({"name": 7, "location": ["Cali"], "capacity": 10}))
        .await
        .expect_problem(422, None);
    assert_eq!(
        problems(&types),
        [
            ("name".to_string(), "must be a string".to_string()),
            ("location".to_string(), "must be a string".to_string()),
        ]
    );
    for raw in ["[1, 2]", "\"text\"", "{not json", ""] {
        let headers = [
            ("authorization", format!("Bearer {}", operator.token)),
            ("content-type", "application/json".to_string()),
        ];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        ctx.call_raw("POST", "/deliveries/warehouses", &headers, raw.as_bytes().to_vec())
            .await
            .expect_problem(400, None);
    }
}

#[tokio::test]
async fn unknown_and_malformed_warehouse_ids_are_not_found() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    for unknown in [unknown_id(), "not-a-uuid".to_string(), "WAREHOUSE".to_string()] {
        ctx.call(
            "GET",
            &format!("/deliveries/warehouses/{unknown}"),
            operator.bearer(),
            None,
        )
        .await
        .expect_problem(404, Some("warehouse not found"));
    }
}

#[tokio::test]
async fn warehouses_by_location_are_paged_newest_first_with_checked_cursors() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let place = unique_place("Medellín");
    let elsewhere = unique_place("Medellín");
    let mut created = Vec::new();
    // The same place however it is written: trimmed, any case.
    for written in [
        place.clone(),
        place.to_uppercase(),
        format!("  {place}"),
        place.to_lowercase(),
        place.clone(),
    ] {
        created.push(id(&create_warehouse(&ctx, &operator, &written, 10).await));
    }
    create_warehouse(&ctx, &operator, &elsewhere, 10).await;

    let list = format!(
        "/deliveries/warehouses?location={}&limit=2",
        andes_tests::support::query_escape(&format!(" {} ", place.to_uppercase()))
    );
    let pages = all_pages(&ctx, &operator, &list).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1], "{pages:?}");
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(pages.concat(), newest_first);

    let first = ctx.call("GET", &list, operator.bearer(), None).await.expect(200);
    let cursor = first["next_cursor"].as_str().expect("a second page").to_string();
    // A cursor belongs to its list: another location, or no filter, refuses it.
    let other = format!(
        "/deliveries/warehouses?location={}&limit=2",
        andes_tests::support::query_escape(&elsewhere)
    );
    for list in [other.as_str(), "/deliveries/warehouses?limit=2"] {
        ctx.call("GET", &with_cursor(list, &cursor), operator.bearer(), None)
            .await
            .expect_invalid_field("cursor");
    }
    for forged in FORGED_CURSORS {
        ctx.call("GET", &with_cursor(&list, forged), operator.bearer(), None)
            .await
            .expect_invalid_field("cursor");
    }
    for limit in ["0", "101", "ten"] {
        ctx.call(
            "GET",
            &format!("/deliveries/warehouses?limit={limit}"),
            operator.bearer(),
            None,
        )
        .await
        .expect_invalid_field("limit");
    }
    let nowhere = ctx
        .call(
            "GET",
            &format!("/deliveries/warehouses?location={}", "x".repeat(150)),
            operator.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(nowhere, json!({"items": [], "next_cursor": null}));
}
