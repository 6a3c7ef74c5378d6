//! The notifier: renders queued [`Notification`]s by template and delivers them.
//!
//! Delivery sits behind [`Outbox`] so a real email adapter (SES) can be added next to the
//! S3 outbox without touching rendering. A message that is not a notification (refused by
//! `andes_shared::sqs::run`) or has an unknown template fails on its own, so SQS retries it
//! and finally dead-letters it. The queue handler is `crate::jobs::notify`; the queue's wire
//! formats are in `crate::messages`.

use std::future::Future;

use andes_shared::http::ApiError;
use andes_shared::notify::Notification;
use chrono::{DateTime, Utc};
use serde::Serialize;

pub const ACCOUNT_CONFIRMATION: &str = "account_confirmation";
/// `data: {order_id, status, reason?, event_id}`, built by `crate::messages` from deliveries'
/// status changes.
pub const ORDER_STATUS: &str = "order_status";
/// A notice another service wrote (`data.subject`, `data.text`), e.g. dining's reservation notices.
pub const ACCOUNT_NOTICE: &str = "account_notice";

/// A rendered message, ready to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotifyError {
    #[error("unknown template {0:?}")]
    UnknownTemplate(String),
    #[error("template {template} needs a string field data.{field}")]
    MissingData { template: String, field: &'static str },
    #[error("account lookup failed: {0}")]
    Lookup(String),
    #[error("delivery failed: {0}")]
    Delivery(String),
}

/// Renders a notification by its template.
pub fn render(notification: &Notification) -> Result<Rendered, NotifyError> {
    let field = |name: &'static str| {
        notification
            .data
            .get(name)
            .and_then(|v| v.as_str())
            .ok_or_else(|| NotifyError::MissingData {
                template: notification.template.clone(),
                field: name,
            })
    };
    match notification.template.as_str() {
        ACCOUNT_CONFIRMATION => {
            let (username, token) = (field("username")?, field("token")?);
            Ok(Rendered {
                subject: "Verify your Andes account".into(),
                text: format!(
                    "Welcome @{username}! Verify your account to start using Andes. \
                     Your verification token: {token}\n\nVerify: /identity/verify?token={token}\n"
                ),
            })
        }
        ORDER_STATUS => {
            let (order_id, status) = (field("order_id")?, field("status")?);
            let reason = notification.data.get("reason").and_then(|v| v.as_str());
            let reason = reason.map(|reason| format!(", reason: {reason}")).unwrap_or_default();
            Ok(Rendered {
                subject: format!("Your order is now {status}"),
                text: format!("Your order {order_id} is now {status}{reason}."),
            })
        }
        ACCOUNT_NOTICE => Ok(Rendered {
            subject: field("subject")?.to_string(),
            text: field("text")?.to_string(),
        }),
        other => Err(NotifyError::UnknownTemplate(other.to_string())),
    }
}

/// What the outbox holds for one delivered notification.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxMessage<'a> {
    pub id: String,
    pub template: &'a str,
    pub to: &'a andes_shared::notify::Recipient,
    pub subject: String,
    pub text: String,
    pub data: &'a serde_json::Value,
    pub created: DateTime<Utc>,
    pub delivered_at: DateTime<Utc>,
}

impl OutboxMessage<'_> {
    /// `outbox/{YYYY-MM-DD of created}/{id}.json`: the same notification always lands on the
    /// same key, so redeliveries overwrite instead of duplicating.
    pub fn key(&self) -> String {
        format!("outbox/{}/{}.json", self.created.format("%Y-%m-%d"), self.id)
    }
}

