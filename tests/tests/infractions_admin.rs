//! The admin resources of infractions (persons, vehicles, officers): create, get, list with a
//! cursor, update, delete, uniqueness and referential integrity; and who may call them.

mod infractions_support;

use andes_tests::support::{json, query_escape, unique_tag, Ctx};
use infractions_support::*;

fn status(reply: &andes_tests::support::Reply, expected: u16) {
    assert_eq!(
        reply.status, expected,
        "{}: expected {expected}, got {} {}",
        reply.request, reply.status, reply.text
    );
}

#[tokio::test]
async fn persons_crud() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();
    let tag = unique_tag();
    let email = format!("Persona.{tag}@Example.com");
    let name = format!("Persona {tag}");

    let person = create_person(&ctx, admin, &name, &email).await;
    let id = item_id(&person);
    assert_eq!(person["name"], json!(name), "{person}");
    assert!(
        person["email"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(&email)),
        "created person's email: {person}"
    );
    let path = format!("{PERSONS}/{id}");

    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(item_id(&got), id, "{got}");
    assert_eq!(got["name"], json!(name), "{got}");

    // The email is unique without regard to case.
    for duplicate in [email.clone(), email.to_lowercase(), email.to_uppercase()] {
        let reply = ctx
            .call(
                "POST",
                PERSONS,
                Some(admin),
                Some(&json!({ "name": "Otra", "email": duplicate })),
            )
            .await;
        reply.expect_problem(409, None);
    }

    // Validation: name and email are required.
    ctx.call("POST", PERSONS, Some(admin), Some(&json!({ "name": "Sin email" })))
        .await
        .expect_invalid_field("email");
    ctx.call(
        "POST",
        PERSONS,
        Some(admin),
        Some(&json!({ "email": format!("sin.nombre.{tag}@example.com") })),
    )
    .await
    .expect_invalid_field("name");

    // Update.
    let renamed = format!("Renombrada {tag}");
    let updated = ctx
        .call("PATCH", &path, Some(admin), Some(&json!({ "name": renamed })))
        .await
        .expect(200);
    assert_eq!(updated["name"], json!(renamed), "{updated}");
    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(got["name"], json!(renamed), "{got}");
    assert!(
        got["email"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(&email)),
        "PATCH kept the email: {got}"
    );

    // Paging: three more persons, then pages of two until all four are seen.
    let mut ids = vec![id.clone()];
    for _ in 0..3 {
        ids.push(new_person(&ctx, admin).await.0);
    }
    let first = ctx
        .call("GET", &format!("{PERSONS}?limit=2"), Some(admin), None)
        .await
        .expect(200);
    let first_items = first["items"].as_array().cloned().unwrap_or_default();
    assert!(
        (1..=2).contains(&first_items.len()),
        "first page of at most two: {first}"
    );
    let cursor = first["next_cursor"]
        .as_str()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| panic!("at least five persons exist, yet the first page of two has no cursor: {first}"));
    let second = ctx
        .call(
            "GET",
            &format!("{PERSONS}?limit=2&cursor={}", query_escape(cursor)),
            Some(admin),
            None,
        )
        .await
        .expect(200);
    let second_items = second["items"].as_array().cloned().unwrap_or_default();
    assert!(
        !second_items.is_empty() && second_items.len() <= 2,
        "second page: {second}"
    );
    for item in &second_items {
        assert!(
            !first_items.iter().any(|f| item_id(f) == item_id(item)),
            "{item} is on both pages"
        );
    }
    let seen = list_until(&ctx, admin, PERSONS, 100, "id", &ids).await;
    for id in &ids {
        assert!(seen.contains(id), "person {id} never listed");
    }

    // Delete, then it is gone.
    status(&ctx.call("DELETE", &path, Some(admin), None).await, 204);
    ctx.call("GET", &path, Some(admin), None)
        .await
        .expect_problem(404, None);
    ctx.call("DELETE", &path, Some(admin), None)
        .await
        .expect_problem(404, None);
    ctx.call("PATCH", &path, Some(admin), Some(&json!({ "name": "x" })))
        .await
        .expect_problem(404, None);
    // Its email is free again.
    create_person(&ctx, admin, &name, &email).await;
}

