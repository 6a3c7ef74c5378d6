//! Deliveries (seed 002): the saga end to end (§3, §4) — each outcome's exact event sequence
//! and data, how it picks warehouses and transports, orders waiting for a run, the expiry
//! schedule, cancels of stored orders and under a race with the saga, and a warehouse that
//! never holds more than its capacity while orders race for its last units.
//!
//! Every test has its own places (`unique_place`), so the saga never mixes its warehouses or
//! runs with another test's. Waiting orders leave in [`far_future`], out of reach of the expiry
//! test's firings.

mod deliveries_support;

use std::collections::BTreeMap;

use andes_tests::support::{all_at_once, json, Ctx, Value};
use deliveries_support::*;

/// A run from `warehouse_id` for `cargo` to `destination`, leaving on `departure`.
fn run_body(warehouse_id: &str, cargo: &str, destination: &str, departure: &str) -> Value {
    let mut body = transport_body(&unique_plate(), warehouse_id, destination);
    body["cargo_type"] = json!(cargo);
    body["route"]["departure_date"] = json!(departure);
    body["route"]["arrival_date"] = json!("2030-12-31T18:00:00Z");
    body
}

async fn register_run(ctx: &Ctx, staff: &Caller, body: &Value) -> Value {
    post_transport(ctx, staff, body).await.expect(201)
}

#[tokio::test]
async fn an_order_with_a_run_at_hand_is_stored_then_dispatched() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let client_id = me_id(&ctx, &alice).await;
    let origin = unique_place("Bogotá");
    let warehouse = id(&create_warehouse(&ctx, &operator, &origin, 10).await);
    // Of the runs at the warehouse, the saga takes a loaded one of the order's cargo type and
    // destination, the earliest departure first.
    let chosen = register_run(
        &ctx,
        &operator,
        &run_body(&warehouse, "food", " medellín ", "2030-01-10T08:00:00Z"),
    )
    .await;
    let later = id(&register_run(
        &ctx,
        &operator,
        &run_body(&warehouse, "food", "Medellín", "2030-02-10T08:00:00Z"),
    )
    .await);
    let other_cargo = id(&register_run(
        &ctx,
        &operator,
        &run_body(&warehouse, "goods", "Medellín", "2030-01-01T08:00:00Z"),
    )
    .await);
    let elsewhere = id(&register_run(
        &ctx,
        &operator,
        &run_body(&warehouse, "food", "Cali", "2030-01-01T08:00:00Z"),
    )
    .await);
    let transport = id(&chosen);
    let plate = chosen["vehicle_plate"].clone();

    // The origin and destination written otherwise: places compare trimmed, in any case.
    let body = order_body(
        &format!("  {} ", origin.to_uppercase()),
        "MEDELLÍN ",
        far_future(),
        3,
        Some("food"),
    );
    let order_id = id(&place_order(&ctx, &alice, &body).await);
    let events = wait_for_types(&ctx, &alice, &order_id, &DISPATCHED).await;
    let received = &events[0]["data"];
    assert_eq!(
        (
            received["client_id"].clone(),
            received["units"].clone(),
            received["cargo_type"].clone(),
            received["products"].clone(),
        ),
        (json!(client_id), json!(3), json!("food"), body["products"].clone()),
        "{received}"
    );
    assert!(received["route"].is_object(), "{received}");
    let data: Vec<&Value> = events[1..].iter().map(|e| &e["data"]).collect();
    assert_eq!(
        data,
        [
            &json!({"warehouse_id": warehouse, "units": 3}),
            &json!({"warehouse_id": warehouse}),
            &json!({"transport_id": transport, "vehicle_plate": plate}),
            &json!({"warehouse_id": warehouse, "units": 3}),
            &json!({"transport_id": transport}),
        ]
    );

    let order = wait_for_order(&ctx, &alice, &order_id, "dispatched at version 6", |o| {
        o["version"] == json!(6)
    })
    .await;
    assert_eq!(
        (
            order["status"].clone(),
            order["warehouse_id"].clone(),
            order["transport_id"].clone(),
            order["cancel_reason"].clone(),
        ),
        (json!("dispatched"), json!(warehouse), json!(transport), Value::Null),
        "{order}"
    );
    let run = get_transport(&ctx, &operator, &transport).await;
    assert_eq!(run["order_ids"], json!([order_id]), "{run}");
    assert_eq!(run["status"], json!("loaded"), "{run}");
    for untouched in [&later, &other_cargo, &elsewhere] {
        let run = get_transport(&ctx, &operator, untouched).await;
        assert_eq!(run["order_ids"], json!([]), "{run}");
    }
    // The units left the warehouse with the run.
    wait_for_stock(&ctx, &operator, &warehouse, 0).await;
}

