//! One-off admin commands; see `rides-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use rides::admin::{self, Cli};
use rides::config::State;

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
    match Box::pin(admin::run(&state, cli.command)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
