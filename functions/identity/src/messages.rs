//! Wire formats of the notifications queue.
//!
//! The queue carries a ready [`Notification`] (it has a `template`), or a message addressed by
//! account id (it has a `kind`) because its sender does not know people's email addresses: an
//! order's status change from deliveries (`order_status`, `docs/spec/deliveries.md` §9), or a
//! ready-written notice from any service (`account_notice`: subject and text, e.g. dining's
//! reservation notices). Everything a message carries is checked here, while decoding: a body of
//! no known kind, or one that breaks a bound, is refused by `andes_shared::sqs`, so SQS retries it
//! and finally dead-letters it.

use andes_shared::notify::{Notification, Recipient};
use andes_shared::validation::plain_text;
use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::{Uuid, Version};

use crate::notifications::{ACCOUNT_NOTICE, ORDER_STATUS};

/// Longest `reason` accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest `subject` of an account notice, in characters (one line).
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest `text` of an account notice, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest `recipient_id` accepted (account ids are UUIDs: 36 characters).
pub const MAX_RECIPIENT_ID_CHARS: usize = 64;

/// One message of the notifications queue.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationsMessage {
    /// Rendered by its own `template`, to its own `to` (signup's confirmation, ...).
    Notification(Notification),
    /// Addressed to an account; the notifier looks the address up.
    OrderStatus(OrderStatusMessage),
    /// A written notice addressed to an account; the notifier looks the address up.
    AccountNotice(AccountNoticeMessage),
}

// Chosen by which field the body has rather than `#[serde(untagged)]`, whose error ("did not
// match any variant") would hide what was wrong in the dead-lettered message.
impl<'de> Deserialize<'de> for NotificationsMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = Map::<String, Value>::deserialize(deserializer)?;
        let parsed = match (body.get("kind"), body.contains_key("template")) {
            (Some(kind), false) => match kind.as_str() {
                Some("order_status") => OrderStatusMessage::deserialize(Value::Object(body)).map(Self::OrderStatus),
                Some("account_notice") => {
                    AccountNoticeMessage::deserialize(Value::Object(body)).map(Self::AccountNotice)
                }
                _ => {
                    return Err(de::Error::custom(format!(
                        "unknown kind {kind}: expected \"order_status\" or \"account_notice\""
                    )))
                }
            },
            (None, true) => Notification::deserialize(Value::Object(body)).map(Self::Notification),
            (Some(_), true) => return Err(de::Error::custom("a message has a `kind` or a `template`, not both")),
            (None, false) => return Err(de::Error::custom("a message needs a `kind` or a `template`")),
        };
        parsed.map_err(de::Error::custom)
    }
}

/// The statuses of a delivery order (`docs/spec/deliveries.md` §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Received,
    Stored,
    Dispatched,
    Delivered,
    Returned,
    Cancelled,
}

/// `{"kind": "order_status", "event_id", "order_id", "status", "reason", "recipient_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "OrderStatusWire")]
pub struct OrderStatusMessage {
    /// The event's UUIDv7: the notification's id, so it names the outbox object.
    pub event_id: Uuid,
    pub order_id: Uuid,
    pub status: OrderStatus,
    /// `None` when absent, null or blank.
    pub reason: Option<String>,
    /// The account to notify.
    pub recipient_id: String,
    /// The time embedded in `event_id`: the same on every redelivery, so the outbox key
    /// (dated by it) is too.
    pub created: DateTime<Utc>,
}

impl OrderStatusMessage {
    /// The notification this change sends to `to`. Nothing in it depends on when or how often
    /// it is built, so a redelivered event overwrites its one outbox object.
    pub fn notification(&self, to: Recipient) -> Notification {
        Notification {
            id: self.event_id,
            template: ORDER_STATUS.into(),
            to,
            data: serde_json::json!({
                "order_id": self.order_id,
                "status": self.status,
                "reason": self.reason,
                "event_id": self.event_id,
            }),
            created: self.created,
        }
    }
}

/// The body as sent, before its bounds are checked.
#[derive(Deserialize)]
struct OrderStatusWire {
    /// Read only to refuse any other kind.
    #[serde(rename = "kind")]
    _kind: Kind,
    event_id: Uuid,
    order_id: Uuid,
    status: OrderStatus,
    #[serde(default)]
    reason: Option<String>,
    recipient_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    OrderStatus,
}

impl TryFrom<OrderStatusWire> for OrderStatusMessage {
    type Error = String;

    fn try_from(wire: OrderStatusWire) -> Result<Self, String> {
        let created = v7_time(wire.event_id).ok_or("event_id must be a UUIDv7")?;
        let reason = wire.reason.filter(|reason| !reason.trim().is_empty());
        if reason.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(format!("reason is longer than {MAX_REASON_CHARS} characters"));
        }
        Ok(Self {
            event_id: wire.event_id,
            order_id: wire.order_id,
            status: wire.status,
            reason,
            recipient_id: account_id(wire.recipient_id)?,
            created,
        })
    }
}

