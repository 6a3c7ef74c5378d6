//! The admin resources of infractions (persons, vehicles, officers): create, get, list with a
//! cursor, update, delete, uniqueness and referential integrity; and who may call them.

mod infractions_support;

use andes_tests::support::{json, query_escape, unique_tag, Ctx, Value};
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

/// The first `next_cursor` of a list (`?limit=1`), which has at least two items.
async fn first_cursor(ctx: &Ctx, admin: &str, base: &str) -> String {
    let page = ctx
        .call("GET", &format!("{base}?limit=1"), Some(admin), None)
        .await
        .expect(200);
    page["next_cursor"]
        .as_str()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| panic!("GET {base}?limit=1: no next_cursor although two items exist: {page}"))
        .to_string()
}

#[tokio::test]
async fn admin_lists_refuse_forged_and_foreign_cursors() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();
    let (owner, _, _) = new_person(&ctx, admin).await;
    new_person(&ctx, admin).await;
    new_vehicle(&ctx, admin, &owner, "Ford", "Rojo").await;
    new_vehicle(&ctx, admin, &owner, "Fiat", "Azul").await;
    new_officer(&ctx, admin).await;
    new_officer(&ctx, admin).await;

    let persons = first_cursor(&ctx, admin, PERSONS).await;
    let vehicles = first_cursor(&ctx, admin, VEHICLES).await;
    let officers = first_cursor(&ctx, admin, OFFICERS).await;
    // Each list follows its own cursor.
    for (base, cursor) in [(PERSONS, &persons), (VEHICLES, &vehicles), (OFFICERS, &officers)] {
        ctx.call(
            "GET",
            &format!("{base}?limit=1&cursor={}", query_escape(cursor)),
            Some(admin),
            None,
        )
        .await
        .expect(200);
    }

    // Forged cursors, and each list's cursor on the other lists: 422 naming `cursor`.
    let forged = ["e30", "not-a-cursor", "%%%", "eyJwayI6eyJTIjoiUEVSU09OIzEifX0"];
    for base in [PERSONS, VEHICLES, OFFICERS] {
        let mut refused: Vec<&str> = forged.to_vec();
        for (other, cursor) in [(PERSONS, &persons), (VEHICLES, &vehicles), (OFFICERS, &officers)] {
            if other != base {
                refused.push(cursor);
            }
        }
        for cursor in refused {
            ctx.call(
                "GET",
                &format!("{base}?limit=1&cursor={}", query_escape(cursor)),
                Some(admin),
                None,
            )
            .await
            .expect_invalid_field("cursor");
        }
    }
}

/// Sends `bodies` as parallel PATCHes of `path`; every one must answer 200.
async fn patch_in_parallel(ctx: &Ctx, admin: &str, path: &str, bodies: Vec<Value>) {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let (ctx, admin, path) = (ctx.clone(), admin.to_string(), path.to_string());
        tasks.spawn(async move { ctx.call("PATCH", &path, Some(&admin), Some(&body)).await });
    }
    let mut failures = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.expect("request task");
        if reply.status != 200 {
            failures.push(format!("{} {}", reply.status, reply.text));
        }
    }
    assert!(failures.is_empty(), "PATCH {path} without version: {failures:?}");
}

fn version(value: &Value) -> u64 {
    value["version"]
        .as_u64()
        .unwrap_or_else(|| panic!("no version: {value}"))
}

