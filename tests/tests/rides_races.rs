//! Races the seed lost, run for real with concurrent requests: one invitation code, the last
//! seats of a ride, the last places of a limited circle.

mod rides_support;

use andes_tests::support::{all_at_once, json, Ctx};
use rides_support::*;

#[tokio::test]
async fn ten_users_race_for_one_invitation_code_and_exactly_one_joins() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 11).await;
    let owner = users[0].clone();
    let slug = unique_slug("race-code");
    create_circle(&ctx, &owner, &slug, json!({})).await;
    let code = codes(&ctx, &owner, &slug).await.remove(0);

    let guests = users[1..].to_vec();
    let replies = all_at_once(guests.len(), |i| {
        let (ctx, guest, slug, code) = (ctx.clone(), guests[i].clone(), slug.clone(), code.clone());
        async move { join(&ctx, &guest, &slug, &code).await }
    })
    .await;
    assert_eq!(
        statuses(&replies),
        [(201, 1), (422, 9)].into_iter().collect(),
        "{replies:#?}"
    );
    for loser in replies.iter().filter(|r| r.status == 422) {
        assert_eq!(
            loser.json()["errors"][0]["message"],
            json!("Invalid invitation code."),
            "{loser:?}"
        );
    }
    let issuer = membership(&ctx, &owner, &slug, &owner.username).await;
    assert_eq!(
        (
            issuer["used_invitations"].clone(),
            issuer["remaining_invitations"].clone()
        ),
        (json!(1), json!(9)),
        "{issuer}"
    );
    assert_eq!(circle(&ctx, &owner, &slug).await["members_count"], json!(2));
    let listed = invitations(&ctx, &owner, &slug).await;
    assert_eq!(listed["used_invitations"].as_array().unwrap().len(), 1, "{listed}");
    assert!(!strings(&listed["invitations"]).contains(&code));
}

#[tokio::test]
async fn ten_members_race_for_a_three_seat_ride_and_exactly_three_get_seats() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 11).await;
    let driver = users[0].clone();
    let members = users[1..].to_vec();
    let slug = circle_with_members(&ctx, &driver, &members, json!({})).await;
    let ride = offer_ride(&ctx, &driver, &slug, 3).await;
    let join_path = format!("{}/join", ride_path(&slug, &id(&ride)));

    let replies = all_at_once(members.len(), |i| {
        let (ctx, member, path) = (ctx.clone(), members[i].clone(), join_path.clone());
        async move { ctx.call("POST", &path, member.bearer(), None).await }
    })
    .await;
    assert_eq!(
        statuses(&replies),
        [(200, 3), (409, 7)].into_iter().collect(),
        "{replies:#?}"
    );
    for loser in replies.iter().filter(|r| r.status == 409) {
        assert_eq!(loser.json()["detail"], json!("Ride is already full!"), "{loser:?}");
    }
    let after = ctx
        .call("GET", &ride_path(&slug, &id(&ride)), driver.bearer(), None)
        .await
        .expect(200);
    assert_eq!(after["available_seats"], json!(0), "{after}");
    assert_eq!(after["passengers"].as_array().unwrap().len(), 3, "{after}");
    assert_eq!(circle(&ctx, &driver, &slug).await["rides_taken"], json!(3));
}

#[tokio::test]
async fn a_limited_circle_never_exceeds_its_limit_under_concurrent_joins() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 11).await;
    let owner = users[0].clone();
    let slug = unique_slug("race-limit");
    // Limit 10: the owner and 9 more; 10 users hold 10 distinct valid codes.
    create_circle(&ctx, &owner, &slug, json!({"is_limited": true, "members_limit": 10})).await;
    let codes = codes(&ctx, &owner, &slug).await;
    let guests = users[1..].to_vec();

    let replies = all_at_once(guests.len(), |i| {
        let (ctx, guest, slug, code) = (ctx.clone(), guests[i].clone(), slug.clone(), codes[i].clone());
        async move { join(&ctx, &guest, &slug, &code).await }
    })
    .await;
    assert_eq!(
        statuses(&replies),
        [(201, 9), (409, 1)].into_iter().collect(),
        "{replies:#?}"
    );
    let loser = replies.iter().find(|r| r.status == 409).unwrap();
    assert_eq!(loser.json()["detail"], json!("Circle has reached its member limit"));
    assert_eq!(circle(&ctx, &owner, &slug).await["members_count"], json!(10));
    let page = ctx
        .call(
            "GET",
            &format!("/rides/circles/{slug}/members?limit=100"),
            owner.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 10, "{page}");
    let issuer = membership(&ctx, &owner, &slug, &owner.username).await;
    assert_eq!(
        (
            issuer["used_invitations"].clone(),
            issuer["remaining_invitations"].clone()
        ),
        (json!(9), json!(1)),
        "{issuer}"
    );
}

