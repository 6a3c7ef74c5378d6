//! TransactWriteItems on the real local backend (the embedded dynoxide, behind the front door):
//! all or nothing, one stream record per written item and none for a cancelled transaction,
//! DynamoDB's cancellation reasons, and exact conditions under concurrent transactions.

use std::collections::{BTreeSet, HashMap};

mod support;

use andes_local::backend::access::Access;
use andes_local::backend::Clients;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodbstreams::types::{AttributeValue as StreamValue, ShardIteratorType};

type Ddb = aws_sdk_dynamodb::Client;
type Streams = aws_sdk_dynamodbstreams::Client;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), s(pk))])
}

fn put(table: &str, pk: &str, condition: Option<&str>) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(key(pk)))
        .item("v", s("new"))
        .set_condition_expression(condition.map(str::to_string))
        .build()
        .unwrap();
    TransactWriteItem::builder().put(put).build()
}

fn update(
    table: &str,
    pk: &str,
    expression: &str,
    condition: Option<&str>,
    values: &[(&str, AttributeValue)],
) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key(pk)))
        .update_expression(expression)
        .set_condition_expression(condition.map(str::to_string))
        .set_expression_attribute_values(
            (!values.is_empty()).then(|| values.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()),
        )
        .build()
        .unwrap();
    TransactWriteItem::builder().update(update).build()
}

fn delete(table: &str, pk: &str, condition: &str) -> TransactWriteItem {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key(pk)))
        .condition_expression(condition)
        .build()
        .unwrap();
    TransactWriteItem::builder().delete(delete).build()
}

#[derive(Debug)]
enum Outcome {
    Written,
    Cancelled {
        reasons: Vec<CancellationReason>,
        message: String,
    },
    Rejected {
        code: String,
        message: String,
    },
}

async fn transact(ddb: &Ddb, items: Vec<TransactWriteItem>) -> Outcome {
    match ddb.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Outcome::Written,
        Err(error) => match error.into_service_error() {
            TransactWriteItemsError::TransactionCanceledException(e) => Outcome::Cancelled {
                reasons: e.cancellation_reasons().to_vec(),
                message: e.message().unwrap_or_default().to_string(),
            },
            other => Outcome::Rejected {
                code: other.code().unwrap_or("?").to_string(),
                message: other.message().unwrap_or_default().to_string(),
            },
        },
    }
}

async fn create_table(ddb: &Ddb, table: &str) {
    support::create_streamed_table(ddb, table).await;
}

async fn put_item(ddb: &Ddb, table: &str, pk: &str, attributes: &[(&str, AttributeValue)]) {
    let mut item = key(pk);
    item.extend(attributes.iter().map(|(k, v)| (k.to_string(), v.clone())));
    ddb.put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
}

