//! Dining (seed 004): reservations end to end — who may call each route, the checks of §4.1 in
//! their order with the contract's messages, the capacity invariant under a race (10 diners for
//! the last 3 seats), one open reservation per diner and instant, `Idempotency-Key` (replay,
//! reuse, a race on one key), the state machine of §4.2 with its refusals, seats moved and
//! released, expiry only by the schedule (as of its event's time), the lists (§4.5) and their
//! privacy, and the venue `DELETE` refused while a reservation is open.
//!
//! Concurrent-safe: every test books at venues it made.

mod dining_support;

use andes_tests::support::{all_at_once, json, query_escape, unique_tag, Ctx, Value};
use chrono::{DateTime, Duration, Utc};
use dining_support::*;

const NO_RESERVATION: &str = "Reservation does not exist";

fn time_of(reservation: &Value) -> DateTime<Utc> {
    reservation["time"].as_str().unwrap().parse().unwrap()
}

/// A fresh venue (capacity `capacity`, slots 20:00 and 21:30 in Buenos Aires) and its owner.
async fn venue(ctx: &Ctx, capacity: u32) -> (Caller, String) {
    let (owner, venue) = venue_at(ctx, &unique_name("Mesa"), unique_point(), json!({"capacity": capacity})).await;
    (owner, id(&venue))
}

/// Seats held at the 20:00 slot `days` ahead, as availability shows them.
async fn booked_at(ctx: &Ctx, venue_id: &str, days: i64) -> u64 {
    let date = (slot_in(days, 20, 0) + Duration::hours(BUENOS_AIRES_HOURS)).date_naive();
    let availability = ctx
        .call(
            "GET",
            &format!("{}/availability?date={date}", venue_path(venue_id)),
            None,
            None,
        )
        .await
        .expect(200);
    let slot = availability["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|slot| slot["time"] == "20:00")
        .expect("the 20:00 slot")
        .clone();
    slot["booked"].as_u64().unwrap()
}

// ------------------------------------------------------------------------------ access

#[tokio::test]
async fn reservation_routes_need_their_roles() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 10).await;
    let (diner, plain) = tokio::join!(client(&ctx), plain_user(&ctx));
    let body = json!({"venue": venue_id, "time": wire(slot_in(3, 20, 0)), "people": 2});
    ctx.call("POST", "/dining/reservations", None, Some(&body))
        .await
        .expect_gateway(401, "Unauthorized");
    for caller in [&owner, &plain] {
        ctx.call("POST", "/dining/reservations", caller.bearer(), Some(&body))
            .await
            .expect_gateway(403, "Forbidden");
        ctx.call("GET", "/dining/reservations", caller.bearer(), None)
            .await
            .expect_gateway(403, "Forbidden");
        ctx.call("GET", "/dining/reservations/history", caller.bearer(), None)
            .await
            .expect_gateway(403, "Forbidden");
    }
    let reservation = book(&ctx, &diner, &venue_id, 3, 2).await;
    let path = reservation_path(&id(&reservation));
    // The venue owner cancels with PATCH; DELETE is the diner's.
    ctx.call("DELETE", &path, owner.bearer(), None)
        .await
        .expect_gateway(403, "Forbidden");
    ctx.call("GET", "/dining/me/venue/reservations", diner.bearer(), None)
        .await
        .expect_gateway(403, "Forbidden");
    ctx.call("GET", &path, plain.bearer(), None)
        .await
        .expect_gateway(403, "Forbidden");
    ctx.call("GET", &path, None, None)
        .await
        .expect_gateway(401, "Unauthorized");
}

// ------------------------------------------------------------------------------ creating