#[tokio::test]
async fn concurrent_first_invitation_requests_never_exceed_the_remaining_invitations() {
    let ctx = Ctx::new().await;
    let owner = user(&ctx).await;
    let slug = unique_slug("race-topup");
    create_circle(&ctx, &owner, &slug, json!({})).await;
    let path = format!("/rides/circles/{slug}/members/{}/invitations", owner.username);
    let replies = all_at_once(5, |_| {
        let (ctx, owner, path) = (ctx.clone(), owner.clone(), path.clone());
        async move { ctx.call("GET", &path, owner.bearer(), None).await }
    })
    .await;
    assert_eq!(statuses(&replies), [(200, 5)].into_iter().collect(), "{replies:#?}");
    assert_eq!(codes(&ctx, &owner, &slug).await.len(), 10);
}

#[tokio::test]
async fn counters_stay_exact_under_concurrent_offers_and_joins() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 6).await;
    let driver = users[0].clone();
    let members = users[1..].to_vec();
    let slug = circle_with_members(&ctx, &driver, &members, json!({})).await;

    let offers = all_at_once(8, |_| {
        let (ctx, driver, path) = (ctx.clone(), driver.clone(), rides_path(&slug));
        async move {
            ctx.call("POST", &path, driver.bearer(), Some(&ride_body(4, 30, 120)))
                .await
        }
    })
    .await;
    assert_eq!(statuses(&offers), [(201, 8)].into_iter().collect(), "{offers:#?}");
    let rides: Vec<String> = offers.iter().map(|r| id(&r.json())).collect();

    // Every member joins two rides, all at once (10 joins over 8 rides of 4 seats).
    let joins = all_at_once(members.len() * 2, |i| {
        let member = members[i / 2].clone();
        let ride = rides[(i / 2 + (i % 2) * 3) % rides.len()].clone();
        let (ctx, path) = (ctx.clone(), format!("{}/join", ride_path(&slug, &ride)));
        async move { ctx.call("POST", &path, member.bearer(), None).await }
    })
    .await;
    assert_eq!(statuses(&joins), [(200, 10)].into_iter().collect(), "{joins:#?}");

    let circle = circle(&ctx, &driver, &slug).await;
    assert_eq!(
        (circle["rides_offered"].clone(), circle["rides_taken"].clone()),
        (json!(8), json!(10)),
        "{circle}"
    );
    let own = membership(&ctx, &driver, &slug, &driver.username).await;
    assert_eq!(own["rides_offered"], json!(8), "{own}");
    assert_eq!(
        profile(&ctx, &driver, &driver.username).await["rides_offered"],
        json!(8)
    );
    for member in &members {
        assert_eq!(
            membership(&ctx, &driver, &slug, &member.username).await["rides_taken"],
            json!(2)
        );
        assert_eq!(profile(&ctx, &driver, &member.username).await["rides_taken"], json!(2));
    }
}

#[tokio::test]
async fn concurrent_circle_edits_are_optimistic_and_never_clobber_counters() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (owner, member) = (users[0].clone(), users[1].clone());
    let slug = circle_with_members(&ctx, &owner, std::slice::from_ref(&member), json!({})).await;
    let edits = all_at_once(6, |i| {
        let (ctx, owner, path) = (ctx.clone(), owner.clone(), circles_path(&slug));
        async move {
            ctx.call(
                "PATCH",
                &path,
                owner.bearer(),
                Some(&json!({ "about": format!("edit {i}") })),
            )
            .await
        }
    });
    // Counters move at the same time as the edits.
    let offer = offer_ride(&ctx, &member, &slug, 2);
    let (edits, _) = tokio::join!(edits, offer);
    let counts = statuses(&edits);
    assert!(
        counts.keys().all(|status| *status == 200 || *status == 409),
        "{edits:#?}"
    );
    assert!(counts.get(&200).copied().unwrap_or(0) >= 1, "{edits:#?}");
    let applied: Vec<String> = edits
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.json()["about"].as_str().unwrap().to_string())
        .collect();
    let circle = circle(&ctx, &owner, &slug).await;
    assert!(
        applied.iter().any(|about| circle["about"] == json!(about)),
        "{circle} not among {applied:?}"
    );
    assert_eq!(
        (circle["members_count"].clone(), circle["rides_offered"].clone()),
        (json!(2), json!(1)),
        "{circle}"
    );
}

