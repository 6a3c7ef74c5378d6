//! Reservations as stored, and the transactions that hold the capacity invariant (§4.1).
//!
//! A reservation item (`RES#{id}`) carries the reservation of §4, its `version`, and a snapshot
//! of its venue's `venue_name` and `timezone` (the change stream's notices need them without a
//! read). It is listed by its diner (`gsi1`) and its venue (`gsi2`), sorted by time then id,
//! and, while Accepted, by the expiry sweep (`gsi3` `ACCEPTED`, a sparse index).
//!
//! Every write of a reservation is one transaction with everything its new state implies:
//! - **open** (create, or a diner's move to another instant): the slot counter takes the seats
//!   (`ADD`, conditioned on the room left under the venue's capacity as read), the diner's lock on
//!   the instant is put (absent: one open reservation per diner and instant), the venue's
//!   open-reservation entry is put, and the venue item is checked unchanged and not held by a
//!   `DELETE` (functions/dining/README.md, "`DELETE` and the reservation slice");
//! - **close** (Canceled, Assisted, Expired): the lock and the open entry are deleted; Canceled and
//!   Expired give their seats back;
//! - every write of the reservation itself is conditioned on the version read.

use std::collections::HashMap;

use andes_shared::dynamo::TransactionError;
use andes_shared::dynamo::{from_item, key, keyed_item, number, string, Change, Condition, Item, Page, Query};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::keys::*;
use super::slots::slot_key;
use super::venues::{stored_venue, DELETING_UNTIL};
use super::{corrupt, venue_key, whole_number, Store};
use crate::domain::idempotency::REPLAY_HOURS;
use crate::domain::reservation::{Reservation, ReservationFilter, ReservationStatus};
use crate::domain::slots::{seat_moves, SeatMove};
use crate::domain::{wire_time, Venue};

const VERSION: &str = "version";
/// The snapshot of the venue a reservation was booked at.
pub const VENUE_NAME: &str = "venue_name";
pub const TIMEZONE: &str = "timezone";
pub const VENUE_CREATED: &str = "venue_created";
/// The visit counters (`VISIT#{venue}#{diner}`) the events worker adds to.
pub const TIMES_ASSISTED: &str = "times_assisted";
pub const TIMES_EXPIRED: &str = "times_expired";
/// The idempotency record's TTL attribute (epoch seconds).
const EXPIRES_AT: &str = "expires_at";

/// A reservation as stored: the reservation, its version, and its venue's name and zone when it
/// was booked.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReservation {
    pub reservation: Reservation,
    pub version: u64,
    pub venue_name: String,
    pub timezone: String,
    /// The venue's `created` when it was booked: the incarnation of the venue it belongs to (a
    /// venue deleted and created again by the same owner is another one).
    pub venue_created: DateTime<Utc>,
}

/// A venue read for a booking: the venue, its version, and whether a `DELETE` holds it now.
#[derive(Debug, Clone)]
pub struct BookableVenue {
    pub venue: Venue,
    pub version: u64,
    pub held: bool,
}

/// The first answer to a caller's `Idempotency-Key` (§4.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub fingerprint: String,
    /// The reservation as first answered (201).
    pub answer: Reservation,
}

/// What a booking transaction found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booking {
    Done,
    /// The diner already holds an open reservation at that instant (409, §4.1 step 6).
    DinerBusy,
    /// The slot has no room for the seats (409, step 7).
    Full,
    /// The venue changed, is gone, or a `DELETE` holds it: read it again and decide again.
    VenueChanged,
    /// The reservation changed since it was read: read it again.
    Stale,
    /// Another request with the same `Idempotency-Key` got there first: replay its answer.
    KeyTaken,
}

