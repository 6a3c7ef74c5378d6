//! Background functions of identity: the notifier (notifications queue → outbox).

use andes_shared::notify::Notification;
use andes_shared::sqs::Received;

use crate::config::State;
use crate::notifications::{self, NotifyError};

/// One message of the notifications queue: rendered by its template and written to the
/// outbox bucket. A failure returns the message to the queue (then the dead-letter queue).
pub async fn notify(state: &State, message: Received<Notification>) -> Result<(), NotifyError> {
    let outbox = state
        .outbox()
        .map_err(|error| NotifyError::Delivery(error.to_string()))?;
    notifications::deliver(&outbox, message.body).await
}