#[tokio::test]
async fn vehicles_crud() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();
    let (owner_id, _, _) = new_person(&ctx, admin).await;

    // The plate is normalised: upper-case, no spaces.
    let plate = unique_plate();
    let written = format!("{} {}", plate[..4].to_lowercase(), plate[4..].to_lowercase());
    let vehicle = create_vehicle(&ctx, admin, &written, "Peugeot", "Negro", &owner_id).await;
    assert_eq!(vehicle["plate"], json!(plate), "{vehicle}");
    assert_eq!(vehicle["brand"], json!("Peugeot"), "{vehicle}");
    assert_eq!(vehicle["color"], json!("Negro"), "{vehicle}");
    assert_eq!(owner_of(&vehicle), json!(owner_id), "{vehicle}");
    let path = format!("{VEHICLES}/{plate}");

    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(got["plate"], json!(plate), "{got}");
    assert_eq!(owner_of(&got), json!(owner_id), "{got}");

    // The same plate, however written, is taken.
    for duplicate in [plate.clone(), written.clone()] {
        ctx.call(
            "POST",
            VEHICLES,
            Some(admin),
            Some(&json!({ "plate": duplicate, "brand": "Otra", "color": "Otro", "owner_id": owner_id })),
        )
        .await
        .expect_problem(409, None);
    }

    // The owner must exist.
    ctx.call(
        "POST",
        VEHICLES,
        Some(admin),
        Some(&json!({ "plate": unique_plate(), "brand": "Fiat", "color": "Azul", "owner_id": format!("no-such-person-{}", unique_tag()) })),
    )
    .await
    .expect_invalid_field("owner_id");

    // Update the color; moving it to an owner that does not exist is refused.
    let updated = ctx
        .call("PATCH", &path, Some(admin), Some(&json!({ "color": "Verde" })))
        .await
        .expect(200);
    assert_eq!(updated["color"], json!("Verde"), "{updated}");
    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(got["color"], json!("Verde"), "{got}");
    assert_eq!(got["brand"], json!("Peugeot"), "PATCH kept the brand: {got}");
    ctx.call(
        "PATCH",
        &path,
        Some(admin),
        Some(&json!({ "owner_id": format!("no-such-person-{}", unique_tag()) })),
    )
    .await
    .expect_invalid_field("owner_id");

    // Listing pages with a cursor and finds it.
    let first = ctx
        .call("GET", &format!("{VEHICLES}?limit=2"), Some(admin), None)
        .await
        .expect(200);
    assert!(
        first["items"].as_array().is_some_and(|i| !i.is_empty() && i.len() <= 2),
        "first page: {first}"
    );
    let seen = list_until(&ctx, admin, VEHICLES, 100, "plate", std::slice::from_ref(&plate)).await;
    assert!(seen.contains(&plate), "vehicle {plate} never listed");

    // Delete.
    status(&ctx.call("DELETE", &path, Some(admin), None).await, 204);
    ctx.call("GET", &path, Some(admin), None)
        .await
        .expect_problem(404, None);
    ctx.call("DELETE", &path, Some(admin), None)
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn officers_crud() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();

    let badge = unique_badge();
    let name = format!("Oficial {}", unique_tag());
    let officer = ctx
        .call(
            "POST",
            OFFICERS,
            Some(admin),
            Some(&json!({ "name": name, "badge": badge })),
        )
        .await
        .expect(201);
    let id = id_of(&officer, "created officer");
    assert_eq!(officer["name"], json!(name), "{officer}");
    assert_eq!(officer["badge"], json!(badge), "{officer}");
    assert!(
        officer["api_key"].as_str().is_some_and(|k| k.starts_with("andes_")),
        "api_key shown on creation: {officer}"
    );
    let path = format!("{OFFICERS}/{id}");

    // The key is shown once: reads do not carry it.
    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(got["badge"], json!(badge), "{got}");
    assert!(
        got.get("api_key").is_none_or(|k| k.is_null()),
        "GET officer shows the api_key: {got}"
    );

    // The badge is unique.
    ctx.call(
        "POST",
        OFFICERS,
        Some(admin),
        Some(&json!({ "name": "Otro", "badge": badge })),
    )
    .await
    .expect_problem(409, None);

    // Update.
    let renamed = format!("Oficial renombrado {}", unique_tag());
    let updated = ctx
        .call("PATCH", &path, Some(admin), Some(&json!({ "name": renamed })))
        .await
        .expect(200);
    assert_eq!(updated["name"], json!(renamed), "{updated}");
    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(got["name"], json!(renamed), "{got}");
    assert_eq!(got["badge"], json!(badge), "PATCH kept the badge: {got}");

    // Listing.
    let (second, _, _, _) = new_officer(&ctx, admin).await;
    let first = ctx
        .call("GET", &format!("{OFFICERS}?limit=2"), Some(admin), None)
        .await
        .expect(200);
    assert!(
        first["items"].as_array().is_some_and(|i| !i.is_empty() && i.len() <= 2),
        "first page: {first}"
    );
    let seen = list_until(&ctx, admin, OFFICERS, 100, "id", &[id.clone(), second]).await;
    assert!(seen.contains(&id), "officer {id} never listed");
    for item in ctx
        .call("GET", &format!("{OFFICERS}?limit=100"), Some(admin), None)
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
    {
        assert!(
            item.get("api_key").is_none_or(|k| k.is_null()),
            "listed officer shows its api_key: {item}"
        );
    }

    // Delete.
    status(&ctx.call("DELETE", &path, Some(admin), None).await, 204);
    ctx.call("GET", &path, Some(admin), None)
        .await
        .expect_problem(404, None);
    ctx.call("DELETE", &path, Some(admin), None)
        .await
        .expect_problem(404, None);
}

