//! Circles: create, read, list (search, filters, ordering, paging), admin-only edits with
//! read-only fields, the limited-circle rule, unique slugs, verify/unverify admin commands.

mod rides_support;

use andes_tests::support::{error_fields, json, query_escape, unique_tag, Ctx};
use rides_support::*;

#[tokio::test]
async fn creator_becomes_admin_with_ten_invitations() {
    let ctx = Ctx::new().await;
    let owner = user(&ctx).await;
    let slug = unique_slug("new");
    let circle = create_circle(&ctx, &owner, &slug, json!({"picture": "https://example.com/c.png"})).await;
    assert_eq!(circle["slug"], json!(slug));
    assert_eq!(circle["is_public"], json!(true));
    assert_eq!(circle["verified"], json!(false));
    assert_eq!(circle["is_limited"], json!(false));
    assert_eq!(circle["members_limit"], json!(null));
    assert_eq!(circle["members_count"], json!(1));
    let member = membership(&ctx, &owner, &slug, &owner.username).await;
    assert_eq!(member["is_admin"], json!(true));
    assert_eq!(member["remaining_invitations"], json!(10));
    assert_eq!(member["used_invitations"], json!(0));
    assert_eq!(member["is_active"], json!(true));

    // Any signed-in user reads it; the same slug cannot be taken twice.
    let other = user(&ctx).await;
    assert_eq!(circle_of(&ctx, &other, &slug).await["name"], circle["name"]);
    let again = ctx
        .call(
            "POST",
            "/rides/circles",
            other.bearer(),
            Some(&json!({"name": "Again", "slug": slug})),
        )
        .await;
    again.expect_problem(409, Some("circle with this slug already exists."));
    ctx.call("GET", &circles_path("no-such-circle-here"), other.bearer(), None)
        .await
        .expect_problem(404, None);
}

async fn circle_of(ctx: &Ctx, viewer: &User, slug: &str) -> andes_tests::support::Value {
    circle(ctx, viewer, slug).await
}

#[tokio::test]
async fn circle_bodies_are_validated() {
    let ctx = Ctx::new().await;
    let owner = user(&ctx).await;
    let post = |body| {
        let (ctx, owner) = (ctx.clone(), owner.clone());
        async move { ctx.call("POST", "/rides/circles", owner.bearer(), Some(&body)).await }
    };
    let limited = post(json!({"name": "L", "slug": unique_slug("l"), "is_limited": true}))
        .await
        .expect_invalid_field("members_limit");
    assert_eq!(
        limited["errors"][0]["message"],
        json!("If circle is limited, a member limit must be provided")
    );
    let unlimited = post(json!({"name": "L", "slug": unique_slug("l"), "members_limit": 50}))
        .await
        .expect_invalid_field("members_limit");
    assert_eq!(
        unlimited["errors"][0]["message"],
        json!("If circle is limited, a member limit must be provided")
    );
    post(json!({"name": "L", "slug": unique_slug("l"), "is_limited": true, "members_limit": 9}))
        .await
        .expect_invalid_field("members_limit");
    post(json!({"name": "L", "slug": unique_slug("l"), "is_limited": true, "members_limit": 32001}))
        .await
        .expect_invalid_field("members_limit");
    post(json!({"name": "L", "slug": "Not A Slug"}))
        .await
        .expect_invalid_field("slug");
    post(json!({"name": "L", "slug": format!("a{}", "b".repeat(40))}))
        .await
        .expect_invalid_field("slug");
    post(json!({"name": "x".repeat(141), "slug": unique_slug("l")}))
        .await
        .expect_invalid_field("name");
    post(json!({"name": "L", "slug": unique_slug("l"), "about": "x".repeat(256)}))
        .await
        .expect_invalid_field("about");
    post(json!({"name": "L", "slug": unique_slug("l"), "verified": true}))
        .await
        .expect_invalid_field("verified");
    let missing = post(json!({})).await.expect_problem(422, None);
    assert_eq!(error_fields(&missing), ["name", "slug"]);
    // Digits are fine in slugs (the seed's URL regex rejected them).
    let digits = format!("3340-{}", unique_tag());
    let made = post(json!({"name": "Grupo 3340", "slug": digits, "is_limited": true, "members_limit": 10}))
        .await
        .expect(201);
    assert_eq!(
        (made["is_limited"].clone(), made["members_limit"].clone()),
        (json!(true), json!(10))
    );
    ctx.call(
        "POST",
        "/rides/circles",
        None,
        Some(&json!({"name": "L", "slug": unique_slug("l")})),
    )
    .await
    .expect_gateway(401, "Unauthorized");
}

