//! Memberships, invitations, profiles and the user summary: every error message and
//! permission of the spec.

mod rides_support;

use andes_tests::support::{all_at_once, json, query_escape, Ctx, Value};
use rides_support::*;

#[tokio::test]
async fn joining_a_circle_follows_the_seed_rules() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 3).await;
    let (owner, guest, other) = (&users[0], &users[1], &users[2]);
    let slug = unique_slug("join");
    create_circle(&ctx, owner, &slug, json!({})).await;
    let codes = codes(&ctx, owner, &slug).await;

    // Unknown, malformed and missing codes.
    let bad = join(&ctx, guest, &slug, "ZZZZZZZZZZ")
        .await
        .expect_invalid_field("invitation_code");
    assert_eq!(bad["errors"][0]["message"], json!("Invalid invitation code."));
    join(&ctx, guest, &slug, "short")
        .await
        .expect_invalid_field("invitation_code");
    ctx.call(
        "POST",
        &format!("/rides/circles/{slug}/members"),
        guest.bearer(),
        Some(&json!({})),
    )
    .await
    .expect_invalid_field("invitation_code");
    // A code of another circle is invalid here.
    let elsewhere = unique_slug("elsewhere");
    create_circle(&ctx, other, &elsewhere, json!({})).await;
    let foreign = self::codes(&ctx, other, &elsewhere).await;
    join(&ctx, guest, &slug, &foreign[0])
        .await
        .expect_invalid_field("invitation_code");

    let member = join(&ctx, guest, &slug, &codes[0]).await.expect(201);
    assert_eq!(member["user"]["username"], json!(guest.username));
    assert_eq!(member["is_admin"], json!(false));
    assert_eq!(member["remaining_invitations"], json!(0));
    assert_eq!(member["invited_by"], json!(owner.username));
    // Already a member (with another valid code).
    join(&ctx, guest, &slug, &codes[1])
        .await
        .expect_problem(409, Some("User is already member of this circle"));
    // A used code cannot be used again.
    join(&ctx, other, &slug, &codes[0])
        .await
        .expect_invalid_field("invitation_code");
    assert_eq!(circle(&ctx, owner, &slug).await["members_count"], json!(2));
    join(&ctx, guest, "no-such-circle-x", &codes[1])
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn a_full_limited_circle_refuses_new_members() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 11).await;
    let owner = &users[0];
    let slug = unique_slug("full");
    create_circle(&ctx, owner, &slug, json!({"is_limited": true, "members_limit": 10})).await;
    let codes = codes(&ctx, owner, &slug).await;
    for (guest, code) in users[1..10].iter().zip(&codes) {
        join(&ctx, guest, &slug, code).await.expect(201);
    }
    join(&ctx, &users[10], &slug, &codes[9])
        .await
        .expect_problem(409, Some("Circle has reached its member limit"));
    assert_eq!(circle(&ctx, owner, &slug).await["members_count"], json!(10));
}

#[tokio::test]
async fn members_are_listed_and_read_by_active_members_only() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 4).await;
    let (owner, a, b, outsider) = (&users[0], &users[1], &users[2], &users[3]);
    let slug = circle_with_members(&ctx, owner, &[a.clone(), b.clone()], json!({})).await;
    let members = format!("/rides/circles/{slug}/members");

    let page = ctx.call("GET", &members, a.bearer(), None).await.expect(200);
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"]["username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut expected = vec![owner.username.clone(), a.username.clone(), b.username.clone()];
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(
        membership(&ctx, b, &slug, &a.username).await["invited_by"],
        json!(owner.username)
    );

    ctx.call("GET", &members, outsider.bearer(), None)
        .await
        .expect_problem(403, Some("User is not an active member of the circle."));
    ctx.call("GET", &format!("{members}/{}", a.username), outsider.bearer(), None)
        .await
        .expect_problem(403, None);
    ctx.call("GET", &format!("{members}/{}", outsider.username), a.bearer(), None)
        .await
        .expect_problem(404, None);
    ctx.call("GET", &members, None, None)
        .await
        .expect_gateway(401, "Unauthorized");

    // Invitations: only the member themself.
    let path = format!("{members}/{}/invitations", owner.username);
    ctx.call("GET", &path, a.bearer(), None).await.expect_problem(403, None);
    ctx.call("GET", &path, outsider.bearer(), None)
        .await
        .expect_problem(403, None);
    // A new member has no invitations to hand out.
    let own = invitations(&ctx, a, &slug).await;
    assert_eq!(own, json!({"used_invitations": [], "invitations": []}));
}

