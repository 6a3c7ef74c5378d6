//! The infractions table: its keys and access patterns (documented in
//! `functions/infractions/README.md`), on the shared table layer.

use andes_shared::dynamo::{
    from_item, key, keyed_item, number, string, to_item, Change, Condition, Item, Page, Query, Table, TransactionError,
};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::{Infraction, Officer, OfficerInput, Person, PersonInput, Vehicle, VehicleInput};

pub const GSI1: &str = "gsi1";
/// The admin lists (`gsi1pk`).
pub const PERSONS: &str = "PERSONS";
pub const VEHICLES: &str = "VEHICLES";
pub const OFFICERS: &str = "OFFICERS";
const PERSON_SK: &str = "PERSON";
const EMAIL_SK: &str = "EMAIL";
const VEHICLE_SK: &str = "VEHICLE";
const OFFICER_SK: &str = "OFFICER";
const BADGE_SK: &str = "BADGE";

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

fn person_key(id: &str) -> Item {
    key(person_pk(id), PERSON_SK)
}

fn email_key(email: &str) -> Item {
    key(email_pk(email), EMAIL_SK)
}

fn vehicle_key(plate: &str) -> Item {
    key(vehicle_pk(plate), VEHICLE_SK)
}

fn link_key(owner_id: &str, plate: &str) -> Item {
    key(person_pk(owner_id), link_sk(plate))
}

fn officer_key(id: &str) -> Item {
    key(officer_pk(id), OFFICER_SK)
}

fn badge_key(badge: u64) -> Item {
    key(badge_pk(badge), BADGE_SK)
}

/// `EMAIL#` item: which person holds an email.
#[derive(Serialize, Deserialize)]
struct EmailGuard {
    person_id: String,
}

/// `BADGE#` item: which officer holds a badge.
#[derive(Serialize, Deserialize)]
struct BadgeGuard {
    officer_id: String,
}

/// `PERSON#{owner}` / `VEHICLE#{plate}`: one vehicle of a person.
#[derive(Serialize, Deserialize)]
struct Link {
    plate: String,
}

/// An entity with its key and its place in an admin list (`gsi1`).
fn listed_item<T: Serialize>(value: &T, key: Item, list: &str, list_sk: &str) -> Result<Item, ApiError> {
    let mut item = to_item(value)?;
    item.extend(key);
    item.insert("gsi1pk".into(), string(list));
    item.insert("gsi1sk".into(), string(list_sk));
    Ok(item)
}

pub fn person_item(person: &Person) -> Result<Item, ApiError> {
    listed_item(person, person_key(&person.id), PERSONS, &person.id)
}

pub fn vehicle_item(vehicle: &Vehicle) -> Result<Item, ApiError> {
    listed_item(vehicle, vehicle_key(&vehicle.plate), VEHICLES, &vehicle.plate)
}

pub fn officer_item(officer: &Officer) -> Result<Item, ApiError> {
    listed_item(officer, officer_key(&officer.id), OFFICERS, &officer.id)
}

pub fn infraction_item(infraction: &Infraction) -> Result<Item, ApiError> {
    keyed_item(
        infraction,
        vehicle_pk(&infraction.plate),
        infraction_sk(&infraction.timestamp, &infraction.id),
    )
}

fn email_guard_item(person: &Person) -> Result<Item, ApiError> {
    keyed_item(
        &EmailGuard {
            person_id: person.id.clone(),
        },
        email_pk(&person.email),
        EMAIL_SK,
    )
}

fn badge_guard_item(officer: &Officer) -> Result<Item, ApiError> {
    keyed_item(
        &BadgeGuard {
            officer_id: officer.id.clone(),
        },
        badge_pk(officer.badge),
        BADGE_SK,
    )
}

fn link_item(owner_id: &str, plate: &str) -> Result<Item, ApiError> {
    keyed_item(
        &Link {
            plate: plate.to_string(),
        },
        person_pk(owner_id),
        link_sk(plate),
    )
}

/// The links of a person's vehicles.
fn links_of(person_id: &str) -> Query {
    Query::partition(person_pk(person_id)).begins_with(link_sk(""))
}

/// A PATCH's change of an entity: `updated` set, `version` bumped, on condition that the
/// entity exists and, when the client sent one, that its version is the client's.
fn revision(key: Item, client_version: Option<u64>, now: &str) -> Change {
    let condition = client_version.map_or_else(Condition::exists, Condition::version);
    Change::new(key)
        .set("updated", string(now))
        .add("version", 1)
        .when(condition)
}

