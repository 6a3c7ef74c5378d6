//! The JSON the API answers: ads (owner's and public views), chats, messages, profiles.

use std::collections::BTreeMap;

use andes_shared::dynamo::Page;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Ad, AdFields, Chat, ImageStatus, Message, Placement, Profile, Status};

/// A photo of an ad. Members that may be `null` are always written (`required`).
#[derive(Serialize, ToSchema)]
pub struct ImageView {
    id: String,
    /// Public URL, once the photo is published.
    #[schema(required = true)]
    url: Option<String>,
    status: ImageStatus,
    content_type: String,
    /// Bytes.
    size: u64,
}

/// An ad as anyone reads it: its fields, the catalog facts and its published photos.
#[derive(Serialize, ToSchema)]
pub struct AdView {
    id: String,
    /// The seller's account id.
    owner: String,
    status: Status,
    #[serde(flatten)]
    details: AdFields,
    #[serde(flatten)]
    placement: Placement,
    images: Vec<ImageView>,
    created: String,
    updated: String,
    /// When it was first published.
    #[schema(required = true)]
    published_at: Option<String>,
    /// `GET /ads/{id}` only, when the seller's profile shows their phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub seller_phone: Option<String>,
}

/// An ad as its owner reads it: every photo (published or only uploaded) and the lifecycle.
#[derive(Serialize, ToSchema)]
pub struct OwnAdView {
    #[serde(flatten)]
    pub ad: AdView,
    /// Why the last publication failed.
    #[schema(required = true)]
    failure: Option<String>,
    /// Send it back (`version`) to make a write fail with 409 if the ad has changed since.
    version: u64,
}

/// The answer of a write that goes on in the background (publish, delete).
#[derive(Serialize, ToSchema)]
pub struct AdStatusView {
    id: String,
    status: Status,
}

/// The side of a chat the caller is on.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buying,
    Selling,
}

/// A chat as one of its participants sees it.
#[derive(Serialize, ToSchema)]
pub struct ChatView {
    id: String,
    ad_id: String,
    side: Side,
    seller: String,
    /// The buyer's account; `null` for a buyer without one.
    #[schema(required = true)]
    buyer: Option<String>,
    #[schema(required = true)]
    buyer_name: Option<String>,
    /// Shown to the seller only.
    #[schema(required = true)]
    buyer_email: Option<String>,
    /// Shown to the seller only.
    #[schema(required = true)]
    buyer_phone: Option<String>,
    created: String,
    last_message_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    id: String,
    #[schema(schema_with = crate::openapi::message_author)]
    from: String,
    text: String,
    timestamp: String,
}

/// `POST /ads/{id}/messages`: the buyer's chat with the seller and the message written to it.
#[derive(Serialize, ToSchema)]
pub struct AdMessageView {
    chat_id: String,
    message: MessageView,
}

/// A seller's profile; empty (and `updated` empty) until they write one.
#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    #[schema(required = true)]
    state_id: Option<u32>,
    #[schema(required = true)]
    city_id: Option<u32>,
    #[schema(required = true)]
    phone: Option<String>,
    show_phone: bool,
    updated: String,
}

/// A presigned upload of one photo into the temporary bucket.
#[derive(Serialize, ToSchema)]
pub struct UploadView {
    pub image_id: String,
    /// The HTTP method to send the photo with (`PUT`).
    pub method: String,
    pub url: String,
    /// Headers the upload must carry (lower-case names), besides `content-length`.
    pub headers: BTreeMap<String, String>,
    pub key: String,
    /// Largest photo accepted, in bytes.
    pub max_size: u64,
    /// Seconds the URL stays valid.
    pub expires_in: u64,
}

fn with_images(ad: &Ad, owner_view: bool) -> AdView {
    let images = ad
        .images
        .iter()
        .filter(|i| owner_view || i.status == ImageStatus::Published)
        .map(|i| ImageView {
            id: i.id.clone(),
            url: i.url.clone(),
            status: i.status,
            content_type: i.content_type.clone(),
            size: i.size,
        })
        .collect();
    AdView {
        id: ad.id.clone(),
        owner: ad.owner.clone(),
        status: ad.status,
        details: ad.details.clone(),
        placement: ad.placement.clone(),
        images,
        created: ad.created.clone(),
        updated: ad.updated.clone(),
        published_at: ad.published_at.clone(),
        seller_phone: None,
    }
}