/// A reservation item: the reservation, its version, the venue snapshot, its index keys.
pub fn reservation_item(stored: &StoredReservation) -> Result<Item, ApiError> {
    let reservation = &stored.reservation;
    let mut item = keyed_item(reservation, reservation_pk(&reservation.id), RESERVATION_SK)?;
    let order = reservation_order(&wire_time(reservation.time), &reservation.id);
    item.insert(VERSION.into(), number(stored.version as i64));
    item.insert(VENUE_NAME.into(), string(&stored.venue_name));
    item.insert(TIMEZONE.into(), string(&stored.timezone));
    item.insert(VENUE_CREATED.into(), string(wire_time(stored.venue_created)));
    item.insert("gsi1pk".into(), string(diner_reservations(&reservation.user)));
    item.insert("gsi1sk".into(), string(&order));
    item.insert("gsi2pk".into(), string(venue_reservations(&reservation.venue)));
    item.insert("gsi2sk".into(), string(&order));
    if reservation.status == ReservationStatus::Accepted {
        item.insert("gsi3pk".into(), string(ACCEPTED));
        item.insert("gsi3sk".into(), string(order));
    }
    Ok(item)
}

/// A reservation item read back (also from a stream image).
pub fn stored_reservation(item: Item) -> Result<StoredReservation, ApiError> {
    let version = whole_number(&item, VERSION)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| corrupt("reservation item", "no version"))?;
    let text = |name: &str| {
        item.get(name)
            .and_then(|value| value.as_s().ok())
            .cloned()
            .ok_or_else(|| corrupt("reservation item", format!("no {name}")))
    };
    let (venue_name, timezone) = (text(VENUE_NAME)?, text(TIMEZONE)?);
    let venue_created = crate::domain::parse_time(&text(VENUE_CREATED)?)
        .ok_or_else(|| corrupt("reservation item", "venue_created is not a time"))?;
    Ok(StoredReservation {
        reservation: from_item(item)?,
        version,
        venue_name,
        timezone,
        venue_created,
    })
}

/// The venue item must be as read (`version`) and not held by a `DELETE` (`deleting_until` in
/// the future).
fn venue_unchanged(version: u64, now: DateTime<Utc>) -> Condition {
    Condition::version(version).and(
        Condition::new("attribute_not_exists(#deleting_until) OR #deleting_until < :now")
            .name(DELETING_UNTIL)
            .value(":now", number(now.timestamp())),
    )
}

/// The key range of a list's `from_time` / `to_time` (inclusive) over `{time}#{id}` sort keys.
fn time_range(query: Query, filter: &ReservationFilter) -> Query {
    // `~` sorts after every character of an id, so `{to}#~` is past every id at `to`.
    let high = |to: DateTime<Utc>| format!("{}#~", wire_time(to));
    match (filter.from_time, filter.to_time) {
        (Some(from), Some(to)) => query.between(wire_time(from), high(to)),
        (Some(from), None) => query.from(wire_time(from)),
        (None, Some(to)) => query.until(high(to)),
        (None, None) => query,
    }
}

/// The rest of a list's filter (statuses, venue, people), in the query.
fn list_filter(filter: &ReservationFilter) -> Option<Condition> {
    let mut clauses = Vec::new();
    let mut names = Vec::new();
    let mut values = Vec::new();
    if !filter.statuses.is_empty() {
        let mut statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let placeholders: Vec<String> = (0..statuses.len()).map(|i| format!(":st{i}")).collect();
        clauses.push(format!("#status IN ({})", placeholders.join(", ")));
        names.push("status");
        values.extend(placeholders.into_iter().zip(statuses.into_iter().map(string)));
    }
    if let Some(venue) = &filter.venue {
        clauses.push("#venue = :venue".to_string());
        names.push("venue");
        values.push((":venue".to_string(), string(venue)));
    }
    if let Some(from) = filter.from_people {
        clauses.push("#people >= :from_people".to_string());
        names.push("people");
        values.push((":from_people".to_string(), number(i64::from(from))));
    }
    if let Some(to) = filter.to_people {
        clauses.push("#people <= :to_people".to_string());
        names.push("people");
        values.push((":to_people".to_string(), number(i64::from(to))));
    }
    if clauses.is_empty() {
        return None;
    }
    let condition = names
        .into_iter()
        .fold(Condition::new(clauses.join(" AND ")), Condition::name);
    Some(values.into_iter().fold(condition, |condition, (placeholder, value)| {
        condition.value(&placeholder, value)
    }))
}

