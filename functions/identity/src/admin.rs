//! `identity-admin`: one-off admin commands (twelve-factor, factor XII), never endpoints.
//!
//! Human lines go to stdout; with `--print-env`, stdout carries only `KEY=VALUE` lines (for
//! the local platform's `.andes/local.env`) and the human lines go to stderr.

use std::path::PathBuf;

use andes_shared::auth::ANONYMOUS_ROLE;
use andes_shared::dynamo::retry::{read_modify_write, Attempt};
use andes_shared::http::ApiError;
use andes_shared::ids;
use clap::{Parser, Subcommand};

use crate::account::{Account, ROLE_ADMIN, ROLE_USER};
use crate::api_keys;
use crate::config::State;
use crate::directory::Directory;
use crate::password::{generate_password, hash_password};
use crate::permissions::Permissions;
use crate::store::{CreateAccountError, Store};
use crate::validation::{check_password, check_role, normalize_email, normalize_name, normalize_username};

const GENERATED_PASSWORD_LEN: usize = 20;

#[derive(Debug, Parser)]
#[command(
    name = "identity-admin",
    about = "Andes identity admin commands (reads IDENTITY_TABLE and the AWS_* environment)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a verified admin account (roles user, admin), or grant admin to an existing one.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Default: derived from the email.
        #[arg(long)]
        username: Option<String>,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Default: 20 random letters and digits, printed once.
        #[arg(long)]
        password: Option<String>,
        /// Print ANDES_ADMIN_EMAIL=… (and ANDES_ADMIN_PASSWORD=… when set) on stdout.
        #[arg(long)]
        print_env: bool,
    },
    /// Add a role to an account.
    GrantRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
    /// Remove a role from an account.
    RevokeRole {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
    },
    /// Issue an API key for a principal and role; the key is printed once.
    IssueKey {
        #[arg(long)]
        principal_id: String,
        #[arg(long)]
        role: String,
        /// Print only VAR=<key> on stdout.
        #[arg(long, value_name = "VAR")]
        print_env: Option<String>,
    },
    /// Revoke an API key, given its prefix or the full key; effective on the next request.
    RevokeKey {
        #[arg(long, alias = "key")]
        key_prefix: String,
    },
    /// Make the permissions table equal to a YAML file (prints what changed).
    LoadPermissions { file: PathBuf },
}

type AdminResult = Result<(), String>;

/// Where lines go (see the module comment).
struct Out {
    env_mode: bool,
}