/// An ad as others than its owner see it: only published images (with their public URLs).
pub fn ad(ad: &Ad) -> AdView {
    with_images(ad, false)
}

pub fn own_ad(ad: &Ad) -> OwnAdView {
    OwnAdView {
        ad: with_images(ad, true),
        failure: ad.failure.clone(),
        version: ad.version,
    }
}

pub fn ads(page: Page<Ad>) -> Page<AdView> {
    Page {
        items: page.items.iter().map(ad).collect(),
        next_cursor: page.next_cursor,
    }
}

pub fn own_ads(page: Page<Ad>) -> Page<OwnAdView> {
    Page {
        items: page.items.iter().map(own_ad).collect(),
        next_cursor: page.next_cursor,
    }
}

pub fn ad_status(ad: &Ad) -> AdStatusView {
    AdStatusView {
        id: ad.id.clone(),
        status: ad.status,
    }
}

pub fn message(message: &Message) -> MessageView {
    MessageView {
        id: message.id.clone(),
        from: message.from.clone(),
        text: message.text.clone(),
        timestamp: message.timestamp.clone(),
    }
}

pub fn ad_message(chat_id: String, posted: &Message) -> AdMessageView {
    AdMessageView {
        chat_id,
        message: message(posted),
    }
}

pub fn messages(page: Page<Message>) -> Page<MessageView> {
    Page {
        items: page.items.iter().map(message).collect(),
        next_cursor: page.next_cursor,
    }
}

/// A chat as `me` sees it: the seller sees the buyer's contact details.
pub fn chat(chat: &Chat, me: &str) -> ChatView {
    let selling = chat.seller == me;
    ChatView {
        id: chat.id.clone(),
        ad_id: chat.ad_id.clone(),
        side: if selling { Side::Selling } else { Side::Buying },
        seller: chat.seller.clone(),
        buyer: chat.buyer.clone(),
        buyer_name: chat.buyer_name.clone(),
        buyer_email: if selling { chat.buyer_email.clone() } else { None },
        buyer_phone: if selling { chat.buyer_phone.clone() } else { None },
        created: chat.created.clone(),
        last_message_at: chat.last_message_at.clone(),
    }
}

pub fn chats(page: Page<Chat>, me: &str) -> Page<ChatView> {
    Page {
        items: page.items.iter().map(|c| chat(c, me)).collect(),
        next_cursor: page.next_cursor,
    }
}

