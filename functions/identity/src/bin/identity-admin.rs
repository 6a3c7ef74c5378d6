//! One-off admin commands; see `identity-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use identity::admin::{self, Cli};
use identity::config::State;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let state = match State::from_env().await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match admin::run(&state, cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