impl Out {
    fn say(&self, line: impl std::fmt::Display) {
        if self.env_mode {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }

    fn env(&self, name: &str, value: &str) {
        println!("{name}={value}");
    }
}

pub async fn run(state: &State, command: Command) -> AdminResult {
    let store = &state.store;
    let directory = state.directory();
    match command {
        Command::CreateAdmin {
            email,
            username,
            name,
            password,
            print_env,
        } => {
            create_admin(
                store,
                &email,
                username.as_deref(),
                &name,
                password,
                &Out { env_mode: print_env },
            )
            .await
        }
        Command::GrantRole { email, role } => change_role(store, &email, &role, true).await,
        Command::RevokeRole { email, role } => change_role(store, &email, &role, false).await,
        Command::IssueKey {
            principal_id,
            role,
            print_env,
        } => issue_key(&directory, &principal_id, &role, print_env.as_deref()).await,
        Command::RevokeKey { key_prefix } => revoke_key(&directory, &key_prefix).await,
        Command::LoadPermissions { file } => load_permissions(store, &file).await,
    }
}

fn field(name: &str, result: Result<String, String>) -> Result<String, String> {
    result.map_err(|message| format!("{name} {message}"))
}

async fn create_admin(
    store: &Store,
    email: &str,
    username: Option<&str>,
    name: &str,
    password: Option<String>,
    out: &Out,
) -> AdminResult {
    let email = field("email", normalize_email(email))?;
    if let Some((account, granted)) = change_roles(store, &email, |account| account.grant(ROLE_ADMIN)).await? {
        if granted {
            out.say(format_args!(
                "granted admin to existing account {email} (id {})",
                account.id
            ));
        } else {
            out.say(format_args!("account {email} (id {}) is already an admin", account.id));
        }
        if password.is_some() {
            out.say("the account already existed: its password was left unchanged");
        }
        if !account.verified {
            out.say("note: this account is not verified yet, so it cannot log in");
        }
        if out.env_mode {
            out.env("ANDES_ADMIN_EMAIL", &email);
        }
        return Ok(());
    }

    let username = match username {
        Some(given) => field("username", normalize_username(given))?,
        None => username_from_email(&email)?,
    };
    let name = field("name", normalize_name(name))?;
    let generated = password.is_none();
    let password = match password {
        Some(given) => field("password", check_password(given))?,
        None => generate_password(GENERATED_PASSWORD_LEN),
    };
    let now = ids::now_rfc3339();
    let account = Account {
        id: ids::new_id(),
        email: email.clone(),
        username: username.clone(),
        name,
        phone: None,
        roles: vec![ROLE_USER.to_string(), ROLE_ADMIN.to_string()],
        verified: true,
        password_hash: hash_password(&password).map_err(|e| e.to_string())?,
        created: now.clone(),
        updated: now,
        version: 1,
        session_version: 0,
    };
    match store.create_account(&account, None).await {
        Ok(()) => {}
        Err(CreateAccountError::EmailTaken) => {
            return Err(format!("{email} was registered meanwhile; run the command again"))
        }
        Err(CreateAccountError::UsernameTaken) => return Err(format!("username {username} is taken; pass --username")),
        Err(CreateAccountError::Other(error)) => return Err(error.to_string()),
    }
    out.say(format_args!(
        "created admin account {email} (username {username}, id {})",
        account.id
    ));
    if out.env_mode {
        out.env("ANDES_ADMIN_EMAIL", &email);
        out.env("ANDES_ADMIN_PASSWORD", &password);
    } else if generated {
        out.say(format_args!("generated password (shown once): {password}"));
    }
    Ok(())
}

/// The email's local part, reduced to username characters and padded to the minimum length.
pub fn username_from_email(email: &str) -> Result<String, String> {
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    let mut username: String = local
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(*c))
        .take(20)
        .collect();
    if username.len() < 4 {
        username = format!("{username}_admin");
    }
    field("username", normalize_username(&username))
}

async fn change_role(store: &Store, email: &str, role: &str, grant: bool) -> AdminResult {
    check_role(role)?;
    if role == ANONYMOUS_ROLE {
        return Err("anonymous is the role of callers without credentials; it cannot be granted or revoked".into());
    }
    if role == ROLE_USER && !grant {
        return Err("every account has role user; it cannot be revoked".into());
    }
    let email = field("email", normalize_email(email))?;
    let (account, changed) = change_roles(store, &email, |account| {
        if grant {
            account.grant(role)
        } else {
            account.revoke(role)
        }
    })
    .await?
    .ok_or_else(|| format!("no account with email {email}"))?;
    if !changed {
        println!(
            "{email} {} role {role}; nothing to do",
            if grant { "already has" } else { "does not have" }
        );
        return Ok(());
    }
    println!(
        "{} role {role} {} {email}; roles now: {}",
        if grant { "granted" } else { "revoked" },
        if grant { "to" } else { "from" },
        account.roles.join(", ")
    );
    println!("(sessions opened before this change end within 30 s: the account must log in again)");
    Ok(())
}

/// Applies `change` to the roles of the account registered with `email` and writes it back
/// (read-modify-write: a concurrent change of the account is read again, never lost): the
/// account as written and whether `change` changed anything; `None` when there is no account.
async fn change_roles(
    store: &Store,
    email: &str,
    change: impl Fn(&mut Account) -> bool,
) -> Result<Option<(Account, bool)>, String> {
    let change = &change;
    read_modify_write(|| async move {
        let Some(mut account) = store.account_by_email(email).await? else {
            return Ok(Attempt::Done(None));
        };
        if !change(&mut account) {
            return Ok(Attempt::Done(Some((account, false))));
        }
        if store.replace_account(&mut account, &ids::now_rfc3339()).await? {
            Ok(Attempt::Done(Some((account, true))))
        } else {
            Ok::<_, ApiError>(Attempt::Stale)
        }
    })
    .await
    .map_err(|e| e.to_string())
}

