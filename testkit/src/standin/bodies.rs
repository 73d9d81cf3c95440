//! Discord's checks of message bodies, for channel messages, DMs, interaction replies,
//! follow-ups and edits: empty (50006), content, embeds, link buttons, mentions and nonce
//! limits (400, 50035). <https://discord.com/developers/docs/resources/message#create-message>

use serde_json::{Value, json};

use super::json;
use super::nonces::nonce_text;
use super::rest::Resp;

const MAX_NONCE_LEN: usize = 25;
const MAX_CONTENT_LEN: usize = 2000;
const MAX_EMBEDS: usize = 10;

fn invalid_form(field: &str, code: &str, message: &str) -> Resp {
    let mut body = json::error(50035, "Invalid Form Body");
    body["errors"] = json!({ field: { "_errors": [{ "code": code, "message": message }] } });
    Resp::json(400, body)
}

/// Discord's checks of a new message: not empty (50006), then [`validate_limits`].
pub(super) fn validate_message(body: &Value) -> Option<Resp> {
    let content = body["content"].as_str().unwrap_or_default();
    let has = |f: &str| body[f].as_array().is_some_and(|a| !a.is_empty());
    if content.is_empty() && !has("embeds") && !has("components") && !has("sticker_ids") {
        return Some(Resp::error(400, 50006, "Cannot send an empty message"));
    }
    validate_limits(body)
}

/// Discord's limits on a message body, new or edited (an edit may leave fields out): content
/// up to 2,000 characters, at most 10 embeds and their limits, link buttons, mentions, nonce.
pub(super) fn validate_limits(body: &Value) -> Option<Resp> {
    let content = body["content"].as_str().unwrap_or_default();
    if content.chars().count() > MAX_CONTENT_LEN {
        return Some(invalid_form(
            "content",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        ));
    }
    if let Some(bad) = validate_embeds_and_mentions(body) {
        return Some(bad);
    }
    let nonce_len = nonce_text(body).map_or(0, |n| n.chars().count());
    if nonce_len > MAX_NONCE_LEN {
        return Some(invalid_form(
            "nonce",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
    None
}

/// Discord's embed limits (at most 10 embeds; description 4,096, title 256, 6,000 in all), link buttons (style 5
/// needs an http(s) `url`) and at most 100 users in `allowed_mentions`.
fn validate_embeds_and_mentions(body: &Value) -> Option<Resp> {
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    if body["embeds"]
        .as_array()
        .is_some_and(|e| e.len() > MAX_EMBEDS)
    {
        return Some(invalid_form(
            "embeds",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        ));
    }
    for embed in body["embeds"].as_array().into_iter().flatten() {
        if len(&embed["description"]) > 4096 {
            return Some(invalid_form(
                "embeds.0.description",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 4096 or fewer in length.",
            ));
        }
        if len(&embed["title"]) > 256 {
            return Some(invalid_form(
                "embeds.0.title",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 256 or fewer in length.",
            ));
        }
        let total =
            len(&embed["description"]) + len(&embed["title"]) + len(&embed["author"]["name"]);
        if total > 6000 {
            return Some(invalid_form(
                "embeds",
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            ));
        }
    }
    for row in body["components"].as_array().into_iter().flatten() {
        for button in row["components"].as_array().into_iter().flatten() {
            let url = button["url"].as_str().unwrap_or_default();
            let link_ok = url.starts_with("https://") || url.starts_with("http://");
            if button["style"].as_u64() == Some(5) && !link_ok {
                return Some(invalid_form(
                    "components.0.components.0.url",
                    "URL_TYPE_INVALID_URL",
                    "Not a well formed URL.",
                ));
            }
        }
    }
    let users = body["allowed_mentions"]["users"]
        .as_array()
        .map_or(0, Vec::len);
    if users > 100 {
        return Some(invalid_form(
            "allowed_mentions.users",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use serde_json::{Value, json};

    use crate::standin::state::InteractionRecord;
    use crate::standin::{DiscordStandIn, POST_CHANNEL_ID};

    const TOKEN: &str = "aW50ZXJhY3Rpb24standin";

    fn pending_interaction(standin: &DiscordStandIn, id: u64) {
        let record = InteractionRecord {
            token: TOKEN.into(),
            channel_id: POST_CHANNEL_ID,
            sent_at: Instant::now(),
            acknowledged: false,
            original: None,
            kind: 2,
            message: None,
            modal: None,
        };
        standin.state.lock().interactions.insert(id, record);
    }

    async fn call(standin: &DiscordStandIn, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/api/v10{path}", standin.url());
        let method = method.parse().unwrap();
        let response = reqwest::Client::new()
            .request(method, url)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    #[tokio::test]
    async fn replies_follow_ups_and_edits_are_held_to_the_limits_of_channel_messages() {
        let standin = DiscordStandIn::start().await;
        pending_interaction(&standin, 7);
        let callback = "/interactions/7/aW50ZXJhY3Rpb24standin/callback";
        let too_long = json!({ "type": 4, "data": { "content": "x".repeat(2001) } });
        let (status, body) = call(&standin, "POST", callback, too_long).await;
        assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
        let empty = json!({ "type": 4, "data": { "content": "" } });
        assert_eq!(
            call(&standin, "POST", callback, empty).await.1["code"],
            50006
        );

        let reply = json!({ "type": 4, "data": { "content": "ok" } });
        assert_eq!(
            call(&standin, "POST", callback, reply).await.0,
            204,
            "a valid reply"
        );
        let follow_up = format!("/webhooks/1/{TOKEN}");
        let embeds: Vec<Value> = (0..11)
            .map(|i| json!({ "title": format!("e{i}") }))
            .collect();
        let (status, body) = call(&standin, "POST", &follow_up, json!({ "embeds": embeds })).await;
        assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
        let edit = format!("{follow_up}/messages/@original");
        let long_title = json!({ "embeds": [{ "title": "t".repeat(257) }] });
        let (status, body) = call(&standin, "PATCH", &edit, long_title).await;
        assert_eq!((status, body["code"].as_u64()), (400, Some(50035)));
        let (status, body) = call(&standin, "PATCH", &edit, json!({ "components": [] })).await;
        assert_eq!(
            (status, body["content"].as_str()),
            (200, Some("ok")),
            "an edit may leave content out"
        );
    }
}
