//! The dining table: its keys and access patterns, on the shared table layer. The access
//! patterns are documented in `functions/dining/README.md`.
//!
//! One table (`DINING_TABLE`, §10 of the contract), three overloaded indexes, all sorted by id:
//! `gsi1` every item of a kind (`VENUES`), `gsi2` the items of an exact name (`NAME#…`), `gsi3`
//! the fan-out entries of a venue — one per characteristic (`CHAR#…`), per feature (`FEAT#…`)
//! and per geohash cell it lies in (`GEO#…`, precisions 1–6). A venue's partition `VENUE#{id}`
//! holds the venue item, its entries and, once reservations exist, its open-reservation index
//! (`OPEN#…`), so deleting a venue deletes one partition. The keys of the reservation slice are
//! fixed here too (`keys`), so that nothing is keyed twice.

use andes_shared::dynamo::{key, Item};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;

mod events;
mod opinions;
mod reservations;
mod slots;
mod venues;

pub use events::{Application, StoredPoints};
pub use opinions::{Filed, Marker, SummaryWrite};
pub use reservations::{stored_reservation, BookableVenue, Booking, IdempotencyRecord, StoredReservation};
pub use venues::{Removal, VenueEntry};

/// Every key of the table, by item. Ids are UUIDs and instants are written as
/// `values::wire_time` (`2030-01-05T23:00:00Z`): no key part but a name, a fixed-list value or
/// a client's `Idempotency-Key` can hold `#`, and those come last.
pub mod keys {
    /// Sort key of a venue item in its partition.
    pub const VENUE_SK: &str = "VENUE";
    /// `gsi1`: every venue, by id.
    pub const VENUES: &str = "VENUES";

    /// The partition of a venue: the venue item, its index entries, its open reservations.
    pub fn venue_pk(id: &str) -> String {
        format!("VENUE#{id}")
    }

    /// `gsi2`: the venues of an exact (case-sensitive) name.
    pub fn name_partition(name: &str) -> String {
        format!("NAME#{name}")
    }

    /// A venue's entry for one of its characteristics: its sort key in the venue's partition,
    /// and its `gsi3` partition.
    pub fn characteristic_sk(name: &str) -> String {
        format!("CHAR#{name}")
    }

    pub fn characteristic_partition(name: &str) -> String {
        format!("CHAR#{name}")
    }

    /// A venue's entry for one of its features.
    pub fn feature_sk(name: &str) -> String {
        format!("FEAT#{name}")
    }

    pub fn feature_partition(name: &str) -> String {
        format!("FEAT#{name}")
    }

    /// A venue's entry for its geohash cell of `precision` characters (one per precision).
    pub fn geo_sk(precision: usize) -> String {
        format!("GEO#{precision}")
    }

    /// `gsi3`: the venues in a geohash cell.
    pub fn geo_partition(cell: &str) -> String {
        format!("GEO#{cell}")
    }

    /// Sort-key prefix of a venue's entries (`CHAR#`, `FEAT#`, `GEO#`) — everything in a venue's
    /// partition that is neither the venue item nor an open reservation.
    pub const ENTRY_PREFIXES: [&str; 3] = ["CHAR#", "FEAT#", "GEO#"];

    // ---------------------------------------------------------------- the reservation slice

    /// The venue's open-reservation index, in the venue's own partition: one item per
    /// Unconfirmed or Accepted reservation, `OPEN#{instant}#{reservation id}`, written in the
    /// transaction that opens the reservation (or moves it to another instant) and deleted in
    /// the one that closes it. `DELETE /venues/{id}` refuses while one exists.
    pub const OPEN_PREFIX: &str = "OPEN#";

    pub fn open_sk(instant: &str, reservation_id: &str) -> String {
        format!("{OPEN_PREFIX}{instant}#{reservation_id}")
    }

    /// A reservation.
    pub const RESERVATION_SK: &str = "RES";

    pub fn reservation_pk(id: &str) -> String {
        format!("RES#{id}")
    }

    /// The seat counter of one slot start of a venue: attribute `booked` (seats held, §4.1
    /// invariant), absent = 0.
    pub const SLOT_SK: &str = "SLOT";
    /// The counter's number of seats held.
    pub const BOOKED: &str = "booked";

    pub fn slot_pk(venue_id: &str, instant: &str) -> String {
        format!("SLOT#{venue_id}#{instant}")
    }

    /// A diner's lock on an instant: held while one of their reservations there is open (§4.1
    /// step 6).
    pub const LOCK_SK: &str = "LOCK";

    pub fn diner_lock_pk(diner_id: &str, instant: &str) -> String {
        format!("DINER#{diner_id}#{instant}")
    }

    /// A caller's `Idempotency-Key` (TTL `expires_at`, 24 h).
    pub const IDEMPOTENCY_SK: &str = "IDEM";

    pub fn idempotency_pk(caller_id: &str, key: &str) -> String {
        format!("IDEM#{caller_id}#{key}")
    }

