//! The event records functions receive, built as AWS builds them (pure functions; the pollers
//! feed them what the backend answered).

use std::collections::HashMap;

use aws_sdk_dynamodbstreams::types::AttributeValue;
use base64::Engine;
use serde_json::{json, Map, Value};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

// ------------------------------------------------------------------------------------- SQS

/// One record of an SQS event, as Lambda's SQS poller builds it.
pub fn sqs_record(message: &aws_sdk_sqs::types::Message, queue_arn: &str, region: &str) -> Value {
    let attributes: Map<String, Value> = message
        .attributes
        .iter()
        .flatten()
        .map(|(name, value)| (name.as_str().to_string(), Value::from(value.as_str())))
        .collect();
    let message_attributes: Map<String, Value> = message
        .message_attributes
        .iter()
        .flatten()
        .map(|(name, value)| (name.clone(), sqs_message_attribute(value)))
        .collect();
    let mut record = json!({
        "messageId": message.message_id.clone().unwrap_or_default(),
        "receiptHandle": message.receipt_handle.clone().unwrap_or_default(),
        "body": message.body.clone().unwrap_or_default(),
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.md5_of_body.clone().unwrap_or_default(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    });
    if let Some(md5) = &message.md5_of_message_attributes {
        record["md5OfMessageAttributes"] = Value::from(md5.as_str());
    }
    record
}

fn sqs_message_attribute(value: &aws_sdk_sqs::types::MessageAttributeValue) -> Value {
    let mut attribute = json!({
        "stringListValues": value.string_list_values.clone().unwrap_or_default(),
        "binaryListValues": value.binary_list_values.iter().flatten().map(|b| BASE64.encode(b.as_ref())).collect::<Vec<_>>(),
        "dataType": value.data_type,
    });
    if let Some(text) = &value.string_value {
        attribute["stringValue"] = Value::from(text.as_str());
    }
    if let Some(binary) = &value.binary_value {
        attribute["binaryValue"] = Value::from(BASE64.encode(binary.as_ref()));
    }
    attribute
}

// -------------------------------------------------------------------------------------- S3

/// moto encodes keys with Python's `quote_plus` (`/` as `%2F`, space as `+`): the raw key.
pub fn decode_moto_s3_key(encoded: &str) -> String {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// A key as S3 puts it in event records: URL-encoded with `+` for spaces, `/` left as is.
pub fn aws_s3_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Whether a notification pattern (`s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`) covers an
/// event name as records carry it (`ObjectCreated:Put`).
pub fn s3_event_matches(pattern: &str, event_name: &str) -> bool {
    let pattern = pattern.strip_prefix("s3:").unwrap_or(pattern);
    let event_name = event_name.strip_prefix("s3:").unwrap_or(event_name);
    match pattern.strip_suffix('*') {
        Some(family) => event_name.starts_with(family),
        None => pattern == event_name,
    }
}

/// What the S3 poller knows beyond moto's record.
pub struct S3RecordContext<'a> {
    pub configuration_id: &'a str,
    pub sequencer: String,
    pub request_id: String,
    pub host_id: String,
    pub event_name: Option<&'a str>,
}

/// Rebuilds moto's S3 record as S3 sends it: moto leaves out `userIdentity`,
/// `requestParameters`, `responseElements` and `sequencer`, and encodes `/` in keys.
pub fn aws_s3_record(moto: &Value, context: &S3RecordContext) -> Option<Value> {
    let s3 = moto.get("s3")?;
    let bucket = s3.get("bucket")?;
    let object = s3.get("object")?;
    let key = decode_moto_s3_key(object.get("key")?.as_str()?);
    let bucket_name = bucket.get("name")?.as_str()?;
    let event_name = context.event_name.or_else(|| moto.get("eventName")?.as_str())?;
    let mut object_json = json!({
        "key": aws_s3_key(&key),
        "sequencer": context.sequencer,
    });
    // Removal events carry neither size nor eTag.
    if !event_name.starts_with("ObjectRemoved") && !event_name.starts_with("LifecycleExpiration") {
        object_json["size"] = object.get("size").cloned().unwrap_or(Value::from(0));
        object_json["eTag"] = object.get("eTag").cloned().unwrap_or(Value::from(""));
    }
    if let Some(version) = object.get("versionId").filter(|v| v.is_string()) {
        object_json["versionId"] = version.clone();
    }
    Some(json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": moto.get("awsRegion").cloned().unwrap_or(Value::from("us-east-1")),
        "eventTime": moto.get("eventTime").cloned().unwrap_or_else(|| Value::from(super::failures::now_text())),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAANDESLOCALUSER"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": context.request_id, "x-amz-id-2": context.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": context.configuration_id,
            "bucket": {
                "name": bucket_name,
                "ownerIdentity": {"principalId": "A3ANDESLOCALOWNER"},
                "arn": bucket.get("arn").cloned().unwrap_or_else(|| Value::from(format!("arn:aws:s3:::{bucket_name}"))),
            },
            "object": object_json,
        }
    }))
}

