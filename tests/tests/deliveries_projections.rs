//! Deliveries (seed 002): what is built from the event stream — the daily stats (§8), the
//! status notifications in identity's outbox (§9), and `deliveries-admin rebuild-projections
//! --dry-run` agreeing with the live read models (§10).
//!
//! Other suites place orders at the same time, so global counters are compared with `≥`, and
//! the rebuild's report is read only for this test's own orders and warehouses.

mod deliveries_support;

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use andes_tests::support::{json, unique_tag, Ctx, Value, DELIVERY_TIMEOUT, POLL_INTERVAL};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Days, NaiveDate, Utc};
use deliveries_support::*;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn date_of(event: &Value) -> String {
    event["time"].as_str().expect("an event time")[..10].to_string()
}

#[tokio::test]
async fn daily_stats_are_for_operators_and_admins() {
    let ctx = Ctx::new().await;
    let (user, operator, admin) = tokio::join!(user(&ctx), operator(&ctx), admin(&ctx));
    ctx.call("GET", "/deliveries/stats/daily", None, None)
        .await
        .expect_gateway(401, "Unauthorized");
    for token in [user.token.as_str(), "not-a-token"] {
        ctx.call("GET", "/deliveries/stats/daily", Some(token), None)
            .await
            .expect_gateway(403, "Forbidden");
    }
    for staff in [&operator, &admin] {
        daily_stats(&ctx, staff, "").await.expect(200);
    }
}

#[tokio::test]
async fn daily_stats_default_to_the_last_seven_days() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    let before = today();
    let page = daily_stats(&ctx, &operator, "").await.expect(200);
    let after = today();
    assert_eq!(page["next_cursor"], Value::Null, "{page}");
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 7, "{page}");
    let dates: Vec<String> = items
        .iter()
        .map(|item| item["date"].as_str().expect("a date").to_string())
        .collect();
    // Ending today (UTC; either side of a midnight the request may have crossed), ascending.
    let ending = |to: NaiveDate| -> Vec<String> {
        (0..7u64)
            .rev()
            .map(|back| (to - Days::new(back)).format("%Y-%m-%d").to_string())
            .collect()
    };
    assert!(dates == ending(before) || dates == ending(after), "{dates:?}");
    items.iter().for_each(assert_counts_shape);

    // Future dates are allowed, and counted zero.
    let future = daily_stats(&ctx, &operator, "from=2099-01-01&to=2099-01-03")
        .await
        .expect(200);
    let zero: serde_json::Map<String, Value> = EVENT_TYPES.iter().map(|t| (t.to_string(), json!(0))).collect();
    let expected: Vec<Value> = ["2099-01-01", "2099-01-02", "2099-01-03"]
        .iter()
        .map(|date| json!({"date": date, "counts": zero, "total": 0}))
        .collect();
    assert_eq!(future, json!({"items": expected, "next_cursor": null}));

    // At most 100 dates.
    let page = daily_stats(&ctx, &operator, "from=2099-01-01&to=2099-04-10")
        .await
        .expect(200);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 100);
    assert_eq!(
        (items[0]["date"].clone(), items[99]["date"].clone()),
        (json!("2099-01-01"), json!("2099-04-10"))
    );
}

#[tokio::test]
async fn every_bad_stats_range_names_its_parameter() {
    let ctx = Ctx::new().await;
    let operator = operator(&ctx).await;
    for (query, field) in [
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("from=2099-01-01&to=2099-04-11", "to"),
        ("from=2026-02-30", "from"),
        ("from=2026-1-5&to=2026-01-09", "from"),
        ("to=yesterday", "to"),
        ("from=03/01/2026&to=2026-03-05", "from"),
        ("from=2026-03-01T00:00:00Z&to=2026-03-05", "from"),
    ] {
        daily_stats(&ctx, &operator, query).await.expect_invalid_field(field);
    }
    // `from` alone, long ago: with the default `to` (today) that is more than 100 dates.
    daily_stats(&ctx, &operator, "from=2000-01-01")
        .await
        .expect_invalid_field("to");
    // A `from` after the default `to` (today).
    let tomorrow = (today() + Days::new(2)).format("%Y-%m-%d").to_string();
    daily_stats(&ctx, &operator, &format!("from={tomorrow}"))
        .await
        .expect_invalid_field("from");
}

