//! `dining-admin`: the service's one-off admin processes, run with the stack's environment
//! (like `identity-admin`). `load-demo` creates the demo accounts of `data/dining/demo.json` —
//! diners (`client`) and restaurants (`restaurant`), verified, with the file's password — and
//! each restaurant's venue, through the same validation and store as `POST /dining/venues`.
//! Idempotent: an account or venue that exists is left as it is.

use andes_shared::http::ApiError;
use chrono::Utc;
use clap::{Parser, Subcommand};
use identity::directory::{Directory, NewAccount};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::validation::venue_input;
use crate::domain::Venue;
use crate::handlers::{CLIENT, RESTAURANT};
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "dining-admin",
    about = "Andes dining admin commands (reads DINING_TABLE, IDENTITY_TABLE and the AWS_* environment)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the demo diners, restaurants and venues of FILE (default data/dining/demo.json).
    LoadDemo {
        #[arg(default_value = "data/dining/demo.json")]
        file: String,
    },
}

#[derive(Debug, Deserialize)]
struct Demo {
    password: String,
    diners: Vec<DemoAccount>,
    restaurants: Vec<DemoRestaurant>,
}

#[derive(Debug, Deserialize)]
struct DemoAccount {
    email: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct DemoRestaurant {
    email: String,
    name: String,
    /// A `POST /dining/venues` body.
    venue: Value,
}

/// The id of the account of `email`, created (verified, with `roles`) if there is none.
async fn account(
    directory: &Directory,
    email: &str,
    name: &str,
    password: &str,
    role: &str,
) -> Result<String, ApiError> {
    let new = NewAccount {
        email,
        name,
        password,
        roles: vec!["user".to_string(), role.to_string()],
    };
    let created = directory.create_verified_account(new).await?;
    let account = directory
        .account_by_email(email)
        .await?
        .ok_or_else(|| ApiError::internal(format!("{email}: no account after creating it")))?;
    if !account.roles.iter().any(|held| held == role) {
        return Err(ApiError::Conflict(format!(
            "{email} exists without the {role} role (grant it with identity-admin grant-role)"
        )));
    }
    println!("{} {role} account {email}", if created { "created" } else { "kept" });
    Ok(account.id)
}

/// `load-demo`.
pub async fn load_demo(store: &Store, directory: &Directory, file: &str) -> Result<(), ApiError> {
    let raw = std::fs::read_to_string(file).map_err(|error| ApiError::internal(format!("{file}: {error}")))?;
    let demo: Demo = serde_json::from_str(&raw).map_err(|error| ApiError::internal(format!("{file}: {error}")))?;
    for diner in &demo.diners {
        account(directory, &diner.email, &diner.name, &demo.password, CLIENT).await?;
    }
    for restaurant in &demo.restaurants {
        let owner = account(
            directory,
            &restaurant.email,
            &restaurant.name,
            &demo.password,
            RESTAURANT,
        )
        .await?;
        let venue = Venue::new(&owner, venue_input(&restaurant.venue)?, Utc::now());
        let created = store.create_venue(&venue).await?;
        println!(
            "{} venue {:?} ({owner})",
            if created { "created" } else { "kept" },
            venue.name
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_holds_valid_venues() {
        let path = format!("{}/../../data/dining/demo.json", env!("CARGO_MANIFEST_DIR"));
        let demo: Demo = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(!demo.diners.is_empty() && !demo.restaurants.is_empty());
        for restaurant in &demo.restaurants {
            venue_input(&restaurant.venue).unwrap_or_else(|error| panic!("{}: {error:?}", restaurant.email));
        }
    }
}
