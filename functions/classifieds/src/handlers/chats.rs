//! Chats: a buyer's messages to the seller of a published ad, the caller's chats, and the
//! messages of a chat (its buyer and seller only; anyone else finds no chat).

use andes_shared::auth::{Principal, PrincipalKind};
use andes_shared::dynamo::Page;
use andes_shared::http::{self, created, ok, ApiError};
use andes_shared::ids;
use andes_shared::limits;
use andes_shared::validation::FieldErrors;
use lambda_http::Request;
use serde::Deserialize;

use super::{ad_id, id_param, paging, views, HttpResult, AD_NOT_FOUND, MAX_MESSAGE_BODY_BYTES};
use crate::config::State;
use crate::domain::{check_email, check_message, check_name, check_phone, Chat, Message, Status};
use crate::store::ChatCreate;

const CHAT_NOT_FOUND: &str = "chat not found";

/// A buyer's message to the seller. Without an account, `name` and `email` (not verified) are
/// required and `phone` is optional; with one, the three are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AdMessage {
    #[schema(schema_with = crate::openapi::message_text)]
    text: String,
    #[schema(schema_with = crate::openapi::sender_name)]
    name: Option<String>,
    #[schema(schema_with = crate::openapi::sender_email)]
    email: Option<String>,
    #[schema(schema_with = crate::openapi::phone)]
    phone: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ChatMessage {
    #[schema(schema_with = crate::openapi::message_text)]
    text: String,
}

/// `POST /ads/{id}/messages`: a buyer (an account, or anyone with name and email) writes to
/// the seller of a published ad. One chat per buyer and ad; the seller cannot write to their
/// own ad.
#[utoipa::path(
    post,
    path = "/classifieds/ads/{id}/messages",
    params(("id" = String, Path, description = "The ad's id")),
    request_body = AdMessage,
    responses(
        (status = 201, description = "The message, in the buyer's chat about the ad (a new chat for each message without an account)", body = views::AdMessageView),
        (status = 403, description = "The caller is the ad's seller, or uses an API key"),
        (status = 404, description = "No such published ad"),
        (status = 429, description = "Without an account: too many messages to this ad from this email, or from this address, this hour (see `Retry-After`)"),
        (status = 503, description = "Too many concurrent first messages to this ad; retry"),
    )
)]
pub async fn message_ad(state: &State, request: Request) -> HttpResult {
    let principal = Principal::from_request(&request);
    if principal.kind == PrincipalKind::ApiKey {
        return Err(ApiError::Forbidden(
            "this route needs an account or no credentials, not an API key".into(),
        ));
    }
    let body: AdMessage = http::json_body(&request, MAX_MESSAGE_BODY_BYTES)?;
    let mut e = FieldErrors::default();
    let text = e.check("text", check_message(&body.text));
    let anonymous = principal.is_anonymous();
    let (mut name, mut email, mut phone) = (None, None, None);
    if anonymous {
        name = match &body.name {
            Some(n) => e.check("name", check_name(n)),
            None => {
                e.add("name", "is required without an account");
                None
            }
        };
        email = match &body.email {
            Some(m) => e.check("email", check_email(m)),
            None => {
                e.add("email", "is required without an account");
                None
            }
        };
        phone = body.phone.as_deref().and_then(|p| e.check("phone", check_phone(p)));
    }
    e.finish(|| ()).map_err(ApiError::Validation)?;
    let text = text.expect("checked");

    let not_found = || ApiError::NotFound(AD_NOT_FOUND.into());
    let ad = state.store.get_ad(&ad_id(&request)?).await?.ok_or_else(not_found)?;
    if ad.status != Status::Published {
        return Err(not_found());
    }
    if !anonymous && principal.id == ad.owner {
        return Err(ApiError::Forbidden("the seller cannot message their own ad".into()));
    }
    if let Some(email) = &email {
        let (per_sender, per_ip, sender_key, address_key) = (
            state.config.anonymous_messages_per_sender(),
            state.config.anonymous_messages_per_ip(),
            format!("{}#{email}", ad.id),
            limits::client_address(&request),
        );
        let (sender, address) = tokio::join!(
            state.store.count(&per_sender, &sender_key),
            state.store.count(&per_ip, &address_key),
        );
        sender.and(address)?;
    }
    // An anonymous buyer's email is never verified, so it cannot identify them: each anonymous
    // first message opens a chat of its own (keyed on its fresh id) instead of joining an
    // earlier chat with the same email, which would let anyone post as that buyer.
    let chat_id = ids::new_id();
    let buyer_key = if anonymous {
        format!("ANON#{chat_id}")
    } else {
        format!("ACCOUNT#{}", principal.id)
    };
    let now = ids::now_rfc3339();
    let new_message = |chat_id: &str| Message {
        id: ids::new_id(),
        chat_id: chat_id.to_string(),
        from: "buyer".into(),
        text: text.clone(),
        timestamp: ids::now_rfc3339(),
    };
    let existing = if anonymous {
        None
    } else {
        state.store.chat_id_of(&ad.id, &buyer_key).await?
    };
    if let Some(chat_id) = existing {
        let message = new_message(&chat_id);
        state.store.add_message(&message).await?;
        return created(&views::ad_message(chat_id, &message));
    }
    let chat = Chat {
        id: chat_id,
        ad_id: ad.id.clone(),
        seller: ad.owner.clone(),
        buyer: (!anonymous).then(|| principal.id.clone()),
        buyer_name: name,
        buyer_email: email,
        buyer_phone: phone,
        created: now.clone(),
        last_message_at: now,
    };
    let message = new_message(&chat.id);
    match state.store.create_chat(&chat, &buyer_key, &message).await? {
        ChatCreate::Created => created(&views::ad_message(chat.id, &message)),
        ChatCreate::Exists => {
            // A concurrent first message created the chat: this one joins it.
            let chat_id = state
                .store
                .chat_id_of(&ad.id, &buyer_key)
                .await?
                .ok_or_else(|| ApiError::internal("chat guard vanished"))?;
            let message = new_message(&chat_id);
            state.store.add_message(&message).await?;
            created(&views::ad_message(chat_id, &message))
        }
    }
}

