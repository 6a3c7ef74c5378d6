//! Roles built from a template the way SAM builds them (SAM's own policy templates, from the
//! venv), and the calls they let through.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::{HeaderMap, HeaderValue};
use serde_json::json;

use super::*;
use crate::backend::sigv4::SignedRequest;
use crate::template::StackOptions;

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{ AttributeName: pk, KeyType: HASH }, { AttributeName: sk, KeyType: RANGE }]
      GlobalSecondaryIndexes:
        - IndexName: gsi1
          KeySchema: [{ AttributeName: gsi1pk, KeyType: HASH }]
  Queue:
    Type: AWS::SQS::Queue
  Other:
    Type: AWS::SQS::Queue
  Uploads:
    Type: AWS::S3::Bucket
  Images:
    Type: AWS::S3::Bucket
  ImagesPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Images
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub "${Images.Arn}/ads/*"
  Login:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: login } }
    Properties:
      Policies:
        - DynamoDBReadPolicy:
            TableName: !Ref Table
        - Statement:
            - Effect: Allow
              Action: [dynamodb:PutItem, dynamodb:DeleteItem]
              Resource: !GetAtt Table.Arn
              Condition:
                ForAllValues:StringLike:
                  dynamodb:LeadingKeys: ["LOGIN#*"]
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Queue.QueueName
  Publisher:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: publisher } }
    Properties:
      Policies:
        - S3CrudPolicy:
            BucketName: !Ref Uploads
        - Statement:
            - Effect: Allow
              Action: [s3:PutObject]
              Resource: !Sub "${Images.Arn}/ads/*"
            - Effect: Deny
              Action: s3:*
              Resource: !Sub "${Uploads.Arn}/locked/*"
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
"#;

fn stack(template: &str) -> Stack {
    let options = StackOptions {
        stack_name: "andes".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        endpoint: "http://127.0.0.1:5000".into(),
        parameter_overrides: BTreeMap::new(),
    };
    template::parse(template, &options).unwrap()
}

pub(super) fn sam_templates() -> SamPolicyTemplates {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv");
    SamPolicyTemplates::from_venv(&venv).expect("the venv's SAM translator (make setup)")
}

fn iam() -> Iam {
    Iam::for_stack(&stack(TEMPLATE), &sam_templates()).unwrap()
}

fn dynamodb(iam: &Iam, function: &str, operation: &str, body: serde_json::Value) -> Result<(), Denial> {
    let body = body.to_string();
    let headers = HeaderMap::new();
    let operation = format!("DynamoDB.{operation}");
    iam.authorize(function, &call(&operation, "POST", "/", "", &headers, body.as_bytes()))
}

fn call<'a>(
    operation: &'a str,
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
) -> Call<'a> {
    Call {
        operation,
        request: SignedRequest {
            method,
            path,
            query,
            headers,
            body,
        },
    }
}

fn key(pk: &str) -> serde_json::Value {
    json!({"pk": {"S": pk}, "sk": {"S": "x"}})
}

#[test]
fn a_sam_policy_template_grants_what_sam_expands_it_to() {
    let iam = iam();
    let table = "andes-Table";
    assert_eq!(
        dynamodb(
            &iam,
            "Login",
            "GetItem",
            json!({"TableName": table, "Key": key("ACCOUNT#1")})
        ),
        Ok(())
    );
    let query = json!({"TableName": table, "IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p",
                       "ExpressionAttributeValues": {":p": {"S": "X"}}});
    assert_eq!(dynamodb(&iam, "Login", "Query", query), Ok(()));
    let denial = dynamodb(
        &iam,
        "Login",
        "UpdateItem",
        json!({"TableName": table, "Key": key("LOGIN#1")}),
    )
    .unwrap_err();
    assert_eq!(
        denial.0,
        "User: arn:aws:sts::123456789012:assumed-role/andes-LoginRole/andes-Login is not authorized to perform: \
         dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/andes-Table \
         because no identity-based policy allows the dynamodb:UpdateItem action"
    );
    assert!(dynamodb(
        &iam,
        "Login",
        "GetItem",
        json!({"TableName": "andes-Else", "Key": key("A")})
    )
    .is_err());
}