#[tokio::test]
async fn a_new_reservation_is_unconfirmed_and_readable_by_its_diner_and_venue_only() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 10).await;
    let (diner, other_diner, other_owner) = tokio::join!(client(&ctx), client(&ctx), restaurant(&ctx));
    let time = slot_in(4, 20, 0);
    // Any offset in, UTC out.
    let local = (time + Duration::hours(BUENOS_AIRES_HOURS))
        .format("%Y-%m-%dT%H:%M:%S-03:00")
        .to_string();
    let reply = post_reservation(&ctx, &diner, &venue_id, &local, 3).await;
    let reservation = reply.expect(201);
    let reservation_id = id(&reservation);
    assert_eq!(
        reply.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(reservation_path(&reservation_id).as_str())
    );
    assert_eq!(reservation["user"], diner.id.as_str());
    assert_eq!(reservation["venue"], venue_id.as_str());
    assert_eq!(reservation["time"], wire(time).as_str());
    assert_eq!(reservation["people"], 3);
    assert_eq!(reservation["status"], "Unconfirmed");
    assert!(reservation["closed_by"].is_null());
    assert_eq!(reservation["created"], reservation["updated"]);
    assert_eq!(uuid::Uuid::parse_str(&reservation_id).unwrap().get_version_num(), 7);
    let path = reservation_path(&reservation_id);
    for reader in [&diner, &owner] {
        assert_eq!(
            ctx.call("GET", &path, reader.bearer(), None).await.expect(200),
            reservation
        );
    }
    for stranger in [&other_diner, &other_owner] {
        ctx.call("GET", &path, stranger.bearer(), None)
            .await
            .expect_problem(404, Some(NO_RESERVATION));
        patch_reservation(&ctx, stranger, &reservation_id, json!({"cancel": true}))
            .await
            .expect_problem(404, Some(NO_RESERVATION));
    }
    ctx.call("DELETE", &path, other_diner.bearer(), None)
        .await
        .expect_problem(404, Some(NO_RESERVATION));
    ctx.call("GET", &reservation_path(&unknown_id()), diner.bearer(), None)
        .await
        .expect_problem(404, Some(NO_RESERVATION));
    ctx.call("GET", "/dining/reservations/not-an-id", diner.bearer(), None)
        .await
        .expect_problem(404, Some(NO_RESERVATION));
    assert_eq!(booked_at(&ctx, &venue_id, 4).await, 3);
}

#[tokio::test]
async fn creating_checks_the_contract_in_order() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 6).await;
    let diner = client(&ctx).await;
    let at = |days, hh, mm| wire(slot_in(days, hh, mm));
    // 1. Body shape: every problem at once; malformed JSON is a 400.
    let reply = ctx
        .call(
            "POST",
            "/dining/reservations",
            diner.bearer(),
            Some(&json!({"time": "soon", "people": "2"})),
        )
        .await;
    let shape = reply.expect_problem(422, None);
    let mut found = fields(&shape);
    found.sort();
    assert_eq!(found, ["people", "time", "venue"]);
    ctx.call_raw(
        "POST",
        "/dining/reservations",
        &[
            ("authorization", &format!("Bearer {}", diner.token)),
            ("content-type", "application/json"),
        ],
        b"{oops".to_vec(),
    )
    .await
    .expect(400);
    // 2. The venue exists (400, also for a malformed id).
    for venue in [unknown_id(), "not-an-id".to_string()] {
        post_reservation(&ctx, &diner, &venue, &at(3, 20, 0), 2)
            .await
            .expect_problem(400, Some("Venue does not exist"));
    }
    // 4. People within capacity (before the time is looked at).
    for people in [0, 7] {
        let reply = post_reservation(&ctx, &diner, &venue_id, "2001-01-01T00:00:00Z", people).await;
        assert_eq!(
            problems(&reply.expect(422)),
            [problem("people", "people must be between 1 and 6")]
        );
    }
    // 5. The time, in the contract's order.
    let cases = [
        (wire(Utc::now() - Duration::days(1)), "Time must be in the future"),
        (at(91, 20, 0), "Reservations can be made at most 90 days ahead"),
        (at(3, 20, 15), "Time is not one of the venue's slots"),
        (at(3, 21, 0), "Time is not one of the venue's slots"),
    ];
    for (time, message) in cases {
        let reply = post_reservation(&ctx, &diner, &venue_id, &time, 2).await;
        assert_eq!(problems(&reply.expect(422)), [problem("time", message)], "{time}");
    }
    // Lead time and vacations, in the venue's zone.
    let vacation = (slot_in(5, 20, 0) + Duration::hours(BUENOS_AIRES_HOURS)).date_naive();
    ctx.call(
        "PATCH",
        &venue_path(&venue_id),
        owner.bearer(),
        Some(&json!({"reservation_lead_time": 2, "vacations": [vacation.to_string()]})),
    )
    .await
    .expect(200);
    let reply = post_reservation(&ctx, &diner, &venue_id, &at(1, 20, 0), 2).await;
    assert_eq!(
        problems(&reply.expect(422)),
        [problem("time", "Reservations must be made at least 2 days ahead")]
    );
    let reply = post_reservation(&ctx, &diner, &venue_id, &at(5, 21, 30), 2).await;
    assert_eq!(
        problems(&reply.expect(422)),
        [problem("time", "The venue is on vacation that day")]
    );
    post_reservation(&ctx, &diner, &venue_id, &at(2, 21, 30), 2)
        .await
        .expect(201);
    // 3. A closed venue refuses (before people and time).
    act(&ctx, &owner, &venue_id, "close").await.expect(200);
    post_reservation(&ctx, &diner, &venue_id, "2001-01-01T00:00:00Z", 99)
        .await
        .expect_problem(409, Some("Venue is closed"));
    // Occupied (and Unconfirmed) venues take reservations.
    act(&ctx, &owner, &venue_id, "occupy").await.expect(200);
    post_reservation(&ctx, &diner, &venue_id, &at(3, 20, 0), 2)
        .await
        .expect(201);
}

