//! Rides: offering (validation and counters), listing (filters, search, ordering), editing,
//! joining, finishing and rating, with every error message and permission of the spec.

mod rides_support;

use andes_tests::support::{json, query_escape, Ctx, Value};
use rides_support::*;

async fn counters(ctx: &Ctx, viewer: &User, slug: &str, username: &str) -> (Value, Value, Value) {
    let circle = circle(ctx, viewer, slug).await;
    let member = membership(ctx, viewer, slug, username).await;
    let profile = profile(ctx, viewer, username).await;
    (circle, member, profile)
}

#[tokio::test]
async fn offering_a_ride_is_validated_and_counted() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 3).await;
    let (driver, member, outsider) = (&users[0], &users[1], &users[2]);
    let slug = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    let rides = rides_path(&slug);
    let post = |user: &User, body: Value| {
        let (ctx, user, rides) = (ctx.clone(), user.clone(), rides.clone());
        async move { ctx.call("POST", &rides, user.bearer(), Some(&body)).await }
    };

    let soon = post(driver, ride_body(3, 5, 60))
        .await
        .expect_invalid_field("departure_date");
    assert_eq!(
        soon["errors"][0]["message"],
        json!("Departure time must be at least pass the next 20 minutes window.")
    );
    let backwards = post(driver, ride_body(3, 60, 30))
        .await
        .expect_invalid_field("arrival_date");
    assert_eq!(
        backwards["errors"][0]["message"],
        json!("Departure date must happen after arrival date.")
    );
    post(driver, ride_body(0, 30, 60))
        .await
        .expect_invalid_field("available_seats");
    post(driver, ride_body(16, 30, 60))
        .await
        .expect_invalid_field("available_seats");
    let mut for_other = ride_body(3, 30, 60);
    for_other["offered_by"] = json!(member.username);
    let on_behalf = post(driver, for_other).await.expect_invalid_field("offered_by");
    assert_eq!(
        on_behalf["errors"][0]["message"],
        json!("Rides offered on behalf of others are not allowed.")
    );
    post(outsider, ride_body(3, 30, 120))
        .await
        .expect_problem(403, Some("User is not an active member of the circle."));

    let ride = post(driver, ride_body(3, 30, 120)).await.expect(201);
    assert_eq!(ride["offered_by"], json!(driver.username));
    assert_eq!(ride["available_seats"], json!(3));
    assert_eq!(ride["passengers"], json!([]));
    assert_eq!(ride["rating"], json!(null));
    assert_eq!(ride["is_active"], json!(true));
    let (circle, membership, profile) = counters(&ctx, driver, &slug, &driver.username).await;
    assert_eq!(
        (
            circle["rides_offered"].clone(),
            membership["rides_offered"].clone(),
            profile["rides_offered"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
    let read = ctx
        .call("GET", &ride_path(&slug, &id(&ride)), member.bearer(), None)
        .await
        .expect(200);
    assert_eq!(read["id"], ride["id"]);
    ctx.call("GET", &ride_path(&slug, &id(&ride)), outsider.bearer(), None)
        .await
        .expect_problem(403, None);
    ctx.call("GET", &ride_path(&slug, "no-such-ride"), member.bearer(), None)
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn listed_rides_are_upcoming_searchable_and_ordered() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 3).await;
    let (driver, member, outsider) = (&users[0], &users[1], &users[2]);
    let slug = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    let rides = rides_path(&slug);
    let mut late = ride_body(2, 90, 150);
    late["arrival_location"] = json!("Polanco");
    let late = ctx.call("POST", &rides, driver.bearer(), Some(&late)).await.expect(201);
    let early = ctx
        .call("POST", &rides, member.bearer(), Some(&ride_body(4, 40, 100)))
        .await
        .expect(201);
    let full = ctx
        .call("POST", &rides, driver.bearer(), Some(&ride_body(1, 50, 120)))
        .await
        .expect(201);
    ctx.call(
        "POST",
        &format!("{}/join", ride_path(&slug, &id(&full))),
        member.bearer(),
        None,
    )
    .await
    .expect(200);

    let list = |query: &str| {
        let (ctx, member, path) = (ctx.clone(), member.clone(), format!("{rides}?{query}"));
        async move {
            let page = ctx.call("GET", &path, member.bearer(), None).await.expect(200);
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // The full ride is not listed; default order is by departure.
    assert_eq!(list("").await, [id(&early), id(&late)]);
    assert_eq!(list("ordering=-available_seats").await, [id(&early), id(&late)]);
    assert_eq!(list("ordering=available_seats").await, [id(&late), id(&early)]);
    assert_eq!(list("search=polanco").await, [id(&late)]);
    assert_eq!(list("search=universitaria").await, [id(&early), id(&late)]);
    ctx.call("GET", &format!("{rides}?ordering=comments"), member.bearer(), None)
        .await
        .expect_invalid_field("ordering");
    ctx.call("GET", &rides, outsider.bearer(), None)
        .await
        .expect_problem(403, None);
}

#[tokio::test]
async fn only_the_owner_edits_a_ride_before_it_leaves() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (driver, member) = (&users[0], &users[1]);
    let slug = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    let ride = offer_ride(&ctx, driver, &slug, 3).await;
    let path = ride_path(&slug, &id(&ride));

    ctx.call("PATCH", &path, member.bearer(), Some(&json!({"comments": "mine"})))
        .await
        .expect_problem(403, None);
    let changed = ctx
        .call(
            "PATCH",
            &path,
            driver.bearer(),
            Some(&json!({"available_seats": 5, "comments": "Two stops"})),
        )
        .await
        .expect(200);
    assert_eq!(
        (changed["available_seats"].clone(), changed["comments"].clone()),
        (json!(5), json!("Two stops"))
    );
    ctx.call(
        "PATCH",
        &path,
        driver.bearer(),
        Some(&json!({"arrival_date": in_minutes(20)})),
    )
    .await
    .expect_invalid_field("arrival_date");
    ctx.call(
        "PATCH",
        &path,
        driver.bearer(),
        Some(&json!({"departure_date": in_minutes(2)})),
    )
    .await
    .expect_invalid_field("departure_date");
    ctx.call(
        "PATCH",
        &path,
        driver.bearer(),
        Some(&json!({"offered_by": member.username})),
    )
    .await
    .expect_invalid_field("offered_by");
}

#[tokio::test]
async fn joining_a_ride_takes_a_seat_and_counts() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 4).await;
    let (driver, a, b, outsider) = (&users[0], &users[1], &users[2], &users[3]);
    let slug = circle_with_members(&ctx, driver, &[a.clone(), b.clone()], json!({})).await;
    let ride = offer_ride(&ctx, driver, &slug, 1).await;
    let join_path = format!("{}/join", ride_path(&slug, &id(&ride)));

    ctx.call("POST", &join_path, driver.bearer(), None)
        .await
        .expect_problem(403, None);
    ctx.call("POST", &join_path, outsider.bearer(), None)
        .await
        .expect_problem(403, None);
    let joined = ctx.call("POST", &join_path, a.bearer(), None).await.expect(200);
    assert_eq!(joined["available_seats"], json!(0));
    assert_eq!(joined["passengers"], json!([a.username]));
    ctx.call("POST", &join_path, a.bearer(), None)
        .await
        .expect_problem(409, Some("Ride is already full!"));
    ctx.call("POST", &join_path, b.bearer(), None)
        .await
        .expect_problem(409, Some("Ride is already full!"));
    let (circle, membership, profile) = counters(&ctx, a, &slug, &a.username).await;
    assert_eq!(
        (
            circle["rides_taken"].clone(),
            membership["rides_taken"].clone(),
            profile["rides_taken"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );

    // With a free seat, joining twice is refused with the seed's message.
    let roomy = offer_ride(&ctx, driver, &slug, 3).await;
    let roomy_join = format!("{}/join", ride_path(&slug, &id(&roomy)));
    ctx.call("POST", &roomy_join, b.bearer(), None).await.expect(200);
    ctx.call("POST", &roomy_join, b.bearer(), None)
        .await
        .expect_problem(409, Some("Passenger is already in this trip"));
}

#[tokio::test]
async fn finished_rides_cannot_be_joined_but_can_be_rated() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 4).await;
    let (driver, a, b, c) = (&users[0], &users[1], &users[2], &users[3]);
    let slug = circle_with_members(&ctx, driver, &[a.clone(), b.clone(), c.clone()], json!({})).await;
    let ride = offer_ride(&ctx, driver, &slug, 3).await;
    let path = ride_path(&slug, &id(&ride));
    ctx.call("POST", &format!("{path}/join"), a.bearer(), None)
        .await
        .expect(200);
    ctx.call("POST", &format!("{path}/join"), b.bearer(), None)
        .await
        .expect(200);

    // Finishing before departure is refused, and only the owner may finish.
    ctx.call("POST", &format!("{path}/finish"), driver.bearer(), None)
        .await
        .expect_problem(409, Some("Ride has not started yet"));
    ctx.call("POST", &format!("{path}/finish"), a.bearer(), None)
        .await
        .expect_problem(403, None);

    // Rating: passengers only, once each; the average has one decimal.
    let rate = |user: &User, body: Value| {
        let (ctx, user, path) = (ctx.clone(), user.clone(), format!("{path}/rate"));
        async move { ctx.call("POST", &path, user.bearer(), Some(&body)).await }
    };
    rate(c, json!({"rating": 5}))
        .await
        .expect_problem(403, Some("User is not a passenger"));
    rate(driver, json!({"rating": 5}))
        .await
        .expect_problem(403, Some("User is not a passenger"));
    rate(a, json!({"rating": 6})).await.expect_invalid_field("rating");
    let first = rate(a, json!({"rating": 5, "comments": "great"})).await.expect(201);
    assert_eq!(first["rating"], json!(5.0));
    rate(a, json!({"rating": 1}))
        .await
        .expect_problem(409, Some("Rating have already been emitted!"));
    let second = rate(b, json!({"rating": 4})).await.expect(201);
    assert_eq!(second["rating"], json!(4.5));
    assert_eq!(profile(&ctx, c, &driver.username).await["reputation"], json!(4.5));

    // The driver's reputation averages every rating received, across rides.
    let other = offer_ride(&ctx, driver, &slug, 2).await;
    let other_path = ride_path(&slug, &id(&other));
    ctx.call("POST", &format!("{other_path}/join"), c.bearer(), None)
        .await
        .expect(200);
    ctx.call(
        "POST",
        &format!("{other_path}/rate"),
        c.bearer(),
        Some(&json!({"rating": 2})),
    )
    .await
    .expect(201);
    // (5 + 4 + 2) / 3 = 3.67 → 3.7
    assert_eq!(profile(&ctx, a, &driver.username).await["reputation"], json!(3.7));
}

