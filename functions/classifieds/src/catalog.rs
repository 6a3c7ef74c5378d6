//! The catalog table (reference data: states, cities, brands, models, versions).
//!
//! It is its own table because the local backend copies a whole table on every
//! TransactWriteItems: ~2,000 catalog items in the ads table would make every chat
//! transaction slow (see the service README). Items: `pk = {KIND}#{id}`; the lists are on
//! `gsi1` (`gsi1pk` = the parent's list, `gsi1sk` = lower-case name, U+001F, id).

use andes_shared::dynamo::{string, to_item, Item, Page, Query, Table};
use andes_shared::http::ApiError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct State {
    pub id: u32,
    pub name: String,
    pub acronym: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct City {
    pub id: u32,
    pub name: String,
    pub state_id: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Brand {
    pub id: u32,
    pub name: String,
    pub popular: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Model {
    pub id: u32,
    pub name: String,
    pub brand_id: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Version {
    pub id: u32,
    pub name: String,
    pub model_id: u32,
}

/// One line of `data/classifieds/catalog.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    State(State),
    City(City),
    Brand(Brand),
    Model(Model),
    Version(Version),
}

/// The kinds, their key prefixes and the list each belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    State,
    City,
    Brand,
    Model,
    Version,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Self::State => "STATE",
            Self::City => "CITY",
            Self::Brand => "BRAND",
            Self::Model => "MODEL",
            Self::Version => "VERSION",
        }
    }
}

pub fn item_pk(kind: Kind, id: u32) -> String {
    format!("{}#{id}", kind.prefix())
}

/// The list a kind's items are on, given the parent id (none for states and brands).
pub fn list_pk(kind: Kind, parent: Option<u32>) -> String {
    match (kind, parent) {
        (Kind::State, _) => "STATES".into(),
        (Kind::Brand, _) => "BRANDS".into(),
        (Kind::City, Some(p)) => format!("STATE#{p}#CITIES"),
        (Kind::Model, Some(p)) => format!("BRAND#{p}#MODELS"),
        (Kind::Version, Some(p)) => format!("MODEL#{p}#VERSIONS"),
        (_, None) => String::new(),
    }
}

impl Entry {
    pub fn kind(&self) -> Kind {
        match self {
            Self::State(_) => Kind::State,
            Self::City(_) => Kind::City,
            Self::Brand(_) => Kind::Brand,
            Self::Model(_) => Kind::Model,
            Self::Version(_) => Kind::Version,
        }
    }

    fn id_name_parent(&self) -> (u32, &str, Option<u32>) {
        match self {
            Self::State(s) => (s.id, &s.name, None),
            Self::City(c) => (c.id, &c.name, Some(c.state_id)),
            Self::Brand(b) => (b.id, &b.name, None),
            Self::Model(m) => (m.id, &m.name, Some(m.brand_id)),
            Self::Version(v) => (v.id, &v.name, Some(v.model_id)),
        }
    }

    /// The item: the entity's fields plus its keys.
    pub fn item(&self) -> Result<Item, ApiError> {
        let mut item = match self {
            Self::State(s) => to_item(s)?,
            Self::City(c) => to_item(c)?,
            Self::Brand(b) => to_item(b)?,
            Self::Model(m) => to_item(m)?,
            Self::Version(v) => to_item(v)?,
        };
        let (id, name, parent) = self.id_name_parent();
        let kind = self.kind();
        item.insert("pk".into(), string(item_pk(kind, id)));
        item.insert("gsi1pk".into(), string(list_pk(kind, parent)));
        // U+001F (unit separator) sorts below every character of a name, so "Aparecida"
        // comes before "Aparecida d Oeste".
        item.insert("gsi1sk".into(), string(format!("{}\u{1f}{id:06}", name.to_lowercase())));
        Ok(item)
    }
}

/// Parses the checked-in catalog file.
pub fn parse_catalog(text: &str) -> Result<Vec<Entry>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1)))
        .collect()
}

/// The catalog table's access patterns.
#[derive(Clone)]
pub struct Catalog {
    table: Table,
}

impl Catalog {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    pub async fn get<T: DeserializeOwned>(&self, kind: Kind, id: u32) -> Result<Option<T>, ApiError> {
        self.table
            .get(Item::from([("pk".to_string(), string(item_pk(kind, id)))]))
            .await
    }

    /// One page of a list, sorted by name.
    pub async fn list<T: DeserializeOwned>(
        &self,
        kind: Kind,
        parent: Option<u32>,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<T>, ApiError> {
        let query = Query::index("gsi1", list_pk(kind, parent));
        self.table.query_page(&query, limit, cursor).await?.parse()
    }

    /// Writes every entry (batches of 25, unprocessed items resent). Puts of identical items
    /// are idempotent.
    pub async fn load(&self, entries: &[Entry]) -> Result<(), ApiError> {
        let items = entries.iter().map(Entry::item).collect::<Result<Vec<_>, _>>()?;
        self.table.batch_put(items).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_catalog_has_the_seed_counts_and_consistent_parents() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/classifieds/catalog.jsonl"
        ))
        .unwrap();
        let entries = parse_catalog(&text).unwrap();
        let count = |kind: Kind| entries.iter().filter(|e| e.kind() == kind).count();
        assert_eq!(
            [
                count(Kind::State),
                count(Kind::City),
                count(Kind::Brand),
                count(Kind::Model),
                count(Kind::Version)
            ],
            [2, 718, 18, 298, 988]
        );
        let has = |kind: Kind, id: u32| entries.iter().any(|e| e.kind() == kind && e.id_name_parent().0 == id);
        for entry in &entries {
            match entry {
                Entry::City(c) => assert!(has(Kind::State, c.state_id)),
                Entry::Model(m) => assert!(has(Kind::Brand, m.brand_id)),
                Entry::Version(v) => assert!(has(Kind::Model, v.model_id)),
                _ => {}
            }
        }
    }

    #[test]
    fn items_carry_their_keys() {
        let item = Entry::City(City {
            id: 7,
            name: "Águas".into(),
            state_id: 1,
        })
        .item()
        .unwrap();
        assert_eq!(item["pk"], string("CITY#7"));
        assert_eq!(item["gsi1pk"], string("STATE#1#CITIES"));
        assert_eq!(item["gsi1sk"], string("águas\u{1f}000007"));
    }
}
