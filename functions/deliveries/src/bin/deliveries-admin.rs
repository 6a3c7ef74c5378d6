//! One-off admin commands (not a function: no template entry); see `deliveries-admin --help`.
use std::process::ExitCode;

use andes_shared::http::ApiError;
use clap::Parser;
use deliveries::admin::{self, Cli, Command};
use deliveries::config::State;
use deliveries::rebuild;

/// Exit status of a command that could not run (configuration, table errors).
const EXIT_ERROR: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    andes_shared::admin::run(State::from_env(), ExitCode::from(EXIT_ERROR), |state| async move {
        match cli.command {
            Command::RebuildProjections { dry_run } => {
                let report = rebuild::run(&state.store, dry_run).await?;
                let line = serde_json::to_string(&report).map_err(ApiError::internal)?;
                println!("{line}");
                Ok(ExitCode::from(report.exit_code()))
            }
            Command::LoadDemo => admin::load_demo(&state.store).await.map(|()| ExitCode::SUCCESS),
        }
    })
    .await
}
