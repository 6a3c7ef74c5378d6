//! Venues as stored: the venue item (listed by `gsi1` and, by exact name, `gsi2`) and its
//! fan-out entries in `gsi3` — one per characteristic, feature and geohash cell — each carrying
//! what the list filters read (`name`, `status`, `characteristics`, `features`, `location`).
//!
//! "Has **all** of these characteristics and features" reads the partition of one of them and
//! filters the rest in the query (`contains(...)` on the entry's lists), so it never scans; the
//! page's venues are then read by key. The venue item and its entries are written in one
//! transaction, conditioned on the venue's `version`; an entry is rewritten only when what it
//! carries changed.

use std::collections::{BTreeSet, HashMap};

use andes_shared::dynamo::{
    from_item, key, keyed_item, number, string, Change, Condition, Item, Page, Query, TransactionError,
};
use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::{corrupt, venue_key, whole_number, Store};
use crate::domain::geo::{index_cells, search_cells, Point};
use crate::domain::query::{near_ranked, NearQuery, NearVenue};
use crate::domain::validation::MAX_NAME;
use crate::domain::{Location, Venue, VenueFilter, VenueStatus};

/// The optimistic-concurrency version of a venue item (not part of the venue's JSON).
const VERSION: &str = "version";
/// Set by `DELETE` while it checks the open-reservation index: epoch seconds until which no
/// reservation may open at the venue (the reservation slice's transactions check it).
pub const DELETING_UNTIL: &str = "deleting_until";
/// How long that hold lasts: longer than any request runs (the function timeout is 10 s), so a
/// `DELETE` that dies in between never blocks the venue for long.
pub const DELETE_HOLD_SECONDS: i64 = 30;
/// Most writes one transaction takes (DynamoDB's limit).
const TRANSACTION_ITEMS: usize = 100;

/// What a venue's index entries carry: the filters' attributes and the location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueEntry {
    pub id: String,
    pub name: String,
    pub status: VenueStatus,
    pub characteristics: Vec<String>,
    pub features: Vec<String>,
    pub location: Location,
}

impl VenueEntry {
    pub fn of(venue: &Venue) -> Self {
        Self {
            id: venue.id.clone(),
            name: venue.name.clone(),
            status: venue.status,
            characteristics: venue.characteristics.clone(),
            features: venue.features.clone(),
            location: venue.location,
        }
    }

    pub fn point(&self) -> Point {
        Point::new(self.location.lat, self.location.lon)
    }
}

/// A venue item: the venue of §3, its `version`, and its `gsi1` / `gsi2` keys.
pub fn venue_item(venue: &Venue, version: u64) -> Result<Item, ApiError> {
    let mut item = keyed_item(venue, venue_pk(&venue.id), VENUE_SK)?;
    item.insert(VERSION.into(), number(version as i64));
    item.insert("gsi1pk".into(), string(VENUES));
    item.insert("gsi1sk".into(), string(&venue.id));
    item.insert("gsi2pk".into(), string(name_partition(&venue.name)));
    item.insert("gsi2sk".into(), string(&venue.id));
    Ok(item)
}

/// The (sort key, `gsi3` partition) of each entry of a venue: its characteristics, its features,
/// its geohash cell at each precision.
fn entry_keys(venue: &Venue) -> Vec<(String, String)> {
    let characteristics = venue
        .characteristics
        .iter()
        .map(|name| (characteristic_sk(name), characteristic_partition(name)));
    let features = venue
        .features
        .iter()
        .map(|name| (feature_sk(name), feature_partition(name)));
    let point = Point::new(venue.location.lat, venue.location.lon);
    let cells = index_cells(point)
        .into_iter()
        .map(|cell| (geo_sk(cell.len()), geo_partition(&cell)));
    characteristics.chain(features).chain(cells).collect()
}

/// Every entry item of a venue.
pub fn entry_items(venue: &Venue) -> Result<Vec<Item>, ApiError> {
    let entry = VenueEntry::of(venue);
    entry_keys(venue)
        .into_iter()
        .map(|(sk, partition)| {
            let mut item = keyed_item(&entry, venue_pk(&venue.id), sk)?;
            item.insert("gsi3pk".into(), string(partition));
            item.insert("gsi3sk".into(), string(&venue.id));
            Ok(item)
        })
        .collect()
}

