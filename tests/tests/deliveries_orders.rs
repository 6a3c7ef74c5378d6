//! Deliveries (seed 002): orders end to end — who may call, the order's shape and `Location`,
//! every validation problem at once, `Idempotency-Key` (replay, reuse, per caller, under a
//! race), the client's own lists, the versioned event feed and its long-poll, and the commands
//! (cancel, deliver, return) with their reasons, `expected_version` conflicts and state rules.
//!
//! Orders are kept in states nothing else moves them out of: an origin without a warehouse
//! (cancelled by the saga at once), a warehouse and a departure no test reaches with no matching
//! transport (stored, waiting), or a loaded run at the warehouse (dispatched).

mod deliveries_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use andes_tests::support::{all_at_once, json, unique_tag, Ctx, Value};
use deliveries_support::*;

const KEY_REUSED: &str = "Idempotency-Key was already used with a different request";
const ALREADY_DISPATCHED: &str = "Order has already been dispatched";
const NOT_DISPATCHED: &str = "Order is not dispatched";
const NOT_DEPARTED: &str = "Transport has not departed yet";

fn already(status: &str) -> String {
    format!("Order is already {status}")
}

/// The fields of a 422, as a set (the contract fixes which, not in what order).
fn field_set(reply: &andes_tests::support::Reply) -> BTreeSet<String> {
    fields(&reply.expect_problem(422, None)).into_iter().collect()
}

fn set(fields: &[&str]) -> BTreeSet<String> {
    fields.iter().map(|f| f.to_string()).collect()
}

/// The versions of a feed page's items.
fn versions(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a feed page without items: {page}"))
        .iter()
        .map(|e| e["version"].as_u64().expect("an event version"))
        .collect()
}

#[tokio::test]
async fn order_routes_need_a_token_and_deliver_and_return_need_staff() {
    let ctx = Ctx::new().await;
    let user = user(&ctx).await;
    let order_id = id(&place_order_nowhere(&ctx, &user).await);
    let body = order_body("Bogotá", "Cali", far_future(), 1, None);
    let empty = json!({});
    let routes = [
        ("POST", "/deliveries/orders".to_string(), Some(&body)),
        ("GET", "/deliveries/orders".to_string(), None),
        ("GET", format!("/deliveries/orders/{order_id}"), None),
        ("GET", format!("/deliveries/orders/{order_id}/events"), None),
        ("POST", format!("/deliveries/orders/{order_id}/cancel"), Some(&empty)),
        ("POST", format!("/deliveries/orders/{order_id}/deliver"), Some(&empty)),
        ("POST", format!("/deliveries/orders/{order_id}/return"), Some(&empty)),
    ];
    for (method, path, body) in &routes {
        ctx.call(method, path, None, *body)
            .await
            .expect_gateway(401, "Unauthorized");
        ctx.call(method, path, Some("not-a-token"), *body)
            .await
            .expect_gateway(403, "Forbidden");
    }
    // Deliver and return are staff commands, even on the caller's own order.
    for action in ["deliver", "return"] {
        order_command(&ctx, &user, &order_id, action, Some(&empty))
            .await
            .expect_gateway(403, "Forbidden");
    }
    // None of the refused cancels reached the order: only the saga cancelled it.
    let events = wait_for_types(&ctx, &user, &order_id, &NO_ROOM).await;
    assert_eq!(
        event_of(&events, "OrderCancelled")["data"]["reason"],
        json!("no_warehouse_capacity")
    );
}

