//! The classifieds table: ads, chats, messages and seller profiles. The only code that knows
//! its keys; the access patterns are documented in `functions/classifieds/README.md`.

use std::collections::HashMap;

use andes_shared::aws::sdk_error;
use andes_shared::dynamo::{
    self, decode_cursor, encode_cursor, from_item, is_condition_failed, next_cursor, string, to_item, Item,
    TransactionError,
};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{AdFields, Image, Placement, Status};

pub const GSI1: &str = "gsi1";
pub const GSI2: &str = "gsi2";
pub const GSI3: &str = "gsi3";
pub const PUBLISHED_LIST: &str = "PUBLISHED";
/// Query pages read for one filtered list request before answering with what was found.
const MAX_FILTERED_PAGES: usize = 10;

pub use andes_shared::dynamo::Page;

/// An ad as stored: the owner's fields, the catalog facts, images and lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ad {
    pub id: String,
    pub owner: String,
    pub status: Status,
    pub details: AdFields,
    pub price_cents: i64,
    pub placement: Placement,
    pub images: Vec<Image>,
    /// Permanent keys of images dropped by edits, deleted by the next publication.
    #[serde(default)]
    pub dropped: Vec<String>,
    pub created: String,
    pub updated: String,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub failure: Option<String>,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    pub id: String,
    pub ad_id: String,
    pub seller: String,
    /// The buyer's account; `None` for an anonymous buyer (then name and email are set).
    pub buyer: Option<String>,
    pub buyer_name: Option<String>,
    pub buyer_email: Option<String>,
    pub buyer_phone: Option<String>,
    pub created: String,
    pub last_message_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub chat_id: String,
    /// `buyer` or `seller`.
    pub from: String,
    pub text: String,
    pub timestamp: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub account_id: String,
    pub state_id: Option<u32>,
    pub city_id: Option<u32>,
    pub phone: Option<String>,
    pub show_phone: bool,
    pub updated: String,
}

pub fn ad_pk(id: &str) -> String {
    format!("AD#{id}")
}
pub const AD_SK: &str = "AD";
pub fn chat_pk(id: &str) -> String {
    format!("CHAT#{id}")
}
pub const CHAT_SK: &str = "CHAT";
pub fn message_sk(timestamp: &str, id: &str) -> String {
    format!("MSG#{timestamp}#{id}")
}
/// Guard of the one chat between a buyer and an ad (under the ad's partition).
pub fn chat_guard_sk(buyer_key: &str) -> String {
    format!("CHAT#{buyer_key}")
}
pub fn profile_pk(account: &str) -> String {
    format!("PROFILE#{account}")
}
pub const PROFILE_SK: &str = "PROFILE";

pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    Item::from([("pk".to_string(), string(pk)), ("sk".to_string(), string(sk))])
}

/// The item of an ad: its owner list (gsi1) always, the public lists (gsi2 newest first,
/// gsi3 top offers first) only while published.
pub fn ad_item(ad: &Ad) -> Result<Item, ApiError> {
    let mut item = to_item(ad)?;
    item.extend(key(ad_pk(&ad.id), AD_SK));
    item.insert("gsi1pk".into(), string(format!("OWNER#{}", ad.owner)));
    item.insert("gsi1sk".into(), string(format!("{}#{}", ad.created, ad.id)));
    if ad.status == Status::Published {
        let published = ad.published_at.clone().unwrap_or_else(|| ad.updated.clone());
        item.insert("gsi2pk".into(), string(PUBLISHED_LIST));
        item.insert("gsi2sk".into(), string(format!("{published}#{}", ad.id)));
        item.insert("gsi3pk".into(), string(PUBLISHED_LIST));
        item.insert(
            "gsi3sk".into(),
            string(format!("{}#{published}#{}", u8::from(ad.details.top_offer), ad.id)),
        );
    }
    Ok(item)
}

/// What a conditional ad write expects to find.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// No ad with this id yet.
    New,
    /// The ad at this version.
    Version(u64),
    /// The ad at this version and in this status.
    VersionAndStatus(u64, Status),
}

/// Sort orders of the public list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    TopOffer,
}

