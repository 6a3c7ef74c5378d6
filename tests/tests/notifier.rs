//! The notifier behind the notifications queue: batches with a failing message deliver the
//! good ones (partial batch failure) and send the bad one, after its retries, to the
//! dead-letter queue — never to the outbox.

use andes_tests::support::{json, unique_tag, Ctx, Value};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

/// A notification as services queue it, to a unique address.
fn notification(template: &str) -> Value {
    let tag = unique_tag();
    json!({
        "id": uuid::Uuid::now_v7().to_string(),
        "template": template,
        "to": { "email": format!("notify.{tag}@example.com"), "name": format!("Recipient {tag}") },
        "data": { "username": format!("n{tag}"), "token": format!("token-{tag}") },
        "created": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

fn email_of(message: &Value) -> &str {
    message["to"]["email"].as_str().expect("to.email")
}

async fn send_batch(ctx: &Ctx, bodies: &[String]) {
    let queue_url = ctx.env.var("NOTIFICATIONS_QUEUE_URL");
    let entries = bodies
        .iter()
        .enumerate()
        .map(|(index, body)| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("m{index}"))
                .message_body(body)
                .build()
                .expect("batch entry")
        })
        .collect::<Vec<_>>();
    let output = ctx
        .sqs
        .send_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
        .unwrap_or_else(|error| panic!("send batch to {queue_url}: {error:?}"));
    assert!(
        output.failed().is_empty(),
        "batch entries refused: {:?}",
        output.failed()
    );
}

#[tokio::test]
async fn poison_message_goes_to_the_dead_letter_queue_and_the_rest_are_delivered() {
    let ctx = Ctx::new().await;
    let poison = notification("no_such_template");
    let good: Vec<Value> = (0..4).map(|_| notification("account_confirmation")).collect();
    let mut bodies = vec![poison.to_string()];
    bodies.extend(good.iter().map(Value::to_string));
    send_batch(&ctx, &bodies).await;

    for message in &good {
        let delivered = ctx.outbox_message(email_of(message)).await;
        assert_eq!(delivered["id"], message["id"], "outbox message id: {delivered}");
        assert_eq!(delivered["template"], json!("account_confirmation"));
        let welcome = format!("Welcome @{}!", message["data"]["username"].as_str().unwrap());
        assert!(
            delivered["text"].as_str().is_some_and(|t| t.contains(&welcome)),
            "rendered text: {delivered}"
        );
        assert!(
            delivered["subject"].as_str().is_some_and(|s| !s.is_empty()),
            "subject: {delivered}"
        );
    }

    let poison_id = poison["id"].as_str().unwrap().to_string();
    let dead = ctx
        .dead_letter(
            "NOTIFICATIONS_DEAD_LETTER_QUEUE_URL",
            &format!("notification {poison_id}"),
            |body| serde_json::from_str::<Value>(body).is_ok_and(|m| m["id"] == json!(poison_id)),
        )
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(&dead).unwrap(),
        poison,
        "the dead letter is the message as sent"
    );

    let delivered = ctx.outbox_messages(email_of(&poison)).await;
    assert!(
        delivered.is_empty(),
        "the poison message reached the outbox: {delivered:?}"
    );
}

#[tokio::test]
async fn unparseable_message_goes_to_the_dead_letter_queue() {
    let ctx = Ctx::new().await;
    let garbage = format!("this is not a notification {}", unique_tag());
    let good = notification("account_confirmation");
    send_batch(&ctx, &[garbage.clone(), good.to_string()]).await;

    ctx.outbox_message(email_of(&good)).await;
    let dead = ctx
        .dead_letter(
            "NOTIFICATIONS_DEAD_LETTER_QUEUE_URL",
            &format!("message {garbage:?}"),
            |body| body == garbage,
        )
        .await;
    assert_eq!(dead, garbage);
}
