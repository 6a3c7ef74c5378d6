//! Dining (seed 004): opinions and summaries end to end — who may call each route, the checks of
//! `POST /opinions` in the contract's order with its messages, one opinion per reservation even
//! when 10 requests race, the venue's list (newest first, pages without overlap, `from` / `to`),
//! the summary placeholder, and the daily sweep as of its event's time: a summary for more than
//! 4 opinions in 45 days and not for 4, nothing new on a second run at the same time or a week
//! later, a new one after 14 days, and a venue deleted and created again (same owner, same id)
//! starting without opinions or summary.
//!
//! Concurrent-safe: every test writes opinions at venues it made. Only one test fires the
//! summaries schedule (a sweep reads every venue), so its runs follow each other.

mod dining_support;

use std::collections::BTreeSet;

use andes_tests::support::{all_at_once, json, query_escape, Ctx, Reply, Value};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use dining_support::*;

const NO_RESERVATION: &str = "Reservation does not exist";
const NOT_BY_USER: &str = "Reservation was not done by user";
const NOT_ASSISTED: &str = "Reservation was not assisted";
const OPINION_EXISTS: &str = "Opinion already exists";
const NO_SUMMARY: &str = "Este restaurant aun no tiene un resumen de opiniones disponible";

/// A fresh venue (capacity 10, slots 20:00 and 21:30 in Buenos Aires) and its owner.
async fn venue(ctx: &Ctx) -> (Caller, String) {
    let (owner, venue) = venue_at(ctx, &unique_name("Opina"), unique_point(), json!({})).await;
    (owner, id(&venue))
}

/// A reservation of `diner` at the 20:00 slot `days` ahead that the owner accepted and marked
/// Assisted: its id.
async fn assisted(ctx: &Ctx, owner: &Caller, diner: &Caller, venue_id: &str, days: i64) -> String {
    let reservation = id(&book(ctx, diner, venue_id, days, 1).await);
    advance(ctx, owner, &reservation).await;
    let after = advance(ctx, owner, &reservation).await;
    assert_eq!(after["status"], "Assisted");
    reservation
}

async fn post_opinion(ctx: &Ctx, diner: &Caller, body: &Value) -> Reply {
    ctx.call("POST", "/dining/opinions", diner.bearer(), Some(body)).await
}

/// `diner`'s opinion `text` on `reservation` (201).
async fn opine(ctx: &Ctx, diner: &Caller, reservation: &str, text: &str) -> Value {
    post_opinion(ctx, diner, &json!({"reservation": reservation, "opinion": text}))
        .await
        .expect(201)
}

/// Opinions `texts` at a venue of its own by one diner, each on a reservation of its own
/// (`first_day`, `first_day + 1`, …): the owner, the venue and the opinions in posting order.
async fn venue_with_opinions(ctx: &Ctx, first_day: i64, texts: &[&str]) -> (Caller, String, Vec<Value>) {
    let (owner, venue_id) = venue(ctx).await;
    let diner = client(ctx).await;
    let mut opinions = Vec::new();
    for (day, text) in (first_day..).zip(texts) {
        let reservation = assisted(ctx, &owner, &diner, &venue_id, day).await;
        opinions.push(opine(ctx, &diner, &reservation, text).await);
    }
    (owner, venue_id, opinions)
}

fn opinions_path(venue_id: &str) -> String {
    format!("/dining/opinions?venue={venue_id}")
}

fn summary_path(venue_id: &str) -> String {
    format!("/dining/summaries/{venue_id}")
}

async fn summary(ctx: &Ctx, venue_id: &str) -> Value {
    ctx.call("GET", &summary_path(venue_id), None, None).await.expect(200)
}

/// `GET /summaries/{venue}` while the venue has no summary.
fn placeholder(venue_id: &str) -> Value {
    json!({"venue": venue_id, "available": false, "text": NO_SUMMARY,
           "date": null, "opinions_count": 0, "from": null, "to": null})
}

fn time_of(value: &Value, field: &str) -> DateTime<Utc> {
    value[field]
        .as_str()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or_else(|| panic!("no time {field} in {value}"))
}

