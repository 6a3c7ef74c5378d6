//! Seed 001's own test file (`backend/tests`, Django), ported as the seed wrote it: the same
//! test names, requests, data and assertions, against the fixtures the platform loads (Pedro,
//! GPZ402, the fixture officer). Each port says which seed test it is and what Andes
//! necessarily does differently, and nothing else differs:
//! - the path: `/infractions/cargar_infraccion` and `/infractions/generar_informe` (the seed's
//!   `/cargar_infraccion/` and `/generar_informe/`);
//! - the fixture officer's token: the API key the platform issued when it loaded the fixtures,
//!   read from the test context (the seed read `Officer.objects.get(pk=1).token`);
//! - the seed ran each test in a rolled-back transaction; here its posts stay in the table;
//! - the report's keys (see `test_non_existent_person`).
//!
//! After the port, the checks Andes adds around the same contract.

mod infractions_support;

use std::collections::BTreeSet;

use andes_tests::support::{json, made_up_api_key, unique_tag, Ctx, Reply};
use infractions_support::*;

/// What Django's test client sends for `client.post(path)` without data: an empty multipart
/// form (`django.test.client.MULTIPART_CONTENT`, `encode_multipart(BOUNDARY, {})`).
async fn django_post_without_data(ctx: &Ctx, authorization: &str) -> Reply {
    ctx.call_raw(
        "POST",
        CARGAR,
        &[
            ("authorization", authorization),
            ("content-type", "multipart/form-data; boundary=BoUnDaRyStRiNg"),
        ],
        b"--BoUnDaRyStRiNg--\r\n".to_vec(),
    )
    .await
}

/// What Django's test client sends for `client.post(path, data=json.dumps(data),
/// content_type="json", HTTP_AUTHORIZATION=f"Bearer {token}")`: Python's `json.dumps` text,
/// with the seed's (non-standard) content type `json`.
async fn django_json_post(ctx: &Ctx, json_dumps: &str, token: &str) -> Reply {
    ctx.call_raw(
        "POST",
        CARGAR,
        &[("authorization", &format!("Bearer {token}")), ("content-type", "json")],
        json_dumps.as_bytes().to_vec(),
    )
    .await
}

fn status(reply: &Reply, expected: u16) {
    assert_eq!(
        reply.status, expected,
        "{}: expected {expected}, got {} {}",
        reply.request, reply.status, reply.text
    );
}

// ------------------------------------------------------------------ the seed's tests, ported

/// `CargarInfraccionTestCase.test_put_method`: `self.client.put(path=self.path)` (Django sends
/// an empty body of type `application/octet-stream`, no credentials) → 405.
#[tokio::test]
async fn test_put_method() {
    let ctx = Ctx::new().await;
    let response = ctx
        .call_raw(
            "PUT",
            CARGAR,
            &[("content-type", "application/octet-stream")],
            Vec::new(),
        )
        .await;
    // Devuelve 405: METHOD NOT ALLOWED
    status(&response, 405);
}

/// `CargarInfraccionTestCase.test_unvalid_token`: a POST without data whose Authorization is
/// `TOKEN_INVALIDA` (malformed: no scheme) → 403, then `Bearer TOKEN_INVALIDA` (no such token)
/// → 403. In Andes the gateway's authorizer answers both (a bad credential is a 403; only a
/// missing one is a 401).
#[tokio::test]
async fn test_unvalid_token() {
    let ctx = Ctx::new().await;
    // hacer POST con token mal compuesta
    let response = django_post_without_data(&ctx, "TOKEN_INVALIDA").await;
    status(&response, 403);

    // hacer POST con token que no existe
    let response = django_post_without_data(&ctx, "Bearer TOKEN_INVALIDA").await;
    status(&response, 403);
}

/// `CargarInfraccionTestCase.test_non_existent_vehicle`: `{"placa_patente":
/// "PLACA_NO_EXISTENTE", "comentarios": "Comentarios del oficial"}` with the fixture officer's
/// token → 404 (a plate no vehicle has is not found, whatever its shape; no timestamp sent).
#[tokio::test]
async fn test_non_existent_vehicle() {
    let ctx = Ctx::new().await;
    let data = r#"{"placa_patente": "PLACA_NO_EXISTENTE", "comentarios": "Comentarios del oficial"}"#;
    let officer_token = fixture_officer_key(&ctx);
    // Hacer POST con placa que no existe
    let response = django_json_post(&ctx, data, &officer_token).await;
    status(&response, 404);
}

/// `CargarInfraccionTestCase.test_valid_post`: `{"placa_patente": "GPZ402", "comentarios":
/// "Comentarios del oficial"}` with the fixture officer's token → 200 (no timestamp: the seed
/// dated infractions itself, and so does Andes when none is sent).
#[tokio::test]
async fn test_valid_post() {
    let ctx = Ctx::new().await;
    let data = r#"{"placa_patente": "GPZ402", "comentarios": "Comentarios del oficial"}"#;
    let officer_token = fixture_officer_key(&ctx);
    let response = django_json_post(&ctx, data, &officer_token).await;
    status(&response, 200);
}