/// The raw object key of a moto record, if it has one.
pub fn moto_record_key(moto: &Value) -> Option<String> {
    Some(decode_moto_s3_key(moto.get("s3")?.get("object")?.get("key")?.as_str()?))
}

/// `x-amz-request-id` (16 upper-case hex digits) and `x-amz-id-2` (base64), as S3 shapes them.
pub fn s3_request_ids() -> (String, String) {
    let request_id = uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase();
    let mut bytes = Vec::with_capacity(48);
    for _ in 0..3 {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    (request_id, BASE64.encode(bytes))
}

// --------------------------------------------------------------------------------- Streams

/// One record of a DynamoDB stream event, as Lambda's stream poller builds it.
pub fn stream_record(record: &aws_sdk_dynamodbstreams::types::Record, stream_arn: &str, region: &str) -> Value {
    let change = record.dynamodb.as_ref();
    let mut dynamodb = Map::new();
    if let Some(time) = change.and_then(|c| c.approximate_creation_date_time) {
        dynamodb.insert("ApproximateCreationDateTime".into(), Value::from(time.secs()));
    }
    let images = [
        ("Keys", change.and_then(|c| c.keys.as_ref())),
        ("NewImage", change.and_then(|c| c.new_image.as_ref())),
        ("OldImage", change.and_then(|c| c.old_image.as_ref())),
    ];
    for (name, image) in images {
        if let Some(image) = image {
            dynamodb.insert(name.into(), item_json(image));
        }
    }
    if let Some(sequence) = change.and_then(|c| c.sequence_number.as_ref()) {
        dynamodb.insert("SequenceNumber".into(), Value::from(sequence.as_str()));
    }
    dynamodb.insert(
        "SizeBytes".into(),
        Value::from(change.and_then(|c| c.size_bytes).unwrap_or(0)),
    );
    if let Some(view) = change.and_then(|c| c.stream_view_type.as_ref()) {
        dynamodb.insert("StreamViewType".into(), Value::from(view.as_str()));
    }
    let mut out = json!({
        "eventID": record.event_id.clone().unwrap_or_default(),
        "eventName": record.event_name.as_ref().map(|n| n.as_str()).unwrap_or_default(),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    });
    if let Some(identity) = &record.user_identity {
        out["userIdentity"] = json!({
            "type": identity.r#type.clone().unwrap_or_default(),
            "principalId": identity.principal_id.clone().unwrap_or_default(),
        });
    }
    out
}

pub fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect())
}

