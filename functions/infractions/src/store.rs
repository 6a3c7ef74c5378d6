//! The infractions table: the only code that knows its keys and talks to DynamoDB.
//! The access patterns are documented in `functions/infractions/README.md`.

use std::time::Duration;

use andes_shared::aws::sdk_error;
use andes_shared::dynamo::{
    self, decode_cursor, from_item, is_condition_failed, next_cursor, string, to_item, Item, TransactionError,
};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, DeleteRequest, Put, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::domain::{Infraction, Officer, Person, Vehicle};

pub const PERSON_SK: &str = "PERSON";
pub const EMAIL_SK: &str = "EMAIL";
pub const VEHICLE_SK: &str = "VEHICLE";
pub const OFFICER_SK: &str = "OFFICER";
pub const BADGE_SK: &str = "BADGE";
pub const PERSONS: &str = "PERSONS";
pub const VEHICLES: &str = "VEHICLES";
pub const OFFICERS: &str = "OFFICERS";
pub const GSI1: &str = "gsi1";
const BATCH_WRITE_MAX: usize = 25;

pub fn person_pk(id: &str) -> String {
    format!("PERSON#{id}")
}

pub fn email_pk(email: &str) -> String {
    format!("EMAIL#{}", email.to_lowercase())
}

pub fn vehicle_pk(plate: &str) -> String {
    format!("VEHICLE#{plate}")
}

/// Sort key of a person's link to one of its vehicles (under `PERSON#{owner}`).
pub fn link_sk(plate: &str) -> String {
    format!("VEHICLE#{plate}")
}

pub fn officer_pk(id: &str) -> String {
    format!("OFFICER#{id}")
}

pub fn badge_pk(badge: u64) -> String {
    format!("BADGE#{badge}")
}

/// Infractions sort by when they happened; the id keeps simultaneous ones apart.
pub fn infraction_sk(timestamp: &str, id: &str) -> String {
    format!("INFRACTION#{timestamp}#{id}")
}

pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    Item::from([("pk".to_string(), string(pk)), ("sk".to_string(), string(sk))])
}

fn entity_item<T: Serialize>(value: &T, pk: String, sk: &str, list: &str, list_sk: &str) -> Result<Item, ApiError> {
    let mut item = to_item(value)?;
    item.extend(key(pk, sk));
    item.insert("gsi1pk".into(), string(list));
    item.insert("gsi1sk".into(), string(list_sk));
    Ok(item)
}

pub fn person_item(person: &Person) -> Result<Item, ApiError> {
    entity_item(person, person_pk(&person.id), PERSON_SK, PERSONS, &person.id)
}

pub fn vehicle_item(vehicle: &Vehicle) -> Result<Item, ApiError> {
    entity_item(
        vehicle,
        vehicle_pk(&vehicle.plate),
        VEHICLE_SK,
        VEHICLES,
        &vehicle.plate,
    )
}

pub fn officer_item(officer: &Officer) -> Result<Item, ApiError> {
    entity_item(officer, officer_pk(&officer.id), OFFICER_SK, OFFICERS, &officer.id)
}

pub fn infraction_item(infraction: &Infraction) -> Result<Item, ApiError> {
    let mut item = to_item(infraction)?;
    item.extend(key(
        vehicle_pk(&infraction.plate),
        infraction_sk(&infraction.timestamp, &infraction.id),
    ));
    Ok(item)
}

fn guard_item(pk: String, sk: &str, attribute: &str, id: &str) -> Item {
    let mut item = key(pk, sk);
    item.insert(attribute.into(), string(id));
    item
}

fn link_item(owner_id: &str, plate: &str) -> Item {
    let mut item = key(person_pk(owner_id), link_sk(plate));
    item.insert("plate".into(), string(plate));
    item
}