/// `GenerarInformeTestCase.test_non_existent_person`, the first definition: `GET
/// ?email=NO_EXISTE` → 404. Python shadows it with the second definition below, so the seed
/// never ran it; it is what its author meant, so it runs here under its own name.
#[tokio::test]
async fn test_non_existent_person_first_definition() {
    let ctx = Ctx::new().await;
    let response = informe(&ctx, Some("NO_EXISTE")).await;
    status(&response, 404);
}

/// `GenerarInformeTestCase.test_non_existent_person`, the definition that runs: `GET
/// ?email=pedro@gmail.com` → 200, the body is a list, and the key set of every object is
/// `assertSetEqual`-ed.
///
/// The one assertion Andes must adapt: the seed compared each object's keys with exactly its
/// five (`id, vehicle_id, comments, officer_id, created_at`); the spec (infractions.md) keeps
/// those five and adds the keys of its own report (`plate, vehicle_brand, vehicle_color,
/// timestamp, officer_name, created`, with the README's `brand`/`color` aliases). So the set
/// compared is the seed's five plus exactly those: still nothing missing and nothing else.
#[tokio::test]
async fn test_non_existent_person() {
    let ctx = Ctx::new().await;
    // Validar si la respuesta es exitosa
    let response = informe(&ctx, Some("pedro@gmail.com")).await;
    status(&response, 200);

    // Validar si el cuerpo de la respuesta es una lista
    let response_data = response.json();
    let response_data = response_data
        .as_array()
        .unwrap_or_else(|| panic!("the report is not a list: {}", response.text));

    // Validar si tiene las llaves cada objeto
    let expected_keys: BTreeSet<&str> = SEED_KEYS
        .iter()
        .chain(REPORT_KEYS.iter())
        .chain(["brand", "color"].iter())
        .copied()
        .collect();
    for infraction in response_data {
        let keys: BTreeSet<&str> = infraction
            .as_object()
            .unwrap_or_else(|| panic!("report item is not an object: {infraction}"))
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(expected_keys, keys, "{infraction}");
    }
}

// ------------------------------------------------------------- what Andes adds to the seed

/// Beyond `test_put_method`: any method but POST answers 405, without credentials, and even
/// with a body and the officer's key.
#[tokio::test]
async fn other_methods_on_cargar_infraccion_are_not_allowed() {
    let ctx = Ctx::new().await;
    for method in ["PUT", "GET", "DELETE"] {
        let reply = ctx.call(method, CARGAR, None, None).await;
        assert_eq!(
            reply.status, 405,
            "{method} {CARGAR}: expected 405, got {} {}",
            reply.status, reply.text
        );
    }
    let body = infraction(FIXTURE_PLATE, &minutes_ago(1), "put");
    let reply = ctx
        .call("PUT", CARGAR, Some(&fixture_officer_key(&ctx)), Some(&body))
        .await;
    assert_eq!(
        reply.status, 405,
        "PUT with a body: expected 405, got {} {}",
        reply.status, reply.text
    );
}

/// Beyond `test_unvalid_token`: no credential is the gateway's 401; every malformed or unknown
/// credential is a 403, before the handler.
#[tokio::test]
async fn bad_bearer_forms_are_refused() {
    let ctx = Ctx::new().await;
    let body = infraction(FIXTURE_PLATE, &minutes_ago(1), "bad bearer");

    cargar(&ctx, None, &body).await.expect_gateway(401, "Unauthorized");
    ctx.call_raw(
        "POST",
        CARGAR,
        &[("authorization", ""), ("content-type", "application/json")],
        body.to_string().into(),
    )
    .await
    .expect_gateway(401, "Unauthorized");

    let random_key = made_up_api_key(None);
    for authorization in [
        "TOKEN_INVALIDA",
        "Bearer TOKEN_INVALIDA",
        "Bearer",
        "Bearer x",
        "Token abc",
        "Bearer andes_not-a-key",
        &format!("Bearer {random_key}"),
        // The raw key without the Bearer scheme is not accepted either.
        &random_key,
    ] {
        let reply = ctx
            .call_raw(
                "POST",
                CARGAR,
                &[("authorization", authorization), ("content-type", "application/json")],
                body.to_string().into(),
            )
            .await;
        assert_eq!(
            reply.status, 403,
            "Authorization {authorization:?}: expected 403, got {} {}",
            reply.status, reply.text
        );
    }
}

