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
    let mut sub_resources = parameters
        .iter()
        .copied()
        .filter(|name| *name != "versionId" && *name != "uploadId");
    let sub_resource = sub_resources.next();
    if let Some(second) = sub_resources.next() {
        // S3 (and moto) would pick one of them by an order of their own.
        let first = sub_resource.unwrap_or_default();
        return Err(format!("one request, two sub-resources: ?{first} and ?{second}"));
    }
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
                return Ok(deleted_objects(body)?
                    .into_iter()
                    .map(|(key, versioned)| {
                        let action = if versioned {
                            "s3:DeleteObjectVersion"
                        } else {
                            "s3:DeleteObject"
                        };
                        Authorization::new(action, format!("{bucket_arn}/{key}"))
                    })
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
        ("GET", Some("acl")) if versioned => "s3:GetObjectVersionAcl",
        ("GET", Some("acl")) => "s3:GetObjectAcl",
        ("GET", Some("tagging")) if versioned => "s3:GetObjectVersionTagging",
        ("GET", Some("tagging")) => "s3:GetObjectTagging",
        ("GET", Some("attributes")) if versioned => "s3:GetObjectVersionAttributes",
        ("GET", Some("attributes")) => "s3:GetObjectAttributes",
        ("PUT", Some("acl")) if versioned => "s3:PutObjectVersionAcl",
        ("PUT", Some("acl")) => "s3:PutObjectAcl",
        ("PUT", Some("tagging")) if versioned => "s3:PutObjectVersionTagging",
        ("PUT", Some("tagging")) => "s3:PutObjectTagging",
        ("DELETE", Some("tagging")) if versioned => "s3:DeleteObjectVersionTagging",
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
            // The version is split off before decoding, as S3 does: an encoded `?` is in the key.
            let (source, action) = match source.split_once("?versionId=") {
                Some((source, _)) => (source, "s3:GetObjectVersion"),
                None => (source, "s3:GetObject"),
            };
            let source = percent_decode_str(source.trim_start_matches('/')).decode_utf8_lossy();
            authorizations.push(Authorization::new(action, format!("arn:aws:s3:::{source}")));
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

/// The objects of a multi-object delete: each `<Key>`, and whether it names a `<VersionId>`.
/// Strict: whatever a parser could read otherwise than S3 does (a DTD, a comment, CDATA, an
/// entity other than XML's own, text outside `<Key>`/`<VersionId>`/`<Quiet>`) refuses it.
fn deleted_objects(body: &[u8]) -> Result<Vec<(String, bool)>, String> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let refuse = |why: &str| format!("a multi-object delete that reads more than one way: {why}");
    let text = std::str::from_utf8(body).map_err(|_| refuse("not UTF-8"))?;
    let mut path: Vec<String> = Vec::new();
    let mut objects: Vec<(Option<String>, bool)> = Vec::new();
    for token in Tokenizer::from(text) {
        match token.map_err(|error| refuse(&error.to_string()))? {
            Token::Declaration { .. } | Token::Attribute { .. } => {}
            Token::ElementStart { local, .. } => {
                path.push(local.as_str().to_string());
                if path.len() == 2 && local.as_str() == "Object" {
                    objects.push((None, false));
                }
            }
            Token::ElementEnd { end, .. } => {
                if matches!(end, ElementEnd::Close(..) | ElementEnd::Empty) {
                    path.pop();
                }
            }
            Token::Text { text } if text.as_str().trim().is_empty() => {}
            Token::Text { text } => {
                let in_object = path.len() == 3 && path[1] == "Object";
                match (path.last().map(String::as_str), objects.last_mut()) {
                    (Some("Key"), Some((key @ None, _))) if in_object => {
                        *key = Some(unescape(text.as_str()).ok_or_else(|| refuse("an entity"))?);
                    }
                    (Some("VersionId"), Some((_, versioned))) if in_object => *versioned = true,
                    (Some("Quiet"), _) if path.len() == 2 => {}
                    _ => return Err(refuse("text where none belongs")),
                }
            }
            _ => return Err(refuse("a DTD, comment, CDATA section or processing instruction")),
        }
    }
    if objects.is_empty() {
        return Err(refuse("no <Object>"));
    }
    objects
        .into_iter()
        .map(|(key, versioned)| {
            key.map(|key| (key, versioned))
                .ok_or_else(|| refuse("an <Object> without a <Key>"))
        })
        .collect()
}

/// XML's own entities and character references; `None` for any other entity.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find(';')? + start;
        let entity = &rest[start + 1..end];
        let character = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => entity.strip_prefix('#')?.parse().ok()?,
                };
                char::from_u32(code)?
            }
        };
        out.push(character);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
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
    fn a_multi_object_delete_reads_one_way_or_not_at_all() {
        let delete = |body: &str| authorizations("POST", "/b", "delete", &HeaderMap::new(), body.as_bytes());
        let versioned =
            delete("<Delete><Quiet>true</Quiet><Object><Key>&#x61;</Key><VersionId>3</VersionId></Object></Delete>");
        assert_eq!(
            versioned.unwrap(),
            [Authorization::new("s3:DeleteObjectVersion", "arn:aws:s3:::b/a")]
        );
        for tricky in [
            "<Delete><Object><Key >victim</Key ></Object></Delete>",
            "<Delete><Object><Key>allowed<!-- -->victim</Key></Object></Delete>",
            "<Delete><Object><Key><![CDATA[victim]]></Key></Object></Delete>",
            "<!DOCTYPE d [<!ENTITY e \"victim\">]><Delete><Object><Key>&e;</Key></Object></Delete>",
            "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
            "<Delete></Delete>",
            "<Delete><Object></Object></Delete>",
        ] {
            let read = delete(tricky);
            assert!(
                read.as_ref().is_err()
                    || read.as_ref().unwrap() == &[Authorization::new("s3:DeleteObject", "arn:aws:s3:::b/victim")],
                "{tricky}: {read:?}"
            );
        }
        assert!(delete("<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>").is_err());
        assert!(delete("<Delete></Delete>").is_err());
    }

    #[test]
    fn two_sub_resources_are_not_guessed_between() {
        assert!(authorizations("PUT", "/b/k", "tagging&acl", &HeaderMap::new(), b"").is_err());
        let copy = {
            let mut headers = HeaderMap::new();
            headers.insert(
                "x-amz-copy-source",
                HeaderValue::from_static("src/a%3FversionId%3D1?versionId=7"),
            );
            headers
        };
        let copied = authorizations("PUT", "/b/k", "", &copy, b"").unwrap();
        assert_eq!(
            copied[1],
            Authorization::new("s3:GetObjectVersion", "arn:aws:s3:::src/a?versionId=1")
        );
    }

    #[test]
    fn a_request_without_a_known_action_is_not_guessed() {
        assert!(authorizations("GET", "/b/k", "torrent", &HeaderMap::new(), b"").is_err());
        assert!(authorizations("PATCH", "/b/k", "", &HeaderMap::new(), b"").is_err());
    }
}