#[tokio::test]
async fn parallel_updates_without_version_all_apply() {
    const N: usize = 20;
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();

    // A person: most requests rename it, a few change its email (which moves its guard, so
    // those few take turns).
    let (person_id, _, person) = new_person(&ctx, admin).await;
    let path = format!("{PERSONS}/{person_id}");
    let tag = unique_tag();
    let names: Vec<String> = (0..N - 4).map(|i| format!("Nombre {i} {tag}")).collect();
    let emails: Vec<String> = (0..4).map(|i| format!("correo.{i}.{tag}@example.com")).collect();
    let bodies = names
        .iter()
        .map(|name| json!({ "name": name }))
        .chain(emails.iter().map(|email| json!({ "email": email })))
        .collect();
    patch_in_parallel(&ctx, admin, &path, bodies).await;
    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(
        version(&got),
        version(&person) + N as u64,
        "every PATCH applied once: {got}"
    );
    assert!(names.iter().any(|n| got["name"] == json!(n)), "{got}");
    let email = got["email"].as_str().unwrap().to_string();
    assert!(emails.contains(&email), "{got}");
    // The email guard followed: the final email is taken, the others are free.
    ctx.call(
        "POST",
        PERSONS,
        Some(admin),
        Some(&json!({ "name": "Otra", "email": email })),
    )
    .await
    .expect_problem(409, None);
    let free = emails.iter().find(|e| **e != email).unwrap();
    create_person(&ctx, admin, "Otra", free).await;

    // A vehicle: half change the brand, half the color.
    let plate = new_vehicle(&ctx, admin, &person_id, "Ford", "Rojo").await;
    let path = format!("{VEHICLES}/{plate}");
    let before = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    let brands: Vec<String> = (0..N / 2).map(|i| format!("Marca {i}")).collect();
    let colors: Vec<String> = (0..N / 2).map(|i| format!("Color {i}")).collect();
    let bodies = brands
        .iter()
        .map(|brand| json!({ "brand": brand }))
        .chain(colors.iter().map(|color| json!({ "color": color })))
        .collect();
    patch_in_parallel(&ctx, admin, &path, bodies).await;
    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(
        version(&got),
        version(&before) + N as u64,
        "every PATCH applied once: {got}"
    );
    assert!(brands.iter().any(|b| got["brand"] == json!(b)), "{got}");
    assert!(colors.iter().any(|c| got["color"] == json!(c)), "{got}");

    // An officer: every request renames it.
    let (officer_id, _, key, officer) = new_officer(&ctx, admin).await;
    let path = format!("{OFFICERS}/{officer_id}");
    let names: Vec<String> = (0..N).map(|i| format!("Oficial {i} {tag}")).collect();
    patch_in_parallel(&ctx, admin, &path, names.iter().map(|n| json!({ "name": n })).collect()).await;
    let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
    assert_eq!(
        version(&got),
        version(&officer) + N as u64,
        "every PATCH applied once: {got}"
    );
    assert!(names.iter().any(|n| got["name"] == json!(n)), "{got}");
    // Its key still works.
    cargar_ok(&ctx, &key, &plate, &minutes_ago(1), "después de renombrar").await;
}

#[tokio::test]
async fn updates_with_a_stale_version_conflict() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();
    let (person_id, _, person) = new_person(&ctx, admin).await;
    let plate = new_vehicle(&ctx, admin, &person_id, "Ford", "Rojo").await;
    let (officer_id, _, _, officer) = new_officer(&ctx, admin).await;
    let vehicle = ctx
        .call("GET", &format!("{VEHICLES}/{plate}"), Some(admin), None)
        .await
        .expect(200);

    for (path, read, change) in [
        (format!("{PERSONS}/{person_id}"), person, json!({ "name": "Primera" })),
        (format!("{VEHICLES}/{plate}"), vehicle, json!({ "color": "Verde" })),
        (
            format!("{OFFICERS}/{officer_id}"),
            officer,
            json!({ "name": "Oficial primero" }),
        ),
    ] {
        let read_version = version(&read);
        // With the version just read: applies.
        let mut body = change.clone();
        body["version"] = json!(read_version);
        let updated = ctx.call("PATCH", &path, Some(admin), Some(&body)).await.expect(200);
        assert_eq!(version(&updated), read_version + 1, "{updated}");
        // The same version again is stale now: 409, nothing changes.
        let mut stale = json!({ "version": read_version });
        stale.as_object_mut().unwrap().extend(
            change
                .as_object()
                .unwrap()
                .keys()
                .map(|k| (k.clone(), json!("Segunda"))),
        );
        ctx.call("PATCH", &path, Some(admin), Some(&stale))
            .await
            .expect_problem(409, None);
        let got = ctx.call("GET", &path, Some(admin), None).await.expect(200);
        assert_eq!(version(&got), read_version + 1, "a stale PATCH changed nothing: {got}");
        // A version that is not a positive integer is refused.
        ctx.call("PATCH", &path, Some(admin), Some(&json!({ "version": "1" })))
            .await
            .expect_invalid_field("version");
    }
}