#[tokio::test]
async fn a_diner_holds_one_open_reservation_per_instant_at_any_venue() {
    let ctx = Ctx::new().await;
    let ((_, first), (_, second)) = tokio::join!(venue(&ctx, 10), venue(&ctx, 10));
    let diner = client(&ctx).await;
    let reservation = book(&ctx, &diner, &first, 6, 2).await;
    let time = wire(slot_in(6, 20, 0));
    for venue_id in [&first, &second] {
        post_reservation(&ctx, &diner, venue_id, &time, 1)
            .await
            .expect_problem(409, Some("You already have a reservation at that time"));
    }
    // Another instant is fine; once canceled, the instant is free again.
    post_reservation(&ctx, &diner, &second, &wire(slot_in(6, 21, 30)), 1)
        .await
        .expect(201);
    ctx.call("DELETE", &reservation_path(&id(&reservation)), diner.bearer(), None)
        .await
        .expect(200);
    post_reservation(&ctx, &diner, &second, &time, 1).await.expect(201);
    assert_eq!(booked_at(&ctx, &first, 6).await, 0);
    assert_eq!(booked_at(&ctx, &second, 6).await, 1);
}

#[tokio::test]
async fn ten_diners_racing_for_the_last_three_seats_exactly_three_win() {
    let ctx = Ctx::new().await;
    let (_, venue_id) = venue(&ctx, 10).await;
    let first = client(&ctx).await;
    book(&ctx, &first, &venue_id, 7, 7).await;
    let diners = futures_util::future::join_all((0..10).map(|_| client(&ctx))).await;
    let time = wire(slot_in(7, 20, 0));
    let replies = all_at_once(10, |i| {
        let body = json!({"venue": venue_id, "time": time, "people": 1});
        let (ctx, token) = (ctx.clone(), diners[i].token.clone());
        async move {
            ctx.call("POST", "/dining/reservations", Some(&token), Some(&body))
                .await
        }
    })
    .await;
    let counts = statuses(&replies);
    assert_eq!(counts.get(&201), Some(&3), "{counts:?}");
    assert_eq!(counts.get(&409), Some(&7), "{counts:?}");
    for reply in replies.iter().filter(|reply| reply.status == 409) {
        reply.expect_problem(409, Some("Not enough capacity for that time"));
    }
    assert_eq!(booked_at(&ctx, &venue_id, 7).await, 10);
    // Full: one more seat is refused; a canceled reservation gives its seats back at once.
    let late = client(&ctx).await;
    post_reservation(&ctx, &late, &venue_id, &time, 1)
        .await
        .expect_problem(409, Some("Not enough capacity for that time"));
    let won = replies.iter().find(|reply| reply.status == 201).unwrap().json();
    let winner = diners.iter().find(|diner| won["user"] == diner.id.as_str()).unwrap();
    ctx.call("DELETE", &reservation_path(&id(&won)), winner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(booked_at(&ctx, &venue_id, 7).await, 9);
    post_reservation(&ctx, &late, &venue_id, &time, 1).await.expect(201);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let ctx = Ctx::new().await;
    let (_, venue_id) = venue(&ctx, 10).await;
    let diner = client(&ctx).await;
    let key = format!("book-{}", unique_tag());
    let body = json!({"venue": venue_id, "time": wire(slot_in(8, 20, 0)), "people": 2});
    let send = |body: Value, key: String| {
        let (ctx, token) = (ctx.clone(), diner.token.clone());
        async move {
            let bytes = serde_json::to_vec(&body).unwrap();
            let auth = format!("Bearer {token}");
            let headers = [
                ("authorization", auth.as_str()),
                ("content-type", "application/json"),
                ("idempotency-key", key.as_str()),
            ];
            ctx.call_raw("POST", "/dining/reservations", &headers, bytes).await
        }
    };
    let first = send(body.clone(), key.clone()).await.expect(201);
    // The same request again: the same answer, nothing booked again.
    let again = send(body.clone(), key.clone()).await.expect(201);
    assert_eq!(again, first);
    // The same request with its time at another offset is the same request.
    let local = (time_of(&first) + Duration::hours(BUENOS_AIRES_HOURS)).format("%Y-%m-%dT%H:%M:%S-03:00");
    let shifted = with(body.clone(), json!({"time": local.to_string()}));
    assert_eq!(send(shifted, key.clone()).await.expect(201), first);
    // A different request with the key: 422.
    let other = with(body.clone(), json!({"people": 3}));
    let reply = send(other, key.clone()).await;
    assert_eq!(
        problems(&reply.expect(422)),
        [problem(
            "Idempotency-Key",
            "Idempotency-Key was used for a different request"
        )]
    );
    assert_eq!(booked_at(&ctx, &venue_id, 8).await, 2);
    // Eight at once with a new key (another slot): one reservation, the same answer to all.
    let key = format!("race-{}", unique_tag());
    let body = json!({"venue": venue_id, "time": wire(slot_in(8, 21, 30)), "people": 1});
    let replies = futures_util::future::join_all((0..8).map(|_| send(body.clone(), key.clone()))).await;
    let answers: Vec<Value> = replies.iter().map(|reply| reply.expect(201)).collect();
    assert!(answers.iter().all(|answer| *answer == answers[0]), "{answers:?}");
    let mine = ctx
        .call("GET", "/dining/reservations", diner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(ids(&mine).len(), 2, "{mine}");
    // A bad key is the header's 422.
    let reply = send(body, " ".into()).await;
    assert_eq!(fields(&reply.expect(422)), ["Idempotency-Key"]);
}

// ------------------------------------------------------------------------------ changing

#[tokio::test]
async fn the_state_machine_of_the_contract() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 10).await;
    let diner = client(&ctx).await;
    let reservation = book(&ctx, &diner, &venue_id, 9, 2).await;
    let rid = id(&reservation);
    // Unchanged values are no change (the seed's clients resend both).
    let same = json!({"time": reservation["time"], "people": 2});
    assert_eq!(
        patch_reservation(&ctx, &diner, &rid, same.clone()).await.expect(200),
        reservation
    );
    // Only the venue advances; only the diner changes time or people.
    patch_reservation(&ctx, &diner, &rid, json!({"advance_forward": true}))
        .await
        .expect_problem(403, Some("Only the venue can advance a reservation"));
    patch_reservation(&ctx, &owner, &rid, json!({"people": 3}))
        .await
        .expect_problem(403, Some("Only the diner can change time or people"));
    let reply = patch_reservation(&ctx, &diner, &rid, json!({"cancel": true, "people": 3})).await;
    assert_eq!(
        problems(&reply.expect(422)),
        [problem(
            "cancel",
            "cancel or advance_forward cannot be combined with a change of time or people"
        )]
    );
    // The owner accepts; the diner's change sends it back to Unconfirmed and moves the seats.
    let accepted = advance(&ctx, &owner, &rid).await;
    assert_eq!(accepted["status"], "Accepted");
    assert!(accepted["closed_by"].is_null());
    assert_eq!(patch_reservation(&ctx, &owner, &rid, same).await.expect(200), accepted);
    let moved_to = wire(slot_in(10, 21, 30));
    let moved = patch_reservation(&ctx, &diner, &rid, json!({"time": moved_to, "people": 4}))
        .await
        .expect(200);
    assert_eq!(
        (moved["status"].as_str(), moved["people"].as_u64()),
        (Some("Unconfirmed"), Some(4))
    );
    assert_eq!(moved["time"], moved_to.as_str());
    assert_eq!(booked_at(&ctx, &venue_id, 9).await, 0);
    // The owner accepts, the diner came: Assisted, closed by the venue; final.
    advance(&ctx, &owner, &rid).await;
    let assisted = advance(&ctx, &owner, &rid).await;
    assert_eq!(assisted["status"], "Assisted");
    assert_eq!(assisted["closed_by"], "venue");
    for (caller, body) in [
        (&owner, json!({"cancel": true})),
        (&owner, json!({"advance_forward": false})),
        (&diner, json!({"cancel": true})),
        (&diner, json!({"people": 1})),
    ] {
        patch_reservation(&ctx, caller, &rid, body)
            .await
            .expect_problem(409, Some("Reservation is already closed"));
    }
    ctx.call("DELETE", &reservation_path(&rid), diner.bearer(), None)
        .await
        .expect_problem(409, Some("Reservation is already closed"));
    assert_eq!(
        ctx.call("GET", &reservation_path(&rid), diner.bearer(), None)
            .await
            .expect(200),
        assisted
    );

    // Declined by the venue while Unconfirmed; canceled by the venue once Accepted; a no-show;
    // the diner cancels ("back" on Accepted is a cancel, not an expiry).
    // (case, steps as (by the venue?, patch), final status, closed by)
    type Case = (&'static str, Vec<(bool, Value)>, &'static str, &'static str);
    let cases: [Case; 5] = [
        (
            "declined",
            vec![(true, json!({"advance_forward": false}))],
            "Canceled",
            "venue",
        ),
        (
            "venue cancel",
            vec![
                (true, json!({"advance_forward": true})),
                (true, json!({"cancel": true})),
            ],
            "Canceled",
            "venue",
        ),
        (
            "no-show",
            vec![
                (true, json!({"advance_forward": true})),
                (true, json!({"advance_forward": false})),
            ],
            "Expired",
            "venue",
        ),
        (
            "diner back",
            vec![
                (true, json!({"advance_forward": true})),
                (false, json!({"advance_forward": false})),
            ],
            "Canceled",
            "user",
        ),
        (
            "diner cancel",
            vec![(false, json!({"cancel": true}))],
            "Canceled",
            "user",
        ),
    ];
    for (days, (case, steps, status, closed_by)) in (11..).zip(cases) {
        let reservation = book(&ctx, &diner, &venue_id, days, 2).await;
        let mut last = reservation.clone();
        for (by_owner, body) in steps {
            let caller = if by_owner { &owner } else { &diner };
            last = patch_reservation(&ctx, caller, &id(&reservation), body)
                .await
                .expect(200);
        }
        assert_eq!(
            (last["status"].as_str(), last["closed_by"].as_str()),
            (Some(status), Some(closed_by)),
            "{case}"
        );
        // Canceled and Expired give their seats back.
        assert_eq!(booked_at(&ctx, &venue_id, days).await, 0, "{case}");
    }
}

#[tokio::test]
async fn a_change_of_time_or_people_is_checked_like_a_booking() {
    let ctx = Ctx::new().await;
    let (_, venue_id) = venue(&ctx, 4).await;
    let (diner, other) = tokio::join!(client(&ctx), client(&ctx));
    let reservation = book(&ctx, &diner, &venue_id, 12, 2).await;
    let rid = id(&reservation);
    // Another diner fills the 21:30 slot but one seat.
    post_reservation(&ctx, &other, &venue_id, &wire(slot_in(12, 21, 30)), 3)
        .await
        .expect(201);
    patch_reservation(&ctx, &diner, &rid, json!({"time": wire(slot_in(12, 21, 30))}))
        .await
        .expect_problem(409, Some("Not enough capacity for that time"));
    patch_reservation(&ctx, &diner, &rid, json!({"people": 5}))
        .await
        .expect_problem(422, None);
    patch_reservation(&ctx, &diner, &rid, json!({"time": wire(slot_in(12, 20, 30))}))
        .await
        .expect_problem(422, None);
    // Growing in place uses the room left: 2 → 4 fits, nothing else does.
    patch_reservation(&ctx, &diner, &rid, json!({"people": 4}))
        .await
        .expect(200);
    assert_eq!(booked_at(&ctx, &venue_id, 12).await, 4);
    post_reservation(&ctx, &other, &venue_id, &wire(slot_in(12, 20, 0)), 1)
        .await
        .expect_problem(409, Some("Not enough capacity for that time"));
    // Moving onto an instant where the diner already holds a reservation.
    book(&ctx, &diner, &venue_id, 13, 1).await;
    patch_reservation(
        &ctx,
        &diner,
        &rid,
        json!({"time": wire(slot_in(13, 20, 0)), "people": 1}),
    )
    .await
    .expect_problem(409, Some("You already have a reservation at that time"));
    assert_eq!(
        booked_at(&ctx, &venue_id, 12).await,
        4,
        "a refused move keeps the seats"
    );
    // Shrinking gives seats back.
    patch_reservation(&ctx, &diner, &rid, json!({"people": 1}))
        .await
        .expect(200);
    assert_eq!(booked_at(&ctx, &venue_id, 12).await, 1);
}

#[tokio::test]
async fn racing_changes_of_one_reservation_never_lose_a_seat() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 10).await;
    let diner = client(&ctx).await;
    let reservation = book(&ctx, &diner, &venue_id, 14, 1).await;
    let rid = id(&reservation);
    // The diner resizes eight times at once while the owner accepts.
    let replies = all_at_once(9, |i| {
        let (ctx, owner, diner, rid) = (ctx.clone(), owner.clone(), diner.clone(), rid.clone());
        async move {
            match i {
                0 => patch_reservation(&ctx, &owner, &rid, json!({"advance_forward": true})).await,
                _ => patch_reservation(&ctx, &diner, &rid, json!({"people": i})).await,
            }
        }
    })
    .await;
    for reply in &replies {
        assert!(reply.status < 500, "{} {}", reply.status, reply.text);
    }
    let now = ctx
        .call("GET", &reservation_path(&rid), diner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(booked_at(&ctx, &venue_id, 14).await, now["people"].as_u64().unwrap());
}

