//! One-off admin commands; see `infractions-admin --help`.
use std::process::ExitCode;

use clap::Parser;
use infractions::admin::{self, Cli};
use infractions::config;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let (store, identity) = match config::stores(true).await {
        Ok((store, Some(identity))) => (store, identity),
        Ok((_, None)) => {
            eprintln!("error: IDENTITY_TABLE is not set");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match admin::run(&store, &identity, cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
