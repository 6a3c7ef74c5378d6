//! Creates every table, bucket and queue of the stack on the local backend, from the resolved
//! CloudFormation properties of each (nothing is hard-coded per resource), plus the internal
//! queues that carry S3 notifications to the triggers. Re-running it on existing resources is
//! harmless.

mod buckets;
mod props;
mod queues;
mod tables;

use crate::backend::Clients;
use crate::template::{EventSource, Stack};

pub use buckets::{expiration_rules, s3_events_queue_name, ExpirationRule};

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// The template's properties cannot be turned into a request.
    #[error("{resource}: {message}")]
    Invalid { resource: String, message: String },
    /// The backend refused a request.
    #[error("{resource}: {operation} failed: {message}")]
    Backend {
        resource: String,
        operation: &'static str,
        message: String,
    },
}

impl ResourceError {
    pub(crate) fn invalid(resource: &str, message: impl Into<String>) -> Self {
        ResourceError::Invalid {
            resource: resource.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn backend(resource: &str, operation: &'static str, error: impl std::error::Error) -> Self {
        ResourceError::Backend {
            resource: resource.to_string(),
            operation,
            message: crate::backend::describe_error(error),
        }
    }
}

/// Creates all resources: queues first (dead-letter queues before the queues that redrive to
/// them), then tables, then buckets and their notification queues.
pub async fn create_all(stack: &Stack, clients: &Clients) -> Result<(), ResourceError> {
    queues::create_all(stack, &clients.sqs).await?;
    for table in &stack.tables {
        tables::create(table, &clients.dynamodb).await?;
    }
    for bucket in &stack.buckets {
        buckets::create(stack, bucket, &clients.s3).await?;
    }
    for bucket in &stack.buckets {
        let notified = stack
            .functions
            .iter()
            .flat_map(|f| &f.events)
            .any(|event| matches!(event, EventSource::S3(source) if source.bucket == bucket.logical_id));
        if notified {
            buckets::notify(stack, bucket, &clients.s3, &clients.sqs).await?;
        }
    }
    Ok(())
}
