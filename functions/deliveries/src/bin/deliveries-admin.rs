//! One-off admin commands (not a function: no template entry); see `deliveries-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use deliveries::admin::{self, Cli, Command};
use deliveries::config::State;
use deliveries::rebuild;

/// Exit status of a command that could not run (configuration, table errors).
const EXIT_ERROR: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let state = match State::from_env().await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let outcome = match cli.command {
        Command::RebuildProjections { dry_run } => rebuild::run(&state.store, dry_run).await.and_then(|report| {
            let line = serde_json::to_string(&report).map_err(andes_shared::http::ApiError::internal)?;
            println!("{line}");
            Ok(report.exit_code())
        }),
        Command::LoadDemo => admin::load_demo(&state.store).await.map(|()| 0),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
