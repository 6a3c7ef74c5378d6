//! IAM through the real front door: a test-only function, whose role a template of this test
//! builds (SAM's policy templates and an inline statement), calls the local backend with its
//! own key through the AWS SDK. What its role allows passes; anything else gets each service's
//! own access-denied error, and nothing of a refused call is written.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use andes_local::backend::access::Access;
use andes_local::backend::Clients;
use andes_local::template::{self, SamPolicyTemplates, StackOptions};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";

/// `Reader` reads the table, sends to `Work` (not to `Audit`) and reads photos under `ads/`.
const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }]
      KeySchema: [{ AttributeName: pk, KeyType: HASH }]
  Work:
    Type: AWS::SQS::Queue
  Audit:
    Type: AWS::SQS::Queue
  Photos:
    Type: AWS::S3::Bucket
  Reader:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: reader } }
    Properties:
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref Table
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Work.QueueName
        - Statement:
            - Effect: Allow
              Action: s3:GetObject
              Resource: !Sub "${Photos.Arn}/ads/*"
"#;

fn item(pk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), AttributeValue::S(pk.into()))])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_calling_outside_its_role_is_denied_and_nothing_is_written() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let port = support::free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let options = StackOptions {
        stack_name: "iam".into(),
        region: REGION.into(),
        account_id: ACCOUNT.into(),
        endpoint: endpoint.clone(),
        parameter_overrides: BTreeMap::new(),
    };
    let stack = template::parse(TEMPLATE, &options).unwrap();
    let sam = SamPolicyTemplates::from_venv(&root.join("../.venv")).unwrap();
    let access = Access::for_stack(&stack, &sam).unwrap();
    let key = access.function_key("Reader").unwrap().clone();
    let platform_key = access.platform_key().clone();
    let Some(mut backend) = support::backend(port, Some(ACCOUNT), access).await else {
        return;
    };
    let platform = Clients::signing_with(&endpoint, REGION, &platform_key.id, &platform_key.secret);
    // The stack's backend knows its own random platform key, not the well-known local one.
    let well_known = Clients::new(&endpoint, REGION).await;
    assert!(well_known.sqs.list_queues().send().await.is_err());
    andes_local::resources::create_all(&stack, &platform).await.unwrap();
    let reader = Clients::signing_with(&endpoint, REGION, &key.id, &key.secret);

    // DynamoDB: reads pass; a write, alone or in a transaction, is AccessDeniedException.
    let table = "iam-Table";
    platform
        .dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(item("seen")))
        .send()
        .await
        .unwrap();
    let read = reader
        .dynamodb
        .get_item()
        .table_name(table)
        .set_key(Some(item("seen")))
        .send()
        .await;
    assert!(read.unwrap().item.is_some());
    let denied = reader
        .dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(item("forged")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDeniedException"), "{denied:?}");
    let message = denied.message().unwrap_or_default();
    assert!(
        message.contains("assumed-role/iam-ReaderRole/iam-Reader is not authorized to perform: dynamodb:PutItem")
            && message.contains(&format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}")),
        "{message}"
    );
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item("forged")))
        .build()
        .unwrap();
    let denied = reader
        .dynamodb
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some("AccessDeniedException"), "{denied:?}");
    let forged = platform
        .dynamodb
        .get_item()
        .table_name(table)
        .set_key(Some(item("forged")))
        .send()
        .await;
    assert!(forged.unwrap().item.is_none(), "a refused write wrote nothing");

    // SQS: its own queue takes messages; another answers AccessDenied and stays empty.
    let url = |name: &str| format!("{endpoint}/{ACCOUNT}/iam-{name}");
    let sent = reader
        .sqs
        .send_message()
        .queue_url(url("Work"))
        .message_body("ok")
        .send()
        .await;
    assert!(sent.is_ok(), "{sent:?}");
    let denied = reader
        .sqs
        .send_message()
        .queue_url(url("Audit"))
        .message_body("forged")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_sqs::error::ProvideErrorMetadata::code(&denied),
        Some("AccessDenied"),
        "{denied:?}"
    );
    let audit = platform
        .sqs
        .receive_message()
        .queue_url(url("Audit"))
        .send()
        .await
        .unwrap();
    assert!(audit.messages.unwrap_or_default().is_empty());

    // S3: photos under ads/ are read; an upload is AccessDenied and leaves no object.
    let bucket = "iam-photos";
    platform
        .s3
        .put_object()
        .bucket(bucket)
        .key("ads/1.jpg")
        .body(b"photo".to_vec().into())
        .send()
        .await
        .unwrap();
    let photo = reader.s3.get_object().bucket(bucket).key("ads/1.jpg").send().await;
    assert!(photo.is_ok(), "{photo:?}");
    let denied = reader
        .s3
        .put_object()
        .bucket(bucket)
        .key("ads/2.jpg")
        .body(b"forged".to_vec().into())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&denied),
        Some("AccessDenied"),
        "{denied:?}"
    );
    let listed = platform.s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["ads/1.jpg"]);
    let denied = reader.s3.list_objects_v2().bucket(bucket).send().await.unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&denied),
        Some("AccessDenied")
    );

    backend.stop().await;
}