/// A whole second a minute from now: the sweep's time, after every opinion so far.
fn soon() -> DateTime<Utc> {
    (Utc::now() + Duration::minutes(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .parse()
        .unwrap()
}

/// A summary made by the sweep at `at` over `count` opinions, its text made of at most 3
/// distinct sentences of `texts` (one-sentence opinions).
fn assert_summary(found: &Value, venue_id: &str, at: DateTime<Utc>, count: u64, texts: &[&str]) {
    assert_eq!(found["venue"], venue_id, "{found}");
    assert_eq!(found["available"], true, "{found}");
    assert_eq!(found["date"], wire(at).as_str(), "{found}");
    assert_eq!(found["opinions_count"], count, "{found}");
    assert_eq!(found["from"], wire(at - Duration::days(45)).as_str(), "{found}");
    assert_eq!(found["to"], wire(at).as_str(), "{found}");
    let text = found["text"].as_str().unwrap();
    let sentences: Vec<&str> = text.split_inclusive('.').map(str::trim).collect();
    assert!((1..=3).contains(&sentences.len()), "{text}");
    let distinct: BTreeSet<&str> = sentences.iter().copied().collect();
    assert_eq!(distinct.len(), sentences.len(), "no sentence twice: {text}");
    for sentence in sentences {
        assert!(texts.contains(&sentence), "{sentence:?} is not an opinion's: {text}");
    }
}

// ------------------------------------------------------------------------------ access

#[tokio::test]
async fn opinion_routes_need_their_roles() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx).await;
    let plain = plain_user(&ctx).await;
    let body = json!({"reservation": unknown_id(), "opinion": "Muy rico."});
    ctx.call("POST", "/dining/opinions", None, Some(&body))
        .await
        .expect_gateway(401, "Unauthorized");
    for caller in [&owner, &plain] {
        post_opinion(&ctx, caller, &body).await.expect_gateway(403, "Forbidden");
    }
    // Anyone reads opinions and summaries; credentials that are sent must be valid.
    ctx.call("GET", &opinions_path(&venue_id), None, None).await.expect(200);
    ctx.call("GET", &summary_path(&venue_id), None, None).await.expect(200);
    ctx.call("GET", &summary_path(&venue_id), owner.bearer(), None)
        .await
        .expect(200);
    ctx.call("GET", &opinions_path(&venue_id), Some("not-a-token"), None)
        .await
        .expect_gateway(403, "Forbidden");
}

// ------------------------------------------------------------------------------ creating

