//! Venues (§3): the seed's fixed lists of characteristics and features, the venue's statuses and
//! the owner's actions on them, the venue itself (its id is its owner's account id), its creation
//! and edits (an actual change sets `Unconfirmed`, as in the seed), and the list filters.

use andes_shared::http::ApiError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::values::{time_secs, whole_seconds, SlotTime, Zone};

/// The seed's `characteristics.json`, in its order (exact spelling: `Sándwiches`).
pub const CHARACTERISTICS: [&str; 31] = [
    "Arepas",
    "Cafeteria",
    "Carnes",
    "Comida Armenia",
    "Comida China",
    "Comida Japonesa",
    "Comida Mexicana",
    "Comida Vegana",
    "Comida Vegetariana",
    "Empanadas",
    "Hamburguesas",
    "Helados",
    "Licuado y jugos",
    "Lomitos",
    "Milanesas",
    "Panaderia",
    "Panchos",
    "Pasta",
    "Pescado y mariscos",
    "Picadas",
    "Pizzas",
    "Poke",
    "Pollo",
    "Postres",
    "Saludable",
    "Sushi",
    "Sándwiches",
    "Tartas",
    "Tortillas",
    "Woks",
    "Wraps",
];

/// The seed's `features.json`, in its order.
pub const FEATURES: [&str; 8] = [
    "Estacionamiento",
    "Wifi",
    "Mascotas",
    "Aire libre",
    "Veggie",
    "Movilidad reducida",
    "Musica en vivo",
    "Area fumadores",
];

pub const VENUE_NOT_FOUND: &str = "Venue does not exist";
pub const VENUE_EXISTS: &str = "User already has a venue";
pub const VENUE_CLOSED: &str = "Venue is closed";
pub const VENUE_HAS_OPEN_RESERVATIONS: &str = "Venue has open reservations";

pub fn is_characteristic(name: &str) -> bool {
    CHARACTERISTICS.contains(&name)
}

pub fn is_feature(name: &str) -> bool {
    FEATURES.contains(&name)
}

/// The seed's message for a name outside [`CHARACTERISTICS`].
pub fn invalid_characteristic(name: &str) -> String {
    format!("Invalid characteristic: {name}")
}

/// The seed's message for a name outside [`FEATURES`].
pub fn invalid_feature(name: &str) -> String {
    format!("Invalid feature: {name}")
}

/// 404 of a venue route (`GET /venues/{id}`, availability, summaries, `GET /me/venue`, …).
pub fn venue_not_found() -> ApiError {
    ApiError::NotFound(VENUE_NOT_FOUND.into())
}

/// 400 of a reservation naming a venue that does not exist, or a malformed id (§4.1 step 2, seed).
pub fn unknown_venue_for_booking() -> ApiError {
    ApiError::BadRequest(VENUE_NOT_FOUND.into())
}

/// 409 of a second venue for the same owner.
pub fn venue_exists() -> ApiError {
    ApiError::Conflict(VENUE_EXISTS.into())
}

