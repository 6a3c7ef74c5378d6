//! classifieds: motorcycle classified ads (seed 003, Motando). Sellers create ads, upload
//! photos by presigned request into a temporary bucket (`image-uploaded` checks and records
//! them), and publish them asynchronously (`publisher` copies the photos to the permanent
//! bucket); anyone lists and reads published ads and writes to sellers. Binaries in `src/bin`
//! are thin shells over this library; the tables are documented in `README.md`.

pub mod admin;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod domain;
pub mod handlers;
pub mod jobs;
pub mod messages;
pub mod openapi;
pub mod store;
