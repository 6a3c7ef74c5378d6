//! GET/PATCH /identity/me, access tokens at the authorizer, API keys and admin role grants.

use andes_tests::support::{access_claims, json, made_up_api_key, now_secs, sign_jwt, unique_tag, Ctx, FORGED_SECRET};

#[tokio::test]
async fn patch_me_updates_name_and_phone() {
    let ctx = Ctx::new().await;
    let (_, session) = ctx.new_session().await;
    let token = session.access_token.as_str();
    let name = format!("Renamed {}", unique_tag());

    let patch = json!({ "name": name, "phone": "+14155550177" });
    let updated = ctx
        .call("PATCH", "/identity/me", Some(token), Some(&patch))
        .await
        .expect(200);
    assert_eq!(updated["name"], json!(name), "PATCH answer: {updated}");

    let me = ctx.me(Some(token)).await.expect(200);
    assert_eq!(me["name"], json!(name));
    assert_eq!(me["phone"], json!("+14155550177"));
    assert_eq!(me["id"], session.account["id"]);
    assert_eq!(me["email"], session.account["email"], "PATCH changes nothing else");
    assert_eq!(
        me["username"], session.account["username"],
        "PATCH changes nothing else"
    );
}

#[tokio::test]
async fn patch_me_validates_fields() {
    let ctx = Ctx::new().await;
    let (_, session) = ctx.new_session().await;
    ctx.call(
        "PATCH",
        "/identity/me",
        Some(&session.access_token),
        Some(&json!({ "phone": "not a phone" })),
    )
    .await
    .expect_invalid_field("phone");
}

#[tokio::test]
async fn password_change_requires_the_current_password() {
    let ctx = Ctx::new().await;
    let (user, session) = ctx.new_session().await;
    let token = session.access_token.as_str();
    let new_password = format!("New-{}-pass9", unique_tag());

    let without_current = json!({ "password": new_password });
    ctx.call("PATCH", "/identity/me", Some(token), Some(&without_current))
        .await
        .expect_invalid_field("current_password");

    let wrong_current = json!({ "password": new_password, "current_password": "Not-the-password-1" });
    ctx.call("PATCH", "/identity/me", Some(token), Some(&wrong_current))
        .await
        .expect_invalid_field("current_password");

    // Neither attempt changed anything.
    ctx.login(&user.email, &new_password)
        .await
        .expect_problem(401, Some("Invalid credentials"));
    ctx.login_session(&user.email, &user.password).await;

    let with_current = json!({ "password": new_password, "current_password": user.password });
    ctx.call("PATCH", "/identity/me", Some(token), Some(&with_current))
        .await
        .expect(200);

    ctx.login_session(&user.email, &new_password).await;
    ctx.login(&user.email, &user.password)
        .await
        .expect_problem(401, Some("Invalid credentials"));
}

#[tokio::test]
async fn expired_or_forged_access_tokens_are_forbidden() {
    let ctx = Ctx::new().await;
    let (_, session) = ctx.new_session().await;
    let id = session.account_id();
    let now = now_secs();

    let expired = sign_jwt(
        ctx.env.jwt_secret(),
        &access_claims(id, &["user"], now - 7200, now - 3600),
    );
    ctx.me(Some(&expired)).await.expect_gateway(403, "Forbidden");

    let forged = sign_jwt(FORGED_SECRET, &access_claims(id, &["user"], now, now + 3600));
    ctx.me(Some(&forged)).await.expect_gateway(403, "Forbidden");

    // A token with its signature cut off, and one whose payload was swapped.
    let mut parts: Vec<&str> = session.access_token.split('.').collect();
    assert_eq!(parts.len(), 3, "access token is a JWT");
    let unsigned = format!("{}.{}.", parts[0], parts[1]);
    ctx.me(Some(&unsigned)).await.expect_gateway(403, "Forbidden");
    let other_payload = sign_jwt(
        FORGED_SECRET,
        &access_claims("someone-else", &["user", "admin"], now, now + 3600),
    );
    let other_payload = other_payload.split('.').nth(1).unwrap().to_string();
    parts[1] = &other_payload;
    ctx.me(Some(&parts.join("."))).await.expect_gateway(403, "Forbidden");

    // The real token still works.
    ctx.me(Some(&session.access_token)).await.expect(200);
}

#[tokio::test]
async fn api_key_reaches_handlers_until_revoked() {
    let ctx = Ctx::new().await;
    let key = ctx.issue_api_key(&format!("key-owner-{}", unique_tag()), "user").await;
    assert!(key.key.starts_with("andes_"), "key shape: {}", key.key);

    // The authorizer lets the key through (role user may call GET /identity/me); the handler
    // then refuses it itself, because /me needs an account: a problem, not a gateway 403.
    let reply = ctx.me(Some(&key.key)).await;
    assert!(
        reply.status == 403 && !reply.is_gateway_denial(),
        "an API key with role user should pass the authorizer and be refused by the handler \
         with a problem; got {} {}",
        reply.status,
        reply.text
    );
    reply.expect_problem(403, None);

    ctx.revoke_api_key(&key).await;
    ctx.me(Some(&key.key)).await.expect_gateway(403, "Forbidden");
}

#[tokio::test]
async fn unknown_api_keys_are_forbidden() {
    let ctx = Ctx::new().await;
    ctx.me(Some(&made_up_api_key(None)))
        .await
        .expect_gateway(403, "Forbidden");
    ctx.me(Some("andes_not-a-key")).await.expect_gateway(403, "Forbidden");

    // A live key's prefix with another secret.
    let key = ctx.issue_api_key(&format!("key-owner-{}", unique_tag()), "user").await;
    ctx.me(Some(&made_up_api_key(Some(&key.prefix))))
        .await
        .expect_gateway(403, "Forbidden");
    ctx.revoke_api_key(&key).await;
}