#[tokio::test]
async fn the_events_of_an_order_are_counted_on_their_dates() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let day = today().format("%Y-%m-%d").to_string();
    let before = counts_on(&ctx, &operator, &day).await;
    let (_, _, order_id) = dispatched_order(&ctx, &operator, &alice, 2).await;
    let events = history(&ctx, &alice, &order_id).await;

    // This order's events on each date (a run may cross midnight UTC).
    let mut mine: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>> = Default::default();
    for event in &events {
        let kind = event["type"].as_str().expect("a type").to_string();
        *mine.entry(date_of(event)).or_default().entry(kind).or_default() += 1;
    }
    // The projector counts them within seconds; other orders only add to the counts.
    let deadline = Instant::now() + SAGA_TIMEOUT;
    for (date, kinds) in &mine {
        loop {
            let now = counts_on(&ctx, &operator, date).await;
            let floor = |kind: &str| {
                let earlier = if *date == day {
                    before[kind].as_u64().unwrap_or(0)
                } else {
                    0
                };
                earlier + kinds.get(kind).copied().unwrap_or(0)
            };
            let short: Vec<&str> = EVENT_TYPES
                .iter()
                .copied()
                .filter(|kind| now[*kind].as_u64().unwrap_or(0) < floor(kind))
                .collect();
            if short.is_empty() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{date}: counts of {short:?} did not grow by this order's events {kinds:?}: before {before}, now {now}"
            );
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
    // The order placed today counts one more OrderReceived today.
    let received_on = date_of(&events[0]);
    let now = counts_on(&ctx, &operator, &received_on).await;
    let earlier = if received_on == day {
        before["OrderReceived"].as_u64().unwrap()
    } else {
        0
    };
    assert!(now["OrderReceived"].as_u64().unwrap() > earlier, "{now}");
}

#[tokio::test]
async fn each_status_change_of_an_order_is_notified_once_to_its_client() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    let (_, _, order_id) = dispatched_order(&ctx, &operator, &alice, 1).await;
    let events = history(&ctx, &alice, &order_id).await;

    for event in &events {
        let kind = event["type"].as_str().unwrap();
        let status = match kind {
            "OrderReceived" => "received",
            "OrderStored" => "stored",
            "OrderDispatched" => "dispatched",
            _ => continue,
        };
        let event_id = event["id"].as_str().unwrap();
        let deadline = Instant::now() + DELIVERY_TIMEOUT;
        let objects = loop {
            let objects = outbox_objects_of_event(&ctx, event_id).await;
            if !objects.is_empty() {
                break objects;
            }
            assert!(
                Instant::now() < deadline,
                "no outbox object for {kind} {event_id} of order {order_id} within {DELIVERY_TIMEOUT:?}"
            );
            tokio::time::sleep(POLL_INTERVAL).await;
        };
        assert_eq!(objects.len(), 1, "one object per event: {objects:?}");
        let (key, message) = &objects[0];
        assert!(
            has_member(message, "order_id", &json!(order_id)),
            "{key}: no order_id {order_id}: {message}"
        );
        assert!(
            has_member(message, "status", &json!(status)),
            "{key}: no status {status}: {message}"
        );
        assert!(
            message["to"]["email"]
                .as_str()
                .is_some_and(|to| to.eq_ignore_ascii_case(&alice.email)),
            "{key}: not addressed to the order's client {}: {message}",
            alice.email
        );
    }
    // Events that leave the status as it is send nothing.
    for event in &events {
        let kind = event["type"].as_str().unwrap();
        if ["StockReserved", "TransportAssigned", "StockReleased"].contains(&kind) {
            let objects = outbox_objects_of_event(&ctx, event["id"].as_str().unwrap()).await;
            assert!(objects.is_empty(), "{kind} was notified: {objects:?}");
        }
    }
}

