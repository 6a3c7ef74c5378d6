//! The real local backend (dynoxide and moto behind the front door) with resources from an inline template and the triggers
//! delivering to a fake invoker: SQS partial failures and redrive, S3 notifications, DynamoDB
//! streams, event filtering (`FilterCriteria`), schedules, TTL.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use andes_local::backend::access::Access;
use andes_local::backend::Clients;
use andes_local::control::{Background, BoxFuture, InvokeError, Invoker};
use andes_local::template::{self, StackOptions};
use andes_local::triggers::Triggers;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  DeadLetters:
    Type: AWS::SQS::Queue
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetters.Arn
        maxReceiveCount: 2
  PickyQueue:
    Type: AWS::SQS::Queue
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      LifecycleConfiguration:
        Rules:
          - Id: expire-tmp
            Status: Enabled
            Prefix: tmp/
            ExpirationInDays: 1
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
      StreamSpecification:
        StreamViewType: NEW_AND_OLD_IMAGES
      TimeToLiveSpecification:
        AttributeName: expires
        Enabled: true
  Worker:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: worker } }
    Properties:
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 10
            FunctionResponseTypes: [ReportBatchItemFailures]
  Picky:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: picky } }
    Properties:
      Events:
        Picked:
          Type: SQS
          Properties:
            Queue: !GetAtt PickyQueue.Arn
            FilterCriteria:
              Filters:
                - Pattern: '{"body": {"kind": ["wanted"]}}'
  UploadHandler:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: upload } }
    Properties:
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules:
                  - { Name: prefix, Value: in/ }
  StreamReader:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: reader } }
    Properties:
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Items.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"]}'
  Ticker:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: ticker } }
    Properties:
      Events:
        Tick:
          Type: Schedule
          Properties:
            Schedule: rate(1 day)
"#;

/// Records every invocation; the worker fails every message whose body is "fail".
#[derive(Default)]
struct FakeInvoker {
    calls: Mutex<Vec<(String, Value)>>,
}

impl FakeInvoker {
    fn calls_to(&self, function: &str) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, p)| p.clone())
            .collect()
    }
}

impl Invoker for FakeInvoker {
    fn invoke<'a>(&'a self, function: &'a str, payload: Value) -> BoxFuture<'a, Result<Value, InvokeError>> {
        Box::pin(async move {
            self.calls.lock().unwrap().push((function.to_string(), payload.clone()));
            if function != "Worker" {
                return Ok(json!({"ok": true}));
            }
            let failures: Vec<Value> = payload["Records"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["body"] == "fail")
                .map(|r| json!({"itemIdentifier": r["messageId"]}))
                .collect();
            Ok(json!({"batchItemFailures": failures}))
        })
    }
}