#[test]
fn leading_keys_bound_each_item_and_each_transaction_item() {
    let iam = iam();
    let table = "andes-Table";
    let put = |pk: &str| json!({"TableName": table, "Item": key(pk)});
    assert_eq!(dynamodb(&iam, "Login", "PutItem", put("LOGIN#ana")), Ok(()));
    assert!(dynamodb(&iam, "Login", "PutItem", put("ACCOUNT#ana")).is_err());
    let transaction = |second: &str| {
        json!({"TransactItems": [
            {"Put": {"TableName": table, "Item": key("LOGIN#ana")}},
            {"Delete": {"TableName": table, "Key": key(second)}}
        ]})
    };
    assert_eq!(
        dynamodb(&iam, "Login", "TransactWriteItems", transaction("LOGIN#old")),
        Ok(())
    );
    let denial = dynamodb(&iam, "Login", "TransactWriteItems", transaction("ACCOUNT#ana")).unwrap_err();
    assert!(denial.0.contains("dynamodb:DeleteItem"), "{denial:?}");
    // A condition check is its own action, which the role does not have.
    let check = json!({"TransactItems": [{"ConditionCheck": {"TableName": table, "Key": key("LOGIN#a")}}]});
    assert!(dynamodb(&iam, "Login", "TransactWriteItems", check).is_err());
    let batch = json!({"RequestItems": {table: [{"PutRequest": {"Item": key("LOGIN#a")}}]}});
    assert!(
        dynamodb(&iam, "Login", "BatchWriteItem", batch).is_err(),
        "no BatchWriteItem in the role"
    );
}

#[test]
fn queues_take_messages_only_from_roles_that_may_send_them() {
    let iam = iam();
    let send = |function: &str, queue: &str| {
        let body = json!({"QueueUrl": format!("http://127.0.0.1:5000/123456789012/{queue}"), "MessageBody": "x"});
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", HeaderValue::from_static("AmazonSQS.SendMessage"));
        let body = body.to_string();
        iam.authorize(
            function,
            &call("SQS.SendMessage", "POST", "/", "", &headers, body.as_bytes()),
        )
    };
    assert_eq!(send("Login", "andes-Queue"), Ok(()));
    assert!(send("Login", "andes-Other").is_err());
    assert!(send("Publisher", "andes-Queue").is_err());
    // SAM gives an SQS-triggered function its poller's managed policy.
    let receive = "Action=ReceiveMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A5000%2F123456789012%2Fandes-Other";
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let poll = |function| {
        iam.authorize(
            function,
            &call("SQS.ReceiveMessage", "POST", "/", "", &headers, receive.as_bytes()),
        )
    };
    assert_eq!(poll("Publisher"), Ok(()));
    assert!(poll("Login").is_err());
}

#[test]
fn buckets_follow_the_role_its_denies_and_the_bucket_policy() {
    let iam = iam();
    let headers = HeaderMap::new();
    let s3 = |function: &str, method: &str, path: &str| {
        iam.authorize(function, &call("S3.x", method, path, "", &headers, b""))
    };
    assert_eq!(s3("Publisher", "PUT", "/andes-uploads/ads/1.jpg"), Ok(()));
    assert_eq!(s3("Publisher", "GET", "/andes-uploads"), Ok(()));
    assert!(s3("Publisher", "PUT", "/andes-uploads/locked/1.jpg")
        .unwrap_err()
        .0
        .contains("explicit deny"));
    assert_eq!(s3("Publisher", "PUT", "/andes-images/ads/1.jpg"), Ok(()));
    assert!(s3("Publisher", "DELETE", "/andes-images/ads/1.jpg").is_err());
    // Reading a public photo needs no grant of the role: the bucket policy lets everyone.
    assert_eq!(s3("Login", "GET", "/andes-images/ads/1.jpg"), Ok(()));
    assert!(s3("Login", "GET", "/andes-uploads/ads/1.jpg").is_err());
    let mut copy = HeaderMap::new();
    copy.insert(
        "x-amz-copy-source",
        HeaderValue::from_static("andes-uploads/locked/1.jpg"),
    );
    let copied = iam.authorize(
        "Publisher",
        &call("S3.PUT", "PUT", "/andes-images/ads/1.jpg", "", &copy, b""),
    );
    assert!(copied.is_err(), "the copy's source is denied");
}

