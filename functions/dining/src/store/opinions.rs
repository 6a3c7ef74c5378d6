//! Opinions and summaries as stored (§6).
//!
//! - **Opinion** `OPINION#{reservation}` / `OPINION`: the opinion's JSON, written once
//!   (`attribute_not_exists(pk)`: two racing POSTs, one 201). Listed per venue by `gsi2`
//!   `OPINIONS#{venue}#{venue created}` / `{date}#{id}`, newest first, `from` / `to` a key range.
//!   The partition names the venue's *incarnation* (its `created`): a venue deleted and created
//!   again by the same owner (same id) reads a new, empty partition, and an opinion on a
//!   reservation booked at an earlier incarnation is filed under none (it stays the
//!   reservation's: the diner's history shows it).
//! - **Marker** `VENUE#{venue}` / `OPINED`, in the venue's partition (deleted with it): written in
//!   each opinion's transaction with a ConditionCheck that the venue exists as read (same
//!   `created`); `gsi1` `OPINED` / `{last opinion date}#{venue}` is the summaries sweep's sparse
//!   index of venues with recent opinions (no Scan).
//! - **Summary** `VENUE#{venue}` / `SUMMARY`: the `Summary` JSON and the incarnation it was made
//!   for (a summary of an earlier incarnation reads as none).

use std::collections::HashMap;

use andes_shared::dynamo::{from_item, key, keyed_item, string, Condition, Item, Page, Query, TransactionError};
use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};

use super::keys::*;
use super::{corrupt, venue_key, Store};
use crate::domain::opinions::{Opinion, OpinionsQuery};
use crate::domain::summaries::Summary;
use crate::domain::{wire_time, Venue};

/// `gsi1` partition of the venues with opinions (one marker each), sorted by last opinion date.
pub const OPINED: &str = "OPINED";
/// Sort key of a venue's opinion marker in its partition.
pub const OPINED_SK: &str = "OPINED";
/// The venue incarnation (its `created`, as written on the wire) a marker or summary belongs to.
pub const INCARNATION: &str = "incarnation";
/// The date of the venue's last opinion, on its marker.
pub const LAST: &str = "last";
/// `~` sorts after every character of an id: `{time}#~` is past every id at `time`.
const PAST_EVERY_ID: &str = "~";

/// `gsi2`: the opinions of one incarnation of a venue.
pub fn opinions_partition(venue_id: &str, created: DateTime<Utc>) -> String {
    format!("OPINIONS#{venue_id}#{}", wire_time(created))
}

/// Sort key of an opinion in its venue's list (and of a marker in `OPINED`): date, then id.
pub fn dated_order(date: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", wire_time(date))
}

/// An opinion item; filed under `venue` (the incarnation the reservation was booked at) if any.
pub fn opinion_item(opinion: &Opinion, venue: Option<&Venue>) -> Result<Item, ApiError> {
    let mut item = keyed_item(opinion, opinion_pk(&opinion.reservation), OPINION_SK)?;
    if let Some(venue) = venue {
        item.insert("gsi2pk".into(), string(opinions_partition(&venue.id, venue.created)));
        item.insert("gsi2sk".into(), string(dated_order(opinion.date, &opinion.id)));
    }
    Ok(item)
}

/// The marker of a venue with an opinion dated `last`.
pub fn marker_item(venue: &Venue, last: DateTime<Utc>) -> Item {
    let mut item = key(venue_pk(&venue.id), OPINED_SK);
    item.insert("gsi1pk".into(), string(OPINED));
    item.insert("gsi1sk".into(), string(dated_order(last, &venue.id)));
    item.insert(LAST.into(), string(wire_time(last)));
    item.insert(INCARNATION.into(), string(wire_time(venue.created)));
    item
}

/// A summary item of this incarnation of its venue.
pub fn summary_item(venue: &Venue, summary: &Summary) -> Result<Item, ApiError> {
    let mut item = keyed_item(summary, venue_pk(&venue.id), SUMMARY_SK)?;
    item.insert(INCARNATION.into(), string(wire_time(venue.created)));
    Ok(item)
}

/// The venue item is the incarnation read (it exists, with the same `created`).
fn same_venue(venue: &Venue) -> Condition {
    Condition::new("#created = :created")
        .name("created")
        .value(":created", string(wire_time(venue.created)))
}

/// The item belongs to this incarnation.
fn of_incarnation(created: &str) -> Condition {
    Condition::new("#incarnation = :incarnation")
        .name(INCARNATION)
        .value(":incarnation", string(created))
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|value| value.as_s().ok()).map(String::as_str)
}

