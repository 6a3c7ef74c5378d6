//! `rides-admin`: one-off admin commands (twelve-factor, factor XII), never endpoints.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use andes_shared::aws::sdk_error;
use andes_shared::http::ApiError;
use andes_shared::ids;
use aws_sdk_s3::primitives::ByteStream;
use clap::{Parser, Subcommand};

use crate::config::State;
use crate::domain::{validate_code, validate_slug, Caller, Membership, Profile, CREATOR_INVITATIONS};
use crate::invitations;
use crate::jobs::{self, IMPORT_PREFIX, REPORT_SUFFIX};

#[derive(Debug, Parser)]
#[command(
    name = "rides-admin",
    about = "Andes rides admin commands (reads RIDES_TABLE, IDENTITY_TABLE, RIDES_IMPORTS_BUCKET, RIDES_EXPORTS_BUCKET and the AWS_* environment)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mark a circle verified.
    Verify { slug: String },
    /// Mark a circle not verified.
    Unverify { slug: String },
    /// Import circles from a CSV through the imports bucket (the same path as any upload):
    /// uploads it under imports/circles/ and waits for the import report.
    ImportCircles {
        /// A CSV shaped like data/rides/circles.csv.
        #[arg(long, default_value = "data/rides/circles.csv")]
        file: PathBuf,
        /// Seconds to wait for the report.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Export today's rides (UTC) as CSV to the exports bucket; prints the key and a
    /// presigned download URL as JSON.
    ExportRides,
    /// Make a user an admin of a circle (e.g. of an imported circle, which has no members):
    /// joins them with 10 invitations, or promotes their active membership.
    AddCircleAdmin {
        #[arg(long)]
        circle: String,
        #[arg(long)]
        username: String,
    },
    /// Top a member's unused invitation codes up to their remaining invitations, using the
    /// given codes first (a code already taken is replaced by a fresh one).
    IssueInvitations {
        #[arg(long)]
        circle: String,
        #[arg(long)]
        member: String,
        #[arg(long = "code")]
        codes: Vec<String>,
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
        Command::Verify { slug } => set_verified(state, &slug, true).await,
        Command::Unverify { slug } => set_verified(state, &slug, false).await,
        Command::ImportCircles { file, timeout } => import(state, &file, Duration::from_secs(timeout)).await,
        Command::ExportRides => {
            let result = jobs::export_rides(state, chrono::Utc::now()).await.map_err(text)?;
            println!("{result}");
            Ok(())
        }
        Command::AddCircleAdmin { circle, username } => add_circle_admin(state, &circle, &username).await,
        Command::IssueInvitations { circle, member, codes } => {
            let codes = codes
                .iter()
                .map(|code| {
                    validate_code(code).map_err(|_| format!("{code:?} is not 10 characters of A-Z, 0-9, '.' and '-'"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let membership = state
                .store
                .get_membership(&circle, &member.to_lowercase())
                .await
                .map_err(text)?
                .filter(|m| m.is_active)
                .ok_or_else(|| format!("{member} is not an active member of {circle}"))?;
            let issued = invitations::top_up(&state.store, membership, codes)
                .await
                .map_err(text)?;
            for code in issued {
                println!("{code}");
            }
            Ok(())
        }
    }
}

async fn add_circle_admin(state: &State, slug: &str, username: &str) -> AdminResult {
    let username = username.trim().to_lowercase();
    let slug = validate_slug(slug).map_err(|m| format!("slug {m}"))?;
    state
        .store
        .get_circle(&slug)
        .await
        .map_err(text)?
        .ok_or_else(|| format!("no circle with slug {slug}"))?;
    let account_id = state
        .directory
        .account_id_by_username(&username)
        .await
        .map_err(text)?
        .ok_or_else(|| format!("no account with username {username}"))?;
    let caller = Caller {
        account_id,
        username: username.clone(),
    };
    let now = ids::now_rfc3339();
    state
        .store
        .create_caller(&caller, &Profile::new(&caller, &now))
        .await
        .map_err(text)?;
    let member = Membership::new(&slug, &username, true, CREATOR_INVITATIONS, None, &now);
    if !state.store.add_admin(&member).await.map_err(text)? {
        return Err(format!(
            "{username} cannot be added to {slug}: the circle is full, or they left it"
        ));
    }
    println!("{username} is an admin of {slug}");
    Ok(())
}

async fn set_verified(state: &State, slug: &str, verified: bool) -> AdminResult {
    let slug = validate_slug(slug).map_err(|m| format!("slug {m}"))?;
    match state
        .store
        .set_verified(&slug, verified, &ids::now_rfc3339())
        .await
        .map_err(text)?
    {
        Some(_) => {
            println!(
                "circle {slug} is now {}",
                if verified { "verified" } else { "not verified" }
            );
            Ok(())
        }
        None => Err(format!("no circle with slug {slug}")),
    }
}

async fn import(state: &State, file: &PathBuf, timeout: Duration) -> AdminResult {
    let bucket = state.config.imports_bucket().map_err(text)?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("circles.csv");
    let name = if name.ends_with(".csv") {
        name.to_string()
    } else {
        format!("{name}.csv")
    };
    let key = format!("{IMPORT_PREFIX}{name}");
    let report_key = format!("{key}{REPORT_SUFFIX}");
    // A report left by an earlier upload of the same name must not be taken for this one's.
    state
        .s3
        .delete_object()
        .bucket(bucket)
        .key(&report_key)
        .send()
        .await
        .map_err(|e| text(sdk_error(e)))?;
    state
        .s3
        .put_object()
        .bucket(bucket)
        .key(&key)
        .content_type("text/csv")
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| text(sdk_error(e)))?;
    eprintln!("uploaded s3://{bucket}/{key}; waiting for the import report");
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(object) = state.s3.get_object().bucket(bucket).key(&report_key).send().await {
            let body = object.body.collect().await.map_err(|e| e.to_string())?.into_bytes();
            println!("{}", String::from_utf8_lossy(&body));
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "no report at s3://{bucket}/{report_key} after {}s (is the platform running?)",
                timeout.as_secs()
            ));
        }
        eprint!(".");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
