//! What the order commands decide (§3, §5): given the current order (and, for deliver and
//! return, its transport's status), the events to append or the 409 that refuses them. Checks
//! run in the contract's order: `expected_version` first, then the state rules.

use andes_shared::http::ApiError;

use super::events::{CancelReason, EventData, OnTransport, OrderCancelled, OrderReceived, OrderReturned, StockMove};
use super::order::{Order, OrderStatus};
use super::transport::TransportStatus;
use super::validation::OrderInput;

/// Why a command is refused. Every variant but `Inconsistent` is a 409 whose `detail` is the
/// message; `VersionConflict` adds the problem member `current_version`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("Order has changed: expected version {expected}, current version {current}")]
    VersionConflict { expected: u64, current: u64 },
    #[error("Order is not dispatched")]
    NotDispatched,
    #[error("Order has already been dispatched")]
    AlreadyDispatched,
    #[error("Transport has not departed yet")]
    NotDeparted,
    #[error("Order is already {0}")]
    AlreadyFinal(OrderStatus),
    /// The order contradicts the rules its events were appended under (a stored order without a
    /// warehouse, a dispatched one without its transport): a 500, never the client's fault.
    #[error("order {order_id} is inconsistent: {problem}")]
    Inconsistent { order_id: String, problem: &'static str },
}

impl CommandError {
    /// The `current_version` member of a version conflict's problem.
    pub fn current_version(&self) -> Option<u64> {
        match self {
            Self::VersionConflict { current, .. } => Some(*current),
            _ => None,
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Inconsistent { .. } => ApiError::internal(error),
            CommandError::VersionConflict { current, .. } => ApiError::VersionConflict {
                detail: error.to_string(),
                current_version: current,
            },
            conflict => ApiError::Conflict(conflict.to_string()),
        }
    }
}

/// `POST /orders/{id}/cancel`: `reason` of the body, kept as the event's `note`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cancel {
    pub note: Option<String>,
    pub expected_version: Option<u64>,
}

/// `POST /orders/{id}/deliver`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deliver {
    pub expected_version: Option<u64>,
}

/// `POST /orders/{id}/return`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Return {
    pub reason: Option<String>,
    pub expected_version: Option<u64>,
}

/// `POST /orders`: the first event of a new order placed by `client_id`.
pub fn receive(client_id: &str, input: &OrderInput) -> EventData {
    EventData::OrderReceived(OrderReceived {
        client_id: client_id.to_string(),
        products: input.products.clone(),
        route: input.route.clone(),
        cargo_type: input.cargo_type,
        units: input.units(),
    })
}

/// Cancel by `caller_id` (the handler has already checked that the caller may see the order):
/// received → `[OrderCancelled]`; stored → `[StockReleased, OrderCancelled]`. The reason is
/// `cancelled_by_client` when the caller owns the order, whatever its roles, else
/// `cancelled_by_operator`.
pub fn decide_cancel(order: &Order, caller_id: &str, command: &Cancel) -> Result<Vec<EventData>, CommandError> {
    check_version(order, command.expected_version)?;
    let reason = if caller_id == order.client_id {
        CancelReason::CancelledByClient
    } else {
        CancelReason::CancelledByOperator
    };
    let cancelled = EventData::OrderCancelled(OrderCancelled {
        reason,
        note: command.note.clone(),
    });
    match order.status {
        OrderStatus::Received => Ok(vec![cancelled]),
        OrderStatus::Stored => Ok(vec![release(order)?, cancelled]),
        OrderStatus::Dispatched => Err(CommandError::AlreadyDispatched),
        done => Err(CommandError::AlreadyFinal(done)),
    }
}

/// Deliver: `[OrderDelivered]` once the order's transport has departed. `transport` is the status
/// of the order's transport (`order.transport_id`), needed only when the order is dispatched.
pub fn decide_deliver(
    order: &Order,
    transport: Option<TransportStatus>,
    command: &Deliver,
) -> Result<Vec<EventData>, CommandError> {
    check_version(order, command.expected_version)?;
    let transport_id = departed_transport(order, transport)?;
    Ok(vec![EventData::OrderDelivered(OnTransport { transport_id })])
}

/// Return: `[OrderReturned]` once the order's transport has departed; as [`decide_deliver`].
pub fn decide_return(
    order: &Order,
    transport: Option<TransportStatus>,
    command: &Return,
) -> Result<Vec<EventData>, CommandError> {
    check_version(order, command.expected_version)?;
    let transport_id = departed_transport(order, transport)?;
    Ok(vec![EventData::OrderReturned(OrderReturned {
        transport_id,
        reason: command.reason.clone(),
    })])
}

fn check_version(order: &Order, expected: Option<u64>) -> Result<(), CommandError> {
    match expected {
        Some(expected) if expected != order.version => Err(CommandError::VersionConflict {
            expected,
            current: order.version,
        }),
        _ => Ok(()),
    }
}