#[tokio::test]
async fn a_dry_run_rebuild_replays_the_same_views_and_writes_nothing() {
    let ctx = Ctx::new().await;
    let (operator, alice) = tokio::join!(operator(&ctx), user(&ctx));
    // One order of each kind of history: dispatched then delivered, cancelled by the saga, and
    // stored then cancelled by its client.
    let (warehouse, transport, delivered) = dispatched_order(&ctx, &operator, &alice, 2).await;
    let (other_warehouse, cancelled) = waiting_order(&ctx, &operator, &alice, 3).await;
    let nowhere = id(&place_order_nowhere(&ctx, &alice).await);
    move_transport(&ctx, &operator, &transport, "depart").await.expect(200);
    order_command(&ctx, &operator, &delivered, "deliver", None)
        .await
        .expect(200);
    order_command(&ctx, &alice, &cancelled, "cancel", None)
        .await
        .expect(200);
    wait_for_types(&ctx, &alice, &nowhere, &NO_ROOM).await;
    let orders = [delivered.clone(), cancelled.clone(), nowhere.clone()];
    let mut views = Vec::new();
    for order_id in &orders {
        views.push(wait_for_projection(&ctx, &alice, order_id).await);
    }
    wait_for_stock(&ctx, &operator, &warehouse, 0).await;
    wait_for_stock(&ctx, &operator, &other_warehouse, 0).await;
    let my_events: usize = {
        let mut count = 0;
        for order_id in &orders {
            count += history(&ctx, &alice, order_id).await.len();
        }
        count
    };

    let (success, stdout, stderr) = ctx
        .run_admin("deliveries-admin", &["rebuild-projections", "--dry-run"])
        .await;
    let last = stdout
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_else(|| panic!("rebuild printed nothing.\nstderr: {stderr}"));
    let report: Value = serde_json::from_str(last)
        .unwrap_or_else(|error| panic!("the last stdout line is not JSON ({error}): {last}\nstderr: {stderr}"));
    let keys: BTreeSet<&str> = report
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["days", "differences", "events", "orders", "warehouses", "written"]
            .into_iter()
            .collect(),
        "{report}"
    );
    assert_eq!(report["written"], json!(false), "{report}");
    let count = |name: &str| {
        report[name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} is not a count: {report}"))
    };
    assert!(count("events") >= my_events as u64, "{report}");
    assert!(count("orders") >= orders.len() as u64, "{report}");
    assert!(count("warehouses") >= 2 && count("days") >= 1, "{report}");
    let differences = report["differences"].as_array().expect("differences");
    for difference in differences {
        assert!(
            ["order", "daily", "warehouse"].contains(&difference["kind"].as_str().unwrap_or_default())
                && difference["key"].is_string(),
            "{difference}"
        );
    }
    // The dry run exits 0 exactly when it found no difference (other suites may be mid-flight).
    assert_eq!(
        success,
        differences.is_empty(),
        "exit status vs {report}\nstderr: {stderr}"
    );
    let mine: Vec<&Value> = differences
        .iter()
        .filter(|d| {
            let key = d["key"].as_str().unwrap_or_default();
            orders.iter().any(|o| key.contains(o.as_str()))
                || [&warehouse, &other_warehouse].iter().any(|w| key.contains(w.as_str()))
        })
        .collect();
    assert!(mine.is_empty(), "the replay differs from the live views: {mine:#?}");

    // It wrote nothing: every view answers as before.
    for (order_id, view) in orders.iter().zip(&views) {
        assert_eq!(&get_order(&ctx, &alice, order_id).await.expect(200), view);
    }
}

/// `value` (JSON) as a DynamoDB attribute, in the AWS SDK's type and as DynamoDB JSON (the shape
/// of a stream record's `NewImage`).
fn attribute(value: &Value) -> (AttributeValue, Value) {
    match value {
        Value::Null => (AttributeValue::Null(true), json!({"NULL": true})),
        Value::Bool(b) => (AttributeValue::Bool(*b), json!({"BOOL": b})),
        Value::Number(n) => (AttributeValue::N(n.to_string()), json!({"N": n.to_string()})),
        Value::String(s) => (AttributeValue::S(s.clone()), json!({"S": s})),
        Value::Array(items) => {
            let (sdk, json): (Vec<_>, Vec<_>) = items.iter().map(attribute).unzip();
            (AttributeValue::L(sdk), json!({ "L": json }))
        }
        Value::Object(map) => {
            let (sdk, json) = item(map);
            (AttributeValue::M(sdk), json!({ "M": json }))
        }
    }
}

fn item(map: &serde_json::Map<String, Value>) -> (HashMap<String, AttributeValue>, Value) {
    let mut sdk = HashMap::new();
    let mut json = serde_json::Map::new();
    for (name, value) in map {
        let (a, j) = attribute(value);
        sdk.insert(name.clone(), a);
        json.insert(name.clone(), j);
    }
    (sdk, Value::Object(json))
}

