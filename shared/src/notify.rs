//! The platform's notification envelope and its producer side.
//!
//! Every service that wants to tell a person something (confirmation emails, ride or
//! reservation updates, ...) sends a [`Notification`] to the notifications queue; the
//! `notifier` worker (identity) renders it by `template` and delivers it. The `id` is the
//! idempotency key: redelivering the same message produces the same outbox object.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::ApiError;

/// Who receives a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One message on the notifications queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// UUIDv7; also the delivery idempotency key (and, being a UUID, safe in object keys).
    pub id: Uuid,
    /// Name of the template the notifier renders (`account_confirmation`, ...).
    pub template: String,
    pub to: Recipient,
    /// Template variables; each template documents the fields it needs.
    #[serde(default)]
    pub data: serde_json::Value,
    pub created: DateTime<Utc>,
}

impl Notification {
    /// A new notification with a fresh id, created now.
    pub fn new(template: impl Into<String>, to: Recipient, data: serde_json::Value) -> Self {
        Self {
            id: Uuid::now_v7(),
            template: template.into(),
            to,
            data,
            created: Utc::now(),
        }
    }
}

/// Sends `notification` to the notifications queue.
pub async fn enqueue(sqs: &aws_sdk_sqs::Client, queue_url: &str, notification: &Notification) -> Result<(), ApiError> {
    let body = serde_json::to_string(notification).map_err(ApiError::internal)?;
    sqs.send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await
        .map_err(crate::aws::sdk_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_as_json() {
        let to = Recipient {
            email: "ana@example.com".into(),
            name: None,
        };
        let notification = Notification::new("account_confirmation", to, serde_json::json!({"username": "ana"}));
        let text = serde_json::to_string(&notification).unwrap();
        assert!(!text.contains("\"name\""));
        let back: Notification = serde_json::from_str(&text).unwrap();
        assert_eq!(back, notification);
        assert_eq!(back.id.get_version_num(), 7);
    }
}
