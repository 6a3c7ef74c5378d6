//! `AWS::DynamoDB::Table` → CreateTable (+ UpdateTimeToLive).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use serde_json::Value;

use super::props::{flag, list, number, text};
use super::ResourceError;
use crate::template::Table;

pub async fn create(table: &Table, client: &Client) -> Result<(), ResourceError> {
    let p = &table.properties;
    let name = table.name.as_str();
    let invalid = |message: String| ResourceError::invalid(&table.logical_id, message);

    let mut request = client.create_table().table_name(name);
    for definition in list(p, "AttributeDefinitions") {
        let attribute = text(definition, "AttributeName")
            .ok_or_else(|| invalid("AttributeDefinitions entry without AttributeName".into()))?;
        let kind = text(definition, "AttributeType").unwrap_or("S");
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind))
                .build()
                .map_err(|e| invalid(e.to_string()))?,
        );
    }
    request = request.set_key_schema(Some(key_schema(p, &invalid)?));

    let on_demand = text(p, "BillingMode") == Some("PAY_PER_REQUEST");
    if on_demand {
        request = request.billing_mode(BillingMode::PayPerRequest);
    } else {
        // CloudFormation's default billing mode is PROVISIONED, which requires a throughput.
        let throughput = throughput(p).ok_or_else(|| {
            invalid("a PROVISIONED table (the default BillingMode) needs ProvisionedThroughput".into())
        })?;
        request = request
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(throughput);
    }

    for index in list(p, "GlobalSecondaryIndexes") {
        let mut builder = GlobalSecondaryIndex::builder()
            .index_name(text(index, "IndexName").unwrap_or_default())
            .set_key_schema(Some(key_schema(index, &invalid)?))
            .projection(projection(index));
        if !on_demand {
            builder = builder.set_provisioned_throughput(throughput(index));
        }
        request = request.global_secondary_indexes(builder.build().map_err(|e| invalid(e.to_string()))?);
    }
    for index in list(p, "LocalSecondaryIndexes") {
        let index = LocalSecondaryIndex::builder()
            .index_name(text(index, "IndexName").unwrap_or_default())
            .set_key_schema(Some(key_schema(index, &invalid)?))
            .projection(projection(index))
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        request = request.local_secondary_indexes(index);
    }
    if let Some(stream) = p.get("StreamSpecification") {
        let view = text(stream, "StreamViewType").unwrap_or("NEW_AND_OLD_IMAGES");
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view))
                .build()
                .map_err(|e| invalid(e.to_string()))?,
        );
    }

    match request.send().await {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(error) => return Err(ResourceError::backend(&table.logical_id, "CreateTable", error)),
    }

    if let Some(ttl) = p.get("TimeToLiveSpecification") {
        if flag(ttl, "Enabled") == Some(true) {
            let attribute = text(ttl, "AttributeName")
                .ok_or_else(|| invalid("TimeToLiveSpecification needs AttributeName".into()))?;
            let specification = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(attribute)
                .build()
                .map_err(|e| invalid(e.to_string()))?;
            let result = client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(specification)
                .send()
                .await;
            // Re-enabling TTL on an existing table is refused ("already enabled"): that is the
            // state we want.
            if let Err(error) = result {
                let already = error
                    .as_service_error()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
                    .contains("already enabled");
                if !already {
                    return Err(ResourceError::backend(&table.logical_id, "UpdateTimeToLive", error));
                }
            }
        }
    }
    Ok(())
}

fn key_schema(
    object: &Value,
    invalid: &dyn Fn(String) -> ResourceError,
) -> Result<Vec<KeySchemaElement>, ResourceError> {
    let elements = list(object, "KeySchema");
    if elements.is_empty() {
        return Err(invalid("KeySchema is missing".into()));
    }
    elements
        .iter()
        .map(|element| {
            KeySchemaElement::builder()
                .attribute_name(text(element, "AttributeName").unwrap_or_default())
                .key_type(KeyType::from(text(element, "KeyType").unwrap_or("HASH")))
                .build()
                .map_err(|e| invalid(e.to_string()))
        })
        .collect()
}

fn projection(index: &Value) -> Projection {
    let projection = index.get("Projection").cloned().unwrap_or(Value::Null);
    let non_key: Vec<String> = list(&projection, "NonKeyAttributes")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    Projection::builder()
        .projection_type(ProjectionType::from(
            text(&projection, "ProjectionType").unwrap_or("KEYS_ONLY"),
        ))
        .set_non_key_attributes(if non_key.is_empty() { None } else { Some(non_key) })
        .build()
}

fn throughput(object: &Value) -> Option<ProvisionedThroughput> {
    let throughput = object.get("ProvisionedThroughput")?;
    ProvisionedThroughput::builder()
        .read_capacity_units(number(throughput, "ReadCapacityUnits")?)
        .write_capacity_units(number(throughput, "WriteCapacityUnits")?)
        .build()
        .ok()
}