/// The key range of `from` / `to` (inclusive) over `{date}#{id}` sort keys; `None` when no date
/// can be in it. Dates are whole seconds: `from` rounds up, `to` down.
fn date_range(query: Query, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<Query> {
    let low = from.map(|from| wire_time(round_up(clamp(from))));
    let high = to.map(|to| format!("{}#{PAST_EVERY_ID}", wire_time(clamp(to))));
    Some(match (low, high) {
        (Some(low), Some(high)) if low > high => return None,
        (Some(low), Some(high)) => query.between(low, high),
        (Some(low), None) => query.from(low),
        (None, Some(high)) => query.until(high),
        (None, None) => query,
    })
}

/// A whole second at or after `time`.
fn round_up(time: DateTime<Utc>) -> DateTime<Utc> {
    let whole = crate::domain::values::whole_seconds(time);
    if whole < time {
        whole + chrono::Duration::seconds(1)
    } else {
        whole
    }
}

/// Within the years a key can sort (0000–9999 written with four digits).
fn clamp(time: DateTime<Utc>) -> DateTime<Utc> {
    let first = DateTime::<Utc>::from_timestamp(-62_167_219_200, 0).unwrap_or(time);
    let last = DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or(time);
    time.clamp(first, last)
}

/// What writing an opinion found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    Created,
    /// The reservation already has one (409).
    Exists,
    /// The venue is no longer the incarnation read (deleted, or created again): read it again.
    VenueChanged,
}

/// A venue's opinion marker, as the summaries sweep reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub venue: String,
    /// The venue's `created` (wire) when the marker was written.
    pub incarnation: String,
    pub last: DateTime<Utc>,
}

impl Marker {
    /// Whether the marker was written for this incarnation of its venue.
    pub fn belongs_to(&self, venue: &Venue) -> bool {
        self.venue == venue.id && self.incarnation == wire_time(venue.created)
    }
}

fn marker(item: Item) -> Result<Marker, ApiError> {
    let pk = text(&item, "pk").ok_or_else(|| corrupt("opinion marker", "no pk"))?;
    let venue = pk
        .strip_prefix("VENUE#")
        .ok_or_else(|| corrupt("opinion marker", format!("pk {pk}")))?
        .to_string();
    let incarnation = text(&item, INCARNATION)
        .ok_or_else(|| corrupt("opinion marker", "no incarnation"))?
        .to_string();
    let last = text(&item, LAST)
        .and_then(crate::domain::parse_time)
        .ok_or_else(|| corrupt("opinion marker", "no last"))?;
    Ok(Marker {
        venue,
        incarnation,
        last,
    })
}

/// What writing a summary found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryWrite {
    Written,
    /// The stored summary is not due any more (another sweep made a newer one).
    NotDue,
    /// The venue is gone or is another incarnation.
    VenueChanged,
}

impl Store {
    /// The opinions of these reservations that exist, by reservation id (one BatchGetItem per
    /// 100, strongly consistent).
    pub async fn opinions_of(&self, reservation_ids: &[&str]) -> Result<HashMap<String, Opinion>, ApiError> {
        if reservation_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut ids: Vec<&str> = reservation_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let keys = ids.iter().map(|id| key(opinion_pk(id), OPINION_SK)).collect();
        self.table
            .batch_get(keys)
            .await?
            .into_iter()
            .map(|item| from_item::<Opinion>(item).map(|opinion| (opinion.reservation.clone(), opinion)))
            .collect()
    }

    /// The opinion of a reservation, strongly consistent.
    pub async fn opinion(&self, reservation_id: &str) -> Result<Option<Opinion>, ApiError> {
        self.table.get(key(opinion_pk(reservation_id), OPINION_SK)).await
    }

    /// Writes a new opinion, filed under `venue` — the incarnation its reservation was booked at,
    /// `None` when that is gone — with the venue's marker, in one transaction that checks the
    /// venue is still that incarnation.
    pub async fn create_opinion(&self, opinion: &Opinion, venue: Option<&Venue>) -> Result<Filed, ApiError> {
        let mut writes = vec![self
            .table
            .put_tx(opinion_item(opinion, venue)?, Some(Condition::absent()))?];
        if let Some(venue) = venue {
            writes.push(self.table.check_tx(venue_key(&venue.id), same_venue(venue))?);
            writes.push(self.table.put_tx(marker_item(venue, opinion.date), None)?);
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(Filed::Created),
            Err(failed @ TransactionError::Conditions(_)) if failed.failed(0) => Ok(Filed::Exists),
            Err(TransactionError::Conditions(_)) => Ok(Filed::VenueChanged),
            // Contention that outlasted the retries: if an opinion is there by now, that is the answer.
            // (Ours, if the write went through and only its answer was lost.)
            Err(TransactionError::Other(error)) => match self.opinion(&opinion.reservation).await? {
                Some(stored) if stored.id == opinion.id => Ok(Filed::Created),
                Some(_) => Ok(Filed::Exists),
                None => Err(error),
            },
        }
    }

