//! One-off admin commands; see `identity-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use identity::admin::{self, Cli};
use identity::config::State;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    andes_shared::admin::run(State::from_env(), ExitCode::FAILURE, |state| async move {
        admin::run(&state, cli.command).await
    })
    .await
}
