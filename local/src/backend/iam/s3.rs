//! What an S3 request (path style: `/bucket/key`) asks IAM for: the action its method and
//! sub-resource make, on the bucket or object ARN; a copy also reads its source, a multi-object
//! delete deletes each key it lists, an ACL or tags sent with an upload need their own actions.

use axum::http::HeaderMap;
use percent_encoding::percent_decode_str;

use super::policy::Authorization;

pub fn authorizations(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<Authorization>, String> {
    let path = percent_decode_str(path.trim_start_matches('/')).decode_utf8_lossy();
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) if !key.is_empty() => (bucket, Some(key)),
        Some((bucket, _)) => (bucket, None),
        None => (path.as_ref(), None),
    };
    let parameters: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
        // The SDK's own markers name the operation; they are no sub-resource.
        .filter(|name| {
            !matches!(
                *name,
                "x-id"
                    | "list-type"
                    | "prefix"
                    | "delimiter"
                    | "max-keys"
                    | "continuation-token"
                    | "start-after"
                    | "encoding-type"
                    | "fetch-owner"
                    | "marker"
                    | "partNumber"
                    | "response-content-type"
                    | "response-content-disposition"
                    | "response-cache-control"
                    | "response-content-encoding"
                    | "response-content-language"
                    | "response-expires"
            ) && !name.starts_with("X-Amz-")
        })
        .collect();
    let has = |name: &str| parameters.contains(&name);
    let sub_resource = parameters
        .iter()
        .copied()
        .find(|name| *name != "versionId" && *name != "uploadId");
    let unknown = || {
        Err(format!(
            "the local platform does not know which IAM action S3's {method} /{path}?{query} needs"
        ))
    };
    if bucket.is_empty() {
        return match method {
            "GET" => Ok(vec![Authorization::new("s3:ListAllMyBuckets", "*")]),
            _ => unknown(),
        };
    }
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let Some(key) = key else {
        let action = match (method, sub_resource) {
            ("GET" | "HEAD", None) => "s3:ListBucket",
            ("GET", Some("versions")) => "s3:ListBucketVersions",
            ("GET", Some("uploads")) => "s3:ListBucketMultipartUploads",
            ("GET", Some("location")) => "s3:GetBucketLocation",
            ("PUT", None) => "s3:CreateBucket",
            ("DELETE", None) => "s3:DeleteBucket",
            ("DELETE", Some("policy")) => "s3:DeleteBucketPolicy",
            ("POST", Some("delete")) => {
                return Ok(deleted_keys(body)
                    .into_iter()
                    .map(|key| Authorization::new("s3:DeleteObject", format!("{bucket_arn}/{key}")))
                    .collect())
            }
            (method, Some(configuration)) => match bucket_configuration(configuration) {
                Some(name) if method == "GET" => {
                    return Ok(vec![Authorization::new(format!("s3:Get{name}"), bucket_arn)])
                }
                Some(name) if method == "PUT" || method == "DELETE" => {
                    return Ok(vec![Authorization::new(format!("s3:Put{name}"), bucket_arn)])
                }
                _ => return unknown(),
            },
            _ => return unknown(),
        };
        return Ok(vec![Authorization::new(action, bucket_arn)]);
    };
    let object_arn = format!("{bucket_arn}/{key}");
    let versioned = has("versionId");
    let action = match (method, sub_resource) {
        ("GET" | "HEAD", None) if has("uploadId") => "s3:ListMultipartUploadParts",
        ("GET" | "HEAD", None) if versioned => "s3:GetObjectVersion",
        ("GET" | "HEAD", None) => "s3:GetObject",
        ("GET", Some("acl")) => "s3:GetObjectAcl",
        ("GET", Some("tagging")) => "s3:GetObjectTagging",
        ("GET", Some("attributes")) => "s3:GetObject",
        ("PUT", Some("acl")) => "s3:PutObjectAcl",
        ("PUT", Some("tagging")) => "s3:PutObjectTagging",
        ("DELETE", Some("tagging")) => "s3:DeleteObjectTagging",
        ("PUT", None) => "s3:PutObject",
        ("POST", Some("uploads")) => "s3:PutObject",
        ("POST", None) if has("uploadId") => "s3:PutObject",
        ("POST", Some("restore")) => "s3:RestoreObject",
        ("DELETE", None) if has("uploadId") => "s3:AbortMultipartUpload",
        ("DELETE", None) if versioned => "s3:DeleteObjectVersion",
        ("DELETE", None) => "s3:DeleteObject",
        _ => return unknown(),
    };
    let mut authorizations = vec![Authorization::new(action, object_arn.clone())];
    if action == "s3:PutObject" {
        if let Some(source) = headers.get("x-amz-copy-source").and_then(|s| s.to_str().ok()) {
            let source = percent_decode_str(source.trim_start_matches('/')).decode_utf8_lossy();
            let (source, version) = match source.split_once("?versionId=") {
                Some((source, _)) => (source.to_string(), "s3:GetObjectVersion"),
                None => (source.to_string(), "s3:GetObject"),
            };
            authorizations.push(Authorization::new(version, format!("arn:aws:s3:::{source}")));
        }
        let acl = headers
            .keys()
            .any(|name| name.as_str() == "x-amz-acl" || name.as_str().starts_with("x-amz-grant-"));
        if acl {
            authorizations.push(Authorization::new("s3:PutObjectAcl", object_arn.clone()));
        }
        if headers.contains_key("x-amz-tagging") {
            authorizations.push(Authorization::new("s3:PutObjectTagging", object_arn));
        }
    }
    Ok(authorizations)
}

