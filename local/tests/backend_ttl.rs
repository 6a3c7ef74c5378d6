//! TTL on the real local backend: an item past its expiry time disappears, one before it stays,
//! and the deletion reaches the table's stream as a `REMOVE` record made by the DynamoDB
//! service, as on AWS (the sweep is asked for here rather than waited for).

mod support;

use std::collections::HashMap;

use andes_local::backend::access::Access;
use andes_local::backend::{self, Clients};
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveSpecification};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;

fn item(pk: &str, expires_at: i64) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("expires_at".to_string(), AttributeValue::N(expires_at.to_string())),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_items_disappear_as_remove_records_of_the_service() {
    let Some(mut backend) = support::backend(support::free_port(), None, Access::admin_only()).await else {
        return;
    };
    let clients = Clients::new(&backend.endpoint(), "us-east-1").await;
    let (ddb, streams) = (&clients.dynamodb, &clients.streams);
    let table = "sessions";
    support::create_streamed_table(ddb, table).await;
    ddb.update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    for (pk, expires_at) in [("expired", now - 60), ("alive", now + 3600)] {
        ddb.put_item()
            .table_name(table)
            .set_item(Some(item(pk, expires_at)))
            .send()
            .await
            .unwrap();
    }

    assert_eq!(backend::sweep_ttl(&backend.endpoint()).await.unwrap(), 1);
    let get = |pk: &'static str| {
        ddb.get_item()
            .table_name(table)
            .key("pk", AttributeValue::S(pk.into()))
            .consistent_read(true)
            .send()
    };
    assert!(get("expired").await.unwrap().item.is_none(), "the expired item is gone");
    assert!(get("alive").await.unwrap().item.is_some(), "the live item stays");

    let described = ddb.describe_table().table_name(table).send().await.unwrap();
    let stream_arn = described.table.unwrap().latest_stream_arn.unwrap();
    let description = streams.describe_stream().stream_arn(&stream_arn).send().await.unwrap();
    let shard = description.stream_description.unwrap().shards.unwrap().remove(0);
    let mut iterator = streams
        .get_shard_iterator()
        .stream_arn(&stream_arn)
        .shard_id(shard.shard_id.unwrap())
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator;
    let mut records = Vec::new();
    while let Some(current) = iterator {
        let page = streams.get_records().shard_iterator(current).send().await.unwrap();
        let empty = page.records().is_empty();
        records.extend(page.records.unwrap_or_default());
        iterator = if empty { None } else { page.next_shard_iterator };
    }
    let removed: Vec<_> = records
        .iter()
        .filter(|r| r.event_name.as_ref().map(|e| e.as_str()) == Some("REMOVE"))
        .collect();
    assert_eq!(removed.len(), 1, "{records:#?}");
    let identity = removed[0]
        .user_identity
        .as_ref()
        .expect("a TTL deletion names who made it");
    assert_eq!(identity.principal_id.as_deref(), Some("dynamodb.amazonaws.com"));
    assert_eq!(identity.r#type.as_deref(), Some("Service"));
    let old_image = removed[0].dynamodb.as_ref().unwrap().old_image.as_ref().unwrap();
    assert_eq!(
        old_image.get("pk"),
        Some(&aws_sdk_dynamodbstreams::types::AttributeValue::S("expired".into()))
    );

    backend.stop().await;
}