// ------------------------------------------------------------------------------ expiry

#[tokio::test]
async fn accepted_reservations_expire_by_the_schedule_only() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 10).await;
    let diner = client(&ctx).await;
    let accepted = book(&ctx, &diner, &venue_id, 15, 2).await;
    let unconfirmed = book(&ctx, &diner, &venue_id, 16, 2).await;
    let accepted_id = id(&accepted);
    advance(&ctx, &owner, &accepted_id).await;
    let time = time_of(&accepted);
    let read = |rid: String| {
        let (ctx, diner) = (&ctx, &diner);
        async move {
            ctx.call("GET", &reservation_path(&rid), diner.bearer(), None)
                .await
                .expect(200)
        }
    };
    // 14 minutes past: not yet.
    fire_schedule(&ctx, "Expire", time + Duration::minutes(14)).await;
    assert_eq!(read(accepted_id.clone()).await["status"], "Accepted");
    // 15 minutes past: Expired by the system; its seats are free.
    fire_schedule(&ctx, "Expire", time + Duration::minutes(15)).await;
    let expired = read(accepted_id.clone()).await;
    assert_eq!(
        (expired["status"].as_str(), expired["closed_by"].as_str()),
        (Some("Expired"), Some("system"))
    );
    assert_eq!(booked_at(&ctx, &venue_id, 15).await, 0);
    // Again with the same time, and much later: nothing changes; Unconfirmed stays (seed).
    fire_schedule(&ctx, "Expire", time + Duration::minutes(15)).await;
    fire_schedule(&ctx, "Expire", time + Duration::days(5)).await;
    assert_eq!(read(accepted_id).await, expired);
    assert_eq!(read(id(&unconfirmed)).await, unconfirmed);
}