/// The bucket configurations read with `s3:Get<Name>` and written with `s3:Put<Name>`.
fn bucket_configuration(sub_resource: &str) -> Option<&'static str> {
    Some(match sub_resource {
        "acl" => "BucketAcl",
        "cors" => "BucketCORS",
        "lifecycle" => "LifecycleConfiguration",
        "notification" => "BucketNotification",
        "policy" => "BucketPolicy",
        "tagging" => "BucketTagging",
        "versioning" => "BucketVersioning",
        "website" => "BucketWebsite",
        "encryption" => "EncryptionConfiguration",
        "publicAccessBlock" => "BucketPublicAccessBlock",
        "ownershipControls" => "BucketOwnershipControls",
        _ => return None,
    })
}

/// The `<Key>`s of a multi-object delete.
fn deleted_keys(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| unescape(key)))
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn actions(method: &str, path: &str, query: &str, headers: &[(&'static str, &str)], body: &str) -> Vec<String> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        authorizations(method, path, query, &map, body.as_bytes())
            .unwrap()
            .into_iter()
            .map(|a| format!("{} {}", a.action, a.resource))
            .collect()
    }

    #[test]
    fn object_requests_name_their_action_and_object() {
        assert_eq!(
            actions("GET", "/b/ads/a%201.jpg", "x-id=GetObject", &[], ""),
            ["s3:GetObject arn:aws:s3:::b/ads/a 1.jpg"]
        );
        assert_eq!(actions("HEAD", "/b/k", "", &[], ""), ["s3:GetObject arn:aws:s3:::b/k"]);
        assert_eq!(
            actions("PUT", "/b/k", "x-id=PutObject", &[], ""),
            ["s3:PutObject arn:aws:s3:::b/k"]
        );
        assert_eq!(
            actions("DELETE", "/b/k", "x-id=DeleteObject", &[], ""),
            ["s3:DeleteObject arn:aws:s3:::b/k"]
        );
        assert_eq!(
            actions("GET", "/b/k", "tagging", &[], ""),
            ["s3:GetObjectTagging arn:aws:s3:::b/k"]
        );
        assert_eq!(
            actions("POST", "/b/k", "uploads", &[], ""),
            ["s3:PutObject arn:aws:s3:::b/k"]
        );
        assert_eq!(
            actions("DELETE", "/b/k", "uploadId=3", &[], ""),
            ["s3:AbortMultipartUpload arn:aws:s3:::b/k"]
        );
    }

    #[test]
    fn a_copy_reads_its_source_and_an_acl_needs_its_own_action() {
        assert_eq!(
            actions(
                "PUT",
                "/images/ads/1.jpg",
                "x-id=CopyObject",
                &[("x-amz-copy-source", "uploads/ads%2F1.jpg")],
                ""
            ),
            [
                "s3:PutObject arn:aws:s3:::images/ads/1.jpg",
                "s3:GetObject arn:aws:s3:::uploads/ads/1.jpg"
            ]
        );
        assert_eq!(
            actions("PUT", "/b/k", "", &[("x-amz-acl", "public-read")], ""),
            ["s3:PutObject arn:aws:s3:::b/k", "s3:PutObjectAcl arn:aws:s3:::b/k"]
        );
    }

    #[test]
    fn bucket_requests_name_the_bucket_and_deletes_each_key() {
        assert_eq!(
            actions("GET", "/b", "list-type=2&prefix=ads%2F", &[], ""),
            ["s3:ListBucket arn:aws:s3:::b"]
        );
        assert_eq!(
            actions("GET", "/b/", "location", &[], ""),
            ["s3:GetBucketLocation arn:aws:s3:::b"]
        );
        assert_eq!(
            actions("PUT", "/b", "notification", &[], ""),
            ["s3:PutBucketNotification arn:aws:s3:::b"]
        );
        assert_eq!(
            actions(
                "POST",
                "/b",
                "delete",
                &[],
                "<Delete><Object><Key>a&amp;1</Key></Object><Object><Key>b</Key></Object></Delete>"
            ),
            ["s3:DeleteObject arn:aws:s3:::b/a&1", "s3:DeleteObject arn:aws:s3:::b/b"]
        );
    }

    #[test]
    fn a_request_without_a_known_action_is_not_guessed() {
        assert!(authorizations("GET", "/b/k", "torrent", &HeaderMap::new(), b"").is_err());
        assert!(authorizations("PATCH", "/b/k", "", &HeaderMap::new(), b"").is_err());
    }
}
