//! The running platform serves the committed OpenAPI documents and a browsable reference of
//! them (`/_local/openapi/<api>.json`, `/_local/docs`), as the README says.

use andes_tests::support::{project_dir, Ctx, Value};

#[tokio::test]
async fn each_committed_document_is_served_and_listed_in_the_reference() {
    let ctx = Ctx::new().await;
    let page = ctx.call_raw("GET", "/_local/docs", &[], Vec::new()).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.content_type.starts_with("text/html"), "{}", page.content_type);
    let folder = project_dir().join("docs").join("openapi");
    let mut served = 0;
    for entry in std::fs::read_dir(&folder).expect("docs/openapi exists") {
        let path = entry.expect("a readable entry").path();
        let Some(api) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let reply = ctx
            .call_raw("GET", &format!("/_local/openapi/{api}.json"), &[], Vec::new())
            .await;
        assert_eq!(reply.status, 200, "{api}: {}", reply.text);
        assert_eq!(
            reply.json(),
            committed,
            "{api}: the served document is the committed one"
        );
        assert!(
            page.text.contains(&format!("/_local/openapi/{api}.json")),
            "{api} is not in the reference"
        );
        served += 1;
    }
    assert_eq!(served, 6, "one document per HTTP API");
}

#[tokio::test]
async fn the_reference_renders_offline_from_vendored_assets() {
    let ctx = Ctx::new().await;
    for (asset, content_type) in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui-standalone-preset.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
    ] {
        let reply = ctx
            .call_raw("GET", &format!("/_local/docs/{asset}"), &[], Vec::new())
            .await;
        assert_eq!(reply.status, 200, "{asset}");
        assert_eq!(reply.content_type, content_type, "{asset}");
        assert!(reply.text.len() > 10_000, "{asset} is the whole file");
    }
    for missing in [
        "/_local/openapi/nothing.json",
        "/_local/openapi/..%2Ftemplate.json",
        "/_local/docs/index.js",
    ] {
        let reply = ctx.call_raw("GET", missing, &[], Vec::new()).await;
        assert_eq!(reply.status, 404, "{missing}: {}", reply.text);
    }
}