// ------------------------------------------------------------------------------ lists

#[tokio::test]
async fn the_diners_list_filters_pages_and_keeps_to_the_caller() {
    let ctx = Ctx::new().await;
    let ((owner, first), (_, second)) = tokio::join!(venue(&ctx, 10), venue(&ctx, 10));
    let (diner, other) = tokio::join!(client(&ctx), client(&ctx));
    let mut made = Vec::new();
    for (days, venue_id, people) in [
        (20, &first, 1),
        (21, &second, 2),
        (22, &first, 3),
        (23, &second, 4),
        (24, &first, 5),
    ] {
        made.push(book(&ctx, &diner, venue_id, days, people).await);
    }
    book(&ctx, &other, &first, 20, 2).await;
    advance(&ctx, &owner, &id(&made[0])).await;
    let list = |query: &str| {
        let (ctx, diner) = (&ctx, &diner);
        let path = format!("/dining/reservations{query}");
        async move { ctx.call("GET", &path, diner.bearer(), None).await.expect(200) }
    };
    // Newest time first, only the caller's.
    let all = list("").await;
    let expected: Vec<String> = made.iter().rev().map(id).collect();
    assert_eq!(ids(&all), expected);
    assert!(all["next_cursor"].is_null());
    assert_eq!(
        ids(&list(&format!("?venue={first}")).await),
        [id(&made[4]), id(&made[2]), id(&made[0])]
    );
    assert_eq!(ids(&list("?status=Accepted").await), [id(&made[0])]);
    assert_eq!(
        ids(&list("?from_people=2&to_people=3").await),
        [id(&made[2]), id(&made[1])]
    );
    let from = query_escape(made[1]["time"].as_str().unwrap());
    let to = query_escape(made[3]["time"].as_str().unwrap());
    assert_eq!(
        ids(&list(&format!("?from_time={from}&to_time={to}")).await),
        [id(&made[3]), id(&made[2]), id(&made[1])]
    );
    // Pages of two, no overlap, no gap.
    let mut seen = Vec::new();
    let mut page = list("?limit=2").await;
    loop {
        assert!(ids(&page).len() <= 2);
        seen.extend(ids(&page));
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_string) else {
            break;
        };
        page = list(&format!("?limit=2&cursor={}", query_escape(&cursor))).await;
    }
    assert_eq!(seen, expected);
    for query in [
        "?limit=0",
        "?limit=101",
        "?status=Uncomfirmed",
        "?from_time=yesterday",
        "?from_people=x",
    ] {
        ctx.call("GET", &format!("/dining/reservations{query}"), diner.bearer(), None)
            .await
            .expect(422);
    }
    for cursor in FORGED_CURSORS {
        ctx.call(
            "GET",
            &with_cursor("/dining/reservations", cursor),
            diner.bearer(),
            None,
        )
        .await
        .expect(422);
    }
    // History: closed ones only, each with its opinion (none yet).
    assert_eq!(
        ids(&ctx
            .call("GET", "/dining/reservations/history", diner.bearer(), None)
            .await
            .expect(200)),
        Vec::<String>::new()
    );
    ctx.call("DELETE", &reservation_path(&id(&made[1])), diner.bearer(), None)
        .await
        .expect(200);
    let history = ctx
        .call("GET", "/dining/reservations/history", diner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(ids(&history), [id(&made[1])]);
    assert!(history["items"][0]["opinion"].is_null());
    assert_eq!(history["items"][0]["status"], "Canceled");
}