async fn issue_key(directory: &Directory, principal_id: &str, role: &str, print_env: Option<&str>) -> AdminResult {
    let principal_id = principal_id.trim();
    if principal_id.is_empty() || principal_id.len() > 128 || principal_id.chars().any(|c| c.is_control() || c == ',') {
        return Err("principal id must be 1 to 128 characters, without commas or control characters".into());
    }
    check_role(role)?;
    if role == ANONYMOUS_ROLE {
        return Err("a key cannot carry the anonymous role".into());
    }
    if let Some(var) = print_env {
        let valid = var.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
            && var
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(format!(
                "{var:?} is not an environment variable name ([A-Z_][A-Z0-9_]*)"
            ));
        }
    }
    let issued = directory
        .issue_api_key(principal_id, role)
        .await
        .map_err(|e| e.to_string())?;
    let out = Out {
        env_mode: print_env.is_some(),
    };
    out.say(format_args!(
        "issued API key {} for principal {principal_id} with role {role}",
        issued.prefix
    ));
    match print_env {
        Some(var) => out.env(var, &issued.key),
        None => {
            out.say("the key is shown only this once; store it now:");
            out.say(&issued.key);
        }
    }
    Ok(())
}

async fn revoke_key(directory: &Directory, prefix_or_key: &str) -> AdminResult {
    let prefix = api_keys::prefix_of(prefix_or_key.trim())
        .ok_or("not a key prefix (8 lowercase letters/digits) or an andes_ key")?;
    if directory.revoke_api_key(prefix).await.map_err(|e| e.to_string())? {
        println!("revoked API key {prefix}");
        Ok(())
    } else {
        Err(format!("no API key with prefix {prefix}"))
    }
}

async fn load_permissions(store: &Store, file: &std::path::Path) -> AdminResult {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let desired = Permissions::from_yaml(&text)?;
    let current = store.load_permissions().await.map_err(|e| e.to_string())?;
    let diff = current.diff(&desired);
    for route in diff.added.iter().chain(&diff.changed) {
        let roles = &desired.routes()[route];
        store.put_permission(route, roles).await.map_err(|e| e.to_string())?;
        match current.routes().get(route) {
            None => println!("added   {route}: [{}]", roles.join(", ")),
            Some(old) => println!("changed {route}: [{}] -> [{}]", old.join(", "), roles.join(", ")),
        }
    }
    for route in &diff.removed {
        store.delete_permission(route).await.map_err(|e| e.to_string())?;
        println!("removed {route}");
    }
    println!(
        "permissions: {} routes; {} added, {} changed, {} removed",
        desired.routes().len(),
        diff.added.len(),
        diff.changed.len(),
        diff.removed.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_derived_from_emails() {
        assert_eq!(username_from_email("Admin.Ops@example.com").unwrap(), "admin.ops");
        assert_eq!(username_from_email("al@example.com").unwrap(), "al_admin");
        assert_eq!(
            username_from_email(&format!("{}@x.co", "a".repeat(40))).unwrap().len(),
            20
        );
    }

    #[test]
    fn commands_parse() {
        let cli = Cli::try_parse_from([
            "identity-admin",
            "issue-key",
            "--principal-id",
            "officer-1",
            "--role",
            "officer",
            "--print-env",
            "ANDES_OFFICER_KEY",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::IssueKey { print_env: Some(ref v), .. } if v == "ANDES_OFFICER_KEY"));
        let cli = Cli::try_parse_from(["identity-admin", "create-admin", "--email", "a@b.co", "--print-env"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::CreateAdmin {
                print_env: true,
                password: None,
                ..
            }
        ));
        assert!(Cli::try_parse_from(["identity-admin", "load-permissions", "data/permissions.yaml"]).is_ok());
        assert!(Cli::try_parse_from(["identity-admin", "revoke-key", "--key", "abcd1234"]).is_ok());
    }
}
