//! The rides table: the only code that knows its keys and talks to DynamoDB.
//! The access patterns are documented in `functions/rides/README.md`.

use std::collections::HashMap;

use andes_shared::aws::sdk_error;
use andes_shared::dynamo::{
    self, decode_cursor, from_item, is_condition_failed, next_cursor, string, to_item, Item, TransactionError,
};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::domain::{Caller, Circle, Invitation, Membership, Profile, Rating, Ride, LIMIT_BELOW_MEMBERS};

pub const GSI1: &str = "gsi1";
pub const GSI2: &str = "gsi2";
pub const GSI3: &str = "gsi3";
pub const PUBLIC_CIRCLES: &str = "CIRCLES#PUBLIC";
pub const ACTIVE_RIDES: &str = "RIDES#ACTIVE";
const MODIFIED: &str = "modified by another request; read it again and retry";

pub fn account_pk(id: &str) -> String {
    format!("ACCOUNT#{id}")
}
pub fn user_pk(username: &str) -> String {
    format!("USER#{username}")
}
pub fn circle_pk(slug: &str) -> String {
    format!("CIRCLE#{slug}")
}
pub fn member_sk(username: &str) -> String {
    format!("MEMBER#{username}")
}
pub fn unused_sk(username: &str, code: &str) -> String {
    format!("UNUSED#{username}#{code}")
}
pub fn invitation_pk(code: &str) -> String {
    format!("INVITATION#{code}")
}
pub fn ride_sk(id: &str) -> String {
    format!("RIDE#{id}")
}
pub fn rating_sk(ride: &str, username: &str) -> String {
    format!("RIDE#{ride}#RATING#{username}")
}
pub fn user_circles(username: &str) -> String {
    format!("USER#{username}#CIRCLES")
}
pub fn circle_rides(slug: &str) -> String {
    format!("CIRCLE#{slug}#RIDES")
}
pub fn departing(day: &str) -> String {
    format!("DEPARTING#{day}")
}

pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    Item::from([("pk".to_string(), string(pk)), ("sk".to_string(), string(sk))])
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn with_key<T: Serialize>(value: &T, pk: String, sk: String) -> Result<Item, ApiError> {
    let mut item = to_item(value)?;
    item.extend(key(pk, sk));
    Ok(item)
}

pub fn circle_item(circle: &Circle) -> Result<Item, ApiError> {
    let mut item = with_key(circle, circle_pk(&circle.slug), "CIRCLE".into())?;
    if circle.is_public {
        item.insert("gsi1pk".into(), string(PUBLIC_CIRCLES));
        item.insert("gsi1sk".into(), string(&circle.slug));
    }
    Ok(item)
}

pub fn membership_item(membership: &Membership) -> Result<Item, ApiError> {
    let mut item = with_key(
        membership,
        circle_pk(&membership.circle),
        member_sk(&membership.username),
    )?;
    item.insert("gsi1pk".into(), string(user_circles(&membership.username)));
    item.insert("gsi1sk".into(), string(&membership.circle));
    Ok(item)
}

/// The index keys of a ride: listed in its circle and due for deactivation while active;
/// always findable by departure day (exports).
fn ride_index_keys(ride: &Ride) -> Vec<(&'static str, String)> {
    let mut keys = vec![
        ("gsi3pk", departing(ride.departure_date.get(..10).unwrap_or_default())),
        ("gsi3sk", format!("{}#{}", ride.departure_date, ride.id)),
    ];
    if ride.is_active {
        keys.push(("gsi1pk", circle_rides(&ride.circle)));
        keys.push(("gsi1sk", format!("{}#{}", ride.departure_date, ride.id)));
        keys.push(("gsi2pk", ACTIVE_RIDES.to_string()));
        keys.push(("gsi2sk", format!("{}#{}#{}", ride.arrival_date, ride.circle, ride.id)));
    }
    keys
}

pub fn ride_item(ride: &Ride) -> Result<Item, ApiError> {
    let mut item = with_key(ride, circle_pk(&ride.circle), ride_sk(&ride.id))?;
    for (name, value) in ride_index_keys(ride) {
        item.insert(name.into(), string(value));
    }
    if !ride.passengers.is_empty() {
        item.insert("passengers".into(), AttributeValue::Ss(ride.passengers.clone()));
    }
    Ok(item)
}