#[tokio::test]
async fn a_client_places_an_order_and_reads_it_back() {
    let ctx = Ctx::new().await;
    let user = user(&ctx).await;
    let client_id = me_id(&ctx, &user).await;
    // No cargo_type: the default is goods. No warehouse at the origin: the saga cancels it.
    let body = order_body(&unique_place("Pasto"), "Cali", far_future(), 3, None);
    let reply = post_order(&ctx, &user, &body, None).await;
    let placed = reply.expect(202);
    let order_id = id(&placed);
    let uuid = uuid::Uuid::parse_str(&order_id).unwrap_or_else(|e| panic!("order id {order_id}: {e}"));
    assert_eq!(uuid.get_version_num(), 7, "order ids are UUIDv7: {order_id}");
    assert_eq!(
        reply.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/deliveries/orders/{order_id}").as_str()),
        "{:?}",
        reply.headers
    );
    let created_at = placed["created_at"].as_str().unwrap_or_default().to_string();
    assert!(
        created_at.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(&created_at).is_ok(),
        "{placed}"
    );
    assert_eq!(
        placed,
        json!({"id": order_id, "client_id": client_id, "status": "received", "cargo_type": "goods",
               "units": 3, "products": body["products"], "route": body["route"],
               "warehouse_id": null, "transport_id": null, "cancel_reason": null, "return_reason": null,
               "version": 1, "created_at": created_at, "updated_at": created_at})
    );

    // Every field is a fold of the events: created_at / updated_at are the first and last times.
    let events = wait_for_types(&ctx, &user, &order_id, &NO_ROOM).await;
    assert_eq!(events[0]["time"], json!(created_at));
    let read = wait_for_order(&ctx, &user, &order_id, "cancelled at version 3", |order| {
        order["version"] == json!(3)
    })
    .await;
    let mut expected = placed.clone();
    expected["status"] = json!("cancelled");
    expected["cancel_reason"] = json!("no_warehouse_capacity");
    expected["version"] = json!(3);
    expected["updated_at"] = events[2]["time"].clone();
    assert_eq!(read, expected);

    let mine = ctx
        .call("GET", "/deliveries/orders", user.bearer(), None)
        .await
        .expect(200);
    assert_eq!(mine, json!({"items": [expected], "next_cursor": null}));

    // A cargo type given is kept.
    let refrigerated = order_body(&unique_place("Pasto"), "Cali", far_future(), 1, Some("refrigerated"));
    let placed = place_order(&ctx, &user, &refrigerated).await;
    assert_eq!(
        (placed["cargo_type"].clone(), placed["units"].clone()),
        (json!("refrigerated"), json!(1))
    );
}