#[tokio::test]
async fn an_order_finding_no_room_at_its_origin_is_cancelled() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    // One origin has no warehouse at all, the other one too small for the order.
    let nowhere = unique_place("Pasto");
    let cramped = unique_place("Pasto");
    let small = id(&create_warehouse(&ctx, &operator, &cramped, 1).await);
    let orders = [
        (
            nowhere.clone(),
            id(&place_order(&ctx, &alice, &order_body(&nowhere, "Cali", far_future(), 1, None)).await),
        ),
        (
            cramped.clone(),
            id(&place_order(&ctx, &alice, &order_body(&cramped, "Cali", far_future(), 2, None)).await),
        ),
    ];
    for (origin, order_id) in &orders {
        let events = wait_for_types(&ctx, &alice, order_id, &NO_ROOM).await;
        assert_eq!(
            events[1]["data"],
            json!({"reason": "no_warehouse_capacity", "location": origin}),
            "{order_id}"
        );
        assert_eq!(
            events[2]["data"],
            json!({"reason": "no_warehouse_capacity", "note": null})
        );
        let order = wait_for_status(&ctx, &alice, order_id, "cancelled").await;
        assert_eq!(
            (
                order["cancel_reason"].clone(),
                order["warehouse_id"].clone(),
                order["version"].clone()
            ),
            (json!("no_warehouse_capacity"), Value::Null, json!(3)),
            "{order}"
        );
    }
    assert_eq!(stock(&ctx, &operator, &small).await, 0);
}

#[tokio::test]
async fn a_stored_order_whose_departure_passed_without_a_run_is_compensated() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    // The saga stores in the warehouse with the most room.
    let smaller = id(&create_warehouse(&ctx, &operator, &origin, 3).await);
    let larger = id(&create_warehouse(&ctx, &operator, &origin, 10).await);
    let body = order_body(&origin, "Cali", long_ago(), 2, None);
    let order_id = id(&place_order(&ctx, &alice, &body).await);
    let events = wait_for_types(&ctx, &alice, &order_id, &NO_TRANSPORT).await;
    let data: Vec<&Value> = events[1..].iter().map(|e| &e["data"]).collect();
    assert_eq!(
        data,
        [
            &json!({"warehouse_id": larger, "units": 2}),
            &json!({"warehouse_id": larger}),
            &json!({"reason": "no_transport_available"}),
            &json!({"warehouse_id": larger, "units": 2}),
            &json!({"reason": "no_transport_available", "note": null}),
        ]
    );
    let order = wait_for_status(&ctx, &alice, &order_id, "cancelled").await;
    assert_eq!(
        (
            order["cancel_reason"].clone(),
            order["warehouse_id"].clone(),
            order["transport_id"].clone(),
            order["version"].clone(),
        ),
        (json!("no_transport_available"), json!(larger), Value::Null, json!(6)),
        "{order}"
    );
    wait_for_stock(&ctx, &operator, &larger, 0).await;
    assert_eq!(stock(&ctx, &operator, &smaller).await, 0);
}

