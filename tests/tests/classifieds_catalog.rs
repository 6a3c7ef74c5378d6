//! Classifieds catalog (loaded by `make up` from data/classifieds/catalog.jsonl): public
//! lists with paging, get by id, 404s.

use andes_tests::support::{query_escape, Ctx, Value};

const CATALOG: &str = "/classifieds/catalog";

/// Every item of a paged list, following cursors.
async fn all(ctx: &Ctx, path: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={}", query_escape(c)),
            None => format!("{path}?limit={limit}"),
        };
        let page = ctx.call("GET", &url, None, None).await.expect(200);
        let batch = page["items"].as_array().unwrap().clone();
        assert!(batch.len() <= limit as usize);
        items.extend(batch);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return items,
        }
    }
}

#[tokio::test]
async fn catalog_lists_hold_the_seed_counts() {
    let ctx = Ctx::new().await;
    let states = all(&ctx, &format!("{CATALOG}/states"), 100).await;
    assert_eq!(states.len(), 2);
    let sp = states.iter().find(|s| s["acronym"] == "SP").expect("São Paulo");
    assert_eq!(sp["name"], "São Paulo");
    let sp_cities = all(&ctx, &format!("{CATALOG}/states/{}/cities", sp["id"]), 100).await;
    let se_cities = all(&ctx, &format!("{CATALOG}/states/2/cities",), 100).await;
    assert_eq!(sp_cities.len() + se_cities.len(), 718);
    assert!(sp_cities.iter().all(|c| c["state_id"] == sp["id"]));
    // Sorted by name, and paging returns each once.
    let names: Vec<String> = sp_cities
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let mut ids: Vec<u64> = sp_cities.iter().map(|c| c["id"].as_u64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), sp_cities.len());

    let brands = all(&ctx, &format!("{CATALOG}/brands"), 7).await;
    assert_eq!(brands.len(), 18);
    let honda = brands.iter().find(|b| b["name"] == "Honda").expect("Honda");
    assert_eq!(honda["popular"], true);
    let mut models = 0;
    let mut versions = 0;
    for brand in &brands {
        let brand_models = all(&ctx, &format!("{CATALOG}/brands/{}/models", brand["id"]), 100).await;
        models += brand_models.len();
        if brand["name"] == "BMW" {
            for model in &brand_models {
                versions += all(&ctx, &format!("{CATALOG}/models/{}/versions", model["id"]), 100)
                    .await
                    .len();
            }
        }
    }
    assert_eq!(models, 298);
    assert!(versions > 0);
}

#[tokio::test]
async fn catalog_items_by_id_and_not_found() {
    let ctx = Ctx::new().await;
    let version = ctx
        .call("GET", &format!("{CATALOG}/versions/1"), None, None)
        .await
        .expect(200);
    assert_eq!(
        version,
        serde_json::json!({"id": 1, "name": "Sport Highline", "model_id": 1})
    );
    let model = ctx
        .call("GET", &format!("{CATALOG}/models/1"), None, None)
        .await
        .expect(200);
    assert_eq!(model["brand_id"], 1);
    let brand = ctx
        .call("GET", &format!("{CATALOG}/brands/1"), None, None)
        .await
        .expect(200);
    assert_eq!(brand["name"], "BMW");
    let city = ctx
        .call("GET", &format!("{CATALOG}/cities/1"), None, None)
        .await
        .expect(200);
    assert_eq!(city["name"], "Adamantina");
    let state = ctx
        .call("GET", &format!("{CATALOG}/states/2"), None, None)
        .await
        .expect(200);
    assert_eq!(state["acronym"], "SE");
    for path in [
        "versions/989",
        "models/0",
        "brands/19",
        "cities/719",
        "states/3",
        "states/x",
        "brands/99/models",
        "models/999/versions",
        "states/9/cities",
    ] {
        ctx.call("GET", &format!("{CATALOG}/{path}"), None, None)
            .await
            .expect_problem(404, None);
    }
    ctx.call("GET", &format!("{CATALOG}/brands?limit=0"), None, None)
        .await
        .expect_invalid_field("limit");
    ctx.call("GET", &format!("{CATALOG}/brands?cursor=garbage"), None, None)
        .await
        .expect_invalid_field("cursor");
}

/// Every catalog list refuses a forged cursor and a cursor of another list (422 naming
/// `cursor`, never a 500).
#[tokio::test]
async fn catalog_cursors_are_checked() {
    let ctx = Ctx::new().await;
    for list in [
        "states",
        "states/1/cities",
        "brands",
        "brands/1/models",
        "models/1/versions",
    ] {
        for forged in ["e30", "eyJsIjoiMCJ9", "nonsense"] {
            ctx.call("GET", &format!("{CATALOG}/{list}?cursor={forged}"), None, None)
                .await
                .expect_invalid_field("cursor");
        }
    }
    let page = ctx
        .call("GET", &format!("{CATALOG}/states/1/cities?limit=2"), None, None)
        .await
        .expect(200);
    let cursor = query_escape(page["next_cursor"].as_str().expect("a second page"));
    ctx.call(
        "GET",
        &format!("{CATALOG}/states/1/cities?limit=2&cursor={cursor}"),
        None,
        None,
    )
    .await
    .expect(200);
    for other in ["states/2/cities", "brands", "states"] {
        ctx.call("GET", &format!("{CATALOG}/{other}?limit=2&cursor={cursor}"), None, None)
            .await
            .expect_invalid_field("cursor");
    }
}