    /// The one opinion of a reservation.
    pub const OPINION_SK: &str = "OPINION";

    pub fn opinion_pk(reservation_id: &str) -> String {
        format!("OPINION#{reservation_id}")
    }

    /// `gsi1`: a diner's reservations, sorted by [`reservation_order`]; `gsi2`: a venue's.
    pub fn diner_reservations(diner_id: &str) -> String {
        format!("DINER_RES#{diner_id}")
    }

    pub fn venue_reservations(venue_id: &str) -> String {
        format!("VENUE_RES#{venue_id}")
    }

    /// `gsi3`: every Accepted reservation (the expiry sweep's candidates), a sparse index.
    pub const ACCEPTED: &str = "ACCEPTED";

    /// The sort key of a reservation in its indexes: its time, then its id (time-ordered lists,
    /// and `from_time` / `to_time` as a key range).
    pub fn reservation_order(instant: &str, reservation_id: &str) -> String {
        format!("{instant}#{reservation_id}")
    }

    /// A diner at a venue: written (never reset) when the diner books there — who may read a
    /// diner's stats and points (§2) — and the venue list's `times_assisted` / `times_expired`
    /// counters (`ADD` by the events worker).
    pub const VISIT_SK: &str = "VISIT";

    pub fn visit_pk(venue_id: &str, diner_id: &str) -> String {
        format!("VISIT#{venue_id}#{diner_id}")
    }

    /// A diner's points (`POINTS`), their stats (`STATS`); a venue's stats and summary live in
    /// the venue's partition (sort keys `STATS`, `SUMMARY`), so they go with the venue.
    pub const POINTS_SK: &str = "POINTS";
    pub const STATS_SK: &str = "STATS";
    pub const SUMMARY_SK: &str = "SUMMARY";

    pub fn points_pk(user_id: &str) -> String {
        format!("POINTS#{user_id}")
    }

    pub fn user_stats_pk(user_id: &str) -> String {
        format!("USTATS#{user_id}")
    }

    /// One (reservation, kind) event applied by the events worker (§7: exactly once).
    pub const APPLIED_SK: &str = "APPLIED";

    pub fn applied_pk(event_key: &str) -> String {
        format!("APPLIED#{event_key}")
    }
}

use keys::*;

pub(crate) fn venue_key(id: &str) -> Item {
    key(venue_pk(id), VENUE_SK)
}

/// A whole number attribute (`version`, `booked`); `None` when absent or not a number.
pub(crate) fn whole_number(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(raw)) => raw.parse().ok(),
        _ => None,
    }
}

/// The dining table's access patterns.
#[derive(Clone)]
pub struct Store {
    pub(crate) table: andes_shared::dynamo::Table,
}

impl Store {
    pub fn new(table: andes_shared::dynamo::Table) -> Self {
        Self { table }
    }
}

/// A stored item whose attributes do not parse is our bug, never the client's.
pub(crate) fn corrupt(what: &str, error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_of_the_contract() {
        let venue = "0193a000-0000-7000-8000-000000000001";
        assert_eq!(venue_pk(venue), format!("VENUE#{venue}"));
        assert_eq!(name_partition("La Pizzeria"), "NAME#La Pizzeria");
        assert_eq!(characteristic_partition("Sándwiches"), "CHAR#Sándwiches");
        assert_eq!(feature_sk("Aire libre"), "FEAT#Aire libre");
        assert_eq!(geo_partition("69y7"), "GEO#69y7");
        assert_eq!(geo_sk(6), "GEO#6");
        assert_eq!(
            slot_pk(venue, "2030-01-05T23:00:00Z"),
            format!("SLOT#{venue}#2030-01-05T23:00:00Z")
        );
        assert_eq!(
            diner_lock_pk("d-1", "2030-01-05T23:00:00Z"),
            "DINER#d-1#2030-01-05T23:00:00Z"
        );
        assert_eq!(reservation_pk("r-1"), "RES#r-1");
        assert_eq!(idempotency_pk("d-1", "k#1"), "IDEM#d-1#k#1");
        assert_eq!(opinion_pk("r-1"), "OPINION#r-1");
        assert_eq!(open_sk("2030-01-05T23:00:00Z", "r-1"), "OPEN#2030-01-05T23:00:00Z#r-1");
        assert!(open_sk("2030-01-05T23:00:00Z", "r-1").starts_with(OPEN_PREFIX));
        for prefix in ENTRY_PREFIXES {
            assert!(!prefix.starts_with(OPEN_PREFIX) && !VENUE_SK.starts_with(prefix));
        }
    }

    #[test]
    fn numbers_are_read_from_n_attributes_only() {
        let item = Item::from([
            ("version".to_string(), AttributeValue::N("3".into())),
            ("booked".to_string(), AttributeValue::S("3".into())),
        ]);
        assert_eq!(whole_number(&item, "version"), Some(3));
        assert_eq!(whole_number(&item, "booked"), None);
        assert_eq!(whole_number(&item, "absent"), None);
    }
}
