//! Background functions of identity: the notifier (notifications queue → outbox).

use std::future::Future;

use andes_shared::http::ApiError;
use andes_shared::notify::Recipient;
use andes_shared::sqs::Received;

use crate::config::State;
use crate::messages::NotificationsMessage;
use crate::notifications::{self, NotifyError, Outbox};
use crate::store::Store;

/// Who an account-addressed message goes to (a trait so tests can use memory).
pub trait Recipients: Send + Sync {
    /// `None` when the account does not exist (any more).
    fn recipient(&self, account_id: &str) -> impl Future<Output = Result<Option<Recipient>, ApiError>> + Send;
}

impl Recipients for Store {
    async fn recipient(&self, account_id: &str) -> Result<Option<Recipient>, ApiError> {
        Ok(self.get_account(account_id).await?.map(|account| account.recipient()))
    }
}

/// One message of the notifications queue: rendered by its template and written to the
/// outbox bucket. A failure returns the message to the queue (then the dead-letter queue).
pub async fn notify(state: &State, message: Received<NotificationsMessage>) -> Result<(), NotifyError> {
    let outbox = state
        .outbox()
        .map_err(|error| NotifyError::Delivery(error.to_string()))?;
    handle(&outbox, &state.store, message.body).await
}

/// Delivers `message` to `outbox`, looking its recipient up first when it names an account.
pub async fn handle<O: Outbox, R: Recipients>(
    outbox: &O,
    recipients: &R,
    message: NotificationsMessage,
) -> Result<(), NotifyError> {
    let notification = match message {
        NotificationsMessage::Notification(notification) => notification,
        NotificationsMessage::OrderStatus(change) => {
            match addressee(recipients, &change.recipient_id, change.event_id, "order status").await? {
                Some(to) => change.notification(to),
                None => return Ok(()),
            }
        }
        NotificationsMessage::AccountNotice(notice) => {
            match addressee(recipients, &notice.recipient_id, notice.event_id, "account notice").await? {
                Some(to) => notice.notification(to),
                None => return Ok(()),
            }
        }
    };
    notifications::deliver(outbox, notification).await
}

