//! What other services may ask of identity, and the only way they reach it: accounts by id,
//! email or username, verified accounts created by admin processes, and API keys issued and
//! revoked. Identity's keys and table layout stay private to its store.

use andes_shared::dynamo::Table;
use andes_shared::http::ApiError;
use andes_shared::ids;

use crate::account::{Account, AccountView};
use crate::api_keys::{self, ApiKeyRecord};
use crate::store::{CreateAccountError, ProfileChange, Store};

/// Identity's accounts and keys, as other services see them.
#[derive(Clone)]
pub struct Directory {
    store: Store,
}

/// An account an admin process creates (e.g. demo data): verified, with a known password.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub roles: Vec<String>,
}

/// A key just issued: `key` is shown once and never stored.
pub struct IssuedKey {
    pub key: String,
    pub prefix: String,
}

impl Directory {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self::from_store(Store::new(Table::new(client, table)))
    }

    pub(crate) fn from_store(store: Store) -> Self {
        Self { store }
    }

    /// An account as other services may see it (never its password hash).
    pub async fn account(&self, id: &str) -> Result<Option<AccountView>, ApiError> {
        Ok(self.store.get_account(id).await?.as_ref().map(Account::view))
    }

    /// Sets an account's name and phone (those given); `None` when there is no such account.
    /// Only these two: a service never changes credentials, email or roles.
    pub async fn change_name_and_phone(
        &self,
        id: &str,
        name: Option<String>,
        phone: Option<String>,
    ) -> Result<Option<AccountView>, ApiError> {
        let change = ProfileChange {
            name,
            phone: phone.map(Some),
            password_hash: None,
        };
        let account = self
            .store
            .change_profile(id, &change, None, &ids::now_rfc3339())
            .await?;
        Ok(account.as_ref().map(Account::view))
    }

    /// The accounts of these ids that exist, by id, in one round trip (per 100).
    pub async fn accounts(&self, ids: &[&str]) -> Result<std::collections::HashMap<String, AccountView>, ApiError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let accounts = self.store.get_accounts(ids).await?;
        Ok(accounts
            .iter()
            .map(|account| (account.id.clone(), account.view()))
            .collect())
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<AccountView>, ApiError> {
        Ok(self.store.account_by_email(email).await?.as_ref().map(Account::view))
    }

    /// The id of the account holding `username`.
    pub async fn account_id_by_username(&self, username: &str) -> Result<Option<String>, ApiError> {
        self.store.account_id_by_username(username).await
    }

    /// Creates a verified account unless its email is registered; `false` when it was.
    pub async fn create_verified_account(&self, new: NewAccount<'_>) -> Result<bool, ApiError> {
        if self.store.account_by_email(new.email).await?.is_some() {
            return Ok(false);
        }
        let password = new.password.to_string();
        let password_hash = tokio::task::spawn_blocking(move || crate::password::hash_password(&password))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        let now = ids::now_rfc3339();
        let account = Account {
            id: ids::new_id(),
            email: new.email.to_string(),
            username: crate::admin::username_from_email(new.email).map_err(|e| ApiError::invalid("email", e))?,
            name: new.name.to_string(),
            phone: None,
            roles: new.roles,
            verified: true,
            password_hash,
            created: now.clone(),
            updated: now,
            version: 1,
            session_version: 0,
        };
        match self.store.create_account(&account, None).await {
            Ok(()) => Ok(true),
            Err(CreateAccountError::EmailTaken) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes an account and its guards (admin processes removing what they created).
    pub async fn delete_account(&self, id: &str) -> Result<(), ApiError> {
        match self.store.get_account(id).await? {
            Some(account) => self.store.delete_account(&account).await,
            None => Ok(()),
        }
    }

    /// Generates and stores a new key for `principal_id` with `role`.
    pub async fn issue_api_key(&self, principal_id: &str, role: &str) -> Result<IssuedKey, ApiError> {
        // Prefixes are random (36^8); a collision just means drawing again.
        for _ in 0..3 {
            let new = api_keys::generate();
            let record = ApiKeyRecord {
                prefix: new.prefix.clone(),
                key_hash: new.hash,
                principal_id: principal_id.to_string(),
                role: role.to_string(),
                created: ids::now_rfc3339(),
                revoked: false,
            };
            if self.store.put_api_key(&record).await? {
                return Ok(IssuedKey {
                    key: new.key,
                    prefix: new.prefix,
                });
            }
        }
        Err(ApiError::Unavailable(
            "could not find a free key prefix; try again".into(),
        ))
    }

    /// Revokes a key; `false` when no such key exists.
    pub async fn revoke_api_key(&self, prefix: &str) -> Result<bool, ApiError> {
        self.store.revoke_api_key(prefix).await
    }
}