pub fn ride_from_item(mut item: Item) -> Result<Ride, ApiError> {
    let passengers = match item.remove("passengers") {
        Some(AttributeValue::Ss(set)) => set,
        _ => Vec::new(),
    };
    let mut ride: Ride = from_item(item)?;
    ride.passengers = passengers;
    ride.passengers.sort();
    Ok(ride)
}

/// An `UpdateItem` (alone or inside a transaction): `SET`, `ADD`, `REMOVE` and a condition,
/// every attribute name aliased (so reserved words such as `name` or `comments` are fine).
#[derive(Default)]
pub struct Change {
    key: Item,
    sets: Vec<(String, AttributeValue)>,
    adds: Vec<(String, AttributeValue)>,
    removes: Vec<String>,
    condition: Option<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Change {
    pub fn new(key: Item) -> Self {
        Self {
            key,
            ..Default::default()
        }
    }
    pub fn set(mut self, attribute: &str, value: AttributeValue) -> Self {
        self.sets.push((attribute.to_string(), value));
        self
    }
    pub fn add(mut self, attribute: &str, value: i64) -> Self {
        self.adds.push((attribute.to_string(), n(value)));
        self
    }
    pub fn add_to_set(mut self, attribute: &str, member: &str) -> Self {
        self.adds
            .push((attribute.to_string(), AttributeValue::Ss(vec![member.to_string()])));
        self
    }
    pub fn remove(mut self, attribute: &str) -> Self {
        self.removes.push(attribute.to_string());
        self
    }
    /// `condition` refers to attributes as `#name` and values as `:value`.
    pub fn when(mut self, condition: &str, names: &[&str], values: Vec<(&str, AttributeValue)>) -> Self {
        self.condition = Some(condition.to_string());
        for name in names {
            self.names.insert(format!("#{name}"), (*name).to_string());
        }
        for (placeholder, value) in values {
            self.values.insert(placeholder.to_string(), value);
        }
        self
    }

    fn expression(&self) -> (String, HashMap<String, String>, HashMap<String, AttributeValue>) {
        let mut names = self.names.clone();
        let mut values = self.values.clone();
        let mut parts = Vec::new();
        let mut clause = |word: &str, items: Vec<String>| {
            if !items.is_empty() {
                parts.push(format!("{word} {}", items.join(", ")));
            }
        };
        let mut sets = Vec::new();
        for (i, (attribute, value)) in self.sets.iter().enumerate() {
            names.insert(format!("#s{i}"), attribute.clone());
            values.insert(format!(":s{i}"), value.clone());
            sets.push(format!("#s{i} = :s{i}"));
        }
        clause("SET", sets);
        let mut adds = Vec::new();
        for (i, (attribute, value)) in self.adds.iter().enumerate() {
            names.insert(format!("#a{i}"), attribute.clone());
            values.insert(format!(":a{i}"), value.clone());
            adds.push(format!("#a{i} :a{i}"));
        }
        clause("ADD", adds);
        let mut removes = Vec::new();
        for (i, attribute) in self.removes.iter().enumerate() {
            names.insert(format!("#r{i}"), attribute.clone());
            removes.push(format!("#r{i}"));
        }
        clause("REMOVE", removes);
        (parts.join(" "), names, values)
    }

    fn transact(self, table: &str) -> Result<TransactWriteItem, ApiError> {
        let (expression, names, values) = self.expression();
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(self.key))
            .update_expression(expression)
            .set_condition_expression(self.condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

pub use andes_shared::dynamo::Page;

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

    fn put(&self, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, ApiError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete(&self, key: Item) -> Result<TransactWriteItem, ApiError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), TransactionError> {
        dynamo::transact(&self.client, writes).await
    }

    async fn get_raw(&self, key: Item) -> Result<Option<Item>, ApiError> {
        dynamo::get_consistent(&self.client, &self.table, key).await
    }

    async fn get<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>, ApiError> {
        self.get_raw(key).await?.map(from_item).transpose()
    }

    /// Puts an item unless its key exists; `false` when it did.
    async fn put_new(&self, item: Item) -> Result<bool, ApiError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failed(&error) => Ok(false),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Runs one `UpdateItem`; `Ok(None)` when its condition failed, else the new item.
    async fn update(&self, change: Change) -> Result<Option<Item>, ApiError> {
        let (expression, names, values) = change.expression();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(change.key))
            .update_expression(expression)
            .set_condition_expression(change.condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(output.attributes.unwrap_or_default())),
            Err(error) if is_condition_failed(&error) => Ok(None),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Every item of a query (all pages), optionally on an index, `sk`/index sort key
    /// conditions given by the caller.
    async fn query_all(
        &self,
        index: Option<&str>,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
        consistent: bool,
    ) -> Result<Vec<Item>, ApiError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(condition)
                .set_exclusive_start_key(start.take())
                .consistent_read(consistent && index.is_none());
            for (placeholder, value) in &values {
                query = query.expression_attribute_values(*placeholder, value.clone());
            }
            let output = query.send().await.map_err(sdk_error)?;
            items.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    // ------------------------------------------------------------------ callers and profiles

    pub async fn get_caller(&self, account_id: &str) -> Result<Option<Caller>, ApiError> {
        self.get(key(account_pk(account_id), "ACCOUNT")).await
    }

    /// Records a caller met for the first time: its profile, then the account → username link
    /// (so the link implies the profile). Both idempotent.
    pub async fn create_caller(&self, caller: &Caller, profile: &Profile) -> Result<(), ApiError> {
        self.put_new(with_key(profile, user_pk(&profile.username), "PROFILE".into())?)
            .await?;
        self.put_new(with_key(caller, account_pk(&caller.account_id), "ACCOUNT".into())?)
            .await?;
        Ok(())
    }

    pub async fn get_profile(&self, username: &str) -> Result<Option<Profile>, ApiError> {
        self.get(key(user_pk(username), "PROFILE")).await
    }

    /// Sets the editable fields of a profile read at `expected` version (409 if it changed).
    pub async fn update_profile(&self, profile: &Profile, expected: u64) -> Result<Profile, ApiError> {
        let picture = profile
            .picture
            .clone()
            .map(AttributeValue::S)
            .unwrap_or(AttributeValue::Null(true));
        let change = Change::new(key(user_pk(&profile.username), "PROFILE"))
            .set("picture", picture)
            .set("biography", string(&profile.biography))
            .add("version", 1)
            .when(
                "#version = :expected",
                &["version"],
                vec![(":expected", n(expected as i64))],
            );
        let item = self
            .update(change)
            .await?
            .ok_or_else(|| ApiError::Conflict(MODIFIED.into()))?;
        from_item(item)
    }

    // ------------------------------------------------------------------ circles

    pub async fn get_circle(&self, slug: &str) -> Result<Option<Circle>, ApiError> {
        self.get(key(circle_pk(slug), "CIRCLE")).await
    }

    /// The circle and its creator's admin membership, in one transaction (slug unique).
    pub async fn create_circle(&self, circle: &Circle, admin: &Membership) -> Result<(), ApiError> {
        let writes = vec![
            self.put(circle_item(circle)?, Some("attribute_not_exists(pk)"))?,
            self.put(membership_item(admin)?, Some("attribute_not_exists(pk)"))?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict(crate::domain::SLUG_TAKEN.into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Imports a circle unless its slug exists; `false` when it did (idempotent imports).
    pub async fn import_circle(&self, circle: &Circle) -> Result<bool, ApiError> {
        self.put_new(circle_item(circle)?).await
    }

    /// Writes the editable fields of a circle read at `expected` version; counters are
    /// untouched (they change through atomic ADDs elsewhere).
    pub async fn update_circle(&self, circle: &Circle, expected: u64, now: &str) -> Result<Circle, ApiError> {
        let picture = circle
            .picture
            .clone()
            .map(AttributeValue::S)
            .unwrap_or(AttributeValue::Null(true));
        let change = Change::new(key(circle_pk(&circle.slug), "CIRCLE"))
            .set("name", string(&circle.name))
            .set("about", string(&circle.about))
            .set("picture", picture)
            .set("is_limited", AttributeValue::Bool(circle.is_limited))
            .set("members_limit", n(circle.members_limit))
            .set("updated", string(now))
            .add("version", 1);
        // A limited circle never exceeds its limit: joins change `members_count` without
        // bumping the version, so the limit is checked against the count in the condition.
        let change = if circle.is_limited {
            change.when(
                "#version = :expected AND #members_count <= :limit",
                &["version", "members_count"],
                vec![(":expected", n(expected as i64)), (":limit", n(circle.members_limit))],
            )
        } else {
            change.when(
                "#version = :expected",
                &["version"],
                vec![(":expected", n(expected as i64))],
            )
        };
        match self.update(change).await? {
            Some(item) => from_item(item),
            None => match self.get_circle(&circle.slug).await? {
                Some(now)
                    if now.version == expected && circle.is_limited && now.members_count > circle.members_limit =>
                {
                    Err(ApiError::invalid("members_limit", LIMIT_BELOW_MEMBERS))
                }
                _ => Err(ApiError::Conflict(MODIFIED.into())),
            },
        }
    }

    /// Admin: marks a circle verified or not; `None` when there is no such circle.
    pub async fn set_verified(&self, slug: &str, verified: bool, now: &str) -> Result<Option<Circle>, ApiError> {
        let change = Change::new(key(circle_pk(slug), "CIRCLE"))
            .set("verified", AttributeValue::Bool(verified))
            .set("updated", string(now))
            .add("version", 1)
            .when("attribute_exists(pk)", &[], vec![]);
        self.update(change).await?.map(from_item).transpose()
    }

    /// Every public circle (index `gsi1`, partition `CIRCLES#PUBLIC`).
    pub async fn public_circles(&self) -> Result<Vec<Circle>, ApiError> {
        let items = self
            .query_all(Some(GSI1), "gsi1pk = :pk", vec![(":pk", string(PUBLIC_CIRCLES))], false)
            .await?;
        items.into_iter().map(from_item).collect()
    }

    /// Circles by slug (BatchGetItem, 100 keys per call; unprocessed keys retried).
    pub async fn circles(&self, slugs: &[String]) -> Result<Vec<Circle>, ApiError> {
        let mut circles = Vec::new();
        for chunk in slugs.chunks(100) {
            let keys: Vec<Item> = chunk.iter().map(|slug| key(circle_pk(slug), "CIRCLE")).collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(ApiError::internal)?,
            );
            let mut attempts = 0;
            while let Some(keys) = request.take() {
                attempts += 1;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                for item in output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    circles.push(from_item(item)?);
                }
                request = output
                    .unprocessed_keys
                    .unwrap_or_default()
                    .remove(&self.table)
                    .filter(|k| !k.keys.is_empty());
                if request.is_some() {
                    if attempts >= 5 {
                        return Err(ApiError::Unavailable("the table is busy; try again".into()));
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempts)).await;
                }
            }
        }
        circles.sort_by(|a: &Circle, b| a.slug.cmp(&b.slug));
        Ok(circles)
    }

    // ------------------------------------------------------------------ memberships

    pub async fn get_membership(&self, slug: &str, username: &str) -> Result<Option<Membership>, ApiError> {
        self.get(key(circle_pk(slug), member_sk(username))).await
    }

    /// Active members of a circle, a page at a time (Query on the circle's partition).
    /// `Limit` applies before the `is_active` filter, so this queries on until the page holds
    /// `limit` members or the partition ends: a page with a cursor is never short.
    pub async fn list_members(
        &self,
        slug: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Membership>, ApiError> {
        let mut start = cursor.map(decode_cursor).transpose()?;
        let mut items = Vec::new();
        loop {
            let remaining = limit - items.len() as i32;
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :member)")
                .filter_expression("is_active = :active")
                .expression_attribute_values(":pk", string(circle_pk(slug)))
                .expression_attribute_values(":member", string("MEMBER#"))
                .expression_attribute_values(":active", AttributeValue::Bool(true))
                .consistent_read(true)
                .limit(remaining)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
            let next = next_cursor(output.last_evaluated_key.as_ref());
            if next.is_none() || items.len() as i32 >= limit {
                return Ok(Page {
                    items,
                    next_cursor: next,
                });
            }
            start = output.last_evaluated_key;
        }
    }

    /// Active members of `slug` invited by `username`.
    pub async fn invited_by(&self, slug: &str, username: &str) -> Result<Vec<Membership>, ApiError> {
        let items = self
            .query_all(
                None,
                "pk = :pk AND begins_with(sk, :member)",
                vec![(":pk", string(circle_pk(slug))), (":member", string("MEMBER#"))],
                true,
            )
            .await?;
        let members: Vec<Membership> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(members
            .into_iter()
            .filter(|m| m.is_active && m.invited_by.as_deref() == Some(username))
            .collect())
    }

    /// Every membership of a user (index `gsi1`, partition `USER#{username}#CIRCLES`).
    pub async fn memberships_of(&self, username: &str) -> Result<Vec<Membership>, ApiError> {
        let items = self
            .query_all(
                Some(GSI1),
                "gsi1pk = :pk",
                vec![(":pk", string(user_circles(username)))],
                false,
            )
            .await?;
        items.into_iter().map(from_item).collect()
    }

    /// Deactivates an active membership and gives its place back to the circle.
    pub async fn remove_member(&self, slug: &str, username: &str) -> Result<bool, ApiError> {
        let writes = vec![
            Change::new(key(circle_pk(slug), member_sk(username)))
                .set("is_active", AttributeValue::Bool(false))
                .when(
                    "#is_active = :true",
                    &["is_active"],
                    vec![(":true", AttributeValue::Bool(true))],
                )
                .transact(&self.table)?,
            Change::new(key(circle_pk(slug), "CIRCLE"))
                .add("members_count", -1)
                .when("attribute_exists(pk)", &[], vec![])
                .transact(&self.table)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Admin: makes `member` (a new admin membership) part of the circle, within its limit;
    /// an existing active membership is promoted to admin instead. `false` when the circle is
    /// full or the existing membership is inactive.
    pub async fn add_admin(&self, member: &Membership) -> Result<bool, ApiError> {
        let writes = vec![
            self.put(membership_item(member)?, Some("attribute_not_exists(pk)"))?,
            Change::new(key(circle_pk(&member.circle), "CIRCLE"))
                .add("members_count", 1)
                .when(
                    "attribute_exists(pk) AND (#is_limited = :false OR #members_count < #members_limit)",
                    &["is_limited", "members_count", "members_limit"],
                    vec![(":false", AttributeValue::Bool(false))],
                )
                .transact(&self.table)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(failed)) if failed.contains(&0) => {
                let change = Change::new(key(circle_pk(&member.circle), member_sk(&member.username)))
                    .set("is_admin", AttributeValue::Bool(true))
                    .when(
                        "#is_active = :true",
                        &["is_active"],
                        vec![(":true", AttributeValue::Bool(true))],
                    );
                Ok(self.update(change).await?.is_some())
            }
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    // ------------------------------------------------------------------ invitations

    pub async fn get_invitation(&self, code: &str) -> Result<Option<Invitation>, ApiError> {
        self.get(key(invitation_pk(code), "INVITATION")).await
    }

    /// The unused codes a member issued in a circle (consistent Query of the markers).
    pub async fn unused_codes(&self, slug: &str, username: &str) -> Result<Vec<String>, ApiError> {
        let items = self
            .query_all(
                None,
                "pk = :pk AND begins_with(sk, :prefix)",
                vec![
                    (":pk", string(circle_pk(slug))),
                    (":prefix", string(format!("UNUSED#{username}#"))),
                ],
                true,
            )
            .await?;
        let mut codes: Vec<String> = items
            .into_iter()
            .filter_map(|item| match item.get("code") {
                Some(AttributeValue::S(code)) => Some(code.clone()),
                _ => None,
            })
            .collect();
        codes.sort();
        Ok(codes)
    }

    /// Issues `codes` for a member whose `unused_codes` counter was `seen`, in one
    /// transaction: each code unique (`attribute_not_exists`), its marker, and the counter
    /// (conditional on `seen` and on staying within `remaining_invitations`).
    pub async fn issue_codes(
        &self,
        member: &Membership,
        codes: &[String],
        now: &str,
    ) -> Result<IssueOutcome, ApiError> {
        let mut writes = Vec::with_capacity(codes.len() * 2 + 1);
        writes.push(
            Change::new(key(circle_pk(&member.circle), member_sk(&member.username)))
                .add("unused_codes", codes.len() as i64)
                .when(
                    "#is_active = :true AND #remaining_invitations = :remaining AND #unused_codes = :seen",
                    &["is_active", "remaining_invitations", "unused_codes"],
                    vec![
                        (":true", AttributeValue::Bool(true)),
                        (":remaining", n(member.remaining_invitations)),
                        (":seen", n(member.unused_codes)),
                    ],
                )
                .transact(&self.table)?,
        );
        for code in codes {
            let invitation = Invitation {
                code: code.clone(),
                circle: member.circle.clone(),
                issued_by: member.username.clone(),
                used: false,
                used_by: None,
                used_at: None,
                created: now.to_string(),
            };
            writes.push(self.put(
                with_key(&invitation, invitation_pk(code), "INVITATION".into())?,
                Some("attribute_not_exists(pk)"),
            )?);
            let mut marker = key(circle_pk(&member.circle), unused_sk(&member.username, code));
            marker.insert("code".into(), string(code));
            writes.push(self.put(marker, None)?);
        }
        match self.transact(writes).await {
            Ok(()) => Ok(IssueOutcome::Issued),
            Err(TransactionError::Conditions(failed)) if failed.contains(&0) => Ok(IssueOutcome::MemberChanged),
            Err(TransactionError::Conditions(failed)) => Ok(IssueOutcome::CodesTaken(
                failed.iter().map(|i| codes[(i - 1) / 2].clone()).collect(),
            )),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Joins a circle with an invitation, in one transaction: the new membership (not a
    /// member yet), the invitation marked used (still unused, of this circle), the issuer's
    /// counters, its unused-code marker removed, and the circle's member count (within its
    /// limit).
    pub async fn join_circle(
        &self,
        circle: &Circle,
        member: &Membership,
        invitation: &Invitation,
        now: &str,
    ) -> Result<JoinOutcome, ApiError> {
        let issuer = &invitation.issued_by;
        let circle_change = Change::new(key(circle_pk(&circle.slug), "CIRCLE"))
            .add("members_count", 1)
            .when(
                "attribute_exists(pk) AND (#is_limited = :false OR #members_count < #members_limit)",
                &["is_limited", "members_count", "members_limit"],
                vec![(":false", AttributeValue::Bool(false))],
            );
        let writes = vec![
            self.put(membership_item(member)?, Some("attribute_not_exists(pk)"))?,
            Change::new(key(invitation_pk(&invitation.code), "INVITATION"))
                .set("used", AttributeValue::Bool(true))
                .set("used_by", string(&member.username))
                .set("used_at", string(now))
                .when(
                    "#used = :false AND #circle = :circle",
                    &["used", "circle"],
                    vec![
                        (":false", AttributeValue::Bool(false)),
                        (":circle", string(&circle.slug)),
                    ],
                )
                .transact(&self.table)?,
            Change::new(key(circle_pk(&circle.slug), member_sk(issuer)))
                .add("used_invitations", 1)
                .add("remaining_invitations", -1)
                .add("unused_codes", -1)
                // A removed member's codes admit no one (review R1).
                .when(
                    "#is_active = :true",
                    &["is_active"],
                    vec![(":true", AttributeValue::Bool(true))],
                )
                .transact(&self.table)?,
            self.delete(key(circle_pk(&circle.slug), unused_sk(issuer, &invitation.code)))?,
            circle_change.transact(&self.table)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(JoinOutcome::Joined),
            Err(TransactionError::Conditions(failed)) => Ok(if failed.contains(&0) {
                JoinOutcome::AlreadyMember
            } else if failed.contains(&1) || failed.contains(&2) {
                JoinOutcome::InvalidCode
            } else {
                JoinOutcome::LimitReached
            }),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    // ------------------------------------------------------------------ rides

    pub async fn get_ride(&self, slug: &str, id: &str) -> Result<Option<Ride>, ApiError> {
        self.get_raw(key(circle_pk(slug), ride_sk(id)))
            .await?
            .map(ride_from_item)
            .transpose()
    }

    /// Offers a ride: the ride plus +1 `rides_offered` on the circle, the driver's active
    /// membership and profile, in one transaction. `false` when the membership is no longer
    /// active.
    pub async fn create_ride(&self, ride: &Ride) -> Result<bool, ApiError> {
        let writes = vec![
            self.put(ride_item(ride)?, Some("attribute_not_exists(pk)"))?,
            Change::new(key(circle_pk(&ride.circle), "CIRCLE"))
                .add("rides_offered", 1)
                .when("attribute_exists(pk)", &[], vec![])
                .transact(&self.table)?,
            Change::new(key(circle_pk(&ride.circle), member_sk(&ride.offered_by)))
                .add("rides_offered", 1)
                .when(
                    "#is_active = :true",
                    &["is_active"],
                    vec![(":true", AttributeValue::Bool(true))],
                )
                .transact(&self.table)?,
            Change::new(key(user_pk(&ride.offered_by), "PROFILE"))
                .add("rides_offered", 1)
                .when("attribute_exists(pk)", &[], vec![])
                .transact(&self.table)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Active rides of a circle leaving at or after `from` (index `gsi1`).
    pub async fn circle_rides(&self, slug: &str, from: &str) -> Result<Vec<Ride>, ApiError> {
        let items = self
            .query_all(
                Some(GSI1),
                "gsi1pk = :pk AND gsi1sk >= :from",
                vec![(":pk", string(circle_rides(slug))), (":from", string(from))],
                false,
            )
            .await?;
        items.into_iter().map(ride_from_item).collect()
    }

    /// Writes the editable fields of a ride read at `expected` version (joins bump it too).
    pub async fn update_ride(&self, ride: &Ride, expected: u64) -> Result<Ride, ApiError> {
        let mut change = Change::new(key(circle_pk(&ride.circle), ride_sk(&ride.id)))
            .set("available_seats", n(ride.available_seats))
            .set("comments", string(&ride.comments))
            .set("departure_location", string(&ride.departure_location))
            .set("departure_date", string(&ride.departure_date))
            .set("arrival_location", string(&ride.arrival_location))
            .set("arrival_date", string(&ride.arrival_date));
        for (name, value) in ride_index_keys(ride) {
            change = change.set(name, string(value));
        }
        let change = change.add("version", 1).when(
            "#version = :expected",
            &["version"],
            vec![(":expected", n(expected as i64))],
        );
        let item = self
            .update(change)
            .await?
            .ok_or_else(|| ApiError::Conflict(MODIFIED.into()))?;
        ride_from_item(item)
    }

    /// Takes one seat for `username`, in one transaction: the ride (active, not left yet, a
    /// seat left, not already aboard, not the driver's) and +1 `rides_taken` on the
    /// passenger's profile, active membership and the circle. `false` when a condition failed.
    pub async fn join_ride(&self, ride: &Ride, username: &str, now: &str) -> Result<bool, ApiError> {
        let writes = vec![
            Change::new(key(circle_pk(&ride.circle), ride_sk(&ride.id)))
                .add("available_seats", -1)
                .add_to_set("passengers", username)
                .add("version", 1)
                .when(
                    "#is_active = :true AND #available_seats > :zero AND #departure_date > :now AND #offered_by <> :me AND NOT contains(#passengers, :me)",
                    &["is_active", "available_seats", "departure_date", "offered_by", "passengers"],
                    vec![(":true", AttributeValue::Bool(true)), (":zero", n(0)), (":now", string(now)), (":me", string(username))],
                )
                .transact(&self.table)?,
            Change::new(key(user_pk(username), "PROFILE")).add("rides_taken", 1).when("attribute_exists(pk)", &[], vec![]).transact(&self.table)?,
            Change::new(key(circle_pk(&ride.circle), member_sk(username)))
                .add("rides_taken", 1)
                .when("#is_active = :true", &["is_active"], vec![(":true", AttributeValue::Bool(true))])
                .transact(&self.table)?,
            Change::new(key(circle_pk(&ride.circle), "CIRCLE")).add("rides_taken", 1).when("attribute_exists(pk)", &[], vec![]).transact(&self.table)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Marks a ride inactive and takes it out of the active indexes; `false` if it already was.
    pub async fn deactivate_ride(&self, slug: &str, id: &str) -> Result<bool, ApiError> {
        let change = Change::new(key(circle_pk(slug), ride_sk(id)))
            .set("is_active", AttributeValue::Bool(false))
            .remove("gsi1pk")
            .remove("gsi1sk")
            .remove("gsi2pk")
            .remove("gsi2sk")
            .add("version", 1)
            .when(
                "#is_active = :true",
                &["is_active"],
                vec![(":true", AttributeValue::Bool(true))],
            );
        Ok(self.update(change).await?.is_some())
    }

    /// Rates a ride once, in one transaction: the rating (one per passenger), the ride's
    /// rating sums (only for a passenger) and the driver's profile sums.
    pub async fn rate_ride(&self, ride: &Ride, rating: &Rating) -> Result<RateOutcome, ApiError> {
        let writes = vec![
            self.put(
                with_key(
                    rating,
                    circle_pk(&ride.circle),
                    rating_sk(&ride.id, &rating.rating_user),
                )?,
                Some("attribute_not_exists(pk)"),
            )?,
            Change::new(key(circle_pk(&ride.circle), ride_sk(&ride.id)))
                .add("rating_sum", rating.rating)
                .add("rating_count", 1)
                .when(
                    "contains(#passengers, :me)",
                    &["passengers"],
                    vec![(":me", string(&rating.rating_user))],
                )
                .transact(&self.table)?,
            Change::new(key(user_pk(&ride.offered_by), "PROFILE"))
                .add("rating_sum", rating.rating)
                .add("rating_count", 1)
                .when("attribute_exists(pk)", &[], vec![])
                .transact(&self.table)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(RateOutcome::Rated),
            Err(TransactionError::Conditions(failed)) if failed.contains(&0) => Ok(RateOutcome::AlreadyRated),
            Err(TransactionError::Conditions(_)) => Ok(RateOutcome::NotPassenger),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Active rides arriving at or before `until` (index `gsi2`, sparse: active rides only).
    pub async fn active_rides_arriving_by(&self, until: &str) -> Result<Vec<Ride>, ApiError> {
        // `~` sorts after every character of `{time}#{slug}#{id}` at the same time prefix.
        let items = self
            .query_all(
                Some(GSI2),
                "gsi2pk = :pk AND gsi2sk <= :until",
                vec![(":pk", string(ACTIVE_RIDES)), (":until", string(format!("{until}~")))],
                false,
            )
            .await?;
        items.into_iter().map(ride_from_item).collect()
    }

    /// Every ride leaving on `day` (`YYYY-MM-DD`, UTC; index `gsi3`).
    pub async fn rides_departing_on(&self, day: &str) -> Result<Vec<Ride>, ApiError> {
        let items = self
            .query_all(Some(GSI3), "gsi3pk = :pk", vec![(":pk", string(departing(day)))], false)
            .await?;
        items.into_iter().map(ride_from_item).collect()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued,
    MemberChanged,
    CodesTaken(Vec<String>),
}

#[derive(Debug, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    AlreadyMember,
    InvalidCode,
    LimitReached,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RateOutcome {
    Rated,
    AlreadyRated,
    NotPassenger,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_expressions_alias_every_name() {
        let change = Change::new(key("p", "s"))
            .set("name", string("x"))
            .add("members_count", 1)
            .remove("gsi1pk")
            .when(
                "#is_active = :true",
                &["is_active"],
                vec![(":true", AttributeValue::Bool(true))],
            );
        let (expression, names, values) = change.expression();
        assert_eq!(expression, "SET #s0 = :s0 ADD #a0 :a0 REMOVE #r0");
        assert_eq!(names["#s0"], "name");
        assert_eq!(names["#is_active"], "is_active");
        assert_eq!(values.len(), 3);
    }
}