#[tokio::test]
async fn the_venues_list_shows_its_diners() {
    let ctx = Ctx::new().await;
    let ((owner, venue_id), (other_owner, _)) = tokio::join!(venue(&ctx, 10), venue(&ctx, 10));
    let (ana, bruno) = tokio::join!(client(&ctx), client(&ctx));
    let first = book(&ctx, &ana, &venue_id, 30, 2).await;
    let second = book(&ctx, &bruno, &venue_id, 31, 3).await;
    let list = ctx
        .call("GET", "/dining/me/venue/reservations", owner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(ids(&list), [id(&second), id(&first)]);
    let diner = &list["items"][1]["diner"];
    assert_eq!(diner["id"], ana.id.as_str());
    assert!(diner["name"].is_string(), "{diner}");
    assert!(diner.get("phone").is_some(), "{diner}");
    assert_eq!(
        (diner["times_assisted"].as_u64(), diner["times_expired"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(list["items"][1]["status"], "Unconfirmed");
    let filtered = ctx
        .call(
            "GET",
            "/dining/me/venue/reservations?from_people=3",
            owner.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(ids(&filtered), [id(&second)]);
    // Another restaurant sees only its own venue's.
    let theirs = ctx
        .call("GET", "/dining/me/venue/reservations", other_owner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(ids(&theirs), Vec::<String>::new());
}

#[tokio::test]
async fn a_venue_with_an_open_reservation_is_not_deleted_until_it_closes() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 10).await;
    let diner = client(&ctx).await;
    let reservation = book(&ctx, &diner, &venue_id, 32, 2).await;
    ctx.call("DELETE", &venue_path(&venue_id), owner.bearer(), None)
        .await
        .expect_problem(409, Some("Venue has open reservations"));
    advance(&ctx, &owner, &id(&reservation)).await;
    ctx.call("DELETE", &venue_path(&venue_id), owner.bearer(), None)
        .await
        .expect_problem(409, Some("Venue has open reservations"));
    advance(&ctx, &owner, &id(&reservation)).await;
    ctx.call("DELETE", &venue_path(&venue_id), owner.bearer(), None)
        .await
        .expect(204);
    // Gone: no booking there; the diner's history keeps the reservation.
    post_reservation(&ctx, &diner, &venue_id, &wire(slot_in(33, 20, 0)), 1)
        .await
        .expect_problem(400, Some("Venue does not exist"));
    let history = ctx
        .call("GET", "/dining/reservations/history", diner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(ids(&history), [id(&reservation)]);
}

#[tokio::test]
async fn bookings_racing_a_venue_delete_never_leave_a_reservation_at_a_deleted_venue() {
    let ctx = Ctx::new().await;
    let (owner, venue_id) = venue(&ctx, 10).await;
    let diners = futures_util::future::join_all((0..6).map(|_| client(&ctx))).await;
    let time = wire(slot_in(34, 20, 0));
    let replies = all_at_once(7, |i| {
        let (ctx, owner, venue_id, time) = (ctx.clone(), owner.clone(), venue_id.clone(), time.clone());
        let diner = diners[i.saturating_sub(1)].clone();
        async move {
            match i {
                0 => ctx.call("DELETE", &venue_path(&venue_id), owner.bearer(), None).await,
                _ => post_reservation(&ctx, &diner, &venue_id, &time, 1).await,
            }
        }
    })
    .await;
    for reply in &replies {
        assert!(reply.status < 500, "{} {}", reply.status, reply.text);
    }
    let booked = replies[1..].iter().filter(|reply| reply.status == 201).count();
    let venue_gone = ctx.call("GET", &venue_path(&venue_id), None, None).await.status == 404;
    match (replies[0].status, venue_gone) {
        (204, true) => assert_eq!(booked, 0, "reservations at a deleted venue"),
        (409, false) => assert!(booked > 0),
        other => panic!("delete answered {other:?}"),
    }
}
