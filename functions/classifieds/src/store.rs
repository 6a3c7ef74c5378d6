//! The classifieds table: ads, chats, messages and seller profiles, on the shared table layer.
//! The only code that knows its keys; the access patterns are documented in
//! `functions/classifieds/README.md`.

use andes_shared::dynamo::{
    key, keyed_item, number, string, Change, Condition, Item, Page, Query, Table, TransactionError,
};
use andes_shared::http::ApiError;
use andes_shared::limits::Limit;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;

use crate::domain::{Ad, Chat, Filters, Message, Profile, Sort, Status};

const AD_SK: &str = "AD";
const CHAT_SK: &str = "CHAT";
const PROFILE_SK: &str = "PROFILE";
/// Partition of the public lists (gsi2 newest first, gsi3 top offers first).
const PUBLISHED: &str = "PUBLISHED";

fn ad_pk(id: &str) -> String {
    format!("AD#{id}")
}

fn chat_pk(id: &str) -> String {
    format!("CHAT#{id}")
}

fn message_sk(timestamp: &str, id: &str) -> String {
    format!("MSG#{timestamp}#{id}")
}

/// Guard of the one chat between a buyer and an ad (under the ad's partition).
fn chat_guard_sk(buyer_key: &str) -> String {
    format!("CHAT#{buyer_key}")
}

fn profile_pk(account: &str) -> String {
    format!("PROFILE#{account}")
}

/// The item of an ad: its owner list (gsi1) always, the public lists (gsi2 newest first,
/// gsi3 top offers first) only while published.
fn ad_item(ad: &Ad) -> Result<Item, ApiError> {
    let mut item = keyed_item(ad, ad_pk(&ad.id), AD_SK)?;
    item.insert("gsi1pk".into(), string(format!("OWNER#{}", ad.owner)));
    item.insert("gsi1sk".into(), string(format!("{}#{}", ad.created, ad.id)));
    if ad.status == Status::Published {
        let published = ad.published_at.clone().unwrap_or_else(|| ad.updated.clone());
        item.insert("gsi2pk".into(), string(PUBLISHED));
        item.insert("gsi2sk".into(), string(format!("{published}#{}", ad.id)));
        item.insert("gsi3pk".into(), string(PUBLISHED));
        item.insert(
            "gsi3sk".into(),
            string(format!("{}#{published}#{}", u8::from(ad.details.top_offer), ad.id)),
        );
    }
    Ok(item)
}

fn chat_item(chat: &Chat) -> Result<Item, ApiError> {
    let mut item = keyed_item(chat, chat_pk(&chat.id), CHAT_SK)?;
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
    keyed_item(
        message,
        chat_pk(&message.chat_id),
        message_sk(&message.timestamp, &message.id),
    )
}

fn status_is(status: Status) -> Condition {
    Condition::new("#status = :status")
        .name("status")
        .value(":status", string(status.as_str()))
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

impl Expect {
    fn condition(self) -> Condition {
        match self {
            Self::New => Condition::absent(),
            Self::Version(version) => Condition::version(version),
            Self::VersionAndStatus(version, status) => Condition::version(version).and(status_is(status)),
        }
    }
}

/// One comparison of the public list's filter: attribute path, operator, value.
type Clause = (&'static [&'static str], &'static str, AttributeValue);

fn filter_clauses(filters: &Filters) -> Vec<Clause> {
    let mut clauses: Vec<Clause> = Vec::new();
    let id = |v: u32| number(v.into());
    if let Some(v) = filters.brand {
        clauses.push((&["placement", "brand_id"], "=", id(v)));
    }
    if let Some(v) = filters.model {
        clauses.push((&["details", "model_id"], "=", id(v)));
    }
    if let Some(v) = filters.state {
        clauses.push((&["placement", "state_id"], "=", id(v)));
    }
    if let Some(v) = filters.city {
        clauses.push((&["details", "city_id"], "=", id(v)));
    }
    if let Some(v) = filters.price_min_cents {
        clauses.push((&["price_cents"], ">=", number(v)));
    }
    if let Some(v) = filters.price_max_cents {
        clauses.push((&["price_cents"], "<=", number(v)));
    }
    if let Some(v) = filters.year_min {
        clauses.push((&["details", "model_year"], ">=", number(v.into())));
    }
    if let Some(v) = filters.year_max {
        clauses.push((&["details", "model_year"], "<=", number(v.into())));
    }
    let texts: [(&'static [&'static str], &Option<String>); 3] = [
        (&["details", "brake_system"], &filters.brake_system),
        (&["details", "ignition"], &filters.ignition),
        (&["details", "color"], &filters.color),
    ];
    for (path, value) in texts {
        if let Some(v) = value {
            clauses.push((path, "=", string(v)));
        }
    }
    let flags: [(&'static [&'static str], Option<bool>); 4] = [
        (&["details", "is_new"], filters.is_new),
        (&["details", "doc_ok"], filters.doc_ok),
        (&["details", "accept_exchange"], filters.accept_exchange),
        (&["details", "accept_new_offer"], filters.accept_new_offer),
    ];
    for (path, value) in flags {
        if let Some(v) = value {
            clauses.push((path, "=", AttributeValue::Bool(v)));
        }
    }
    clauses
}