#[tokio::test]
async fn only_circle_admins_edit_and_counters_are_read_only() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 3).await;
    let (owner, member, outsider) = (&users[0], &users[1], &users[2]);
    let slug = circle_with_members(&ctx, owner, std::slice::from_ref(member), json!({})).await;
    let path = circles_path(&slug);

    ctx.call("PATCH", &path, member.bearer(), Some(&json!({"about": "mine now"})))
        .await
        .expect_problem(403, None);
    ctx.call("PATCH", &path, outsider.bearer(), Some(&json!({"about": "mine now"})))
        .await
        .expect_problem(403, None);
    for field in ["is_public", "verified", "rides_offered", "rides_taken", "slug"] {
        let value = if field == "slug" {
            json!("other")
        } else if field.starts_with("rides") {
            json!(5)
        } else {
            json!(true)
        };
        let reply = ctx
            .call("PATCH", &path, owner.bearer(), Some(&json!({ field: value })))
            .await;
        let body = reply.expect_invalid_field(field);
        assert_eq!(body["errors"][0]["message"], json!("is read-only"), "{body}");
    }
    let changed = ctx
        .call(
            "PATCH",
            &path,
            owner.bearer(),
            Some(&json!({"about": "Rides to CU", "is_limited": true, "members_limit": 40})),
        )
        .await
        .expect(200);
    assert_eq!(changed["about"], json!("Rides to CU"));
    assert_eq!(changed["members_limit"], json!(40));
    assert_eq!(changed["members_count"], json!(2), "counters survive edits: {changed}");
    let unlimited = ctx
        .call("PATCH", &path, owner.bearer(), Some(&json!({"is_limited": false})))
        .await
        .expect(200);
    assert_eq!(
        (unlimited["is_limited"].clone(), unlimited["members_limit"].clone()),
        (json!(false), json!(null))
    );
    ctx.call("PATCH", &path, owner.bearer(), Some(&json!({"members_limit": 40})))
        .await
        .expect_invalid_field("members_limit");
}

#[tokio::test]
async fn a_circle_cannot_be_limited_below_its_member_count() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 11).await;
    let owner = &users[0];
    // The owner and 10 members: 11.
    let slug = circle_with_members(&ctx, owner, &users[1..], json!({})).await;
    let path = circles_path(&slug);
    let refused = ctx
        .call(
            "PATCH",
            &path,
            owner.bearer(),
            Some(&json!({"is_limited": true, "members_limit": 10})),
        )
        .await
        .expect_invalid_field("members_limit");
    assert_eq!(
        refused["errors"][0]["message"],
        json!("members_limit must be at least the current members_count"),
        "{refused}"
    );
    let unchanged = circle(&ctx, owner, &slug).await;
    assert_eq!(
        (unchanged["is_limited"].clone(), unchanged["members_count"].clone()),
        (json!(false), json!(11)),
        "{unchanged}"
    );
    // Exactly the member count is fine; lowering it further is refused the same way.
    let limited = ctx
        .call(
            "PATCH",
            &path,
            owner.bearer(),
            Some(&json!({"is_limited": true, "members_limit": 11})),
        )
        .await
        .expect(200);
    assert_eq!(limited["members_limit"], json!(11));
    ctx.call("PATCH", &path, owner.bearer(), Some(&json!({"members_limit": 10})))
        .await
        .expect_invalid_field("members_limit");
    assert_eq!(circle(&ctx, owner, &slug).await["members_limit"], json!(11));
}