    /// `GET /opinions`: one page of the opinions of this incarnation of `venue` dated in
    /// `[from, to]`, newest first (date, then id, both descending).
    pub async fn list_opinions(
        &self,
        venue: &Venue,
        query: &OpinionsQuery,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Opinion>, ApiError> {
        let partition = Query::index("gsi2", opinions_partition(&venue.id, venue.created)).backward();
        let Some(list) = date_range(partition, query.from, query.to) else {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        };
        self.table.query_page(&list, limit, cursor).await?.parse()
    }

    /// Every opinion of this incarnation of `venue` dated in `[from, to]` (the sweep's window).
    pub async fn venue_opinions(
        &self,
        venue: &Venue,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Opinion>, ApiError> {
        let partition = Query::index("gsi2", opinions_partition(&venue.id, venue.created));
        let Some(query) = date_range(partition, Some(from), Some(to)) else {
            return Ok(Vec::new());
        };
        self.table.query_all(&query).await?.into_iter().map(from_item).collect()
    }

    /// The markers of venues whose last opinion is dated at or after `since`.
    pub async fn opined_since(&self, since: DateTime<Utc>) -> Result<Vec<Marker>, ApiError> {
        let query = Query::index("gsi1", OPINED).from(wire_time(round_up(clamp(since))));
        self.table.query_all(&query).await?.into_iter().map(marker).collect()
    }

    /// Removes a marker left by an incarnation of its venue that is gone (unless an opinion has
    /// rewritten it since).
    pub async fn forget_marker(&self, marker: &Marker) -> Result<(), ApiError> {
        self.table
            .delete_if(
                key(venue_pk(&marker.venue), OPINED_SK),
                of_incarnation(&marker.incarnation),
            )
            .await?;
        Ok(())
    }

    /// The summary of this incarnation of `venue`, if any (strongly consistent).
    pub async fn summary(&self, venue: &Venue) -> Result<Option<Summary>, ApiError> {
        let Some(item) = self.table.get_item(key(venue_pk(&venue.id), SUMMARY_SK)).await? else {
            return Ok(None);
        };
        if text(&item, INCARNATION) != Some(wire_time(venue.created).as_str()) {
            return Ok(None);
        }
        from_item(item).map(Some)
    }

    /// Writes `summary` for this incarnation of `venue` if the stored one (of this incarnation)
    /// is dated at or before `due` — none, or old enough to be replaced — and the venue is still
    /// that incarnation.
    pub async fn save_summary(
        &self,
        venue: &Venue,
        summary: &Summary,
        due: DateTime<Utc>,
    ) -> Result<SummaryWrite, ApiError> {
        let created = wire_time(venue.created);
        let replaceable = Condition::new("attribute_not_exists(pk) OR #incarnation <> :incarnation OR #date <= :due")
            .name(INCARNATION)
            .name("date")
            .value(":incarnation", string(&created))
            .value(":due", string(wire_time(due)));
        let writes = vec![
            self.table.put_tx(summary_item(venue, summary)?, Some(replaceable))?,
            self.table.check_tx(venue_key(&venue.id), same_venue(venue))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(SummaryWrite::Written),
            Err(failed @ TransactionError::Conditions(_)) if failed.failed(1) => Ok(SummaryWrite::VenueChanged),
            Err(TransactionError::Conditions(_)) => Ok(SummaryWrite::NotDue),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, reservation, venue};
    use crate::domain::ReservationStatus;
    use crate::store::venues::same_incarnation;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn s<'a>(item: &'a Item, name: &str) -> &'a str {
        text(item, name).unwrap_or_else(|| panic!("no {name}"))
    }

    fn opinion() -> Opinion {
        let mut assisted = reservation();
        assisted.status = ReservationStatus::Assisted;
        let mut opinion = Opinion::new(&assisted, "Muy rico.".into(), at("2030-01-07T10:00:00Z"));
        opinion.id = "0193a000-0000-7000-8000-00000000000a".into();
        opinion
    }

    #[test]
    fn an_opinion_is_keyed_by_its_reservation_and_listed_under_its_venues_incarnation() {
        let venue = venue();
        let item = opinion_item(&opinion(), Some(&venue)).unwrap();
        assert_eq!(s(&item, "pk"), "OPINION#0193a000-0000-7000-8000-000000000001");
        assert_eq!(s(&item, "sk"), "OPINION");
        assert_eq!(s(&item, "gsi2pk"), "OPINIONS#owner-1#2030-01-01T12:00:00Z");
        assert_eq!(
            s(&item, "gsi2sk"),
            "2030-01-07T10:00:00Z#0193a000-0000-7000-8000-00000000000a"
        );
        assert_eq!(s(&item, "date"), "2030-01-07T10:00:00Z");
        assert_eq!(from_item::<Opinion>(item).unwrap(), opinion());
        let unfiled = opinion_item(&opinion(), None).unwrap();
        assert!(!unfiled.contains_key("gsi2pk") && !unfiled.contains_key("gsi2sk"));
    }

    #[test]
    fn a_venue_created_again_is_another_incarnation() {
        let venue = venue();
        assert!(same_incarnation(&venue, venue.created));
        assert!(!same_incarnation(&venue, at("2030-01-01T11:59:59Z")));
        assert!(
            !same_incarnation(&venue, at("2030-01-05T15:00:00Z")),
            "created again since"
        );
        let mut again = venue.clone();
        again.created = at("2030-02-01T00:00:00Z");
        assert_ne!(
            opinions_partition(&venue.id, venue.created),
            opinions_partition(&again.id, again.created)
        );
    }

    #[test]
    fn the_marker_sorts_venues_by_their_last_opinion() {
        let item = marker_item(&venue(), at("2030-01-07T10:00:00Z"));
        assert_eq!((s(&item, "pk"), s(&item, "sk")), ("VENUE#owner-1", "OPINED"));
        assert_eq!(s(&item, "gsi1pk"), "OPINED");
        assert_eq!(s(&item, "gsi1sk"), "2030-01-07T10:00:00Z#owner-1");
        let read = marker(item).unwrap();
        assert_eq!(
            read,
            Marker {
                venue: "owner-1".into(),
                incarnation: "2030-01-01T12:00:00Z".into(),
                last: at("2030-01-07T10:00:00Z"),
            }
        );
        assert!(read.belongs_to(&venue()));
        let mut again = venue();
        again.created = at("2030-02-01T00:00:00Z");
        assert!(!read.belongs_to(&again), "a venue created again is another incarnation");
        assert!(marker(key("RES#x", OPINED_SK)).is_err());
    }

    #[test]
    fn a_summary_carries_its_incarnation() {
        let summary = Summary {
            venue: "owner-1".into(),
            text: "Muy rico.".into(),
            date: at("2030-03-01T04:00:00Z"),
            opinions_count: 5,
            from: at("2030-01-15T04:00:00Z"),
            to: at("2030-03-01T04:00:00Z"),
        };
        let item = summary_item(&venue(), &summary).unwrap();
        assert_eq!((s(&item, "pk"), s(&item, "sk")), ("VENUE#owner-1", "SUMMARY"));
        assert_eq!(s(&item, INCARNATION), "2030-01-01T12:00:00Z");
        assert_eq!(item.get("opinions_count"), Some(&AttributeValue::N("5".into())));
        assert_eq!(from_item::<Summary>(item).unwrap(), summary);
    }

    fn range(from: Option<&str>, to: Option<&str>) -> Option<String> {
        date_range(Query::index("gsi2", "P"), from.map(at), to.map(at)).map(|q| format!("{q:?}"))
    }

    #[test]
    fn from_and_to_are_a_key_range_of_whole_seconds() {
        let both = range(Some("2030-01-01T00:00:00.5Z"), Some("2030-01-02T00:00:00.9Z")).unwrap();
        assert!(
            both.contains("Between(\"2030-01-01T00:00:01Z\", \"2030-01-02T00:00:00Z#~\")"),
            "{both}"
        );
        let from = range(Some("2030-01-01T00:00:00Z"), None).unwrap();
        assert!(from.contains("From(\"2030-01-01T00:00:00Z\")"), "{from}");
        let to = range(None, Some("2030-01-02T03:00:00+03:00")).unwrap();
        assert!(to.contains("Until(\"2030-01-02T00:00:00Z#~\")"), "{to}");
        assert!(range(None, None).unwrap().contains("All"));
        // No whole second in [10:00:00.2, 10:00:00.8]: nothing to read.
        assert_eq!(
            range(Some("2030-01-01T10:00:00.2Z"), Some("2030-01-01T10:00:00.8Z")),
            None
        );
        assert!(range(Some("2030-01-01T10:00:00Z"), Some("2030-01-01T10:00:00Z")).is_some());
        // Instants past year 9999 in UTC still bound the range from above.
        let far = range(None, Some("9999-12-31T23:00:00-05:00")).unwrap();
        assert!(far.contains("Until(\"9999-12-31T23:59:59Z#~\")"), "{far}");
    }

    #[test]
    fn a_cursor_key_sorts_after_every_id_at_the_same_second() {
        let high = format!("2030-01-01T00:00:00Z#{PAST_EVERY_ID}");
        for id in [
            "0193a000-0000-7000-8000-000000000001",
            "ffffffff-ffff-7fff-bfff-ffffffffffff",
        ] {
            assert!(dated_order(at("2030-01-01T00:00:00Z"), id) < high);
        }
        assert!(high < dated_order(at("2030-01-01T00:00:01Z"), "0"));
    }
}
