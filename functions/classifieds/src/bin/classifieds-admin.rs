//! One-off admin commands; see `classifieds-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use classifieds::admin::{self, Cli};
use classifieds::config::State;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    andes_shared::admin::run(State::from_env(), ExitCode::FAILURE, |state| async move {
        Box::pin(admin::run(&state, cli.command)).await
    })
    .await
}