impl Store {
    /// A reservation and its version, strongly consistent.
    pub async fn reservation(&self, id: &str) -> Result<Option<(Reservation, u64)>, ApiError> {
        Ok(self
            .stored_reservation(id)
            .await?
            .map(|stored| (stored.reservation, stored.version)))
    }

    /// A reservation as stored, strongly consistent.
    pub async fn stored_reservation(&self, id: &str) -> Result<Option<StoredReservation>, ApiError> {
        let item = self.table.get_item(key(reservation_pk(id), RESERVATION_SK)).await?;
        item.map(stored_reservation).transpose()
    }

    /// A venue as a booking reads it (strongly consistent), with its `DELETE` hold.
    pub async fn bookable_venue(&self, id: &str, now: DateTime<Utc>) -> Result<Option<BookableVenue>, ApiError> {
        let Some(item) = self.table.get_item(venue_key(id)).await? else {
            return Ok(None);
        };
        let held = whole_number(&item, DELETING_UNTIL).is_some_and(|until| until >= now.timestamp());
        let (venue, version) = stored_venue(item)?;
        Ok(Some(BookableVenue { venue, version, held }))
    }

    /// A caller's `Idempotency-Key` record, while it replays (24 h).
    pub async fn idempotency_record(
        &self,
        caller: &str,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, ApiError> {
        let Some(item) = self
            .table
            .get_item(key(idempotency_pk(caller, idempotency_key), IDEMPOTENCY_SK))
            .await?
        else {
            return Ok(None);
        };
        // TTL deletes lazily: an expired record no longer replays.
        if whole_number(&item, EXPIRES_AT).is_some_and(|at| at < now.timestamp()) {
            return Ok(None);
        }
        from_item(item).map(Some)
    }

    /// Books `reservation` (new, `Unconfirmed`) at `venue` read at `venue_version`, in one
    /// transaction: the reservation, the diner's lock on the instant, the seats, the venue's
    /// open-reservation entry, the check that the venue is as read, the diner's visit, and the
    /// `Idempotency-Key` record when there is one.
    pub async fn book(
        &self,
        reservation: &Reservation,
        venue: &BookableVenue,
        idempotency: Option<(&str, &IdempotencyRecord)>,
        now: DateTime<Utc>,
    ) -> Result<Booking, ApiError> {
        let instant = wire_time(reservation.time);
        let stored = StoredReservation {
            reservation: reservation.clone(),
            version: 1,
            venue_name: venue.venue.name.clone(),
            timezone: venue.venue.timezone.name().to_string(),
            venue_created: venue.venue.created,
        };
        let take = SeatMove {
            start: reservation.time,
            delta: i64::from(reservation.people),
        };
        let visit = Change::new(key(visit_pk(&reservation.venue, &reservation.user), VISIT_SK))
            .set("venue", string(&reservation.venue))
            .set("diner", string(&reservation.user));
        let mut writes = vec![
            self.table
                .put_tx(reservation_item(&stored)?, Some(Condition::absent()))?,
            self.lock_tx(reservation, &instant)?,
            self.seats_tx(&reservation.venue, take, venue.venue.capacity)?,
            self.open_entry_tx(reservation, &instant)?,
            self.table
                .check_tx(venue_key(&reservation.venue), venue_unchanged(venue.version, now))?,
            self.table.change_tx(visit)?,
        ];
        if let Some((idempotency_key, record)) = idempotency {
            let mut item = keyed_item(
                record,
                idempotency_pk(&reservation.user, idempotency_key),
                IDEMPOTENCY_SK,
            )?;
            item.insert(
                EXPIRES_AT.into(),
                number((now + Duration::hours(REPLAY_HOURS)).timestamp()),
            );
            let free = Condition::new("attribute_not_exists(pk) OR #expires_at < :now")
                .name(EXPIRES_AT)
                .value(":now", number(now.timestamp()));
            writes.push(self.table.put_tx(item, Some(free))?);
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(Booking::Done),
            Err(failure @ TransactionError::Conditions(_)) => Ok(if failure.failed(6) {
                Booking::KeyTaken
            } else if failure.failed(4) {
                Booking::VenueChanged
            } else if failure.failed(1) {
                Booking::DinerBusy
            } else if failure.failed(2) {
                Booking::Full
            } else {
                return Err(ApiError::internal(format!(
                    "booking {} failed: {failure:?}",
                    reservation.id
                )));
            }),
            // Still contended after the shared layer's retries (every booking at a venue checks
            // the venue item, so they serialise on AWS): read again and decide again, rather
            // than a 503 while the slot may have room.
            Err(TransactionError::Other(ApiError::Unavailable(_))) => Ok(Booking::Stale),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Writes `after` over `before` (read at `before.version`) with everything the change
    /// implies (see the module doc). `venue` (as read, with its version) is needed when seats
    /// are taken — a diner's change of time or people — and checked unchanged then.
    pub async fn save_reservation(
        &self,
        before: &StoredReservation,
        after: &Reservation,
        venue: Option<&BookableVenue>,
        now: DateTime<Utc>,
    ) -> Result<Booking, ApiError> {
        let old = &before.reservation;
        let next = StoredReservation {
            reservation: after.clone(),
            version: before.version + 1,
            ..before.clone()
        };
        let mut writes = vec![self
            .table
            .put_tx(reservation_item(&next)?, Some(Condition::version(before.version)))?];
        // Indexes of the items whose failure means something: the new lock, taken seats, the venue.
        let (mut lock_at, mut seats_at, mut venue_at) = (None, Vec::new(), None);
        let old_instant = wire_time(old.time);
        if old.status.is_open() && after.status.is_closed() {
            writes.push(self.table.delete_tx(lock_key(old, &old_instant), None)?);
            writes.push(self.table.delete_tx(open_entry_key(old, &old_instant), None)?);
            if !after.status.holds_seats() {
                let release = SeatMove {
                    start: old.time,
                    delta: -i64::from(old.people),
                };
                writes.push(self.seats_tx(&old.venue, release, 0)?);
            }
        } else if after.status.is_open() && (after.time != old.time || after.people != old.people) {
            let venue = venue.ok_or_else(|| ApiError::internal("a change of time or people needs its venue"))?;
            for take in seat_moves((old.time, old.people), (after.time, after.people)) {
                if take.needs_room() {
                    seats_at.push(writes.len());
                }
                writes.push(self.seats_tx(&old.venue, take, venue.venue.capacity)?);
            }
            if after.time != old.time {
                let instant = wire_time(after.time);
                writes.push(self.table.delete_tx(lock_key(old, &old_instant), None)?);
                writes.push(self.table.delete_tx(open_entry_key(old, &old_instant), None)?);
                lock_at = Some(writes.len());
                writes.push(self.lock_tx(after, &instant)?);
                writes.push(self.open_entry_tx(after, &instant)?);
            }
            venue_at = Some(writes.len());
            writes.push(
                self.table
                    .check_tx(venue_key(&old.venue), venue_unchanged(venue.version, now))?,
            );
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(Booking::Done),
            Err(failure @ TransactionError::Conditions(_)) => Ok(if failure.failed(0) {
                Booking::Stale
            } else if venue_at.is_some_and(|at| failure.failed(at)) {
                Booking::VenueChanged
            } else if lock_at.is_some_and(|at| failure.failed(at)) {
                Booking::DinerBusy
            } else if seats_at.iter().any(|at| failure.failed(*at)) {
                Booking::Full
            } else {
                return Err(ApiError::internal(format!(
                    "saving reservation {} failed: {failure:?}",
                    old.id
                )));
            }),
            // Still contended after the shared layer's retries (every booking at a venue checks
            // the venue item, so they serialise on AWS): read again and decide again, rather
            // than a 503 while the slot may have room.
            Err(TransactionError::Other(ApiError::Unavailable(_))) => Ok(Booking::Stale),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// `GET /reservations`: a diner's reservations, time descending then id, one page.
    pub async fn diner_reservations(
        &self,
        diner: &str,
        filter: &ReservationFilter,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Reservation>, ApiError> {
        self.reservations_of(Query::index("gsi1", diner_reservations(diner)), filter, limit, cursor)
            .await
    }

    /// `GET /me/venue/reservations`: a venue's reservations, time descending then id, one page.
    pub async fn venue_reservations(
        &self,
        venue: &str,
        filter: &ReservationFilter,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Reservation>, ApiError> {
        self.reservations_of(Query::index("gsi2", venue_reservations(venue)), filter, limit, cursor)
            .await
    }

    async fn reservations_of(
        &self,
        query: Query,
        filter: &ReservationFilter,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Reservation>, ApiError> {
        let mut query = time_range(query, filter).backward();
        if let Some(condition) = list_filter(filter) {
            query = query.filter(condition);
        }
        self.table.query_page(&query, limit, cursor).await?.parse()
    }

    /// The ids of the Accepted reservations whose time is at or before `until` (the expiry
    /// sweep, which reads and decides each again), oldest first. Only the ids are read here: one
    /// item that does not parse holds up only itself.
    pub async fn accepted_until(&self, until: DateTime<Utc>) -> Result<Vec<String>, ApiError> {
        let query = Query::index("gsi3", ACCEPTED).until(format!("{}#~", wire_time(until)));
        Ok(self
            .table
            .query_all(&query)
            .await?
            .iter()
            .filter_map(|item| item.get("id").and_then(|id| id.as_s().ok()).cloned())
            .collect())
    }

    /// The visits of these diners at a venue: `(times_assisted, times_expired)` by diner id (0
    /// for a counter not there yet), one BatchGetItem round.
    pub async fn visits(&self, venue: &str, diners: &[&str]) -> Result<HashMap<String, (u64, u64)>, ApiError> {
        if diners.is_empty() {
            return Ok(HashMap::new());
        }
        let keys = diners
            .iter()
            .map(|diner| key(visit_pk(venue, diner), VISIT_SK))
            .collect();
        let count = |item: &Item, name: &str| {
            whole_number(item, name)
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0)
        };
        Ok(self
            .table
            .batch_get(keys)
            .await?
            .into_iter()
            .filter_map(|item| {
                let diner = item.get("diner")?.as_s().ok()?.clone();
                Some((diner, (count(&item, TIMES_ASSISTED), count(&item, TIMES_EXPIRED))))
            })
            .collect())
    }

    /// Puts the diner's lock on the instant (absent: one open reservation per diner and instant).
    fn lock_tx(&self, reservation: &Reservation, instant: &str) -> Result<TransactWriteItem, ApiError> {
        let mut item = lock_key(reservation, instant);
        item.insert("reservation".into(), string(&reservation.id));
        self.table.put_tx(item, Some(Condition::absent()))
    }

    /// Puts the venue's open-reservation entry.
    fn open_entry_tx(&self, reservation: &Reservation, instant: &str) -> Result<TransactWriteItem, ApiError> {
        self.table.put_tx(open_entry_key(reservation, instant), None)
    }

    /// Moves seats on a slot's counter: a take is conditioned on the room left under `capacity`
    /// (`booked + delta <= capacity`, written as `booked <= capacity - delta`: conditions have no
    /// arithmetic); a release never is.
    fn seats_tx(&self, venue: &str, seats: SeatMove, capacity: u32) -> Result<TransactWriteItem, ApiError> {
        let change = Change::new(slot_key(venue, seats.start)).add(BOOKED, seats.delta);
        let change = if seats.needs_room() {
            let room = i64::from(capacity) - seats.delta;
            change.when(
                Condition::new("attribute_not_exists(#booked) OR #booked <= :room")
                    .name(BOOKED)
                    .value(":room", number(room)),
            )
        } else {
            change
        };
        self.table.change_tx(change)
    }
}

fn lock_key(reservation: &Reservation, instant: &str) -> Item {
    key(diner_lock_pk(&reservation.user, instant), LOCK_SK)
}

fn open_entry_key(reservation: &Reservation, instant: &str) -> Item {
    key(venue_pk(&reservation.venue), open_sk(instant, &reservation.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, reservation};

    fn stored(status: ReservationStatus) -> StoredReservation {
        let mut reservation = reservation();
        reservation.status = status;
        StoredReservation {
            reservation,
            version: 3,
            venue_name: "La Pizzeria".into(),
            timezone: "America/Argentina/Buenos_Aires".into(),
            venue_created: at("2030-01-01T12:00:00Z"),
        }
    }

    #[test]
    fn an_item_reads_back_as_it_was_written() {
        for status in ReservationStatus::ALL {
            let written = stored(status);
            assert_eq!(
                stored_reservation(reservation_item(&written).unwrap()).unwrap(),
                written
            );
        }
    }

    #[test]
    fn only_accepted_reservations_are_in_the_expiry_index() {
        for status in ReservationStatus::ALL {
            let item = reservation_item(&stored(status)).unwrap();
            assert_eq!(
                item.contains_key("gsi3pk"),
                status == ReservationStatus::Accepted,
                "{status:?}"
            );
        }
        let item = reservation_item(&stored(ReservationStatus::Accepted)).unwrap();
        let r = reservation();
        assert_eq!(
            item["gsi1sk"].as_s().unwrap(),
            &format!("{}#{}", wire_time(r.time), r.id)
        );
        assert_eq!(item["gsi1pk"].as_s().unwrap(), &format!("DINER_RES#{}", r.user));
        assert_eq!(item["gsi2pk"].as_s().unwrap(), &format!("VENUE_RES#{}", r.venue));
    }

    #[test]
    fn a_time_range_covers_every_id_at_its_ends() {
        let filter = ReservationFilter {
            from_time: Some(at("2030-01-05T20:00:00-03:00")),
            to_time: Some(at("2030-01-06T00:00:00Z")),
            ..ReservationFilter::default()
        };
        let high = "2030-01-06T00:00:00Z#~";
        let id = "0193a000-ffff-7fff-bfff-ffffffffffff";
        assert!(format!("2030-01-06T00:00:00Z#{id}").as_str() < high);
        assert!("2030-01-06T00:00:01Z#0" > high);
        let _ = time_range(Query::index("gsi1", "DINER_RES#d"), &filter);
    }

    #[test]
    fn list_filters_name_what_they_compare() {
        assert!(list_filter(&ReservationFilter::default()).is_none());
        let filter = ReservationFilter {
            statuses: vec![ReservationStatus::Accepted, ReservationStatus::Unconfirmed],
            venue: Some("v-1".into()),
            from_people: Some(2),
            to_people: Some(4),
            ..ReservationFilter::default()
        };
        let condition = format!("{:?}", list_filter(&filter).unwrap());
        assert!(
            condition.contains(
                "#status IN (:st0, :st1) AND #venue = :venue AND #people >= :from_people AND #people <= :to_people"
            ),
            "{condition}"
        );
    }
}
