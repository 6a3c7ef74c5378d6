//! Photos of an ad: accepted types and their magic bytes, upload limits, the keys of the
//! temporary and permanent buckets, and the owner's reordering.

use andes_shared::http::FieldError;
use andes_shared::validation::FieldErrors;
use serde::{Deserialize, Serialize};

pub const MAX_IMAGES: usize = 10;
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;

/// Image of an ad: uploaded (in the temporary bucket) until the publisher copies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub id: String,
    pub content_type: String,
    pub size: u64,
    /// Key in the temporary bucket.
    pub upload_key: String,
    /// Key in the permanent bucket once published.
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    pub status: ImageStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    Uploaded,
    Published,
}

/// The three image types accepted, by content type and magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub fn from_content_type(value: &str) -> Option<Self> {
        match value.trim().to_lowercase().as_str() {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }

    pub fn from_extension(value: &str) -> Option<Self> {
        match value {
            "jpg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "webp" => Some(Self::Webp),
            _ => None,
        }
    }

    /// Bytes needed from the start of a file to recognise it.
    pub const SNIFF_BYTES: usize = 12;

    /// The type whose signature the first bytes carry.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Self::Png)
        } else if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }
}

/// Validates `POST /ads/{id}/images`: `{content_type, size}`.
pub fn check_upload(content_type: &str, size: u64) -> Result<ImageType, Vec<FieldError>> {
    let mut e = FieldErrors::default();
    let kind = ImageType::from_content_type(content_type);
    if kind.is_none() {
        e.add("content_type", "must be image/jpeg, image/png or image/webp");
    }
    if size == 0 || size > MAX_IMAGE_BYTES {
        e.add("size", format!("must be from 1 to {MAX_IMAGE_BYTES} bytes (5 MiB)"));
    }
    e.finish(|| kind.expect("checked"))
}

/// Key of an upload in the temporary bucket: it names the ad and the uploader, so the
/// upload handler can prove ownership from the key alone.
pub fn upload_key(ad_id: &str, owner: &str, image_id: &str, kind: ImageType) -> String {
    format!("uploads/{ad_id}/{owner}/{image_id}.{}", kind.extension())
}

/// The parts of an upload key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadKey {
    pub ad_id: String,
    pub owner: String,
    pub image_id: String,
    pub kind: ImageType,
}

pub fn parse_upload_key(key: &str) -> Option<UploadKey> {
    let mut parts = key.split('/');
    let (prefix, ad_id, owner, file) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if prefix != "uploads" || parts.next().is_some() {
        return None;
    }
    let (image_id, extension) = file.rsplit_once('.')?;
    let valid_id = |s: &str| !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_id(ad_id) || !valid_id(owner) || !valid_id(image_id) {
        return None;
    }
    Some(UploadKey {
        ad_id: ad_id.to_string(),
        owner: owner.to_string(),
        image_id: image_id.to_string(),
        kind: ImageType::from_extension(extension)?,
    })
}

/// Key of a published image in the permanent bucket.
pub fn image_key(ad_id: &str, image_id: &str, kind: ImageType) -> String {
    format!("ads/{ad_id}/{image_id}.{}", kind.extension())
}

/// Applies an edit's image order: the ids kept, in the new order, and the images dropped.
pub fn reorder_images(images: &[Image], order: &[String]) -> Result<(Vec<Image>, Vec<Image>), String> {
    let mut kept = Vec::with_capacity(order.len());
    for id in order {
        let Some(image) = images.iter().find(|i| &i.id == id) else {
            return Err(format!("{id} is not an image of this ad"));
        };
        if kept.iter().any(|k: &Image| &k.id == id) {
            return Err(format!("{id} is listed twice"));
        }
        kept.push(image.clone());
    }
    let dropped = images.iter().filter(|i| !order.contains(&i.id)).cloned().collect();
    Ok((kept, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(ImageType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(ImageType::Jpeg));
        assert_eq!(ImageType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageType::Png));
        assert_eq!(ImageType::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageType::Webp));
        assert_eq!(ImageType::sniff(b"hello, this is text"), None);
        assert_eq!(ImageType::sniff(b""), None);
    }

    #[test]
    fn uploads_are_limited() {
        assert_eq!(check_upload("image/png", 10).unwrap(), ImageType::Png);
        assert!(check_upload("image/gif", 10).is_err());
        assert!(check_upload("image/jpeg", MAX_IMAGE_BYTES + 1).is_err());
        assert!(check_upload("image/jpeg", 0).is_err());
    }

    #[test]
    fn upload_keys_round_trip() {
        let key = upload_key("ad-1", "owner-2", "img-3", ImageType::Webp);
        assert_eq!(key, "uploads/ad-1/owner-2/img-3.webp");
        assert_eq!(
            parse_upload_key(&key).unwrap(),
            UploadKey {
                ad_id: "ad-1".into(),
                owner: "owner-2".into(),
                image_id: "img-3".into(),
                kind: ImageType::Webp
            }
        );
        for bad in [
            "uploads/a/b/c.gif",
            "uploads/a/b.jpg",
            "other/a/b/c.jpg",
            "uploads/a/b/c/d.jpg",
            "uploads/a/../c.jpg",
            "uploads/a/b/c",
        ] {
            assert!(parse_upload_key(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn image_order() {
        let image = |id: &str| Image {
            id: id.into(),
            content_type: "image/jpeg".into(),
            size: 1,
            upload_key: format!("u/{id}"),
            key: None,
            url: None,
            status: ImageStatus::Uploaded,
        };
        let images = vec![image("a"), image("b"), image("c")];
        let (kept, dropped) = reorder_images(&images, &["c".into(), "a".into()]).unwrap();
        assert_eq!(kept.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["c", "a"]);
        assert_eq!(dropped[0].id, "b");
        assert!(reorder_images(&images, &["z".into()]).is_err());
        assert!(reorder_images(&images, &["a".into(), "a".into()]).is_err());
    }
}
