//! The publication queue's wire format: publish an ad, or remove a deleted one.

use andes_shared::http::ApiError;
use serde::{Deserialize, Serialize};

use crate::domain::Ad;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Publish,
    Delete,
}

/// One job. `version` is the ad's version when it was queued (for logs: the worker always
/// acts on the ad as it is when the message arrives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub action: Action,
    pub ad_id: String,
    pub version: u64,
}

impl Job {
    pub fn publish(ad: &Ad) -> Self {
        Self {
            action: Action::Publish,
            ad_id: ad.id.clone(),
            version: ad.version,
        }
    }

    pub fn delete(ad: &Ad) -> Self {
        Self {
            action: Action::Delete,
            ad_id: ad.id.clone(),
            version: ad.version,
        }
    }
}

pub async fn send(sqs: &aws_sdk_sqs::Client, queue_url: &str, job: &Job) -> Result<(), ApiError> {
    let body = serde_json::to_string(job).map_err(ApiError::internal)?;
    sqs.send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .map_err(andes_shared::aws::sdk_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_have_a_stable_wire_format() {
        let job = Job {
            action: Action::Publish,
            ad_id: "a".into(),
            version: 3,
        };
        assert_eq!(
            serde_json::to_string(&job).unwrap(),
            r#"{"action":"publish","ad_id":"a","version":3}"#
        );
        assert!(serde_json::from_str::<Job>(r#"{"action":"explode","ad_id":"a","version":3}"#).is_err());
    }
}
