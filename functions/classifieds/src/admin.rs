//! `classifieds-admin`: one-off admin commands (twelve-factor, factor XII), never endpoints.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::catalog::parse_catalog;
use crate::config::State;
use crate::demo;

#[derive(Debug, Parser)]
#[command(
    name = "classifieds-admin",
    about = "Andes classifieds admin commands (reads CLASSIFIEDS_*, IDENTITY_TABLE, ANDES_BASE_URL and the AWS_* environment)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the catalog (states, cities, brands, models, versions) into the catalog table;
    /// idempotent.
    LoadCatalog {
        #[arg(default_value = "data/classifieds/catalog.jsonl")]
        file: PathBuf,
    },
    /// Load the seed's demo data through the real path: verified accounts, then over HTTP
    /// (ANDES_BASE_URL) login, profile, ads, presigned photo uploads, publication.
    LoadDemo {
        /// How many of the demo accounts (default: all 39 of accounts.csv).
        #[arg(long)]
        accounts: Option<usize>,
        #[arg(long, default_value = "data/classifieds/demo")]
        dir: PathBuf,
        #[arg(long, default_value = "data/classifieds/catalog.jsonl")]
        catalog: PathBuf,
        /// Accounts loaded at the same time.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Remove the demo accounts with their ads, photos, chats and profiles.
    RemoveDemo {
        #[arg(long, default_value = "data/classifieds/demo")]
        dir: PathBuf,
    },
}

pub async fn run(state: &State, command: Command) -> Result<(), String> {
    match command {
        Command::LoadCatalog { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let entries = parse_catalog(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let started = std::time::Instant::now();
            state.catalog.load(&entries).await.map_err(|e| e.to_string())?;
            println!(
                "catalog loaded: {} entries in {:.1} s",
                entries.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::LoadDemo {
            accounts,
            dir,
            catalog,
            concurrency,
        } => demo::load(&state.identity, &dir, &catalog, accounts, concurrency.max(1)).await,
        Command::RemoveDemo { dir } => demo::remove(state, &state.identity, &dir).await,
    }
}