/// An attribute value in DynamoDB's JSON shape (`{"S": "x"}`, `{"N": "1"}`, ...).
pub fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({"S": s}),
        AttributeValue::N(n) => json!({"N": n}),
        AttributeValue::B(b) => json!({"B": BASE64.encode(b.as_ref())}),
        AttributeValue::Bool(b) => json!({"BOOL": b}),
        AttributeValue::Null(n) => json!({"NULL": n}),
        AttributeValue::Ss(values) => json!({"SS": values}),
        AttributeValue::Ns(values) => json!({"NS": values}),
        AttributeValue::Bs(values) => {
            json!({"BS": values.iter().map(|b| BASE64.encode(b.as_ref())).collect::<Vec<_>>()})
        }
        AttributeValue::L(values) => json!({"L": values.iter().map(attribute_json).collect::<Vec<_>>()}),
        AttributeValue::M(map) => json!({"M": item_json(map)}),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};

    #[test]
    fn s3_keys_are_reencoded_as_aws_does() {
        // moto: quote_plus, '/' as %2F.
        let raw = decode_moto_s3_key("uploads%2Fmy+photo+%281%29%2B%C3%A9.png");
        assert_eq!(raw, "uploads/my photo (1)+é.png");
        assert_eq!(aws_s3_key(&raw), "uploads/my+photo+%281%29%2B%C3%A9.png");
        assert_eq!(aws_s3_key("a-b_c.d*e/f~g=h"), "a-b_c.d*e/f%7Eg%3Dh");
    }

    #[test]
    fn event_patterns_match_like_s3() {
        assert!(s3_event_matches("s3:ObjectCreated:*", "ObjectCreated:Put"));
        assert!(s3_event_matches(
            "s3:ObjectCreated:*",
            "ObjectCreated:CompleteMultipartUpload"
        ));
        assert!(s3_event_matches("s3:ObjectCreated:*", "ObjectCreated:Copy"));
        assert!(s3_event_matches("s3:ObjectCreated:*", "ObjectCreated:Post"));
        assert!(s3_event_matches("s3:ObjectCreated:Put", "ObjectCreated:Put"));
        assert!(!s3_event_matches("s3:ObjectCreated:Put", "ObjectCreated:Copy"));
        assert!(!s3_event_matches("s3:ObjectCreated:*", "ObjectRemoved:Delete"));
        assert!(s3_event_matches(
            "s3:ObjectRemoved:*",
            "ObjectRemoved:DeleteMarkerCreated"
        ));
    }

    #[test]
    fn s3_records_parse_as_lambda_events() {
        let moto = json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2024-05-01T10:00:00.123Z", "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "x",
                   "bucket": {"name": "b", "arn": "arn:aws:s3:::b"},
                   "object": {"key": "in%2Fa+b.txt", "size": 5, "eTag": "abc"}}
        });
        let context = S3RecordContext {
            configuration_id: "Upload",
            sequencer: "0000000000000000AB".into(),
            request_id: "REQ".into(),
            host_id: "HOST".into(),
            event_name: None,
        };
        let record = aws_s3_record(&moto, &context).unwrap();
        assert_eq!(record["s3"]["object"]["key"], "in/a+b.txt");
        assert_eq!(record["s3"]["configurationId"], "Upload");
        assert_eq!(record["responseElements"]["x-amz-request-id"], "REQ");
        let event: aws_lambda_events::s3::S3Event = serde_json::from_value(json!({"Records": [record]})).unwrap();
        let parsed = &event.records[0];
        assert_eq!(parsed.event_name.as_deref(), Some("ObjectCreated:Put"));
        assert_eq!(parsed.s3.object.size, Some(5));
        assert_eq!(parsed.s3.object.sequencer.as_deref(), Some("0000000000000000AB"));
        assert!(parsed.principal_id.principal_id.is_some());

        let removal = S3RecordContext {
            event_name: Some("ObjectRemoved:Delete"),
            ..context
        };
        let record = aws_s3_record(&moto, &removal).unwrap();
        assert!(record["s3"]["object"].get("size").is_none());
        assert!(record["s3"]["object"].get("eTag").is_none());
    }

    #[test]
    fn sqs_records_parse_as_lambda_events() {
        let message = Message::builder()
            .message_id("m1")
            .receipt_handle("r1")
            .body("hello")
            .md5_of_body("5d41402abc4b2a76b9719d911017c592")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "1")
            .attributes(MessageSystemAttributeName::SentTimestamp, "1700000000000")
            .message_attributes(
                "kind",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("welcome")
                    .build()
                    .unwrap(),
            )
            .build();
        let record = sqs_record(&message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1");
        assert_eq!(record["eventSource"], "aws:sqs");
        assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
        assert_eq!(record["messageAttributes"]["kind"]["stringListValues"], json!([]));
        let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(json!({"Records": [record]})).unwrap();
        let parsed = &event.records[0];
        assert_eq!(parsed.message_id.as_deref(), Some("m1"));
        assert_eq!(
            parsed.event_source_arn.as_deref(),
            Some("arn:aws:sqs:us-east-1:123456789012:q")
        );
        assert_eq!(
            parsed.message_attributes["kind"].string_value.as_deref(),
            Some("welcome")
        );
    }

    #[test]
    fn stream_records_parse_as_lambda_events() {
        use aws_sdk_dynamodbstreams::types::{OperationType, Record, StreamRecord, StreamViewType};
        let change = StreamRecord::builder()
            .approximate_creation_date_time(aws_sdk_dynamodbstreams::primitives::DateTime::from_secs(1_700_000_000))
            .keys("pk", AttributeValue::S("user#1".into()))
            .new_image("pk", AttributeValue::S("user#1".into()))
            .new_image("n", AttributeValue::N("3".into()))
            .new_image("tags", AttributeValue::Ss(vec!["a".into()]))
            .new_image(
                "nested",
                AttributeValue::M(HashMap::from([("ok".to_string(), AttributeValue::Bool(true))])),
            )
            .sequence_number("1100000000017454423009")
            .size_bytes(42)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build();
        let record = Record::builder()
            .event_id("e1")
            .event_name(OperationType::Insert)
            .dynamodb(change)
            .build();
        let json = stream_record(
            &record,
            "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
            "us-east-1",
        );
        assert_eq!(json["dynamodb"]["NewImage"]["n"], json!({"N": "3"}));
        assert_eq!(json["dynamodb"]["ApproximateCreationDateTime"], 1_700_000_000);
        let event: aws_lambda_events::dynamodb::Event = serde_json::from_value(json!({"Records": [json]})).unwrap();
        let parsed = &event.records[0];
        assert_eq!(parsed.event_name, "INSERT");
        assert_eq!(parsed.change.sequence_number.as_deref(), Some("1100000000017454423009"));
        assert_eq!(parsed.change.size_bytes, 42);
    }
}
