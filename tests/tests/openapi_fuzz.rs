//! schemathesis against every committed OpenAPI document, on the running platform: generated
//! requests (valid and invalid) to every operation, each answer checked for no 5xx, a documented
//! status, the documented content type and a body that matches its schema.
//!
//! One fresh account per role signs the requests, so what the fuzzer does to them (failed
//! password checks lock an email; edits) touches no other test's accounts. Each service gets
//! one resource of each kind its paths name (an ad, a circle and a ride, an order, a venue and a
//! reservation, ...), owned by the account whose token the fuzzer sends, and every path
//! parameter of those routes is pinned to it: generated bodies and queries then reach the
//! handlers' real work instead of a 404.
//!
//! Ignored in the main run: `make test` runs it last, on its own, with `--ignored --nocapture`
//! so that schemathesis' report (operations, test cases) shows. Its settings (seed, examples
//! per operation, checks) are in `tests/schemathesis.toml`.

mod classifieds_support;
mod deliveries_support;
mod dining_support;
mod infractions_support;
mod rides_support;

use andes_tests::support::{json, project_dir, unique_tag, Ctx, Session, Value};
use futures_util::StreamExt;
use tokio::process::Command;

/// A signed-in account of the fuzz run.
struct Account {
    token: String,
    session: Session,
}

/// A fresh account granted `role` (beside `user`), signed in again so its token carries it.
async fn account_with_role(ctx: &Ctx, role: Option<&str>) -> Account {
    let (new, session) = ctx.new_session().await;
    let Some(role) = role else {
        return Account {
            token: session.access_token.clone(),
            session,
        };
    };
    ctx.admin(&["grant-role", "--email", &new.email, "--role", role]).await;
    let session = ctx.login_session(&new.email, &new.password).await;
    Account {
        token: session.access_token.clone(),
        session,
    }
}

async fn created(ctx: &Ctx, path: &str, token: &str, body: &Value, status: u16) -> Value {
    ctx.call("POST", path, Some(token), Some(body)).await.expect(status)
}

fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_string()
}

/// An `[[operations]]` section pinning parameters (`name` is a path parameter, `query.name` a
/// query one) of the routes matched by `path_regex`, but for their `DELETE`s: a deleted fixture
/// would turn the rest of the run into 404s. Sections must not overlap: one section's parameters
/// replace another's.
fn pin(path_regex: &str, parameters: &[(&str, &str)]) -> String {
    let parameters: Vec<String> = parameters
        .iter()
        .map(|(name, value)| {
            let key = if name.contains('.') {
                name.to_string()
            } else {
                format!("path.{name}")
            };
            format!("{} = {}", Value::from(key), Value::from(*value))
        })
        .collect();
    format!(
        "\n[[operations]]\ninclude-path-regex = {}\nexclude-method = \"DELETE\"\nparameters = {{ {} }}\n",
        Value::from(path_regex),
        parameters.join(", ")
    )
}

struct Roles {
    user: Account,
    admin: Account,
    operator: Account,
    client: Account,
    restaurant: Account,
    officer_key: String,
}

