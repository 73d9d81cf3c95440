use serde_json::json;

use super::*;
use crate::domain::events::ProjectKind;
use crate::domain::message::Style;
use crate::domain::message::samples::{ann, pinging};
use crate::domain::reminder::{ReminderProject, reminder_message};

/// `body` may ping exactly `users` (no one else, no role, no @everyone) and is posted once
/// for `nonce`.
fn assert_pings_only_and_posts_once(
    body: &serde_json::Value,
    users: serde_json::Value,
    nonce: &str,
) {
    let mentions = json!({"parse": [], "users": users, "roles": []});
    assert_eq!(body["allowed_mentions"], mentions);
    assert_eq!(
        (&body["nonce"], &body["enforce_nonce"]),
        (&json!(nonce), &json!(true))
    );
}

#[test]
fn an_embed_announcement_body_has_the_mention_the_embed_and_a_link_button() {
    let voter_id = UserId::from(42);
    let message = OutgoingMessage::announcement(
        Style::Embed,
        "Ann voted".into(),
        ann(&voter_id),
        Some("https://top.gg/bot/1/vote"),
    );
    let body = message_json(&message, Some("n"));
    assert_eq!(body["content"], "<@42>");
    assert_eq!(body["embeds"][0]["description"], "Ann voted");
    assert_eq!(
        body["embeds"][0]["author"]["icon_url"],
        "https://cdn.example/a.png"
    );
    assert_eq!(body["embeds"][0]["color"], 0xFF_33_66);
    let button = &body["components"][0]["components"][0];
    assert_eq!(
        (button["type"].as_u64(), button["style"].as_u64()),
        (Some(2), Some(5))
    );
    assert_eq!(
        (button["url"].as_str(), button["label"].as_str()),
        (Some("https://top.gg/bot/1/vote"), Some("Vote"))
    );
    assert_pings_only_and_posts_once(&body, json!(["42"]), "n");
}

#[test]
fn a_body_is_clipped_to_discords_limits_and_without_a_nonce_enforces_none() {
    let message = OutgoingMessage {
        content: "x".repeat(3000),
        button_url: Some("javascript:alert(1)".into()),
        ..OutgoingMessage::default()
    };
    let body = message_json(&message, None);
    let content = body["content"].as_str().unwrap();
    assert_eq!(content.chars().count(), 2000);
    assert!(body.get("components").is_none(), "{body}");
    assert!(body.get("nonce").is_none(), "{body}");
    assert_eq!(body["enforce_nonce"], false);
}

#[test]
fn a_reminder_dm_body_names_the_project_links_its_vote_page_pings_nobody_and_posts_once() {
    let project = ReminderProject::from_connection(&ProjectKind::Bot, "99", Some("Cool Bot"));
    let body = message_json(&reminder_message(&project), Some("nonce-25"));
    let content = body["content"].as_str().unwrap();
    assert!(
        content.starts_with("You can vote for **Cool Bot** on Top.gg again!"),
        "{content}"
    );
    assert_eq!(body["embeds"], json!([]));
    assert_eq!(
        body["components"],
        json!([{ "type": 1, "components": [
            { "type": 2, "style": 5, "label": "Vote", "url": "https://top.gg/bot/99/vote", "disabled": false }
        ]}])
    );
    assert_pings_only_and_posts_once(&body, json!([]), "nonce-25");
}

#[test]
fn a_user_id_zero_is_never_allowed_a_mention() {
    let message = pinging("<@0> <@7>", &[0, 7]);
    let body = message_json(&message, None);
    assert_eq!(body["allowed_mentions"]["users"], json!(["7"]));
}