/// Filters of the public list; each set one narrows it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Filters {
    pub brand: Option<u32>,
    pub model: Option<u32>,
    pub state: Option<u32>,
    pub city: Option<u32>,
    pub price_min_cents: Option<i64>,
    pub price_max_cents: Option<i64>,
    pub year_min: Option<i32>,
    pub year_max: Option<i32>,
    pub brake_system: Option<String>,
    pub ignition: Option<String>,
    pub color: Option<String>,
    pub is_new: Option<bool>,
    pub doc_ok: Option<bool>,
    pub accept_exchange: Option<bool>,
    pub accept_new_offer: Option<bool>,
}

/// A DynamoDB filter expression with its names and values.
#[derive(Debug, Default, PartialEq)]
pub struct FilterExpression {
    pub expression: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Filters {
    pub fn expression(&self) -> FilterExpression {
        let mut out = FilterExpression::default();
        let mut clauses = Vec::new();
        let mut add = |path: &[&str], op: &str, placeholder: &str, value: AttributeValue| {
            let names: Vec<String> = path
                .iter()
                .map(|part| {
                    let name = format!("#{part}");
                    out.names.insert(name.clone(), part.to_string());
                    name
                })
                .collect();
            out.values.insert(placeholder.to_string(), value);
            clauses.push(format!("{} {op} {placeholder}", names.join(".")));
        };
        let n = |v: i64| AttributeValue::N(v.to_string());
        if let Some(v) = self.brand {
            add(&["placement", "brand_id"], "=", ":brand", n(v.into()));
        }
        if let Some(v) = self.model {
            add(&["details", "model_id"], "=", ":model", n(v.into()));
        }
        if let Some(v) = self.state {
            add(&["placement", "state_id"], "=", ":state", n(v.into()));
        }
        if let Some(v) = self.city {
            add(&["details", "city_id"], "=", ":city", n(v.into()));
        }
        if let Some(v) = self.price_min_cents {
            add(&["price_cents"], ">=", ":price_min", n(v));
        }
        if let Some(v) = self.price_max_cents {
            add(&["price_cents"], "<=", ":price_max", n(v));
        }
        if let Some(v) = self.year_min {
            add(&["details", "model_year"], ">=", ":year_min", n(v.into()));
        }
        if let Some(v) = self.year_max {
            add(&["details", "model_year"], "<=", ":year_max", n(v.into()));
        }
        for (field, value) in [
            ("brake_system", &self.brake_system),
            ("ignition", &self.ignition),
            ("color", &self.color),
        ] {
            if let Some(v) = value {
                add(&["details", field], "=", &format!(":{field}"), string(v.clone()));
            }
        }
        for (field, value) in [
            ("is_new", self.is_new),
            ("doc_ok", self.doc_ok),
            ("accept_exchange", self.accept_exchange),
            ("accept_new_offer", self.accept_new_offer),
        ] {
            if let Some(v) = value {
                add(&["details", field], "=", &format!(":{field}"), AttributeValue::Bool(v));
            }
        }
        if !clauses.is_empty() {
            out.expression = Some(clauses.join(" AND "));
        }
        out
    }
}

#[derive(Debug)]
pub enum ChatCreate {
    Created,
    /// The buyer already has a chat about this ad.
    Exists,
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

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    async fn get<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>, ApiError> {
        dynamo::get_consistent(&self.client, &self.table, key)
            .await?
            .map(from_item)
            .transpose()
    }

    // ---------------------------------------------------------------------------- ads

    pub async fn get_ad(&self, id: &str) -> Result<Option<Ad>, ApiError> {
        self.get(key(ad_pk(id), AD_SK)).await
    }

