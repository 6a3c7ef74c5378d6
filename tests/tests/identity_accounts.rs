//! Sign-up, email confirmation and login, end to end through the gateway, the queue, the
//! notifier and the outbox bucket.

use andes_tests::support::{json, Ctx, NewUser};
use tokio::task::JoinSet;

#[tokio::test]
async fn signup_confirm_verify_login_and_me() {
    let ctx = Ctx::new().await;
    let user = NewUser::random();

    let account = ctx.create_account(&user).await;
    let id = account["id"].as_str().expect("account id").to_string();
    assert_eq!(account["email"], json!(user.email));
    assert_eq!(account["username"], json!(user.username));
    assert_eq!(account["name"], json!(user.name));
    assert!(
        account["roles"].as_array().is_some_and(|r| r.contains(&json!("user"))),
        "every account has role user: {account}"
    );
    assert!(
        account["created"].is_string() && account["updated"].is_string(),
        "timestamps: {account}"
    );
    let keys: Vec<&String> = account.as_object().expect("account object").keys().collect();
    assert!(
        !keys.iter().any(|k| k.contains("password")),
        "no password fields in the account: {keys:?}"
    );
    assert!(
        !account.to_string().contains(&user.password),
        "no password in {account}"
    );

    // Not verified yet: the right password is refused with 403.
    ctx.login(&user.email, &user.password)
        .await
        .expect_problem(403, Some("Account is not active yet"));

    let message = ctx.outbox_message(&user.email).await;
    assert_eq!(message["template"], json!("account_confirmation"), "message: {message}");
    assert_eq!(message["data"]["username"], json!(user.username), "message: {message}");
    let welcome = format!("Welcome @{}!", user.username);
    assert!(
        message["text"].as_str().is_some_and(|text| text.contains(&welcome)),
        "confirmation text should contain {welcome:?}: {message}"
    );
    let token = message["data"]["token"].as_str().expect("data.token").to_string();
    assert!(
        message["text"].as_str().unwrap_or_default().contains(&token),
        "the text carries the token: {message}"
    );

    let verified = ctx.verify(&token).await.expect(200);
    assert_eq!(verified["account"]["id"], json!(id));
    assert_eq!(verified["account"]["verified"], json!(true));

    let session = ctx.login_session(&user.email, &user.password).await;
    assert_eq!(
        session.login["token_type"],
        json!("Bearer"),
        "login answer: {}",
        session.login
    );
    assert!(
        session.login["expires_at"].is_string() || session.login["expires_at"].is_number(),
        "expires_at: {}",
        session.login
    );
    assert_eq!(session.account["id"], json!(id));

    let me = ctx.me(Some(&session.access_token)).await.expect(200);
    assert_eq!(me["id"], json!(id));
    assert_eq!(me["email"], json!(user.email));
    assert_eq!(me["username"], json!(user.username));
    assert_eq!(me["name"], json!(user.name));
    assert_eq!(me["verified"], json!(true));
}

#[tokio::test]
async fn login_accepts_the_email_in_any_case() {
    let ctx = Ctx::new().await;
    let (user, session) = ctx.new_session().await;
    let again = ctx.login_session(&user.email.to_uppercase(), &user.password).await;
    assert_eq!(again.account["id"], session.account["id"]);
}

#[tokio::test]
async fn signup_stores_phone_and_dining_user_type() {
    let ctx = Ctx::new().await;
    let user = NewUser::random();
    let mut body = user.signup_body();
    body["phone"] = json!("+14155550123");
    body["user_type"] = json!("client");
    let account = ctx.signup_with(&body).await.expect(201);
    assert_eq!(account["phone"], json!("+14155550123"));
    let roles = account["roles"].as_array().cloned().unwrap_or_default();
    assert!(
        roles.contains(&json!("user")) && roles.contains(&json!("client")),
        "roles: {account}"
    );
}

#[tokio::test]
async fn signup_cannot_choose_the_admin_role() {
    let ctx = Ctx::new().await;
    let user = NewUser::random();
    let mut body = user.signup_body();
    body["user_type"] = json!("admin");
    let reply = ctx.signup_with(&body).await;
    if reply.status == 201 {
        let account = reply.json();
        assert!(
            !account["roles"].as_array().unwrap().contains(&json!("admin")),
            "signup granted admin: {account}"
        );
    } else {
        reply.expect_invalid_field("user_type");
    }
}

