//! schemathesis against every committed OpenAPI document, on the running platform: generated
//! requests (valid and invalid) to every operation, each answer checked for no 5xx, a documented
//! status, the documented content type and a body that matches its schema. One fresh account per
//! role signs the requests, so what the fuzzer does to them (failed password checks lock an
//! email; edits) touches no other test's accounts.
//!
//! Ignored in the main run: `make test` runs it last, on its own, with `--ignored --nocapture`
//! so that schemathesis' report (operations, test cases) shows. Its settings (seed, examples
//! per operation, checks) are in `tests/schemathesis.toml`.

use tokio::process::Command;

use andes_tests::support::{project_dir, Ctx};

/// A fresh account granted `role` (beside `user`), signed in again so its token carries it.
async fn token_with_role(ctx: &Ctx, role: Option<&str>) -> String {
    let (new, session) = ctx.new_session().await;
    let Some(role) = role else {
        return session.access_token;
    };
    ctx.admin(&["grant-role", "--email", &new.email, "--role", role]).await;
    ctx.login_session(&new.email, &new.password).await.access_token
}

/// An officer's API key: an officer created through the admin route answers with it.
async fn officer_key(ctx: &Ctx, admin: &str) -> String {
    let badge = 1_000_000 + uuid::Uuid::new_v4().as_u128() % 1_000_000_000;
    let officer = ctx
        .call(
            "POST",
            "/infractions/admin/officers",
            Some(admin),
            Some(&serde_json::json!({ "name": "Oficial Fuzz", "badge": badge })),
        )
        .await
        .expect(201);
    officer["api_key"]
        .as_str()
        .expect("a new officer's api_key")
        .to_string()
}

#[tokio::test]
#[ignore = "run by `make test` after the end-to-end suites (scripts/test.sh)"]
async fn every_api_answers_generated_requests_as_its_document_says() {
    let ctx = Ctx::new().await;
    let (user, admin, operator, client, restaurant) = tokio::join!(
        token_with_role(&ctx, None),
        token_with_role(&ctx, Some("admin")),
        token_with_role(&ctx, Some("operator")),
        token_with_role(&ctx, Some("client")),
        token_with_role(&ctx, Some("restaurant")),
    );
    let officer = officer_key(&ctx, &admin).await;
    let root = project_dir();
    let schemathesis = root.join(".venv").join("bin").join("schemathesis");
    let mut documents: Vec<_> = std::fs::read_dir(root.join("docs").join("openapi"))
        .expect("docs/openapi exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    documents.sort();
    assert!(!documents.is_empty(), "no documents in docs/openapi");
    let mut failed = Vec::new();
    for document in &documents {
        let status = Command::new(&schemathesis)
            .arg("--config-file")
            .arg(root.join("tests").join("schemathesis.toml"))
            .args(["--no-color", "run"])
            .arg(document)
            .args(["--url", ctx.env.base_url()])
            .envs([
                ("ANDES_FUZZ_TOKEN_USER", &user),
                ("ANDES_FUZZ_TOKEN_ADMIN", &admin),
                ("ANDES_FUZZ_TOKEN_OPERATOR", &operator),
                ("ANDES_FUZZ_TOKEN_CLIENT", &client),
                ("ANDES_FUZZ_TOKEN_RESTAURANT", &restaurant),
                ("ANDES_FUZZ_TOKEN_OFFICER", &officer),
            ])
            .status()
            .await
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", schemathesis.display()));
        if !status.success() {
            failed.push(document.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "schemathesis found failures in: {}",
        failed.join(", ")
    );
}