/// `{"kind": "account_notice", "event_id", "recipient_id", "subject", "text"}`: a notice a
/// service has written (in the recipient's language), for the account `recipient_id`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "AccountNoticeWire")]
pub struct AccountNoticeMessage {
    /// A UUIDv7 the sender derives from what it notifies: the same on every redelivery, so the
    /// notice names (and dates) one outbox object.
    pub event_id: Uuid,
    pub recipient_id: String,
    /// One line, 1–200 characters, trimmed.
    pub subject: String,
    /// 1–4000 characters, as sent (line breaks kept).
    pub text: String,
    /// The time embedded in `event_id`.
    pub created: DateTime<Utc>,
}

impl AccountNoticeMessage {
    /// A notice as a sending service builds it, checked as the notifier will check it.
    pub fn new(event_id: Uuid, recipient_id: &str, subject: &str, text: &str) -> Result<Self, String> {
        Self::try_from(AccountNoticeWire {
            _kind: NoticeKind::AccountNotice,
            event_id,
            recipient_id: recipient_id.to_string(),
            subject: subject.to_string(),
            text: text.to_string(),
        })
    }

    /// The message body to put on the notifications queue.
    pub fn body(&self) -> Value {
        serde_json::json!({
            "kind": ACCOUNT_NOTICE,
            "event_id": self.event_id,
            "recipient_id": self.recipient_id,
            "subject": self.subject,
            "text": self.text,
        })
    }

    /// The notification this notice sends to `to`; the same on every delivery.
    pub fn notification(&self, to: Recipient) -> Notification {
        Notification {
            id: self.event_id,
            template: ACCOUNT_NOTICE.into(),
            to,
            data: serde_json::json!({
                "subject": self.subject,
                "text": self.text,
                "event_id": self.event_id,
            }),
            created: self.created,
        }
    }
}

#[derive(Deserialize)]
struct AccountNoticeWire {
    #[serde(rename = "kind")]
    _kind: NoticeKind,
    event_id: Uuid,
    recipient_id: String,
    subject: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum NoticeKind {
    AccountNotice,
}

impl TryFrom<AccountNoticeWire> for AccountNoticeMessage {
    type Error = String;

    fn try_from(wire: AccountNoticeWire) -> Result<Self, String> {
        let created = v7_time(wire.event_id).ok_or("event_id must be a UUIDv7")?;
        let subject = wire.subject.trim();
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(format!("subject must be 1 to {MAX_SUBJECT_CHARS} characters"));
        }
        // plain_text lets newline and tab through, which a subject line may not hold.
        if subject.contains(['\n', '\t']) {
            return Err("subject must be a single line".into());
        }
        plain_text(subject).map_err(|problem| format!("subject {problem}"))?;
        let text = wire.text;
        if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            return Err(format!("text must be 1 to {MAX_TEXT_CHARS} characters, not blank"));
        }
        plain_text(&text).map_err(|problem| format!("text {problem}"))?;
        Ok(Self {
            event_id: wire.event_id,
            recipient_id: account_id(wire.recipient_id)?,
            subject: subject.to_string(),
            text,
            created,
        })
    }
}

/// A `recipient_id` as it may be used: it becomes part of a table key, so only the characters
/// of ids, and a bounded length.
fn account_id(recipient_id: String) -> Result<String, String> {
    let id_chars = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if recipient_id.is_empty() || recipient_id.len() > MAX_RECIPIENT_ID_CHARS || !recipient_id.chars().all(id_chars) {
        return Err("recipient_id is not an account id".into());
    }
    Ok(recipient_id)
}

