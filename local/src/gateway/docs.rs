//! `/_local/openapi/<api>.json` and `/_local/docs`: the committed OpenAPI documents
//! (`docs/openapi/`, written by `make openapi`) and a browsable reference of them, rendered by a
//! vendored Swagger UI (`local/assets/swagger-ui`) so it works offline. Documents are read on
//! each request: a `make openapi` shows without a restart.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::response::message;

const BUNDLE: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js");
const PRESET: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui-standalone-preset.js");
const STYLES: &[u8] = include_bytes!("../../assets/swagger-ui/swagger-ui.css");

/// `GET /_local/openapi/<api>.json`.
pub fn document(docs_dir: Option<&Path>, file: &str) -> Response {
    let Some(api) = file.strip_suffix(".json").filter(|api| is_api_name(api)) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    match docs_dir.map(|dir| std::fs::read(dir.join(format!("{api}.json")))) {
        Some(Ok(bytes)) => bytes_response(bytes, "application/json"),
        _ => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// `GET /_local/docs` and its assets.
pub fn reference(docs_dir: Option<&Path>, rest: &str) -> Response {
    match rest {
        "" | "/" => bytes_response(page(&api_names(docs_dir)).into_bytes(), "text/html; charset=utf-8"),
        "/swagger-ui-bundle.js" => bytes_response(BUNDLE.to_vec(), "text/javascript"),
        "/swagger-ui-standalone-preset.js" => bytes_response(PRESET.to_vec(), "text/javascript"),
        "/swagger-ui.css" => bytes_response(STYLES.to_vec(), "text/css"),
        _ => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// Lower-case letters only: a name never reaches outside the documents' folder.
fn is_api_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_lowercase())
}

fn api_names(docs_dir: Option<&Path>) -> Vec<String> {
    let Some(entries) = docs_dir.and_then(|dir| std::fs::read_dir(dir).ok()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(".json").map(str::to_string))
        .filter(|name| is_api_name(name))
        .collect();
    names.sort();
    names
}

fn page(apis: &[String]) -> String {
    let urls: Vec<serde_json::Value> = apis
        .iter()
        .map(|api| serde_json::json!({ "url": format!("/_local/openapi/{api}.json"), "name": api }))
        .collect();
    let urls = serde_json::Value::Array(urls).to_string();
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Andes APIs</title>
  <link rel="stylesheet" href="/_local/docs/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="/_local/docs/swagger-ui-bundle.js"></script>
  <script src="/_local/docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      urls: {urls},
      dom_id: "#reference",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    }});
  </script>
</body>
</html>
"##
    )
}

fn bytes_response(bytes: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(bytes));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_folder_are_not_found() {
        let dir = std::env::temp_dir();
        for file in ["../x.json", "a/b.json", ".json", "Identity.json", "identity"] {
            assert_eq!(document(Some(&dir), file).status(), StatusCode::NOT_FOUND, "{file}");
        }
    }

    #[test]
    fn the_reference_lists_each_document_of_the_folder() {
        let dir = std::env::temp_dir().join(format!("andes-docs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("rides.json"), "{}").unwrap();
        std::fs::write(dir.join("notes.txt"), "").unwrap();
        assert_eq!(api_names(Some(&dir)), vec!["rides"]);
        assert_eq!(document(Some(&dir), "rides.json").status(), StatusCode::OK);
        assert!(page(&api_names(Some(&dir))).contains("/_local/openapi/rides.json"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