/// Where rendered notifications go.
pub trait Outbox: Send + Sync {
    fn deliver(&self, message: &OutboxMessage<'_>) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// Writes each message as a JSON object to the outbox bucket.
pub struct S3Outbox {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl Outbox for S3Outbox {
    async fn deliver(&self, message: &OutboxMessage<'_>) -> Result<(), ApiError> {
        andes_shared::s3::put_json(&self.client, &self.bucket, &message.key(), message).await
    }
}

/// Renders a notification and hands it to `outbox`.
pub async fn deliver<O: Outbox>(outbox: &O, notification: Notification) -> Result<(), NotifyError> {
    let rendered = render(&notification)?;
    let outbox_message = OutboxMessage {
        id: notification.id.to_string(),
        template: &notification.template,
        to: &notification.to,
        subject: rendered.subject,
        text: rendered.text,
        data: &notification.data,
        created: notification.created,
        delivered_at: Utc::now(),
    };
    outbox
        .deliver(&outbox_message)
        .await
        .map_err(|e| NotifyError::Delivery(e.to_string()))?;
    tracing::info!(notification_id = %notification.id, template = %notification.template, "delivered");
    Ok(())
}

/// Keeps each delivered message as `(key, JSON)`; shared by the notifier's tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemoryOutbox(pub std::sync::Mutex<Vec<(String, serde_json::Value)>>);

#[cfg(test)]
impl Outbox for MemoryOutbox {
    async fn deliver(&self, message: &OutboxMessage<'_>) -> Result<(), ApiError> {
        let json = serde_json::to_value(message).map_err(ApiError::internal)?;
        self.0.lock().unwrap().push((message.key(), json));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use andes_shared::notify::Recipient;
    use andes_shared::sqs::Received;
    use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};

    fn confirmation() -> Notification {
        let to = Recipient {
            email: "ana@example.com".into(),
            name: Some("Ana".into()),
        };
        Notification::new(
            ACCOUNT_CONFIRMATION,
            to,
            serde_json::json!({"username": "ana", "token": "tok.en.x"}),
        )
    }

    fn record(id: &str, body: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body.into());
        message
    }

    #[test]
    fn account_confirmation_is_rendered() {
        let rendered = render(&confirmation()).unwrap();
        assert_eq!(rendered.subject, "Verify your Andes account");
        assert!(rendered
            .text
            .starts_with("Welcome @ana! Verify your account to start using Andes. Your verification token: tok.en.x"));
    }

    #[test]
    fn unknown_templates_and_missing_data_fail() {
        let mut n = confirmation();
        n.data = serde_json::json!({"username": "ana"});
        assert!(matches!(
            render(&n),
            Err(NotifyError::MissingData { field: "token", .. })
        ));
        n.template = "nope".into();
        assert_eq!(render(&n), Err(NotifyError::UnknownTemplate("nope".into())));
    }

    fn order_status(reason: Option<&str>) -> Notification {
        let to = Recipient {
            email: "ana@example.com".into(),
            name: None,
        };
        let data = serde_json::json!({"order_id": "0193-o", "status": "cancelled", "reason": reason});
        Notification::new(ORDER_STATUS, to, data)
    }

    #[test]
    fn order_status_is_rendered_with_its_reason_when_there_is_one() {
        let rendered = render(&order_status(None)).unwrap();
        assert_eq!(rendered.subject, "Your order is now cancelled");
        assert_eq!(rendered.text, "Your order 0193-o is now cancelled.");
        let rendered = render(&order_status(Some("out of stock"))).unwrap();
        assert_eq!(
            rendered.text,
            "Your order 0193-o is now cancelled, reason: out of stock."
        );
        let mut n = order_status(None);
        n.data = serde_json::json!({"order_id": "0193-o"});
        assert!(matches!(
            render(&n),
            Err(NotifyError::MissingData { field: "status", .. })
        ));
    }

    #[tokio::test]
    async fn a_batch_delivers_good_records_and_reports_bad_ones() {
        let outbox = MemoryOutbox::default();
        let good = confirmation();
        let mut unknown = confirmation();
        unknown.template = "nope".into();
        let mut event = SqsEvent::default();
        event.records = vec![
            record("1", &serde_json::to_string(&good).unwrap()),
            record("2", "not json"),
            record("3", &serde_json::to_string(&unknown).unwrap()),
            record("4", r#"{"id":"../../etc","template":"account_confirmation"}"#),
        ];
        let handler = |m: Received<Notification>| deliver(&outbox, m.body);
        let response = andes_shared::sqs::handle_batch(event, &handler).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(failed, vec!["2", "3", "4"]);
        let delivered = outbox.0.lock().unwrap();
        assert_eq!(delivered.len(), 1);
        let (key, body) = &delivered[0];
        assert_eq!(
            key,
            &format!("outbox/{}/{}.json", good.created.format("%Y-%m-%d"), good.id)
        );
        assert_eq!(body["subject"], "Verify your Andes account");
        assert_eq!(body["to"]["email"], "ana@example.com");
        assert_eq!(body["id"], good.id.to_string());
        assert!(body["delivered_at"].is_string());
    }
}