#[tokio::test]
async fn posting_an_opinion_checks_the_contract_in_order() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx).await;
    let (diner, other) = tokio::join!(client(&ctx), client(&ctx));
    let came = assisted(&ctx, &owner, &diner, &venue_id, 1).await;
    let unconfirmed = id(&book(&ctx, &diner, &venue_id, 2, 1).await);
    let accepted = id(&book(&ctx, &diner, &venue_id, 3, 1).await);
    advance(&ctx, &owner, &accepted).await;
    let canceled = id(&book(&ctx, &diner, &venue_id, 4, 1).await);
    ctx.call("DELETE", &reservation_path(&canceled), diner.bearer(), None)
        .await
        .expect(200);
    let others_unconfirmed = id(&book(&ctx, &other, &venue_id, 2, 1).await);

    // The body first: every problem at once; malformed JSON or not an object is a 400.
    let mut found = fields(&post_opinion(&ctx, &diner, &json!({"opinion": "   "})).await.expect(422));
    found.sort();
    assert_eq!(found, ["opinion", "reservation"]);
    assert_eq!(
        problems(
            &post_opinion(&ctx, &diner, &json!({"reservation": came, "opinion": "x".repeat(2001)}))
                .await
                .expect(422)
        ),
        [problem("opinion", "must be 1 to 2000 characters")]
    );
    post_opinion(&ctx, &diner, &json!({"reservation": 7, "opinion": "Rico."}))
        .await
        .expect_invalid_field("reservation");
    for raw in [&b"{oops"[..], b"[1]"] {
        ctx.call_raw(
            "POST",
            "/dining/opinions",
            &[
                ("authorization", &format!("Bearer {}", diner.token)),
                ("content-type", "application/json"),
            ],
            raw.to_vec(),
        )
        .await
        .expect(400);
    }
    // Then the reservation: it exists, is the caller's, was Assisted.
    let on = |reservation: &str| json!({"reservation": reservation, "opinion": "Muy rico."});
    for unknown in [unknown_id(), "not-an-id".to_string()] {
        post_opinion(&ctx, &diner, &on(&unknown))
            .await
            .expect_problem(404, Some(NO_RESERVATION));
    }
    for (caller, reservation) in [(&other, &came), (&diner, &others_unconfirmed)] {
        post_opinion(&ctx, caller, &on(reservation))
            .await
            .expect_problem(403, Some(NOT_BY_USER));
    }
    for reservation in [&unconfirmed, &accepted, &canceled] {
        post_opinion(&ctx, &diner, &on(reservation))
            .await
            .expect_problem(409, Some(NOT_ASSISTED));
    }
    // The opinion: venue and user from the reservation, dated by the server (a `venue` or
    // `date` in the body is ignored), trimmed.
    let before = Utc::now() - Duration::seconds(1);
    let body = json!({"reservation": came, "opinion": "  Excelente atención.  ",
                      "venue": unknown_id(), "date": "2001-01-01T00:00:00Z", "user": other.id});
    let opinion = post_opinion(&ctx, &diner, &body).await.expect(201);
    let after = Utc::now() + Duration::seconds(1);
    let opinion_id = id(&opinion);
    assert_eq!(
        opinion,
        json!({"id": opinion_id, "venue": venue_id, "reservation": came, "user": diner.id,
               "opinion": "Excelente atención.", "date": opinion["date"]})
    );
    assert_eq!(uuid::Uuid::parse_str(&opinion_id).unwrap().get_version_num(), 7);
    let date = time_of(&opinion, "date");
    assert!(before <= date && date <= after, "server time: {date}");
    assert_eq!(opinion["date"], wire(date).as_str(), "UTC, whole seconds");
    // One per reservation.
    post_opinion(&ctx, &diner, &on(&came))
        .await
        .expect_problem(409, Some(OPINION_EXISTS));
    // It shows in the venue's list and in the diner's history.
    let list = ctx.call("GET", &opinions_path(&venue_id), None, None).await.expect(200);
    assert_eq!(list, json!({"items": [opinion], "next_cursor": null}));
    let history = ctx
        .call(
            "GET",
            "/dining/reservations/history?status=Assisted",
            diner.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(ids(&history), [came]);
    assert_eq!(history["items"][0]["opinion"], opinion);
}

#[tokio::test]
async fn ten_racing_opinions_on_one_reservation_make_exactly_one() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let reservation = assisted(&ctx, &owner, &diner, &venue_id, 5).await;
    let replies = all_at_once(10, |i| {
        let (ctx, diner) = (ctx.clone(), diner.clone());
        let body = json!({"reservation": reservation, "opinion": format!("Opinión número {i}.")});
        async move { post_opinion(&ctx, &diner, &body).await }
    })
    .await;
    let counts = statuses(&replies);
    assert_eq!(counts.get(&201), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&409), Some(&9), "{counts:?}");
    for reply in replies.iter().filter(|reply| reply.status == 409) {
        reply.expect_problem(409, Some(OPINION_EXISTS));
    }
    let won = replies.iter().find(|reply| reply.status == 201).unwrap().json();
    let list = ctx.call("GET", &opinions_path(&venue_id), None, None).await.expect(200);
    assert_eq!(list["items"], json!([won]));
}

// ------------------------------------------------------------------------------ the list