/// A venue item read back: the venue and its version.
pub(crate) fn stored_venue(item: Item) -> Result<(Venue, u64), ApiError> {
    let version = whole_number(&item, VERSION)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| corrupt("venue item", "no version"))?;
    Ok((from_item(item)?, version))
}

/// The filter expression of a list: exact name, **all** characteristics and features
/// (`contains` on the lists), any of the statuses. The same attributes are on venue items and
/// on entries, so one expression serves every index. `None` without a filter.
pub fn filter_condition(filter: &VenueFilter) -> Option<Condition> {
    let mut clauses = Vec::new();
    let mut names = BTreeSet::new();
    let mut values = Vec::new();
    if let Some(name) = &filter.name {
        clauses.push("#name = :name".to_string());
        names.insert("name");
        values.push((":name".to_string(), string(name)));
    }
    for (i, characteristic) in sorted(&filter.characteristics).into_iter().enumerate() {
        clauses.push(format!("contains(#characteristics, :c{i})"));
        names.insert("characteristics");
        values.push((format!(":c{i}"), string(characteristic)));
    }
    for (i, feature) in sorted(&filter.features).into_iter().enumerate() {
        clauses.push(format!("contains(#features, :f{i})"));
        names.insert("features");
        values.push((format!(":f{i}"), string(feature)));
    }
    let mut statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    if !statuses.is_empty() {
        let placeholders: Vec<String> = (0..statuses.len()).map(|i| format!(":st{i}")).collect();
        clauses.push(format!("#status IN ({})", placeholders.join(", ")));
        names.insert("status");
        values.extend(placeholders.into_iter().zip(statuses.into_iter().map(string)));
    }
    if clauses.is_empty() {
        return None;
    }
    let mut condition = Condition::new(clauses.join(" AND "));
    for name in names {
        condition = condition.name(name);
    }
    for (placeholder, value) in values {
        condition = condition.value(&placeholder, value);
    }
    Some(condition)
}

fn sorted(names: &[String]) -> Vec<&str> {
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Where a list reads: the exact-name index, else the entries of one of the characteristics
/// (or features) asked for — every venue having all of them is in there — else every venue.
#[derive(Debug, Clone)]
enum Source {
    /// Venue items (`gsi1`, `gsi2`).
    Venues(Query),
    /// Index entries (`gsi3`): the page's venues are read by key afterwards.
    Entries(Query),
}

fn list_source(filter: &VenueFilter) -> Source {
    let query = |query: Query| match filter_condition(filter) {
        Some(condition) => query.filter(condition),
        None => query,
    };
    if let Some(name) = &filter.name {
        return Source::Venues(query(Query::index("gsi2", name_partition(name))));
    }
    if let Some(characteristic) = sorted(&filter.characteristics).first() {
        return Source::Entries(query(Query::index("gsi3", characteristic_partition(characteristic))));
    }
    if let Some(feature) = sorted(&filter.features).first() {
        return Source::Entries(query(Query::index("gsi3", feature_partition(feature))));
    }
    Source::Venues(query(Query::index("gsi1", VENUES)))
}

/// What `DELETE /venues/{id}` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    /// The venue changed since it was read: read it again.
    Stale,
    /// An open reservation holds it (409).
    OpenReservations,
}

/// Whether `venue` is the incarnation a reservation was booked at: the one it recorded
/// (`StoredReservation::venue_created`). A venue deleted and created again by the same owner
/// is another one.
pub fn same_incarnation(venue: &Venue, booked_venue_created: DateTime<Utc>) -> bool {
    venue.created == booked_venue_created
}

impl Store {
    /// A venue and its version, strongly consistent.
    pub async fn venue(&self, id: &str) -> Result<Option<(Venue, u64)>, ApiError> {
        self.table.get_item(venue_key(id)).await?.map(stored_venue).transpose()
    }

    /// Writes a new venue (version 1) with its entries, in one transaction; `false` when the
    /// owner already has one (its id is the owner's).
    pub async fn create_venue(&self, venue: &Venue) -> Result<bool, ApiError> {
        let mut writes = vec![self.table.put_tx(venue_item(venue, 1)?, Some(Condition::absent()))?];
        for item in entry_items(venue)? {
            writes.push(self.table.put_tx(item, None)?);
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            // Contention that outlasted the retries: if a venue is there by now, that is the answer.
            Err(TransactionError::Other(error)) => match self.venue(&venue.id).await? {
                Some(_) => Ok(false),
                None => Err(error),
            },
        }
    }