/// [`revision`]'s condition, plus: `attribute` still holds the value read (what a guard or
/// link move depends on).
fn unchanged(client_version: Option<u64>, attribute: &str, read: AttributeValue) -> Condition {
    let condition = client_version.map_or_else(Condition::exists, Condition::version);
    let placeholder = format!(":read_{attribute}");
    condition.and(
        Condition::new(format!("#{attribute} = {placeholder}"))
            .name(attribute)
            .value(&placeholder, read),
    )
}

fn owner_missing() -> ApiError {
    ApiError::invalid("owner_id", "owner does not exist")
}

#[derive(Clone)]
pub struct Store {
    table: Table,
}

impl Store {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// One page of an admin list (`PERSONS`, `VEHICLES`, `OFFICERS`), in `gsi1sk` order; a
    /// cursor of another list, or a forged one, is a 422 naming `cursor`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        list: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<T>, ApiError> {
        self.table
            .query_page(&Query::index(GSI1, list), limit, cursor)
            .await?
            .parse()
    }

    pub async fn get_person(&self, id: &str) -> Result<Option<Person>, ApiError> {
        self.table.get(person_key(id)).await
    }

    /// The person registered with `email` (any case), through the email guard.
    pub async fn person_id_by_email(&self, email: &str) -> Result<Option<String>, ApiError> {
        Ok(self
            .table
            .get::<EmailGuard>(email_key(email))
            .await?
            .map(|guard| guard.person_id))
    }

    pub async fn create_person(&self, person: &Person) -> Result<(), ApiError> {
        let writes = vec![
            self.table.put_tx(person_item(person)?, Some(Condition::absent()))?,
            self.table
                .put_tx(email_guard_item(person)?, Some(Condition::absent()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(error) if error.failed(1) => Err(ApiError::Conflict("email already registered".into())),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("person already exists".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Applies a PATCH to the person read as `read`: SETs only the attributes the PATCH
    /// names and ADDs 1 to the version, so concurrent PATCHes of other attributes never
    /// conflict. A new email moves its guard in the same transaction, on condition that the
    /// email is still the one read. `None` when the person changed in a way this PATCH depends
    /// on (or went): read it again.
    pub async fn update_person(
        &self,
        read: &Person,
        input: &PersonInput,
        now: &str,
    ) -> Result<Option<Person>, ApiError> {
        let mut change = revision(person_key(&read.id), input.version, now);
        if let Some(name) = &input.name {
            change = change.set("name", string(name));
        }
        let Some(email) = input
            .email
            .as_ref()
            .filter(|email| email_pk(email) != email_pk(&read.email))
        else {
            return self.table.update(change).await?.map(from_item).transpose();
        };
        let moved = Person {
            email: email.clone(),
            ..read.clone()
        };
        let writes = vec![
            self.table.change_tx(change.set("email", string(email)).when(unchanged(
                input.version,
                "email",
                string(&read.email),
            )))?,
            self.table.delete_tx(email_key(&read.email), None)?,
            self.table
                .put_tx(email_guard_item(&moved)?, Some(Condition::absent()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => self
                .get_person(&read.id)
                .await?
                .ok_or_else(|| ApiError::NotFound("person not found".into()))
                .map(Some),
            Err(error) if error.failed(0) => Ok(None),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("email already registered".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Plates of every vehicle of the person.
    pub async fn plates_of(&self, person_id: &str) -> Result<Vec<String>, ApiError> {
        let links = self.table.query_all(&links_of(person_id)).await?;
        links
            .into_iter()
            .map(|item| Ok(from_item::<Link>(item)?.plate))
            .collect()
    }

    pub async fn has_vehicles(&self, person_id: &str) -> Result<bool, ApiError> {
        Ok(!self
            .table
            .query_page(&links_of(person_id), 1, None)
            .await?
            .items
            .is_empty())
    }

    pub async fn delete_person(&self, person: &Person) -> Result<(), ApiError> {
        let writes = vec![
            self.table
                .delete_tx(person_key(&person.id), Some(Condition::exists()))?,
            self.table.delete_tx(email_key(&person.email), None)?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(_)) => Err(ApiError::NotFound("person not found".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    pub async fn get_vehicle(&self, plate: &str) -> Result<Option<Vehicle>, ApiError> {
        self.table.get(vehicle_key(plate)).await
    }

    pub async fn create_vehicle(&self, vehicle: &Vehicle) -> Result<(), ApiError> {
        let writes = vec![
            self.table.put_tx(vehicle_item(vehicle)?, Some(Condition::absent()))?,
            self.table
                .put_tx(link_item(&vehicle.owner_id, &vehicle.plate)?, Some(Condition::absent()))?,
            self.table
                .check_tx(person_key(&vehicle.owner_id), Condition::exists())?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(error) if error.failed(0) || error.failed(1) => Err(ApiError::Conflict(
                "a vehicle with this plate is already registered".into(),
            )),
            Err(TransactionError::Conditions(_)) => Err(owner_missing()),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Applies a PATCH to the vehicle read as `read`, like [`Store::update_person`]: a new
    /// owner (who must exist) gets the link in the same transaction, on condition that the
    /// owner is still the one read. `None` when the vehicle changed in a way this PATCH
    /// depends on (or went).
    pub async fn update_vehicle(
        &self,
        read: &Vehicle,
        input: &VehicleInput,
        now: &str,
    ) -> Result<Option<Vehicle>, ApiError> {
        let mut change = revision(vehicle_key(&read.plate), input.version, now);
        if let Some(brand) = &input.brand {
            change = change.set("brand", string(brand));
        }
        if let Some(color) = &input.color {
            change = change.set("color", string(color));
        }
        let Some(owner_id) = input.owner_id.as_ref().filter(|owner| **owner != read.owner_id) else {
            return self.table.update(change).await?.map(from_item).transpose();
        };
        let writes = vec![
            self.table
                .change_tx(change.set("owner_id", string(owner_id)).when(unchanged(
                    input.version,
                    "owner_id",
                    string(&read.owner_id),
                )))?,
            self.table.delete_tx(link_key(&read.owner_id, &read.plate), None)?,
            self.table
                .put_tx(link_item(owner_id, &read.plate)?, Some(Condition::absent()))?,
            self.table.check_tx(person_key(owner_id), Condition::exists())?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => self
                .get_vehicle(&read.plate)
                .await?
                .ok_or_else(|| ApiError::NotFound("vehicle not found".into()))
                .map(Some),
            Err(error) if error.failed(0) => Ok(None),
            Err(error) if error.failed(3) => Err(owner_missing()),
            // A link changed under us: read again (the caller's retry), never a 409 by itself.
            Err(TransactionError::Conditions(_)) => Ok(None),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Deletes the vehicle and its owner link in one transaction, then its infractions.
    pub async fn delete_vehicle(&self, vehicle: &Vehicle) -> Result<(), ApiError> {
        let writes = vec![
            self.table
                .delete_tx(vehicle_key(&vehicle.plate), Some(Condition::exists()))?,
            self.table
                .delete_tx(link_key(&vehicle.owner_id, &vehicle.plate), None)?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => {}
            Err(TransactionError::Conditions(_)) => return Err(ApiError::NotFound("vehicle not found".into())),
            Err(TransactionError::Other(error)) => return Err(error),
        }
        self.table.delete_partition(&vehicle_pk(&vehicle.plate)).await?;
        Ok(())
    }

    /// Deletes every vehicle of a person (vehicle, link, infractions).
    pub async fn delete_vehicles_of(&self, person_id: &str) -> Result<(), ApiError> {
        for plate in self.plates_of(person_id).await? {
            match self.get_vehicle(&plate).await? {
                Some(vehicle) => match self.delete_vehicle(&vehicle).await {
                    Ok(()) | Err(ApiError::NotFound(_)) => {}
                    Err(error) => return Err(error),
                },
                None => {
                    self.table.delete_partition(&vehicle_pk(&plate)).await?;
                    self.table.delete(link_key(person_id, &plate)).await?;
                }
            }
        }
        Ok(())
    }

    /// The vehicle and all its infractions, oldest first: one Query (every page).
    pub async fn vehicle_with_infractions(&self, plate: &str) -> Result<Option<(Vehicle, Vec<Infraction>)>, ApiError> {
        let mut vehicle = None;
        let mut infractions = Vec::new();
        for item in self.table.query_all(&Query::partition(vehicle_pk(plate))).await? {
            match item.get("sk") {
                Some(AttributeValue::S(sk)) if sk == VEHICLE_SK => vehicle = Some(from_item::<Vehicle>(item)?),
                Some(AttributeValue::S(sk)) if sk.starts_with("INFRACTION#") => infractions.push(from_item(item)?),
                _ => {}
            }
        }
        Ok(vehicle.map(|vehicle| (vehicle, infractions)))
    }

    pub async fn get_officer(&self, id: &str) -> Result<Option<Officer>, ApiError> {
        self.table.get(officer_key(id)).await
    }

    pub async fn officer_id_by_badge(&self, badge: u64) -> Result<Option<String>, ApiError> {
        Ok(self
            .table
            .get::<BadgeGuard>(badge_key(badge))
            .await?
            .map(|guard| guard.officer_id))
    }

    pub async fn create_officer(&self, officer: &Officer) -> Result<(), ApiError> {
        let writes = vec![
            self.table.put_tx(officer_item(officer)?, Some(Condition::absent()))?,
            self.table
                .put_tx(badge_guard_item(officer)?, Some(Condition::absent()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(error) if error.failed(1) => Err(ApiError::Conflict("badge already registered".into())),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("officer already exists".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Applies a PATCH to the officer read as `read`, like [`Store::update_person`]: a new
    /// badge moves its guard in the same transaction, on condition that the badge is still the
    /// one read. `None` when the officer changed in a way this PATCH depends on (or went).
    pub async fn update_officer(
        &self,
        read: &Officer,
        input: &OfficerInput,
        now: &str,
    ) -> Result<Option<Officer>, ApiError> {
        let mut change = revision(officer_key(&read.id), input.version, now);
        if let Some(name) = &input.name {
            change = change.set("name", string(name));
        }
        let Some(badge) = input.badge.filter(|badge| *badge != read.badge) else {
            return self.table.update(change).await?.map(from_item).transpose();
        };
        let moved = Officer { badge, ..read.clone() };
        let writes = vec![
            self.table
                .change_tx(change.set("badge", number(badge as i64)).when(unchanged(
                    input.version,
                    "badge",
                    number(read.badge as i64),
                )))?,
            self.table.delete_tx(badge_key(read.badge), None)?,
            self.table
                .put_tx(badge_guard_item(&moved)?, Some(Condition::absent()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => self
                .get_officer(&read.id)
                .await?
                .ok_or_else(|| ApiError::NotFound("officer not found".into()))
                .map(Some),
            Err(error) if error.failed(0) => Ok(None),
            Err(TransactionError::Conditions(_)) => Err(ApiError::Conflict("badge already registered".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Points the officer read as `read` at a new key; `false` when the officer changed since.
    pub async fn set_officer_key(&self, read: &Officer, prefix: &str, now: &str) -> Result<bool, ApiError> {
        let change = revision(officer_key(&read.id), Some(read.version), now).set("key_prefix", string(prefix));
        Ok(self.table.update(change).await?.is_some())
    }

    pub async fn delete_officer(&self, officer: &Officer) -> Result<(), ApiError> {
        let writes = vec![
            self.table
                .delete_tx(officer_key(&officer.id), Some(Condition::exists()))?,
            self.table.delete_tx(badge_key(officer.badge), None)?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TransactionError::Conditions(_)) => Err(ApiError::NotFound("officer not found".into())),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Records an infraction; ids are unique, so concurrent infractions never collide.
    pub async fn put_infraction(&self, infraction: &Infraction) -> Result<(), ApiError> {
        if !self.table.put_new(infraction_item(infraction)?).await? {
            return Err(ApiError::Conflict("infraction already recorded".into()));
        }
        Ok(())
    }

    /// Same as `put_infraction` but overwrites (fixtures with fixed ids).
    pub async fn upsert_infraction(&self, infraction: &Infraction) -> Result<(), ApiError> {
        self.table.put(infraction_item(infraction)?).await
    }
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
        let guard = email_guard_item(&person).unwrap();
        assert_eq!(guard["pk"], string("EMAIL#pedro@gmail.com"));
        assert_eq!(guard["person_id"], string("p1"));
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
        let link = link_item("p1", "GPZ402").unwrap();
        assert_eq!(link["pk"], string("PERSON#p1"));
        assert_eq!(link["sk"], string("VEHICLE#GPZ402"));
        assert_eq!(link["plate"], string("GPZ402"));
    }
}
