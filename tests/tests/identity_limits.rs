//! Abuse limits of identity at their fixed figures: the login lockout (5 consecutive failures
//! lock an email for 1 min, the right password too) and `POST /identity/verify/resend`
//! (always 202; one confirmation per address and minute). The per-address signup limit is a
//! template parameter, tested at its real figure in `abuse_limits_per_address.rs`.

use std::time::Duration;

use andes_tests::support::{json, Ctx, NewUser};

const LOCKED: &str = "Too many failed logins";

async fn fail_logins(ctx: &Ctx, email: &str, times: usize) {
    for attempt in 1..=times {
        let reply = ctx.login(email, "wrong-password-1").await;
        assert_eq!(reply.status, 401, "failed login {attempt}: {}", reply.text);
    }
}

#[tokio::test]
async fn the_right_password_is_refused_during_a_lockout_and_accepted_after_it() {
    let ctx = Ctx::new().await;
    let (user, _) = ctx.new_session().await;
    fail_logins(&ctx, &user.email, 5).await;

    let refused = ctx.login(&user.email, &user.password).await;
    let wait = refused.expect_too_many(LOCKED, 60);
    // Refused attempts do not extend the lockout.
    ctx.login(&user.email, "wrong-password-1")
        .await
        .expect_too_many(LOCKED, 60);

    tokio::time::sleep(Duration::from_secs(wait + 1)).await;
    ctx.login_session(&user.email, &user.password).await;

    // The success reset the count: four more failures lock nothing.
    fail_logins(&ctx, &user.email, 4).await;
    ctx.login_session(&user.email, &user.password).await;
}

#[tokio::test]
async fn every_further_failure_after_a_lockout_doubles_it() {
    let ctx = Ctx::new().await;
    let (user, _) = ctx.new_session().await;
    fail_logins(&ctx, &user.email, 5).await;
    let first = ctx.login(&user.email, &user.password).await.expect_too_many(LOCKED, 60);
    tokio::time::sleep(Duration::from_secs(first + 1)).await;
    // The sixth consecutive failure locks for 2 min.
    fail_logins(&ctx, &user.email, 1).await;
    let second = ctx
        .login(&user.email, &user.password)
        .await
        .expect_too_many(LOCKED, 120);
    assert!(second > 60, "the second lockout lasts 2 min, Retry-After {second}");
}

#[tokio::test]
async fn unknown_emails_lock_the_same_way_so_a_lockout_reveals_nothing() {
    let ctx = Ctx::new().await;
    let nobody = NewUser::random();
    fail_logins(&ctx, &nobody.email, 5).await;
    ctx.login(&nobody.email, &nobody.password)
        .await
        .expect_too_many(LOCKED, 60);
    // Email case does not make a new record.
    ctx.login(&nobody.email.to_uppercase(), "x-password")
        .await
        .expect_too_many(LOCKED, 60);
}

/// Parallel guesses are admitted one at a time: a burst of 20 gets at most the 5 checks a
/// sequence would, the rest are refused before their password is looked at.
#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_no_more_than_five_checks() {
    let ctx = Ctx::new().await;
    let (user, _) = ctx.new_session().await;
    let guesses = (0..20).map(|n| {
        let (ctx, email) = (&ctx, user.email.clone());
        async move { ctx.login(&email, &format!("wrong-guess-{n}")).await }
    });
    let replies = futures_util::future::join_all(guesses).await;
    let checked = replies.iter().filter(|reply| reply.status == 401).count();
    for reply in &replies {
        assert!(
            [401, 429, 503].contains(&reply.status),
            "a guess answered {}: {}",
            reply.status,
            reply.text
        );
    }
    assert!(checked <= 5, "{checked} of 20 parallel guesses were checked");
    ctx.login(&user.email, &user.password).await.expect_too_many(LOCKED, 60);
}