#[tokio::test]
async fn admin_free_text_refuses_control_characters() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let admin = admin.as_str();
    let (person_id, _, _) = new_person(&ctx, admin).await;
    let plate = new_vehicle(&ctx, admin, &person_id, "Ford", "Rojo").await;
    let (officer_id, _, _, _) = new_officer(&ctx, admin).await;
    let bad = [
        "Pe\u{0}dro",
        "Pe\u{7}dro",
        "Pe\u{1b}[31mdro",
        "Pe\u{85}dro",
        "\u{202E}ordeP",
        "Pe\u{2066}dro",
    ];

    for text in bad {
        let email = format!("control.{}@example.com", unique_tag());
        ctx.call(
            "POST",
            PERSONS,
            Some(admin),
            Some(&json!({ "name": text, "email": email })),
        )
        .await
        .expect_invalid_field("name");
        ctx.call(
            "PATCH",
            &format!("{PERSONS}/{person_id}"),
            Some(admin),
            Some(&json!({ "name": text })),
        )
        .await
        .expect_invalid_field("name");
        for field in ["brand", "color"] {
            let mut body = json!({ "plate": unique_plate(), "brand": "Fiat", "color": "Azul", "owner_id": person_id });
            body[field] = json!(text);
            ctx.call("POST", VEHICLES, Some(admin), Some(&body))
                .await
                .expect_invalid_field(field);
            ctx.call(
                "PATCH",
                &format!("{VEHICLES}/{plate}"),
                Some(admin),
                Some(&json!({ field: text })),
            )
            .await
            .expect_invalid_field(field);
        }
        ctx.call(
            "POST",
            OFFICERS,
            Some(admin),
            Some(&json!({ "name": text, "badge": unique_badge() })),
        )
        .await
        .expect_invalid_field("name");
        ctx.call(
            "PATCH",
            &format!("{OFFICERS}/{officer_id}"),
            Some(admin),
            Some(&json!({ "name": text })),
        )
        .await
        .expect_invalid_field("name");
    }
    // Nothing was written.
    let vehicle = ctx
        .call("GET", &format!("{VEHICLES}/{plate}"), Some(admin), None)
        .await
        .expect(200);
    assert_eq!(
        (vehicle["brand"].clone(), vehicle["color"].clone()),
        (json!("Ford"), json!("Rojo"))
    );
    // Accents and other letters are text, not control characters.
    ctx.call(
        "PATCH",
        &format!("{PERSONS}/{person_id}"),
        Some(admin),
        Some(&json!({ "name": "Peña Ñandú Çelik" })),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn admin_command_rotates_an_officer_key() {
    let ctx = Ctx::new().await;
    let admin = admin_token(&ctx).await;
    let (owner_id, _, _) = new_person(&ctx, &admin).await;
    let plate = new_vehicle(&ctx, &admin, &owner_id, "Ford", "Rojo").await;
    let (officer_id, _, old_key, officer) = new_officer(&ctx, &admin).await;

    let stdout = ctx
        .admin_ok("infractions-admin", &["issue-officer-key", "--officer-id", &officer_id])
        .await;
    let new_key = stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("andes_"))
        .unwrap_or_else(|| panic!("issue-officer-key printed no key: {stdout}"))
        .to_string();
    assert_ne!(new_key, old_key);

    // The new key records infractions; the old one is revoked.
    cargar_ok(&ctx, &new_key, &plate, &minutes_ago(2), "con la llave nueva").await;
    let reply = cargar(
        &ctx,
        Some(&old_key),
        &infraction(&plate, &minutes_ago(1), "con la llave vieja"),
    )
    .await;
    assert_eq!(
        reply.status, 403,
        "old key: expected 403, got {} {}",
        reply.status, reply.text
    );
    // The officer was written back once, keeping what it had.
    let got = ctx
        .call("GET", &format!("{OFFICERS}/{officer_id}"), Some(&admin), None)
        .await
        .expect(200);
    assert_eq!(version(&got), version(&officer) + 1, "{got}");
    assert_eq!(
        (got["name"].clone(), got["badge"].clone()),
        (officer["name"].clone(), officer["badge"].clone())
    );

    // An officer that does not exist is an error, and nothing is printed as a key.
    let (success, stdout, stderr) = ctx
        .run_admin(
            "infractions-admin",
            &["issue-officer-key", "--officer-id", "no-such-officer"],
        )
        .await;
    assert!(
        !success && !stdout.contains("andes_"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stderr.contains("no officer"), "stderr: {stderr}");
}
