//! The JSON the API answers: ads (owner's and public views), chats, messages, profiles.

use andes_shared::dynamo::Page;
use serde_json::{json, Map, Value};

use crate::domain::{Ad, Chat, ImageStatus, Message, Profile};

/// The JSON of an ad: its fields, catalog facts and images. Others than the owner see only
/// published images (with their public URLs).
pub fn ad(ad: &Ad, owner_view: bool) -> Value {
    let mut view = Map::new();
    view.insert("id".into(), ad.id.clone().into());
    view.insert("owner".into(), ad.owner.clone().into());
    view.insert("status".into(), ad.status.as_str().into());
    if let Ok(Value::Object(details)) = serde_json::to_value(&ad.details) {
        view.extend(details);
    }
    if let Ok(Value::Object(placement)) = serde_json::to_value(&ad.placement) {
        view.extend(placement);
    }
    let images: Vec<Value> = ad
        .images
        .iter()
        .filter(|i| owner_view || i.status == ImageStatus::Published)
        .map(|i| {
            json!({
                "id": i.id,
                "url": i.url,
                "status": match i.status { ImageStatus::Uploaded => "uploaded", ImageStatus::Published => "published" },
                "content_type": i.content_type,
                "size": i.size,
            })
        })
        .collect();
    view.insert("images".into(), images.into());
    view.insert("created".into(), ad.created.clone().into());
    view.insert("updated".into(), ad.updated.clone().into());
    view.insert("published_at".into(), ad.published_at.clone().into());
    if owner_view {
        view.insert("failure".into(), ad.failure.clone().into());
        view.insert("version".into(), ad.version.into());
    }
    Value::Object(view)
}

pub fn ads(page: Page<Ad>, owner_view: bool) -> Value {
    json!({
        "items": page.items.iter().map(|item| ad(item, owner_view)).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    })
}

pub fn message(message: &Message) -> Value {
    json!({ "id": message.id, "from": message.from, "text": message.text, "timestamp": message.timestamp })
}

/// A chat as `me` sees it: the seller sees the buyer's contact details.
pub fn chat(chat: &Chat, me: &str) -> Value {
    let selling = chat.seller == me;
    json!({
        "id": chat.id,
        "ad_id": chat.ad_id,
        "side": if selling { "selling" } else { "buying" },
        "seller": chat.seller,
        "buyer": chat.buyer,
        "buyer_name": chat.buyer_name,
        "buyer_email": if selling { chat.buyer_email.clone() } else { None },
        "buyer_phone": if selling { chat.buyer_phone.clone() } else { None },
        "created": chat.created,
        "last_message_at": chat.last_message_at,
    })
}

pub fn profile(profile: &Profile) -> Value {
    json!({
        "state_id": profile.state_id,
        "city_id": profile.city_id,
        "phone": profile.phone,
        "show_phone": profile.show_phone,
        "updated": profile.updated,
    })
}