async fn eventually<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_deliver_from_the_real_backend() {
    let Some(mut backend) = support::backend(support::free_port(), None, Access::admin_only()).await else {
        return;
    };
    let endpoint = backend.endpoint();
    let options = StackOptions {
        stack_name: "itest".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        endpoint: endpoint.clone(),
        parameter_overrides: BTreeMap::new(),
    };
    let stack = Arc::new(template::parse(TEMPLATE, &options).expect("template parses"));
    let clients = Clients::new(&endpoint, &stack.region).await;
    andes_local::resources::create_all(&stack, &clients)
        .await
        .expect("resources created");
    andes_local::resources::create_all(&stack, &clients)
        .await
        .expect("resources creation is idempotent");

    let invoker = Arc::new(FakeInvoker::default());
    let triggers = Triggers::start(Arc::clone(&stack), clients.clone(), invoker.clone())
        .await
        .expect("triggers start");

    // --- SQS: the failed message comes back after the visibility timeout, then dead-letters.
    let work = stack.queue("WorkQueue").unwrap();
    let work_url = clients
        .sqs
        .get_queue_url()
        .queue_name(&work.name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for body in ["ok", "fail"] {
        clients
            .sqs
            .send_message()
            .queue_url(&work_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let dlq = stack.queue("DeadLetters").unwrap();
    let dlq_url = clients
        .sqs
        .get_queue_url()
        .queue_name(&dlq.name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let started = Instant::now();
    let dead = loop {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&dlq_url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(message) = received.messages.unwrap_or_default().into_iter().next() {
            break message;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the failed message never reached the DLQ"
        );
    };
    assert_eq!(dead.body.as_deref(), Some("fail"));
    let bodies: Vec<String> = invoker
        .calls_to("Worker")
        .iter()
        .flat_map(|p| p["Records"].as_array().cloned().unwrap_or_default())
        .map(|r| r["body"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        bodies.iter().filter(|b| *b == "ok").count(),
        1,
        "the good message was delivered once: {bodies:?}"
    );
    assert_eq!(
        bodies.iter().filter(|b| *b == "fail").count(),
        2,
        "maxReceiveCount deliveries: {bodies:?}"
    );
    let first = &invoker.calls_to("Worker")[0]["Records"][0];
    assert_eq!(first["eventSource"], "aws:sqs");
    assert_eq!(first["eventSourceARN"], work.arn.as_str());
    assert!(first["attributes"]["ApproximateReceiveCount"].is_string());
    assert!(first["attributes"]["SentTimestamp"].is_string());

    // --- SQS filtering: only the wanted message is delivered; the others are deleted.
    let picky_url = clients
        .sqs
        .get_queue_url()
        .queue_name(&stack.queue("PickyQueue").unwrap().name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for body in [r#"{"kind": "other"}"#, "plain text", r#"{"kind": "wanted"}"#] {
        clients
            .sqs
            .send_message()
            .queue_url(&picky_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    eventually("the filtered messages deleted", Duration::from_secs(20), || {
        let stats = triggers.stats();
        (stats["Picky.Picked"]["filtered_records"] == 2 && !invoker.calls_to("Picky").is_empty()).then_some(())
    })
    .await;
    let picked: Vec<Value> = invoker
        .calls_to("Picky")
        .iter()
        .flat_map(|p| p["Records"].as_array().cloned().unwrap_or_default())
        .map(|r| r["body"].clone())
        .collect();
    assert_eq!(picked, vec![json!(r#"{"kind": "wanted"}"#)]);
    // The wanted message is deleted after its invocation answers: wait for that too.
    let started = Instant::now();
    loop {
        let attributes = clients
            .sqs
            .get_queue_attributes()
            .queue_url(&picky_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let left: Vec<_> = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            .into_iter()
            .filter(|name| {
                let key = aws_sdk_sqs::types::QueueAttributeName::from(*name);
                attributes.get(&key).map(String::as_str) != Some("0")
            })
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "messages left in the picky queue ({left:?}): {attributes:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // --- S3: only keys under in/, with the key encoded as S3 encodes it.
    let bucket = stack.bucket("Uploads").unwrap();
    for key in ["other/skip.txt", "in/my photo (1).txt"] {
        clients
            .s3
            .put_object()
            .bucket(&bucket.name)
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"hello"))
            .send()
            .await
            .unwrap();
    }
    let event = eventually("the S3 event", Duration::from_secs(20), || {
        invoker.calls_to("UploadHandler").into_iter().next()
    })
    .await;
    let parsed: aws_lambda_events::s3::S3Event = serde_json::from_value(event.clone()).expect("an S3Event");
    assert_eq!(parsed.records.len(), 1);
    let record = &parsed.records[0];
    assert_eq!(record.event_name.as_deref(), Some("ObjectCreated:Put"));
    assert_eq!(record.event_version.as_deref(), Some("2.1"));
    assert_eq!(record.s3.object.key.as_deref(), Some("in/my+photo+%281%29.txt"));
    assert_eq!(record.s3.object.size, Some(5));
    assert_eq!(record.s3.bucket.name.as_deref(), Some(bucket.name.as_str()));
    assert_eq!(record.s3.configuration_id.as_deref(), Some("Upload"));

    // --- DynamoDB stream.
    let table = stack.table("Items").unwrap();
    clients
        .dynamodb
        .put_item()
        .table_name(&table.name)
        .item("pk", AttributeValue::S("item#1".into()))
        .item("expires", AttributeValue::N("1000000000000".into()))
        .send()
        .await
        .unwrap();
    let change = eventually("the stream record", Duration::from_secs(20), || {
        invoker.calls_to("StreamReader").into_iter().next()
    })
    .await;
    let parsed: aws_lambda_events::dynamodb::Event = serde_json::from_value(change).expect("a DynamoDB event");
    assert_eq!(parsed.records[0].event_name, "INSERT");

    // A failed transaction makes moto's earlier iterators stale; later changes still arrive.
    let failing = aws_sdk_dynamodb::types::TransactWriteItem::builder()
        .put(
            aws_sdk_dynamodb::types::Put::builder()
                .table_name(&table.name)
                .item("pk", AttributeValue::S("item#1".into()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .unwrap(),
        )
        .build();
    assert!(clients
        .dynamodb
        .transact_write_items()
        .transact_items(failing)
        .send()
        .await
        .is_err());
    clients
        .dynamodb
        .put_item()
        .table_name(&table.name)
        .item("pk", AttributeValue::S("item#2".into()))
        .send()
        .await
        .unwrap();
    eventually(
        "the record written after a failed transaction",
        Duration::from_secs(20),
        || {
            let seen = invoker
                .calls_to("StreamReader")
                .iter()
                .any(|p| p["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] == "item#2");
            seen.then_some(())
        },
    )
    .await;
    clients
        .dynamodb
        .delete_item()
        .table_name(&table.name)
        .key("pk", AttributeValue::S("item#2".into()))
        .send()
        .await
        .unwrap();

    // --- TTL: an expired item is deleted by the sweeper, a live one stays.
    let past = (chrono::Utc::now().timestamp() - 60).to_string();
    clients
        .dynamodb
        .put_item()
        .table_name(&table.name)
        .item("pk", AttributeValue::S("item#old".into()))
        .item("expires", AttributeValue::N(past))
        .send()
        .await
        .unwrap();
    let swept = triggers.sweep_now().await.unwrap();
    assert_eq!(swept.expired_items, 1, "{swept:?}");
    let scan = clients.dynamodb.scan().table_name(&table.name).send().await.unwrap();
    let keys: Vec<String> = scan
        .items()
        .iter()
        .filter_map(|i| i.get("pk")?.as_s().ok().cloned())
        .collect();
    assert_eq!(keys, vec!["item#1".to_string()]);

    // --- Stream filtering: the two removals were read and skipped, never delivered.
    eventually("the removals skipped", Duration::from_secs(20), || {
        let skipped = triggers.stats()["StreamReader.Changes"]["filtered_records"].as_u64();
        (skipped >= Some(2)).then_some(())
    })
    .await;
    let names: Vec<Value> = invoker
        .calls_to("StreamReader")
        .iter()
        .flat_map(|p| p["Records"].as_array().cloned().unwrap_or_default())
        .map(|r| r["eventName"].clone())
        .collect();
    assert!(names.iter().all(|n| n == "INSERT"), "{names:?}");

    // --- Schedules fire on demand; functions without a schedule are unknown to the firer.
    let fired = triggers.fire("Ticker", None).await.expect("the schedule fires");
    assert_eq!(fired, json!({"ok": true}));
    let payload = invoker.calls_to("Ticker").pop().unwrap();
    assert_eq!(payload["detail-type"], "Scheduled Event");
    assert_eq!(payload["source"], "aws.events");
    assert_eq!(
        payload["resources"][0],
        "arn:aws:events:us-east-1:123456789012:rule/itest-Ticker-Tick"
    );
    let fired_at = chrono::DateTime::parse_from_rfc3339(payload["time"].as_str().unwrap()).unwrap();
    assert!(
        (chrono::Utc::now() - fired_at.to_utc()).num_seconds().abs() < 60,
        "{payload}"
    );
    // ... or as of a given instant.
    let later = chrono::DateTime::parse_from_rfc3339("2026-12-04T00:30:00Z")
        .unwrap()
        .to_utc();
    triggers.fire("Ticker", Some(later)).await.expect("the schedule fires");
    let payload = invoker.calls_to("Ticker").pop().unwrap();
    assert_eq!(payload["time"], "2026-12-04T00:30:00Z");
    assert!(matches!(
        triggers.fire("Worker", None).await,
        Err(InvokeError::UnknownFunction(_))
    ));

    let stats = triggers.stats();
    eprintln!("stats: {stats}");
    assert!(stats["Worker.Work"]["batches"].as_u64().unwrap_or(0) >= 2, "{stats}");

    triggers.shutdown().await;
    backend.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_counters_are_exact_under_concurrency_and_reset_empties_the_backend() {
    let Some(mut backend) = support::backend(support::free_port(), None, Access::admin_only()).await else {
        return;
    };
    let clients = Clients::new(&backend.endpoint(), "us-east-1").await;
    clients
        .dynamodb
        .create_table()
        .table_name("counters")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let updates = (0..100).map(|_| {
        let client = clients.dynamodb.clone();
        tokio::spawn(async move {
            client
                .update_item()
                .table_name("counters")
                .key("pk", AttributeValue::S("c".into()))
                .update_expression("ADD n :one")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .send()
                .await
                .unwrap();
        })
    });
    for update in updates.collect::<Vec<_>>() {
        update.await.unwrap();
    }
    let item = clients
        .dynamodb
        .get_item()
        .table_name("counters")
        .key("pk", AttributeValue::S("c".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(item.item.unwrap()["n"], AttributeValue::N("100".into()));
    andes_local::backend::reset(&backend.endpoint()).await.expect("reset");
    let tables = clients.dynamodb.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());
    backend.stop().await;
}
