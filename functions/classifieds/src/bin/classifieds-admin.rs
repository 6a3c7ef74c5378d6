//! One-off admin commands; see `classifieds-admin --help`.
use std::process::ExitCode;

use andes_shared::aws;
use clap::Parser;
use classifieds::admin::{self, Cli};
use classifieds::config::State;

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
    let identity = match std::env::var("IDENTITY_TABLE") {
        Ok(table) if !table.is_empty() => Some(identity::store::Store::new(
            aws::dynamodb(&aws::sdk_config().await),
            table,
        )),
        _ => None,
    };
    match Box::pin(admin::run(&state, identity.as_ref(), cli.command)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