#[tokio::test]
async fn person_with_vehicles_is_deleted_only_with_cascade() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();
    let (owner_id, email, _) = new_person(&ctx, admin).await;
    let first = new_vehicle(&ctx, admin, &owner_id, "Ford", "Rojo").await;
    let second = new_vehicle(&ctx, admin, &owner_id, "Fiat", "Azul").await;
    let path = format!("{PERSONS}/{owner_id}");

    ctx.call("DELETE", &path, Some(admin), None)
        .await
        .expect_problem(409, None);
    ctx.call("GET", &path, Some(admin), None).await.expect(200);
    ctx.call("GET", &format!("{VEHICLES}/{first}"), Some(admin), None)
        .await
        .expect(200);

    status(
        &ctx.call("DELETE", &format!("{path}?cascade=true"), Some(admin), None)
            .await,
        204,
    );
    ctx.call("GET", &path, Some(admin), None)
        .await
        .expect_problem(404, None);
    for plate in [&first, &second] {
        ctx.call("GET", &format!("{VEHICLES}/{plate}"), Some(admin), None)
            .await
            .expect_problem(404, None);
    }
    // Nobody answers to that email any more, and the plates are free again.
    informe(&ctx, Some(&email))
        .await
        .expect_problem(404, Some("El email no se encuentra asociado ninguna persona"));
    let (new_owner, _, _) = new_person(&ctx, admin).await;
    create_vehicle(&ctx, admin, &first, "Ford", "Rojo", &new_owner).await;
}

#[tokio::test]
async fn officer_keys_and_user_tokens_cannot_administer() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let (officer_id, _, key, _) = new_officer(&ctx, &admin).await;
    let (_, user) = ctx.new_session().await;
    let person = json!({ "name": "Intruso", "email": format!("intruso.{}@example.com", unique_tag()) });

    for (who, token) in [
        ("officer key", key.as_str()),
        ("user token", user.access_token.as_str()),
    ] {
        let calls = [
            ("GET", format!("{PERSONS}?limit=2"), None),
            ("POST", PERSONS.to_string(), Some(&person)),
            ("GET", format!("{VEHICLES}/{FIXTURE_PLATE}"), None),
            ("GET", format!("{OFFICERS}/{officer_id}"), None),
            ("DELETE", format!("{OFFICERS}/{officer_id}"), None),
        ];
        for (method, path, body) in calls {
            let reply = ctx.call(method, &path, Some(token), body).await;
            assert_eq!(
                reply.status, 403,
                "{who}: {method} {path}: expected 403, got {} {}",
                reply.status, reply.text
            );
        }
    }
    // Nothing happened: the officer still exists and its key still works.
    ctx.call("GET", &format!("{OFFICERS}/{officer_id}"), Some(&admin), None)
        .await
        .expect(200);
    let id = cargar_ok(
        &ctx,
        &key,
        FIXTURE_PLATE,
        &minutes_ago(4),
        &format!("sigue activo {}", unique_tag()),
    )
    .await;
    assert!(!id.is_empty());
    // Without credentials: the gateway's 401.
    ctx.call("GET", PERSONS, None, None)
        .await
        .expect_gateway(401, "Unauthorized");
}
