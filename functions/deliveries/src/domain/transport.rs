//! Transports (§2, seed: Transporte): one vehicle run from a warehouse, `loaded` (takes orders)
//! → `on_the_way` (depart) → `dispatched` (arrive: the run is over and the plate is free).

use std::fmt;

use andes_shared::http::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::validation::TransportInput;
use super::values::{time_millis, CargoType, Route};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransportStatus {
    Loaded,
    OnTheWay,
    Dispatched,
}

impl TransportStatus {
    pub const ALL: [TransportStatus; 3] = [Self::Loaded, Self::OnTheWay, Self::Dispatched];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loaded => "loaded",
            Self::OnTheWay => "on_the_way",
            Self::Dispatched => "dispatched",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }

    /// Whether the run has left its warehouse: its orders may be delivered or returned.
    pub fn has_departed(self) -> bool {
        matches!(self, Self::OnTheWay | Self::Dispatched)
    }

    /// Whether the run holds its vehicle's plate (one active run per vehicle).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Loaded | Self::OnTheWay)
    }
}

impl fmt::Display for TransportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transport as stored and as the API answers it. `route.origin` is its warehouse's location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transport {
    pub id: String,
    pub vehicle_plate: String,
    pub cargo_type: CargoType,
    pub warehouse_id: String,
    pub route: Route,
    pub status: TransportStatus,
    /// The orders loaded onto this run, in the order they were assigned.
    pub order_ids: Vec<String>,
    pub version: u64,
    #[serde(with = "time_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "time_millis")]
    pub updated_at: DateTime<Utc>,
}

/// Why a transport change is refused: each a 409 whose `detail` is the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("Transport is not loaded")]
    NotLoaded,
    #[error("Transport is not on the way")]
    NotOnTheWay,
    /// Another run of the same vehicle is `loaded` or `on_the_way`.
    #[error("Vehicle {0} already has an active run")]
    ActiveRun(String),
}

impl From<TransportError> for ApiError {
    fn from(error: TransportError) -> Self {
        ApiError::Conflict(error.to_string())
    }
}

impl Transport {
    /// A new run, `loaded`, with no order yet.
    pub fn new(id: &str, input: TransportInput, now: DateTime<Utc>) -> Self {
        Self {
            id: id.to_string(),
            vehicle_plate: input.vehicle_plate,
            cargo_type: input.cargo_type,
            warehouse_id: input.warehouse_id,
            route: input.route,
            status: TransportStatus::Loaded,
            order_ids: Vec::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// `POST /transports/{id}/depart`: loaded → on_the_way.
    pub fn depart(&self, now: DateTime<Utc>) -> Result<Transport, TransportError> {
        match self.status {
            TransportStatus::Loaded => Ok(self.moved(TransportStatus::OnTheWay, now)),
            _ => Err(TransportError::NotLoaded),
        }
    }

    /// `POST /transports/{id}/arrive`: on_the_way → dispatched (frees the plate).
    pub fn arrive(&self, now: DateTime<Utc>) -> Result<Transport, TransportError> {
        match self.status {
            TransportStatus::OnTheWay => Ok(self.moved(TransportStatus::Dispatched, now)),
            _ => Err(TransportError::NotOnTheWay),
        }
    }

    fn moved(&self, status: TransportStatus, now: DateTime<Utc>) -> Transport {
        Transport {
            status,
            version: self.version + 1,
            updated_at: now.max(self.updated_at),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{at, route, transport};
    use serde_json::json;

    #[test]
    fn a_new_run_is_loaded_and_empty() {
        let input = TransportInput {
            vehicle_plate: "ABC-123".into(),
            cargo_type: CargoType::Food,
            warehouse_id: "w-1".into(),
            route: route(),
        };
        let run = Transport::new("t-1", input, at("2026-12-01T00:00:00Z"));
        assert_eq!(run.status, TransportStatus::Loaded);
        assert!(run.order_ids.is_empty());
        assert_eq!(run.version, 1);
        assert_eq!(
            serde_json::to_value(&run).unwrap(),
            json!({"id": "t-1", "vehicle_plate": "ABC-123", "cargo_type": "food", "warehouse_id": "w-1",
                   "route": {"origin": "Bogotá", "destination": "Medellín",
                             "departure_date": "2026-12-03T08:00:00Z", "arrival_date": "2026-12-03T18:00:00Z"},
                   "status": "loaded", "order_ids": [], "version": 1,
                   "created_at": "2026-12-01T00:00:00.000Z", "updated_at": "2026-12-01T00:00:00.000Z"})
        );
    }

    #[test]
    fn a_run_departs_then_arrives() {
        let loaded = transport("t-1", "Medellín", "2026-12-03T08:00:00Z");
        let on_the_way = loaded.depart(at("2026-12-03T08:05:00Z")).unwrap();
        assert_eq!(on_the_way.status, TransportStatus::OnTheWay);
        assert_eq!(
            (on_the_way.version, on_the_way.updated_at),
            (2, at("2026-12-03T08:05:00Z"))
        );
        let arrived = on_the_way.arrive(at("2026-12-03T18:00:00Z")).unwrap();
        assert_eq!((arrived.status, arrived.version), (TransportStatus::Dispatched, 3));
        assert_eq!(arrived.route, loaded.route);
    }

    #[test]
    fn depart_and_arrive_are_refused_out_of_order() {
        let now = at("2026-12-03T08:00:00Z");
        let loaded = transport("t-1", "Medellín", "2026-12-03T08:00:00Z");
        let on_the_way = loaded.depart(now).unwrap();
        let arrived = on_the_way.arrive(now).unwrap();
        assert_eq!(loaded.arrive(now), Err(TransportError::NotOnTheWay));
        assert_eq!(arrived.arrive(now), Err(TransportError::NotOnTheWay));
        assert_eq!(on_the_way.depart(now), Err(TransportError::NotLoaded));
        assert_eq!(arrived.depart(now), Err(TransportError::NotLoaded));
        assert_eq!(TransportError::NotLoaded.to_string(), "Transport is not loaded");
        assert_eq!(TransportError::NotOnTheWay.to_string(), "Transport is not on the way");
        let conflict: ApiError = TransportError::ActiveRun("ABC-123".into()).into();
        assert!(matches!(conflict, ApiError::Conflict(ref m) if m == "Vehicle ABC-123 already has an active run"));
    }

    #[test]
    fn statuses_say_whether_the_run_left_and_holds_its_plate() {
        assert_eq!(
            TransportStatus::ALL.map(|s| (s.as_str(), s.has_departed(), s.is_active())),
            [
                ("loaded", false, true),
                ("on_the_way", true, true),
                ("dispatched", true, false)
            ]
        );
        assert_eq!(TransportStatus::parse("on_the_way"), Some(TransportStatus::OnTheWay));
        assert_eq!(json!(TransportStatus::OnTheWay), json!("on_the_way"));
        assert_eq!(TransportStatus::parse("OnTheWay"), None);
    }
}
