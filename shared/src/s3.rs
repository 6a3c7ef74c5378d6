//! S3 helpers: JSON objects and the object keys of S3 event records.

use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;

use crate::http::ApiError;

/// Writes `value` as a JSON object at `key`.
pub async fn put_json<T: Serialize>(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    value: &T,
) -> Result<(), ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(crate::aws::sdk_error)?;
    Ok(())
}

/// The object key of an S3 event record: URL-encoded, with `+` for spaces.
pub fn decode_event_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_are_decoded() {
        assert_eq!(
            decode_event_key("uploads/my+photo%281%29.jpg"),
            "uploads/my photo(1).jpg"
        );
        assert_eq!(decode_event_key("a%2Fb"), "a/b");
    }
}
