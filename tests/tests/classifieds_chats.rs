//! Chats between buyers and sellers: anonymous buyers give name and email, the seller cannot
//! message their own ad, one chat per buyer and ad (also under concurrent first messages),
//! only participants read or write a chat.

mod classifieds_support;

use andes_tests::support::{json, Ctx};
use classifieds_support::*;

#[tokio::test]
async fn buyers_and_sellers_talk_in_one_chat_per_ad() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, buyer) = ctx.new_session().await;
    let (_, outsider) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let id = ad["id"].as_str().unwrap();
    let messages = format!("{ADS}/{id}/messages");

    // The seller cannot message their own ad.
    ctx.call(
        "POST",
        &messages,
        Some(&seller.access_token),
        Some(&json!({"text": "buy my bike"})),
    )
    .await
    .expect_problem(403, Some("the seller cannot message their own ad"));
    ctx.call(
        "POST",
        &messages,
        Some(&buyer.access_token),
        Some(&json!({"text": "   "})),
    )
    .await
    .expect_invalid_field("text");
    ctx.call(
        "POST",
        &messages,
        Some(&buyer.access_token),
        Some(&json!({"text": "x".repeat(2001)})),
    )
    .await
    .expect_invalid_field("text");

    let first = ctx
        .call(
            "POST",
            &messages,
            Some(&buyer.access_token),
            Some(&json!({"text": "Ainda disponível?"})),
        )
        .await
        .expect(201);
    let chat_id = first["chat_id"].as_str().unwrap().to_string();
    assert_eq!(first["message"]["from"], "buyer");
    let second = ctx
        .call(
            "POST",
            &messages,
            Some(&buyer.access_token),
            Some(&json!({"text": "Aceita troca?"})),
        )
        .await
        .expect(201);
    assert_eq!(second["chat_id"], chat_id.as_str(), "one chat per buyer and ad");

    let chat_path = format!("/classifieds/chats/{chat_id}/messages");
    let reply = ctx
        .call(
            "POST",
            &chat_path,
            Some(&seller.access_token),
            Some(&json!({"text": "Sim, aceito."})),
        )
        .await
        .expect(201);
    assert_eq!(reply["from"], "seller");
    ctx.call(
        "POST",
        &chat_path,
        Some(&buyer.access_token),
        Some(&json!({"text": "Ótimo"})),
    )
    .await
    .expect(201);

    for session in [&seller, &buyer] {
        let page = ctx
            .call("GET", &chat_path, Some(&session.access_token), None)
            .await
            .expect(200);
        let texts: Vec<_> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(texts, ["Ainda disponível?", "Aceita troca?", "Sim, aceito.", "Ótimo"]);
    }
    let paged = ctx
        .call("GET", &format!("{chat_path}?limit=3"), Some(&buyer.access_token), None)
        .await
        .expect(200);
    assert_eq!(paged["items"].as_array().unwrap().len(), 3);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest = ctx
        .call(
            "GET",
            &format!(
                "{chat_path}?limit=3&cursor={}",
                andes_tests::support::query_escape(cursor)
            ),
            Some(&buyer.access_token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(rest["items"][0]["text"], "Ótimo");

    // Outsiders neither read nor write; unknown chats look the same.
    ctx.call("GET", &chat_path, Some(&outsider.access_token), None)
        .await
        .expect_problem(404, Some("chat not found"));
    ctx.call(
        "POST",
        &chat_path,
        Some(&outsider.access_token),
        Some(&json!({"text": "hi"})),
    )
    .await
    .expect_problem(404, None);
    ctx.call(
        "GET",
        "/classifieds/chats/nope/messages",
        Some(&buyer.access_token),
        None,
    )
    .await
    .expect_problem(404, None);

    let buying = ctx
        .call(
            "GET",
            "/classifieds/me/chats?side=buying",
            Some(&buyer.access_token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(buying["items"].as_array().unwrap().len(), 1);
    assert_eq!(buying["items"][0]["id"], chat_id.as_str());
    assert_eq!(buying["items"][0]["ad_id"], id);
    let selling = ctx
        .call(
            "GET",
            "/classifieds/me/chats?side=selling",
            Some(&seller.access_token),
            None,
        )
        .await
        .expect(200);
    assert!(selling["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == chat_id.as_str()));
    let none = ctx
        .call(
            "GET",
            "/classifieds/me/chats?side=selling",
            Some(&buyer.access_token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(none["items"], json!([]));
    ctx.call(
        "GET",
        "/classifieds/me/chats?side=both",
        Some(&buyer.access_token),
        None,
    )
    .await
    .expect_invalid_field("side");
}

#[tokio::test]
async fn anonymous_buyers_give_name_and_email() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let messages = format!("{ADS}/{}/messages", ad["id"].as_str().unwrap());
    let problem = ctx
        .call("POST", &messages, None, Some(&json!({"text": "Olá"})))
        .await
        .expect_problem(422, None);
    let fields = andes_tests::support::error_fields(&problem);
    assert!(
        fields.contains(&"name".to_string()) && fields.contains(&"email".to_string()),
        "{fields:?}"
    );
    ctx.call(
        "POST",
        &messages,
        None,
        Some(&json!({"text": "Olá", "name": "Bruna", "email": "not-an-email"})),
    )
    .await
    .expect_invalid_field("email");
    ctx.call(
        "POST",
        &messages,
        None,
        Some(&json!({"text": "Olá", "name": "Bruna", "email": "b@example.com", "phone": "1"})),
    )
    .await
    .expect_invalid_field("phone");
    let email = format!("bruna.{}@example.com", andes_tests::support::unique_tag());
    let sent = ctx
        .call(
            "POST",
            &messages,
            None,
            Some(&json!({"text": "Olá", "name": "Bruna", "email": email, "phone": "+55 11 91234-5678"})),
        )
        .await
        .expect(201);
    // Review C6: the email is not verified, so another anonymous sender giving the same email
    // must not post into Bruna's chat: every anonymous first message opens its own chat.
    let impostor = ctx
        .call(
            "POST",
            &messages,
            None,
            Some(&json!({"text": "Mudei de ideia, não quero mais", "name": "Bruna", "email": email})),
        )
        .await
        .expect(201);
    assert_ne!(sent["chat_id"], impostor["chat_id"]);
    let selling = ctx
        .call(
            "GET",
            "/classifieds/me/chats?side=selling",
            Some(&seller.access_token),
            None,
        )
        .await
        .expect(200);
    let items = selling["items"].as_array().unwrap();
    assert!(
        items.iter().any(|c| c["id"] == impostor["chat_id"]),
        "the seller sees the second chat apart"
    );
    let chat = items
        .iter()
        .find(|c| c["id"] == sent["chat_id"])
        .expect("the seller sees the chat")
        .clone();
    let first = format!("/classifieds/chats/{}/messages", sent["chat_id"].as_str().unwrap());
    let history = ctx
        .call("GET", &first, Some(&seller.access_token), None)
        .await
        .expect(200);
    let texts: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["Olá"],
        "nothing was posted into Bruna's chat by the other sender"
    );
    assert_eq!(chat["buyer_name"], "Bruna");
    assert_eq!(chat["buyer_email"], email.as_str());
    assert_eq!(chat["buyer_phone"], "+55 11 91234-5678");
    assert_eq!(chat["buyer"], serde_json::Value::Null);
}

#[tokio::test]
async fn unpublished_ads_take_no_messages_and_concurrent_first_messages_make_one_chat() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, buyer) = ctx.new_session().await;
    let draft = create_ad(&ctx, &seller, &ad_body()).await;
    ctx.call(
        "POST",
        &format!("{ADS}/{}/messages", draft["id"].as_str().unwrap()),
        Some(&buyer.access_token),
        Some(&json!({"text": "hi"})),
    )
    .await
    .expect_problem(404, Some("ad not found"));

    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let messages = format!("{ADS}/{}/messages", ad["id"].as_str().unwrap());
    let sends = (0..8).map(|n| {
        let (ctx, messages, token) = (ctx.clone(), messages.clone(), buyer.access_token.clone());
        async move {
            ctx.call(
                "POST",
                &messages,
                Some(&token),
                Some(&json!({"text": format!("message {n}")})),
            )
            .await
            .expect(201)
        }
    });
    let answers = futures_util::future::join_all(sends).await;
    let chats: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|a| a["chat_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(chats.len(), 1, "concurrent first messages made {} chats", chats.len());
    let chat_id = chats.into_iter().next().unwrap();
    let page = ctx
        .call(
            "GET",
            &format!("/classifieds/chats/{chat_id}/messages?limit=100"),
            Some(&buyer.access_token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 8, "no message lost");
    let buying = ctx
        .call(
            "GET",
            "/classifieds/me/chats?side=buying",
            Some(&buyer.access_token),
            None,
        )
        .await
        .expect(200);
    assert_eq!(buying["items"].as_array().unwrap().len(), 1);
}

/// Chat texts and an anonymous buyer's name and email refuse control characters (422 naming
/// the field); the chat lists refuse forged cursors.
#[tokio::test]
async fn chat_texts_refuse_control_characters_and_cursors_are_checked() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, buyer) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let messages = format!("{ADS}/{}/messages", ad["id"].as_str().unwrap());
    let buyer_token = Some(buyer.access_token.as_str());
    for bad in ["Olá\u{0}", "ainda\u{1b}[31m", "pix\u{202E}", "fim\r"] {
        ctx.call("POST", &messages, buyer_token, Some(&json!({"text": bad})))
            .await
            .expect_invalid_field("text");
    }
    let anonymous = |name: &str, email: &str| json!({"text": "Olá", "name": name, "email": email});
    ctx.call("POST", &messages, None, Some(&anonymous("Bruna\u{0}", "b@example.com")))
        .await
        .expect_invalid_field("name");
    ctx.call("POST", &messages, None, Some(&anonymous("Bruna", "b\u{0}@example.com")))
        .await
        .expect_invalid_field("email");
    let first = ctx
        .call(
            "POST",
            &messages,
            buyer_token,
            Some(&json!({"text": "Linha 1\nLinha 2"})),
        )
        .await
        .expect(201);
    assert_eq!(first["message"]["text"], "Linha 1\nLinha 2");
    let chat = format!("/classifieds/chats/{}/messages", first["chat_id"].as_str().unwrap());
    ctx.call(
        "POST",
        &chat,
        Some(&seller.access_token),
        Some(&json!({"text": "Sim\u{8}"})),
    )
    .await
    .expect_invalid_field("text");

    for path in [
        format!("{chat}?cursor=e30"),
        "/classifieds/me/chats?cursor=e30".to_string(),
        "/classifieds/me/chats?side=selling&cursor=e30".to_string(),
    ] {
        ctx.call("GET", &path, buyer_token, None)
            .await
            .expect_invalid_field("cursor");
    }
    // A cursor of one chat's messages does not page another list.
    ctx.call("POST", &chat, buyer_token, Some(&json!({"text": "Segunda"})))
        .await
        .expect(201);
    let page = ctx
        .call("GET", &format!("{chat}?limit=1"), buyer_token, None)
        .await
        .expect(200);
    let cursor = andes_tests::support::query_escape(page["next_cursor"].as_str().expect("a second page"));
    ctx.call("GET", &format!("{chat}?limit=1&cursor={cursor}"), buyer_token, None)
        .await
        .expect(200);
    ctx.call(
        "GET",
        &format!("/classifieds/me/chats?cursor={cursor}"),
        buyer_token,
        None,
    )
    .await
    .expect_invalid_field("cursor");
}

/// At most 5 anonymous messages per sender email per ad and hour: each opens a chat in the
/// seller's inbox. Another email, or a buyer with an account, is not held back.
#[tokio::test]
async fn anonymous_messages_are_limited_per_sender_email_and_ad() {
    let ctx = Ctx::new().await;
    let (_, seller) = ctx.new_session().await;
    let (_, buyer) = ctx.new_session().await;
    let ad = published_ad(&ctx, &seller, &ad_body(), 1).await;
    let messages = format!("{ADS}/{}/messages", ad["id"].as_str().unwrap());
    let tag = andes_tests::support::unique_tag();
    let from = |email: &str| json!({"text": "¿Sigue disponible?", "name": "Bruna", "email": email});
    let sender = format!("flood.{tag}@example.com");
    andes_tests::support::away_from_the_hour_boundary().await;
    for n in 1..=5 {
        let reply = ctx.call("POST", &messages, None, Some(&from(&sender))).await;
        assert_eq!(reply.status, 201, "anonymous message {n}: {}", reply.text);
    }
    ctx.call("POST", &messages, None, Some(&from(&sender)))
        .await
        .expect_too_many("Too many messages to this ad from this email", 3600);
    // Case does not make another sender.
    ctx.call("POST", &messages, None, Some(&from(&sender.to_uppercase())))
        .await
        .expect_too_many("Too many messages to this ad from this email", 3600);

    ctx.call(
        "POST",
        &messages,
        None,
        Some(&from(&format!("other.{tag}@example.com"))),
    )
    .await
    .expect(201);
    for _ in 0..6 {
        ctx.call(
            "POST",
            &messages,
            Some(&buyer.access_token),
            Some(&json!({"text": "Hola"})),
        )
        .await
        .expect(201);
    }
    let inbox = ctx
        .call(
            "GET",
            "/classifieds/me/chats?side=selling&limit=100",
            Some(&seller.access_token),
            None,
        )
        .await
        .expect(200);
    let chats = inbox["items"].as_array().map_or(0, Vec::len);
    assert_eq!(chats, 7, "5 + 1 anonymous chats and one buyer's chat: {inbox}");
}