pub fn profile(profile: &Profile) -> ProfileView {
    ProfileView {
        state_id: profile.state_id,
        city_id: profile.city_id,
        phone: profile.phone.clone(),
        show_phone: profile.show_phone,
        updated: profile.updated.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::domain::Image;

    fn sample_ad() -> Ad {
        let ad: Ad = serde_json::from_value(json!({
            "id": "a", "owner": "o", "status": "published", "price_cents": 100, "images": [],
            "created": "2026-01-01", "updated": "2026-01-02", "published_at": "2026-01-02", "version": 3,
            "details": {
                "model_id": 1, "version_id": null, "city_id": 1, "type": "naked", "origin": "national",
                "fabrication_year": 2020, "model_year": 2020, "license_plate": "ABC1234", "mileage": 0,
                "is_new": true, "color": "red", "price": "1.00", "sales_phrase": "", "description": "",
                "options": ["gps"], "accept_new_offer": false, "accept_exchange": false, "doc_ok": false,
                "track_ready": false, "brake_system": "abs", "ignition": "electric", "cooling": "air",
                "top_offer": true
            },
            "placement": {
                "brand_id": 1, "brand_name": "B", "model_name": "M", "version_name": null, "state_id": 1,
                "state_acronym": "SP", "city_name": "C"
            }
        }))
        .unwrap();
        let image = |id: &str, status, url: Option<&str>| Image {
            id: id.into(),
            content_type: "image/png".into(),
            size: 7,
            upload_key: format!("uploads/a/o/{id}.png"),
            key: url.map(|_| format!("ads/a/{id}.png")),
            url: url.map(str::to_string),
            status,
        };
        Ad {
            images: vec![
                image("i1", ImageStatus::Published, Some("https://x/ads/a/i1.png")),
                image("i2", ImageStatus::Uploaded, None),
            ],
            ..ad
        }
    }

    /// The JSON the views answered with before they were typed (built field by field).
    fn untyped(ad: &Ad, owner_view: bool) -> Value {
        let mut view = json!({
            "id": ad.id, "owner": ad.owner, "status": ad.status.as_str(),
            "created": ad.created, "updated": ad.updated, "published_at": ad.published_at,
        });
        let map = view.as_object_mut().unwrap();
        for part in [
            serde_json::to_value(&ad.details).unwrap(),
            serde_json::to_value(&ad.placement).unwrap(),
        ] {
            map.extend(part.as_object().unwrap().clone());
        }
        let images: Vec<Value> = ad
            .images
            .iter()
            .filter(|i| owner_view || i.status == ImageStatus::Published)
            .map(|i| json!({"id": i.id, "url": i.url, "status": i.status, "content_type": i.content_type, "size": i.size}))
            .collect();
        map.insert("images".into(), images.into());
        if owner_view {
            map.insert("failure".into(), ad.failure.clone().into());
            map.insert("version".into(), ad.version.into());
        }
        view
    }

    #[test]
    fn ads_serialise_as_before() {
        let ad = sample_ad();
        assert_eq!(serde_json::to_value(super::ad(&ad)).unwrap(), untyped(&ad, false));
        assert_eq!(serde_json::to_value(own_ad(&ad)).unwrap(), untyped(&ad, true));
        let mut shown = own_ad(&ad);
        shown.ad.seller_phone = Some("+55 11 91234-5678".into());
        assert_eq!(
            serde_json::to_value(shown).unwrap()["seller_phone"],
            "+55 11 91234-5678"
        );
        assert_eq!(
            serde_json::to_value(ad_status(&ad)).unwrap(),
            json!({"id": "a", "status": "published"})
        );
    }

    #[test]
    fn chats_show_the_buyers_contact_to_the_seller_only() {
        let chat = Chat {
            id: "c".into(),
            ad_id: "a".into(),
            seller: "s".into(),
            buyer: None,
            buyer_name: Some("Ana".into()),
            buyer_email: Some("ana@example.com".into()),
            buyer_phone: None,
            created: "t0".into(),
            last_message_at: "t1".into(),
        };
        let common = json!({
            "id": "c", "ad_id": "a", "seller": "s", "buyer": null, "buyer_name": "Ana", "buyer_phone": null,
            "created": "t0", "last_message_at": "t1",
        });
        let with = |side: &str, email: Value| {
            let mut expected = common.clone();
            expected["side"] = side.into();
            expected["buyer_email"] = email;
            expected
        };
        assert_eq!(
            serde_json::to_value(super::chat(&chat, "s")).unwrap(),
            with("selling", "ana@example.com".into())
        );
        assert_eq!(
            serde_json::to_value(super::chat(&chat, "b")).unwrap(),
            with("buying", Value::Null)
        );
    }

    #[test]
    fn messages_and_profiles_serialise_as_before() {
        let posted = Message {
            id: "m".into(),
            chat_id: "c".into(),
            from: "buyer".into(),
            text: "hi".into(),
            timestamp: "t".into(),
        };
        assert_eq!(
            serde_json::to_value(ad_message("c".into(), &posted)).unwrap(),
            json!({"chat_id": "c", "message": {"id": "m", "from": "buyer", "text": "hi", "timestamp": "t"}})
        );
        assert_eq!(
            serde_json::to_value(profile(&Profile::empty("o"))).unwrap(),
            json!({"state_id": null, "city_id": null, "phone": null, "show_phone": false, "updated": ""})
        );
    }
}