/// Beyond `test_non_existent_vehicle`: a plate no vehicle has is 404 with the seed's message
/// whatever its shape, up to 32 characters as sent; only a longer one, a missing one or one
/// that is not a string is a 422 naming `placa_patente`.
#[tokio::test]
async fn plates_no_vehicle_has_are_not_found_whatever_their_shape() {
    let ctx = Ctx::new().await;
    let key = fixture_officer_key(&ctx);
    let (unregistered, longest) = (unique_plate(), "X".repeat(32));
    for plate in [
        unregistered.as_str(),
        "PLACA_NO_EXISTENTE",
        "placa no existente",
        "",
        " - ",
        "AB#1",
        "ÑANDÚ1",
        "GPZ4021",
        &longest,
    ] {
        let body = json!({ "placa_patente": plate, "comentarios": "Comentarios del oficial" });
        cargar(&ctx, Some(&key), &body)
            .await
            .expect_problem(404, Some("No existe un vehículo asociado a la placa"));
    }
    for plate in [json!("X".repeat(33)), json!(402), json!(null), json!(["GPZ402"])] {
        let body = json!({ "placa_patente": plate, "comentarios": "Comentarios del oficial" });
        cargar(&ctx, Some(&key), &body)
            .await
            .expect_invalid_field("placa_patente");
    }
    cargar(&ctx, Some(&key), &json!({ "comentarios": "Comentarios del oficial" }))
        .await
        .expect_invalid_field("placa_patente");
}

/// Beyond `test_valid_post`: the plate is normalised (case, spaces, hyphens), and without a
/// timestamp the infraction is dated when it was recorded.
#[tokio::test]
async fn a_post_without_timestamp_is_dated_when_recorded() {
    let ctx = Ctx::new().await;
    let comments = format!("sin timestamp {}", unique_tag());
    let body = json!({ "placa_patente": "gpz-402", "comentarios": comments });
    let answer = cargar(&ctx, Some(&fixture_officer_key(&ctx)), &body).await.expect(200);
    let id = id_of(&answer, "cargar_infraccion answer");

    let items = informe_with(&ctx, FIXTURE_EMAIL, std::slice::from_ref(&id)).await;
    let item = items.iter().find(|i| item_id(i) == id).unwrap();
    assert_eq!(item["plate"], json!(FIXTURE_PLATE), "{item}");
    assert_eq!(item["comments"], json!(comments), "{item}");
    assert_eq!(
        parse_time(&item["timestamp"], "timestamp"),
        parse_time(&item["created"], "created"),
        "{item}"
    );
}

/// Beyond `test_valid_post`: the fixture officer posts on GPZ402 with a timestamp; the
/// infraction reaches Pedro's report with everything it was sent.
#[tokio::test]
async fn fixture_officer_posts_on_the_fixture_plate() {
    let ctx = Ctx::new().await;
    let comments = format!("seed check {}", unique_tag());
    let timestamp = minutes_ago(2);
    let id = cargar_ok(&ctx, &fixture_officer_key(&ctx), FIXTURE_PLATE, &timestamp, &comments).await;

    let items = informe_with(&ctx, FIXTURE_EMAIL, std::slice::from_ref(&id)).await;
    let item = items.iter().find(|i| item_id(i) == id).unwrap();
    assert_eq!(item["plate"], json!(FIXTURE_PLATE), "{item}");
    assert_eq!(item["comments"], json!(comments), "{item}");
    assert_eq!(
        item["officer_id"],
        json!(ctx.env.var("INFRACTIONS_OFFICER_ID")),
        "{item}"
    );
    assert_eq!(item["officer_name"], json!("Oficial pedro"), "{item}");
    assert_eq!(item["vehicle_brand"], json!("Ford"), "{item}");
    assert_eq!(item["vehicle_color"], json!("Rojo"), "{item}");
    assert_eq!(
        parse_time(&item["timestamp"], "timestamp"),
        parse_time(&json!(timestamp), "sent"),
        "{item}"
    );
}

/// Beyond `test_non_existent_person`: Pedro's report is newest first and holds the three
/// fixture infractions.
#[tokio::test]
async fn fixture_report_has_the_seed_keys_newest_first() {
    let ctx = Ctx::new().await;
    let items = informe_items(&ctx, FIXTURE_EMAIL).await;
    assert!(!items.is_empty(), "Pedro's report is empty");
    assert_report_shape(&items, "Pedro's report");
    assert_newest_first(&items, "Pedro's report");
    let fixtures = items
        .iter()
        .filter(|i| i["plate"] == json!(FIXTURE_PLATE) && i["comments"] == json!("Comentarios"))
        .count();
    assert!(
        fixtures >= 3,
        "Pedro's report holds {fixtures} fixture infractions (comment \"Comentarios\"), expected 3"
    );
    for item in &items {
        assert!(!item_id(item).is_empty(), "report item without id: {item}");
        parse_time(&item["created"], "created");
    }
}
