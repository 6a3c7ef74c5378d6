//! Steps shared by the `rides_*` end-to-end tests (seed 000): signed-in users, circles with
//! members joined through real invitation codes, rides, admin commands and schedules.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use andes_tests::support::{json, unique_tag, Ctx, Reply, Session, Value, POLL_INTERVAL};
use chrono::{SecondsFormat, Utc};

/// Bound for an S3-triggered import to write its report.
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(90);

/// A signed-in rides user.
#[derive(Clone, Debug)]
pub struct User {
    pub username: String,
    pub token: String,
    pub session: Session,
}

impl User {
    pub fn bearer(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// A fresh verified, logged-in account.
pub async fn user(ctx: &Ctx) -> User {
    let (new, session) = ctx.new_session().await;
    User {
        username: new.username.clone(),
        token: session.access_token.clone(),
        session,
    }
}

/// `n` fresh users, signed up concurrently.
pub async fn users(ctx: &Ctx, n: usize) -> Vec<User> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let ctx = ctx.clone();
        tasks.spawn(async move { user(&ctx).await });
    }
    let mut all = Vec::with_capacity(n);
    while let Some(user) = tasks.join_next().await {
        all.push(user.expect("signup task"));
    }
    all
}

/// A slug nobody else uses.
pub fn unique_slug(prefix: &str) -> String {
    format!("{prefix}-{}", unique_tag())
}

pub fn circles_path(slug: &str) -> String {
    format!("/rides/circles/{slug}")
}

/// Creates a circle (201) with `extra` fields merged into `{name, slug, about}`.
pub async fn create_circle(ctx: &Ctx, owner: &User, slug: &str, extra: Value) -> Value {
    let mut body = json!({ "name": format!("Circle {slug}"), "slug": slug, "about": "e2e test circle" });
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        body[key] = value;
    }
    ctx.call("POST", "/rides/circles", owner.bearer(), Some(&body))
        .await
        .expect(201)
}

pub async fn invitations(ctx: &Ctx, member: &User, slug: &str) -> Value {
    let path = format!("/rides/circles/{slug}/members/{}/invitations", member.username);
    ctx.call("GET", &path, member.bearer(), None).await.expect(200)
}

/// The member's unused codes (topped up to their remaining invitations).
pub async fn codes(ctx: &Ctx, member: &User, slug: &str) -> Vec<String> {
    let answer = invitations(ctx, member, slug).await;
    answer["invitations"]
        .as_array()
        .unwrap_or_else(|| panic!("invitations answer without a list: {answer}"))
        .iter()
        .map(|c| c.as_str().expect("code is a string").to_string())
        .collect()
}

pub async fn join(ctx: &Ctx, user: &User, slug: &str, code: &str) -> Reply {
    ctx.call(
        "POST",
        &format!("/rides/circles/{slug}/members"),
        user.bearer(),
        Some(&json!({ "invitation_code": code })),
    )
    .await
}

/// A circle owned by `owner` with `members` joined through the owner's codes.
pub async fn circle_with_members(ctx: &Ctx, owner: &User, members: &[User], extra: Value) -> String {
    let slug = unique_slug("c");
    create_circle(ctx, owner, &slug, extra).await;
    let codes = codes(ctx, owner, &slug).await;
    assert!(
        codes.len() >= members.len(),
        "owner has {} codes for {} members",
        codes.len(),
        members.len()
    );
    for (member, code) in members.iter().zip(codes) {
        join(ctx, member, &slug, &code).await.expect(201);
    }
    slug
}

pub async fn membership(ctx: &Ctx, viewer: &User, slug: &str, username: &str) -> Value {
    ctx.call(
        "GET",
        &format!("/rides/circles/{slug}/members/{username}"),
        viewer.bearer(),
        None,
    )
    .await
    .expect(200)
}

pub async fn circle(ctx: &Ctx, viewer: &User, slug: &str) -> Value {
    ctx.call("GET", &circles_path(slug), viewer.bearer(), None)
        .await
        .expect(200)
}

pub async fn profile(ctx: &Ctx, viewer: &User, username: &str) -> Value {
    ctx.call(
        "GET",
        &format!("/rides/users/{username}/profile"),
        viewer.bearer(),
        None,
    )
    .await
    .expect(200)
}