/// 409 of `DELETE /venues/{id}` while an Unconfirmed or Accepted reservation remains.
pub fn venue_has_open_reservations() -> ApiError {
    ApiError::Conflict(VENUE_HAS_OPEN_RESERVATIONS.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum VenueStatus {
    Available,
    Closed,
    Occupied,
    /// Edited since the owner last set a status (seed).
    Unconfirmed,
}

impl VenueStatus {
    pub const ALL: [VenueStatus; 4] = [Self::Available, Self::Closed, Self::Occupied, Self::Unconfirmed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::Closed => "Closed",
            Self::Occupied => "Occupied",
            Self::Unconfirmed => "Unconfirmed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// `POST /venues/{id}/status {"action": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VenueAction {
    Open,
    Close,
    Occupy,
}

impl VenueAction {
    pub const ALL: [VenueAction; 3] = [Self::Open, Self::Close, Self::Occupy];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Close => "close",
            Self::Occupy => "occupy",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == raw)
    }

    /// The status the action sets.
    pub fn status(self) -> VenueStatus {
        match self {
            Self::Open => VenueStatus::Available,
            Self::Close => VenueStatus::Closed,
            Self::Occupy => VenueStatus::Occupied,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    #[schema(schema_with = crate::openapi::latitude)]
    pub lat: f64,
    #[schema(schema_with = crate::openapi::longitude)]
    pub lon: f64,
}

/// A venue as §3 writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Venue {
    /// The owner's account id.
    pub id: String,
    pub owner: String,
    pub name: String,
    pub location: Location,
    pub timezone: Zone,
    pub capacity: u32,
    #[schema(required = true)]
    pub logo: Option<String>,
    pub pictures: Vec<String>,
    #[schema(required = true)]
    pub menu: Option<String>,
    /// Sorted, distinct.
    pub slots: Vec<SlotTime>,
    /// In the order given.
    pub characteristics: Vec<String>,
    pub features: Vec<String>,
    /// Sorted, distinct, local dates.
    pub vacations: Vec<NaiveDate>,
    /// Whole days.
    pub reservation_lead_time: u32,
    pub status: VenueStatus,
    #[serde(with = "time_secs")]
    pub created: DateTime<Utc>,
    #[serde(with = "time_secs")]
    pub updated: DateTime<Utc>,
}

/// A valid `POST /venues` body (slots and vacations sorted, defaults filled in).
#[derive(Debug, Clone, PartialEq)]
pub struct VenueInput {
    pub name: String,
    pub location: Location,
    pub timezone: Zone,
    pub capacity: u32,
    pub logo: Option<String>,
    pub pictures: Vec<String>,
    pub menu: Option<String>,
    pub slots: Vec<SlotTime>,
    pub characteristics: Vec<String>,
    pub features: Vec<String>,
    pub vacations: Vec<NaiveDate>,
    pub reservation_lead_time: u32,
}

/// A valid `PATCH /venues/{id}` body: `None` leaves a field as it is; `Some(None)` clears the
/// optional `logo` / `menu`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VenueEdit {
    pub name: Option<String>,
    pub location: Option<Location>,
    pub timezone: Option<Zone>,
    pub capacity: Option<u32>,
    pub logo: Option<Option<String>>,
    pub pictures: Option<Vec<String>>,
    pub menu: Option<Option<String>>,
    pub slots: Option<Vec<SlotTime>>,
    pub characteristics: Option<Vec<String>>,
    pub features: Option<Vec<String>>,
    pub vacations: Option<Vec<NaiveDate>>,
    pub reservation_lead_time: Option<u32>,
}

fn replace<T: PartialEq>(field: &mut T, value: Option<T>) -> bool {
    match value {
        Some(value) if *field != value => {
            *field = value;
            true
        }
        _ => false,
    }
}

impl Venue {
    /// The venue of `owner`, `Available`, created `now`.
    pub fn new(owner: &str, input: VenueInput, now: DateTime<Utc>) -> Self {
        let now = whole_seconds(now);
        Self {
            id: owner.to_string(),
            owner: owner.to_string(),
            name: input.name,
            location: input.location,
            timezone: input.timezone,
            capacity: input.capacity,
            logo: input.logo,
            pictures: input.pictures,
            menu: input.menu,
            slots: input.slots,
            characteristics: input.characteristics,
            features: input.features,
            vacations: input.vacations,
            reservation_lead_time: input.reservation_lead_time,
            status: VenueStatus::Available,
            created: now,
            updated: now,
        }
    }

    /// Applies an owner's edit; whether anything actually changed. A change sets `Unconfirmed`
    /// (seed) and `updated`; sending the current values changes nothing.
    pub fn edit(&mut self, edit: VenueEdit, now: DateTime<Utc>) -> bool {
        let changes = [
            replace(&mut self.name, edit.name),
            replace(&mut self.location, edit.location),
            replace(&mut self.timezone, edit.timezone),
            replace(&mut self.capacity, edit.capacity),
            replace(&mut self.logo, edit.logo),
            replace(&mut self.pictures, edit.pictures),
            replace(&mut self.menu, edit.menu),
            replace(&mut self.slots, edit.slots),
            replace(&mut self.characteristics, edit.characteristics),
            replace(&mut self.features, edit.features),
            replace(&mut self.vacations, edit.vacations),
            replace(&mut self.reservation_lead_time, edit.reservation_lead_time),
        ];
        let changed = changes.contains(&true);
        if changed {
            self.status = VenueStatus::Unconfirmed;
            self.updated = whole_seconds(now);
        }
        changed
    }

    /// Applies an owner's status action; whether the status changed.
    pub fn act(&mut self, action: VenueAction, now: DateTime<Utc>) -> bool {
        let changed = replace(&mut self.status, Some(action.status()));
        if changed {
            self.updated = whole_seconds(now);
        }
        changed
    }

    /// Only `Closed` refuses new reservations (409 "Venue is closed").
    pub fn check_open(&self) -> Result<(), ApiError> {
        if self.status == VenueStatus::Closed {
            return Err(ApiError::Conflict(VENUE_CLOSED.into()));
        }
        Ok(())
    }

    pub fn is_vacation(&self, date: NaiveDate) -> bool {
        self.vacations.binary_search(&date).is_ok()
    }

    pub fn has_slot(&self, slot: SlotTime) -> bool {
        self.slots.binary_search(&slot).is_ok()
    }
}

/// The filters of `GET /venues` and `GET /venues/near`: a venue matches when it has the `name`
/// (exact, case-sensitive), **all** the characteristics and features, and one of the statuses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VenueFilter {
    pub name: Option<String>,
    pub characteristics: Vec<String>,
    pub features: Vec<String>,
    /// Any of these; empty: any status.
    pub statuses: Vec<VenueStatus>,
}