/// The filter expression of the clauses, values as `:f0`, `:f1`... (text only, for tests).
fn filter_expression(clauses: &[Clause]) -> String {
    let clause = |(i, (path, op, _)): (usize, &Clause)| {
        let path: Vec<String> = path.iter().map(|part| format!("#{part}")).collect();
        format!("{} {op} :f{i}", path.join("."))
    };
    clauses.iter().enumerate().map(clause).collect::<Vec<_>>().join(" AND ")
}

/// The public list's filter, if any filter is set.
fn filter_condition(filters: &Filters) -> Option<Condition> {
    let clauses = filter_clauses(filters);
    if clauses.is_empty() {
        return None;
    }
    let mut condition = Condition::new(filter_expression(&clauses));
    for (i, (path, _, value)) in clauses.into_iter().enumerate() {
        for part in path {
            condition = condition.name(part);
        }
        condition = condition.value(&format!(":f{i}"), value);
    }
    Some(condition)
}

/// The guard item of a chat, as read back.
#[derive(Deserialize)]
struct ChatGuard {
    chat_id: String,
}

#[derive(Debug)]
pub enum ChatCreate {
    Created,
    /// The buyer already has a chat about this ad.
    Exists,
}

/// The classifieds table's access patterns.
#[derive(Clone)]
pub struct Store {
    table: Table,
}

impl Store {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    pub async fn get_ad(&self, id: &str) -> Result<Option<Ad>, ApiError> {
        self.table.get(key(ad_pk(id), AD_SK)).await
    }

    /// Counts one attempt of `subject` against `limit` (a 429 once over it).
    pub async fn count(&self, limit: &Limit, subject: &str) -> Result<(), ApiError> {
        limit.hit(&self.table, subject).await
    }

    /// Writes the ad if the stored one matches `expect`; `Ok(false)` when it does not.
    pub async fn put_ad(&self, ad: &Ad, expect: Expect) -> Result<bool, ApiError> {
        self.table.put_if(ad_item(ad)?, expect.condition()).await
    }

    /// Removes a deleted ad's item (only while it is still `deleted`).
    pub async fn remove_deleted_ad(&self, id: &str) -> Result<(), ApiError> {
        self.table
            .delete_if(key(ad_pk(id), AD_SK), status_is(Status::Deleted))
            .await?;
        Ok(())
    }

    /// The owner's ads, newest first.
    pub async fn owner_ads(&self, owner: &str, limit: i32, cursor: Option<&str>) -> Result<Page<Ad>, ApiError> {
        let query = Query::index("gsi1", format!("OWNER#{owner}")).backward();
        self.table.query_page(&query, limit, cursor).await?.parse()
    }