#[tokio::test]
async fn a_waiting_order_is_dispatched_when_a_matching_run_is_registered() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    let destination = unique_place("Cartagena");
    let warehouse = id(&create_warehouse(&ctx, &operator, &origin, 10).await);
    let another = id(&create_warehouse(&ctx, &operator, &unique_place("Tunja"), 10).await);
    // Runs that do not match: another cargo, another destination, another warehouse.
    let decoys = [
        run_body(&warehouse, "food", &destination, "2030-01-10T08:00:00Z"),
        run_body(&warehouse, "refrigerated", "Cali", "2030-01-10T08:00:00Z"),
        run_body(&another, "refrigerated", &destination, "2030-01-10T08:00:00Z"),
    ];
    let mut decoy_ids = Vec::new();
    for body in &decoys {
        decoy_ids.push(id(&register_run(&ctx, &operator, body).await));
    }
    let body = order_body(&origin, &destination, far_future(), 3, Some("refrigerated"));
    let order_id = id(&place_order(&ctx, &alice, &body).await);
    wait_for_types(&ctx, &alice, &order_id, &STORED).await;
    wait_for_stock(&ctx, &operator, &warehouse, 3).await;
    // It waits: nothing is appended while no run matches.
    assert_nothing_appended(&ctx, &alice, &order_id, 3, 2).await;
    assert_eq!(
        wait_for_status(&ctx, &alice, &order_id, "stored").await["warehouse_id"],
        json!(warehouse)
    );

    let run = id(&register_run(
        &ctx,
        &operator,
        &run_body(
            &warehouse,
            "refrigerated",
            &format!(" {} ", destination.to_uppercase()),
            "2030-01-10T08:00:00Z",
        ),
    )
    .await);
    let events = wait_for_types(&ctx, &alice, &order_id, &DISPATCHED).await;
    assert_eq!(events[3]["data"]["transport_id"], json!(run));
    assert_eq!(
        get_transport(&ctx, &operator, &run).await["order_ids"],
        json!([order_id])
    );
    for decoy in &decoy_ids {
        assert_eq!(get_transport(&ctx, &operator, decoy).await["order_ids"], json!([]));
    }
    wait_for_stock(&ctx, &operator, &warehouse, 0).await;
    wait_for_status(&ctx, &alice, &order_id, "dispatched").await;
}

#[tokio::test]
async fn the_expiry_schedule_compensates_a_waiting_order_once_its_departure_passed() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    let warehouse = id(&create_warehouse(&ctx, &operator, &origin, 10).await);
    // Far enough ahead that the saga surely sees it as waiting; near enough that firing the
    // schedule as of just after it touches no other test's waiting order (those leave in
    // far_future()).
    let now = chrono::Utc::now();
    let departure = now + chrono::Duration::seconds(60);
    let body = order_body(&origin, &unique_place("Leticia"), departure, 2, None);
    let order_id = id(&place_order(&ctx, &alice, &body).await);
    wait_for_types(&ctx, &alice, &order_id, &STORED).await;
    wait_for_stock(&ctx, &operator, &warehouse, 2).await;

    // As of before the departure, the schedule leaves the order waiting.
    fire_expiry(&ctx, now).await;
    assert_nothing_appended(&ctx, &alice, &order_id, 3, 1).await;

    // As of after it, the order is compensated.
    let after_departure = departure + chrono::Duration::seconds(1);
    fire_expiry(&ctx, after_departure).await;
    let events = wait_for_types(&ctx, &alice, &order_id, &NO_TRANSPORT).await;
    assert_eq!(
        events[5]["data"],
        json!({"reason": "no_transport_available", "note": null})
    );
    wait_for_stock(&ctx, &operator, &warehouse, 0).await;
    let order = wait_for_status(&ctx, &alice, &order_id, "cancelled").await;
    assert_eq!(order["cancel_reason"], json!("no_transport_available"));

    // Firing again changes nothing.
    fire_expiry(&ctx, after_departure).await;
    assert_nothing_appended(&ctx, &alice, &order_id, 6, 2).await;
    assert_eq!(history(&ctx, &alice, &order_id).await, events);
    assert_eq!(stock(&ctx, &operator, &warehouse).await, 0);
}

#[tokio::test]
async fn cancelling_a_stored_order_gives_its_units_back() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let (warehouse, order_id) = waiting_order(&ctx, &operator, &alice, 4).await;
    wait_for_stock(&ctx, &operator, &warehouse, 4).await;
    order_command(&ctx, &alice, &order_id, "cancel", None).await.expect(200);
    let events = wait_for_types(&ctx, &alice, &order_id, &STORED_THEN_CANCELLED).await;
    assert_eq!(events[3]["data"], json!({"warehouse_id": warehouse, "units": 4}));
    wait_for_stock(&ctx, &operator, &warehouse, 0).await;
}

