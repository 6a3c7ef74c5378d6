//! One-off admin commands (not a function: no template entry); see `dining-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use dining::admin::{self, Cli, Command};
use dining::config::State;

/// Exit status of a command that could not run (configuration, table errors).
const EXIT_ERROR: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    andes_shared::admin::run(State::from_env(), ExitCode::from(EXIT_ERROR), |state| async move {
        match cli.command {
            Command::LoadDemo { file } => admin::load_demo(&state.store, &state.directory, &file).await,
        }
    })
    .await
}
