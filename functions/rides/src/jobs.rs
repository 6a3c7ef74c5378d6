//! Background work: deactivating finished rides (schedule), importing circles from CSV
//! (imports bucket), exporting today's rides (schedule or admin command).

use andes_shared::aws::sdk_error;
use andes_shared::http::ApiError;
use andes_shared::ids;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::State;
use crate::domain::{self, LineError, DEACTIVATE_WINDOW_MINUTES};
use crate::store::Store;

/// Largest circles CSV imported (the seed's is 1.4 KB).
pub const MAX_IMPORT_BYTES: i64 = 5 * 1024 * 1024;
pub const IMPORT_PREFIX: &str = "imports/circles/";
pub const REPORT_SUFFIX: &str = ".report.json";
/// Circles written at the same time by one import.
const IMPORT_CONCURRENCY: usize = 8;

/// Active rides arriving by `now + 20 min` become inactive (the seed's beat task; rides
/// whose arrival passed while the schedule did not run are included). Idempotent.
pub async fn deactivate_finished_rides(store: &Store, now: DateTime<Utc>) -> Result<Value, ApiError> {
    let until = ids::rfc3339(now + chrono::Duration::minutes(DEACTIVATE_WINDOW_MINUTES));
    let rides = store.active_rides_arriving_by(&until).await?;
    let mut deactivated = Vec::new();
    for ride in &rides {
        if store.deactivate_ride(&ride.circle, &ride.id).await? {
            deactivated.push(format!("{}/{}", ride.circle, ride.id));
        }
    }
    tracing::info!(until = %until, found = rides.len(), deactivated = deactivated.len(), "deactivate-finished-rides");
    Ok(json!({ "until": until, "deactivated": deactivated }))
}

/// What an import did, written next to the CSV as `<key>.report.json`.
#[derive(Debug, Serialize)]
pub struct ImportReport {
    pub source: String,
    pub imported: Vec<String>,
    pub skipped: Vec<String>,
    pub errors: Vec<LineError>,
    pub finished: String,
}

/// Imports the circles of `s3://bucket/key` (idempotent by slug) and writes the report.
pub async fn import_circles(
    store: &Store,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<ImportReport, ApiError> {
    let mut report = ImportReport {
        source: key.to_string(),
        imported: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
        finished: String::new(),
    };
    let object = match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(object) => object,
        // Deleted before it was imported: nothing to import, nothing to retry.
        Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            tracing::warn!(key = %key, "the uploaded object no longer exists; nothing imported");
            return Ok(report);
        }
        Err(error) => return Err(sdk_error(error)),
    };
    let size = object.content_length().unwrap_or_default();
    if size > MAX_IMPORT_BYTES {
        report.errors.push(LineError {
            line: 0,
            message: format!("file is {size} bytes; at most {MAX_IMPORT_BYTES} are imported"),
        });
    } else {
        let bytes = object.body.collect().await.map_err(ApiError::internal)?.into_bytes();
        let (rows, errors) = domain::parse_circles_csv(&bytes);
        report.errors = errors;
        let now = ids::now_rfc3339();
        // Conditional puts (idempotent by slug), a few at a time, results in file order.
        let outcomes: Vec<Result<(String, bool), ApiError>> = futures_util::stream::iter(rows)
            .map(|row| {
                let now = now.clone();
                async move {
                    store
                        .import_circle(&row.circle(&now))
                        .await
                        .map(|created| (row.slug, created))
                }
            })
            .buffered(IMPORT_CONCURRENCY)
            .collect()
            .await;
        for outcome in outcomes {
            match outcome? {
                (slug, true) => report.imported.push(slug),
                (slug, false) => report.skipped.push(slug),
            }
        }
    }
    report.finished = ids::now_rfc3339();
    let report_key = format!("{key}{REPORT_SUFFIX}");
    andes_shared::s3::put_json(s3, bucket, &report_key, &report).await?;
    tracing::info!(key = %key, imported = report.imported.len(), skipped = report.skipped.len(), errors = report.errors.len(), "circles import");
    Ok(report)
}

/// Today's (UTC) rides as CSV in the exports bucket, with a presigned download URL.
pub async fn export_rides(state: &State, now: DateTime<Utc>) -> Result<Value, ApiError> {
    let (store, s3, bucket, ttl) = (
        &state.store,
        &state.s3,
        state.config.exports_bucket()?,
        state.config.export_url_ttl,
    );
    let day = now.format("%Y-%m-%d").to_string();
    let mut rides = store.rides_departing_on(&day).await?;
    rides.sort_by(|a, b| (&a.departure_date, &a.id).cmp(&(&b.departure_date, &b.id)));
    let csv = domain::rides_csv(&rides).map_err(ApiError::internal)?;
    let key = format!("exports/rides/{day}/rides-{}.csv", now.format("%Y%m%dT%H%M%S%.3fZ"));
    s3.put_object()
        .bucket(bucket)
        .key(&key)
        .content_type("text/csv")
        .body(ByteStream::from(csv))
        .send()
        .await
        .map_err(sdk_error)?;
    let presigning = PresigningConfig::expires_in(ttl).map_err(ApiError::internal)?;
    let url = s3
        .get_object()
        .bucket(bucket)
        .key(&key)
        .presigned(presigning)
        .await
        .map_err(sdk_error)?
        .uri()
        .to_string();
    tracing::info!(key = %key, rides = rides.len(), "rides export");
    Ok(
        json!({ "bucket": bucket, "key": key, "day": day, "rides": rides.len(), "url": url, "expires_in": ttl.as_secs() }),
    )
}

/// Handles each record of an S3 event; keys outside `imports/circles/*.csv` are ignored.
/// A failure is returned so that Lambda retries the event (imports are idempotent).
pub async fn handle_s3_event(state: &State, event: aws_lambda_events::event::s3::S3Event) -> Result<Value, ApiError> {
    let mut reports = Vec::new();
    for record in event.records {
        let bucket = record.s3.bucket.name.clone().unwrap_or_default();
        let key = andes_shared::s3::decode_event_key(record.s3.object.key.as_deref().unwrap_or_default());
        if !key.starts_with(IMPORT_PREFIX) || !key.ends_with(".csv") {
            tracing::warn!(key = %key, "not a circles import; ignored");
            continue;
        }
        let report = import_circles(&state.store, &state.s3, &bucket, &key).await?;
        reports.push(json!({ "key": key, "imported": report.imported.len(), "skipped": report.skipped.len(), "errors": report.errors.len() }));
    }
    Ok(json!({ "reports": reports }))
}
