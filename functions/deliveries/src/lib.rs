//! deliveries: event-sourced logistics (seed 002, Entregas de los Alpes). Clients place orders of
//! products; a saga stores them in a warehouse at the route's origin and loads them onto a
//! transport to the destination; operators deliver or return them. Every order is a stream of
//! versioned events, and every view of it is a fold of those events. The contract is
//! `docs/spec/deliveries.md` at the repository's root (the `§N` of these docs are its sections);
//! the layout and the table's access patterns are in `README.md`.
//! Binaries in `src/bin` are thin shells over this library.

pub mod admin;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod messages;
pub mod openapi;
pub mod projector;
pub mod rebuild;
pub mod saga;
pub mod store;