#[tokio::test]
async fn granted_role_shows_on_the_account() {
    let ctx = Ctx::new().await;
    let (user, _) = ctx.new_session().await;
    ctx.admin(&["grant-role", "--email", &user.email, "--role", "restaurant"])
        .await;
    // The grant ended the earlier session (identity_sessions.rs): log in again.
    let session = ctx.login_session(&user.email, &user.password).await;
    let me = ctx.me(Some(&session.access_token)).await.expect(200);
    let roles = me["roles"].as_array().cloned().unwrap_or_default();
    assert!(
        roles.contains(&json!("restaurant")) && roles.contains(&json!("user")),
        "roles after grant: {me}"
    );
}

/// Version-less PATCHes never answer 409 because of each other: 20 at once, alternating name
/// and phone, each value distinct, all succeed (twice over), and the account keeps one of the
/// sent values of each field and everything else.
#[tokio::test]
async fn parallel_version_less_patches_all_succeed() {
    const PATCHES: usize = 20;
    let ctx = Ctx::new().await;
    let (user, session) = ctx.new_session().await;
    let token = session.access_token.clone();
    let tag = unique_tag();
    for round in 0..2 {
        let mut names = Vec::new();
        let mut phones = Vec::new();
        let mut patches = tokio::task::JoinSet::new();
        for i in 0..PATCHES {
            let patch = if i % 2 == 0 {
                let name = format!("Parallel {tag} {round}-{i}");
                names.push(json!(name));
                json!({ "name": name })
            } else {
                let phone = format!("+1415{round}55{i:04}");
                phones.push(json!(phone));
                json!({ "phone": phone })
            };
            let (ctx, token) = (ctx.clone(), token.clone());
            patches.spawn(async move { ctx.call("PATCH", "/identity/me", Some(&token), Some(&patch)).await });
        }
        while let Some(reply) = patches.join_next().await {
            let reply = reply.expect("patch task");
            assert!(
                (200..300).contains(&reply.status),
                "round {round}: a version-less PATCH answered {}: {}",
                reply.status,
                reply.text
            );
        }
        let me = ctx.me(Some(&token)).await.expect(200);
        assert!(
            names.contains(&me["name"]),
            "round {round}: final name is one sent: {me}"
        );
        assert!(
            phones.contains(&me["phone"]),
            "round {round}: final phone is one sent: {me}"
        );
        for field in ["id", "email", "username", "roles", "verified", "created"] {
            assert_eq!(
                me[field], session.account[field],
                "round {round}: {field} unharmed: {me}"
            );
        }
    }
    // The password was not touched either.
    ctx.login_session(&user.email, &user.password).await;
}

/// A password change racing name changes: every request succeeds, the new password works, the
/// old one does not, and the name is one of the names sent.
#[tokio::test]
async fn password_change_with_concurrent_name_changes_loses_neither() {
    let ctx = Ctx::new().await;
    let (user, session) = ctx.new_session().await;
    let token = session.access_token.clone();
    let tag = unique_tag();
    let new_password = format!("Raced-{tag}-pass9");
    let mut patches = Vec::new();
    for i in 0..10 {
        let patch = if i == 3 {
            json!({ "password": new_password, "current_password": user.password })
        } else {
            json!({ "name": format!("Racing {tag} {i}") })
        };
        let (ctx, token) = (ctx.clone(), token.clone());
        let sent = patch.clone();
        patches.push((
            sent,
            tokio::spawn(async move { ctx.call("PATCH", "/identity/me", Some(&token), Some(&patch)).await }),
        ));
    }
    // The password change ends the session: a name change the authorizer sees after it is a
    // 403 (it changed nothing). Every other one, and the password change, is a 200.
    let mut kept_names = Vec::new();
    for (patch, task) in patches {
        let reply = task.await.expect("patch task");
        match (patch.get("name"), reply.status) {
            (Some(name), 200) => kept_names.push(name.clone()),
            (Some(_), 403) => {}
            _ => {
                reply.expect(200);
            }
        }
    }
    assert!(!kept_names.is_empty(), "no name change got through");
    let session = ctx.login_session(&user.email, &new_password).await;
    let me = ctx.me(Some(&session.access_token)).await.expect(200);
    assert!(kept_names.contains(&me["name"]), "the name change was kept: {me}");
    ctx.login(&user.email, &user.password)
        .await
        .expect_problem(401, Some("Invalid credentials"));
}

/// Names refuse NUL, other controls and bidirectional overrides (the shared rule) and, being
/// one line, newline and tab; the 422 names the field and nothing is written.
#[tokio::test]
async fn names_refuse_control_characters() {
    let ctx = Ctx::new().await;
    let (_, session) = ctx.new_session().await;
    let token = session.access_token.as_str();
    for bad in [
        "Ana\u{0}Pérez",
        "Ana\u{7}",
        "Ana\u{85}B",
        "gpj.\u{202E}exe",
        "Ana\u{2066}B",
        "Ana\nPérez",
        "Ana\tB",
    ] {
        ctx.call("PATCH", "/identity/me", Some(token), Some(&json!({ "name": bad })))
            .await
            .expect_invalid_field("name");
        let mut body = andes_tests::support::NewUser::random().signup_body();
        body["name"] = json!(bad);
        ctx.signup_with(&body).await.expect_invalid_field("name");
    }
    let me = ctx.me(Some(token)).await.expect(200);
    assert_eq!(me["name"], session.account["name"], "no refused name was written");
}
