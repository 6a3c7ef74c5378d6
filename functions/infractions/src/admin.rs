//! `infractions-admin`: one-off admin commands (twelve-factor, factor XII), never endpoints.
//!
//! With `--print-env`, stdout carries only `KEY=VALUE` lines (for the local platform's
//! `.andes/local.env`) and the human lines go to stderr.

use andes_shared::dynamo::retry::{self, Attempt};
use andes_shared::http::ApiError;
use andes_shared::ids;
use clap::{Parser, Subcommand};
use identity::directory::IssuedKey;

use crate::config::State;
use crate::domain::{normalize_id, Infraction, Officer, Person, Vehicle};
use crate::keys;

pub const FIXTURE_PERSON_ID: &str = "fixture-person-pedro";
pub const FIXTURE_EMAIL: &str = "pedro@gmail.com";
pub const FIXTURE_PLATE: &str = "GPZ402";
pub const FIXTURE_OFFICER_ID: &str = "fixture-officer-pedro";
pub const FIXTURE_BADGE: u64 = 1;
/// Fixed ids and timestamps: re-running the fixtures overwrites instead of duplicating.
pub const FIXTURE_INFRACTIONS: [(&str, &str); 3] = [
    ("fixture-infraction-1", "2024-01-10T12:00:00.000Z"),
    ("fixture-infraction-2", "2024-02-10T12:00:00.000Z"),
    ("fixture-infraction-3", "2024-03-10T12:00:00.000Z"),
];

#[derive(Debug, Parser)]
#[command(
    name = "infractions-admin",
    about = "Andes infractions admin commands (reads INFRACTIONS_TABLE, IDENTITY_TABLE and the AWS_* environment)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Issue a new API key for an officer (revoking the old one); the key is printed once.
    IssueOfficerKey {
        #[arg(long)]
        officer_id: String,
    },
    /// Load the seed's demo data (idempotent); always issues a fresh officer key.
    LoadFixtures {
        /// Print only INFRACTIONS_OFFICER_ID=… and INFRACTIONS_OFFICER_KEY=… on stdout.
        #[arg(long)]
        print_env: bool,
    },
}

type AdminResult = Result<(), String>;

fn text(error: ApiError) -> String {
    match error {
        ApiError::Internal(cause) => cause,
        other => other.to_string(),
    }
}

pub async fn run(state: &State, command: Command) -> AdminResult {
    match command {
        Command::IssueOfficerKey { officer_id } => {
            let id = normalize_id(&officer_id).map_err(|m| format!("officer id {m}"))?;
            if state.store.get_officer(&id).await.map_err(text)?.is_none() {
                return Err(format!("no officer with id {id}"));
            }
            let issued = rotate_key(state, &id).await.map_err(text)?;
            println!(
                "issued API key {} for officer {id}; the key is shown only this once:",
                issued.prefix
            );
            println!("{}", issued.key);
            Ok(())
        }
        Command::LoadFixtures { print_env } => load_fixtures(state, print_env).await.map_err(text),
    }
}

/// Issues a new key, points the officer at it (whatever else changed on the officer
/// meanwhile), then revokes the previous one.
pub async fn rotate_key(state: &State, officer_id: &str) -> Result<IssuedKey, ApiError> {
    let directory = &state.directory;
    let issued = keys::issue_officer_key(directory, officer_id).await?;
    let prefix = issued.prefix.as_str();
    let pointed = retry::read_modify_write(|| async move {
        let Some(officer) = state.store.get_officer(officer_id).await? else {
            return Err(ApiError::NotFound(format!("no officer with id {officer_id}")));
        };
        let written = state
            .store
            .set_officer_key(&officer, prefix, &ids::now_rfc3339())
            .await?;
        Ok(if written {
            Attempt::Done(officer.key_prefix)
        } else {
            Attempt::Stale
        })
    })
    .await;
    match pointed {
        Ok(old) => {
            keys::revoke(directory, old.as_deref()).await?;
            Ok(issued)
        }
        Err(error) => {
            keys::revoke(directory, Some(prefix)).await?;
            Err(error)
        }
    }
}

