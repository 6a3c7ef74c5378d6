//! One-off admin commands (not a function: no template entry); see `deliveries-admin --help`.
use std::process::ExitCode;

use deliveries::config::State;
use deliveries::rebuild::{self, Command, EXIT_ERROR, USAGE};

#[tokio::main]
async fn main() -> ExitCode {
    let dry_run = match rebuild::parse_args(std::env::args().skip(1)) {
        Ok(Command::RebuildProjections { dry_run }) => dry_run,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("error: {error}\n\n{USAGE}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let state = match State::from_env().await {
        Ok(state) => state,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match rebuild::run(&state.store, dry_run).await {
        Ok(report) => match serde_json::to_string(&report) {
            Ok(line) => {
                println!("{line}");
                ExitCode::from(report.exit_code())
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::from(EXIT_ERROR)
            }
        },
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