    /// Published ads in `sort` order that pass `filters`. A filtered page may come back short
    /// (a bounded number of Query pages is read per request) but always carries the cursor
    /// to go on; cursors are bound to the sort order and the filters.
    pub async fn published_ads(
        &self,
        filters: &Filters,
        sort: Sort,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Ad>, ApiError> {
        let index = match sort {
            Sort::Newest => "gsi2",
            Sort::TopOffer => "gsi3",
        };
        let mut query = Query::index(index, PUBLISHED).backward().scope(format!("{filters:?}"));
        if let Some(filter) = filter_condition(filters) {
            query = query.filter(filter);
        }
        self.table.query_page(&query, limit, cursor).await?.parse()
    }

    /// Deletes an ad's partition: the ad and its chat guards (admin: demo removal).
    pub async fn remove_ad_items(&self, ad_id: &str) -> Result<(), ApiError> {
        self.table.delete_partition(&ad_pk(ad_id)).await.map(drop)
    }

    pub async fn get_chat(&self, id: &str) -> Result<Option<Chat>, ApiError> {
        self.table.get(key(chat_pk(id), CHAT_SK)).await
    }

    /// The chat of a buyer (`ACCOUNT#{id}` or `ANON#{chat}`) about an ad, through its guard.
    pub async fn chat_id_of(&self, ad_id: &str, buyer_key: &str) -> Result<Option<String>, ApiError> {
        let guard: Option<ChatGuard> = self.table.get(key(ad_pk(ad_id), chat_guard_sk(buyer_key))).await?;
        Ok(guard.map(|g| g.chat_id))
    }

    /// Creates the chat, its guard and its first message in one transaction; the guard makes
    /// concurrent first messages of one buyer end in one chat.
    pub async fn create_chat(&self, chat: &Chat, buyer_key: &str, first: &Message) -> Result<ChatCreate, ApiError> {
        let mut guard = key(ad_pk(&chat.ad_id), chat_guard_sk(buyer_key));
        guard.insert("chat_id".into(), string(&chat.id));
        let writes = vec![
            self.table.put_tx(guard, Some(Condition::absent()))?,
            self.table.put_tx(chat_item(chat)?, Some(Condition::absent()))?,
            self.table.put_tx(message_item(first)?, None)?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(ChatCreate::Created),
            Err(error) if error.failed(0) => Ok(ChatCreate::Exists),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("chat already exists".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Adds a message and moves the chat's `last_message_at` forward (never back).
    pub async fn add_message(&self, message: &Message) -> Result<(), ApiError> {
        self.table.put(message_item(message)?).await?;
        let later = Condition::new("#last_message_at < :t")
            .name("last_message_at")
            .value(":t", string(&message.timestamp));
        let change = Change::new(key(chat_pk(&message.chat_id), CHAT_SK))
            .set("last_message_at", string(&message.timestamp))
            .when(Condition::exists().and(later));
        // `None`: a later message got there first, or the chat is gone; nothing to move.
        self.table.update(change).await?;
        Ok(())
    }

    /// A chat's messages, oldest first.
    pub async fn messages(&self, chat_id: &str, limit: i32, cursor: Option<&str>) -> Result<Page<Message>, ApiError> {
        let query = Query::partition(chat_pk(chat_id)).begins_with("MSG#");
        self.table.query_page(&query, limit, cursor).await?.parse()
    }

    /// The chats of an account as buyer (gsi1) or seller (gsi2), newest first.
    pub async fn chats_of(
        &self,
        account: &str,
        selling: bool,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Chat>, ApiError> {
        let query = if selling {
            Query::index("gsi2", format!("SELLER#{account}"))
        } else {
            Query::index("gsi1", format!("BUYER#{account}"))
        };
        self.table.query_page(&query.backward(), limit, cursor).await?.parse()
    }

    /// Deletes a chat with its messages (admin: demo removal).
    pub async fn remove_chat(&self, chat_id: &str) -> Result<(), ApiError> {
        self.table.delete_partition(&chat_pk(chat_id)).await.map(drop)
    }

    pub async fn get_profile(&self, account: &str) -> Result<Option<Profile>, ApiError> {
        self.table.get(key(profile_pk(account), PROFILE_SK)).await
    }

    pub async fn put_profile(&self, profile: &Profile) -> Result<(), ApiError> {
        self.table
            .put(keyed_item(profile, profile_pk(&profile.account_id), PROFILE_SK)?)
            .await
    }

    /// Deletes an account's profile (admin: demo removal).
    pub async fn remove_profile(&self, account: &str) -> Result<(), ApiError> {
        self.table.delete(key(profile_pk(account), PROFILE_SK)).await
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
        let clauses = filter_clauses(&filters);
        assert_eq!(
            filter_expression(&clauses),
            "#placement.#brand_id = :f0 AND #price_cents <= :f1 AND #details.#color = :f2 AND #details.#is_new = :f3"
        );
        assert_eq!(clauses[0].2, AttributeValue::N("7".into()));
        assert!(filter_condition(&Filters::default()).is_none());
    }

    #[test]
    fn only_published_ads_are_on_the_public_lists() {
        let ad: Ad = serde_json::from_value(serde_json::json!({
            "id": "a", "owner": "o", "status": "draft", "price_cents": 100, "images": [],
            "created": "2026-01-01", "updated": "2026-01-01", "version": 1,
            "details": {
                "model_id": 1, "version_id": null, "city_id": 1, "type": "naked", "origin": "national",
                "fabrication_year": 2020, "model_year": 2020, "license_plate": null, "mileage": 0,
                "is_new": true, "color": "red", "price": "1.00", "sales_phrase": "", "description": "",
                "options": [], "accept_new_offer": false, "accept_exchange": false, "doc_ok": false,
                "track_ready": false, "brake_system": "abs", "ignition": "electric", "cooling": "air",
                "top_offer": true
            },
            "placement": {
                "brand_id": 1, "brand_name": "B", "model_name": "M", "version_name": null, "state_id": 1,
                "state_acronym": "SP", "city_name": "C"
            }
        }))
        .unwrap();
        let draft = ad_item(&ad).unwrap();
        assert_eq!(draft["gsi1pk"], string("OWNER#o"));
        assert!(!draft.contains_key("gsi2pk") && !draft.contains_key("gsi3pk"));
        let published = ad_item(&Ad {
            status: Status::Published,
            published_at: Some("2026-01-02".into()),
            ..ad
        })
        .unwrap();
        assert_eq!(published["gsi2sk"], string("2026-01-02#a"));
        assert_eq!(published["gsi3sk"], string("1#2026-01-02#a"));
    }
}
