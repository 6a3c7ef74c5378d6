//! `andes-openapi write`: writes every API's document to `docs/openapi/<api>.json`.
//! `andes-openapi check`: fails when a committed document differs from what the code generates.

use std::process::ExitCode;

use andes_openapi::{document_path, generate, project_dir};

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let root = project_dir();
    let documents = match generate(&root) {
        Ok(documents) => documents,
        Err(error) => {
            eprintln!("andes-openapi: {error}");
            return ExitCode::FAILURE;
        }
    };
    match command.as_str() {
        "write" => {
            for (api, text) in documents {
                let path = document_path(&root, api);
                let written = std::fs::create_dir_all(path.parent().expect("a folder"))
                    .and_then(|()| std::fs::write(&path, text));
                if let Err(error) = written {
                    eprintln!("andes-openapi: cannot write {}: {error}", path.display());
                    return ExitCode::FAILURE;
                }
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        "check" => {
            let stale: Vec<String> = documents
                .into_iter()
                .filter(|(api, text)| std::fs::read_to_string(document_path(&root, api)).ok().as_deref() != Some(text))
                .map(|(api, _)| api.name.to_string())
                .collect();
            if stale.is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!("andes-openapi: out of date: {} (run `make openapi`)", stale.join(", "));
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!("usage: andes-openapi write|check");
            ExitCode::from(2)
        }
    }
}
