//! The background functions: the projector and the saga's stream router on the table's stream,
//! the saga's step worker on its queue, and the schedule that expires waiting orders. Stream
//! batches report the records that failed (`ReportBatchItemFailures`): Lambda retries from the
//! first of them, split in halves, then hands them to the on-failure destination.

use andes_shared::http::ApiError;
use andes_shared::sqs::{self, Received};
use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::event::sqs::SqsEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde_json::Value;

use crate::config::State;
use crate::domain::{Event, EventType, Transport};
use crate::messages::StepMessage;
use crate::projector::{project_order, status_messages};
use crate::saga::{self, Swept};
use crate::store::keys::{EVENT_PREFIX, TRANSPORT_SK};

/// What a record of the table's stream is, for the functions that follow it.
#[derive(Debug)]
pub enum Written {
    /// An event appended to an order's stream.
    Event(Event),
    /// A transport run registered.
    TransportRegistered(String),
    /// Anything else (views, counters, stock, locks, changes of existing items).
    Other,
}

fn text<'a>(image: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match image.get(name)? {
        serde_dynamo::AttributeValue::S(value) => Some(value),
        _ => None,
    }
}

/// Reads a record: only inserts matter (events are only ever inserted; a run is registered by
/// its insert). An event image that does not parse is an error: it must not be skipped.
pub fn written(record: &EventRecord) -> Result<Written, ApiError> {
    if record.event_name != "INSERT" {
        return Ok(Written::Other);
    }
    let image = &record.change.new_image;
    let (Some(pk), Some(sk)) = (text(image, "pk"), text(image, "sk")) else {
        return Ok(Written::Other);
    };
    if pk.starts_with("ORDER#") && sk.starts_with(EVENT_PREFIX) {
        let event: Event = serde_dynamo::from_item(image.clone())
            .map_err(|error| ApiError::internal(format!("event {pk} {sk} does not parse: {error}")))?;
        return Ok(Written::Event(event));
    }
    if pk.starts_with("TRANSPORT#") && sk == TRANSPORT_SK {
        let transport: Transport = serde_dynamo::from_item(image.clone())
            .map_err(|error| ApiError::internal(format!("transport {pk} does not parse: {error}")))?;
        return Ok(Written::TransportRegistered(transport.id));
    }
    Ok(Written::Other)
}

fn sequence_number(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

fn failures(sequence_numbers: impl IntoIterator<Item = String>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for sequence_number in sequence_numbers {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(sequence_number);
        response.batch_item_failures.push(failure);
    }
    response
}

/// `deliveries-projector`: the batch's events, grouped by order, folded into the views and
/// counters; then one status message per status-changing event to identity's notifier (sent
/// again when a record is redelivered: the notifier's outbox key is the event id).
pub async fn project(state: &State, batch: StreamEvent) -> Result<DynamoDbEventResponse, ApiError> {
    let queue_url = state.config.notifications_queue_url()?;
    let mut orders: Vec<(String, Vec<Event>, Vec<String>)> = Vec::new();
    let mut unreadable = Vec::new();
    for record in &batch.records {
        match written(record) {
            Ok(Written::Event(event)) => {
                let order_id = event.subject.clone();
                let position = match orders.iter().position(|(id, _, _)| *id == order_id) {
                    Some(position) => position,
                    None => {
                        orders.push((order_id, Vec::new(), Vec::new()));
                        orders.len() - 1
                    }
                };
                orders[position].1.push(event);
                orders[position].2.push(sequence_number(record));
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(error = %error, "unreadable stream record");
                unreadable.push(sequence_number(record));
            }
        }
    }
    let outcomes = futures_util::future::join_all(orders.iter().map(|(order_id, events, _)| async move {
        let projected = project_order(&state.store, order_id, events).await?;
        sqs::send_all(&state.sqs, queue_url, &status_messages(events, &projected)).await
    }))
    .await;
    let mut failed = unreadable;
    for ((order_id, _, sequence_numbers), outcome) in orders.into_iter().zip(outcomes) {
        if let Err(error) = outcome {
            tracing::warn!(order_id = %order_id, error = %error, "projection failed");
            failed.extend(sequence_numbers);
        }
    }
    Ok(failures(failed))
}

/// The saga's stream router: OrderReceived → reserve, OrderStored → assign, a new transport →
/// take the waiting orders. A batch whose messages cannot all be sent fails whole (its records
/// come again; a step sent twice finds nothing left to do).
pub async fn route(state: &State, batch: StreamEvent) -> Result<DynamoDbEventResponse, ApiError> {
    let mut messages = Vec::new();
    let mut failed = Vec::new();
    for record in &batch.records {
        match written(record) {
            Ok(Written::Event(event)) => match event.event_type() {
                EventType::OrderReceived => messages.push(StepMessage::Reserve {
                    order_id: event.subject,
                }),
                EventType::OrderStored => messages.push(StepMessage::Assign {
                    order_id: event.subject,
                }),
                _ => {}
            },
            Ok(Written::TransportRegistered(transport_id)) => messages.push(StepMessage::TakeWaiting { transport_id }),
            Ok(Written::Other) => {}
            Err(error) => {
                tracing::error!(error = %error, "unreadable stream record");
                failed.push(sequence_number(record));
            }
        }
    }
    if !messages.is_empty() {
        tracing::info!(records = batch.records.len(), steps = messages.len(), "routed");
    }
    if let Err(error) = sqs::send_all(&state.sqs, state.config.saga_queue_url()?, &messages).await {
        tracing::warn!(error = %error, "saga steps not sent");
        return Ok(failures(batch.records.iter().map(sequence_number)));
    }
    Ok(failures(failed))
}

/// `deliveries-saga`: one function on two sources, told apart by the records' `eventSource` —
/// the table's stream (routed to steps) and the step queue (each step run on its own).
pub async fn saga(state: &State, payload: Value) -> Result<Value, ApiError> {
    let source = payload["Records"][0]["eventSource"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let response = match source.as_str() {
        "aws:sqs" => {
            let event: SqsEvent = serde_json::from_value(payload).map_err(ApiError::internal)?;
            let step = |message: Received<StepMessage>| async move { saga::run(&state.store, &message.body).await };
            serde_json::to_value(sqs::handle_batch(event, &step).await)
        }
        "aws:dynamodb" => {
            let event: StreamEvent = serde_json::from_value(payload).map_err(ApiError::internal)?;
            serde_json::to_value(route(state, event).await?)
        }
        "" => return Ok(serde_json::json!({"batchItemFailures": []})),
        other => return Err(ApiError::internal(format!("deliveries-saga has no source {other}"))),
    };
    response.map_err(ApiError::internal)
}

/// `DeliveriesExpireWaitingOrdersFunction` (`rate(5 minutes)`): the sweep as of the scheduled
/// event's `time` (so it can be fired as of a later instant), now if it has none.
pub async fn expire_waiting(state: &State, event: Value) -> Result<Swept, ApiError> {
    let as_of = andes_shared::event::scheduled_time(&event);
    let swept = saga::expire_waiting(&state.store, as_of).await?;
    tracing::info!(
        waiting = swept.waiting,
        moved = swept.moved,
        stale = swept.stale,
        "swept waiting orders"
    );
    Ok(swept)
}