impl VenueFilter {
    pub fn matches(&self, venue: &Venue) -> bool {
        self.name.as_ref().is_none_or(|name| *name == venue.name)
            && self.characteristics.iter().all(|c| venue.characteristics.contains(c))
            && self.features.iter().all(|f| venue.features.contains(f))
            && (self.statuses.is_empty() || self.statuses.contains(&venue.status))
    }

    /// A stable text naming the filter, for list cursors (a cursor of another filter is refused).
    pub fn scope(&self) -> String {
        let mut statuses: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
        statuses.sort_unstable();
        let mut characteristics = self.characteristics.clone();
        characteristics.sort_unstable();
        let mut features = self.features.clone();
        features.sort_unstable();
        serde_json::json!([self.name, characteristics, features, statuses]).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, detail, input, venue};
    use andes_shared::dynamo::page_of;

    #[test]
    fn the_fixed_lists_are_the_seeds() {
        assert_eq!(CHARACTERISTICS.len(), 31);
        assert_eq!(FEATURES.len(), 8);
        assert!(is_characteristic("Sándwiches"));
        assert!(!is_characteristic("Sandwiches"));
        assert!(!is_characteristic("pizzas"));
        assert!(is_feature("Area fumadores"));
        assert!(!is_feature("WiFi"));
        assert_eq!(invalid_characteristic("Tacos"), "Invalid characteristic: Tacos");
        assert_eq!(invalid_feature("Pileta"), "Invalid feature: Pileta");
    }

    #[test]
    fn venue_refusals_have_the_contracts_status_and_text() {
        // Seed: a reservation at a venue that does not exist is refused (400, as the seed).
        let cases = [
            (unknown_venue_for_booking(), 400, "Venue does not exist"),
            (venue_not_found(), 404, "Venue does not exist"),
            (venue_exists(), 409, "User already has a venue"),
            (venue_has_open_reservations(), 409, "Venue has open reservations"),
        ];
        for (error, status, text) in cases {
            assert_eq!(error.status().as_u16(), status);
            assert_eq!(detail(&error), text);
        }
    }

    #[test]
    fn a_new_venue_is_available_and_its_id_is_its_owners() {
        let venue = Venue::new("owner-1", input(), at("2030-01-01T12:00:00.250Z"));
        assert_eq!(venue.status, VenueStatus::Available);
        assert_eq!((venue.id.as_str(), venue.owner.as_str()), ("owner-1", "owner-1"));
        assert_eq!(venue.created, at("2030-01-01T12:00:00Z"));
        assert_eq!(venue.updated, venue.created);
    }

