//! `AWS::SQS::Queue` → CreateQueue, dead-letter queues before the queues that redrive to them.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;

use super::props::{number, scalar_text};
use super::ResourceError;
use crate::template::{Queue, Stack};

/// CloudFormation properties that are SQS attributes of the same name and meaning.
const PLAIN_ATTRIBUTES: &[&str] = &[
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

pub async fn create_all(stack: &Stack, client: &Client) -> Result<(), ResourceError> {
    // Queue ARNs as the backend knows them, by logical id: redrive policies must name the
    // dead-letter queue's real ARN.
    let mut created: HashMap<String, String> = HashMap::new();
    let mut remaining: Vec<&Queue> = stack.queues.iter().collect();
    while !remaining.is_empty() {
        let (ready, blocked): (Vec<&Queue>, Vec<&Queue>) = remaining.into_iter().partition(|queue| {
            queue
                .redrive
                .as_ref()
                .is_none_or(|r| created.contains_key(&r.dead_letter_queue))
        });
        if ready.is_empty() {
            let names: Vec<&str> = blocked.iter().map(|q| q.logical_id.as_str()).collect();
            return Err(ResourceError::invalid(
                &names.join(", "),
                "RedrivePolicy names a queue that is not in the template or forms a cycle",
            ));
        }
        for queue in ready {
            let arn = create(queue, &created, client).await?;
            created.insert(queue.logical_id.clone(), arn);
        }
        remaining = blocked;
    }
    Ok(())
}

/// Creates (or updates) one queue and answers its ARN.
async fn create(queue: &Queue, arns: &HashMap<String, String>, client: &Client) -> Result<String, ResourceError> {
    let attributes = attributes(queue, arns)?;
    let result = client
        .create_queue()
        .queue_name(&queue.name)
        .set_attributes(Some(attributes.clone()))
        .send()
        .await;
    let url = match result {
        Ok(output) => output.queue_url.unwrap_or_default(),
        Err(error) if error.as_service_error().is_some_and(|e| e.is_queue_name_exists()) => {
            // It exists with other attributes (an earlier run with other parameters): align it.
            let url = client
                .get_queue_url()
                .queue_name(&queue.name)
                .send()
                .await
                .map_err(|e| ResourceError::backend(&queue.logical_id, "GetQueueUrl", e))?
                .queue_url
                .unwrap_or_default();
            let mut mutable = attributes;
            mutable.remove(&QueueAttributeName::FifoQueue);
            client
                .set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(mutable))
                .send()
                .await
                .map_err(|e| ResourceError::backend(&queue.logical_id, "SetQueueAttributes", e))?;
            url
        }
        Err(error) => return Err(ResourceError::backend(&queue.logical_id, "CreateQueue", error)),
    };
    queue_arn(client, &url)
        .await
        .map_err(|e| ResourceError::backend(&queue.logical_id, "GetQueueAttributes", e))
}

pub(crate) async fn queue_arn(
    client: &Client,
    url: &str,
) -> Result<String, aws_sdk_sqs::error::SdkError<aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesError>>
{
    let output = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?;
    Ok(output
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .unwrap_or_default())
}

fn attributes(
    queue: &Queue,
    arns: &HashMap<String, String>,
) -> Result<HashMap<QueueAttributeName, String>, ResourceError> {
    let p = &queue.properties;
    let mut attributes = HashMap::new();
    for name in PLAIN_ATTRIBUTES {
        if let Some(value) = p.get(*name).and_then(scalar_text) {
            attributes.insert(QueueAttributeName::from(*name), value);
        }
    }
    // Standard queues must not carry the attribute at all.
    if queue.fifo {
        attributes.insert(QueueAttributeName::FifoQueue, "true".to_string());
    }
    if let Some(redrive) = &queue.redrive {
        let arn = arns.get(&redrive.dead_letter_queue).ok_or_else(|| {
            ResourceError::invalid(
                &queue.logical_id,
                format!("dead-letter queue {} not created", redrive.dead_letter_queue),
            )
        })?;
        let max_receive_count = p
            .get("RedrivePolicy")
            .and_then(|r| number(r, "maxReceiveCount"))
            .unwrap_or(i64::from(redrive.max_receive_count));
        let policy: BTreeMap<&str, serde_json::Value> = BTreeMap::from([
            ("deadLetterTargetArn", serde_json::Value::from(arn.as_str())),
            ("maxReceiveCount", serde_json::Value::from(max_receive_count)),
        ]);
        attributes.insert(
            QueueAttributeName::RedrivePolicy,
            serde_json::to_string(&policy).unwrap_or_default(),
        );
    }
    Ok(attributes)
}