/// The StockReleased of a stored order's units.
fn release(order: &Order) -> Result<EventData, CommandError> {
    let warehouse_id = order
        .stored_at()
        .ok_or_else(|| inconsistent(order, "stored without a warehouse"))?;
    Ok(EventData::StockReleased(StockMove {
        warehouse_id: warehouse_id.to_string(),
        units: order.units,
    }))
}

/// The transport of a dispatched order whose transport has left (on its way or arrived).
fn departed_transport(order: &Order, transport: Option<TransportStatus>) -> Result<String, CommandError> {
    match order.status {
        OrderStatus::Received | OrderStatus::Stored => Err(CommandError::NotDispatched),
        OrderStatus::Dispatched => {
            let transport_id = order
                .transport_id
                .clone()
                .ok_or_else(|| inconsistent(order, "dispatched without a transport"))?;
            match transport {
                Some(status) if status.has_departed() => Ok(transport_id),
                Some(_) => Err(CommandError::NotDeparted),
                None => Err(inconsistent(order, "its transport is missing")),
            }
        }
        done => Err(CommandError::AlreadyFinal(done)),
    }
}

fn inconsistent(order: &Order, problem: &'static str) -> CommandError {
    CommandError::Inconsistent {
        order_id: order.id.clone(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::TransportAssigned;
    use crate::domain::testing::{order, then};
    use crate::domain::{saga, OrderStored};

    fn stored() -> Order {
        then(
            order(),
            vec![
                EventData::StockReserved(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 2,
                }),
                EventData::OrderStored(OrderStored {
                    warehouse_id: "w-1".into(),
                }),
            ],
        )
    }

    fn dispatched() -> Order {
        then(
            stored(),
            vec![
                EventData::TransportAssigned(TransportAssigned {
                    transport_id: "t-1".into(),
                    vehicle_plate: "ABC-123".into(),
                }),
                EventData::StockReleased(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 2,
                }),
                EventData::OrderDispatched(OnTransport {
                    transport_id: "t-1".into(),
                }),
            ],
        )
    }

    fn with_status(status: OrderStatus) -> Order {
        let mut order = dispatched();
        order.status = status;
        order
    }

    fn cancel(note: Option<&str>) -> Cancel {
        Cancel {
            note: note.map(String::from),
            expected_version: None,
        }
    }

    #[test]
    fn cancelling_a_received_order_appends_order_cancelled() {
        let events = decide_cancel(&order(), "client-1", &cancel(Some("wrong address"))).unwrap();
        assert_eq!(
            events,
            [EventData::OrderCancelled(OrderCancelled {
                reason: CancelReason::CancelledByClient,
                note: Some("wrong address".into())
            })]
        );
    }

    #[test]
    fn cancelling_a_stored_order_releases_its_stock_first() {
        let events = decide_cancel(&stored(), "operator-1", &cancel(None)).unwrap();
        assert_eq!(
            events,
            [
                EventData::StockReleased(StockMove {
                    warehouse_id: "w-1".into(),
                    units: 2
                }),
                EventData::OrderCancelled(OrderCancelled {
                    reason: CancelReason::CancelledByOperator,
                    note: None
                })
            ]
        );
        let cancelled = then(stored(), events);
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(cancelled.cancel_reason, Some(CancelReason::CancelledByOperator));
    }

    #[test]
    fn the_owner_cancels_as_client_whatever_its_roles() {
        // An operator who placed the order is its client: the handler passes the caller's id only.
        let events = decide_cancel(&order(), "client-1", &cancel(None)).unwrap();
        assert!(matches!(&events[0], EventData::OrderCancelled(c) if c.reason == CancelReason::CancelledByClient));
    }

    #[test]
    fn cancel_is_refused_once_dispatched_or_final() {
        assert_eq!(
            decide_cancel(&dispatched(), "client-1", &cancel(None)),
            Err(CommandError::AlreadyDispatched)
        );
        assert_eq!(
            CommandError::AlreadyDispatched.to_string(),
            "Order has already been dispatched"
        );
        for status in [OrderStatus::Delivered, OrderStatus::Returned, OrderStatus::Cancelled] {
            let error = decide_cancel(&with_status(status), "client-1", &cancel(None)).unwrap_err();
            assert_eq!(error.to_string(), format!("Order is already {status}"));
        }
    }

    #[test]
    fn deliver_and_return_need_a_dispatched_order_whose_transport_left() {
        let deliver = Deliver::default();
        let back = Return {
            reason: Some("refused".into()),
            expected_version: None,
        };
        for status in [TransportStatus::OnTheWay, TransportStatus::Dispatched] {
            assert_eq!(
                decide_deliver(&dispatched(), Some(status), &deliver).unwrap(),
                [EventData::OrderDelivered(OnTransport {
                    transport_id: "t-1".into()
                })]
            );
            assert_eq!(
                decide_return(&dispatched(), Some(status), &back).unwrap(),
                [EventData::OrderReturned(OrderReturned {
                    transport_id: "t-1".into(),
                    reason: Some("refused".into())
                })]
            );
        }
        let loaded = Some(TransportStatus::Loaded);
        assert_eq!(
            decide_deliver(&dispatched(), loaded, &deliver),
            Err(CommandError::NotDeparted)
        );
        assert_eq!(
            decide_return(&dispatched(), loaded, &back),
            Err(CommandError::NotDeparted)
        );
        assert_eq!(CommandError::NotDeparted.to_string(), "Transport has not departed yet");
    }

    #[test]
    fn deliver_and_return_are_refused_before_dispatch_and_when_final() {
        for order in [order(), stored()] {
            assert_eq!(
                decide_deliver(&order, None, &Deliver::default()),
                Err(CommandError::NotDispatched)
            );
            assert_eq!(
                decide_return(&order, None, &Return::default()),
                Err(CommandError::NotDispatched)
            );
        }
        assert_eq!(CommandError::NotDispatched.to_string(), "Order is not dispatched");
        let on_the_way = Some(TransportStatus::OnTheWay);
        for status in [OrderStatus::Delivered, OrderStatus::Returned, OrderStatus::Cancelled] {
            let message = format!("Order is already {status}");
            let order = with_status(status);
            assert_eq!(
                decide_deliver(&order, on_the_way, &Deliver::default())
                    .unwrap_err()
                    .to_string(),
                message
            );
            assert_eq!(
                decide_return(&order, on_the_way, &Return::default())
                    .unwrap_err()
                    .to_string(),
                message
            );
        }
    }

    #[test]
    fn a_stale_expected_version_is_refused_before_the_state_rules() {
        let stale = Cancel {
            note: None,
            expected_version: Some(1),
        };
        let error = decide_cancel(&dispatched(), "client-1", &stale).unwrap_err();
        assert_eq!(
            error,
            CommandError::VersionConflict {
                expected: 1,
                current: 6
            }
        );
        assert_eq!(
            error.to_string(),
            "Order has changed: expected version 1, current version 6"
        );
        assert_eq!(error.current_version(), Some(6));
        let ahead = Deliver {
            expected_version: Some(9),
        };
        assert_eq!(
            decide_deliver(&order(), None, &ahead).unwrap_err().current_version(),
            Some(1)
        );
        let ahead = Return {
            reason: None,
            expected_version: Some(9),
        };
        assert_eq!(
            decide_return(&order(), None, &ahead).unwrap_err().current_version(),
            Some(1)
        );
        let current = Cancel {
            note: None,
            expected_version: Some(3),
        };
        assert!(decide_cancel(&stored(), "client-1", &current).is_ok());
        assert_eq!(CommandError::NotDispatched.current_version(), None);
    }

    #[test]
    fn refusals_are_409s_and_inconsistencies_500s() {
        let conflict: ApiError = CommandError::AlreadyFinal(OrderStatus::Cancelled).into();
        assert!(matches!(conflict, ApiError::Conflict(ref m) if m == "Order is already cancelled"));
        let mut broken = stored();
        broken.warehouse_id = None;
        let error = decide_cancel(&broken, "client-1", &cancel(None)).unwrap_err();
        assert!(matches!(error, CommandError::Inconsistent { .. }));
        assert!(matches!(ApiError::from(error), ApiError::Internal(_)));
        let error = decide_deliver(&dispatched(), None, &Deliver::default()).unwrap_err();
        assert!(matches!(error, CommandError::Inconsistent { .. }));
    }

    #[test]
    fn placing_an_order_receives_it_with_one_unit_per_product() {
        let input = crate::domain::testing::order_input();
        let EventData::OrderReceived(data) = receive("client-9", &input) else {
            panic!("not OrderReceived");
        };
        assert_eq!(data.client_id, "client-9");
        assert_eq!(data.units, 2);
        assert_eq!(data.products, input.products);
        assert_eq!(data.route, input.route);
    }

    #[test]
    fn a_cancel_that_lost_the_race_to_the_saga_re_decides_on_the_new_state() {
        // Both decided on version 1; the saga appended first, so the cancel reloads and is refused.
        let received = order();
        let cancelled = then(received.clone(), saga::no_room(&received).unwrap());
        assert_eq!(
            decide_cancel(&cancelled, "client-1", &cancel(None)),
            Err(CommandError::AlreadyFinal(OrderStatus::Cancelled))
        );
        assert_eq!(cancelled.cancel_reason, Some(CancelReason::NoWarehouseCapacity));
    }
}