const MODIFIED: &str = "modified by another request; read it again and retry";

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

    fn put(&self, item: Item, condition: &str) -> Result<TransactWriteItem, ApiError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A put of an entity that must still have `expected` as its version.
    fn put_versioned(&self, item: Item, expected: u64) -> Result<TransactWriteItem, ApiError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":expected", AttributeValue::N(expected.to_string()))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn delete(&self, key: Item, condition: Option<&str>) -> Result<TransactWriteItem, ApiError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn exists(&self, key: Item) -> Result<TransactWriteItem, ApiError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), TransactionError> {
        dynamo::transact(&self.client, writes).await
    }

    async fn get<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>, ApiError> {
        self.get_raw(key).await?.map(from_item).transpose()
    }

    async fn get_raw(&self, key: Item) -> Result<Option<Item>, ApiError> {
        dynamo::get_consistent(&self.client, &self.table, key).await
    }

    // ------------------------------------------------------------------ persons

    pub async fn get_person(&self, id: &str) -> Result<Option<Person>, ApiError> {
        self.get(key(person_pk(id), PERSON_SK)).await
    }

    /// The person registered with `email` (already lower-case), through the email guard.
    pub async fn person_id_by_email(&self, email: &str) -> Result<Option<String>, ApiError> {
        let guard = self.get_raw(key(email_pk(email), EMAIL_SK)).await?;
        match guard.as_ref().and_then(|g| g.get("person_id")) {
            None if guard.is_none() => Ok(None),
            Some(AttributeValue::S(id)) => Ok(Some(id.clone())),
            _ => Err(ApiError::internal("email guard without person_id")),
        }
    }

    pub async fn create_person(&self, person: &Person) -> Result<(), ApiError> {
        let writes = vec![
            self.put(person_item(person)?, "attribute_not_exists(pk)")?,
            self.put(
                guard_item(email_pk(&person.email), EMAIL_SK, "person_id", &person.id),
                "attribute_not_exists(pk)",
            )?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) if failed.contains(&1) => {
                Err(ApiError::Conflict("email already registered".into()))
            }
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("person already exists".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Writes back a person read with version `person.version` (bumped here); a changed
    /// email moves its guard in the same transaction.
    pub async fn update_person(&self, person: &mut Person, old_email: &str, now: &str) -> Result<(), ApiError> {
        let expected = person.version;
        person.version = expected + 1;
        person.updated = now.to_string();
        let mut writes = vec![self.put_versioned(person_item(person)?, expected)?];
        let email_changed = email_pk(old_email) != email_pk(&person.email);
        if email_changed {
            writes.push(self.delete(key(email_pk(old_email), EMAIL_SK), None)?);
            writes.push(self.put(
                guard_item(email_pk(&person.email), EMAIL_SK, "person_id", &person.id),
                "attribute_not_exists(pk)",
            )?);
        }
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) if failed.contains(&2) => {
                Err(ApiError::Conflict("email already registered".into()))
            }
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict(format!("the person was {MODIFIED}"))),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Plates of the person's vehicles (all of them, or at most `limit`).
    pub async fn plates_of(&self, person_id: &str, limit: Option<i32>) -> Result<Vec<String>, ApiError> {
        let mut plates = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", string(person_pk(person_id)))
                .expression_attribute_values(":prefix", string(link_sk("")))
                .consistent_read(true)
                .set_limit(limit)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                if let Some(AttributeValue::S(sk)) = item.get("sk") {
                    if let Some(plate) = sk.strip_prefix("VEHICLE#") {
                        plates.push(plate.to_string());
                    }
                }
            }
            match output.last_evaluated_key {
                Some(last) if !last.is_empty() && limit.is_none() => start = Some(last),
                _ => break,
            }
        }
        Ok(plates)
    }

    pub async fn delete_person(&self, person: &Person) -> Result<(), ApiError> {
        let writes = vec![
            self.delete(key(person_pk(&person.id), PERSON_SK), Some("attribute_exists(pk)"))?,
            self.delete(key(email_pk(&person.email), EMAIL_SK), None)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(_)) => Err(ApiError::NotFound("person not found".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    // ----------------------------------------------------------------- vehicles

    pub async fn get_vehicle(&self, plate: &str) -> Result<Option<Vehicle>, ApiError> {
        self.get(key(vehicle_pk(plate), VEHICLE_SK)).await
    }

    pub async fn create_vehicle(&self, vehicle: &Vehicle) -> Result<(), ApiError> {
        let writes = vec![
            self.put(vehicle_item(vehicle)?, "attribute_not_exists(pk)")?,
            self.put(link_item(&vehicle.owner_id, &vehicle.plate), "attribute_not_exists(pk)")?,
            self.exists(key(person_pk(&vehicle.owner_id), PERSON_SK))?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) if failed.contains(&0) || failed.contains(&1) => Err(
                ApiError::Conflict("a vehicle with this plate is already registered".into()),
            ),
            Err(TransactionError::Conditions(_)) => Err(owner_missing()),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Writes back a vehicle read with version `vehicle.version`; a new owner (who must
    /// exist) gets the link in the same transaction.
    pub async fn update_vehicle(&self, vehicle: &mut Vehicle, old_owner: &str, now: &str) -> Result<(), ApiError> {
        let expected = vehicle.version;
        vehicle.version = expected + 1;
        vehicle.updated = now.to_string();
        let mut writes = vec![self.put_versioned(vehicle_item(vehicle)?, expected)?];
        if old_owner != vehicle.owner_id {
            writes.push(self.delete(key(person_pk(old_owner), link_sk(&vehicle.plate)), None)?);
            writes.push(self.put(link_item(&vehicle.owner_id, &vehicle.plate), "attribute_not_exists(pk)")?);
            writes.push(self.exists(key(person_pk(&vehicle.owner_id), PERSON_SK))?);
        }
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) if failed.contains(&3) => Err(owner_missing()),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict(format!("the vehicle was {MODIFIED}"))),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Deletes the vehicle and its owner link in one transaction, then its infractions.
    pub async fn delete_vehicle(&self, vehicle: &Vehicle) -> Result<(), ApiError> {
        let writes = vec![
            self.delete(
                key(vehicle_pk(&vehicle.plate), VEHICLE_SK),
                Some("attribute_exists(pk)"),
            )?,
            self.delete(key(person_pk(&vehicle.owner_id), link_sk(&vehicle.plate)), None)?,
        ];
        match self.transact(writes).await {
            Ok(()) => {}
            Err(TransactionError::Conditions(_)) => return Err(ApiError::NotFound("vehicle not found".into())),
            Err(TransactionError::Other(error)) => return Err(error),
        }
        let keys = self.keys_under(&vehicle_pk(&vehicle.plate)).await?;
        self.batch_delete(keys).await
    }

    /// The vehicle and all its infractions, oldest first: one Query (paginated).
    pub async fn vehicle_with_infractions(&self, plate: &str) -> Result<Option<(Vehicle, Vec<Infraction>)>, ApiError> {
        let mut vehicle = None;
        let mut infractions = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", string(vehicle_pk(plate)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                match item.get("sk") {
                    Some(AttributeValue::S(sk)) if sk == VEHICLE_SK => vehicle = Some(from_item::<Vehicle>(item)?),
                    Some(AttributeValue::S(sk)) if sk.starts_with("INFRACTION#") => {
                        infractions.push(from_item::<Infraction>(item)?)
                    }
                    _ => {}
                }
            }
            match output.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        Ok(vehicle.map(|vehicle| (vehicle, infractions)))
    }

    // ----------------------------------------------------------------- officers

    pub async fn get_officer(&self, id: &str) -> Result<Option<Officer>, ApiError> {
        self.get(key(officer_pk(id), OFFICER_SK)).await
    }

    pub async fn officer_id_by_badge(&self, badge: u64) -> Result<Option<String>, ApiError> {
        let guard = self.get_raw(key(badge_pk(badge), BADGE_SK)).await?;
        Ok(guard.and_then(|g| match g.get("officer_id") {
            Some(AttributeValue::S(id)) => Some(id.clone()),
            _ => None,
        }))
    }

    pub async fn create_officer(&self, officer: &Officer) -> Result<(), ApiError> {
        let writes = vec![
            self.put(officer_item(officer)?, "attribute_not_exists(pk)")?,
            self.put(
                guard_item(badge_pk(officer.badge), BADGE_SK, "officer_id", &officer.id),
                "attribute_not_exists(pk)",
            )?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) if failed.contains(&1) => {
                Err(ApiError::Conflict("badge already registered".into()))
            }
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("officer already exists".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    pub async fn update_officer(&self, officer: &mut Officer, old_badge: u64, now: &str) -> Result<(), ApiError> {
        let expected = officer.version;
        officer.version = expected + 1;
        officer.updated = now.to_string();
        let mut writes = vec![self.put_versioned(officer_item(officer)?, expected)?];
        if old_badge != officer.badge {
            writes.push(self.delete(key(badge_pk(old_badge), BADGE_SK), None)?);
            writes.push(self.put(
                guard_item(badge_pk(officer.badge), BADGE_SK, "officer_id", &officer.id),
                "attribute_not_exists(pk)",
            )?);
        }
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(failed)) if failed.contains(&2) => {
                Err(ApiError::Conflict("badge already registered".into()))
            }
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict(format!("the officer was {MODIFIED}"))),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    pub async fn delete_officer(&self, officer: &Officer) -> Result<(), ApiError> {
        let writes = vec![
            self.delete(key(officer_pk(&officer.id), OFFICER_SK), Some("attribute_exists(pk)"))?,
            self.delete(key(badge_pk(officer.badge), BADGE_SK), None)?,
        ];
        match self.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(_)) => Err(ApiError::NotFound("officer not found".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    // -------------------------------------------------------------- infractions

    /// Records an infraction; ids are unique, so concurrent infractions never collide.
    pub async fn put_infraction(&self, infraction: &Infraction) -> Result<(), ApiError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(infraction_item(infraction)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failed(&error) => Err(ApiError::Conflict("infraction already recorded".into())),
            Err(error) => Err(sdk_error(error)),
        }
    }

    /// Same as `put_infraction` but overwrites (fixtures with fixed ids).
    pub async fn upsert_infraction(&self, infraction: &Infraction) -> Result<(), ApiError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(infraction_item(infraction)?))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    // -------------------------------------------------------------------- lists

    /// One page of `gsi1pk = list`, in `gsi1sk` order.
    pub async fn list<T: DeserializeOwned>(
        &self,
        list: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<T>, ApiError> {
        let start = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(cursor) => {
                let start = decode_cursor(cursor)?;
                let valid = start.len() == 4
                    && ["pk", "sk", "gsi1sk"]
                        .iter()
                        .all(|k| matches!(start.get(*k), Some(AttributeValue::S(_))))
                    && start.get("gsi1pk") == Some(&string(list));
                if !valid {
                    return Err(ApiError::invalid("cursor", "is not a cursor returned by this list"));
                }
                Some(start)
            }
        };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :list")
            .expression_attribute_values(":list", string(list))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(dynamo::from_item)
            .collect::<Result<Vec<T>, _>>()?;
        let next_cursor = next_cursor(output.last_evaluated_key.as_ref());
        Ok(Page { items, next_cursor })
    }

    // ------------------------------------------------------------------ helpers

    /// Keys of every item under one partition key.
    async fn keys_under(&self, pk: &str) -> Result<Vec<Item>, ApiError> {
        let mut keys = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", string(pk))
                .projection_expression("pk, sk")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            keys.extend(output.items.unwrap_or_default());
            match output.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        Ok(keys)
    }

    /// BatchWriteItem in chunks of 25, retrying unprocessed items with backoff.
    async fn batch_delete(&self, keys: Vec<Item>) -> Result<(), ApiError> {
        for chunk in keys.chunks(BATCH_WRITE_MAX) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|k| {
                    DeleteRequest::builder()
                        .set_key(Some(k.clone()))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                })
                .collect::<Result<_, _>>()
                .map_err(ApiError::internal)?;
            let mut attempt = 0u64;
            while !requests.is_empty() {
                if attempt > 8 {
                    return Err(ApiError::Unavailable("could not delete every item; try again".into()));
                }
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                requests = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
                attempt += 1;
            }
        }
        Ok(())
    }

    /// Deletes every vehicle of a person (vehicle, link, infractions).
    pub async fn delete_vehicles_of(&self, person_id: &str) -> Result<(), ApiError> {
        for plate in self.plates_of(person_id, None).await? {
            match self.get_vehicle(&plate).await? {
                Some(vehicle) => match self.delete_vehicle(&vehicle).await {
                    Ok(()) | Err(ApiError::NotFound(_)) => {}
                    Err(error) => return Err(error),
                },
                None => {
                    let mut keys = self.keys_under(&vehicle_pk(&plate)).await?;
                    keys.push(key(person_pk(person_id), link_sk(&plate)));
                    self.batch_delete(keys).await?;
                }
            }
        }
        Ok(())
    }
}

