//! Dining (seed 004): the events slice end to end — the notices of §8 in the outbox (and none for
//! a request that changes nothing), points and levels (§7: ±50 per closed reservation, clamped at
//! 0 with no hidden debt, nothing for a venue's cancel, −50 for a no-show and for an expiry by the
//! schedule, +50 per opinion), exactly-once application (concurrent transitions of one diner; a
//! change stream record and a queue message delivered again), user and venue stats (a venue
//! created again starts from zero), who may read them (§2), `/dining/me`, the decay sweep (§5,
//! §7) and the venue list's visit counters.
//!
//! Every test uses venues and diners of its own; queue-driven results are polled for up to 40 s
//! (§13). Two sweeps act on the whole platform, so tests keep out of each other's way:
//! - the expiry sweep is fired only at day 1 + 16 min; every other test's Accepted reservations
//!   are at day 2 or later (out of its reach);
//! - the decay sweep takes 200 points from every inactive total: it runs holding [`POINTS`] for
//!   writing, and every test that reads a points total holds it for reading.

mod dining_support;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration as StdDuration, Instant};

use andes_tests::support::{all_at_once, json, Ctx, Value, POLL_INTERVAL};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use dining_support::*;

/// §13: queue-driven results are polled this long.
const QUEUE_WAIT: StdDuration = StdDuration::from_secs(40);
/// How long a test waits before it says nothing more arrived.
const QUIET: StdDuration = StdDuration::from_secs(5);

/// Held for reading by every test that asserts a points total, for writing by the decay test
/// while it sweeps (the sweep would take 200 from every other test's diners too).
static POINTS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

// ------------------------------------------------------------------------------ helpers

/// Reads with `read` until `done` holds or 40 s have passed; the last value read.
async fn eventually<F, Fut>(read: F, done: impl Fn(&Value) -> bool) -> Value
where
    F: Fn() -> Fut,
    Fut: Future<Output = Value>,
{
    let deadline = Instant::now() + QUEUE_WAIT;
    loop {
        let value = read().await;
        if done(&value) || Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Every number as a float, so `0` and `0.0` compare equal (ratios are fractions).
fn numeric(value: &Value) -> Value {
    match value {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.iter().map(numeric).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), numeric(v))).collect()),
        other => other.clone(),
    }
}

#[track_caller]
fn assert_same(found: &Value, expected: &Value, what: &str) {
    assert_eq!(numeric(found), numeric(expected), "{what}: got {found}");
}

/// A fresh venue (capacity 10, slots 20:00 and 21:30 in Buenos Aires): owner, id, name.
async fn venue(ctx: &Ctx) -> (Caller, String, String) {
    let name = unique_name("Puntos");
    let (owner, venue) = venue_at(ctx, &name, unique_point(), json!({})).await;
    (owner, id(&venue), name)
}

/// The Buenos Aires date of an instant (the texts' and the stats' local date).
fn local_date(time: DateTime<Utc>) -> NaiveDate {
    (time + Duration::hours(BUENOS_AIRES_HOURS)).date_naive()
}

/// The name `days` gives the local weekday of an instant.
fn local_weekday(time: DateTime<Utc>) -> &'static str {
    use chrono::Weekday::*;
    match local_date(time).weekday() {
        Mon => "monday",
        Tue => "tuesday",
        Wed => "wednesday",
        Thu => "thursday",
        Fri => "friday",
        Sat => "saturday",
        Sun => "sunday",
    }
}

fn seven_days(counted: &[DateTime<Utc>]) -> Value {
    let mut days = json!({"monday": 0, "tuesday": 0, "wednesday": 0, "thursday": 0, "friday": 0,
                          "saturday": 0, "sunday": 0});
    for time in counted {
        let day = local_weekday(*time);
        days[day] = json!(days[day].as_u64().unwrap() + 1);
    }
    days
}

/// A new reservation (201) of `diner` at `time`: its id.
async fn reserve(ctx: &Ctx, diner: &Caller, venue_id: &str, time: DateTime<Utc>, people: u32) -> String {
    id(&post_reservation(ctx, diner, venue_id, &wire(time), people)
        .await
        .expect(201))
}

/// A reservation the venue accepted.
async fn accepted(ctx: &Ctx, owner: &Caller, diner: &Caller, venue_id: &str, time: DateTime<Utc>) -> String {
    let rid = reserve(ctx, diner, venue_id, time, 2).await;
    assert_eq!(advance(ctx, owner, &rid).await["status"], "Accepted");
    rid
}

/// A reservation the diner came to (Assisted, +50).
async fn assisted(
    ctx: &Ctx,
    owner: &Caller,
    diner: &Caller,
    venue_id: &str,
    time: DateTime<Utc>,
    people: u32,
) -> String {
    let rid = reserve(ctx, diner, venue_id, time, people).await;
    advance(ctx, owner, &rid).await;
    assert_eq!(advance(ctx, owner, &rid).await["status"], "Assisted");
    rid
}

/// An accepted reservation the diner did not come to (Expired by the venue, −50).
async fn no_show(ctx: &Ctx, owner: &Caller, diner: &Caller, venue_id: &str, time: DateTime<Utc>) -> String {
    let rid = accepted(ctx, owner, diner, venue_id, time).await;
    let expired = patch_reservation(ctx, owner, &rid, json!({"advance_forward": false}))
        .await
        .expect(200);
    assert_eq!(
        (expired["status"].as_str(), expired["closed_by"].as_str()),
        (Some("Expired"), Some("venue"))
    );
    rid
}

/// The diner cancels (DELETE; Canceled by the user, −50).
async fn diner_cancels(ctx: &Ctx, diner: &Caller, rid: &str) {
    let canceled = ctx
        .call("DELETE", &reservation_path(rid), diner.bearer(), None)
        .await
        .expect(200);
    assert_eq!(
        (canceled["status"].as_str(), canceled["closed_by"].as_str()),
        (Some("Canceled"), Some("user"))
    );
}

fn points_path(diner_id: &str) -> String {
    format!("/dining/users/{diner_id}/points")
}