    #[test]
    fn closing_opening_and_occupying_set_their_status() {
        let mut venue = venue();
        let later = at("2030-01-02T00:00:00Z");
        assert!(venue.act(VenueAction::Close, later));
        assert_eq!(venue.status, VenueStatus::Closed);
        assert_eq!(venue.updated, later);
        assert!(venue.act(VenueAction::Open, later));
        assert_eq!(venue.status, VenueStatus::Available);
        assert!(venue.act(VenueAction::Occupy, later));
        assert_eq!(venue.status, VenueStatus::Occupied);
        assert!(!venue.act(VenueAction::Occupy, at("2030-01-03T00:00:00Z")));
        assert_eq!(venue.updated, later, "no change, no new `updated`");
        assert_eq!(VenueAction::parse("close"), Some(VenueAction::Close));
        assert_eq!(VenueAction::parse("Close"), None);
        assert_eq!(VenueAction::parse("unconfirm"), None);
    }

    #[test]
    fn an_edit_changes_the_attributes_and_unconfirms() {
        let mut venue = venue();
        let edit = VenueEdit {
            name: Some("La Trattoria".into()),
            capacity: Some(60),
            pictures: Some(vec!["https://img.example/3.jpg".into()]),
            characteristics: Some(vec!["Carnes".into(), "Comida Armenia".into()]),
            features: Some(vec!["Wifi".into()]),
            reservation_lead_time: Some(20),
            menu: Some(None),
            ..VenueEdit::default()
        };
        let later = at("2030-01-02T00:00:00Z");
        assert!(venue.edit(edit, later));
        assert_eq!(venue.name, "La Trattoria");
        assert_eq!(venue.capacity, 60);
        assert_eq!(venue.characteristics, ["Carnes", "Comida Armenia"]);
        assert_eq!(venue.features, ["Wifi"]);
        assert_eq!(venue.reservation_lead_time, 20);
        assert_eq!(venue.menu, None);
        assert_eq!(venue.status, VenueStatus::Unconfirmed);
        assert_eq!(venue.updated, later);
    }

    #[test]
    fn an_edit_with_the_current_values_changes_nothing() {
        let mut venue = venue();
        let before = venue.clone();
        let same = VenueEdit {
            name: Some(before.name.clone()),
            capacity: Some(before.capacity),
            slots: Some(before.slots.clone()),
            logo: Some(before.logo.clone()),
            ..VenueEdit::default()
        };
        assert!(!venue.edit(same, at("2030-01-02T00:00:00Z")));
        assert!(!venue.edit(VenueEdit::default(), at("2030-01-02T00:00:00Z")));
        assert_eq!(venue, before);
    }

    #[test]
    fn only_a_closed_venue_refuses_reservations() {
        let mut venue = venue();
        for action in [VenueAction::Open, VenueAction::Occupy] {
            venue.act(action, at("2030-01-02T00:00:00Z"));
            assert!(venue.check_open().is_ok());
        }
        venue.edit(
            VenueEdit {
                capacity: Some(3),
                ..VenueEdit::default()
            },
            at("2030-01-02T00:00:00Z"),
        );
        assert_eq!(venue.status, VenueStatus::Unconfirmed);
        assert!(venue.check_open().is_ok());
        venue.act(VenueAction::Close, at("2030-01-02T00:00:00Z"));
        match venue.check_open() {
            Err(ApiError::Conflict(detail)) => assert_eq!(detail, "Venue is closed"),
            other => panic!("expected 409, got {other:?}"),
        }
    }