#[tokio::test]
async fn a_join_racing_a_lower_limit_never_leaves_the_circle_over_its_limit() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 11).await;
    let owner = users[0].clone();
    let rounds: Vec<(String, String)> = {
        let mut rounds = Vec::new();
        for _ in 0..3 {
            // 10 members (the owner and 9); the owner keeps one code.
            let slug = circle_with_members(&ctx, &owner, &users[1..10], json!({})).await;
            let last = codes(&ctx, &owner, &slug).await.remove(0);
            rounds.push((slug, last));
        }
        rounds
    };
    for (slug, code) in rounds {
        let guest = users[10].clone();
        let replies = all_at_once(2, |i| {
            let (ctx, owner, guest, slug, code) =
                (ctx.clone(), owner.clone(), guest.clone(), slug.clone(), code.clone());
            async move {
                if i == 0 {
                    join(&ctx, &guest, &slug, &code).await
                } else {
                    ctx.call(
                        "PATCH",
                        &circles_path(&slug),
                        owner.bearer(),
                        Some(&json!({"is_limited": true, "members_limit": 10})),
                    )
                    .await
                }
            }
        })
        .await;
        let after = circle(&ctx, &owner, &slug).await;
        let count = after["members_count"].as_i64().unwrap();
        // Exactly one wins: the join (11 members, still unlimited) or the limit (10 members).
        if after["is_limited"] == json!(true) {
            assert_eq!(
                (count, after["members_limit"].clone()),
                (10, json!(10)),
                "{after} {replies:#?}"
            );
            assert_eq!(
                statuses(&replies),
                [(200, 1), (409, 1)].into_iter().collect(),
                "{replies:#?}"
            );
        } else {
            assert_eq!(count, 11, "{after}");
            assert_eq!(
                statuses(&replies),
                [(201, 1), (422, 1)].into_iter().collect(),
                "{replies:#?}"
            );
        }
    }
}

