//! The identity table: the only code that knows its keys. Access patterns are documented in
//! `functions/identity/README.md`; other services reach them through [`crate::directory`].

use std::collections::BTreeMap;

use andes_shared::dynamo::{self, key, keyed_item, string, Change, Condition, Item, Query, Table, TransactionError};
use andes_shared::http::ApiError;
use andes_shared::limits::{Limit, EXPIRES_AT};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};

use crate::account::Account;
use crate::api_keys::ApiKeyRecord;
use crate::lockout::LoginAttempts;
use crate::permissions::Permissions;

const ACCOUNT_SK: &str = "ACCOUNT";
const EMAIL_SK: &str = "EMAIL";
const USERNAME_SK: &str = "USERNAME";
const APIKEY_SK: &str = "APIKEY";
const PERMISSIONS_PK: &str = "PERMISSIONS";
const LOGIN_ATTEMPTS_SK: &str = "ATTEMPTS";
const CONFIRMATION_SK: &str = "SENT";

pub fn account_pk(id: &str) -> String {
    format!("ACCOUNT#{id}")
}

pub fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", email.to_lowercase())
}

pub fn username_pk(username: &str) -> String {
    format!("USERNAME#{username}")
}

pub fn api_key_pk(prefix: &str) -> String {
    format!("APIKEY#{prefix}")
}

fn account_key(id: &str) -> Item {
    key(account_pk(id), ACCOUNT_SK)
}

fn email_key(email: &str) -> Item {
    key(email_pk(email), EMAIL_SK)
}

fn username_key(username: &str) -> Item {
    key(username_pk(username), USERNAME_SK)
}

fn api_key_key(prefix: &str) -> Item {
    key(api_key_pk(prefix), APIKEY_SK)
}

fn login_attempts_pk(email: &str) -> String {
    format!("LOGIN#{}", email.to_lowercase())
}

fn login_attempts_key(email: &str) -> Item {
    key(login_attempts_pk(email), LOGIN_ATTEMPTS_SK)
}

fn confirmation_pk(email: &str) -> String {
    format!("CONFIRMATION#{}", email.to_lowercase())
}

/// When a confirmation email was last sent to an address.
#[derive(Serialize, Deserialize)]
struct ConfirmationSent {
    sent_at: i64,
    expires_at: i64,
}

/// At most one confirmation email per address in this many seconds.
pub const CONFIRMATION_INTERVAL_SECONDS: i64 = 60;

/// The part of an account the authorizer needs.
#[derive(Deserialize)]
struct Session {
    #[serde(default)]
    session_version: u64,
}

/// The `EMAIL#` and `USERNAME#` items: which account holds an email or a username.
#[derive(Serialize, Deserialize)]
struct Guard {
    account_id: String,
}

#[derive(Serialize, Deserialize)]
struct PermissionItem {
    sk: String,
    #[serde(default)]
    roles: Vec<String>,
}

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("email is already registered")]
    EmailTaken,
    #[error("username is already taken")]
    UsernameTaken,
    #[error(transparent)]
    Other(#[from] ApiError),
}

impl From<CreateAccountError> for ApiError {
    fn from(error: CreateAccountError) -> Self {
        match error {
            CreateAccountError::Other(error) => error,
            conflict => ApiError::Conflict(conflict.to_string()),
        }
    }
}

/// What a profile change writes (only the attributes it names; `updated` and `version` too).
#[derive(Default, Clone)]
pub struct ProfileChange {
    pub name: Option<String>,
    /// `Some(None)` removes the phone.
    pub phone: Option<Option<String>>,
    pub password_hash: Option<String>,
}

#[derive(Clone)]
pub struct Store {
    table: Table,
}

impl Store {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    pub async fn get_account(&self, id: &str) -> Result<Option<Account>, ApiError> {
        self.table.get(account_key(id)).await
    }

    /// The accounts of these ids that exist (any order; one BatchGetItem per 100).
    pub async fn get_accounts(&self, ids: &[&str]) -> Result<Vec<Account>, ApiError> {
        let keys = ids.iter().map(|id| account_key(id)).collect();
        self.table
            .batch_get(keys)
            .await?
            .into_iter()
            .map(dynamo::from_item)
            .collect()
    }