#[test]
fn anonymous_callers_get_what_a_bucket_policy_gives_everyone() {
    let iam = iam();
    let headers = HeaderMap::new();
    let anonymous =
        |method: &str, path: &str, query: &str| iam.allows_anonymous(&call("S3.x", method, path, query, &headers, b""));
    assert!(anonymous("GET", "/andes-images/ads/ad-1/photo%201.jpg", ""));
    assert!(anonymous("HEAD", "/andes-images/ads/ad-1/photo.jpg", ""));
    assert!(!anonymous("GET", "/andes-images/ads/ad-1/photo.jpg", "versionId=3"));
    assert!(!anonymous("GET", "/andes-images/ads/ad-1/photo.jpg", "acl"));
    assert!(!anonymous("GET", "/andes-images/ads/ad-1/photo.jpg", "tagging="));
    assert!(!anonymous("PUT", "/andes-images/ads/ad-1/photo.jpg", ""));
    assert!(!anonymous("GET", "/andes-images/drafts/ad-1/photo.jpg", ""));
    assert!(!anonymous("GET", "/andes-uploads/ads/ad-1/photo.jpg", ""));
    assert!(!anonymous("GET", "/andes-images", ""));
}

#[test]
fn a_role_the_platform_cannot_build_stops_the_start() {
    let unknown_managed = TEMPLATE.replace(
        "        - SQSSendMessagePolicy:\n            QueueName: !GetAtt Queue.QueueName",
        "        - AmazonEC2FullAccess",
    );
    let error = Iam::for_stack(&stack(&unknown_managed), &sam_templates()).unwrap_err();
    assert!(error.contains("AmazonEC2FullAccess is not known locally"), "{error}");
    let missing_parameter = TEMPLATE.replace("            QueueName: !GetAtt Queue.QueueName", "            Queue: x");
    let error = Iam::for_stack(&stack(&missing_parameter), &sam_templates()).unwrap_err();
    assert!(error.contains("needs its QueueName parameter"), "{error}");
}

#[test]
fn the_real_templates_roles_build_and_bound_what_they_say() {
    let template = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml")).unwrap();
    let stack = stack(&template);
    let iam = Iam::for_stack(&stack, &sam_templates()).unwrap();
    assert_eq!(iam.roles.len(), stack.functions.len());
    let table = &stack
        .tables
        .iter()
        .find(|t| t.logical_id == "IdentityTable")
        .unwrap()
        .name;
    let put = |pk: &str| json!({"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": "x"}}});
    // The login function writes its lockout records and nothing else.
    assert_eq!(
        dynamodb(&iam, "IdentityLoginFunction", "PutItem", put("LOGIN#ana")),
        Ok(())
    );
    assert!(dynamodb(&iam, "IdentityLoginFunction", "PutItem", put("ACCOUNT#ana")).is_err());
    assert!(dynamodb(&iam, "IdentityLoginFunction", "UpdateItem", put("LOGIN#ana")).is_err());
}

#[test]
fn a_function_with_a_role_of_its_own_is_refused_not_guessed_at() {
    let own_role = TEMPLATE.replace(
        "    Metadata: { BuildProperties: { Binary: login } }\n    Properties:\n",
        "    Metadata: { BuildProperties: { Binary: login } }\n    Properties:\n      Role: arn:aws:iam::1:role/x\n",
    );
    let options = StackOptions {
        stack_name: "andes".into(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        endpoint: "http://127.0.0.1:5000".into(),
        parameter_overrides: BTreeMap::new(),
    };
    let error = template::parse(&own_role, &options).unwrap_err().to_string();
    assert!(error.contains("Login: Role is not supported locally"), "{error}");
}