#[tokio::test]
async fn a_venues_opinions_newest_first_paged_and_by_date() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let mut reservations = Vec::new();
    for day in 10..15 {
        reservations.push(assisted(&ctx, &owner, &diner, &venue_id, day).await);
    }
    // Dated in three different seconds: 2 opinions, then 2, then 1.
    let mut posted = Vec::new();
    for (i, reservation) in reservations.iter().enumerate() {
        if i == 2 || i == 4 {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        posted.push(opine(&ctx, &diner, reservation, &format!("Visita {i}.")).await);
    }
    // Another venue's opinion does not show up.
    let (_, elsewhere, _) = venue_with_opinions(&ctx, 10, &["En otro lado."]).await;
    let newest_first: Vec<String> = posted.iter().rev().map(id).collect();
    let list = opinions_path(&venue_id);
    assert_eq!(all_ids(&ctx, &list).await, newest_first);
    assert_eq!(ids(&ctx.call("GET", &list, None, None).await.expect(200)), newest_first);
    // Pages of two: 2 + 2 + 1, no overlap, no gap.
    let pages = all_pages(&ctx, &format!("{list}&limit=2")).await;
    let sizes: Vec<usize> = pages.iter().map(|page| ids(page).len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    assert_eq!(pages.iter().flat_map(ids).collect::<Vec<_>>(), newest_first);
    // `from` / `to` (inclusive, any offset) by the opinions' dates.
    let dates: Vec<DateTime<Utc>> = posted.iter().map(|opinion| time_of(opinion, "date")).collect();
    let within = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| -> Vec<String> {
        posted
            .iter()
            .zip(&dates)
            .rev()
            .filter(|(_, date)| from.is_none_or(|from| **date >= from) && to.is_none_or(|to| **date <= to))
            .map(|(opinion, _)| id(opinion))
            .collect()
    };
    let middle = dates[2];
    let in_buenos_aires = |time: DateTime<Utc>| {
        (time - Duration::hours(3))
            .format("%Y-%m-%dT%H:%M:%S-03:00")
            .to_string()
    };
    for (from, to) in [
        (Some(middle), None),
        (None, Some(middle)),
        (Some(middle), Some(middle)),
        (Some(dates[0]), Some(dates[4])),
        (Some(dates[4] + Duration::seconds(1)), None),
    ] {
        let mut path = list.clone();
        if let Some(from) = from {
            path.push_str(&format!("&from={}", query_escape(&in_buenos_aires(from))));
        }
        if let Some(to) = to {
            path.push_str(&format!("&to={}", query_escape(&wire(to))));
        }
        assert_eq!(all_ids(&ctx, &path).await, within(from, to), "{path}");
    }
    assert!(within(Some(middle), Some(middle)).len() < 5, "the dates differ");
    assert_eq!(
        all_ids(&ctx, &opinions_path(&elsewhere)).await.len(),
        1,
        "the other venue has its own"
    );
    // An unknown venue has none.
    for venue in [unknown_id(), "not-an-id".to_string()] {
        assert_eq!(
            ctx.call("GET", &opinions_path(&venue), None, None).await.expect(200),
            json!({"items": [], "next_cursor": null})
        );
    }
    // Bad parameters are 422s naming them.
    let late = query_escape(&wire(dates[4]));
    let early = query_escape(&wire(dates[0]));
    for (query, field) in [
        ("/dining/opinions".to_string(), "venue"),
        (format!("{list}&from=yesterday"), "from"),
        (format!("{list}&to=2030-01-01"), "to"),
        (format!("{list}&from={late}&to={early}"), "from"),
        (format!("{list}&limit=0"), "limit"),
        (format!("{list}&limit=101"), "limit"),
    ] {
        ctx.call("GET", &query, None, None).await.expect_invalid_field(field);
    }
    for cursor in FORGED_CURSORS {
        ctx.call("GET", &with_cursor(&list, cursor), None, None)
            .await
            .expect(422);
    }
}

// ------------------------------------------------------------------------------ summaries

#[tokio::test]
async fn a_venue_without_a_summary_answers_the_placeholder() {
    let ctx = Ctx::new().await;
    let (_, venue_id, _) = venue_with_opinions(&ctx, 20, &["Muy rico.", "Excelente."]).await;
    assert_eq!(summary(&ctx, &venue_id).await, placeholder(&venue_id));
    for unknown in [unknown_id(), "not-an-id".to_string()] {
        ctx.call("GET", &summary_path(&unknown), None, None)
            .await
            .expect_problem(404, Some("Venue does not exist"));
    }
}

/// An `OPINED` marker (the sweep's index) of a venue that does not exist.
async fn stray_marker(ctx: &Ctx, venue_id: &str, last: DateTime<Utc>) {
    let s = |value: &str| AttributeValue::S(value.to_string());
    ctx.dynamodb
        .put_item()
        .table_name(ctx.env.var("DINING_TABLE"))
        .item("pk", s(&format!("VENUE#{venue_id}")))
        .item("sk", s("OPINED"))
        .item("gsi1pk", s("OPINED"))
        .item("gsi1sk", s(&format!("{}#{venue_id}", wire(last))))
        .item("last", s(&wire(last)))
        .item("incarnation", s(&wire(last - Duration::days(1))))
        .send()
        .await
        .expect("put a marker");
}

#[tokio::test]
async fn the_daily_sweep_summarizes_venues_with_more_than_four_recent_opinions() {
    let ctx = Ctx::new().await;
    let five = [
        "La pizza estaba excelente.",
        "Excelente pizza y buena atención.",
        "El postre fue lo mejor.",
        "Pizza excelente como siempre.",
        "Mucho ruido pero la pizza excelente.",
    ];
    let four = ["Rico.", "Lindo.", "Barato.", "Limpio."];
    let ((_, with_five, _), (_, with_four, _)) = tokio::join!(
        venue_with_opinions(&ctx, 30, &five),
        venue_with_opinions(&ctx, 30, &four)
    );
    // A venue that will be deleted and created again: 5 opinions, and one Assisted
    // reservation whose opinion comes after it is created again.
    let (owner, again) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let kept_back = assisted(&ctx, &owner, &diner, &again, 40).await;
    for (day, text) in (41..).zip(five) {
        let reservation = assisted(&ctx, &owner, &diner, &again, day).await;
        opine(&ctx, &diner, &reservation, text).await;
    }
    let gone = unknown_id();
    stray_marker(&ctx, &gone, Utc::now()).await;
    for venue_id in [&with_five, &with_four, &again] {
        assert_eq!(summary(&ctx, venue_id).await, placeholder(venue_id), "before any sweep");
    }

    // More than 4 opinions in the window: a summary as of the event's time; 4: none.
    let at = soon();
    fire_schedule(&ctx, "Summar", at).await;
    let made = summary(&ctx, &with_five).await;
    assert_summary(&made, &with_five, at, 5, &five);
    assert_summary(&summary(&ctx, &again).await, &again, at, 5, &five);
    assert_eq!(summary(&ctx, &with_four).await, placeholder(&with_four));
    // The marker of a venue that is gone is forgotten.
    let marker = ctx
        .dynamodb
        .get_item()
        .table_name(ctx.env.var("DINING_TABLE"))
        .key("pk", AttributeValue::S(format!("VENUE#{gone}")))
        .key("sk", AttributeValue::S("OPINED".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("get the marker");
    assert!(marker.item().is_none(), "{marker:?}");
    // Again at the same time: nothing changes.
    fire_schedule(&ctx, "Summar", at).await;
    assert_eq!(summary(&ctx, &with_five).await, made);

    // Deleted and created again by its owner (same id): no opinions, no summary. Times are
    // whole seconds: the new venue is created in a later second than the old one was.
    ctx.call("DELETE", &venue_path(&again), owner.bearer(), None)
        .await
        .expect(204);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let body = venue_body(&unique_name("Opina otra vez"), unique_point());
    assert_eq!(id(&create_venue(&ctx, &owner, &body).await), again);
    assert_eq!(summary(&ctx, &again).await, placeholder(&again));
    let empty = json!({"items": [], "next_cursor": null});
    assert_eq!(
        ctx.call("GET", &opinions_path(&again), None, None).await.expect(200),
        empty
    );
    // An opinion on a reservation of the old venue is the diner's, not the new venue's.
    let late = opine(&ctx, &diner, &kept_back, "Llegó tarde.").await;
    assert_eq!(late["venue"], again.as_str());
    assert_eq!(
        ctx.call("GET", &opinions_path(&again), None, None).await.expect(200),
        empty
    );

    // A week later: not due yet. 15 days later: made again, over the window as of then.
    fire_schedule(&ctx, "Summar", at + Duration::days(7)).await;
    assert_eq!(summary(&ctx, &with_five).await, made);
    let later = at + Duration::days(15);
    fire_schedule(&ctx, "Summar", later).await;
    assert_summary(&summary(&ctx, &with_five).await, &with_five, later, 5, &five);
    assert_eq!(summary(&ctx, &with_four).await, placeholder(&with_four));
    assert_eq!(summary(&ctx, &again).await, placeholder(&again));
    let partition = venue_partition(&ctx, &again).await;
    assert!(
        !partition.iter().any(|sk| sk == "OPINED" || sk == "SUMMARY"),
        "the new venue has no marker or summary: {partition:?}"
    );
}