fn user_stats_path(diner_id: &str) -> String {
    format!("/dining/stats/users/{diner_id}")
}

fn venue_stats_path(venue_id: &str) -> String {
    format!("/dining/stats/venues/{venue_id}")
}

async fn get(ctx: &Ctx, reader: &Caller, path: &str) -> Value {
    ctx.call("GET", path, reader.bearer(), None).await.expect(200)
}

/// A diner's points as they read them.
async fn points(ctx: &Ctx, diner: &Caller) -> Value {
    get(ctx, diner, &points_path(&diner.id)).await
}

/// A diner's points once their total is `total` (the last read after 40 s).
async fn points_once(ctx: &Ctx, diner: &Caller, total: u64) -> Value {
    eventually(|| points(ctx, diner), |p| p["total"] == json!(total)).await
}

fn points_of(diner: &Caller, total: u64, level: &str, level_number: u64) -> Value {
    json!({"user": diner.id, "total": total, "level": level, "level_number": level_number})
}

/// A diner's stats once they count `total` reservations.
async fn user_stats_once(ctx: &Ctx, diner: &Caller, total: u64) -> Value {
    let path = user_stats_path(&diner.id);
    eventually(|| get(ctx, diner, &path), |s| s["total"] == json!(total)).await
}

fn user_stats_of(diner: &Caller, total: u64, canceled: f64, expired: f64) -> Value {
    json!({"user": diner.id, "total": total, "canceled": canceled, "expired": expired,
           "canceled_alert": canceled > 0.5, "expired_alert": expired > 0.5})
}

/// The owner's venue stats once they count `total` reservations.
async fn venue_stats_once(ctx: &Ctx, owner: &Caller, total: u64) -> Value {
    let path = venue_stats_path(&owner.id);
    eventually(|| get(ctx, owner, &path), |s| s["total"] == json!(total)).await
}

/// The venue's reservation list (first page, 100 items).
async fn venue_list(ctx: &Ctx, owner: &Caller) -> Value {
    get(ctx, owner, "/dining/me/venue/reservations?limit=100").await
}

/// The `diner` member of every item of `list` booked by `diner_id`.
fn diners_of(list: &Value, diner_id: &str) -> Vec<Value> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list without items: {list}"))
        .iter()
        .filter(|item| item["user"] == diner_id)
        .map(|item| item["diner"].clone())
        .collect()
}

async fn reservation(ctx: &Ctx, reader: &Caller, rid: &str) -> Value {
    get(ctx, reader, &reservation_path(rid)).await
}

// ------------------------------------------------------------------------------ the outbox

/// The messages the outbox holds for one account, read incrementally (each object once) and
/// only among those written since the inbox was opened (outbox keys are UUIDv7s, in time order).
struct Inbox {
    email: String,
    /// Keys at or after this one (`…/{uuidv7}.json`, compared by the UUID) may be this test's.
    from: String,
    seen: HashSet<String>,
    texts: Vec<String>,
}

impl Inbox {
    fn of(caller: &Caller) -> Inbox {
        let since = Utc::now() - Duration::minutes(10);
        let millis = u64::try_from(since.timestamp_millis()).unwrap();
        let from = uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10])
            .into_uuid()
            .to_string();
        Inbox {
            email: caller.email.clone(),
            from,
            seen: HashSet::new(),
            texts: Vec::new(),
        }
    }

    async fn refresh(&mut self, ctx: &Ctx) {
        for key in ctx.outbox_keys().await {
            let stem = key.rsplit('/').next().unwrap_or_default().trim_end_matches(".json");
            if stem < self.from.as_str() || !self.seen.insert(key.clone()) {
                continue;
            }
            let message = ctx.outbox_object(&key).await;
            let to = message["to"]["email"].as_str().unwrap_or_default();
            if to.eq_ignore_ascii_case(&self.email) {
                let text = message["data"]["text"]
                    .as_str()
                    .or(message["text"].as_str())
                    .unwrap_or_default();
                self.texts.push(text.to_string());
            }
        }
    }

    /// Messages (outbox objects) to this account so far.
    fn len(&self) -> usize {
        self.texts.len()
    }

    fn count(&self, fragment: &str) -> usize {
        self.texts.iter().filter(|text| text.contains(fragment)).count()
    }

    /// Waits until `count` messages to this account contain `fragment`.
    async fn wait_for(&mut self, ctx: &Ctx, fragment: &str, count: usize) {
        let deadline = Instant::now() + QUEUE_WAIT;
        loop {
            self.refresh(ctx).await;
            if self.count(fragment) >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "after {QUEUE_WAIT:?}, {} of {count} messages to {} with {fragment:?}; its messages: {:#?}",
                self.count(fragment),
                self.email,
                self.texts
            );
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

/// The diner's message of a new status at `venue_name` (§8).
fn status_notice(venue_name: &str, message: &str) -> String {
    format!("Tienes un cambio de estado en tu reserva en {venue_name}!\n{message}")
}

const ACCEPTED_TEXT: &str = "La reserva fue aceptada por el local!";
const UNCONFIRMED_TEXT: &str = "La reserva aun no esta confirmada";
const CANCELED_TEXT: &str = "Tu reserva ha sido cancelada.";
const ASSISTED_TEXT: &str = "Esperamos que disfrutes tu experiencia! No te olvides de dejar una reseña luego.";
const EXPIRED_TEXT: &str = "Tu reserva ha expirado!";

// ------------------------------------------------------------------------------ redelivery

/// An attribute as DynamoDB JSON (the shape of a stream record's images).
fn dynamo_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({"NULL": true}),
        AttributeValue::Ss(values) => json!({ "SS": values }),
        AttributeValue::Ns(values) => json!({ "NS": values }),
        AttributeValue::L(items) => json!({"L": items.iter().map(dynamo_json).collect::<Vec<_>>()}),
        AttributeValue::M(map) => json!({ "M": image(map) }),
        other => panic!("an attribute this test does not write as JSON: {other:?}"),
    }
}

fn image(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), dynamo_json(v))).collect())
}

