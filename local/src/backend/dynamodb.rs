//! DynamoDB and DynamoDB Streams: dynoxide (pinned in the workspace's `Cargo.toml`), embedded in
//! `andes-local` on an in-memory SQLite database, served on a loopback port of its own behind
//! the front door.
//!
//! dynoxide runs each request to completion under one lock, so conditional writes, `ADD`
//! counters and transactions are as exact as on AWS without a lock of ours
//! (`../shared/notes/local-backend-dynoxide.md`). Its operations block the thread they run on:
//! it gets a runtime of its own, so a large Scan never stalls the gateway or the triggers.

use std::time::Duration;

use dynoxide::Database;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::BackendError;

/// How often expired TTL items are deleted. AWS takes up to a few days; locally, soon after
/// the expiry is what a developer watching a stream expects.
const TTL_SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Threads of dynoxide's own runtime: requests wait for the database lock anyway; two let one
/// answer while the next is parsed.
const WORKER_THREADS: usize = 2;

/// The embedded DynamoDB: its database (for the platform's own sweeps and resets) and the
/// server thread, stopped when dropped.
pub struct EmbeddedDynamoDb {
    database: Database,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
}

impl EmbeddedDynamoDb {
    /// Opens an empty in-memory database and serves it on a free loopback port.
    pub fn start() -> Result<EmbeddedDynamoDb, BackendError> {
        let failed = |message: String| BackendError::DynamoDb { message };
        let database = Database::memory().map_err(|e| failed(format!("cannot open the database: {e}")))?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|e| failed(format!("cannot listen on a loopback port: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| failed(format!("no local address: {e}")))?
            .port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("dynamodb")
            .enable_all()
            .build()
            .map_err(|e| failed(format!("cannot build its runtime: {e}")))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let served = database.clone();
        std::thread::Builder::new()
            .name("dynamodb".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => return tracing::error!(%error, "the local DynamoDB cannot listen"),
                    };
                    tokio::spawn(sweep_expired_items(served.clone()));
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    if let Err(error) = dynoxide::server::serve_with_shutdown(listener, served, shutdown).await {
                        tracing::error!(%error, "the local DynamoDB stopped");
                    }
                });
            })
            .map_err(|e| failed(format!("cannot start its thread: {e}")))?;
        Ok(EmbeddedDynamoDb {
            database,
            port,
            stop: Some(stop),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle on the same database, for the front door's sweep and reset endpoints.
    pub fn database(&self) -> Database {
        self.database.clone()
    }

    /// Stops serving; the thread ends once the requests under way have been answered.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for EmbeddedDynamoDb {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn sweep_expired_items(database: Database) {
    loop {
        tokio::time::sleep(TTL_SWEEP_EVERY).await;
        let database = database.clone();
        match tokio::task::spawn_blocking(move || database.sweep_ttl()).await {
            Ok(Ok(0)) => {}
            Ok(Ok(expired)) => tracing::debug!(expired, "TTL sweep"),
            Ok(Err(error)) => tracing::warn!(%error, "TTL sweep failed"),
            Err(error) => tracing::warn!(%error, "TTL sweep panicked"),
        }
    }
}

/// Deletes the items whose TTL attribute has passed, in every table with TTL enabled, as
/// DynamoDB's own background process does: each reaches the table's stream as a `REMOVE`
/// record whose `userIdentity` is the DynamoDB service. Blocking: call it off the runtime.
pub fn sweep_ttl(database: &Database) -> Result<u64, String> {
    database.sweep_ttl().map(|n| n as u64).map_err(|e| e.to_string())
}

/// Deletes every table (and so every item and stream).
pub fn delete_all_tables(database: &Database) -> Result<(), String> {
    loop {
        let listed = database
            .list_tables(request(json!({}))?)
            .map_err(|e| format!("ListTables: {e}"))?;
        if listed.table_names.is_empty() {
            return Ok(());
        }
        for table in listed.table_names {
            database
                .delete_table(request(json!({ "TableName": table }))?)
                .map_err(|e| format!("DeleteTable {table}: {e}"))?;
        }
    }
}

/// dynoxide's requests are built from their DynamoDB JSON, as its own server does.
fn request<T: serde::de::DeserializeOwned>(body: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(body).map_err(|e| e.to_string())
}

/// A GetRecords answer in the Streams API's own shape. dynoxide 3.2 names a record's identity
/// with the Lambda event's member names (`principalId`, `type`) where the API has `PrincipalId`
/// and `Type`, so an SDK reads no identity, and a TTL deletion would reach a function without
/// the service's identity AWS gives it. `None` when `body` needs no change.
pub fn with_api_identity_names(body: &[u8]) -> Option<Vec<u8>> {
    let mut answer: Value = serde_json::from_slice(body).ok()?;
    let mut changed = false;
    for record in answer["Records"].as_array_mut().into_iter().flatten() {
        if let Some(identity) = record.get_mut("userIdentity").and_then(Value::as_object_mut) {
            for (lambda_name, api_name) in [("principalId", "PrincipalId"), ("type", "Type")] {
                if let Some(value) = identity.remove(lambda_name) {
                    identity.insert(api_name.to_string(), value);
                    changed = true;
                }
            }
        }
    }
    changed.then(|| answer.to_string().into_bytes())
}
