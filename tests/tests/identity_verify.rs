//! POST /identity/verify refuses every token but a live one signed by the platform.

use andes_tests::support::{access_claims, now_secs, sign_jwt, verification_claims, Ctx, NewUser, FORGED_SECRET};

const DAY: i64 = 24 * 3600;

/// A fresh unverified account's id.
async fn unverified_account(ctx: &Ctx) -> (NewUser, String) {
    let user = NewUser::random();
    let account = ctx.create_account(&user).await;
    (user, account["id"].as_str().expect("account id").to_string())
}

/// The account is still not verified.
async fn assert_still_unverified(ctx: &Ctx, user: &NewUser) {
    ctx.login(&user.email, &user.password)
        .await
        .expect_problem(403, Some("Account is not active yet"));
}

#[tokio::test]
async fn expired_verification_token_is_refused() {
    let ctx = Ctx::new().await;
    let (user, id) = unverified_account(&ctx).await;
    let now = now_secs();
    // Expired a day ago: well past any clock leeway.
    let token = sign_jwt(
        ctx.env.jwt_secret(),
        &verification_claims(&id, now - 4 * DAY, now - DAY),
    );
    ctx.verify(&token)
        .await
        .expect_problem(400, Some("Verification link has expired."));
    assert_still_unverified(&ctx, &user).await;
}

#[tokio::test]
async fn forged_verification_token_is_invalid() {
    let ctx = Ctx::new().await;
    let (user, id) = unverified_account(&ctx).await;
    let now = now_secs();
    let token = sign_jwt(FORGED_SECRET, &verification_claims(&id, now, now + 3 * DAY));
    ctx.verify(&token).await.expect_problem(400, Some("Invalid token"));
    assert_still_unverified(&ctx, &user).await;
}

#[tokio::test]
async fn access_token_is_not_a_verification_token() {
    let ctx = Ctx::new().await;
    let (user, id) = unverified_account(&ctx).await;
    let now = now_secs();
    let secret = ctx.env.jwt_secret();

    let access = sign_jwt(secret, &access_claims(&id, &["user"], now, now + 3600));
    ctx.verify(&access).await.expect_problem(400, Some("Invalid token"));

    let mut untyped = verification_claims(&id, now, now + 3600);
    untyped.as_object_mut().unwrap().remove("type");
    ctx.verify(&sign_jwt(secret, &untyped))
        .await
        .expect_problem(400, Some("Invalid token"));

    assert_still_unverified(&ctx, &user).await;
}

#[tokio::test]
async fn real_access_token_from_login_is_not_a_verification_token() {
    let ctx = Ctx::new().await;
    let (_, session) = ctx.new_session().await;
    ctx.verify(&session.access_token)
        .await
        .expect_problem(400, Some("Invalid token"));
}

#[tokio::test]
async fn garbage_verification_tokens_are_invalid() {
    let ctx = Ctx::new().await;
    for token in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        ctx.verify(token).await.expect_problem(400, Some("Invalid token"));
    }
}