#[tokio::test]
async fn rides_of_a_missing_circle_are_not_found() {
    let ctx = Ctx::new().await;
    let driver = user(&ctx).await;
    ctx.call("GET", &rides_path("no-such-circle-r"), driver.bearer(), None)
        .await
        .expect_problem(404, None);
    ctx.call(
        "POST",
        &rides_path("no-such-circle-r"),
        driver.bearer(),
        Some(&ride_body(2, 30, 90)),
    )
    .await
    .expect_problem(404, None);
    ctx.call("GET", &rides_path("no-such-circle-r"), None, None)
        .await
        .expect_gateway(401, "Unauthorized");
}

#[tokio::test]
async fn rides_that_left_are_closed_to_joins_and_edits_and_can_be_finished_and_rated() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 3).await;
    let (driver, a, b) = (&users[0], &users[1], &users[2]);
    let slug = circle_with_members(&ctx, driver, &[a.clone(), b.clone()], json!({})).await;
    let ride = offer_ride(&ctx, driver, &slug, 3).await;
    let path = ride_path(&slug, &id(&ride));
    ctx.call("POST", &format!("{path}/join"), a.bearer(), None)
        .await
        .expect(200);
    backdate_departure(&ctx, &slug, &id(&ride), 5).await;

    ctx.call("POST", &format!("{path}/join"), b.bearer(), None)
        .await
        .expect_problem(409, Some("You can't join this ride now"));
    ctx.call("PATCH", &path, driver.bearer(), Some(&json!({"comments": "late"})))
        .await
        .expect_problem(409, Some("Ongoing rides cannot be modified."));
    ctx.call("POST", &format!("{path}/finish"), a.bearer(), None)
        .await
        .expect_problem(403, None);
    let finished = ctx
        .call("POST", &format!("{path}/finish"), driver.bearer(), None)
        .await
        .expect(200);
    assert_eq!(finished["is_active"], json!(false));
    // Rating works on finished rides (the seed's did not).
    let rated = ctx
        .call("POST", &format!("{path}/rate"), a.bearer(), Some(&json!({"rating": 3})))
        .await
        .expect(201);
    assert_eq!(rated["rating"], json!(3.0));
    ctx.call("POST", &format!("{path}/join"), b.bearer(), None)
        .await
        .expect_problem(409, Some("You can't join this ride now"));
    let listed = ctx.call("GET", &rides_path(&slug), a.bearer(), None).await.expect(200);
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != ride["id"]),
        "{listed}"
    );
}