#[tokio::test]
async fn members_leave_or_are_removed_by_admins_only() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 4).await;
    let (owner, a, b, c) = (&users[0], &users[1], &users[2], &users[3]);
    let slug = circle_with_members(&ctx, owner, &[a.clone(), b.clone(), c.clone()], json!({})).await;
    let member = |username: &str| format!("/rides/circles/{slug}/members/{username}");

    // A plain member cannot remove someone else (the seed let them).
    ctx.call("DELETE", &member(&b.username), a.bearer(), None)
        .await
        .expect_problem(403, None);
    // A member leaves by themself.
    ctx.call("DELETE", &member(&a.username), a.bearer(), None)
        .await
        .expect(204);
    ctx.call("GET", &format!("/rides/circles/{slug}/members"), a.bearer(), None)
        .await
        .expect_problem(403, None);
    // The admin removes another member.
    ctx.call("DELETE", &member(&b.username), owner.bearer(), None)
        .await
        .expect(204);
    ctx.call("GET", &member(&b.username), owner.bearer(), None)
        .await
        .expect_problem(404, None);
    ctx.call("DELETE", &member(&b.username), owner.bearer(), None)
        .await
        .expect_problem(404, None);
    assert_eq!(circle(&ctx, owner, &slug).await["members_count"], json!(2));
    // A former member is still "already a member" (the seed's rule).
    let codes = codes(&ctx, owner, &slug).await;
    join(&ctx, a, &slug, &codes[0])
        .await
        .expect_problem(409, Some("User is already member of this circle"));
}

#[tokio::test]
async fn profiles_are_public_to_users_and_edited_by_their_owner() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (ana, bob) = (&users[0], &users[1]);
    // A user who never called rides has the default profile.
    let fresh = profile(&ctx, ana, &bob.username).await;
    assert_eq!(
        fresh,
        json!({"username": bob.username, "picture": null, "biography": "", "rides_taken": 0, "rides_offered": 0, "reputation": 5.0})
    );
    ctx.call("GET", "/rides/users/nobody-has-this-name/profile", ana.bearer(), None)
        .await
        .expect_problem(404, None);
    ctx.call(
        "GET",
        &format!("/rides/users/{}/profile", "n".repeat(3000)),
        ana.bearer(),
        None,
    )
    .await
    .expect_problem(404, None);
    ctx.call(
        "GET",
        &format!("/rides/circles/{}/members/{}", "c".repeat(3000), "m".repeat(3000)),
        ana.bearer(),
        None,
    )
    .await
    .expect_problem(404, None);

    let path = format!("/rides/users/{}/profile", ana.username);
    let body = json!({"biography": "I drive to CU", "picture": "https://example.com/ana.png"});
    let changed = ctx.call("PATCH", &path, ana.bearer(), Some(&body)).await.expect(200);
    assert_eq!(changed["biography"], json!("I drive to CU"));
    assert_eq!(
        profile(&ctx, bob, &ana.username).await["picture"],
        json!("https://example.com/ana.png")
    );
    ctx.call("PATCH", &path, bob.bearer(), Some(&json!({"biography": "hacked"})))
        .await
        .expect_problem(403, None);
    ctx.call(
        "PATCH",
        &path,
        ana.bearer(),
        Some(&json!({"biography": "x".repeat(501)})),
    )
    .await
    .expect_invalid_field("biography");
    ctx.call("PATCH", &path, ana.bearer(), Some(&json!({"reputation": 1})))
        .await
        .expect_invalid_field("reputation");
    ctx.call("PATCH", &path, ana.bearer(), Some(&json!({"picture": "not a url"})))
        .await
        .expect_invalid_field("picture");
    ctx.call("GET", &path, None, None)
        .await
        .expect_gateway(401, "Unauthorized");
}

#[tokio::test]
async fn the_user_summary_is_for_its_owner_only() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (ana, bob) = (&users[0], &users[1]);
    let slug = circle_with_members(&ctx, bob, std::slice::from_ref(ana), json!({})).await;
    let left = unique_slug("left");
    create_circle(&ctx, bob, &left, json!({})).await;
    let code = codes(&ctx, bob, &left).await.remove(0);
    join(&ctx, ana, &left, &code).await.expect(201);
    ctx.call(
        "DELETE",
        &format!("/rides/circles/{left}/members/{}", ana.username),
        ana.bearer(),
        None,
    )
    .await
    .expect(204);

    let summary = ctx
        .call("GET", &format!("/rides/users/{}", ana.username), ana.bearer(), None)
        .await
        .expect(200);
    assert_eq!(summary["user"]["username"], json!(ana.username));
    assert_eq!(summary["user"]["email"], ana.session.account["email"]);
    assert_eq!(summary["user"]["profile"]["reputation"], json!(5.0));
    let circles: Vec<&str> = summary["circles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(circles, [slug.as_str()], "only active memberships: {summary}");
    ctx.call("GET", &format!("/rides/users/{}", ana.username), bob.bearer(), None)
        .await
        .expect_problem(403, None);
}