/// The creation time a UUIDv7 carries (millisecond precision).
fn v7_time(id: Uuid) -> Option<DateTime<Utc>> {
    if id.get_version() != Some(Version::SortRand) {
        return None;
    }
    let (seconds, nanos) = id.get_timestamp()?.to_unix();
    DateTime::from_timestamp(i64::try_from(seconds).ok()?, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT_ID: &str = "0193a5b0-7c00-7abc-8def-0123456789ab";
    const ORDER_ID: &str = "0193a5b0-0000-7000-8000-000000000001";

    fn order_status() -> Value {
        serde_json::json!({
            "kind": "order_status",
            "event_id": EVENT_ID,
            "order_id": ORDER_ID,
            "status": "dispatched",
            "reason": null,
            "recipient_id": "0193a5b0-0000-7000-8000-00000000acc1",
        })
    }

    fn parse(body: &Value) -> Result<NotificationsMessage, serde_json::Error> {
        serde_json::from_str(&body.to_string())
    }

    fn with(field: &str, value: Value) -> Value {
        let mut body = order_status();
        body[field] = value;
        body
    }

    #[test]
    fn order_status_messages_are_parsed_with_the_time_of_their_event_id() {
        let NotificationsMessage::OrderStatus(message) = parse(&order_status()).unwrap() else {
            panic!("not an order status");
        };
        assert_eq!(message.status, OrderStatus::Dispatched);
        assert_eq!(message.reason, None);
        assert_eq!(message.event_id.to_string(), EVENT_ID);
        // 0x0193a5b07c00 ms after the epoch.
        assert_eq!(message.created.timestamp_millis(), 0x0193_a5b0_7c00);
    }

    #[test]
    fn notifications_with_a_template_are_parsed_as_before() {
        let notification = Notification::new(
            "account_confirmation",
            Recipient {
                email: "ana@example.com".into(),
                name: None,
            },
            serde_json::json!({"username": "ana", "token": "t"}),
        );
        let body = serde_json::to_value(&notification).unwrap();
        assert_eq!(parse(&body).unwrap(), NotificationsMessage::Notification(notification));
    }

    #[test]
    fn bodies_of_neither_kind_or_both_are_refused() {
        assert!(parse(&serde_json::json!({"id": "x"})).is_err());
        assert!(parse(&with("template", "account_confirmation".into())).is_err());
        assert!(parse(&with("kind", "order_created".into())).is_err());
        assert!(parse(&serde_json::json!("order_status")).is_err());
    }

    #[test]
    fn bad_fields_are_refused() {
        let v4 = "6f1c2a5e-8d3b-4c2a-9e1f-0a1b2c3d4e5f";
        for (field, value) in [
            ("event_id", Value::from("../../etc")),
            ("event_id", Value::from(v4)),
            ("order_id", Value::from("order-1")),
            ("status", Value::from("lost")),
            ("status", Value::from("Dispatched")),
            ("reason", Value::from("x".repeat(MAX_REASON_CHARS + 1))),
            ("recipient_id", Value::from("")),
            ("recipient_id", Value::from("ACCOUNT#a#b")),
            ("recipient_id", Value::from("a".repeat(MAX_RECIPIENT_ID_CHARS + 1))),
            ("recipient_id", Value::Null),
        ] {
            assert!(parse(&with(field, value.clone())).is_err(), "{field} = {value}");
        }
        let mut body = order_status();
        body.as_object_mut().unwrap().remove("order_id");
        assert!(parse(&body).is_err());
    }

    #[test]
    fn reasons_up_to_the_bound_are_kept_and_blank_ones_dropped() {
        let long = "é".repeat(MAX_REASON_CHARS);
        let Ok(NotificationsMessage::OrderStatus(kept)) = parse(&with("reason", long.clone().into())) else {
            panic!("refused");
        };
        assert_eq!(kept.reason, Some(long));
        let Ok(NotificationsMessage::OrderStatus(blank)) = parse(&with("reason", "  ".into())) else {
            panic!("refused");
        };
        assert_eq!(blank.reason, None);
    }

    #[test]
    fn the_notification_is_the_same_on_every_delivery() {
        let to = Recipient {
            email: "ana@example.com".into(),
            name: Some("Ana".into()),
        };
        let build = || match parse(&with("reason", "address not found".into())).unwrap() {
            NotificationsMessage::OrderStatus(message) => message.notification(to.clone()),
            other => panic!("{other:?}"),
        };
        let notification = build();
        assert_eq!(notification, build());
        assert_eq!(notification.id.to_string(), EVENT_ID);
        assert_eq!(notification.template, ORDER_STATUS);
        assert_eq!(
            notification.data,
            serde_json::json!({"order_id": ORDER_ID, "status": "dispatched",
                               "reason": "address not found", "event_id": EVENT_ID})
        );
    }

    fn notice(subject: &str, text: &str) -> Result<AccountNoticeMessage, String> {
        AccountNoticeMessage::new(Uuid::parse_str(EVENT_ID).unwrap(), "acc-1", subject, text)
    }

    #[test]
    fn an_account_notice_goes_through_the_queue_as_it_was_built() {
        let sent = notice("Reserva", "Tu reserva ha expirado!\nVolvé pronto.").unwrap();
        let Ok(NotificationsMessage::AccountNotice(received)) = parse(&sent.body()) else {
            panic!("refused");
        };
        assert_eq!(received, sent);
        assert_eq!(Some(received.created), v7_time(received.event_id));
        let to = Recipient {
            email: "ana@example.com".into(),
            name: None,
        };
        let notification = received.notification(to);
        assert_eq!(notification.template, ACCOUNT_NOTICE);
        assert_eq!(notification.data["text"], "Tu reserva ha expirado!\nVolvé pronto.");
    }

    #[test]
    fn account_notices_are_bounded_and_single_line_subjects() {
        assert!(notice(" ", "text").is_err());
        assert!(notice(&"s".repeat(MAX_SUBJECT_CHARS + 1), "text").is_err());
        assert!(notice("two\nlines", "text").is_err());
        assert!(notice("Subject", "  ").is_err());
        assert!(notice("Subject", &"t".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(notice("Subject", "bell\u{7}").is_err());
        assert!(notice("Subject", "tab\tand\nline").is_ok());
        assert!(notice("Subject\u{202E}", "text").is_err());
        assert!(notice("Subject", "total \u{2066}100\u{2069}").is_err());
        assert!(notice("tab\tsubject", "text").is_err());
        assert!(
            AccountNoticeMessage::new(Uuid::new_v4(), "acc-1", "Subject", "text").is_err(),
            "not a v7"
        );
        assert!(AccountNoticeMessage::new(Uuid::now_v7(), "ACCOUNT#x", "Subject", "text").is_err());
        assert_eq!(notice("  Subject  ", "text").unwrap().subject, "Subject");
    }
}