    /// The account registered with `email` (any case), through the email guard.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>, ApiError> {
        match self.table.get::<Guard>(email_key(email)).await? {
            Some(guard) => self.get_account(&guard.account_id).await,
            None => Ok(None),
        }
    }

    /// The id of the account holding `username` (its `USERNAME#` guard).
    pub async fn account_id_by_username(&self, username: &str) -> Result<Option<String>, ApiError> {
        Ok(self
            .table
            .get::<Guard>(username_key(username))
            .await?
            .map(|guard| guard.account_id))
    }

    /// Creates the account and its email and username guards in one transaction, so that
    /// concurrent signups with one email or username create exactly one account. With
    /// `confirmation_at` (epoch seconds), the same transaction records that a confirmation
    /// email goes out now (see [`Store::claim_confirmation`]).
    pub async fn create_account(
        &self,
        account: &Account,
        confirmation_at: Option<i64>,
    ) -> Result<(), CreateAccountError> {
        let guard = Guard {
            account_id: account.id.clone(),
        };
        let put_new = |item: Result<Item, ApiError>| self.table.put_tx(item?, Some(Condition::absent()));
        let mut writes = vec![
            put_new(keyed_item(account, account_pk(&account.id), ACCOUNT_SK))?,
            put_new(keyed_item(&guard, email_pk(&account.email), EMAIL_SK))?,
            put_new(keyed_item(&guard, username_pk(&account.username), USERNAME_SK))?,
        ];
        if let Some(now) = confirmation_at {
            let sent = ConfirmationSent {
                sent_at: now,
                expires_at: now + CONFIRMATION_INTERVAL_SECONDS,
            };
            let item = keyed_item(&sent, confirmation_pk(&account.email), CONFIRMATION_SK)?;
            writes.push(self.table.put_tx(item, None)?);
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(error) if error.failed(1) => Err(CreateAccountError::EmailTaken),
            Err(error) if error.failed(2) => Err(CreateAccountError::UsernameTaken),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("account already exists".into()).into()),
            Err(TransactionError::Other(error)) => Err(error.into()),
        }
    }

    /// Undoes `create_account` for an account nobody has used yet: the account (only while
    /// unverified and unchanged) and its guards go in one transaction.
    pub async fn delete_new_account(&self, account: &Account) -> Result<(), ApiError> {
        let untouched = Condition::new("verified = :unverified")
            .value(":unverified", AttributeValue::Bool(false))
            .and(Condition::version(account.version));
        let writes = vec![
            self.table.delete_tx(account_key(&account.id), Some(untouched))?,
            self.table.delete_tx(email_key(&account.email), None)?,
            self.table.delete_tx(username_key(&account.username), None)?,
        ];
        self.transact(writes, "the new account was changed meanwhile").await
    }

    /// Deletes an account and its email and username guards in one transaction (admin:
    /// removal of demo data). API keys issued to it are not touched.
    pub async fn delete_account(&self, account: &Account) -> Result<(), ApiError> {
        let writes = vec![
            self.table.delete_tx(account_key(&account.id), None)?,
            self.table.delete_tx(email_key(&account.email), None)?,
            self.table.delete_tx(username_key(&account.username), None)?,
        ];
        self.transact(writes, "unexpected condition").await
    }

    async fn transact(&self, writes: Vec<TransactWriteItem>, on_condition: &str) -> Result<(), ApiError> {
        self.table.transact(writes).await.map_err(|error| match error {
            TransactionError::Conditions(_) => ApiError::internal(on_condition),
            TransactionError::Other(error) => error,
        })
    }

    /// Writes `account` back if nobody changed it since it was read (same `version`), with
    /// `version` bumped and `updated` set; `false` (and `account` unchanged) when it was stale.
    pub async fn replace_account(&self, account: &mut Account, now: &str) -> Result<bool, ApiError> {
        let mut next = account.clone();
        next.version += 1;
        next.updated = now.to_string();
        let item = keyed_item(&next, account_pk(&next.id), ACCOUNT_SK)?;
        let written = self.table.put_if(item, Condition::version(account.version)).await?;
        if written {
            *account = next;
        }
        Ok(written)
    }

    /// Writes the attributes of `change` on account `id`, bumping `version` and setting
    /// `updated`, if the account still exists and, for a password change, still has the
    /// password hash `expected_hash` that the current password was checked against.
    /// `None` when that condition failed.
    pub async fn change_profile(
        &self,
        id: &str,
        change: &ProfileChange,
        expected_hash: Option<&str>,
        now: &str,
    ) -> Result<Option<Account>, ApiError> {
        let mut update = Change::new(account_key(id))
            .set("updated", string(now))
            .add("version", 1);
        if let Some(name) = &change.name {
            update = update.set("name", string(name));
        }
        match &change.phone {
            Some(Some(phone)) => update = update.set("phone", string(phone)),
            Some(None) => update = update.remove("phone"),
            None => {}
        }
        if let Some(hash) = &change.password_hash {
            // A new password ends every session opened with the old one.
            update = update.set("password_hash", string(hash)).add("session_version", 1);
        }
        let condition = match expected_hash {
            Some(hash) => Condition::exists().and(
                Condition::new("#password_hash = :read_hash")
                    .name("password_hash")
                    .value(":read_hash", string(hash)),
            ),
            None => Condition::exists(),
        };
        self.table
            .update(update.when(condition))
            .await?
            .map(dynamo::from_item)
            .transpose()
    }

    /// Marks the account verified; `None` if there is no such account. Verifying an
    /// already verified account changes nothing and returns it.
    pub async fn mark_verified(&self, id: &str, now: &str) -> Result<Option<Account>, ApiError> {
        let change = Change::new(account_key(id))
            .set("verified", AttributeValue::Bool(true))
            .set("updated", string(now))
            .add("version", 1)
            .when(
                Condition::exists()
                    .and(Condition::new("verified = :false").value(":false", AttributeValue::Bool(false))),
            );
        match self.table.update(change).await? {
            Some(item) => dynamo::from_item(item).map(Some),
            None => self.get_account(id).await,
        }
    }

    /// The account's session version (see [`Account::session_version`]); `None` when there is
    /// no such account.
    pub async fn session_version(&self, id: &str) -> Result<Option<u64>, ApiError> {
        Ok(self
            .table
            .get::<Session>(account_key(id))
            .await?
            .map(|session| session.session_version))
    }

    /// Counts one attempt of `subject` against `limit` (a 429 once over it).
    pub async fn count(&self, limit: &Limit, subject: &str) -> Result<(), ApiError> {
        limit.hit(&self.table, subject).await
    }

    /// Records that a confirmation email goes to `email` at `now`, unless one went less than
    /// [`CONFIRMATION_INTERVAL_SECONDS`] ago: `false` then (send nothing).
    pub async fn claim_confirmation(&self, email: &str, now: i64) -> Result<bool, ApiError> {
        let change = Change::new(key(confirmation_pk(email), CONFIRMATION_SK))
            .set("sent_at", dynamo::number(now))
            .set(EXPIRES_AT, dynamo::number(now + CONFIRMATION_INTERVAL_SECONDS))
            .when(
                Condition::new("attribute_not_exists(#sent_at) OR #sent_at <= :due")
                    .name("sent_at")
                    .value(":due", dynamo::number(now - CONFIRMATION_INTERVAL_SECONDS)),
            );
        Ok(self.table.update(change).await?.is_some())
    }

    /// Undoes [`Store::claim_confirmation`] of `now` when the email could not be sent after all.
    pub async fn release_confirmation(&self, email: &str, now: i64) -> Result<(), ApiError> {
        let ours = Condition::new("#sent_at = :ours")
            .name("sent_at")
            .value(":ours", dynamo::number(now));
        self.table
            .delete_if(key(confirmation_pk(email), CONFIRMATION_SK), ours)
            .await
            .map(|_| ())
    }

    pub async fn login_attempts(&self, email: &str) -> Result<Option<LoginAttempts>, ApiError> {
        self.table.get(login_attempts_key(email)).await
    }

    /// Replaces the record read (`read`, or none) by `next` (`None` deletes it) if nobody wrote
    /// it since; `false` when a concurrent attempt wrote first.
    pub async fn write_login_attempts(
        &self,
        email: &str,
        read: Option<&LoginAttempts>,
        next: Option<&LoginAttempts>,
    ) -> Result<bool, ApiError> {
        let condition = match read {
            None => Condition::absent(),
            Some(read) => Condition::new("#revision = :read_revision")
                .name("revision")
                .value(":read_revision", dynamo::number(read.revision as i64)),
        };
        match next {
            Some(next) => {
                let item = keyed_item(next, login_attempts_pk(email), LOGIN_ATTEMPTS_SK)?;
                self.table.put_if(item, condition).await
            }
            None if read.is_none() => Ok(true),
            None => self.table.delete_if(login_attempts_key(email), condition).await,
        }
    }

    /// Stores a new key; `false` if its prefix is already used (the caller draws again).
    pub async fn put_api_key(&self, record: &ApiKeyRecord) -> Result<bool, ApiError> {
        self.table
            .put_new(keyed_item(record, api_key_pk(&record.prefix), APIKEY_SK)?)
            .await
    }

    /// Read consistently and never cached, so that a revocation applies to the next request.
    pub async fn get_api_key(&self, prefix: &str) -> Result<Option<ApiKeyRecord>, ApiError> {
        self.table.get(api_key_key(prefix)).await
    }

    /// Revokes a key; `false` if there is no key with that prefix.
    pub async fn revoke_api_key(&self, prefix: &str) -> Result<bool, ApiError> {
        let change = Change::new(api_key_key(prefix))
            .set("revoked", AttributeValue::Bool(true))
            .when(Condition::exists());
        Ok(self.table.update(change).await?.is_some())
    }

    /// The whole permissions table: one Query on `pk = PERMISSIONS`, all pages.
    pub async fn load_permissions(&self) -> Result<Permissions, ApiError> {
        let mut routes = BTreeMap::new();
        for item in self.table.query_all(&Query::partition(PERMISSIONS_PK)).await? {
            let entry: PermissionItem = dynamo::from_item(item)?;
            routes.insert(entry.sk, entry.roles);
        }
        Ok(Permissions::new(routes))
    }

    pub async fn put_permission(&self, route: &str, roles: &[String]) -> Result<(), ApiError> {
        let entry = PermissionItem {
            sk: route.to_string(),
            roles: roles.to_vec(),
        };
        self.table.put(keyed_item(&entry, PERMISSIONS_PK, route)?).await
    }

    pub async fn delete_permission(&self, route: &str) -> Result<(), ApiError> {
        self.table.delete(key(PERMISSIONS_PK, route)).await
    }
}