/// The outbox messages to `email` once there are `count` of them (up to 20 s).
async fn wait_messages(ctx: &Ctx, email: &str, count: usize) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let messages = ctx.outbox_messages(email).await;
        if messages.len() >= count {
            assert_eq!(messages.len(), count, "messages to {email}: {messages:?}");
            return messages;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {count} messages to {email} after 20 s",
            messages.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn resend_always_answers_202_and_sends_at_most_one_confirmation_a_minute() {
    let ctx = Ctx::new().await;
    let resend = |email: String| {
        let ctx = &ctx;
        async move {
            let reply = ctx
                .call(
                    "POST",
                    "/identity/verify/resend",
                    None,
                    Some(&json!({ "email": email })),
                )
                .await;
            assert_eq!(reply.expect(202), json!({}), "{}", reply.request);
        }
    };
    let user = NewUser::random();
    ctx.create_account(&user).await;
    let signed_up = std::time::Instant::now();
    ctx.outbox_message(&user.email).await;

    // Within a minute of the signup's email: 202, and nothing more is sent.
    resend(user.email.clone()).await;
    // Unknown addresses get the same answer, and nothing.
    let nobody = NewUser::random();
    resend(nobody.email.clone()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(ctx.outbox_messages(&user.email).await.len(), 1);

    // A minute later a fresh confirmation goes out (the address in any case and spacing).
    tokio::time::sleep((signed_up + Duration::from_secs(61)).saturating_duration_since(std::time::Instant::now()))
        .await;
    resend(format!("  {}  ", user.email.to_uppercase())).await;
    let messages = wait_messages(&ctx, &user.email, 2).await;
    // And then not again within the minute.
    resend(user.email.clone()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(ctx.outbox_messages(&user.email).await.len(), 2);

    // The resent token verifies the account.
    let tokens: Vec<String> = messages
        .iter()
        .map(|m| m["data"]["token"].as_str().unwrap().to_string())
        .collect();
    assert_ne!(tokens[0], tokens[1], "a fresh token");
    let verified = ctx.verify(&tokens[1]).await.expect(200);
    assert_eq!(verified["account"]["verified"], json!(true));

    // A verified account is never mailed (the admin account was created verified, by command,
    // so no confirmation was ever sent to it).
    let admin_email = ctx.env.var("ANDES_ADMIN_EMAIL").to_string();
    resend(admin_email.clone()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(ctx.outbox_messages(&admin_email).await.is_empty());

    assert!(ctx.outbox_messages(&nobody.email).await.is_empty());
    ctx.call(
        "POST",
        "/identity/verify/resend",
        None,
        Some(&json!({"email": "not-an-email"})),
    )
    .await
    .expect_invalid_field("email");
}

/// Correct logins in parallel are never read as failures: each succeeds, or is asked to try
/// again in a second while the others are checked; nothing locks the account.
#[tokio::test]
async fn parallel_correct_logins_never_lock_the_account() {
    let ctx = Ctx::new().await;
    let (user, _) = ctx.new_session().await;
    let logins = (0..8).map(|_| {
        let (ctx, user) = (&ctx, &user);
        async move { ctx.login(&user.email, &user.password).await }
    });
    for reply in futures_util::future::join_all(logins).await {
        match reply.status {
            200 => {}
            429 => {
                reply.expect_too_many("being checked; try again in a second", 1);
            }
            other => panic!("a correct login answered {other}: {}", reply.text),
        }
    }
    ctx.login_session(&user.email, &user.password).await;
    fail_logins(&ctx, &user.email, 4).await;
    ctx.login_session(&user.email, &user.password).await;
}

/// A stolen session cannot guess the password through `PATCH /identity/me` either: its
/// `current_password` checks count against the same lockout as logins.
#[tokio::test]
async fn wrong_current_passwords_lock_the_account_like_failed_logins() {
    let ctx = Ctx::new().await;
    let (user, session) = ctx.new_session().await;
    let change = |current: &str| json!({"password": "another-secret-9", "current_password": current});
    for attempt in 1..=5 {
        let reply = ctx
            .call(
                "PATCH",
                "/identity/me",
                Some(&session.access_token),
                Some(&change("wrong-guess")),
            )
            .await;
        assert_eq!(reply.status, 422, "wrong current password {attempt}: {}", reply.text);
    }
    ctx.call(
        "PATCH",
        "/identity/me",
        Some(&session.access_token),
        Some(&change(&user.password)),
    )
    .await
    .expect_too_many(LOCKED, 60);
    ctx.login(&user.email, &user.password).await.expect_too_many(LOCKED, 60);
}
