//! One-off admin commands; see `identity-admin --help`.
use std::process::ExitCode;

use andes_shared::aws;
use clap::Parser;
use identity::admin::{self, Cli};
use identity::{config, store::Store};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let table = match config::table_name() {
        Ok(table) => table,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let store = Store::new(aws::dynamodb(&aws::sdk_config().await), table);
    match admin::run(&store, cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