#[tokio::test]
async fn public_circles_are_searched_filtered_ordered_and_paged() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 3).await;
    let (owner, a, b) = (&users[0], &users[1], &users[2]);
    let tag = unique_tag();
    // Three public circles named after the tag (with 1, 2 and 3 members), one private.
    let small = format!("{tag}-small");
    let mid = format!("{tag}-mid");
    let big = format!("{tag}-big");
    create_circle(&ctx, owner, &small, json!({"name": format!("Zeta {tag}")})).await;
    create_circle(
        &ctx,
        owner,
        &mid,
        json!({"name": format!("Alpha {tag}"), "is_limited": true, "members_limit": 10}),
    )
    .await;
    create_circle(&ctx, owner, &big, json!({"name": format!("Mu {tag}")})).await;
    let mid_codes = codes(&ctx, owner, &mid).await;
    join(&ctx, a, &mid, &mid_codes[0]).await.expect(201);
    let big_codes = codes(&ctx, owner, &big).await;
    join(&ctx, a, &big, &big_codes[0]).await.expect(201);
    join(&ctx, b, &big, &big_codes[1]).await.expect(201);
    rides_admin_ok(&ctx, &["verify", &big]).await;

    let list = |query: String| {
        let (ctx, owner) = (ctx.clone(), owner.clone());
        async move {
            let page = ctx
                .call("GET", &format!("/rides/circles?{query}"), owner.bearer(), None)
                .await
                .expect(200);
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["slug"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // Default order: most members first (seed: -members__count, -rides_offered, -rides_taken).
    assert_eq!(
        list(format!("search={tag}")).await,
        [big.clone(), mid.clone(), small.clone()]
    );
    assert_eq!(
        list(format!("search={tag}&ordering=name")).await,
        [mid.clone(), big.clone(), small.clone()]
    );
    assert_eq!(
        list(format!("search={tag}&ordering=-name")).await,
        [small.clone(), big.clone(), mid.clone()]
    );
    assert_eq!(list(format!("search={tag}&verified=true")).await, [big.as_str()]);
    assert_eq!(
        list(format!("search={tag}&verified=false&ordering=name")).await,
        [mid.clone(), small.clone()]
    );
    assert_eq!(list(format!("search={tag}&is_limited=true")).await, [mid.as_str()]);
    assert_eq!(
        list(format!("search={}", query_escape(&format!("zeta {tag}")))).await,
        [small.as_str()]
    );
    assert_eq!(list(format!("search={tag}-mid")).await, [mid.as_str()]);

    // Paging: limit 2 then the cursor.
    let first = ctx
        .call(
            "GET",
            &format!("/rides/circles?search={tag}&limit=2"),
            owner.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_string();
    let second = ctx
        .call(
            "GET",
            &format!("/rides/circles?search={tag}&limit=2&cursor={}", query_escape(&cursor)),
            owner.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(second["items"][0]["slug"], json!(small));
    assert_eq!(second["next_cursor"], json!(null));

    ctx.call("GET", "/rides/circles?ordering=password", owner.bearer(), None)
        .await
        .expect_invalid_field("ordering");
    ctx.call("GET", "/rides/circles?verified=maybe", owner.bearer(), None)
        .await
        .expect_invalid_field("verified");
    ctx.call("GET", "/rides/circles?limit=500", owner.bearer(), None)
        .await
        .expect_invalid_field("limit");
    ctx.call("GET", "/rides/circles", None, None)
        .await
        .expect_gateway(401, "Unauthorized");
}

#[tokio::test]
async fn admin_commands_verify_and_unverify_circles() {
    let ctx = Ctx::new().await;
    let owner = user(&ctx).await;
    let slug = unique_slug("verify");
    create_circle(&ctx, &owner, &slug, json!({})).await;
    rides_admin_ok(&ctx, &["verify", &slug]).await;
    assert_eq!(circle(&ctx, &owner, &slug).await["verified"], json!(true));
    rides_admin_ok(&ctx, &["unverify", &slug]).await;
    assert_eq!(circle(&ctx, &owner, &slug).await["verified"], json!(false));
    let (ok, _, stderr) = rides_admin(&ctx, &["verify", "no-such-circle-anywhere"]).await;
    assert!(!ok && stderr.contains("no circle"), "{stderr}");
}

#[tokio::test]
async fn circle_lists_refuse_forged_foreign_and_overflowing_cursors() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let tag = unique_tag();
    for name in ["a", "b", "c"] {
        create_circle(&ctx, owner, &format!("{tag}-{name}"), json!({})).await;
    }
    let by_name = format!("/rides/circles?search={tag}&ordering=name&limit=1");
    for cursor in FORGED_CURSORS {
        expect_cursor_refused(&ctx, owner, &by_name, cursor).await;
    }
    let cursor = first_cursor(&ctx, owner, &by_name).await;
    // Another sort order, another search, another filter: each is another list.
    for other in [
        format!("/rides/circles?search={tag}&ordering=-name&limit=1"),
        format!("/rides/circles?search={tag}-a&ordering=name&limit=1"),
        format!("/rides/circles?search={tag}&ordering=name&verified=false&limit=1"),
    ] {
        expect_cursor_refused(&ctx, owner, &other, &cursor).await;
    }
    // A cursor of another kind of list.
    let slug = circle_with_members(&ctx, owner, std::slice::from_ref(member), json!({})).await;
    let members = first_cursor(&ctx, owner, &format!("/rides/circles/{slug}/members?limit=1")).await;
    expect_cursor_refused(&ctx, owner, &by_name, &members).await;
    // Its own cursor pages on.
    let second = ctx
        .call(
            "GET",
            &format!("{by_name}&cursor={}", query_escape(&cursor)),
            owner.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(second["items"][0]["slug"], json!(format!("{tag}-b")), "{second}");
}

#[tokio::test]
async fn circle_texts_refuse_control_characters() {
    let ctx = Ctx::new().await;
    let owner = user(&ctx).await;
    let slug = unique_slug("ctl");
    for (field, bad) in [
        ("name", "Nul \u{0} circle"),
        ("name", "Bidi \u{202E}elcric"),
        ("about", "bell \u{7}"),
        ("about", "escape \u{1b}[2J"),
        ("about", "c1 \u{9b}"),
    ] {
        let mut body = json!({ "name": "Fine", "slug": slug });
        body[field] = json!(bad);
        ctx.call("POST", "/rides/circles", owner.bearer(), Some(&body))
            .await
            .expect_invalid_field(field);
    }
    let about = "Line one\nline two\twith a tab";
    let created = create_circle(&ctx, &owner, &slug, json!({ "about": about })).await;
    assert_eq!(created["about"], json!(about));
    for (field, bad) in [
        ("name", "x\u{0}"),
        ("about", "\u{2066}isolate"),
        ("picture", "https://a.test/\u{0}"),
    ] {
        ctx.call(
            "PATCH",
            &circles_path(&slug),
            owner.bearer(),
            Some(&json!({ field: bad })),
        )
        .await
        .expect_invalid_field(field);
    }
    assert_eq!(circle(&ctx, &owner, &slug).await["about"], json!(about));
}
