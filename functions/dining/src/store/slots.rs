//! Slot seat counters (§4.1 capacity invariant): one item per venue and slot start instant,
//! `SLOT#{venue}#{instant}` with a number `booked`. The reservation slice writes them (`ADD` in
//! the reservation's transaction, conditioned on `booked + :people <= :capacity`); availability
//! reads them here. A slot nobody booked has no item: 0 seats held.

use std::collections::HashMap;

use andes_shared::dynamo::{key, Item};
use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};

use super::keys::*;
use super::{whole_number, Store};
use crate::domain::wire_time;

pub fn slot_key(venue_id: &str, start: DateTime<Utc>) -> Item {
    key(slot_pk(venue_id, &wire_time(start)), SLOT_SK)
}

impl Store {
    /// The seats held at each of these slot starts of a venue (0 where no counter exists), in
    /// one strongly consistent BatchGetItem.
    pub async fn booked(
        &self,
        venue_id: &str,
        starts: &[DateTime<Utc>],
    ) -> Result<HashMap<DateTime<Utc>, u32>, ApiError> {
        let by_pk: HashMap<String, DateTime<Utc>> = starts
            .iter()
            .map(|start| (slot_pk(venue_id, &wire_time(*start)), *start))
            .collect();
        if by_pk.is_empty() {
            return Ok(HashMap::new());
        }
        let keys = starts.iter().map(|start| slot_key(venue_id, *start)).collect();
        let mut booked: HashMap<DateTime<Utc>, u32> = starts.iter().map(|start| (*start, 0)).collect();
        for item in self.table.batch_get(keys).await? {
            let pk = item.get("pk").and_then(|pk| pk.as_s().ok());
            if let Some(start) = pk.and_then(|pk| by_pk.get(pk)) {
                let seats = whole_number(&item, BOOKED).unwrap_or(0).clamp(0, i64::from(u32::MAX));
                booked.insert(*start, seats as u32);
            }
        }
        Ok(booked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::at;

    #[test]
    fn a_counter_is_keyed_by_venue_and_instant_in_utc() {
        let item = slot_key("v-1", at("2030-01-05T20:00:00-03:00"));
        assert_eq!(item["pk"].as_s().unwrap(), "SLOT#v-1#2030-01-05T23:00:00Z");
        assert_eq!(item["sk"].as_s().unwrap(), "SLOT");
    }
}
