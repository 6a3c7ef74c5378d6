//! One-off admin commands; see `rides-admin --help`.
use std::process::ExitCode;

use andes_shared::aws;
use clap::Parser;
use rides::admin::{self, Cli, Clients};
use rides::config;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let store = match config::table_name() {
        Ok(table) => rides::store::Store::new(aws::dynamodb(&aws::sdk_config().await), table),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let sdk = aws::sdk_config().await;
    let identity = config::identity_table_name()
        .ok()
        .map(|table| config::Identity::new(aws::dynamodb(&sdk), table));
    let clients = Clients {
        store,
        s3: aws::s3(&sdk),
        identity,
    };
    match Box::pin(admin::run(&clients, cli.command)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