/// One resource of each kind the documents' paths name, and the sections that pin them.
async fn fixtures(ctx: &Ctx, roles: &Roles) -> String {
    let (user, admin) = (roles.user.token.as_str(), roles.admin.token.as_str());
    let username = roles.user.session.account["username"]
        .as_str()
        .expect("a username")
        .to_string();
    let mut sections = String::new();

    let person = created(
        ctx,
        "/infractions/admin/persons",
        admin,
        &json!({ "name": "Persona Fuzz", "email": format!("fuzz.{}@example.com", unique_tag()) }),
        201,
    )
    .await;
    let plate = infractions_support::unique_plate();
    let vehicle = json!({ "plate": plate, "brand": "Ford", "color": "Rojo", "owner_id": id(&person) });
    created(ctx, "/infractions/admin/vehicles", admin, &vehicle, 201).await;
    let officer = json!({ "name": "Oficial Fuzz", "badge": infractions_support::unique_badge() });
    let officer = created(ctx, "/infractions/admin/officers", admin, &officer, 201).await;
    sections += &pin(r"^/infractions/admin/persons/\{id\}$", &[("id", &id(&person))]);
    sections += &pin(r"^/infractions/admin/vehicles/\{plate\}$", &[("plate", &plate)]);
    sections += &pin(r"^/infractions/admin/officers/\{id\}$", &[("id", &id(&officer))]);

    // The user's own draft for the owner's routes; the admin's published ad for a buyer's
    // message, which opens the chat the chat routes are pinned to.
    let draft = created(ctx, "/classifieds/ads", user, &classifieds_support::ad_body(), 201).await;
    let ad_body = classifieds_support::ad_body();
    let published = classifieds_support::published_ad(ctx, &roles.admin.session, &ad_body, 1).await;
    let message = json!({ "text": "¿Sigue disponible?" });
    let chat = created(
        ctx,
        &format!("/classifieds/ads/{}/messages", id(&published)),
        user,
        &message,
        201,
    )
    .await;
    let chat_id = chat["chat_id"].as_str().expect("a chat id").to_string();
    sections += &pin(r"^/classifieds/ads/\{id\}/messages$", &[("id", &id(&published))]);
    sections += &pin(
        r"^/classifieds/ads/\{id\}(/images(/\{image_id\})?|/publish)?$",
        &[("id", &id(&draft))],
    );
    sections += &pin(r"^/classifieds/chats/\{id\}", &[("id", &chat_id)]);

    let slug = rides_support::unique_slug("fuzz");
    let circle = json!({ "name": format!("Circle {slug}"), "slug": slug, "about": "fuzzed" });
    created(ctx, "/rides/circles", user, &circle, 201).await;
    let ride = rides_support::ride_body(3, 60, 120);
    let ride = created(ctx, &rides_support::rides_path(&slug), user, &ride, 201).await;
    let on_circle = [("slug", slug.as_str()), ("username", &username), ("id", &id(&ride))];
    sections += &pin(r"^/rides/circles/\{slug\}", &on_circle);
    sections += &pin(r"^/rides/users/\{username\}", &[("username", &username)]);

    let operator = roles.operator.token.as_str();
    let origin = deliveries_support::unique_place("Fuzz");
    let warehouse = created(
        ctx,
        "/deliveries/warehouses",
        operator,
        &deliveries_support::warehouse_body(&origin, 50),
        201,
    )
    .await;
    let transport = deliveries_support::transport_body(&deliveries_support::unique_plate(), &id(&warehouse), "Cali");
    let transport = created(ctx, "/deliveries/transports", operator, &transport, 201).await;
    let departure = deliveries_support::far_future();
    let order = deliveries_support::order_body(&origin, "Cali", departure, 2, None);
    let order = created(ctx, "/deliveries/orders", user, &order, 202).await;
    sections += &pin(
        r"^/deliveries/orders/\{id\}(/(cancel|deliver|return))?$",
        &[("id", &id(&order))],
    );
    // The live feed holds a request up to `wait` seconds when nothing is new: not what a fuzzer
    // should spend its examples on.
    sections += &pin(
        r"^/deliveries/orders/\{id\}/events$",
        &[("id", &id(&order)), ("query.wait", "0")],
    );
    sections += &pin(r"^/deliveries/transports/\{id\}", &[("id", &id(&transport))]);
    sections += &pin(r"^/deliveries/warehouses/\{id\}$", &[("id", &id(&warehouse))]);

    let (restaurant, client) = (roles.restaurant.token.as_str(), roles.client.token.as_str());
    let venue_body = dining_support::venue_body(&dining_support::unique_name("Fuzz"), dining_support::unique_point());
    let venue = created(ctx, "/dining/venues", restaurant, &venue_body, 201).await;
    let time = dining_support::wire(dining_support::slot_in(3, 20, 0));
    let booking = json!({ "venue": id(&venue), "time": time, "people": 2 });
    let reservation = created(ctx, "/dining/reservations", client, &booking, 201).await;
    let diner = roles.client.session.account_id().to_string();
    sections += &pin(r"^/dining/venues/\{id\}", &[("id", &id(&venue))]);
    sections += &pin(r"^/dining/stats/venues/\{id\}$", &[("id", &id(&venue))]);
    sections += &pin(r"^/dining/summaries/\{venue\}$", &[("venue", &id(&venue))]);
    sections += &pin(r"^/dining/reservations/\{id\}$", &[("id", &id(&reservation))]);
    sections += &pin(r"^/dining/(stats/)?users/\{id\}", &[("id", &diner)]);
    sections
}