/// Sorts answers by `version` and checks they are `start + 1 ..= start + n`, once each: every
/// write applied on top of the one before.
fn in_version_order(replies: &[andes_tests::support::Reply], start: u64) -> Vec<andes_tests::support::Value> {
    let mut answers: Vec<_> = replies.iter().map(|r| r.json()).collect();
    answers.sort_by_key(|a| a["version"].as_u64().expect("answers carry their version"));
    let versions: Vec<u64> = answers.iter().map(|a| a["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, (start + 1..=start + replies.len() as u64).collect::<Vec<_>>());
    answers
}

/// From one answer to the next exactly one of `fields` changed (no write undid another), and
/// every value in `sent` is the state of some answer.
fn no_lost_update(answers: &[andes_tests::support::Value], sent: &[(&str, andes_tests::support::Value)]) {
    let fields: Vec<&str> = {
        let mut fields: Vec<&str> = sent.iter().map(|(field, _)| *field).collect();
        fields.sort();
        fields.dedup();
        fields
    };
    for pair in answers.windows(2) {
        let changed = fields
            .iter()
            .filter(|field| pair[0][**field] != pair[1][**field])
            .count();
        assert_eq!(changed, 1, "{} then {}", pair[0], pair[1]);
    }
    for (field, value) in sent {
        assert!(
            answers.iter().any(|a| a[*field] == *value),
            "{field} = {value} is in no answer"
        );
    }
}

#[tokio::test]
async fn twenty_parallel_version_less_circle_edits_all_apply_and_keep_counters() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (owner, member) = (users[0].clone(), users[1].clone());
    let slug = circle_with_members(&ctx, &owner, std::slice::from_ref(&member), json!({})).await;
    let start = circle(&ctx, &owner, &slug).await["version"]
        .as_u64()
        .expect("circles show their version");
    let field = |i: usize| ["name", "about", "picture"][i % 3];
    let value = |i: usize| match i % 3 {
        0 => json!(format!("Name {i}")),
        1 => json!(format!("about {i}")),
        _ => json!(format!("https://example.com/{i}.png")),
    };
    let edits = all_at_once(20, |i| {
        let (ctx, owner, path) = (ctx.clone(), owner.clone(), circles_path(&slug));
        let body = json!({ field(i): value(i) });
        async move { ctx.call("PATCH", &path, owner.bearer(), Some(&body)).await }
    });
    // Counters move at the same time (a ride offered: no version bump).
    let offer = offer_ride(&ctx, &member, &slug, 2);
    let (edits, _) = tokio::join!(edits, offer);
    assert_eq!(statuses(&edits), [(200, 20)].into_iter().collect(), "{edits:#?}");
    let answers = in_version_order(&edits, start);
    let sent: Vec<(&str, _)> = (0..20).map(|i| (field(i), value(i))).collect();
    no_lost_update(&answers, &sent);
    let now = circle(&ctx, &owner, &slug).await;
    let last = answers.last().unwrap();
    for field in ["name", "about", "picture", "version"] {
        assert_eq!(now[field], last[field], "{field}: {now} vs {last}");
    }
    assert_eq!(
        (now["members_count"].clone(), now["rides_offered"].clone()),
        (json!(2), json!(1)),
        "{now}"
    );
    // A stale version sent by the client is still a 409.
    ctx.call(
        "PATCH",
        &circles_path(&slug),
        owner.bearer(),
        Some(&json!({"about": "stale", "version": start})),
    )
    .await
    .expect_problem(409, Some("modified by another request; read it again and retry"));
    let current = now["version"].as_u64().unwrap();
    let fresh = ctx
        .call(
            "PATCH",
            &circles_path(&slug),
            owner.bearer(),
            Some(&json!({"about": "fresh", "version": current})),
        )
        .await
        .expect(200);
    assert_eq!(
        (fresh["about"].clone(), fresh["version"].clone()),
        (json!("fresh"), json!(current + 1))
    );
}

#[tokio::test]
async fn twenty_parallel_version_less_ride_edits_all_apply_beside_a_join() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (driver, member) = (users[0].clone(), users[1].clone());
    let slug = circle_with_members(&ctx, &driver, std::slice::from_ref(&member), json!({})).await;
    let ride = offer_ride(&ctx, &driver, &slug, 3).await;
    let path = ride_path(&slug, &id(&ride));
    let start = ride["version"].as_u64().expect("rides show their version");
    let field = |i: usize| ["comments", "departure_location", "arrival_location"][i % 3];
    let value = |i: usize| json!(format!("{} {i}", field(i)));
    let edits = all_at_once(20, |i| {
        let (ctx, driver, path) = (ctx.clone(), driver.clone(), path.clone());
        let body = json!({ field(i): value(i) });
        async move { ctx.call("PATCH", &path, driver.bearer(), Some(&body)).await }
    });
    // A passenger takes a seat at the same time (the join moves the ride's version too).
    let join_path = format!("{path}/join");
    let join = ctx.call("POST", &join_path, member.bearer(), None);
    let (edits, join) = tokio::join!(edits, join);
    join.expect(200);
    assert_eq!(statuses(&edits), [(200, 20)].into_iter().collect(), "{edits:#?}");
    let mut answers: Vec<_> = edits.iter().map(|r| r.json()).collect();
    answers.sort_by_key(|a| a["version"].as_u64().unwrap());
    let versions: Vec<u64> = answers.iter().map(|a| a["version"].as_u64().unwrap()).collect();
    let mut expected: Vec<u64> = (start + 1..=start + 21).collect();
    expected.retain(|v| !versions.contains(v));
    assert_eq!(
        expected.len(),
        1,
        "20 edits and one join, each its own version: {versions:?}"
    );
    let sent: Vec<(&str, _)> = (0..20).map(|i| (field(i), value(i))).collect();
    no_lost_update(&answers, &sent);
    let now = ctx.call("GET", &path, driver.bearer(), None).await.expect(200);
    assert_eq!(now["version"], json!(start + 21), "{now}");
    let last = answers.last().unwrap();
    for field in ["comments", "departure_location", "arrival_location"] {
        assert_eq!(now[field], last[field], "{field}: {now} vs {last}");
    }
    assert_eq!(now["available_seats"], json!(2), "{now}");
    assert_eq!(now["passengers"], json!([member.username]), "{now}");
    // A stale version sent by the client is still a 409.
    ctx.call(
        "PATCH",
        &path,
        driver.bearer(),
        Some(&json!({"comments": "stale", "version": start})),
    )
    .await
    .expect_problem(409, Some("modified by another request; read it again and retry"));
}