#[tokio::test]
async fn every_problem_of_an_order_is_reported_at_once() {
    let ctx = Ctx::new().await;
    let user = user(&ctx).await;
    let valid = || order_body("Bogotá", "Cali", far_future(), 1, Some("food"));
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = valid();
        change(&mut body);
        body
    };
    let departure = valid()["route"]["departure_date"].clone();
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        ("an empty body", json!({}), vec!["products", "route"]),
        ("no products", with(&|b| b["products"] = json!([])), vec!["products"]),
        ("51 products", with(&|b| b["products"] = products(51)), vec!["products"]),
        (
            "a bad code",
            with(&|b| b["products"][0]["code"] = json!("bad code!")),
            vec!["products[0].code"],
        ),
        (
            "no route",
            with(&|b| {
                b.as_object_mut().unwrap().remove("route");
            }),
            vec!["route"],
        ),
        (
            "the origin again, written otherwise",
            with(&|b| b["route"]["destination"] = json!("  BOGOTÁ ")),
            vec!["route.destination"],
        ),
        (
            "arrival at departure",
            with(&|b| b["route"]["arrival_date"] = departure.clone()),
            vec!["route.arrival_date"],
        ),
        (
            "arrival before departure",
            with(&|b| b["route"]["arrival_date"] = json!("2020-01-01T00:00:00Z")),
            vec!["route.arrival_date"],
        ),
        (
            "a seed cargo name",
            with(&|b| b["cargo_type"] = json!("Productos")),
            vec!["cargo_type"],
        ),
        (
            "four problems",
            with(&|b| {
                b["products"][0]["code"] = json!("P.1");
                b["route"]["destination"] = json!("bogotá");
                b["route"]["arrival_date"] = departure.clone();
                b["cargo_type"] = json!("frozen");
            }),
            vec![
                "products[0].code",
                "route.destination",
                "route.arrival_date",
                "cargo_type",
            ],
        ),
    ];
    for (what, body, expected) in &cases {
        let reply = post_order(&ctx, &user, body, None).await;
        assert_eq!(field_set(&reply), set(expected), "{what}: {}", reply.text);
    }
    // 51 products are one problem, on the list itself.
    assert_eq!(
        fields(
            &post_order(&ctx, &user, &cases[2].1, None)
                .await
                .expect_problem(422, None)
        ),
        ["products"]
    );

    let authorization = format!("Bearer {}", user.token);
    for raw in ["[1, 2]", "\"text\"", "{not json", ""] {
        let headers = [
            ("authorization", authorization.as_str()),
            ("content-type", "application/json"),
        ];
        ctx.call_raw("POST", "/deliveries/orders", &headers, raw.as_bytes().to_vec())
            .await
            .expect_problem(400, None);
    }

    for bad_key in ["k".repeat(256), "two words".to_string()] {
        let reply = post_order(&ctx, &user, &valid(), Some(&bad_key)).await;
        assert_eq!(field_set(&reply), set(&["Idempotency-Key"]), "key {bad_key:?}");
    }
    // A bad key is reported with the body's problems.
    let reply = post_order(&ctx, &user, &json!({}), Some(&"k".repeat(256))).await;
    assert_eq!(field_set(&reply), set(&["products", "route", "Idempotency-Key"]));

    // Nothing above was placed.
    let mine = ctx
        .call("GET", "/deliveries/orders", user.bearer(), None)
        .await
        .expect(200);
    assert_eq!(mine, json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn an_idempotency_key_replays_its_order_and_refuses_another_request() {
    let ctx = Ctx::new().await;
    let (alice, bob) = tokio::join!(user(&ctx), user(&ctx));
    let key = format!("order-{}", unique_tag());
    let body = order_body(&unique_place("Pasto"), "Cali", far_future(), 2, Some("food"));
    let first = post_order(&ctx, &alice, &body, Some(&key)).await;
    let placed = first.expect(202);
    let order_id = id(&placed);
    let settled = wait_for_types(&ctx, &alice, &order_id, &NO_ROOM).await;

    // The same request — also with a field the API ignores — answers the same order and
    // appends nothing.
    let mut same = body.clone();
    same["comment"] = json!("ignored by the API");
    for replay in [&body, &same] {
        let reply = post_order(&ctx, &alice, replay, Some(&key)).await;
        let again = reply.expect(202);
        assert_eq!(id(&again), order_id, "{again}");
        assert_eq!(again["client_id"], placed["client_id"]);
        assert_eq!(
            reply.headers.get("location").and_then(|v| v.to_str().ok()),
            Some(format!("/deliveries/orders/{order_id}").as_str())
        );
    }
    assert_eq!(history(&ctx, &alice, &order_id).await, settled);

    // Another request with that key is refused.
    let mut other = body.clone();
    other["products"] = products(3);
    let reply = post_order(&ctx, &alice, &other, Some(&key)).await;
    expect_field_message(&reply, "Idempotency-Key", KEY_REUSED);
    assert_eq!(fields(&reply.json()), ["Idempotency-Key"]);

    // Keys belong to their caller: Bob's request with Alice's key is a new order of his.
    let bobs = post_order(&ctx, &bob, &body, Some(&key)).await.expect(202);
    assert_ne!(id(&bobs), order_id);
    assert_ne!(bobs["client_id"], placed["client_id"]);

    wait_for_projection(&ctx, &alice, &order_id).await;
    let alices = ctx
        .call("GET", "/deliveries/orders", alice.bearer(), None)
        .await
        .expect(200);
    assert_eq!(ids(&alices), [order_id], "{alices}");
}

#[tokio::test]
async fn concurrent_requests_with_one_key_place_one_order() {
    let ctx = Ctx::new().await;
    let user = user(&ctx).await;
    let key = format!("race-{}", unique_tag());
    let body = order_body(&unique_place("Pasto"), "Cali", far_future(), 1, None);
    let replies = all_at_once(8, |_| {
        let (ctx, user, body, key) = (ctx.clone(), user.clone(), body.clone(), key.clone());
        async move { post_order(&ctx, &user, &body, Some(&key)).await }
    })
    .await;
    let counts = statuses(&replies);
    assert!(
        counts.keys().all(|status| [202, 409].contains(status)) && counts.contains_key(&202),
        "{replies:#?}"
    );
    let placed: BTreeSet<String> = replies
        .iter()
        .filter(|r| r.status == 202)
        .map(|r| id(&r.json()))
        .collect();
    assert_eq!(placed.len(), 1, "one order for one key: {placed:?}");
    let order_id = placed.into_iter().next().unwrap();
    for in_flight in replies.iter().filter(|r| r.status == 409) {
        in_flight.expect_problem(409, None);
    }

    // One stream with one OrderReceived, and one order in the caller's list.
    wait_for_types(&ctx, &user, &order_id, &NO_ROOM).await;
    wait_for_projection(&ctx, &user, &order_id).await;
    let mine = ctx
        .call("GET", "/deliveries/orders", user.bearer(), None)
        .await
        .expect(200);
    assert_eq!(ids(&mine), [order_id], "{mine}");
}

#[tokio::test]
async fn a_client_lists_only_its_own_orders_newest_first() {
    let ctx = Ctx::new().await;
    let (operator, alice, bob) = tokio::join!(operator(&ctx), user(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    create_warehouse(&ctx, &operator, &origin, 100).await;
    let waiting = || order_body(&origin, &unique_place("Leticia"), far_future(), 1, None);
    // Placed one after the other: ids (UUIDv7) and the lists follow this order.
    let first = id(&place_order(&ctx, &alice, &waiting()).await);
    let second = id(&place_order(&ctx, &alice, &waiting()).await);
    let third = id(&place_order_nowhere(&ctx, &alice).await);
    let bobs = id(&place_order_nowhere(&ctx, &bob).await);
    tokio::join!(
        wait_for_types(&ctx, &alice, &first, &STORED),
        wait_for_types(&ctx, &alice, &second, &STORED),
        wait_for_types(&ctx, &alice, &third, &NO_ROOM),
        wait_for_types(&ctx, &bob, &bobs, &NO_ROOM),
    );
    for (caller, order) in [(&alice, &first), (&alice, &second), (&alice, &third), (&bob, &bobs)] {
        wait_for_projection(&ctx, caller, order).await;
    }

    let pages = all_pages(&ctx, &alice, "/deliveries/orders?limit=2").await;
    assert_eq!(pages, [vec![third.clone(), second.clone()], vec![first.clone()]]);
    let listed = |caller: Caller, query: &'static str| {
        let ctx = ctx.clone();
        async move {
            let page = ctx
                .call("GET", &format!("/deliveries/orders?{query}"), caller.bearer(), None)
                .await
                .expect(200);
            ids(&page)
        }
    };
    assert_eq!(
        listed(alice.clone(), "status=stored").await,
        [second.clone(), first.clone()]
    );
    assert_eq!(listed(alice.clone(), "status=cancelled").await, [third.as_str()]);
    for status in ["received", "dispatched", "delivered", "returned"] {
        let page = ctx
            .call(
                "GET",
                &format!("/deliveries/orders?status={status}"),
                alice.bearer(),
                None,
            )
            .await
            .expect(200);
        assert_eq!(page, json!({"items": [], "next_cursor": null}), "status={status}");
    }
    assert_eq!(listed(bob.clone(), "limit=100").await, [bobs.as_str()]);

    // Another client's order is as unknown as an id nobody used.
    let unknown = get_order(&ctx, &bob, &unknown_id()).await.expect_problem(404, None);
    let foreign = get_order(&ctx, &bob, &first).await.expect_problem(404, None);
    assert_eq!(foreign, unknown);
    order_events(&ctx, &bob, &first, "").await.expect_problem(404, None);
    for malformed in ["not-a-uuid", "ORDER"] {
        get_order(&ctx, &alice, malformed).await.expect_problem(404, None);
        order_events(&ctx, &alice, malformed, "")
            .await
            .expect_problem(404, None);
    }

    // Staff see every order.
    let as_alice = get_order(&ctx, &alice, &first).await.expect(200);
    assert_eq!(get_order(&ctx, &operator, &first).await.expect(200), as_alice);
    let everyone = listed(operator.clone(), "limit=100").await;
    assert!(
        [&first, &second, &third, &bobs].iter().all(|o| everyone.contains(o)),
        "{everyone:?}"
    );
    let stored = listed(operator.clone(), "status=stored&limit=100").await;
    assert!(stored.contains(&first) && !stored.contains(&third), "{stored:?}");

    for bad in ["status=Stored", "status=recibida"] {
        ctx.call("GET", &format!("/deliveries/orders?{bad}"), alice.bearer(), None)
            .await
            .expect_invalid_field("status");
    }
    for limit in ["0", "101", "ten"] {
        ctx.call(
            "GET",
            &format!("/deliveries/orders?limit={limit}"),
            alice.bearer(),
            None,
        )
        .await
        .expect_invalid_field("limit");
    }
    for forged in FORGED_CURSORS {
        let reply = ctx
            .call(
                "GET",
                &with_cursor("/deliveries/orders?limit=2", forged),
                alice.bearer(),
                None,
            )
            .await;
        assert!(
            (400..500).contains(&reply.status) && reply.status != 404,
            "a forged cursor {forged:?} must be refused: {} {}",
            reply.status,
            reply.text
        );
    }
}

#[tokio::test]
async fn the_event_feed_is_versioned_and_paged() {
    let ctx = Ctx::new().await;
    let (operator, alice, bob) = tokio::join!(operator(&ctx), user(&ctx), user(&ctx));
    let (warehouse, order_id) = waiting_order(&ctx, &operator, &alice, 2).await;
    order_command(
        &ctx,
        &alice,
        &order_id,
        "cancel",
        Some(&json!({"reason": "Changed my mind"})),
    )
    .await
    .expect(200);
    let events = wait_for_types(&ctx, &alice, &order_id, &STORED_THEN_CANCELLED).await;

    let envelope: BTreeSet<String> = set(&[
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "version",
        "data",
    ]);
    let mut event_ids = BTreeSet::new();
    for event in &events {
        let keys: BTreeSet<String> = event.as_object().expect("an event object").keys().cloned().collect();
        assert_eq!(keys, envelope, "{event}");
        assert_eq!(event["specversion"], json!("1.0"), "{event}");
        assert_eq!(event["source"], json!("/deliveries/orders"), "{event}");
        assert_eq!(event["subject"], json!(order_id), "{event}");
        assert_eq!(event["datacontenttype"], json!("application/json"), "{event}");
        assert!(event["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{event}");
        assert!(event["data"].is_object(), "{event}");
        let event_id = event["id"].as_str().expect("an event id");
        assert!(uuid::Uuid::parse_str(event_id).is_ok(), "{event}");
        event_ids.insert(event_id.to_string());
    }
    assert_eq!(event_ids.len(), events.len(), "event ids are unique");
    assert_eq!(events[1]["data"], json!({"warehouse_id": warehouse, "units": 2}));
    assert_eq!(events[2]["data"], json!({"warehouse_id": warehouse}));
    assert_eq!(events[3]["data"], json!({"warehouse_id": warehouse, "units": 2}));
    assert_eq!(
        events[4]["data"],
        json!({"reason": "cancelled_by_client", "note": "Changed my mind"})
    );

    let feed = |query: &str| {
        let (ctx, alice, order_id, query) = (ctx.clone(), alice.clone(), order_id.clone(), query.to_string());
        async move { order_events(&ctx, &alice, &order_id, &query).await.expect(200) }
    };
    let whole = feed("").await;
    assert_eq!(
        whole,
        json!({"items": events, "next_cursor": null, "stream_version": 5})
    );
    assert_eq!(versions(&feed("after=2").await), [3, 4, 5]);
    for past_the_end in ["after=5", "after=9"] {
        assert_eq!(
            feed(past_the_end).await,
            json!({"items": [], "next_cursor": null, "stream_version": 5})
        );
    }

    // Pages of two, by cursor.
    let mut pages = Vec::new();
    let mut query = "limit=2".to_string();
    loop {
        let page = feed(&query).await;
        assert_eq!(page["stream_version"], json!(5), "{page}");
        pages.push(versions(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={}", andes_tests::support::query_escape(cursor)),
            None => break,
        }
        assert!(pages.len() < 10, "the feed never ends: {pages:?}");
    }
    assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5]]);
    // `after` and `limit` together, then the cursor of that page.
    let page = feed("after=1&limit=2").await;
    assert_eq!(versions(&page), [2, 3]);
    let cursor = page["next_cursor"].as_str().expect("more events after version 3");
    let rest = feed(&format!(
        "after=1&limit=2&cursor={}",
        andes_tests::support::query_escape(cursor)
    ))
    .await;
    assert_eq!(versions(&rest), [4, 5]);

    for (query, field) in [
        ("after=-1", "after"),
        ("after=x", "after"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("wait=21", "wait"),
        ("wait=-1", "wait"),
        ("wait=soon", "wait"),
    ] {
        order_events(&ctx, &alice, &order_id, query)
            .await
            .expect_invalid_field(field);
    }
    let all_bad = order_events(&ctx, &alice, &order_id, "after=x&limit=0&wait=21").await;
    assert_eq!(field_set(&all_bad), set(&["after", "limit", "wait"]));
    for forged in FORGED_CURSORS {
        let reply = order_events(
            &ctx,
            &alice,
            &order_id,
            &format!("cursor={}", andes_tests::support::query_escape(forged)),
        )
        .await;
        assert!(
            (400..500).contains(&reply.status) && reply.status != 404,
            "a forged cursor {forged:?} must be refused: {} {}",
            reply.status,
            reply.text
        );
    }

    // The owner and staff read the feed; another client does not see the order.
    assert_eq!(order_events(&ctx, &operator, &order_id, "").await.expect(200), whole);
    order_events(&ctx, &bob, &order_id, "").await.expect_problem(404, None);
    order_events(&ctx, &alice, &unknown_id(), "")
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn the_feed_holds_a_request_until_the_next_event() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let (_, order_id) = waiting_order(&ctx, &operator, &alice, 1).await;

    let started = Instant::now();
    let held = tokio::spawn({
        let (ctx, alice, order_id) = (ctx.clone(), alice.clone(), order_id.clone());
        async move {
            let page = order_events(&ctx, &alice, &order_id, "after=3&wait=10")
                .await
                .expect(200);
            (page, Instant::now())
        }
    });
    // Give the feed request time to reach the handler and be held there.
    tokio::time::sleep(Duration::from_secs(1)).await;
    order_command(&ctx, &alice, &order_id, "cancel", None).await.expect(200);
    let cancelled = Instant::now();
    let (page, answered) = held.await.expect("the feed request");
    assert_eq!(
        types(page["items"].as_array().unwrap()),
        ["StockReleased", "OrderCancelled"]
    );
    assert_eq!(page["stream_version"], json!(5), "{page}");
    assert!(
        answered.duration_since(started) < Duration::from_secs(6),
        "the held request answered {:?} after it was sent, not soon after the cancel",
        answered.duration_since(started)
    );
    assert!(
        answered.saturating_duration_since(cancelled) < Duration::from_secs(3),
        "the held request answered {:?} after the cancel",
        answered.saturating_duration_since(cancelled)
    );

    // Nothing new: held for `wait` seconds, then an empty page.
    let started = Instant::now();
    let page = order_events(&ctx, &alice, &order_id, "after=5&wait=1")
        .await
        .expect(200);
    let held_for = started.elapsed();
    assert_eq!(page, json!({"items": [], "next_cursor": null, "stream_version": 5}));
    assert!(
        held_for >= Duration::from_millis(900) && held_for < Duration::from_secs(5),
        "wait=1 held the request {held_for:?}"
    );
}

#[tokio::test]
async fn owners_and_staff_cancel_with_their_reasons() {
    let ctx = Ctx::new().await;
    let (operator, alice, bob) = tokio::join!(operator(&ctx), user(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    let warehouse = id(&create_warehouse(&ctx, &operator, &origin, 10).await);
    let waiting = |units| order_body(&origin, &unique_place("Leticia"), far_future(), units, None);
    let alices = id(&place_order(&ctx, &alice, &waiting(2)).await);
    let other = id(&place_order(&ctx, &alice, &waiting(3)).await);
    // An operator's own order: cancelling it is a client's cancel, whatever its roles.
    let operators = id(&place_order(&ctx, &operator, &waiting(1)).await);
    tokio::join!(
        wait_for_types(&ctx, &alice, &alices, &STORED),
        wait_for_types(&ctx, &alice, &other, &STORED),
        wait_for_types(&ctx, &operator, &operators, &STORED),
    );
    wait_for_stock(&ctx, &operator, &warehouse, 6).await;

    // Body problems come first, then the order's existence and ownership.
    let bad = order_command(
        &ctx,
        &alice,
        &alices,
        "cancel",
        Some(&json!({"reason": "r".repeat(201), "expected_version": 0})),
    )
    .await;
    assert_eq!(field_set(&bad), set(&["reason", "expected_version"]));
    for expected_version in [json!("3"), json!(1.5), json!(-2)] {
        let body = json!({ "expected_version": expected_version });
        order_command(&ctx, &alice, &alices, "cancel", Some(&body))
            .await
            .expect_invalid_field("expected_version");
    }
    let authorization = format!("Bearer {}", alice.token);
    ctx.call_raw(
        "POST",
        &format!("/deliveries/orders/{alices}/cancel"),
        &[
            ("authorization", authorization.as_str()),
            ("content-type", "application/json"),
        ],
        b"[1]".to_vec(),
    )
    .await
    .expect_problem(400, None);
    order_command(&ctx, &bob, &alices, "cancel", Some(&json!({})))
        .await
        .expect_problem(404, None);
    order_command(&ctx, &alice, &unknown_id(), "cancel", None)
        .await
        .expect_problem(404, None);

    // The owner cancels, with a note: the stored units go back to the warehouse.
    let cancelled = order_command(
        &ctx,
        &alice,
        &alices,
        "cancel",
        Some(&json!({"reason": "Changed my mind"})),
    )
    .await
    .expect(200);
    assert_eq!(
        (
            cancelled["status"].clone(),
            cancelled["cancel_reason"].clone(),
            cancelled["version"].clone(),
            cancelled["warehouse_id"].clone(),
        ),
        (
            json!("cancelled"),
            json!("cancelled_by_client"),
            json!(5),
            json!(warehouse)
        ),
        "{cancelled}"
    );
    let events = wait_for_types(&ctx, &alice, &alices, &STORED_THEN_CANCELLED).await;
    assert_eq!(
        events[4]["data"],
        json!({"reason": "cancelled_by_client", "note": "Changed my mind"})
    );
    assert_eq!(events[3]["data"], json!({"warehouse_id": warehouse, "units": 2}));
    wait_for_stock(&ctx, &operator, &warehouse, 4).await;
    expect_conflict(
        &order_command(&ctx, &alice, &alices, "cancel", None).await,
        &already("cancelled"),
    );
    // The projection catches up with the command's answer.
    assert_eq!(wait_for_projection(&ctx, &alice, &alices).await, cancelled);

    // Staff cancel someone else's order: an operator's cancel, no note.
    let by_staff = order_command(&ctx, &operator, &other, "cancel", Some(&json!({})))
        .await
        .expect(200);
    assert_eq!(by_staff["cancel_reason"], json!("cancelled_by_operator"), "{by_staff}");
    let events = wait_for_types(&ctx, &alice, &other, &STORED_THEN_CANCELLED).await;
    assert_eq!(
        events[4]["data"],
        json!({"reason": "cancelled_by_operator", "note": null})
    );

    let own = order_command(&ctx, &operator, &operators, "cancel", None)
        .await
        .expect(200);
    assert_eq!(own["cancel_reason"], json!("cancelled_by_client"), "{own}");
    wait_for_stock(&ctx, &operator, &warehouse, 0).await;
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_racing_cancels_have_one_winner() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let origin = unique_place("Tunja");
    create_warehouse(&ctx, &operator, &origin, 10).await;
    let waiting = || order_body(&origin, &unique_place("Leticia"), far_future(), 1, None);
    let versioned = id(&place_order(&ctx, &alice, &waiting()).await);
    let unversioned = id(&place_order(&ctx, &alice, &waiting()).await);
    tokio::join!(
        wait_for_types(&ctx, &alice, &versioned, &STORED),
        wait_for_types(&ctx, &alice, &unversioned, &STORED),
    );

    // Validation, then existence, then the version, then the state rules.
    order_command(
        &ctx,
        &alice,
        &unknown_id(),
        "cancel",
        Some(&json!({"expected_version": 0})),
    )
    .await
    .expect_invalid_field("expected_version");
    order_command(
        &ctx,
        &alice,
        &unknown_id(),
        "cancel",
        Some(&json!({"expected_version": 1})),
    )
    .await
    .expect_problem(404, None);
    expect_version_conflict(
        &order_command(
            &ctx,
            &alice,
            &versioned,
            "cancel",
            Some(&json!({"expected_version": 2})),
        )
        .await,
        2,
        3,
    );
    // A stale version is reported before the order's state forbids the command.
    expect_version_conflict(
        &order_command(
            &ctx,
            &operator,
            &versioned,
            "deliver",
            Some(&json!({"expected_version": 7})),
        )
        .await,
        7,
        3,
    );

    // Eight cancels expecting version 3: one appends, the others find version 5.
    let replies = all_at_once(8, |_| {
        let (ctx, alice, order) = (ctx.clone(), alice.clone(), versioned.clone());
        async move { order_command(&ctx, &alice, &order, "cancel", Some(&json!({"expected_version": 3}))).await }
    })
    .await;
    assert_eq!(
        statuses(&replies),
        [(200, 1), (409, 7)].into_iter().collect(),
        "{replies:#?}"
    );
    for loser in replies.iter().filter(|r| r.status == 409) {
        expect_version_conflict(loser, 3, 5);
    }
    let winner = replies.iter().find(|r| r.status == 200).unwrap().json();
    assert_eq!(
        (winner["status"].clone(), winner["version"].clone()),
        (json!("cancelled"), json!(5))
    );
    let events = wait_for_types(&ctx, &alice, &versioned, &STORED_THEN_CANCELLED).await;
    assert_eq!(types(&events).iter().filter(|t| *t == "OrderCancelled").count(), 1);
    expect_version_conflict(
        &order_command(
            &ctx,
            &alice,
            &versioned,
            "cancel",
            Some(&json!({"expected_version": 2})),
        )
        .await,
        2,
        5,
    );
    expect_conflict(
        &order_command(
            &ctx,
            &alice,
            &versioned,
            "cancel",
            Some(&json!({"expected_version": 5})),
        )
        .await,
        &already("cancelled"),
    );

    // Without a version the handler re-decides on a lost race: one 200, the rest by the rules.
    let replies = all_at_once(8, |_| {
        let (ctx, alice, order) = (ctx.clone(), alice.clone(), unversioned.clone());
        async move { order_command(&ctx, &alice, &order, "cancel", None).await }
    })
    .await;
    assert_eq!(
        statuses(&replies),
        [(200, 1), (409, 7)].into_iter().collect(),
        "{replies:#?}"
    );
    for loser in replies.iter().filter(|r| r.status == 409) {
        expect_conflict(loser, &already("cancelled"));
    }
    wait_for_types(&ctx, &alice, &unversioned, &STORED_THEN_CANCELLED).await;
}

#[tokio::test]
async fn dispatched_orders_are_delivered_or_returned_once_their_transport_departed() {
    let ctx = Ctx::new().await;
    let (operator, admin, alice) = tokio::join!(operator(&ctx), admin(&ctx), user(&ctx));
    let origin = unique_place("Bogotá");
    let warehouse = id(&create_warehouse(&ctx, &operator, &origin, 100).await);
    let transport = id(&create_transport(&ctx, &operator, &unique_plate(), &warehouse).await);
    let (delivered, returned, late) = tokio::join!(
        dispatched_from(&ctx, &alice, &origin, 1),
        dispatched_from(&ctx, &alice, &origin, 2),
        dispatched_from(&ctx, &alice, &origin, 1),
    );
    // Goods, and the run carries food: this one waits in the warehouse.
    let stored = id(&place_order(
        &ctx,
        &alice,
        &order_body(&origin, TRANSPORT_DESTINATION, far_future(), 1, Some("goods")),
    )
    .await);
    wait_for_types(&ctx, &alice, &stored, &STORED).await;

    let none = json!({});
    for action in ["deliver", "return"] {
        expect_conflict(
            &order_command(&ctx, &operator, &stored, action, Some(&none)).await,
            NOT_DISPATCHED,
        );
        expect_conflict(
            &order_command(&ctx, &operator, &delivered, action, Some(&none)).await,
            NOT_DEPARTED,
        );
    }
    expect_conflict(
        &order_command(&ctx, &alice, &delivered, "cancel", None).await,
        ALREADY_DISPATCHED,
    );
    order_command(
        &ctx,
        &operator,
        &returned,
        "return",
        Some(&json!({"reason": "r".repeat(201)})),
    )
    .await
    .expect_invalid_field("reason");

    move_transport(&ctx, &operator, &transport, "depart").await.expect(200);
    let answer = order_command(
        &ctx,
        &operator,
        &delivered,
        "deliver",
        Some(&json!({"expected_version": 6})),
    )
    .await
    .expect(200);
    assert_eq!(
        (
            answer["status"].clone(),
            answer["version"].clone(),
            answer["transport_id"].clone(),
            answer["warehouse_id"].clone(),
        ),
        (json!("delivered"), json!(7), json!(transport), json!(warehouse)),
        "{answer}"
    );
    let events = history(&ctx, &alice, &delivered).await;
    assert_eq!(types(&events).last().map(String::as_str), Some("OrderDelivered"));
    assert_eq!(events[6]["data"], json!({"transport_id": transport}));
    assert_eq!(wait_for_projection(&ctx, &alice, &delivered).await, answer);
    for (caller, action) in [(&operator, "deliver"), (&operator, "return"), (&alice, "cancel")] {
        expect_conflict(
            &order_command(&ctx, caller, &delivered, action, None).await,
            &already("delivered"),
        );
    }

    let answer = order_command(
        &ctx,
        &admin,
        &returned,
        "return",
        Some(&json!({"reason": "Damaged box"})),
    )
    .await
    .expect(200);
    assert_eq!(
        (
            answer["status"].clone(),
            answer["return_reason"].clone(),
            answer["version"].clone()
        ),
        (json!("returned"), json!("Damaged box"), json!(7)),
        "{answer}"
    );
    let events = history(&ctx, &alice, &returned).await;
    assert_eq!(
        events.last().map(|e| (e["type"].clone(), e["data"].clone())),
        Some((
            json!("OrderReturned"),
            json!({"transport_id": transport, "reason": "Damaged box"})
        ))
    );
    expect_conflict(
        &order_command(&ctx, &admin, &returned, "return", None).await,
        &already("returned"),
    );

    // Once the run is over (dispatched), its orders may still be returned; no reason is null.
    move_transport(&ctx, &operator, &transport, "arrive").await.expect(200);
    let answer = order_command(&ctx, &operator, &late, "return", None).await.expect(200);
    assert_eq!(
        (answer["status"].clone(), answer["return_reason"].clone()),
        (json!("returned"), Value::Null),
        "{answer}"
    );
    let events = history(&ctx, &alice, &late).await;
    assert_eq!(
        events.last().map(|e| e["data"].clone()),
        Some(json!({"transport_id": transport, "reason": null}))
    );
}