#[tokio::test]
async fn ride_lists_refuse_forged_foreign_and_overflowing_cursors() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (driver, member) = (&users[0], &users[1]);
    let slug = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    let other = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    for circle in [&slug, &other] {
        offer_ride(&ctx, driver, circle, 2).await;
        offer_ride(&ctx, driver, circle, 3).await;
    }
    let list = format!("{}?limit=1", rides_path(&slug));
    for cursor in FORGED_CURSORS {
        expect_cursor_refused(&ctx, member, &list, cursor).await;
    }
    let own = first_cursor(&ctx, member, &list).await;
    // The same list of another circle, another order, another search, another kind of list.
    let foreign = [
        first_cursor(&ctx, member, &format!("{}?limit=1", rides_path(&other))).await,
        first_cursor(&ctx, member, &format!("{list}&ordering=-available_seats")).await,
        first_cursor(&ctx, member, &format!("{list}&search=santa")).await,
        first_cursor(&ctx, member, &format!("/rides/circles/{slug}/members?limit=1")).await,
    ];
    for cursor in &foreign {
        expect_cursor_refused(&ctx, member, &list, cursor).await;
    }
    let second = ctx
        .call(
            "GET",
            &format!("{list}&cursor={}", query_escape(&own)),
            member.bearer(),
            None,
        )
        .await
        .expect(200);
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert_eq!(second["next_cursor"], json!(null), "{second}");
}