#[tokio::test]
async fn a_removed_members_codes_admit_no_one() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 4).await;
    let (owner, inviter, guest, other) = (&users[0], &users[1], &users[2], &users[3]);
    let slug = unique_slug("removed");
    create_circle(&ctx, owner, &slug, json!({})).await;
    // A second admin with their own 10 codes.
    rides_admin_ok(
        &ctx,
        &["add-circle-admin", "--circle", &slug, "--username", &inviter.username],
    )
    .await;
    let codes = codes(&ctx, inviter, &slug).await;
    assert_eq!(codes.len(), 10);
    join(&ctx, other, &slug, &codes[0]).await.expect(201);
    assert_eq!(circle(&ctx, owner, &slug).await["members_count"], json!(3));

    // The owner removes them: their remaining codes are dead.
    ctx.call(
        "DELETE",
        &format!("/rides/circles/{slug}/members/{}", inviter.username),
        owner.bearer(),
        None,
    )
    .await
    .expect(204);
    for code in &codes[1..3] {
        let refused = join(&ctx, guest, &slug, code)
            .await
            .expect_invalid_field("invitation_code");
        assert_eq!(refused["errors"][0]["message"], json!("Invalid invitation code."));
    }
    assert_eq!(circle(&ctx, owner, &slug).await["members_count"], json!(2));
    ctx.call(
        "GET",
        &format!("/rides/circles/{slug}/members/{}", guest.username),
        owner.bearer(),
        None,
    )
    .await
    .expect_problem(404, None);
    // An active member's code still admits the same guest.
    let fresh = self::codes(&ctx, owner, &slug).await;
    join(&ctx, guest, &slug, &fresh[0]).await.expect(201);
    assert_eq!(circle(&ctx, owner, &slug).await["members_count"], json!(3));
}

#[tokio::test]
async fn member_pages_are_full_until_the_last_even_after_removals() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 7).await;
    let owner = &users[0];
    let slug = circle_with_members(&ctx, owner, &users[1..], json!({})).await;
    // Remove three of the six members: their memberships stay in the partition, inactive.
    for gone in &users[1..4] {
        ctx.call(
            "DELETE",
            &format!("/rides/circles/{slug}/members/{}", gone.username),
            owner.bearer(),
            None,
        )
        .await
        .expect(204);
    }
    let mut expected: Vec<String> = [owner]
        .into_iter()
        .chain(&users[4..])
        .map(|u| u.username.clone())
        .collect();
    expected.sort();
    for limit in [1, 2, 3] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/rides/circles/{slug}/members?limit={limit}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = ctx.call("GET", &path, owner.bearer(), None).await.expect(200);
            let items = page["items"].as_array().unwrap();
            seen.extend(
                items
                    .iter()
                    .map(|m| m["user"]["username"].as_str().unwrap().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => {
                    assert_eq!(
                        items.len(),
                        limit,
                        "a page with a cursor is full (limit {limit}): {page}"
                    );
                    cursor = Some(next.to_string());
                }
                None => break,
            }
            assert!(seen.len() <= expected.len(), "too many pages: {seen:?}");
        }
        seen.sort();
        assert_eq!(seen, expected, "limit {limit}");
    }
}

#[tokio::test]
async fn member_lists_refuse_forged_foreign_and_overflowing_cursors() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 4).await;
    let (owner, a, b, other) = (&users[0], &users[1], &users[2], &users[3]);
    let slug = circle_with_members(&ctx, owner, &[a.clone(), b.clone()], json!({})).await;
    let elsewhere = circle_with_members(&ctx, other, &[owner.clone(), a.clone()], json!({})).await;
    let members = format!("/rides/circles/{slug}/members?limit=1");
    for cursor in FORGED_CURSORS {
        expect_cursor_refused(&ctx, owner, &members, cursor).await;
    }
    // A cursor of the same list of another circle, and one of another list.
    let foreign = first_cursor(&ctx, owner, &format!("/rides/circles/{elsewhere}/members?limit=1")).await;
    expect_cursor_refused(&ctx, owner, &members, &foreign).await;
    let tag = unique_slug("cursor");
    create_circle(&ctx, owner, &format!("{tag}-1"), json!({})).await;
    create_circle(&ctx, owner, &format!("{tag}-2"), json!({})).await;
    let circles = first_cursor(&ctx, owner, &format!("/rides/circles?search={tag}&limit=1")).await;
    expect_cursor_refused(&ctx, owner, &members, &circles).await;
    // Its own cursor still works.
    let own = first_cursor(&ctx, owner, &members).await;
    let next = ctx
        .call(
            "GET",
            &format!("{members}&cursor={}", query_escape(&own)),
            owner.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(next["items"].as_array().unwrap().len(), 1, "{next}");
    // The invitations list has no pages: any cursor is one it never handed out.
    let invitations = format!("/rides/circles/{slug}/members/{}/invitations", owner.username);
    for cursor in FORGED_CURSORS.iter().copied().chain([own.as_str()]) {
        expect_cursor_refused(&ctx, owner, &invitations, cursor).await;
    }
}

