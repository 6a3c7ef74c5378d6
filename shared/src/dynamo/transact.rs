//! Transactions: conflict retries, and which items' conditions failed.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use rand::Rng;

use crate::http::ApiError;

/// Why a transaction did not apply.
#[derive(Debug)]
pub enum TransactionError {
    /// These items (in request order) failed their condition.
    Conditions(Vec<usize>),
    Other(ApiError),
}

impl From<ApiError> for TransactionError {
    fn from(error: ApiError) -> Self {
        Self::Other(error)
    }
}

impl TransactionError {
    /// Whether item `index` (in request order) failed its condition.
    pub fn failed(&self, index: usize) -> bool {
        matches!(self, Self::Conditions(failed) if failed.contains(&index))
    }
}

/// For a cancelled transaction, the cancellation code of each item in request order
/// (`None` where that item did not fail). `None` if the error is not a cancellation.
pub fn cancellation_codes(error: &SdkError<TransactWriteItemsError>) -> Option<Vec<Option<String>>> {
    match error.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().filter(|code| *code != "None").map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

/// Which items of a cancelled transaction failed their condition.
pub fn failed_conditions(error: &SdkError<TransactWriteItemsError>) -> Vec<usize> {
    match verdict(cancellation_codes(error)) {
        Verdict::Conditions(failed) => failed,
        _ => Vec::new(),
    }
}

/// What a failed `TransactWriteItems` means for its caller.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// These items failed their condition: final, the caller decides what it means.
    Conditions(Vec<usize>),
    /// Cancelled by a concurrent transaction or throttling only: retry, it says nothing about
    /// the items (in particular, never "someone else appended this version").
    Contended,
    Other,
}

/// The verdict from the cancellation codes (`None`: the error is not a cancellation).
fn verdict(codes: Option<Vec<Option<String>>>) -> Verdict {
    let Some(codes) = codes else { return Verdict::Other };
    let failed: Vec<usize> = codes
        .iter()
        .enumerate()
        .filter(|(_, code)| code.as_deref() == Some("ConditionalCheckFailed"))
        .map(|(index, _)| index)
        .collect();
    if !failed.is_empty() {
        return Verdict::Conditions(failed);
    }
    let contended = codes
        .iter()
        .flatten()
        .any(|code| code == "TransactionConflict" || code == "ThrottlingError");
    if contended {
        Verdict::Contended
    } else {
        Verdict::Other
    }
}

/// Attempts of a transaction that DynamoDB cancels because a concurrent transaction touched
/// the same items (as opposed to a failed condition, which is final).
const TRANSACTION_ATTEMPTS: u32 = 4;

/// Runs `TransactWriteItems`, retrying with jittered back-off only cancellations caused by
/// conflicting concurrent transactions (or throttling). A transaction still contended after its
/// attempts is a 503 (retry later), never a 500: nothing is wrong with the request.
pub async fn transact(
    client: &aws_sdk_dynamodb::Client,
    writes: Vec<TransactWriteItem>,
) -> Result<(), TransactionError> {
    for attempt in 1..=TRANSACTION_ATTEMPTS {
        let result = client
            .transact_write_items()
            .set_transact_items(Some(writes.clone()))
            .send()
            .await;
        let Err(error) = result else { return Ok(()) };
        match verdict(cancellation_codes(&error)) {
            Verdict::Conditions(failed) => return Err(TransactionError::Conditions(failed)),
            Verdict::Other => return Err(TransactionError::Other(crate::aws::sdk_error(error))),
            Verdict::Contended => {}
        }
        if attempt < TRANSACTION_ATTEMPTS {
            let ceiling_ms = 25 * u64::from(attempt);
            // Drawn before the await: the thread-local generator must not live across it.
            let pause_ms = rand::rng().random_range(1..=ceiling_ms);
            tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
        }
    }
    Err(TransactionError::Other(ApiError::Unavailable(
        "too many concurrent changes to this resource; retry in a moment".into(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(codes: &[Option<&str>]) -> Option<Vec<Option<String>>> {
        Some(codes.iter().map(|code| code.map(str::to_string)).collect())
    }

    #[test]
    fn a_transaction_conflict_is_retried_not_read_as_a_failed_condition() {
        // An append (event put) cancelled because another transaction touched the warehouse:
        // the event key is free, so this must never become "someone else appended" (a 409).
        assert_eq!(verdict(codes(&[None, Some("TransactionConflict")])), Verdict::Contended);
        assert_eq!(verdict(codes(&[Some("TransactionConflict"), None])), Verdict::Contended);
        assert_eq!(verdict(codes(&[Some("ThrottlingError")])), Verdict::Contended);
    }

    #[test]
    fn failed_conditions_are_final_and_named_by_position() {
        assert_eq!(
            verdict(codes(&[
                Some("ConditionalCheckFailed"),
                None,
                Some("ConditionalCheckFailed")
            ])),
            Verdict::Conditions(vec![0, 2])
        );
        // A failed condition wins over a conflict on another item: retrying cannot change it.
        assert_eq!(
            verdict(codes(&[Some("TransactionConflict"), Some("ConditionalCheckFailed")])),
            Verdict::Conditions(vec![1])
        );
    }

    #[test]
    fn other_failures_are_reported() {
        assert_eq!(verdict(None), Verdict::Other);
        assert_eq!(verdict(codes(&[Some("ValidationError")])), Verdict::Other);
    }
}