    #[test]
    fn the_wire_is_the_contracts() {
        let wire = serde_json::to_value(venue()).unwrap();
        let keys: Vec<&str> = wire.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = vec![
            "id",
            "owner",
            "name",
            "location",
            "timezone",
            "capacity",
            "logo",
            "pictures",
            "menu",
            "slots",
            "characteristics",
            "features",
            "vacations",
            "reservation_lead_time",
            "status",
            "created",
            "updated",
        ];
        let mut keys = keys;
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(wire["slots"], serde_json::json!(["20:00", "21:30"]));
        assert_eq!(wire["vacations"], serde_json::json!(["2030-01-01"]));
        assert_eq!(wire["timezone"], "America/Argentina/Buenos_Aires");
        assert_eq!(wire["status"], "Available");
        assert_eq!(wire["created"], "2030-01-01T12:00:00Z");
        let back: Venue = serde_json::from_value(wire).unwrap();
        assert_eq!(back, venue());
    }

    fn named(i: usize) -> Venue {
        let mut venue = venue();
        venue.id = format!("{i}");
        venue.name = format!("name_{}", i % 3);
        venue
    }

    #[test]
    fn filters_match_by_exact_name() {
        // Seed: nine venues named name_0, name_1, name_2 in turn; three are name_1.
        let filter = VenueFilter {
            name: Some("name_1".into()),
            ..VenueFilter::default()
        };
        let found: Vec<Venue> = (0..9).map(named).filter(|v| filter.matches(v)).collect();
        assert_eq!(found.len(), 3);
        assert!(found.iter().all(|v| v.name == "name_1"));
        let case = VenueFilter {
            name: Some("NAME_1".into()),
            ..VenueFilter::default()
        };
        assert!(!(0..9).map(named).any(|v| case.matches(&v)));
    }

    #[test]
    fn filters_need_every_characteristic_and_feature_and_one_status() {
        let venue = venue(); // Pizzas, Pasta; Wifi; Available
        let with = |characteristics: &[&str], features: &[&str], statuses: &[VenueStatus]| VenueFilter {
            name: None,
            characteristics: characteristics.iter().map(|s| s.to_string()).collect(),
            features: features.iter().map(|s| s.to_string()).collect(),
            statuses: statuses.to_vec(),
        };
        assert!(with(&[], &[], &[]).matches(&venue));
        assert!(with(&["Pizzas", "Pasta"], &["Wifi"], &[]).matches(&venue));
        assert!(!with(&["Pizzas", "Sushi"], &[], &[]).matches(&venue));
        assert!(!with(&[], &["Wifi", "Mascotas"], &[]).matches(&venue));
        assert!(with(&[], &[], &[VenueStatus::Closed, VenueStatus::Available]).matches(&venue));
        assert!(!with(&[], &[], &[VenueStatus::Closed]).matches(&venue));
    }

    #[test]
    fn filtered_lists_page_without_overlap() {
        // Seed: name_1 with limit 2 gives 2, then the remaining 1, all different.
        let filter = VenueFilter {
            name: Some("name_1".into()),
            ..VenueFilter::default()
        };
        let found: Vec<Venue> = (0..9).map(named).filter(|v| filter.matches(v)).collect();
        let scope = filter.scope();
        let first = page_of(found.clone(), &scope, 2, None).unwrap();
        assert_eq!(first.items.len(), 2);
        let second = page_of(found, &scope, 2, first.next_cursor.as_deref()).unwrap();
        assert_eq!(second.items.len(), 1);
        assert_eq!(second.next_cursor, None);
        assert!(second.items.iter().all(|v| !first.items.contains(v)));
        let other = VenueFilter::default().scope();
        assert!(page_of(vec![venue()], &other, 2, first.next_cursor.as_deref()).is_err());
    }

    #[test]
    fn filter_scopes_ignore_order() {
        let a = VenueFilter {
            characteristics: vec!["Pizzas".into(), "Pasta".into()],
            statuses: vec![VenueStatus::Closed, VenueStatus::Available],
            ..VenueFilter::default()
        };
        let b = VenueFilter {
            characteristics: vec!["Pasta".into(), "Pizzas".into()],
            statuses: vec![VenueStatus::Available, VenueStatus::Closed],
            ..VenueFilter::default()
        };
        assert_eq!(a.scope(), b.scope());
        assert_ne!(a.scope(), VenueFilter::default().scope());
    }
}
