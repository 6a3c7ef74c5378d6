//! The identity table: the only code that knows its keys and talks to DynamoDB.
//! The access patterns are documented in `functions/identity/README.md`.

use std::collections::BTreeMap;

use andes_shared::aws::sdk_error;
use andes_shared::dynamo::{self, from_item, is_condition_failed, string, to_item, Item, TransactionError};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem};
use aws_sdk_dynamodb::Client;

use crate::account::Account;
use crate::api_keys::ApiKeyRecord;
use crate::permissions::Permissions;

const ACCOUNT_SK: &str = "ACCOUNT";
const EMAIL_SK: &str = "EMAIL";
const USERNAME_SK: &str = "USERNAME";
const APIKEY_SK: &str = "APIKEY";
const PERMISSIONS_PK: &str = "PERMISSIONS";

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

fn key(pk: String, sk: &str) -> Item {
    Item::from([("pk".to_string(), string(pk)), ("sk".to_string(), string(sk))])
}

fn with_key(mut item: Item, pk: String, sk: &str) -> Item {
    item.extend(key(pk, sk));
    item
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

#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get(&self, key: Item) -> Result<Option<Item>, ApiError> {
        dynamo::get_consistent(&self.client, &self.table, key).await
    }

    /// Creates the account and its email and username guards in one transaction, so that
    /// concurrent signups with one email or username create exactly one account.
    pub async fn create_account(&self, account: &Account) -> Result<(), CreateAccountError> {
        let guard =
            |pk: String, sk: &str| with_key(Item::from([("account_id".to_string(), string(&account.id))]), pk, sk);
        let items = [
            with_key(to_item(account)?, account_pk(&account.id), ACCOUNT_SK),
            guard(email_pk(&account.email), EMAIL_SK),
            guard(username_pk(&account.username), USERNAME_SK),
        ];
        let mut writes = Vec::with_capacity(items.len());
        for item in items {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(ApiError::internal)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        match dynamo::transact(&self.client, writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) if failed.contains(&1) => Err(CreateAccountError::EmailTaken),
            Err(TransactionError::Conditions(failed)) if failed.contains(&2) => Err(CreateAccountError::UsernameTaken),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("account already exists".into()).into()),
            Err(TransactionError::Other(error)) => Err(error.into()),
        }
    }

    /// Undoes `create_account` for an account nobody has used yet: the account (only while
    /// unverified and unchanged) and its guards go in one transaction.
    pub async fn delete_new_account(&self, account: &Account) -> Result<(), ApiError> {
        let delete = |pk: String, sk: &str| Delete::builder().table_name(&self.table).set_key(Some(key(pk, sk)));
        let untouched_account = delete(account_pk(&account.id), ACCOUNT_SK)
            .condition_expression("verified = :unverified AND version = :version")
            .expression_attribute_values(":unverified", AttributeValue::Bool(false))
            .expression_attribute_values(":version", AttributeValue::N(account.version.to_string()));
        let deletes = [
            untouched_account,
            delete(email_pk(&account.email), EMAIL_SK),
            delete(username_pk(&account.username), USERNAME_SK),
        ];
        let mut writes = Vec::with_capacity(deletes.len());
        for builder in deletes {
            writes.push(
                TransactWriteItem::builder()
                    .delete(builder.build().map_err(ApiError::internal)?)
                    .build(),
            );
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    pub async fn get_account(&self, id: &str) -> Result<Option<Account>, ApiError> {
        self.get(key(account_pk(id), ACCOUNT_SK))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Deletes an account and its email and username guards in one transaction (admin:
    /// removal of demo data). API keys issued to it are not touched.
    pub async fn delete_account(&self, account: &Account) -> Result<(), ApiError> {
        let mut writes = Vec::with_capacity(3);
        for (pk, sk) in [
            (account_pk(&account.id), ACCOUNT_SK),
            (email_pk(&account.email), EMAIL_SK),
            (username_pk(&account.username), USERNAME_SK),
        ] {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk, sk)))
                .build()
                .map_err(ApiError::internal)?;
            writes.push(TransactWriteItem::builder().delete(delete).build());
        }
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// The account registered with `email` (any case), through the email guard.
    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>, ApiError> {
        let Some(guard) = self.get(key(email_pk(email), EMAIL_SK)).await? else {
            return Ok(None);
        };
        let Some(AttributeValue::S(account_id)) = guard.get("account_id") else {
            return Err(ApiError::internal("email guard without account_id"));
        };
        self.get_account(account_id).await
    }

    /// Writes `account` back if nobody changed it since it was read (same `version`);
    /// bumps `version` and sets `updated`. A concurrent change is a 409.
    pub async fn update_account(&self, account: &mut Account, now: &str) -> Result<(), ApiError> {
        let expected = account.version;
        account.version = expected + 1;
        account.updated = now.to_string();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(with_key(to_item(&*account)?, account_pk(&account.id), ACCOUNT_SK)))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", AttributeValue::N(expected.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failed(&error) => Err(ApiError::Conflict(
                "the account was modified by another request; read it again and retry".into(),
            )),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Marks the account verified; `None` if there is no such account. Verifying an
    /// already verified account changes nothing and returns it.
    pub async fn mark_verified(&self, id: &str, now: &str) -> Result<Option<Account>, ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(account_pk(id), ACCOUNT_SK)))
            .update_expression("SET verified = :true, updated = :now ADD #version :one")
            .condition_expression("attribute_exists(pk) AND verified = :false")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", string(now))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => output.attributes.map(from_item).transpose(),
            Err(error) if is_condition_failed(&error) => self.get_account(id).await,
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Stores a new key; `false` if its prefix is already used (the caller draws again).
    pub async fn put_api_key(&self, record: &ApiKeyRecord) -> Result<bool, ApiError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(with_key(to_item(record)?, api_key_pk(&record.prefix), APIKEY_SK)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failed(&error) => Ok(false),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Read consistently and never cached, so that a revocation applies to the next request.
    pub async fn get_api_key(&self, prefix: &str) -> Result<Option<ApiKeyRecord>, ApiError> {
        self.get(key(api_key_pk(prefix), APIKEY_SK))
            .await?
            .map(from_item)
            .transpose()
    }

    /// Revokes a key; `false` if there is no key with that prefix.
    pub async fn revoke_api_key(&self, prefix: &str) -> Result<bool, ApiError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(api_key_pk(prefix), APIKEY_SK)))
            .update_expression("SET revoked = :true")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failed(&error) => Ok(false),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// The whole permissions table: one Query on `pk = PERMISSIONS`, all pages.
    pub async fn load_permissions(&self) -> Result<Permissions, ApiError> {
        let mut routes = BTreeMap::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", string(PERMISSIONS_PK))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                let entry: PermissionItem = dynamo::from_item(item)?;
                routes.insert(entry.sk, entry.roles);
            }
            match output.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        Ok(Permissions::new(routes))
    }

    pub async fn put_permission(&self, route: &str, roles: &[String]) -> Result<(), ApiError> {
        let roles = AttributeValue::L(roles.iter().map(|r| string(r.as_str())).collect());
        let item = with_key(
            Item::from([("roles".to_string(), roles)]),
            PERMISSIONS_PK.to_string(),
            route,
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    pub async fn delete_permission(&self, route: &str) -> Result<(), ApiError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(PERMISSIONS_PK.to_string(), route)))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct PermissionItem {
    sk: String,
    #[serde(default)]
    roles: Vec<String>,
}