    /// Replaces `before` (read at version `read`) by `after`: the venue item if its version is
    /// still `read`, and — in the same transaction — the entries, when what they carry changed
    /// (entries of characteristics or features no longer held are deleted). `false` when the
    /// venue changed since it was read.
    pub async fn save_venue(&self, before: &Venue, after: &Venue, read: u64) -> Result<bool, ApiError> {
        let item = venue_item(after, read + 1)?;
        if VenueEntry::of(before) == VenueEntry::of(after) {
            return self.table.put_if(item, Condition::version(read)).await;
        }
        let mut writes = vec![self.table.put_tx(item, Some(Condition::version(read)))?];
        for entry in entry_items(after)? {
            writes.push(self.table.put_tx(entry, None)?);
        }
        let kept: BTreeSet<String> = entry_keys(after).into_iter().map(|(sk, _)| sk).collect();
        for (sk, _) in entry_keys(before) {
            if !kept.contains(&sk) {
                writes.push(self.table.delete_tx(key(venue_pk(&after.id), sk), None)?);
            }
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Whether the venue's open-reservation index holds anything (strongly consistent: it is in
    /// the venue's own partition).
    pub async fn has_open_reservations(&self, venue_id: &str) -> Result<bool, ApiError> {
        let query = Query::partition(venue_pk(venue_id)).begins_with(OPEN_PREFIX);
        Ok(!self.table.query_page(&query, 1, None).await?.items.is_empty())
    }

    /// Venue `id` as it is now, if it is the incarnation created at `created` — the one a
    /// reservation was booked at (strongly consistent): a venue deleted, or deleted and created
    /// again by the same owner since, is none.
    pub async fn venue_incarnation(&self, id: &str, created: DateTime<Utc>) -> Result<Option<Venue>, ApiError> {
        Ok(self
            .venue(id)
            .await?
            .map(|(venue, _)| venue)
            .filter(|venue| same_incarnation(venue, created)))
    }

    /// Deletes a venue read at version `read`, unless it has open reservations:
    ///
    /// 1. hold it: `version` + 1 and `deleting_until` (now + 30 s), if still at `read` — from
    ///    then on no reservation can open there (the reservation slice's transactions carry a
    ///    ConditionCheck on the venue item that refuses while the hold lasts);
    /// 2. query the open-reservation index (consistent): one there → release the hold, 409;
    /// 3. delete the venue item, if still at the held version, and its whole partition (its
    ///    entries) in one transaction.
    ///
    /// Any write to the venue in between (an edit, a status) moves its version: the delete is
    /// then stale and decided again from a new read.
    pub async fn delete_venue(&self, id: &str, read: u64, now: DateTime<Utc>) -> Result<Removal, ApiError> {
        let held = read + 1;
        let hold = Change::new(venue_key(id))
            .set(VERSION, number(held as i64))
            .set(DELETING_UNTIL, number(now.timestamp() + DELETE_HOLD_SECONDS))
            .when(Condition::version(read));
        if self.table.update(hold).await?.is_none() {
            return Ok(Removal::Stale);
        }
        if self.has_open_reservations(id).await? {
            // Best effort: the hold expires by itself.
            let release = Change::new(venue_key(id))
                .remove(DELETING_UNTIL)
                .when(Condition::version(held));
            self.table.update(release).await?;
            return Ok(Removal::OpenReservations);
        }
        let others: Vec<Item> = self
            .table
            .query_all(&Query::partition(venue_pk(id)))
            .await?
            .into_iter()
            .filter_map(|item| {
                let sk = item.get("sk").and_then(|sk| sk.as_s().ok())?.clone();
                (sk != VENUE_SK).then(|| key(venue_pk(id), sk))
            })
            .collect();
        // At most 31 characteristics + 8 features + 6 cells: one transaction holds them all.
        if others.len() >= TRANSACTION_ITEMS {
            return Err(ApiError::internal(format!(
                "venue {id} has {} items besides itself; one transaction takes {}",
                others.len(),
                TRANSACTION_ITEMS - 1
            )));
        }
        let mut writes = vec![self.table.delete_tx(venue_key(id), Some(Condition::version(held)))?];
        for key in others {
            writes.push(self.table.delete_tx(key, None)?);
        }
        match self.table.transact(writes).await {
            Ok(()) => {}
            Err(TransactionError::Conditions(_)) => return Ok(Removal::Stale),
            Err(TransactionError::Other(error)) => return Err(error),
        }
        Ok(Removal::Removed)
    }

    /// The venues of these ids that exist (any order), strongly consistent.
    pub async fn venues(&self, ids: &[&str]) -> Result<HashMap<String, Venue>, ApiError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let keys = ids.iter().map(|id| venue_key(id)).collect();
        self.table
            .batch_get(keys)
            .await?
            .into_iter()
            .map(|item| stored_venue(item).map(|(venue, _)| (venue.id.clone(), venue)))
            .collect()
    }

    /// `GET /venues`: the venues matching `filter`, by id, one page at a time (a page may be
    /// short; its cursor goes on).
    pub async fn list_venues(
        &self,
        filter: &VenueFilter,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Venue>, ApiError> {
        // No venue has a longer name: nothing to read (and no key over DynamoDB's size).
        if filter.name.as_ref().is_some_and(|name| name.chars().count() > MAX_NAME) {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        match list_source(filter) {
            Source::Venues(query) => self
                .table
                .query_page(&query, limit, cursor)
                .await?
                .try_map(|item| stored_venue(item).map(|(venue, _)| venue)),
            Source::Entries(query) => {
                let page = self
                    .table
                    .query_page(&query, limit, cursor)
                    .await?
                    .parse::<VenueEntry>()?;
                let ids: Vec<&str> = page.items.iter().map(|entry| entry.id.as_str()).collect();
                let mut venues = self.venues(&ids).await?;
                // An entry whose venue is gone, or no longer matches (an index a moment behind
                // its venue), is left out: a short page, never a wrong one.
                let items = page
                    .items
                    .iter()
                    .filter_map(|entry| venues.remove(&entry.id))
                    .filter(|venue| filter.matches(venue))
                    .collect();
                Ok(Page {
                    items,
                    next_cursor: page.next_cursor,
                })
            }
        }
    }

    /// `GET /venues/near`: the entries of the geohash cells that hold the circle (9 cells, or
    /// the 32 precision-1 cells for a huge radius), filtered in the query, ranked by distance;
    /// then the page's venues by key.
    pub async fn venues_near(&self, query: &NearQuery) -> Result<Page<NearVenue>, ApiError> {
        let condition = filter_condition(&query.filter);
        let cells = search_cells(query.centre, query.radius_m as f64);
        let reads = cells.iter().map(|cell| {
            let partition = Query::index("gsi3", geo_partition(cell));
            let partition = match &condition {
                Some(condition) => partition.filter(condition.clone()),
                None => partition,
            };
            async move { self.table.query_all(&partition).await }
        });
        let entries = try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
            .map(from_item::<VenueEntry>)
            .collect::<Result<Vec<_>, _>>()?;
        let page = near_ranked(entries, query, VenueEntry::point, |entry| entry.id.as_str())?;
        let ids: Vec<&str> = page.items.iter().map(|near| near.item.id.as_str()).collect();
        let mut venues = self.venues(&ids).await?;
        let items = page
            .items
            .iter()
            .filter_map(|near| {
                let venue = venues.remove(&near.item.id)?;
                query.filter.matches(&venue).then_some(NearVenue {
                    venue,
                    distance_m: near.distance_m,
                })
            })
            .collect();
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::venue;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn s(item: &Item, name: &str) -> String {
        match item.get(name) {
            Some(AttributeValue::S(value)) => value.clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn a_venue_is_listed_among_all_and_by_its_name() {
        let venue = venue();
        let item = venue_item(&venue, 3).unwrap();
        assert_eq!(s(&item, "pk"), "VENUE#owner-1");
        assert_eq!(s(&item, "sk"), "VENUE");
        assert_eq!(s(&item, "gsi1pk"), "VENUES");
        assert_eq!(s(&item, "gsi1sk"), "owner-1");
        assert_eq!(s(&item, "gsi2pk"), "NAME#La Pizzeria");
        assert_eq!(s(&item, "gsi2sk"), "owner-1");
        assert_eq!(item.get("version"), Some(&AttributeValue::N("3".into())));
        assert_eq!(stored_venue(item).unwrap(), (venue, 3));
    }

    #[test]
    fn a_venue_has_an_entry_per_characteristic_feature_and_cell() {
        let venue = venue(); // Pizzas, Pasta; Wifi; Buenos Aires (69y7pk)
        let items = entry_items(&venue).unwrap();
        let keys: Vec<(String, String)> = items.iter().map(|i| (s(i, "sk"), s(i, "gsi3pk"))).collect();
        let expected: Vec<(String, String)> = [
            ("CHAR#Pizzas", "CHAR#Pizzas"),
            ("CHAR#Pasta", "CHAR#Pasta"),
            ("FEAT#Wifi", "FEAT#Wifi"),
            ("GEO#1", "GEO#6"),
            ("GEO#2", "GEO#69"),
            ("GEO#3", "GEO#69y"),
            ("GEO#4", "GEO#69y7"),
            ("GEO#5", "GEO#69y7p"),
            ("GEO#6", "GEO#69y7pk"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(keys, expected);
        for item in &items {
            assert_eq!(s(item, "pk"), "VENUE#owner-1");
            assert_eq!(s(item, "gsi3sk"), "owner-1");
            assert_eq!(from_item::<VenueEntry>(item.clone()).unwrap(), VenueEntry::of(&venue));
            assert!(!item.contains_key("gsi1pk") && !item.contains_key("capacity"));
        }
    }

    #[test]
    fn filters_become_one_expression() {
        assert!(filter_condition(&VenueFilter::default()).is_none());
        let filter = VenueFilter {
            name: Some("La Pizzeria".into()),
            characteristics: vec!["Pizzas".into(), "Pasta".into()],
            features: vec!["Wifi".into()],
            statuses: vec![VenueStatus::Closed, VenueStatus::Available],
        };
        let text = format!("{:?}", filter_condition(&filter).unwrap());
        assert!(
            text.contains(
                "#name = :name AND contains(#characteristics, :c0) AND contains(#characteristics, :c1) \
                 AND contains(#features, :f0) AND #status IN (:st0, :st1)"
            ),
            "{text}"
        );
        // Sorted: the same filter in another order is the same list (and the same cursors).
        let reordered = VenueFilter {
            characteristics: vec!["Pasta".into(), "Pizzas".into()],
            statuses: vec![VenueStatus::Available, VenueStatus::Closed],
            ..filter.clone()
        };
        let expression = |filter: &VenueFilter| {
            let text = format!("{:?}", filter_condition(filter).unwrap());
            text.split("expression: \"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(expression(&reordered), expression(&filter));
        let values = |filter: &VenueFilter| {
            let text = format!("{:?}", filter_condition(filter).unwrap());
            let mut found: Vec<String> = [":c0", ":c1", ":st0", ":st1"]
                .iter()
                .map(|p| {
                    text.split(&format!("\"{p}\": S(\""))
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect();
            found.push(String::new());
            found
        };
        assert_eq!(values(&reordered), values(&filter));
        assert_eq!(values(&filter)[..4], ["Pasta", "Pizzas", "Available", "Closed"]);
    }

    #[test]
    fn each_filter_reads_the_narrowest_index() {
        let partition = |filter: VenueFilter| {
            let (kind, query) = match list_source(&filter) {
                Source::Venues(query) => ("venues", query),
                Source::Entries(query) => ("entries", query),
            };
            let text = format!("{query:?}");
            let index = text.split("index: Some(\"").nth(1).unwrap().split('"').next().unwrap();
            let partition = text.split("partition: \"").nth(1).unwrap().split('"').next().unwrap();
            (kind, index.to_string(), partition.to_string())
        };
        let all = VenueFilter::default();
        assert_eq!(partition(all.clone()), ("venues", "gsi1".into(), "VENUES".into()));
        let statuses = VenueFilter {
            statuses: vec![VenueStatus::Closed],
            ..all.clone()
        };
        assert_eq!(partition(statuses), ("venues", "gsi1".into(), "VENUES".into()));
        let named = VenueFilter {
            name: Some("X".into()),
            characteristics: vec!["Pizzas".into()],
            ..all.clone()
        };
        assert_eq!(partition(named), ("venues", "gsi2".into(), "NAME#X".into()));
        let tagged = VenueFilter {
            characteristics: vec!["Pizzas".into(), "Arepas".into()],
            features: vec!["Wifi".into()],
            ..all.clone()
        };
        assert_eq!(partition(tagged), ("entries", "gsi3".into(), "CHAR#Arepas".into()));
        let featured = VenueFilter {
            features: vec!["Wifi".into(), "Mascotas".into()],
            ..all
        };
        assert_eq!(partition(featured), ("entries", "gsi3".into(), "FEAT#Mascotas".into()));
    }
}
