//! The rides table: its keys and access patterns, on the shared table layer. The access
//! patterns are documented in `functions/rides/README.md`.

use andes_shared::dynamo::{
    from_item, key, keyed_item, number, string, Change, Condition, Item, Page, Query, Table, TransactionError,
};
use andes_shared::http::ApiError;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::{Caller, Circle, Invitation, Membership, Profile, Rating, Ride};

const PUBLIC_CIRCLES: &str = "CIRCLES#PUBLIC";
const ACTIVE_RIDES: &str = "RIDES#ACTIVE";
const MEMBERS: &str = "MEMBER#";

fn account_pk(id: &str) -> String {
    format!("ACCOUNT#{id}")
}

fn account_key(id: &str) -> Item {
    key(account_pk(id), "ACCOUNT")
}

fn user_pk(username: &str) -> String {
    format!("USER#{username}")
}

fn profile_key(username: &str) -> Item {
    key(user_pk(username), "PROFILE")
}

fn circle_pk(slug: &str) -> String {
    format!("CIRCLE#{slug}")
}

fn circle_key(slug: &str) -> Item {
    key(circle_pk(slug), "CIRCLE")
}

fn member_sk(username: &str) -> String {
    format!("{MEMBERS}{username}")
}

fn member_key(slug: &str, username: &str) -> Item {
    key(circle_pk(slug), member_sk(username))
}

fn unused_prefix(username: &str) -> String {
    format!("UNUSED#{username}#")
}

fn unused_key(slug: &str, username: &str, code: &str) -> Item {
    key(circle_pk(slug), format!("{}{code}", unused_prefix(username)))
}

fn invitation_pk(code: &str) -> String {
    format!("INVITATION#{code}")
}

fn invitation_key(code: &str) -> Item {
    key(invitation_pk(code), "INVITATION")
}

fn ride_sk(id: &str) -> String {
    format!("RIDE#{id}")
}

fn ride_key(slug: &str, id: &str) -> Item {
    key(circle_pk(slug), ride_sk(id))
}

fn rating_sk(ride: &str, username: &str) -> String {
    format!("RIDE#{ride}#RATING#{username}")
}

fn user_circles(username: &str) -> String {
    format!("USER#{username}#CIRCLES")
}

fn circle_rides(slug: &str) -> String {
    format!("CIRCLE#{slug}#RIDES")
}

fn departing(day: &str) -> String {
    format!("DEPARTING#{day}")
}

/// `is_active = true` (memberships and rides).
fn active() -> Condition {
    Condition::new("#is_active = :true")
        .name("is_active")
        .value(":true", AttributeValue::Bool(true))
}

/// A circle with room for one more member.
fn room_for_one() -> Condition {
    Condition::exists().and(
        Condition::new("#is_limited = :false OR #members_count < #members_limit")
            .name("is_limited")
            .name("members_count")
            .name("members_limit")
            .value(":false", AttributeValue::Bool(false)),
    )
}

fn optional_string(value: Option<&String>) -> AttributeValue {
    value.map_or(AttributeValue::Null(true), string)
}

pub fn circle_item(circle: &Circle) -> Result<Item, ApiError> {
    let mut item = keyed_item(circle, circle_pk(&circle.slug), "CIRCLE")?;
    if circle.is_public {
        item.insert("gsi1pk".into(), string(PUBLIC_CIRCLES));
        item.insert("gsi1sk".into(), string(&circle.slug));
    }
    Ok(item)
}