#[tokio::test]
async fn a_cancel_racing_the_saga_leaves_one_consistent_history() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    let warehouse = id(&create_warehouse(&ctx, &operator, &origin, 10).await);
    let body = order_body(&origin, &unique_place("Leticia"), far_future(), 2, None);
    let order_id = id(&place_order(&ctx, &alice, &body).await);
    // At once: the saga may or may not have stored the order yet.
    let cancelled = order_command(&ctx, &alice, &order_id, "cancel", None).await.expect(200);
    let events = history(&ctx, &alice, &order_id).await;
    let seen = types(&events);
    assert!(
        seen == ["OrderReceived", "OrderCancelled"] || seen == STORED_THEN_CANCELLED,
        "{seen:?}"
    );
    assert_versions(&events);
    assert_eq!(cancelled["version"], json!(events.len()));
    assert_eq!(
        event_of(&events, "OrderCancelled")["data"]["reason"],
        json!("cancelled_by_client")
    );
    // The saga's late steps find the order cancelled and append nothing.
    assert_nothing_appended(&ctx, &alice, &order_id, events.len() as u64, 3).await;
    wait_for_stock(&ctx, &operator, &warehouse, 0).await;
}

#[tokio::test]
async fn orders_racing_for_the_last_units_never_overfill_a_warehouse() {
    const CAPACITY: u64 = 5;
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    let warehouse = id(&create_warehouse(&ctx, &operator, &origin, CAPACITY).await);
    // 19 units for 5 places; no run, a departure no test reaches: winners stay stored.
    let units: [usize; 10] = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1];
    let destination = unique_place("Leticia");
    let replies = all_at_once(units.len(), |i| {
        let (ctx, alice) = (ctx.clone(), alice.clone());
        let body = order_body(&origin, &destination, far_future(), units[i], None);
        async move { post_order(&ctx, &alice, &body, None).await }
    })
    .await;
    let placed: Vec<Value> = replies.iter().map(|r| r.expect(202)).collect();

    // Watch the stock while the saga settles every order: never above the capacity.
    let deadline = std::time::Instant::now() + SAGA_TIMEOUT;
    let settled: BTreeMap<String, Vec<Value>> = loop {
        stock(&ctx, &operator, &warehouse).await;
        let mut histories = BTreeMap::new();
        for order in &placed {
            let events = history(&ctx, &alice, &id(order)).await;
            let seen = types(&events);
            if seen == STORED || seen == NO_ROOM {
                histories.insert(id(order), events);
            }
        }
        if histories.len() == placed.len() {
            break histories;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {} orders settled within {SAGA_TIMEOUT:?}",
            histories.len(),
            placed.len()
        );
        tokio::time::sleep(andes_tests::support::POLL_INTERVAL).await;
    };

    let units_of = |order_id: &str| {
        placed
            .iter()
            .find(|o| id(o) == order_id)
            .and_then(|o| o["units"].as_u64())
            .expect("units")
    };
    let (mut stored_units, mut winners, mut losers) = (0, 0, Vec::new());
    for (order_id, events) in &settled {
        assert_versions(events);
        if types(events) == STORED {
            stored_units += units_of(order_id);
            winners += 1;
        } else {
            assert_eq!(
                events[2]["data"]["reason"],
                json!("no_warehouse_capacity"),
                "{order_id}"
            );
            losers.push(units_of(order_id));
        }
    }
    let final_stock = stock(&ctx, &operator, &warehouse).await;
    assert_eq!(final_stock, stored_units, "the stock is the units of the stored orders");
    assert!(final_stock <= CAPACITY);
    assert!(
        winners >= 1 && !losers.is_empty(),
        "{winners} stored, losers {losers:?}"
    );
    // Nothing leaves a stored order here, so room only shrank: every loser was too big for
    // what was left when the saga turned it away, hence for what is left now.
    for lost in &losers {
        assert!(
            *lost > CAPACITY - final_stock,
            "an order of {lost} units was refused with {} units free",
            CAPACITY - final_stock
        );
    }
}