async fn load_fixtures(state: &State, print_env: bool) -> Result<(), ApiError> {
    let store = &state.store;
    let say = |line: String| {
        if print_env {
            eprintln!("{line}")
        } else {
            println!("{line}")
        }
    };
    let now = ids::now_rfc3339();

    let person_id = match store.person_id_by_email(FIXTURE_EMAIL).await? {
        Some(id) => id,
        None => {
            let person = Person {
                id: FIXTURE_PERSON_ID.into(),
                name: "Pedro".into(),
                email: FIXTURE_EMAIL.into(),
                created: now.clone(),
                updated: now.clone(),
                version: 1,
            };
            store.create_person(&person).await?;
            say(format!("created person Pedro <{FIXTURE_EMAIL}> (id {})", person.id));
            person.id
        }
    };

    if store.get_vehicle(FIXTURE_PLATE).await?.is_none() {
        let vehicle = Vehicle {
            plate: FIXTURE_PLATE.into(),
            brand: "Ford".into(),
            color: "Rojo".into(),
            owner_id: person_id.clone(),
            created: now.clone(),
            updated: now.clone(),
            version: 1,
        };
        store.create_vehicle(&vehicle).await?;
        say(format!(
            "created vehicle {FIXTURE_PLATE} (Ford, Rojo) owned by {person_id}"
        ));
    }

    let existing = match store.officer_id_by_badge(FIXTURE_BADGE).await? {
        Some(id) => store.get_officer(&id).await?,
        None => None,
    };
    let officer = match existing {
        Some(officer) => officer,
        None => {
            let officer = Officer {
                id: FIXTURE_OFFICER_ID.into(),
                name: "Oficial pedro".into(),
                badge: FIXTURE_BADGE,
                key_prefix: None,
                created: now.clone(),
                updated: now.clone(),
                version: 1,
            };
            store.create_officer(&officer).await?;
            say(format!(
                "created officer Oficial pedro, badge {FIXTURE_BADGE} (id {})",
                officer.id
            ));
            officer
        }
    };

    for (id, timestamp) in FIXTURE_INFRACTIONS {
        let infraction = Infraction {
            id: id.into(),
            plate: FIXTURE_PLATE.into(),
            timestamp: timestamp.into(),
            comments: "Comentarios".into(),
            officer_id: officer.id.clone(),
            officer_name: officer.name.clone(),
            created: timestamp.into(),
        };
        store.upsert_infraction(&infraction).await?;
    }
    say(format!("{} infractions on {FIXTURE_PLATE}", FIXTURE_INFRACTIONS.len()));

    let officer_id = officer.id.clone();
    let issued = rotate_key(state, &officer_id).await?;
    say(format!(
        "issued officer API key {} (previous key revoked)",
        issued.prefix
    ));
    if print_env {
        println!("INFRACTIONS_OFFICER_ID={officer_id}");
        println!("INFRACTIONS_OFFICER_KEY={}", issued.key);
    } else {
        say(format!("officer key (shown once): {}", issued.key));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        let cli = Cli::try_parse_from(["infractions-admin", "issue-officer-key", "--officer-id", "o1"]).unwrap();
        assert!(matches!(cli.command, Command::IssueOfficerKey { ref officer_id } if officer_id == "o1"));
        let cli = Cli::try_parse_from(["infractions-admin", "load-fixtures", "--print-env"]).unwrap();
        assert!(matches!(cli.command, Command::LoadFixtures { print_env: true }));
        assert!(Cli::try_parse_from(["infractions-admin", "issue-officer-key"]).is_err());
    }

    #[test]
    fn fixtures_are_valid_and_deterministic() {
        assert_eq!(crate::domain::normalize_plate(FIXTURE_PLATE).unwrap(), FIXTURE_PLATE);
        let now = chrono::Utc::now();
        for (_, timestamp) in FIXTURE_INFRACTIONS {
            assert_eq!(crate::domain::parse_timestamp(timestamp, now).unwrap(), timestamp);
        }
    }
}