pub fn membership_item(membership: &Membership) -> Result<Item, ApiError> {
    let mut item = keyed_item(
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
    let mut item = keyed_item(ride, circle_pk(&ride.circle), ride_sk(&ride.id))?;
    for (name, value) in ride_index_keys(ride) {
        item.insert(name.into(), string(value));
    }
    if !ride.passengers.is_empty() {
        item.insert("passengers".into(), AttributeValue::Ss(ride.passengers.clone()));
    }
    Ok(item)
}

/// A ride read back: `passengers` is a string set (absent while empty).
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

/// The outcome of writing a circle's edit.
#[derive(Debug)]
pub enum CircleUpdate {
    Updated(Circle),
    /// The circle changed since it was read.
    Stale,
    /// Read at the same version, but its members outnumber the new limit (joins do not bump the
    /// version).
    LimitBelowMembers,
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

/// Rounds of filtered reads (each up to ten DynamoDB pages) to fill one page of members.
const MEMBER_PAGE_ROUNDS: usize = 10;

/// The rides table's access patterns.
#[derive(Clone)]
pub struct Store {
    table: Table,
}

impl Store {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    pub async fn get_caller(&self, account_id: &str) -> Result<Option<Caller>, ApiError> {
        self.table.get(account_key(account_id)).await
    }

    /// Records a caller met for the first time: its profile, then the account → username link
    /// (so the link implies the profile). Both idempotent.
    pub async fn create_caller(&self, caller: &Caller, profile: &Profile) -> Result<(), ApiError> {
        self.table
            .put_new(keyed_item(profile, user_pk(&profile.username), "PROFILE")?)
            .await?;
        self.table
            .put_new(keyed_item(caller, account_pk(&caller.account_id), "ACCOUNT")?)
            .await?;
        Ok(())
    }

    pub async fn get_profile(&self, username: &str) -> Result<Option<Profile>, ApiError> {
        self.table.get(profile_key(username)).await
    }

    /// Sets the editable fields of a profile read at `expected` version; `None` when it has
    /// changed since. Counters are untouched.
    pub async fn update_profile(&self, profile: &Profile, expected: u64) -> Result<Option<Profile>, ApiError> {
        let change = Change::new(profile_key(&profile.username))
            .set("picture", optional_string(profile.picture.as_ref()))
            .set("biography", string(&profile.biography))
            .add("version", 1)
            .when(Condition::version(expected));
        self.table.update(change).await?.map(from_item).transpose()
    }

    pub async fn get_circle(&self, slug: &str) -> Result<Option<Circle>, ApiError> {
        self.table.get(circle_key(slug)).await
    }

    /// The circle and its creator's admin membership, in one transaction; `false` when the
    /// slug is taken.
    pub async fn create_circle(&self, circle: &Circle, admin: &Membership) -> Result<bool, ApiError> {
        let writes = vec![
            self.table.put_tx(circle_item(circle)?, Some(Condition::absent()))?,
            self.table.put_tx(membership_item(admin)?, Some(Condition::absent()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Imports a circle unless its slug exists; `false` when it did (idempotent imports).
    pub async fn import_circle(&self, circle: &Circle) -> Result<bool, ApiError> {
        self.table.put_new(circle_item(circle)?).await
    }

    /// Writes the editable fields of a circle read at `expected` version; counters are
    /// untouched (they change through atomic ADDs elsewhere). A limited circle never exceeds
    /// its limit: joins change `members_count` without bumping the version, so the limit is
    /// checked against the count in the condition.
    pub async fn update_circle(&self, circle: &Circle, expected: u64, now: &str) -> Result<CircleUpdate, ApiError> {
        let mut condition = Condition::version(expected);
        if circle.is_limited {
            condition = condition.and(
                Condition::new("#members_count <= :limit")
                    .name("members_count")
                    .value(":limit", number(circle.members_limit)),
            );
        }
        let change = Change::new(circle_key(&circle.slug))
            .set("name", string(&circle.name))
            .set("about", string(&circle.about))
            .set("picture", optional_string(circle.picture.as_ref()))
            .set("is_limited", AttributeValue::Bool(circle.is_limited))
            .set("members_limit", number(circle.members_limit))
            .set("updated", string(now))
            .add("version", 1)
            .when(condition);
        if let Some(item) = self.table.update(change).await? {
            return Ok(CircleUpdate::Updated(from_item(item)?));
        }
        Ok(match self.get_circle(&circle.slug).await? {
            Some(now) if now.version == expected && circle.is_limited && now.members_count > circle.members_limit => {
                CircleUpdate::LimitBelowMembers
            }
            _ => CircleUpdate::Stale,
        })
    }

    /// Admin: marks a circle verified or not; `None` when there is no such circle.
    pub async fn set_verified(&self, slug: &str, verified: bool, now: &str) -> Result<Option<Circle>, ApiError> {
        let change = Change::new(circle_key(slug))
            .set("verified", AttributeValue::Bool(verified))
            .set("updated", string(now))
            .add("version", 1)
            .when(Condition::exists());
        self.table.update(change).await?.map(from_item).transpose()
    }

    /// Every public circle (index `gsi1`, partition `CIRCLES#PUBLIC`).
    pub async fn public_circles(&self) -> Result<Vec<Circle>, ApiError> {
        let items = self.table.query_all(&Query::index("gsi1", PUBLIC_CIRCLES)).await?;
        items.into_iter().map(from_item).collect()
    }

    /// Circles by slug, ordered by slug.
    pub async fn circles(&self, slugs: &[String]) -> Result<Vec<Circle>, ApiError> {
        let items = self
            .table
            .batch_get(slugs.iter().map(|slug| circle_key(slug)).collect())
            .await?;
        let mut circles: Vec<Circle> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        circles.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(circles)
    }

    pub async fn get_membership(&self, slug: &str, username: &str) -> Result<Option<Membership>, ApiError> {
        self.table.get(member_key(slug, username)).await
    }

    /// Active members of a circle, a page at a time (the circle's partition, filtered on
    /// `is_active`). `Limit` applies before the filter and removed members stay in the
    /// partition, so this reads on until the page holds `limit` members or the partition
    /// ends: a page with a cursor is never short, unless a circle has had more removed members
    /// than `MEMBER_PAGE_ROUNDS` rounds read (then the page is short, with its cursor).
    pub async fn list_members(
        &self,
        slug: &str,
        limit: i32,
        cursor: Option<&str>,
    ) -> Result<Page<Membership>, ApiError> {
        let query = Query::partition(circle_pk(slug)).begins_with(MEMBERS).filter(active());
        let mut page = self.table.query_page(&query, limit, cursor).await?;
        // Bounded: each round already reads up to ten DynamoDB pages.
        for _ in 0..MEMBER_PAGE_ROUNDS {
            if page.items.len() >= limit as usize {
                break;
            }
            let Some(cursor) = page.next_cursor.take() else { break };
            let more = self
                .table
                .query_page(&query, limit - page.items.len() as i32, Some(&cursor))
                .await?;
            page.items.extend(more.items);
            page.next_cursor = more.next_cursor;
        }
        page.parse()
    }

    /// Active members of `slug` invited by `username`.
    pub async fn invited_by(&self, slug: &str, username: &str) -> Result<Vec<Membership>, ApiError> {
        let items = self
            .table
            .query_all(&Query::partition(circle_pk(slug)).begins_with(MEMBERS))
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
            .table
            .query_all(&Query::index("gsi1", user_circles(username)))
            .await?;
        items.into_iter().map(from_item).collect()
    }

    /// Deactivates an active membership and gives its place back to the circle; `false` when
    /// it was not active.
    pub async fn remove_member(&self, slug: &str, username: &str) -> Result<bool, ApiError> {
        let writes = vec![
            self.table.change_tx(
                Change::new(member_key(slug, username))
                    .set("is_active", AttributeValue::Bool(false))
                    .when(active()),
            )?,
            self.table.change_tx(
                Change::new(circle_key(slug))
                    .add("members_count", -1)
                    .when(Condition::exists()),
            )?,
        ];
        match self.table.transact(writes).await {
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
            self.table.put_tx(membership_item(member)?, Some(Condition::absent()))?,
            self.table.change_tx(
                Change::new(circle_key(&member.circle))
                    .add("members_count", 1)
                    .when(room_for_one()),
            )?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(error) if error.failed(0) => {
                let promote = Change::new(member_key(&member.circle, &member.username))
                    .set("is_admin", AttributeValue::Bool(true))
                    .when(active());
                Ok(self.table.update(promote).await?.is_some())
            }
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    pub async fn get_invitation(&self, code: &str) -> Result<Option<Invitation>, ApiError> {
        self.table.get(invitation_key(code)).await
    }

    /// The unused codes a member issued in a circle (consistent Query of the markers).
    pub async fn unused_codes(&self, slug: &str, username: &str) -> Result<Vec<String>, ApiError> {
        let query = Query::partition(circle_pk(slug)).begins_with(unused_prefix(username));
        let mut codes: Vec<String> = self
            .table
            .query_all(&query)
            .await?
            .into_iter()
            .filter_map(|mut item| match item.remove("code") {
                Some(AttributeValue::S(code)) => Some(code),
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
        let unchanged = active().and(
            Condition::new("#remaining_invitations = :remaining AND #unused_codes = :seen")
                .name("remaining_invitations")
                .name("unused_codes")
                .value(":remaining", number(member.remaining_invitations))
                .value(":seen", number(member.unused_codes)),
        );
        let mut writes = Vec::with_capacity(codes.len() * 2 + 1);
        writes.push(
            self.table.change_tx(
                Change::new(member_key(&member.circle, &member.username))
                    .add("unused_codes", codes.len() as i64)
                    .when(unchanged),
            )?,
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
            writes.push(self.table.put_tx(
                keyed_item(&invitation, invitation_pk(code), "INVITATION")?,
                Some(Condition::absent()),
            )?);
            let mut marker = unused_key(&member.circle, &member.username, code);
            marker.insert("code".into(), string(code));
            writes.push(self.table.put_tx(marker, None)?);
        }
        match self.table.transact(writes).await {
            Ok(()) => Ok(IssueOutcome::Issued),
            Err(error) if error.failed(0) => Ok(IssueOutcome::MemberChanged),
            Err(TransactionError::Conditions(failed)) => Ok(IssueOutcome::CodesTaken(
                failed.iter().map(|i| codes[(i - 1) / 2].clone()).collect(),
            )),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Joins a circle with an invitation, in one transaction: the new membership (not a
    /// member yet), the invitation marked used (still unused, of this circle), the issuer's
    /// counters (a removed member's codes admit no one), its unused-code marker removed, and
    /// the circle's member count (within its limit).
    pub async fn join_circle(
        &self,
        circle: &Circle,
        member: &Membership,
        invitation: &Invitation,
        now: &str,
    ) -> Result<JoinOutcome, ApiError> {
        let issuer = &invitation.issued_by;
        let unused_here = Condition::new("#used = :false AND #circle = :circle")
            .name("used")
            .name("circle")
            .value(":false", AttributeValue::Bool(false))
            .value(":circle", string(&circle.slug));
        let writes = vec![
            self.table.put_tx(membership_item(member)?, Some(Condition::absent()))?,
            self.table.change_tx(
                Change::new(invitation_key(&invitation.code))
                    .set("used", AttributeValue::Bool(true))
                    .set("used_by", string(&member.username))
                    .set("used_at", string(now))
                    .when(unused_here),
            )?,
            self.table.change_tx(
                Change::new(member_key(&circle.slug, issuer))
                    .add("used_invitations", 1)
                    .add("remaining_invitations", -1)
                    .add("unused_codes", -1)
                    .when(active()),
            )?,
            self.table
                .delete_tx(unused_key(&circle.slug, issuer, &invitation.code), None)?,
            self.table.change_tx(
                Change::new(circle_key(&circle.slug))
                    .add("members_count", 1)
                    .when(room_for_one()),
            )?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(JoinOutcome::Joined),
            Err(error) if error.failed(0) => Ok(JoinOutcome::AlreadyMember),
            Err(error) if error.failed(1) || error.failed(2) => Ok(JoinOutcome::InvalidCode),
            Err(TransactionError::Conditions(_)) => Ok(JoinOutcome::LimitReached),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    pub async fn get_ride(&self, slug: &str, id: &str) -> Result<Option<Ride>, ApiError> {
        self.table
            .get_item(ride_key(slug, id))
            .await?
            .map(ride_from_item)
            .transpose()
    }

    /// Offers a ride: the ride plus +1 `rides_offered` on the circle, the driver's active
    /// membership and profile, in one transaction. `false` when the membership is no longer
    /// active.
    pub async fn create_ride(&self, ride: &Ride) -> Result<bool, ApiError> {
        let offered = |key: Item, condition: Condition| Change::new(key).add("rides_offered", 1).when(condition);
        let writes = vec![
            self.table.put_tx(ride_item(ride)?, Some(Condition::absent()))?,
            self.table
                .change_tx(offered(circle_key(&ride.circle), Condition::exists()))?,
            self.table
                .change_tx(offered(member_key(&ride.circle, &ride.offered_by), active()))?,
            self.table
                .change_tx(offered(profile_key(&ride.offered_by), Condition::exists()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Active rides of a circle leaving at or after `from` (index `gsi1`).
    pub async fn circle_rides(&self, slug: &str, from: &str) -> Result<Vec<Ride>, ApiError> {
        let items = self
            .table
            .query_all(&Query::index("gsi1", circle_rides(slug)).from(from))
            .await?;
        items.into_iter().map(ride_from_item).collect()
    }

    /// Writes the editable fields of a ride read at `expected` version (joins bump it too);
    /// `None` when it has changed since.
    pub async fn update_ride(&self, ride: &Ride, expected: u64) -> Result<Option<Ride>, ApiError> {
        let mut change = Change::new(ride_key(&ride.circle, &ride.id))
            .set("available_seats", number(ride.available_seats))
            .set("comments", string(&ride.comments))
            .set("departure_location", string(&ride.departure_location))
            .set("departure_date", string(&ride.departure_date))
            .set("arrival_location", string(&ride.arrival_location))
            .set("arrival_date", string(&ride.arrival_date));
        for (name, value) in ride_index_keys(ride) {
            change = change.set(name, string(value));
        }
        let change = change.add("version", 1).when(Condition::version(expected));
        self.table.update(change).await?.map(ride_from_item).transpose()
    }

    /// Takes one seat for `username`, in one transaction: the ride (active, not left yet, a
    /// seat left, not already aboard, not the driver's) and +1 `rides_taken` on the
    /// passenger's profile, active membership and the circle. `false` when a condition failed.
    pub async fn join_ride(&self, ride: &Ride, username: &str, now: &str) -> Result<bool, ApiError> {
        let seat_left = active().and(
            Condition::new(
                "#available_seats > :zero AND #departure_date > :now AND #offered_by <> :me AND NOT contains(#passengers, :me)",
            )
            .name("available_seats")
            .name("departure_date")
            .name("offered_by")
            .name("passengers")
            .value(":zero", number(0))
            .value(":now", string(now))
            .value(":me", string(username)),
        );
        let taken = |key: Item, condition: Condition| Change::new(key).add("rides_taken", 1).when(condition);
        let writes = vec![
            self.table.change_tx(
                Change::new(ride_key(&ride.circle, &ride.id))
                    .add("available_seats", -1)
                    .add_to_set("passengers", username)
                    .add("version", 1)
                    .when(seat_left),
            )?,
            self.table
                .change_tx(taken(profile_key(username), Condition::exists()))?,
            self.table
                .change_tx(taken(member_key(&ride.circle, username), active()))?,
            self.table
                .change_tx(taken(circle_key(&ride.circle), Condition::exists()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(true),
            Err(TransactionError::Conditions(_)) => Ok(false),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Marks a ride inactive and takes it out of the active indexes; `false` if it already was.
    pub async fn deactivate_ride(&self, slug: &str, id: &str) -> Result<bool, ApiError> {
        let change = Change::new(ride_key(slug, id))
            .set("is_active", AttributeValue::Bool(false))
            .remove("gsi1pk")
            .remove("gsi1sk")
            .remove("gsi2pk")
            .remove("gsi2sk")
            .add("version", 1)
            .when(active());
        Ok(self.table.update(change).await?.is_some())
    }

    /// Rates a ride once, in one transaction: the rating (one per passenger), the ride's
    /// rating sums (only for a passenger) and the driver's profile sums.
    pub async fn rate_ride(&self, ride: &Ride, rating: &Rating) -> Result<RateOutcome, ApiError> {
        let passenger = Condition::new("contains(#passengers, :me)")
            .name("passengers")
            .value(":me", string(&rating.rating_user));
        let rated = |key: Item| Change::new(key).add("rating_sum", rating.rating).add("rating_count", 1);
        let writes = vec![
            self.table.put_tx(
                keyed_item(
                    rating,
                    circle_pk(&ride.circle),
                    rating_sk(&ride.id, &rating.rating_user),
                )?,
                Some(Condition::absent()),
            )?,
            self.table
                .change_tx(rated(ride_key(&ride.circle, &ride.id)).when(passenger))?,
            self.table
                .change_tx(rated(profile_key(&ride.offered_by)).when(Condition::exists()))?,
        ];
        match self.table.transact(writes).await {
            Ok(()) => Ok(RateOutcome::Rated),
            Err(error) if error.failed(0) => Ok(RateOutcome::AlreadyRated),
            Err(TransactionError::Conditions(_)) => Ok(RateOutcome::NotPassenger),
            Err(TransactionError::Other(error)) => Err(error),
        }
    }

    /// Active rides arriving at or before `until` (index `gsi2`, sparse: active rides only).
    pub async fn active_rides_arriving_by(&self, until: &str) -> Result<Vec<Ride>, ApiError> {
        // `~` sorts after every character of `{time}#{slug}#{id}` at the same time prefix.
        let query = Query::index("gsi2", ACTIVE_RIDES).until(format!("{until}~"));
        self.table
            .query_all(&query)
            .await?
            .into_iter()
            .map(ride_from_item)
            .collect()
    }

    /// Every ride leaving on `day` (`YYYY-MM-DD`, UTC; index `gsi3`).
    pub async fn rides_departing_on(&self, day: &str) -> Result<Vec<Ride>, ApiError> {
        let items = self.table.query_all(&Query::index("gsi3", departing(day))).await?;
        items.into_iter().map(ride_from_item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{new_ride, parse_time, RideInput};

    fn ride() -> Ride {
        let input = RideInput {
            available_seats: Some(2),
            departure_date: parse_time("2026-01-10T12:30:00Z"),
            arrival_date: parse_time("2026-01-10T13:30:00Z"),
            departure_location: Some("A".into()),
            arrival_location: Some("B".into()),
            ..Default::default()
        };
        new_ride("c", "ana", input, "t")
    }

    #[test]
    fn active_rides_are_indexed_for_lists_and_deactivation() {
        let mut ride = ride();
        ride.passengers = vec!["eve".into(), "bob".into()];
        let item = ride_item(&ride).unwrap();
        assert_eq!(item["pk"], string("CIRCLE#c"));
        assert_eq!(item["gsi1pk"], string("CIRCLE#c#RIDES"));
        assert_eq!(
            item["gsi2sk"],
            string(format!("2026-01-10T13:30:00.000Z#c#{}", ride.id))
        );
        assert_eq!(item["gsi3pk"], string("DEPARTING#2026-01-10"));
        let back = ride_from_item(item).unwrap();
        assert_eq!(back.passengers, ["bob", "eve"]);
        ride.is_active = false;
        let item = ride_item(&ride).unwrap();
        assert!(!item.contains_key("gsi1pk") && !item.contains_key("gsi2pk") && item.contains_key("gsi3pk"));
    }
}