/// `minutes` from now, RFC 3339 UTC.
pub fn in_minutes(minutes: i64) -> String {
    (Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn ride_body(seats: i64, depart_in: i64, arrive_in: i64) -> Value {
    json!({
        "available_seats": seats,
        "comments": "e2e ride",
        "departure_location": "Ciudad Universitaria",
        "departure_date": in_minutes(depart_in),
        "arrival_location": "Santa Fe",
        "arrival_date": in_minutes(arrive_in),
    })
}

pub fn rides_path(slug: &str) -> String {
    format!("/rides/circles/{slug}/rides")
}

pub fn ride_path(slug: &str, id: &str) -> String {
    format!("/rides/circles/{slug}/rides/{id}")
}

/// Offers a ride (201): leaves in 30 minutes, arrives in 2 hours (outside the
/// deactivation window, whenever the platform's schedule fires).
pub async fn offer_ride(ctx: &Ctx, driver: &User, slug: &str, seats: i64) -> Value {
    ctx.call(
        "POST",
        &rides_path(slug),
        driver.bearer(),
        Some(&ride_body(seats, 30, 120)),
    )
    .await
    .expect(201)
}

pub fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_string()
}

/// Fires a function's schedule now through the local platform; answers the function's result.
pub async fn fire_schedule(ctx: &Ctx, function: &str) -> Value {
    ctx.call("POST", &format!("/_local/schedules/{function}"), None, None)
        .await
        .expect(200)
}

/// Runs `rides-admin` with the env file's variables; returns (success, stdout, stderr).
pub async fn rides_admin(ctx: &Ctx, args: &[&str]) -> (bool, String, String) {
    ctx.run_admin("rides-admin", args).await
}

pub async fn rides_admin_ok(ctx: &Ctx, args: &[&str]) -> String {
    ctx.admin_ok("rides-admin", args).await
}

/// Reads an object of a bucket as bytes (`None` if it does not exist).
pub async fn object(ctx: &Ctx, bucket: &str, key: &str) -> Option<Vec<u8>> {
    let object = ctx.s3.get_object().bucket(bucket).key(key).send().await.ok()?;
    Some(object.body.collect().await.expect("read object").into_bytes().to_vec())
}

/// Uploads a CSV to the imports bucket and waits for its report.
pub async fn upload_and_wait_report(ctx: &Ctx, key: &str, csv: Vec<u8>) -> Value {
    let bucket = ctx.env.var("RIDES_IMPORTS_BUCKET");
    let report_key = format!("{key}.report.json");
    ctx.s3
        .delete_object()
        .bucket(bucket)
        .key(&report_key)
        .send()
        .await
        .expect("delete old report");
    ctx.s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(csv.into())
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload {key}: {e:?}"));
    let deadline = Instant::now() + IMPORT_TIMEOUT;
    loop {
        if let Some(bytes) = object(ctx, bucket, &report_key).await {
            return serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("report {report_key} is not JSON: {e}"));
        }
        assert!(
            Instant::now() < deadline,
            "no import report at {report_key} after {IMPORT_TIMEOUT:?}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Counts replies by status.
pub fn statuses(replies: &[Reply]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for reply in replies {
        *counts.entry(reply.status).or_insert(0) += 1;
    }
    counts
}

/// Moves a ride's departure `minutes` into the past, straight in the table: the API never
/// accepts a departure that close, and tests do not wait for one.
pub async fn backdate_departure(ctx: &Ctx, slug: &str, ride_id: &str, minutes: i64) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let departure = (Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Millis, true);
    ctx.dynamodb
        .update_item()
        .table_name(ctx.env.var("RIDES_TABLE"))
        .key("pk", AttributeValue::S(format!("CIRCLE#{slug}")))
        .key("sk", AttributeValue::S(format!("RIDE#{ride_id}")))
        .update_expression("SET departure_date = :d")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":d", AttributeValue::S(departure))
        .send()
        .await
        .unwrap_or_else(|e| panic!("backdate ride {ride_id}: {e:?}"));
}

/// Cursors no rides list hands out: empty JSON, an offset past u64 in the old
/// `offset:N` format, and text that is not base64 JSON.
pub const FORGED_CURSORS: [&str; 3] = ["e30", "b2Zmc2V0OjE4NDQ2NzQ0MDczNzA5NTUxNjE1", "not-a-cursor"];

/// Asserts that `list` (a list path, with or without a query) answers `cursor` with a 422
/// naming `cursor`, never a 500.
pub async fn expect_cursor_refused(ctx: &Ctx, viewer: &User, list: &str, cursor: &str) {
    let separator = if list.contains('?') { '&' } else { '?' };
    let path = format!("{list}{separator}cursor={}", andes_tests::support::query_escape(cursor));
    ctx.call("GET", &path, viewer.bearer(), None)
        .await
        .expect_invalid_field("cursor");
}

/// The `next_cursor` of the first page of `list` (which must have one).
pub async fn first_cursor(ctx: &Ctx, viewer: &User, list: &str) -> String {
    let page = ctx.call("GET", list, viewer.bearer(), None).await.expect(200);
    page["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("{list}: no next page: {page}"))
        .to_string()
}