    /// Writes the ad if the stored one matches `expect`; `Ok(false)` when it does not.
    pub async fn put_ad(&self, ad: &Ad, expect: Expect) -> Result<bool, ApiError> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(ad_item(ad)?));
        request = match expect {
            Expect::New => request.condition_expression("attribute_not_exists(pk)"),
            Expect::Version(version) => request
                .condition_expression("#version = :expected")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", AttributeValue::N(version.to_string())),
            Expect::VersionAndStatus(version, status) => request
                .condition_expression("#version = :expected AND #status = :status")
                .expression_attribute_names("#version", "version")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":expected", AttributeValue::N(version.to_string()))
                .expression_attribute_values(":status", string(status.as_str())),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failed(&error) => Ok(false),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Removes a deleted ad's item (only while it is still `deleted`).
    pub async fn remove_deleted_ad(&self, id: &str) -> Result<(), ApiError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(ad_pk(id), AD_SK)))
            .condition_expression("#status = :deleted")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":deleted", string(Status::Deleted.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failed(&error) => Ok(()),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// The owner's ads, newest first.
    pub async fn owner_ads(&self, owner: &str, limit: i32, cursor: Option<&str>) -> Result<Page<Ad>, ApiError> {
        let start = cursor.map(decode_cursor).transpose()?;
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :owner")
            .expression_attribute_values(":owner", string(format!("OWNER#{owner}")))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: next_cursor(output.last_evaluated_key.as_ref()),
        })
    }

    /// Published ads in `sort` order that pass `filters`. A filtered Query can return fewer
    /// items than asked per page, so pages are read until `limit` items are found (at most
    /// `MAX_FILTERED_PAGES`); the cursor is the index key of the last item returned.
    pub async fn published_ads(
        &self,
        filters: &Filters,
        sort: Sort,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Ad>, ApiError> {
        let (index, pk_name, sk_name) = match sort {
            Sort::Newest => (GSI2, "gsi2pk", "gsi2sk"),
            Sort::TopOffer => (GSI3, "gsi3pk", "gsi3sk"),
        };
        let filter = filters.expression();
        let mut start = cursor.map(decode_cursor).transpose()?;
        let mut found: Vec<Item> = Vec::new();
        let wanted = limit as usize;
        for _ in 0..MAX_FILTERED_PAGES {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#listpk = :list")
                .expression_attribute_names("#listpk", pk_name)
                .expression_attribute_values(":list", string(PUBLISHED_LIST))
                .scan_index_forward(false)
                .limit(if filter.expression.is_some() { 100 } else { limit })
                .set_exclusive_start_key(start.take());
            if let Some(expression) = &filter.expression {
                query = query.filter_expression(expression);
                for (name, value) in &filter.names {
                    query = query.expression_attribute_names(name, value);
                }
                for (name, value) in &filter.values {
                    query = query.expression_attribute_values(name, value.clone());
                }
            }
            let output = query.send().await.map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                if found.len() < wanted {
                    found.push(item);
                } else {
                    break;
                }
            }
            if found.len() >= wanted {
                let last = found.last().expect("limit is at least 1");
                let key: Item = ["pk", "sk", pk_name, sk_name]
                    .iter()
                    .filter_map(|name| last.get(*name).map(|v| (name.to_string(), v.clone())))
                    .collect();
                let next_cursor = encode_cursor(&key);
                return Ok(Page {
                    items: found.into_iter().map(from_item).collect::<Result<_, _>>()?,
                    next_cursor,
                });
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => {
                    return Ok(Page {
                        items: found.into_iter().map(from_item).collect::<Result<_, _>>()?,
                        next_cursor: None,
                    });
                }
            }
        }
        let next_cursor = start.as_ref().and_then(encode_cursor);
        Ok(Page {
            items: found.into_iter().map(from_item).collect::<Result<_, _>>()?,
            next_cursor,
        })
    }

    // -------------------------------------------------------------------------- chats

    pub async fn get_chat(&self, id: &str) -> Result<Option<Chat>, ApiError> {
        self.get(key(chat_pk(id), CHAT_SK)).await
    }

    /// The chat of a buyer (`ACCOUNT#{id}` or `EMAIL#{email}`) about an ad, through its guard.
    pub async fn chat_id_of(&self, ad_id: &str, buyer_key: &str) -> Result<Option<String>, ApiError> {
        let guard =
            dynamo::get_consistent(&self.client, &self.table, key(ad_pk(ad_id), chat_guard_sk(buyer_key))).await?;
        Ok(guard.and_then(|g| match g.get("chat_id") {
            Some(AttributeValue::S(id)) => Some(id.clone()),
            _ => None,
        }))
    }

    fn chat_item(chat: &Chat) -> Result<Item, ApiError> {
        let mut item = to_item(chat)?;
        item.extend(key(chat_pk(&chat.id), CHAT_SK));
        let order = format!("{}#{}", chat.created, chat.id);
        if let Some(buyer) = &chat.buyer {
            item.insert("gsi1pk".into(), string(format!("BUYER#{buyer}")));
            item.insert("gsi1sk".into(), string(order.clone()));
        }
        item.insert("gsi2pk".into(), string(format!("SELLER#{}", chat.seller)));
        item.insert("gsi2sk".into(), string(order));
        Ok(item)
    }

    fn message_item(message: &Message) -> Result<Item, ApiError> {
        let mut item = to_item(message)?;
        item.extend(key(
            chat_pk(&message.chat_id),
            message_sk(&message.timestamp, &message.id),
        ));
        Ok(item)
    }

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, ApiError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Creates the chat, its guard and its first message in one transaction; the guard makes
    /// concurrent first messages of one buyer end in one chat.
    pub async fn create_chat(&self, chat: &Chat, buyer_key: &str, first: &Message) -> Result<ChatCreate, ApiError> {
        let mut guard = key(ad_pk(&chat.ad_id), chat_guard_sk(buyer_key));
        guard.insert("chat_id".into(), string(&chat.id));
        let writes = vec![
            self.put(guard, Some("attribute_not_exists(pk)"))?,
            self.put(Self::chat_item(chat)?, Some("attribute_not_exists(pk)"))?,
            self.put(Self::message_item(first)?, None)?,
        ];
        match dynamo::transact(&self.client, writes).await {
            Ok(()) => Ok(ChatCreate::Created),
            Err(TransactionError::Conditions(failed)) if failed.contains(&0) => Ok(ChatCreate::Exists),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("chat already exists".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Adds a message and moves the chat's `last_message_at` forward.
    pub async fn add_message(&self, message: &Message) -> Result<(), ApiError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::message_item(message)?))
            .send()
            .await
            .map_err(sdk_error)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(chat_pk(&message.chat_id), CHAT_SK)))
            .update_expression("SET last_message_at = :t")
            .condition_expression("attribute_exists(pk) AND last_message_at < :t")
            .expression_attribute_values(":t", string(&message.timestamp))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failed(&error) => Ok(()),
            Err(error) => Err(sdk_error(error)),
        }
    }

    pub async fn messages(&self, chat_id: &str, limit: i32, cursor: Option<&str>) -> Result<Page<Message>, ApiError> {
        let start = cursor.map(decode_cursor).transpose()?;
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :chat AND begins_with(sk, :msg)")
            .expression_attribute_values(":chat", string(chat_pk(chat_id)))
            .expression_attribute_values(":msg", string("MSG#"))
            .consistent_read(true)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: next_cursor(output.last_evaluated_key.as_ref()),
        })
    }

    /// The chats of an account as buyer (gsi1) or seller (gsi2), newest first.
    pub async fn chats_of(
        &self,
        account: &str,
        selling: bool,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Chat>, ApiError> {
        let (index, pk_name, list) = if selling {
            (GSI2, "gsi2pk", format!("SELLER#{account}"))
        } else {
            (GSI1, "gsi1pk", format!("BUYER#{account}"))
        };
        let start = cursor.map(decode_cursor).transpose()?;
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#listpk = :list")
            .expression_attribute_names("#listpk", pk_name)
            .expression_attribute_values(":list", string(list))
            .scan_index_forward(false)
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_cursor: next_cursor(output.last_evaluated_key.as_ref()),
        })
    }

    // ----------------------------------------------------------------------- profiles

    pub async fn get_profile(&self, account: &str) -> Result<Option<Profile>, ApiError> {
        self.get(key(profile_pk(account), PROFILE_SK)).await
    }

    pub async fn put_profile(&self, profile: &Profile) -> Result<(), ApiError> {
        let mut item = to_item(profile)?;
        item.extend(key(profile_pk(&profile.account_id), PROFILE_SK));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Deletes every item of a partition (admin: demo removal).
    pub async fn delete_partition(&self, pk: &str) -> Result<(), ApiError> {
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", string(pk))
                .projection_expression("pk, sk")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(item))
                    .send()
                    .await
                    .map_err(sdk_error)?;
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_build_one_expression() {
        let filters = Filters {
            brand: Some(7),
            price_max_cents: Some(100),
            color: Some("red".into()),
            is_new: Some(true),
            ..Default::default()
        };
        let expression = filters.expression();
        assert_eq!(
            expression.expression.as_deref(),
            Some("#placement.#brand_id = :brand AND #price_cents <= :price_max AND #details.#color = :color AND #details.#is_new = :is_new")
        );
        assert_eq!(expression.values[":brand"], AttributeValue::N("7".into()));
        assert_eq!(expression.names["#details"], "details");
        assert_eq!(Filters::default().expression().expression, None);
    }
}
