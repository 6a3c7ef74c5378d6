//! Runs the admin processes of `local/setup.yaml` against the local stack, collecting the
//! `KEY=VALUE` lines of steps that export them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct SetupFile {
    pub steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
pub struct Step {
    pub name: String,
    pub command: Vec<String>,
    #[serde(default)]
    pub exports: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("setup step '{step}' failed: {reason}")]
    Step { step: String, reason: String },
}

pub fn load(path: &Path) -> Result<SetupFile, SetupError> {
    let read_error = |reason: String| SetupError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| read_error(e.to_string()))?;
    serde_yaml::from_str(&text).map_err(|e| read_error(e.to_string()))
}

/// Runs every step in order; stops at the first failure. Returns the exported variables.
pub async fn run(
    setup: &SetupFile,
    project_dir: &Path,
    target_dir: &Path,
    environment: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, SetupError> {
    let mut exported = BTreeMap::new();
    for step in &setup.steps {
        let failure = |reason: String| SetupError::Step {
            step: step.name.clone(),
            reason,
        };
        let (program, arguments) = step
            .command
            .split_first()
            .ok_or_else(|| failure("empty command".into()))?;
        let workspace_binary = target_dir.join(program);
        let program = if workspace_binary.is_file() {
            workspace_binary
        } else {
            PathBuf::from(program)
        };
        println!("[setup] {}", step.name);
        let output = tokio::process::Command::new(&program)
            .args(arguments)
            .current_dir(project_dir)
            .envs(environment)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .map_err(|e| failure(format!("cannot run {}: {e}", program.display())))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        for line in stdout.lines() {
            match export_line(line) {
                Some((key, value)) if step.exports => {
                    exported.insert(key, value);
                }
                // Exported values may be secrets: they go to the env file, not the terminal.
                Some(_) => {}
                None => println!("[setup]   {line}"),
            }
        }
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failure(format!("{} ({})", stderr.trim(), output.status)));
        }
    }
    Ok(exported)
}

/// `KEY=VALUE` with an upper-case shell identifier as key.
fn export_line(line: &str) -> Option<(String, String)> {
    let (key, value) = line.trim().split_once('=')?;
    let valid_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    valid_key.then(|| (key.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_export_lines() {
        assert_eq!(
            export_line("ANDES_ADMIN_EMAIL=a@b.c"),
            Some(("ANDES_ADMIN_EMAIL".into(), "a@b.c".into()))
        );
        assert_eq!(export_line("added GET /x = [user]"), None);
        assert_eq!(export_line("lower=case"), None);
    }

    #[test]
    fn the_project_setup_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("setup.yaml");
        let setup = load(&path).unwrap();
        assert!(!setup.steps.is_empty());
    }
}