#[tokio::test]
async fn profile_text_refuses_control_characters() {
    let ctx = Ctx::new().await;
    let ana = user(&ctx).await;
    let path = format!("/rides/users/{}/profile", ana.username);
    for bad in [
        "nul\u{0}",
        "escape \u{1b}[31m",
        "bell\u{7}",
        "c1\u{85}",
        "rlo \u{202E}olleh",
        "cr\r",
    ] {
        ctx.call("PATCH", &path, ana.bearer(), Some(&json!({ "biography": bad })))
            .await
            .expect_invalid_field("biography");
    }
    ctx.call(
        "PATCH",
        &path,
        ana.bearer(),
        Some(&json!({ "picture": "https://example.com/a\u{0}.png" })),
    )
    .await
    .expect_invalid_field("picture");
    let fine = json!({ "biography": "Line one\nline two\twith a tab" });
    let changed = ctx.call("PATCH", &path, ana.bearer(), Some(&fine)).await.expect(200);
    assert_eq!(changed["biography"], fine["biography"]);
}

#[tokio::test]
async fn twenty_parallel_version_less_profile_edits_all_apply() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (ana, bob) = (users[0].clone(), users[1].clone());
    let path = format!("/rides/users/{}/profile", ana.username);
    let before = ctx
        .call("PATCH", &path, ana.bearer(), Some(&json!({"biography": "start"})))
        .await
        .expect(200);
    let start = before["version"].as_u64().expect("the owner sees the version");

    let replies = all_at_once(20, |i| {
        let (ctx, ana, path) = (ctx.clone(), ana.clone(), path.clone());
        let body = if i % 2 == 0 {
            json!({ "biography": format!("bio {i}") })
        } else {
            json!({ "picture": format!("https://example.com/{i}.png") })
        };
        async move { ctx.call("PATCH", &path, ana.bearer(), Some(&body)).await }
    })
    .await;
    assert_eq!(statuses(&replies), [(200, 20)].into_iter().collect(), "{replies:#?}");
    // Each edit applied on top of the one before: versions start+1 ..= start+20, once each.
    let mut answers: Vec<_> = replies.iter().map(|r| r.json()).collect();
    answers.sort_by_key(|a| a["version"].as_u64().unwrap());
    let versions: Vec<u64> = answers.iter().map(|a| a["version"].as_u64().unwrap()).collect();
    assert_eq!(versions, (start + 1..=start + 20).collect::<Vec<_>>());
    // The last answer is the final state, and it kept the other field's latest value.
    let last = answers.last().unwrap();
    let now = profile(&ctx, &bob, &ana.username).await;
    for field in ["biography", "picture", "rides_taken", "rides_offered", "reputation"] {
        assert_eq!(now[field], last[field], "{field}: {now} vs {last}");
    }
    // No lost update: from one version to the next exactly one field changed, and every value
    // sent was the state right after its own write.
    for pair in answers.windows(2) {
        let changed: Vec<&str> = ["biography", "picture"]
            .into_iter()
            .filter(|field| pair[0][*field] != pair[1][*field])
            .collect();
        assert_eq!(changed.len(), 1, "{} then {}", pair[0], pair[1]);
    }
    let states: Vec<(Value, Value)> = answers
        .iter()
        .map(|a| (a["biography"].clone(), a["picture"].clone()))
        .collect();
    for i in 0..20 {
        let sent = if i % 2 == 0 {
            states.iter().any(|(bio, _)| *bio == json!(format!("bio {i}")))
        } else {
            states
                .iter()
                .any(|(_, picture)| *picture == json!(format!("https://example.com/{i}.png")))
        };
        assert!(sent, "edit {i} is in no answer: {states:?}");
    }
    assert_eq!(
        (now["rides_taken"].clone(), now["rides_offered"].clone()),
        (json!(0), json!(0))
    );

    // A client that sends the version it read gets a 409 when it is stale.
    ctx.call(
        "PATCH",
        &path,
        ana.bearer(),
        Some(&json!({"biography": "stale", "version": start})),
    )
    .await
    .expect_problem(409, Some("modified by another request; read it again and retry"));
    let current = last["version"].as_u64().unwrap();
    let fresh = ctx
        .call(
            "PATCH",
            &path,
            ana.bearer(),
            Some(&json!({"biography": "fresh", "version": current})),
        )
        .await
        .expect(200);
    assert_eq!(
        (fresh["biography"].clone(), fresh["version"].clone()),
        (json!("fresh"), json!(current + 1))
    );
}