/// A reservation's item as stored (strongly consistent).
async fn reservation_item(ctx: &Ctx, rid: &str) -> HashMap<String, AttributeValue> {
    let table = ctx.env.var("DINING_TABLE");
    ctx.dynamodb
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("RES#{rid}")))
        .key("sk", AttributeValue::S("RES".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap_or_else(|error| panic!("get reservation {rid} from {table}: {error:?}"))
        .item
        .unwrap_or_else(|| panic!("reservation {rid} is not in {table}"))
}

/// The change stream record of the write that made `closed` Assisted from Accepted (new and old
/// images), as the router was handed it, in a batch of its own.
fn assisted_record(closed: &HashMap<String, AttributeValue>) -> Value {
    let mut before = closed.clone();
    before.insert("status".into(), AttributeValue::S("Accepted".into()));
    before.remove("closed_by");
    let version: u64 = closed["version"].as_n().unwrap().parse().unwrap();
    before.insert("version".into(), AttributeValue::N((version - 1).to_string()));
    json!({"Records": [{
        "eventID": "replayed-1", "eventName": "MODIFY", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/replayed/stream/local",
        "dynamodb": {
            "ApproximateCreationDateTime": Utc::now().timestamp(),
            "Keys": {"pk": dynamo_json(&closed["pk"]), "sk": dynamo_json(&closed["sk"])},
            "NewImage": image(closed),
            "OldImage": image(&before),
            "SequenceNumber": "1",
            "SizeBytes": 300,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    }]})
}

/// The events queue's message of an Assisted reservation booked at the venue incarnation
/// `venue_created` (§7's event, as the router sends it), delivered again, in an SQS batch of
/// its own.
fn assisted_message(reservation: &Value, venue_created: &str) -> Value {
    let time: DateTime<Utc> = reservation["time"].as_str().unwrap().parse().unwrap();
    let local = time + Duration::hours(BUENOS_AIRES_HOURS);
    let body = json!({
        "kind": "assisted",
        "reservation": reservation["id"],
        "user": reservation["user"],
        "venue": reservation["venue"],
        "at": reservation["updated"],
        "outcome": {
            "status": "Assisted", "closed_by": "venue", "people": reservation["people"],
            "weekday": local.weekday().to_string(), "turn": local.format("%H:%M").to_string()
        },
        "venue_created": venue_created,
    });
    json!({"Records": [{
        "messageId": uuid::Uuid::new_v4().to_string(),
        "receiptHandle": "replayed",
        "body": body.to_string(),
        "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "0", "SenderId": "replayed",
                       "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:replayed",
        "awsRegion": "us-east-1"
    }]})
}

/// Invokes `function` synchronously with `event`; it must report no failed item.
async fn invoke(ctx: &Ctx, function: &str, event: &Value) {
    let answer = ctx
        .call("POST", &format!("/_local/invoke/{function}"), None, Some(event))
        .await
        .expect(200);
    assert_eq!(answer["batchItemFailures"], json!([]), "{function}: {answer}");
}

// ------------------------------------------------------------------------------ notifications

#[tokio::test]
async fn bookings_and_changes_notify_the_diner_and_the_owner_and_no_change_notifies_no_one() {
    let ctx = Ctx::new().await;
    let (owner, venue_id, name) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let (mut to_diner, mut to_owner) = (Inbox::of(&diner), Inbox::of(&owner));
    // 21:30 in Buenos Aires is 00:30 UTC of the next day: the texts carry the local date.
    let time = slot_in(5, 21, 30);
    let date = local_date(time);
    assert_ne!(date, time.date_naive());
    let rid = reserve(&ctx, &diner, &venue_id, time, 2).await;
    to_diner
        .wait_for(&ctx, &format!("Tu reserva para el dia {date} fue creada con exito!"), 1)
        .await;
    to_owner
        .wait_for(
            &ctx,
            &format!("Crearon una nueva reserva para el dia {date}, podes verla agregada en la web!"),
            1,
        )
        .await;

    // The owner accepts: the diner hears of the new status.
    advance(&ctx, &owner, &rid).await;
    to_diner.wait_for(&ctx, &status_notice(&name, ACCEPTED_TEXT), 1).await;

    // The diner changes the people: the owner hears of the change, the diner of the status
    // back to Unconfirmed.
    patch_reservation(&ctx, &diner, &rid, json!({"people": 3}))
        .await
        .expect(200);
    let modified = format!("Tienes una modificacion en la reserva ({rid}) del dia {date}!");
    to_owner.wait_for(&ctx, &modified, 1).await;
    to_diner
        .wait_for(&ctx, &status_notice(&name, UNCONFIRMED_TEXT), 1)
        .await;

    // A change of time: the owner hears of it with the new local date; the status stays.
    let moved = slot_in(6, 20, 0);
    patch_reservation(&ctx, &diner, &rid, json!({"time": wire(moved)}))
        .await
        .expect(200);
    let moved_date = local_date(moved);
    to_owner
        .wait_for(
            &ctx,
            &format!("Tienes una modificacion en la reserva ({rid}) del dia {moved_date}!"),
            1,
        )
        .await;

    // Requests that change nothing (the seed's clients resend time and people) notify no one:
    // after them the diner cancels, and that is the only new message of either account.
    let (diner_before, owner_before) = (to_diner.len(), to_owner.len());
    let same = json!({"time": wire(moved), "people": 3});
    for caller in [&diner, &owner] {
        let answer = patch_reservation(&ctx, caller, &rid, same.clone()).await.expect(200);
        assert_eq!(answer["status"], "Unconfirmed");
    }
    diner_cancels(&ctx, &diner, &rid).await;
    to_diner.wait_for(&ctx, &status_notice(&name, CANCELED_TEXT), 1).await;
    tokio::time::sleep(QUIET).await;
    to_diner.refresh(&ctx).await;
    to_owner.refresh(&ctx).await;
    assert_eq!(
        to_diner.len(),
        diner_before + 1,
        "the diner's messages: {:#?}",
        to_diner.texts
    );
    assert_eq!(
        to_owner.len(),
        owner_before,
        "the owner's messages: {:#?}",
        to_owner.texts
    );
    assert_eq!(to_diner.count(&status_notice(&name, UNCONFIRMED_TEXT)), 1);
    assert_eq!(to_owner.count("Tienes una modificacion en la reserva"), 2);
}

// ------------------------------------------------------------------------------ points

#[tokio::test]
async fn assisted_reservations_give_50_points_each_and_the_level_follows_the_total() {
    let _points = POINTS.read().await;
    let ctx = Ctx::new().await;
    let (owner, venue_id, name) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let mut inbox = Inbox::of(&diner);
    assert_eq!(points(&ctx, &diner).await, points_of(&diner, 0, "Novato", 0));

    let first = assisted(&ctx, &owner, &diner, &venue_id, slot_in(2, 20, 0), 2).await;
    assert_eq!(points_once(&ctx, &diner, 50).await, points_of(&diner, 50, "Novato", 0));
    // The venue the diner came to reads the same.
    assert_eq!(
        get(&ctx, &owner, &points_path(&diner.id)).await,
        points_of(&diner, 50, "Novato", 0)
    );
    inbox.wait_for(&ctx, &status_notice(&name, ASSISTED_TEXT), 1).await;

    // 100 is level 1; three visits are 150.
    for days in [3, 4] {
        assisted(&ctx, &owner, &diner, &venue_id, slot_in(days, 21, 30), 2).await;
    }
    let expected = points_of(&diner, 150, "Aficionado Gourmet", 1);
    assert_eq!(points_once(&ctx, &diner, 150).await, expected);
    assert_eq!(get(&ctx, &diner, "/dining/me").await["points"], expected);
    assert_same(
        &user_stats_once(&ctx, &diner, 3).await,
        &user_stats_of(&diner, 3, 0.0, 0.0),
        "three visits",
    );

    // An opinion is 50 more (and no reservation in the stats).
    ctx.call(
        "POST",
        "/dining/opinions",
        diner.bearer(),
        Some(&json!({"reservation": first, "opinion": "Muy rico todo."})),
    )
    .await
    .expect(201);
    assert_eq!(
        points_once(&ctx, &diner, 200).await,
        points_of(&diner, 200, "Aficionado Gourmet", 1)
    );
    assert_same(
        &get(&ctx, &diner, &user_stats_path(&diner.id)).await,
        &user_stats_of(&diner, 3, 0.0, 0.0),
        "an opinion is no reservation",
    );
}

#[tokio::test]
async fn a_diners_cancel_costs_50_without_debt_and_a_venues_cancel_costs_nothing() {
    let _points = POINTS.read().await;
    let ctx = Ctx::new().await;
    let (owner, venue_id, name) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let mut inbox = Inbox::of(&diner);

    // A cancel at 0 leaves 0, and no debt: the next visit makes 50.
    let first = reserve(&ctx, &diner, &venue_id, slot_in(2, 20, 0), 2).await;
    diner_cancels(&ctx, &diner, &first).await;
    assert_same(
        &user_stats_once(&ctx, &diner, 1).await,
        &user_stats_of(&diner, 1, 1.0, 0.0),
        "one cancel",
    );
    assert_eq!(points(&ctx, &diner).await, points_of(&diner, 0, "Novato", 0));
    assisted(&ctx, &owner, &diner, &venue_id, slot_in(3, 20, 0), 2).await;
    assert_eq!(points_once(&ctx, &diner, 50).await, points_of(&diner, 50, "Novato", 0));

    // The venue declines one and cancels an accepted one: no points, not in the diner's stats.
    let declined = reserve(&ctx, &diner, &venue_id, slot_in(4, 20, 0), 2).await;
    let answer = patch_reservation(&ctx, &owner, &declined, json!({"advance_forward": false}))
        .await
        .expect(200);
    assert_eq!(
        (answer["status"].as_str(), answer["closed_by"].as_str()),
        (Some("Canceled"), Some("venue"))
    );
    let dropped = accepted(&ctx, &owner, &diner, &venue_id, slot_in(5, 20, 0)).await;
    let answer = patch_reservation(&ctx, &owner, &dropped, json!({"cancel": true}))
        .await
        .expect(200);
    assert_eq!(
        (answer["status"].as_str(), answer["closed_by"].as_str()),
        (Some("Canceled"), Some("venue"))
    );
    // Applied once the venue's stats count all four.
    assert_eq!(venue_stats_once(&ctx, &owner, 4).await["total"], 4);
    assert_eq!(points(&ctx, &diner).await, points_of(&diner, 50, "Novato", 0));
    assert_same(
        &get(&ctx, &diner, &user_stats_path(&diner.id)).await,
        &user_stats_of(&diner, 2, 0.5, 0.0),
        "a cancel and a visit; the venue's cancels left out",
    );

    // The diner goes "back" on an accepted one: a cancel, −50.
    let backed = accepted(&ctx, &owner, &diner, &venue_id, slot_in(6, 20, 0)).await;
    let answer = patch_reservation(&ctx, &diner, &backed, json!({"advance_forward": false}))
        .await
        .expect(200);
    assert_eq!(answer["closed_by"], "user");
    assert_eq!(points_once(&ctx, &diner, 0).await, points_of(&diner, 0, "Novato", 0));
    assert_same(
        &user_stats_once(&ctx, &diner, 3).await,
        &user_stats_of(&diner, 3, 0.67, 0.0),
        "two cancels of three",
    );
    // Each cancel, by either side, told the diner.
    inbox.wait_for(&ctx, &status_notice(&name, CANCELED_TEXT), 4).await;
}

#[tokio::test]
async fn a_no_show_and_an_expiry_by_the_schedule_cost_50_points_each() {
    let _points = POINTS.read().await;
    let ctx = Ctx::new().await;
    let (owner, venue_id, name) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let mut inbox = Inbox::of(&diner);
    for days in [2, 3] {
        assisted(&ctx, &owner, &diner, &venue_id, slot_in(days, 20, 0), 2).await;
    }
    assert_eq!(
        points_once(&ctx, &diner, 100).await,
        points_of(&diner, 100, "Aficionado Gourmet", 1)
    );
    // The venue marks a no-show: Expired by the venue, −50.
    no_show(&ctx, &owner, &diner, &venue_id, slot_in(4, 20, 0)).await;
    assert_eq!(points_once(&ctx, &diner, 50).await, points_of(&diner, 50, "Novato", 0));
    // Day 1: the only Accepted reservation of this suite the sweep can reach (see the header).
    let time = slot_in(1, 20, 0);
    let rid = accepted(&ctx, &owner, &diner, &venue_id, time).await;
    fire_schedule(&ctx, "Expire", time + Duration::minutes(16)).await;
    let expired = reservation(&ctx, &diner, &rid).await;
    assert_eq!(
        (expired["status"].as_str(), expired["closed_by"].as_str()),
        (Some("Expired"), Some("system"))
    );
    assert_eq!(points_once(&ctx, &diner, 0).await, points_of(&diner, 0, "Novato", 0));
    assert_same(
        &user_stats_once(&ctx, &diner, 4).await,
        &user_stats_of(&diner, 4, 0.0, 0.5),
        "two visits and two expiries",
    );
    inbox.wait_for(&ctx, &status_notice(&name, EXPIRED_TEXT), 2).await;
    // The venue's list counts the expiry too.
    let list = venue_list(&ctx, &owner).await;
    for found in diners_of(&list, &diner.id) {
        assert_eq!(
            (found["times_assisted"].as_u64(), found["times_expired"].as_u64()),
            (Some(2), Some(2)),
            "{found}"
        );
    }
}

// ------------------------------------------------------------------------------ exactly once

#[tokio::test]
async fn closing_events_apply_exactly_once_under_races_and_redelivery() {
    let _points = POINTS.read().await;
    let ctx = Ctx::new().await;
    let (owner, venue_id, name) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let mut inbox = Inbox::of(&diner);
    let mut rids = Vec::new();
    for days in 2..8 {
        rids.push(reserve(&ctx, &diner, &venue_id, slot_in(days, 20, 0), 2).await);
    }
    // Each reservation advanced twice at once (Unconfirmed → Accepted → Assisted), all twelve
    // requests together: six closing events of one diner racing for the same points.
    let replies = all_at_once(12, |i| {
        let (ctx, owner, rid) = (ctx.clone(), owner.clone(), rids[i / 2].clone());
        async move { patch_reservation(&ctx, &owner, &rid, json!({"advance_forward": true})).await }
    })
    .await;
    for reply in &replies {
        reply.expect(200);
    }
    for rid in &rids {
        assert_eq!(reservation(&ctx, &diner, rid).await["status"], "Assisted");
    }
    let expected_points = points_of(&diner, 300, "Comensal Amateur", 2);
    assert_eq!(points_once(&ctx, &diner, 300).await, expected_points);
    let expected_stats = user_stats_of(&diner, 6, 0.0, 0.0);
    assert_same(&user_stats_once(&ctx, &diner, 6).await, &expected_stats, "six visits");
    let venue_stats = venue_stats_once(&ctx, &owner, 6).await;
    assert_eq!(
        (venue_stats["total"].as_u64(), venue_stats["people"].as_u64()),
        (Some(6), Some(12)),
        "{venue_stats}"
    );

    // Every notice is there (one outbox object each) before the redeliveries.
    for text in [
        "fue creada con exito!".to_string(),
        status_notice(&name, ACCEPTED_TEXT),
        status_notice(&name, ASSISTED_TEXT),
    ] {
        inbox.wait_for(&ctx, &text, 6).await;
    }
    let messages = inbox.len();

    // The change stream hands the router the record of the last write again, twice; the events
    // worker gets the event itself again, twice. Nothing changes.
    let closed = reservation(&ctx, &diner, &rids[0]).await;
    let item = reservation_item(&ctx, &rids[0]).await;
    let record = assisted_record(&item);
    let message = assisted_message(&closed, item["venue_created"].as_s().unwrap());
    for _ in 0..2 {
        invoke(&ctx, "DiningChangesFunction", &record).await;
        invoke(&ctx, "DiningEventsFunction", &message).await;
    }
    assert_eq!(points(&ctx, &diner).await, expected_points);
    assert_same(
        &get(&ctx, &diner, &user_stats_path(&diner.id)).await,
        &expected_stats,
        "after the redeliveries",
    );
    // Once the router's copies went through the queues: still the same, no new message.
    tokio::time::sleep(QUIET).await;
    assert_eq!(points(&ctx, &diner).await, expected_points);
    assert_same(
        &get(&ctx, &diner, &user_stats_path(&diner.id)).await,
        &expected_stats,
        "after the router's copies",
    );
    assert_eq!(get(&ctx, &owner, &venue_stats_path(&owner.id)).await["total"], 6);
    inbox.refresh(&ctx).await;
    assert_eq!(inbox.len(), messages, "the diner's messages: {:#?}", inbox.texts);
    assert_eq!(reservation(&ctx, &diner, &rids[0]).await, closed);
}

/// A record the router cannot read (here: a reservation image without its venue snapshot) is put
/// whole on the failures queue, and the records of its batch after it are routed as usual.
#[tokio::test]
async fn an_unreadable_stream_record_goes_to_the_failures_queue_and_holds_up_nothing() {
    let ctx = Ctx::new().await;
    let (owner, venue_id, _) = venue(&ctx).await;
    let diner = client(&ctx).await;
    let rid = assisted(&ctx, &owner, &diner, &venue_id, slot_in(3, 20, 0), 1).await;
    let item = reservation_item(&ctx, &rid).await;
    let good = assisted_record(&item);
    let mut broken_item = item.clone();
    broken_item.remove("venue_name");
    let mut batch = assisted_record(&broken_item);
    let marker = andes_tests::support::unique_tag();
    batch["Records"][0]["eventID"] = json!(marker);
    let good_record = good["Records"][0].clone();
    batch["Records"].as_array_mut().unwrap().push(good_record);
    invoke(&ctx, "DiningChangesFunction", &batch).await;
    let kept = ctx
        .dead_letter("DINING_FAILURES_QUEUE_URL", "the unreadable record", |body| {
            body.contains(&marker)
        })
        .await;
    let kept: Value = serde_json::from_str(&kept).unwrap();
    assert!(kept["error"].as_str().unwrap().contains("venue_name"), "{kept}");
    assert_eq!(kept["record"]["eventID"], json!(marker));
}

/// A message the events worker cannot apply (not an event of this queue) goes to the queue's
/// dead-letter queue after its retries; the events delivered with it are applied.
#[tokio::test]
async fn a_poison_event_reaches_the_dead_letter_queue_and_stops_nothing() {
    let ctx = Ctx::new().await;
    let poison = format!(
        "{{\"kind\":\"explode\",\"reservation\":\"{}\"}}",
        andes_tests::support::unique_tag()
    );
    ctx.sqs
        .send_message()
        .queue_url(ctx.env.var("DINING_EVENTS_QUEUE_URL"))
        .message_body(&poison)
        .send()
        .await
        .expect("send the poison event");
    let (owner, venue_id, _) = venue(&ctx).await;
    let diner = client(&ctx).await;
    assisted(&ctx, &owner, &diner, &venue_id, slot_in(4, 20, 0), 2).await;
    ctx.dead_letter("DINING_EVENTS_DEAD_LETTER_QUEUE_URL", "the poison event", |body| {
        body == poison
    })
    .await;
    let path = user_stats_path(&diner.id);
    let stats = eventually(|| get(&ctx, &diner, &path), |stats| stats["total"] == 1).await;
    assert_eq!(stats["total"], 1, "{stats}");
}

// ------------------------------------------------------------------------------ stats

#[tokio::test]
async fn user_and_venue_stats_count_closed_reservations() {
    let ctx = Ctx::new().await;
    let ((owner, venue_id, _), (other_owner, _, _)) = tokio::join!(venue(&ctx), venue(&ctx));
    let (ana, bruno, newcomer) = tokio::join!(client(&ctx), client(&ctx), client(&ctx));

    // Without history: zeros, and all seven days.
    assert_same(
        &get(&ctx, &newcomer, &user_stats_path(&newcomer.id)).await,
        &user_stats_of(&newcomer, 0, 0.0, 0.0),
        "a diner without history",
    );
    assert_same(
        &get(&ctx, &owner, &venue_stats_path(&owner.id)).await,
        &json!({"venue": owner.id, "total": 0, "canceled": 0.0, "expired": 0.0, "people": 0,
                "days": seven_days(&[]), "turns": {}}),
        "a venue without history",
    );

    // Ana: a cancel, three no-shows and a visit at 21:30 (00:30 UTC of the next day).
    let late = slot_in(3, 21, 30);
    let cancel = reserve(&ctx, &ana, &venue_id, slot_in(2, 20, 0), 2).await;
    diner_cancels(&ctx, &ana, &cancel).await;
    for days in [4, 5, 6] {
        no_show(&ctx, &owner, &ana, &venue_id, slot_in(days, 20, 0)).await;
    }
    assisted(&ctx, &owner, &ana, &venue_id, late, 3).await;
    // Bruno: a visit at 20:00, a cancel, and two cancels by the venue.
    let early = slot_in(2, 20, 0);
    assisted(&ctx, &owner, &bruno, &venue_id, early, 2).await;
    let cancel = reserve(&ctx, &bruno, &venue_id, slot_in(3, 20, 0), 2).await;
    diner_cancels(&ctx, &bruno, &cancel).await;
    let declined = reserve(&ctx, &bruno, &venue_id, slot_in(4, 20, 0), 2).await;
    patch_reservation(&ctx, &owner, &declined, json!({"cancel": true}))
        .await
        .expect(200);
    let dropped = accepted(&ctx, &owner, &bruno, &venue_id, slot_in(5, 20, 0)).await;
    patch_reservation(&ctx, &owner, &dropped, json!({"cancel": true}))
        .await
        .expect(200);
    // Open reservations count nowhere.
    reserve(&ctx, &bruno, &venue_id, slot_in(6, 21, 30), 4).await;
    accepted(&ctx, &owner, &ana, &venue_id, slot_in(7, 20, 0)).await;

    // Nine closed: 4 canceled (one by Ana, one by Bruno, two by the venue), 3 expired, and 3 + 2
    // people came; days and turns are Buenos Aires ones.
    let stats = venue_stats_once(&ctx, &owner, 9).await;
    assert_same(
        &stats,
        &json!({"venue": owner.id, "total": 9, "canceled": 0.44, "expired": 0.33, "people": 5,
                "days": seven_days(&[late, early]), "turns": {"20:00": 1, "21:30": 1}}),
        "the venue's stats",
    );
    // Every event is applied (the venue's stats count them all): the diners' stats leave out
    // the venue's cancels; more than half alerts, exactly half does not.
    assert_same(
        &get(&ctx, &ana, &user_stats_path(&ana.id)).await,
        &user_stats_of(&ana, 5, 0.2, 0.6),
        "Ana",
    );
    assert_same(
        &get(&ctx, &bruno, &user_stats_path(&bruno.id)).await,
        &user_stats_of(&bruno, 2, 0.5, 0.0),
        "Bruno",
    );
    // The venue owner reads them too.
    assert_eq!(
        get(&ctx, &owner, &user_stats_path(&ana.id)).await,
        get(&ctx, &ana, &user_stats_path(&ana.id)).await
    );

    // Venue stats are the owner's only.
    ctx.call("GET", &venue_stats_path(&owner.id), other_owner.bearer(), None)
        .await
        .expect_problem(403, Some("Invalid user"));
    ctx.call("GET", &venue_stats_path(&unknown_id()), owner.bearer(), None)
        .await
        .expect_problem(403, Some("Invalid user"));
    ctx.call("GET", &venue_stats_path(&owner.id), ana.bearer(), None)
        .await
        .expect_gateway(403, "Forbidden");
}

// ------------------------------------------------------------------------------ access

#[tokio::test]
async fn points_and_stats_are_read_by_the_diner_and_the_venues_they_booked_at() {
    let ctx = Ctx::new().await;
    let ((owner, venue_id, _), (elsewhere, elsewhere_id, _)) = tokio::join!(venue(&ctx), venue(&ctx));
    let (ana, bruno, plain, lone) = tokio::join!(client(&ctx), client(&ctx), plain_user(&ctx), restaurant(&ctx));
    let rid = reserve(&ctx, &ana, &venue_id, slot_in(3, 20, 0), 2).await;
    reserve(&ctx, &bruno, &elsewhere_id, slot_in(3, 20, 0), 2).await;
    let diner_paths = |diner: &str| [points_path(diner), user_stats_path(diner)];

    for path in diner_paths(&ana.id) {
        // The diner, and the venue they booked at (even while Unconfirmed).
        get(&ctx, &ana, &path).await;
        get(&ctx, &owner, &path).await;
        // Another diner, a venue they never booked at, a restaurant without a venue: 404.
        for stranger in [&bruno, &elsewhere, &lone] {
            ctx.call("GET", &path, stranger.bearer(), None)
                .await
                .expect_problem(404, None);
        }
    }
    for path in diner_paths(&unknown_id()) {
        for caller in [&ana, &owner] {
            ctx.call("GET", &path, caller.bearer(), None)
                .await
                .expect_problem(404, None);
        }
    }
    // Any status: a canceled reservation still lets the venue read the diner.
    diner_cancels(&ctx, &ana, &rid).await;
    for path in diner_paths(&ana.id) {
        get(&ctx, &owner, &path).await;
    }

    // Roles: a plain account is refused by the authorizer, no token by the gateway.
    let [points, stats] = diner_paths(&ana.id);
    let routes = [
        ("GET", points),
        ("GET", stats),
        ("GET", venue_stats_path(&owner.id)),
        ("GET", "/dining/me".to_string()),
        ("PATCH", "/dining/me".to_string()),
    ];
    let body = json!({"name": "Nadie"});
    for (method, path) in &routes {
        let body = (*method == "PATCH").then_some(&body);
        ctx.call(method, path, plain.bearer(), body)
            .await
            .expect_gateway(403, "Forbidden");
        ctx.call(method, path, None, body)
            .await
            .expect_gateway(401, "Unauthorized");
    }
}

// ------------------------------------------------------------------------------ me

#[tokio::test]
async fn me_shows_the_account_and_its_points_and_edits_name_and_phone() {
    let ctx = Ctx::new().await;
    let (diner, owner) = tokio::join!(client(&ctx), restaurant(&ctx));
    for (caller, role) in [(&diner, "client"), (&owner, "restaurant")] {
        let me = get(&ctx, caller, "/dining/me").await;
        let keys: Vec<&String> = me.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["data", "points"], "{me}");
        assert_eq!(me["data"]["id"], caller.id.as_str(), "{me}");
        assert!(me["data"]["name"].as_str().is_some_and(|name| !name.is_empty()), "{me}");
        assert!(me["data"]["phone"].is_null(), "{me}");
        assert!(
            me["data"]["roles"]
                .as_array()
                .is_some_and(|roles| roles.contains(&json!(role))),
            "{me}"
        );
        assert_eq!(me["points"], points_of(caller, 0, "Novato", 0));

        let patch = |body: Value| {
            let (ctx, caller) = (&ctx, caller);
            async move { ctx.call("PATCH", "/dining/me", caller.bearer(), Some(&body)).await }
        };
        let edited = patch(json!({"name": "Nuevo", "phone": "+5491112345678"}))
            .await
            .expect(200);
        let mut expected = me.clone();
        expected["data"]["name"] = json!("Nuevo");
        expected["data"]["phone"] = json!("+5491112345678");
        assert_eq!(edited, expected);
        assert_eq!(get(&ctx, caller, "/dining/me").await, expected);

        // Refused edits change nothing.
        for (body, field) in [
            (json!({"phone": "12345"}), "phone"),
            (json!({"phone": "+54 9 11 1234-5678"}), "phone"),
            (json!({"name": ""}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": "Otro", "phone": "tel"}), "phone"),
        ] {
            patch(body).await.expect_invalid_field(field);
        }
        ctx.call_raw(
            "PATCH",
            "/dining/me",
            &[
                ("authorization", &format!("Bearer {}", caller.token)),
                ("content-type", "application/json"),
            ],
            b"{oops".to_vec(),
        )
        .await
        .expect(400);
        assert_eq!(patch(json!({})).await.expect(200), expected);
        assert_eq!(get(&ctx, caller, "/dining/me").await, expected);

        // One field at a time keeps the other.
        expected["data"]["phone"] = json!("1123456789");
        assert_eq!(patch(json!({"phone": "1123456789"})).await.expect(200), expected);
        assert_eq!(get(&ctx, caller, "/dining/me").await, expected);
    }
}

// ------------------------------------------------------------------------------ decay

#[tokio::test]
async fn inactive_points_decay_by_200_at_most_once_per_14_days() {
    let ctx = Ctx::new().await;
    let (owner, venue_id, _) = venue(&ctx).await;
    let (ana, bruno) = tokio::join!(client(&ctx), client(&ctx));
    for days in 2..7 {
        assisted(&ctx, &owner, &ana, &venue_id, slot_in(days, 20, 0), 2).await;
    }
    assisted(&ctx, &owner, &bruno, &venue_id, slot_in(2, 21, 30), 2).await;
    assert_eq!(points_once(&ctx, &ana, 250).await["total"], 250);
    assert_eq!(points_once(&ctx, &bruno, 50).await["total"], 50);
    // Both diners' last points event is before `now`.
    let now = Utc::now();
    let total = |diner: Caller| {
        let ctx = &ctx;
        async move { points(ctx, &diner).await["total"].as_u64().unwrap() }
    };
    let decay = |days: i64| fire_schedule(&ctx, "Decay", now + Duration::days(days));

    let _sweeping = POINTS.write().await;
    // 13 days on, both were active less than 14 days ago: untouched.
    decay(13).await;
    assert_eq!((total(ana.clone()).await, total(bruno.clone()).await), (250, 50));
    // 15 days on: 200 off, floor 0.
    decay(15).await;
    assert_eq!((total(ana.clone()).await, total(bruno.clone()).await), (50, 0));
    assert_eq!(points(&ctx, &ana).await, points_of(&ana, 50, "Novato", 0));
    // The same sweep again changes nothing; 5 days after the decay, nothing either.
    decay(15).await;
    assert_eq!(total(ana.clone()).await, 50);
    decay(20).await;
    assert_eq!(total(ana.clone()).await, 50);
    // 15 days after the decay: the next one.
    decay(30).await;
    assert_eq!((total(ana.clone()).await, total(bruno.clone()).await), (0, 0));
    // Reads never decay; the venue still reads the same.
    assert_eq!(
        get(&ctx, &owner, &points_path(&ana.id)).await,
        points_of(&ana, 0, "Novato", 0)
    );
}

// ------------------------------------------------------------------------------ the venue's list

#[tokio::test]
async fn the_venues_list_shows_each_diners_visits_once_applied() {
    let ctx = Ctx::new().await;
    let (owner, venue_id, _) = venue(&ctx).await;
    let (ana, bruno) = tokio::join!(client(&ctx), client(&ctx));
    assisted(&ctx, &owner, &ana, &venue_id, slot_in(2, 20, 0), 2).await;
    assisted(&ctx, &owner, &ana, &venue_id, slot_in(3, 21, 30), 2).await;
    no_show(&ctx, &owner, &ana, &venue_id, slot_in(4, 20, 0)).await;
    let cancel = reserve(&ctx, &ana, &venue_id, slot_in(5, 20, 0), 2).await;
    diner_cancels(&ctx, &ana, &cancel).await;
    reserve(&ctx, &ana, &venue_id, slot_in(6, 20, 0), 2).await;
    reserve(&ctx, &bruno, &venue_id, slot_in(2, 20, 0), 3).await;
    ctx.call(
        "PATCH",
        "/dining/me",
        ana.bearer(),
        Some(&json!({"name": "Ana Nueva", "phone": "+5491187654321"})),
    )
    .await
    .expect(200);

    let list = eventually(
        || venue_list(&ctx, &owner),
        |list| {
            diners_of(list, &ana.id)
                .iter()
                .all(|d| d["times_assisted"] == 2 && d["times_expired"] == 1)
        },
    )
    .await;
    let (of_ana, of_bruno) = (diners_of(&list, &ana.id), diners_of(&list, &bruno.id));
    assert_eq!((of_ana.len(), of_bruno.len()), (5, 1), "{list}");
    for diner in of_ana {
        assert_eq!(
            diner,
            json!({"id": ana.id, "name": "Ana Nueva", "phone": "+5491187654321",
                   "times_assisted": 2, "times_expired": 1})
        );
    }
    assert_eq!(
        (
            of_bruno[0]["times_assisted"].as_u64(),
            of_bruno[0]["times_expired"].as_u64()
        ),
        (Some(0), Some(0)),
        "{}",
        of_bruno[0]
    );
}

// ------------------------------------------------------------------------------ a venue created again

#[tokio::test]
async fn a_venue_created_again_starts_its_stats_from_zero_and_late_events_stay_with_the_old_one() {
    let _points = POINTS.read().await;
    let ctx = Ctx::new().await;
    let name = unique_name("Otra vez");
    let body = venue_body(&name, unique_point());
    let (owner, first) = venue_at(&ctx, &name, unique_point(), json!({})).await;
    let venue_id = id(&first);
    let diner = client(&ctx).await;
    let old = assisted(&ctx, &owner, &diner, &venue_id, slot_in(2, 20, 0), 2).await;
    assert_eq!(venue_stats_once(&ctx, &owner, 1).await["people"], 2);
    let old = reservation(&ctx, &diner, &old).await;
    // Times are whole seconds: the venue is created again in a later second than it was first
    // (an incarnation is told by its `created`, which the reservation recorded at booking).
    let first_created: DateTime<Utc> = first["created"].as_str().unwrap().parse().unwrap();
    while Utc::now() < first_created + Duration::milliseconds(1100) {
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }

    ctx.call("DELETE", &venue_path(&venue_id), owner.bearer(), None)
        .await
        .expect(204);
    let again = create_venue(&ctx, &owner, &body).await;
    assert_eq!(id(&again), venue_id);
    let zeros = json!({"venue": venue_id, "total": 0, "canceled": 0.0, "expired": 0.0, "people": 0,
                       "days": seven_days(&[]), "turns": {}});
    assert_same(
        &get(&ctx, &owner, &venue_stats_path(&venue_id)).await,
        &zeros,
        "the venue created again",
    );

    // An event of a reservation booked at the old venue, arriving now (late in the queue),
    // counts for the diner and not for the new venue.
    let mut late = old.clone();
    late["id"] = json!(unknown_id());
    invoke(
        &ctx,
        "DiningEventsFunction",
        &assisted_message(&late, first["created"].as_str().unwrap()),
    )
    .await;
    assert_eq!(points(&ctx, &diner).await["total"], 100);
    assert_same(
        &get(&ctx, &diner, &user_stats_path(&diner.id)).await,
        &user_stats_of(&diner, 2, 0.0, 0.0),
        "the late event counts for the diner",
    );
    assert_same(
        &get(&ctx, &owner, &venue_stats_path(&venue_id)).await,
        &zeros,
        "a late event of the old venue",
    );

    // A visit to the new venue counts there.
    let time = slot_in(3, 21, 30);
    assisted(&ctx, &owner, &diner, &venue_id, time, 4).await;
    assert_same(
        &venue_stats_once(&ctx, &owner, 1).await,
        &json!({"venue": venue_id, "total": 1, "canceled": 0.0, "expired": 0.0, "people": 4,
                "days": seven_days(&[time]), "turns": {"21:30": 1}}),
        "the new venue's first visit",
    );
    assert_eq!(points_once(&ctx, &diner, 150).await["total"], 150);
}