/// `GET /me/chats?side=buying|selling`.
#[utoipa::path(
    get,
    path = "/classifieds/me/chats",
    params(
        ("side" = Option<views::Side>, Query, description = "The caller's chats as buyer (the default) or as seller"),
        andes_shared::openapi::PageParams,
    ),
    responses(
        (status = 200, description = "The caller's chats on that side, newest first", body = Page<views::ChatView>),
        (status = 422, description = "`side`, `limit` or `cursor` is invalid"),
    )
)]
pub async fn mine(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let selling = match http::query(&request, "side").as_deref() {
        None | Some("") | Some("buying") => false,
        Some("selling") => true,
        Some(_) => return Err(ApiError::invalid("side", "must be buying or selling")),
    };
    let (limit, cursor) = paging(&request)?;
    let page = state
        .store
        .chats_of(&principal.id, selling, limit, cursor.as_deref())
        .await?;
    ok(&views::chats(page, &principal.id))
}

/// The chat, if the caller takes part in it (else 404: a chat's existence is not disclosed),
/// and the caller's side.
async fn my_chat(state: &State, request: &Request, principal: &Principal) -> Result<(Chat, &'static str), ApiError> {
    let not_found = || ApiError::NotFound(CHAT_NOT_FOUND.into());
    let id = id_param(request, "id").ok_or_else(not_found)?;
    let chat = state.store.get_chat(&id).await?.ok_or_else(not_found)?;
    if chat.seller == principal.id {
        Ok((chat, "seller"))
    } else if chat.buyer.as_deref() == Some(principal.id.as_str()) {
        Ok((chat, "buyer"))
    } else {
        Err(not_found())
    }
}

/// `GET /chats/{id}/messages`: oldest first.
#[utoipa::path(
    get,
    path = "/classifieds/chats/{id}/messages",
    params(("id" = String, Path, description = "The chat's id"), andes_shared::openapi::PageParams),
    responses(
        (status = 200, description = "The chat's messages, oldest first", body = Page<views::MessageView>),
        (status = 404, description = "No such chat, or the caller is neither its buyer nor its seller"),
        (status = 422, description = "`limit` or `cursor` is invalid"),
    )
)]
pub async fn messages(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let (limit, cursor) = paging(&request)?;
    let (chat, _) = my_chat(state, &request, &principal).await?;
    let page = state.store.messages(&chat.id, limit, cursor.as_deref()).await?;
    ok(&views::messages(page))
}

/// `POST /chats/{id}/messages`.
#[utoipa::path(
    post,
    path = "/classifieds/chats/{id}/messages",
    params(("id" = String, Path, description = "The chat's id")),
    request_body = ChatMessage,
    responses(
        (status = 201, description = "The message, from the caller's side of the chat", body = views::MessageView),
        (status = 404, description = "No such chat, or the caller is neither its buyer nor its seller"),
    )
)]
pub async fn post_message(state: &State, request: Request) -> HttpResult {
    let principal = Principal::require_account(&request)?;
    let body: ChatMessage = http::json_body(&request, MAX_MESSAGE_BODY_BYTES)?;
    let text = check_message(&body.text).map_err(|m| ApiError::invalid("text", m))?;
    let (chat, side) = my_chat(state, &request, &principal).await?;
    let message = Message {
        id: ids::new_id(),
        chat_id: chat.id.clone(),
        from: side.into(),
        text,
        timestamp: ids::now_rfc3339(),
    };
    state.store.add_message(&message).await?;
    created(&views::message(&message))
}