/// A stream batch of INSERT records of these event items, as Lambda hands it to the projector.
fn stream_batch(images: &[Value], sequence_from: u64) -> Value {
    let records: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            json!({
                "eventID": format!("replayed-{i}"), "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/replayed/stream/local",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_796_342_400,
                    "Keys": {"pk": image["pk"], "sk": image["sk"]},
                    "NewImage": image,
                    "SequenceNumber": format!("{}", sequence_from + i as u64),
                    "SizeBytes": 100, "StreamViewType": "NEW_IMAGE"
                }
            })
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test]
async fn a_stream_batch_delivered_twice_changes_no_view_and_no_counter() {
    let ctx = Ctx::new().await;
    let (client, staff) = tokio::join!(user(&ctx), admin(&ctx));
    let client_id = me_id(&ctx, &client).await;
    // Daily counters are global: this order's events fall on a day of their own (long past,
    // picked from the test's unique tag), so its counts can be compared exactly while other
    // suites place orders today. Written straight into the event store (facts with the times
    // of that day; the stream takes them to the projector as any append) — the API only
    // appends events at the current time.
    let tag = unique_tag();
    let offset = u64::from_str_radix(&tag[..6], 16).unwrap_or(0) % 20_000;
    let day = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + Days::new(offset);
    let order_id = uuid::Uuid::now_v7().to_string();
    let received = json!({
        "client_id": client_id, "products": products(1), "cargo_type": "goods", "units": 1,
        "route": {"origin": unique_place("Tunja"), "destination": "Cali",
                  "departure_date": "2030-01-01T08:00:00Z", "arrival_date": "2030-01-01T18:00:00Z"}
    });
    let cancelled = json!({"reason": "cancelled_by_client", "note": null});
    let table = ctx.env.var("DELIVERIES_TABLE").to_string();
    let mut images = Vec::new();
    for (version, (kind, data, time)) in [
        ("OrderReceived", received, "10:00:00.000"),
        ("OrderCancelled", cancelled, "10:05:00.000"),
    ]
    .into_iter()
    .enumerate()
    {
        let version = version as u64 + 1;
        let event = json!({
            "pk": format!("ORDER#{order_id}"), "sk": format!("V#{version:010}"),
            "specversion": "1.0", "id": uuid::Uuid::now_v7().to_string(), "source": "/deliveries/orders",
            "type": kind, "subject": order_id, "time": format!("{day}T{time}Z"),
            "datacontenttype": "application/json", "version": version, "data": data
        });
        let (sdk_item, image) = item(event.as_object().unwrap());
        ctx.dynamodb
            .put_item()
            .table_name(&table)
            .set_item(Some(sdk_item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .expect("event written");
        images.push(image);
    }
    // Projected once the day's counters show both events (GET of an order not yet projected
    // answers its stream's fold, so the order alone does not say the projector ran).
    let date = day.to_string();
    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    let counts = loop {
        let counts = counts_on(&ctx, &staff, &date).await;
        if counts["OrderCancelled"] == json!(1) || Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    assert_eq!(counts["OrderReceived"], json!(1), "{counts}");
    assert_eq!(counts["OrderCancelled"], json!(1), "{counts}");
    let view = get_order(&ctx, &client, &order_id).await.expect(200);
    assert_eq!(
        (view["status"].clone(), view["version"].clone()),
        (json!("cancelled"), json!(2)),
        "{view}"
    );

    // The same batch again, then reversed with a repeat: the projector skips what it applied.
    let mut shuffled = images.clone();
    shuffled.reverse();
    shuffled.push(images[0].clone());
    for batch in [
        stream_batch(&images, 1),
        stream_batch(&images, 1),
        stream_batch(&shuffled, 7),
    ] {
        let answer = ctx
            .call("POST", "/_local/invoke/DeliveriesProjectorFunction", None, Some(&batch))
            .await
            .expect(200);
        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    }
    assert_eq!(get_order(&ctx, &client, &order_id).await.expect(200), view);
    assert_eq!(counts_on(&ctx, &staff, &date).await, counts);
    // The notifier got each status message again and overwrote its one object per event.
    for image in &images {
        let event_id = image["id"]["S"].as_str().unwrap();
        let deadline = Instant::now() + DELIVERY_TIMEOUT;
        let objects = loop {
            let objects = outbox_objects_of_event(&ctx, event_id).await;
            if !objects.is_empty() || Instant::now() > deadline {
                break objects;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        };
        assert_eq!(objects.len(), 1, "outbox objects of event {event_id}: {objects:?}");
    }
}