/// The account a message is addressed to. `None` when it does not exist: retrying cannot bring
/// it back, so the message is dropped rather than dead-lettered (logged by ids only, never an
/// address).
async fn addressee<R: Recipients>(
    recipients: &R,
    recipient_id: &str,
    event_id: uuid::Uuid,
    kind: &str,
) -> Result<Option<Recipient>, NotifyError> {
    let to = recipients
        .recipient(recipient_id)
        .await
        .map_err(|error| NotifyError::Lookup(error.to_string()))?;
    if to.is_none() {
        tracing::warn!(event_id = %event_id, recipient_id = %recipient_id, kind, "message for an unknown account; dropped");
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::MemoryOutbox;
    use std::collections::HashMap;

    const EVENT_ID: &str = "0193a5b0-7c00-7abc-8def-0123456789ab";
    const ACCOUNT_ID: &str = "0193a5b0-0000-7000-8000-00000000acc1";

    /// Accounts by id; `None` makes every lookup fail.
    struct MemoryRecipients(Option<HashMap<String, Recipient>>);

    impl Recipients for MemoryRecipients {
        async fn recipient(&self, account_id: &str) -> Result<Option<Recipient>, ApiError> {
            let accounts = self.0.as_ref().ok_or_else(|| ApiError::internal("table down"))?;
            Ok(accounts.get(account_id).cloned())
        }
    }

    fn ana() -> MemoryRecipients {
        let to = Recipient {
            email: "ana@example.com".into(),
            name: Some("Ana".into()),
        };
        MemoryRecipients(Some(HashMap::from([(ACCOUNT_ID.to_string(), to)])))
    }

    fn order_status(recipient_id: &str) -> NotificationsMessage {
        serde_json::from_value(serde_json::json!({
            "kind": "order_status", "event_id": EVENT_ID,
            "order_id": "0193a5b0-0000-7000-8000-000000000001", "status": "dispatched",
            "reason": null, "recipient_id": recipient_id,
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn an_order_status_lands_on_one_key_named_by_its_event_however_often_it_comes() {
        let outbox = MemoryOutbox::default();
        for _ in 0..2 {
            handle(&outbox, &ana(), order_status(ACCOUNT_ID)).await.unwrap();
        }
        let delivered = outbox.0.lock().unwrap();
        // The date of the time inside the UUIDv7 (0x0193a5b07c00 ms = 2024-12-08T09:53:47.008Z).
        let key = format!("outbox/2024-12-08/{EVENT_ID}.json");
        assert_eq!(
            delivered.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            [&key, &key]
        );
        let body = &delivered[0].1;
        assert_eq!(body["template"], "order_status");
        assert_eq!(
            body["to"],
            serde_json::json!({"email": "ana@example.com", "name": "Ana"})
        );
        assert_eq!(body["data"]["order_id"], "0193a5b0-0000-7000-8000-000000000001");
        assert_eq!(body["data"]["status"], "dispatched");
        assert_eq!(body["subject"], "Your order is now dispatched");
        assert_eq!(
            body["text"],
            "Your order 0193a5b0-0000-7000-8000-000000000001 is now dispatched."
        );
        assert_eq!(body["created"], delivered[1].1["created"]);
    }

    #[tokio::test]
    async fn unknown_accounts_are_dropped_and_failed_lookups_retried() {
        let outbox = MemoryOutbox::default();
        let unknown = "0193a5b0-0000-7000-8000-0000000000ff";
        assert_eq!(handle(&outbox, &ana(), order_status(unknown)).await, Ok(()));
        let down = MemoryRecipients(None);
        let failed = handle(&outbox, &down, order_status(ACCOUNT_ID)).await;
        assert!(matches!(failed, Err(NotifyError::Lookup(_))));
        assert!(outbox.0.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_batch_of_both_kinds_reports_only_the_bodies_of_neither() {
        use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
        let record = |id: &str, body: String| {
            let mut message = SqsMessage::default();
            message.message_id = Some(id.into());
            message.body = Some(body);
            message
        };
        let order = serde_json::json!({
            "kind": "order_status", "event_id": EVENT_ID, "order_id": EVENT_ID,
            "status": "delivered", "reason": "left at the door", "recipient_id": ACCOUNT_ID,
        });
        let mut bad_status = order.clone();
        bad_status["status"] = "lost".into();
        let to = Recipient {
            email: "bob@example.com".into(),
            name: None,
        };
        let data = serde_json::json!({"username": "bob", "token": "t"});
        let confirmation = andes_shared::notify::Notification::new("account_confirmation", to, data);
        let mut event = SqsEvent::default();
        event.records = vec![
            record("1", order.to_string()),
            record("2", serde_json::to_string(&confirmation).unwrap()),
            record("3", bad_status.to_string()),
            record("4", r#"{"id": "x"}"#.into()),
        ];
        let (outbox, recipients) = (MemoryOutbox::default(), ana());
        let handler = |m: Received<NotificationsMessage>| handle(&outbox, &recipients, m.body);
        let response = andes_shared::sqs::handle_batch(event, &handler).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["3", "4"]);
        let delivered = outbox.0.lock().unwrap();
        assert_eq!(delivered.len(), 2);
        let order_text = delivered
            .iter()
            .find(|(_, body)| body["template"] == "order_status")
            .unwrap();
        assert!(order_text.1["text"]
            .as_str()
            .unwrap()
            .ends_with("is now delivered, reason: left at the door."));
    }

    #[tokio::test]
    async fn notifications_with_a_template_need_no_lookup() {
        let outbox = MemoryOutbox::default();
        let to = Recipient {
            email: "bob@example.com".into(),
            name: None,
        };
        let data = serde_json::json!({"username": "bob", "token": "t"});
        let notification = andes_shared::notify::Notification::new("account_confirmation", to, data);
        let message = NotificationsMessage::Notification(notification);
        handle(&outbox, &MemoryRecipients(None), message).await.unwrap();
        assert_eq!(outbox.0.lock().unwrap().len(), 1);
    }
}