#[tokio::test]
async fn duplicate_email_in_any_case_and_duplicate_username_conflict() {
    let ctx = Ctx::new().await;
    let first = NewUser::random();
    ctx.create_account(&first).await;

    let same_email = NewUser {
        email: first.email.to_uppercase(),
        ..NewUser::random()
    };
    ctx.signup(&same_email).await.expect_problem(409, None);

    let same_username = NewUser {
        username: first.username.clone(),
        ..NewUser::random()
    };
    ctx.signup(&same_username).await.expect_problem(409, None);
}

#[tokio::test]
async fn signup_validation_names_the_field() {
    let ctx = Ctx::new().await;
    // (field expected in `errors`, fields to override; null removes the field)
    let cases = [
        (
            "password_confirmation",
            json!({ "password_confirmation": "Something-else-42" }),
        ),
        ("email", json!({ "email": "not-an-email" })),
        ("username", json!({ "username": "ab" })),
        ("username", json!({ "username": "Has Spaces!" })),
        (
            "password",
            json!({ "password": "short", "password_confirmation": "short" }),
        ),
        ("phone", json!({ "phone": "call me maybe" })),
        ("name", json!({ "name": null })),
    ];
    for (field, overrides) in cases {
        let mut body = NewUser::random().signup_body();
        for (key, value) in overrides.as_object().unwrap() {
            match value {
                serde_json::Value::Null => body.as_object_mut().unwrap().remove(key),
                other => body.as_object_mut().unwrap().insert(key.clone(), other.clone()),
            };
        }
        ctx.signup_with(&body).await.expect_invalid_field(field);
    }
}

#[tokio::test]
async fn concurrent_signups_with_one_email_create_one_account() {
    const ATTEMPTS: usize = 20;
    let ctx = Ctx::new().await;
    let base = NewUser::random();
    let mut attempts = JoinSet::new();
    for _ in 0..ATTEMPTS {
        let ctx = ctx.clone();
        let user = NewUser {
            email: base.email.clone(),
            password: base.password.clone(),
            ..NewUser::random()
        };
        attempts.spawn(async move {
            let reply = ctx.signup(&user).await;
            (user, reply)
        });
    }
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    while let Some(joined) = attempts.join_next().await {
        let (user, reply) = joined.expect("signup task");
        match reply.status {
            201 => winners.push((user, reply.json())),
            409 => {
                reply.expect_problem(409, None);
                losers.push(user);
            }
            other => panic!("concurrent signup answered {other}: {}", reply.text),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one of {ATTEMPTS} concurrent signups wins: {winners:?}"
    );
    assert_eq!(losers.len(), ATTEMPTS - 1);
    let (winner, account) = winners.pop().unwrap();

    let email_items = ctx
        .identity_items(&format!("EMAIL#{}", base.email.to_lowercase()))
        .await;
    assert_eq!(
        email_items.len(),
        1,
        "one EMAIL# item for {}: {email_items:?}",
        base.email
    );

    // A losing attempt left nothing behind: its username is still free.
    let reuse = NewUser {
        username: losers[0].username.clone(),
        ..NewUser::random()
    };
    ctx.signup(&reuse).await.expect(201);

    // The confirmation email is the winner's, and the winner can verify and log in.
    let message = ctx.outbox_message(&base.email).await;
    assert_eq!(
        message["data"]["username"],
        json!(winner.username),
        "confirmation sent for a losing signup: {message}"
    );
    let token = message["data"]["token"].as_str().expect("data.token");
    ctx.verify(token).await.expect(200);
    let session = ctx.login_session(&base.email, &base.password).await;
    assert_eq!(session.account["id"], account["id"]);
    assert_eq!(session.account["username"], json!(winner.username));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_invalid_credentials() {
    let ctx = Ctx::new().await;
    let (user, _) = ctx.new_session().await;
    ctx.login(&user.email, "Wrong-password-123")
        .await
        .expect_problem(401, Some("Invalid credentials"));
    ctx.login(&NewUser::random().email, &user.password)
        .await
        .expect_problem(401, Some("Invalid credentials"));
}

#[tokio::test]
async fn wrong_password_on_an_unverified_account_is_invalid_credentials() {
    // The password is checked before the account state, so a wrong guess learns nothing.
    let ctx = Ctx::new().await;
    let user = NewUser::random();
    ctx.create_account(&user).await;
    ctx.login(&user.email, "Wrong-password-123")
        .await
        .expect_problem(401, Some("Invalid credentials"));
}
