//! One-off admin commands; see `infractions-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use infractions::admin::{self, Cli};
use infractions::config::State;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match State::from_env().await {
        Ok(state) => admin::run(&state, cli.command).await,
        Err(error) => Err(error.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