#[tokio::test]
#[ignore = "run by `make test` after the end-to-end suites (scripts/test.sh)"]
async fn every_api_answers_generated_requests_as_its_document_says() {
    let ctx = Ctx::new().await;
    let (user, admin, operator, client, restaurant) = tokio::join!(
        account_with_role(&ctx, None),
        account_with_role(&ctx, Some("admin")),
        account_with_role(&ctx, Some("operator")),
        account_with_role(&ctx, Some("client")),
        account_with_role(&ctx, Some("restaurant")),
    );
    let officer = json!({ "name": "Oficial Fuzz", "badge": infractions_support::unique_badge() });
    let officer = created(&ctx, "/infractions/admin/officers", &admin.token, &officer, 201).await;
    let roles = Roles {
        officer_key: officer["api_key"]
            .as_str()
            .expect("a new officer's api_key")
            .to_string(),
        user,
        admin,
        operator,
        client,
        restaurant,
    };
    let root = project_dir();
    let base = std::fs::read_to_string(root.join("tests").join("schemathesis.toml")).expect("the base settings");
    let config = std::env::temp_dir().join(format!("andes-schemathesis-{}.toml", std::process::id()));
    std::fs::write(&config, base + &fixtures(&ctx, &roles).await).expect("the run's settings are written");

    let schemathesis = root.join(".venv").join("bin").join("schemathesis");
    let mut documents: Vec<_> = std::fs::read_dir(root.join("docs").join("openapi"))
        .expect("docs/openapi exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    documents.sort();
    assert!(!documents.is_empty(), "no documents in docs/openapi");
    // Two documents at a time, each run with one worker (`tests/schemathesis.toml`): the workers
    // of one run share Hypothesis' caches, which are not thread-safe (a KeyError under load).
    let runs = futures_util::stream::iter(documents.iter().map(|document| {
        Command::new(&schemathesis)
            .arg("--config-file")
            .arg(&config)
            .args(["--no-color", "run"])
            .current_dir(std::env::temp_dir())
            .arg(document)
            .args(["--url", ctx.env.base_url()])
            .envs([
                ("ANDES_FUZZ_TOKEN_USER", &roles.user.token),
                ("ANDES_FUZZ_TOKEN_ADMIN", &roles.admin.token),
                ("ANDES_FUZZ_TOKEN_OPERATOR", &roles.operator.token),
                ("ANDES_FUZZ_TOKEN_CLIENT", &roles.client.token),
                ("ANDES_FUZZ_TOKEN_RESTAURANT", &roles.restaurant.token),
                ("ANDES_FUZZ_TOKEN_OFFICER", &roles.officer_key),
            ])
            .output()
    }));
    let outputs: Vec<_> = runs.buffered(2).collect().await;
    let mut failed = Vec::new();
    for (document, output) in documents.iter().zip(outputs) {
        let output = output.unwrap_or_else(|error| panic!("cannot run {}: {error}", schemathesis.display()));
        println!("==== {}", document.display());
        println!("{}", String::from_utf8_lossy(&output.stdout));
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        if !output.status.success() {
            failed.push(document.display().to_string());
        }
    }
    let _ = std::fs::remove_file(&config);
    assert!(
        failed.is_empty(),
        "schemathesis found failures in: {}",
        failed.join(", ")
    );
}