#[tokio::test]
async fn ride_texts_refuse_control_characters() {
    let ctx = Ctx::new().await;
    let users = users(&ctx, 2).await;
    let (driver, member) = (&users[0], &users[1]);
    let slug = circle_with_members(&ctx, driver, std::slice::from_ref(member), json!({})).await;
    for (field, bad) in [
        ("comments", "nul \u{0}"),
        ("comments", "\u{202E}gnirts"),
        ("departure_location", "bell\u{7}"),
        ("arrival_location", "c1\u{85}"),
    ] {
        let mut body = ride_body(2, 30, 120);
        body[field] = json!(bad);
        ctx.call("POST", &rides_path(&slug), driver.bearer(), Some(&body))
            .await
            .expect_invalid_field(field);
    }
    let mut body = ride_body(2, 30, 120);
    body["comments"] = json!("Two bags\nno pets\tthanks");
    let ride = ctx
        .call("POST", &rides_path(&slug), driver.bearer(), Some(&body))
        .await
        .expect(201);
    assert_eq!(ride["comments"], body["comments"]);
    let path = ride_path(&slug, &id(&ride));
    ctx.call(
        "PATCH",
        &path,
        driver.bearer(),
        Some(&json!({"comments": "esc \u{1b}"})),
    )
    .await
    .expect_invalid_field("comments");
    ctx.call("POST", &format!("{path}/join"), member.bearer(), None)
        .await
        .expect(200);
    ctx.call(
        "POST",
        &format!("{path}/rate"),
        member.bearer(),
        Some(&json!({"rating": 5, "comments": "great \u{0}"})),
    )
    .await
    .expect_invalid_field("comments");
    ctx.call(
        "POST",
        &format!("{path}/rate"),
        member.bearer(),
        Some(&json!({"rating": 5, "comments": "great\nride"})),
    )
    .await
    .expect(201);
}
