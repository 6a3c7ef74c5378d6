//! `deliveries-admin`: the service's one-off admin processes, run with the stack's environment
//! (like `identity-admin`). `rebuild-projections` replays every stream into the read models
//! (`crate::rebuild`); `load-demo` registers the demo warehouses and transport runs `make up`
//! offers, so a new user can place an order and watch it reach `dispatched`.

use andes_shared::http::ApiError;
use chrono::{Duration, DurationRound, Utc};
use clap::{Parser, Subcommand};

use crate::domain::{CargoType, Route, Transport, TransportInput, Warehouse, WarehouseInput};
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "deliveries-admin",
    about = "Andes deliveries admin commands (reads DELIVERIES_TABLE and the AWS_* environment)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay every order's events (one Scan) into order views, daily counters and warehouse
    /// stock, and compare them with the live read models. Without --dry-run, order views and
    /// daily counters are replaced by the replayed ones (stock is only reported). The last
    /// stdout line is the JSON report; exit 0 when nothing differs (after a write: no stock
    /// difference), 1 otherwise. Meant for a quiet system.
    RebuildProjections {
        /// Compare only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Register the demo warehouses (Bogotá, Medellín, Cali) and loaded transport runs leaving
    /// a week from now; idempotent (fixed ids and plates).
    LoadDemo,
}

/// The demo warehouses: fixed ids, so loading twice registers nothing new.
const WAREHOUSES: [(&str, &str, &str, u32); 3] = [
    ("01938000-0000-7000-8000-00000000d001", "Bodega Central", "Bogotá", 500),
    ("01938000-0000-7000-8000-00000000d002", "Bodega Norte", "Medellín", 200),
    ("01938000-0000-7000-8000-00000000d003", "Bodega Pacífico", "Cali", 100),
];

/// The demo runs: (id, plate, cargo, warehouse index, destination).
const TRANSPORTS: [(&str, &str, CargoType, usize, &str); 4] = [
    (
        "01938000-0000-7000-8000-00000000e001",
        "DEMO-101",
        CargoType::Goods,
        0,
        "Medellín",
    ),
    (
        "01938000-0000-7000-8000-00000000e002",
        "DEMO-102",
        CargoType::Food,
        0,
        "Cali",
    ),
    (
        "01938000-0000-7000-8000-00000000e003",
        "DEMO-103",
        CargoType::Refrigerated,
        0,
        "Medellín",
    ),
    (
        "01938000-0000-7000-8000-00000000e004",
        "DEMO-201",
        CargoType::Goods,
        1,
        "Bogotá",
    ),
];

/// Registers what is missing of the demo data; prints one line per item.
pub async fn load_demo(store: &Store) -> Result<(), ApiError> {
    let now = Utc::now();
    let departure = (now + Duration::days(7))
        .duration_trunc(Duration::hours(1))
        .map_err(ApiError::internal)?;
    let mut warehouses = Vec::new();
    for (id, name, location, capacity) in WAREHOUSES {
        let warehouse = match store.get_warehouse(id).await? {
            Some(existing) => existing,
            None => {
                let input = WarehouseInput {
                    name: name.into(),
                    location: location.into(),
                    capacity,
                };
                let warehouse = Warehouse::new(id, input, now);
                store.create_warehouse(&warehouse).await?;
                warehouse
            }
        };
        println!(
            "warehouse {} {} ({}, capacity {})",
            warehouse.id, warehouse.name, warehouse.location, warehouse.capacity
        );
        warehouses.push(warehouse);
    }
    for (id, plate, cargo_type, from, destination) in TRANSPORTS {
        let warehouse = &warehouses[from];
        if store.get_transport(id).await?.is_some() {
            println!("transport {id} {plate} already registered");
            continue;
        }
        let input = TransportInput {
            vehicle_plate: plate.into(),
            cargo_type,
            warehouse_id: warehouse.id.clone(),
            route: Route {
                origin: warehouse.location.clone(),
                destination: destination.into(),
                departure_date: departure,
                arrival_date: departure + Duration::hours(10),
            },
        };
        let transport = Transport::new(id, input, now);
        if store.create_transport(&transport).await? {
            println!(
                "transport {id} {plate} {cargo_type}: {} -> {destination}, leaves {}",
                warehouse.location,
                andes_shared::ids::rfc3339(departure)
            );
        } else {
            println!("transport {id}: vehicle {plate} already has an active run");
        }
    }
    Ok(())
}