async fn get_item(ddb: &Ddb, table: &str, pk: &str) -> Option<HashMap<String, AttributeValue>> {
    ddb.get_item()
        .table_name(table)
        .set_key(Some(key(pk)))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

/// A shard iterator of the table's stream, from its first record.
async fn stream_start(ddb: &Ddb, streams: &Streams, table: &str) -> String {
    let arn = ddb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .and_then(|t| t.latest_stream_arn)
        .expect("the table has a stream");
    let description = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    let shard = description.shards()[0].shard_id().unwrap().to_string();
    streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap()
}

/// Reads on from `iterator` until no record is left: ("INSERT", "pk value") per record, and the
/// iterator to continue from later.
async fn read_stream(streams: &Streams, mut iterator: String) -> (Vec<(String, String)>, String) {
    let mut records = Vec::new();
    loop {
        let page = streams.get_records().shard_iterator(&iterator).send().await.unwrap();
        iterator = page
            .next_shard_iterator()
            .expect("an open shard has a next iterator")
            .to_string();
        if page.records().is_empty() {
            return (records, iterator);
        }
        for record in page.records() {
            let event = record.event_name().map(|e| e.as_str().to_string()).unwrap_or_default();
            let pk = match record.dynamodb().and_then(|d| d.keys()).and_then(|k| k.get("pk")) {
                Some(StreamValue::S(pk)) => pk.clone(),
                other => panic!("stream record without a string pk: {other:?}"),
            };
            records.push((event, pk));
        }
    }
}

fn records(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(e, k)| (e.to_string(), k.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_are_all_or_nothing() {
    let Some(mut backend) = support::backend(support::free_port(), None, Access::admin_only()).await else {
        return;
    };
    let clients = Clients::new(&backend.endpoint(), "us-east-1").await;
    // No retries: every answer of the backend counts.
    let ddb = Ddb::from_conf(
        clients
            .dynamodb
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    let streams = clients.streams.clone();

    failed_condition_writes_nothing(&ddb, &streams).await;
    success_emits_one_record_per_item(&ddb, &streams).await;
    cancellation_reasons_name_the_failing_item(&ddb, &streams).await;
    concurrent_transactions_respect_the_capacity(&ddb, &streams).await;
    failing_write_leaves_nothing(&ddb, &streams).await;
    same_item_twice_is_rejected(&ddb, &streams).await;

    backend.stop().await;
}

/// (a) The second item fails its condition: the first is not written, the stream has no record
/// of it, and an iterator opened before the transaction still sees what comes after.
async fn failed_condition_writes_nothing(ddb: &Ddb, streams: &Streams) {
    let table = "a_orders";
    create_table(ddb, table).await;
    put_item(ddb, table, "existing", &[]).await;
    let (before, held) = read_stream(streams, stream_start(ddb, streams, table).await).await;
    assert_eq!(before, records(&[("INSERT", "existing")]));

    let outcome = transact(
        ddb,
        vec![
            put(table, "first", Some("attribute_not_exists(pk)")),
            update(
                table,
                "existing",
                "SET v = :v",
                Some("attribute_not_exists(pk)"),
                &[(":v", s("changed"))],
            ),
        ],
    )
    .await;
    assert!(matches!(outcome, Outcome::Cancelled { .. }), "(a) {outcome:?}");
    assert_eq!(get_item(ddb, table, "first").await, None, "(a) first item written");
    assert_eq!(get_item(ddb, table, "existing").await, Some(key("existing")));

    put_item(ddb, table, "after", &[]).await;
    let (seen, _) = read_stream(streams, held).await;
    assert_eq!(
        seen,
        records(&[("INSERT", "after")]),
        "(a) iterator opened before the cancelled transaction"
    );
    let (all, _) = read_stream(streams, stream_start(ddb, streams, table).await).await;
    assert_eq!(all, records(&[("INSERT", "existing"), ("INSERT", "after")]));
}

/// (b) Put, Update and Delete in one transaction: exactly three records, in order.
async fn success_emits_one_record_per_item(ddb: &Ddb, streams: &Streams) {
    let table = "b_ledger";
    create_table(ddb, table).await;
    put_item(ddb, table, "old", &[("v", s("before"))]).await;
    put_item(ddb, table, "gone", &[]).await;
    let (before, held) = read_stream(streams, stream_start(ddb, streams, table).await).await;
    assert_eq!(before.len(), 2);

    let outcome = transact(
        ddb,
        vec![
            put(table, "fresh", Some("attribute_not_exists(pk)")),
            update(
                table,
                "old",
                "SET v = :v",
                Some("attribute_exists(pk)"),
                &[(":v", s("after"))],
            ),
            delete(table, "gone", "attribute_exists(pk)"),
        ],
    )
    .await;
    assert!(matches!(outcome, Outcome::Written), "(b) {outcome:?}");
    let (seen, _) = read_stream(streams, held).await;
    assert_eq!(
        seen,
        records(&[("INSERT", "fresh"), ("MODIFY", "old"), ("REMOVE", "gone")]),
        "(b) one record per item"
    );
    assert!(get_item(ddb, table, "fresh").await.is_some());
    assert_eq!(get_item(ddb, table, "old").await.unwrap()["v"], s("after"));
    assert_eq!(get_item(ddb, table, "gone").await, None);
}

/// (c) Reasons as DynamoDB gives them: the failing item's position, "None" elsewhere, and the
/// old item when ReturnValuesOnConditionCheckFailure is ALL_OLD.
async fn cancellation_reasons_name_the_failing_item(ddb: &Ddb, streams: &Streams) {
    let table = "c_seats";
    create_table(ddb, table).await;
    put_item(ddb, table, "taken", &[("holder", s("ann"))]).await;
    let (_, held) = read_stream(streams, stream_start(ddb, streams, table).await).await;

    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key("taken")))
        .condition_expression("attribute_not_exists(holder)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .unwrap();
    let outcome = transact(
        ddb,
        vec![
            put(table, "x1", None),
            TransactWriteItem::builder().condition_check(check).build(),
            update(table, "x3", "SET v = :v", None, &[(":v", s("x"))]),
        ],
    )
    .await;
    let Outcome::Cancelled { reasons, message } = outcome else {
        panic!("(c) expected a cancellation: {outcome:?}");
    };
    let codes: Vec<_> = reasons.iter().map(|r| r.code().unwrap_or("")).collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed", "None"], "(c) {reasons:?}");
    assert!(
        message.contains("[None, ConditionalCheckFailed, None]"),
        "(c) {message}"
    );
    assert_eq!(
        reasons[1].item().map(|item| &item["holder"]),
        Some(&s("ann")),
        "(c) ALL_OLD"
    );
    assert!(reasons[0].item().is_none() && reasons[2].item().is_none());
    assert_eq!(get_item(ddb, table, "x1").await, None);
    assert_eq!(get_item(ddb, table, "x3").await, None);
    assert_eq!(read_stream(streams, held).await.0, records(&[]), "(c) records");
}

/// (d) 20 concurrent transactions, each taking one unit of a capacity of 5 and putting a claim:
/// exactly 5 win, and only their claims exist and reach the stream.
async fn concurrent_transactions_respect_the_capacity(ddb: &Ddb, streams: &Streams) {
    const CAPACITY: i64 = 5;
    const CONTENDERS: usize = 20;
    let table = "d_stock";
    create_table(ddb, table).await;
    put_item(ddb, table, "counter", &[("stock", n(0))]).await;
    let (_, held) = read_stream(streams, stream_start(ddb, streams, table).await).await;

    let tasks: Vec<_> = (0..CONTENDERS)
        .map(|i| {
            let ddb = ddb.clone();
            tokio::spawn(async move {
                let items = vec![
                    update(
                        table,
                        "counter",
                        "SET stock = stock + :one",
                        Some("stock <= :room"),
                        &[(":one", n(1)), (":room", n(CAPACITY - 1))],
                    ),
                    put(table, &format!("claim-{i:02}"), Some("attribute_not_exists(pk)")),
                ];
                (i, transact(&ddb, items).await)
            })
        })
        .collect();
    let mut winners = BTreeSet::new();
    for task in tasks {
        let (i, outcome) = task.await.unwrap();
        match outcome {
            Outcome::Written => {
                winners.insert(format!("claim-{i:02}"));
            }
            Outcome::Cancelled { reasons, .. } => {
                let codes: Vec<_> = reasons.iter().map(|r| r.code().unwrap_or("")).collect();
                assert_eq!(codes, ["ConditionalCheckFailed", "None"], "(d) loser {i}");
            }
            other => panic!("(d) transaction {i}: {other:?}"),
        }
    }
    assert_eq!(winners.len(), CAPACITY as usize, "(d) winners {winners:?}");
    assert_eq!(get_item(ddb, table, "counter").await.unwrap()["stock"], n(CAPACITY));

    let scan = ddb.scan().table_name(table).consistent_read(true).send().await.unwrap();
    let claims: BTreeSet<String> = scan
        .items()
        .iter()
        .filter_map(|item| item["pk"].as_s().ok())
        .filter(|pk| pk.starts_with("claim-"))
        .cloned()
        .collect();
    assert_eq!(claims, winners, "(d) claims in the table");

    let (seen, _) = read_stream(streams, held).await;
    let inserted: Vec<_> = seen
        .iter()
        .filter(|(event, _)| event == "INSERT")
        .map(|(_, pk)| pk.clone())
        .collect();
    assert_eq!(inserted.len(), CAPACITY as usize, "(d) INSERT records {seen:?}");
    assert_eq!(
        inserted.into_iter().collect::<BTreeSet<_>>(),
        winners,
        "(d) INSERT records"
    );
    let modified = seen
        .iter()
        .filter(|(event, pk)| event == "MODIFY" && pk == "counter")
        .count();
    assert_eq!(
        modified, CAPACITY as usize,
        "(d) MODIFY records of the counter {seen:?}"
    );
    assert_eq!(seen.len(), 2 * CAPACITY as usize, "(d) records {seen:?}");
}

/// (e) A write that can only fail while writing (ADD of a number to a string): rejected like
/// moto does (ValidationException, or a cancellation), and nothing of the transaction is left,
/// neither the item written before it nor a stream record.
async fn failing_write_leaves_nothing(ddb: &Ddb, streams: &Streams) {
    let table = "e_notes";
    create_table(ddb, table).await;
    put_item(ddb, table, "note", &[("txt", s("hello"))]).await;
    let (_, held) = read_stream(streams, stream_start(ddb, streams, table).await).await;

    let outcome = transact(
        ddb,
        vec![
            put(table, "claim-e", Some("attribute_not_exists(pk)")),
            update(table, "fresh-e", "SET v = :v", None, &[(":v", s("x"))]),
            update(table, "note", "ADD txt :one", None, &[(":one", n(1))]),
        ],
    )
    .await;
    match &outcome {
        Outcome::Rejected { code, message } if code == "ValidationException" => {
            assert!(message.contains("incorrect data type"), "(e) {message}");
        }
        Outcome::Cancelled { .. } => {}
        other => panic!("(e) expected a ValidationException or a cancellation: {other:?}"),
    }
    assert_eq!(get_item(ddb, table, "claim-e").await, None, "(e) put left behind");
    assert_eq!(get_item(ddb, table, "fresh-e").await, None, "(e) update left behind");
    assert_eq!(get_item(ddb, table, "note").await.unwrap()["txt"], s("hello"));
    assert_eq!(read_stream(streams, held).await.0, records(&[]), "(e) records");
}

/// Two operations on one item: a ValidationException and nothing written. (DynamoDB also takes
/// a table's ARN for its name; dynoxide 3.2 refuses one, and no function names a table so.)
async fn same_item_twice_is_rejected(ddb: &Ddb, streams: &Streams) {
    let table = "f_twice";
    create_table(ddb, table).await;
    let (_, held) = read_stream(streams, stream_start(ddb, streams, table).await).await;
    let outcome = transact(
        ddb,
        vec![
            put(table, "dup", None),
            update(table, "dup", "SET v = :v", None, &[(":v", s("x"))]),
        ],
    )
    .await;
    match &outcome {
        Outcome::Rejected { code, message } if code == "ValidationException" => {
            assert!(message.contains("multiple operations on one item"), "(f) {message}");
        }
        other => panic!("(f) expected a ValidationException: {other:?}"),
    }
    assert_eq!(get_item(ddb, table, "dup").await, None);
    assert_eq!(read_stream(streams, held).await.0, records(&[]), "(f) records");
}
