//! Revocation: a role grant or revocation and a password change end every access token issued
//! before them within 30 s on every route; a new login works at once.

use std::time::{Duration, Instant};

use andes_tests::support::{json, Ctx, NewUser, Session};

/// The spec's bound (30 s of authorizer cache) and a margin for the request itself.
const REVOCATION_DEADLINE: Duration = Duration::from_secs(35);
const ADMIN_ROUTE: &str = "/infractions/admin/persons";

/// Polls `method path` with `token` until it is refused with 403, within the deadline counted
/// from `since` (the change). Each warm authorizer instance caches on its own, so every route is
/// polled: one refusal does not mean the next request reaches an instance that knows.
async fn wait_refused(ctx: &Ctx, since: Instant, method: &str, path: &str, token: &str) {
    let body = (method != "GET").then(|| json!({}));
    loop {
        let reply = ctx.call(method, path, Some(token), body.as_ref()).await;
        if reply.status == 403 {
            reply.expect_gateway(403, "Forbidden");
            return;
        }
        assert!(
            reply.status < 400 || reply.status == 422,
            "{method} {path} before revocation: {} {}",
            reply.status,
            reply.text
        );
        assert!(
            since.elapsed() < REVOCATION_DEADLINE,
            "{method} {path} with an ended session still answers {} after {REVOCATION_DEADLINE:?}",
            reply.status
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_revoked_admins_old_token_is_refused_everywhere_within_35_seconds() {
    let ctx = Ctx::new().await;
    let (user, _) = ctx.new_session().await;
    ctx.admin(&["grant-role", "--email", &user.email, "--role", "admin"])
        .await;
    let admin: Session = ctx.login_session(&user.email, &user.password).await;
    ctx.call("GET", ADMIN_ROUTE, Some(&admin.access_token), None)
        .await
        .expect(200);

    let revoked = Instant::now();
    let output = ctx
        .admin(&["revoke-role", "--email", &user.email, "--role", "admin"])
        .await;
    assert!(output.contains("must log in again"), "{output}");
    for (method, path) in [("GET", ADMIN_ROUTE), ("POST", ADMIN_ROUTE), ("GET", "/identity/me")] {
        wait_refused(&ctx, revoked, method, path, &admin.access_token).await;
    }

    // A new login works at once, with the roles the account has now.
    let again = ctx.login_session(&user.email, &user.password).await;
    let me = ctx.me(Some(&again.access_token)).await.expect(200);
    assert_eq!(me["roles"], json!(["user"]), "{me}");
    ctx.call("GET", ADMIN_ROUTE, Some(&again.access_token), None)
        .await
        .expect_gateway(403, "Forbidden");
}

#[tokio::test]
async fn a_granted_role_ends_earlier_tokens_and_the_next_login_carries_it() {
    let ctx = Ctx::new().await;
    let (user, session) = ctx.new_session().await;
    ctx.me(Some(&session.access_token)).await.expect(200);
    let granted = Instant::now();
    ctx.admin(&["grant-role", "--email", &user.email, "--role", "admin"])
        .await;
    wait_refused(&ctx, granted, "GET", "/identity/me", &session.access_token).await;
    let admin = ctx.login_session(&user.email, &user.password).await;
    ctx.call("GET", ADMIN_ROUTE, Some(&admin.access_token), None)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_password_change_ends_earlier_tokens_and_the_new_password_logs_in_at_once() {
    let ctx = Ctx::new().await;
    let user = NewUser::random();
    let session = ctx.verified_session(&user).await;
    let other_session = ctx.login_session(&user.email, &user.password).await;
    ctx.me(Some(&other_session.access_token)).await.expect(200);

    let new_password = format!("{}-changed", user.password);
    let changed = Instant::now();
    ctx.call(
        "PATCH",
        "/identity/me",
        Some(&session.access_token),
        Some(&json!({"password": new_password, "current_password": user.password})),
    )
    .await
    .expect(200);

    let fresh = ctx.login_session(&user.email, &new_password).await;
    ctx.me(Some(&fresh.access_token)).await.expect(200);
    ctx.login(&user.email, &user.password)
        .await
        .expect_problem(401, Some("Invalid credentials"));

    for old in [&session.access_token, &other_session.access_token] {
        wait_refused(&ctx, changed, "GET", "/identity/me", old).await;
    }
    ctx.me(Some(&fresh.access_token)).await.expect(200);
}

#[tokio::test]
async fn a_name_change_ends_no_session() {
    let ctx = Ctx::new().await;
    let (_, session) = ctx.new_session().await;
    ctx.call(
        "PATCH",
        "/identity/me",
        Some(&session.access_token),
        Some(&json!({"name": "Renamed User"})),
    )
    .await
    .expect(200);
    let me = ctx.me(Some(&session.access_token)).await.expect(200);
    assert_eq!(me["name"], "Renamed User");
}