fn owner_missing() -> ApiError {
    ApiError::invalid("owner_id", "owner does not exist")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_formats() {
        assert_eq!(person_pk("p1"), "PERSON#p1");
        assert_eq!(email_pk("Pedro@Gmail.com"), "EMAIL#pedro@gmail.com");
        assert_eq!(vehicle_pk("GPZ402"), "VEHICLE#GPZ402");
        assert_eq!(link_sk("GPZ402"), "VEHICLE#GPZ402");
        assert_eq!(officer_pk("o1"), "OFFICER#o1");
        assert_eq!(badge_pk(7), "BADGE#7");
        assert_eq!(
            infraction_sk("2024-01-01T00:00:00.000Z", "i1"),
            "INFRACTION#2024-01-01T00:00:00.000Z#i1"
        );
    }

    #[test]
    fn entity_items_carry_keys_and_list_index() {
        let person = Person {
            id: "p1".into(),
            name: "Pedro".into(),
            email: "pedro@gmail.com".into(),
            created: "c".into(),
            updated: "u".into(),
            version: 1,
        };
        let item = person_item(&person).unwrap();
        assert_eq!(item["pk"], string("PERSON#p1"));
        assert_eq!(item["sk"], string("PERSON"));
        assert_eq!(item["gsi1pk"], string("PERSONS"));
        assert_eq!(item["gsi1sk"], string("p1"));
        assert_eq!(from_item::<Person>(item).unwrap(), person);
        let infraction = Infraction {
            id: "i1".into(),
            plate: "GPZ402".into(),
            timestamp: "2024-01-01T00:00:00.000Z".into(),
            comments: String::new(),
            officer_id: "o".into(),
            officer_name: "n".into(),
            created: "c".into(),
        };
        let item = infraction_item(&infraction).unwrap();
        assert_eq!(item["pk"], string("VEHICLE#GPZ402"));
        assert!(!item.contains_key("gsi1pk"));
        let link = link_item("p1", "GPZ402");
        assert_eq!(link["pk"], string("PERSON#p1"));
        assert_eq!(link["sk"], string("VEHICLE#GPZ402"));
    }
}
