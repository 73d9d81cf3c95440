//! What Discord does to a guild message the bot may post: AutoMod's mention limit refuses
//! it (200000), and without Embed Links its embeds are dropped (a message left with nothing
//! else to show is refused 50013).

use std::collections::BTreeSet;

use serde_json::Value;

use super::DiscordStandIn;
use super::fixtures::{GuildModel, Overwrite, perms};
use super::rest::Resp;

/// Discord's answer when an AutoMod rule blocks a message.
pub const AUTOMOD_BLOCKED: u64 = 200000;

/// The distinct users and roles `content` mentions (`<@id>`, `<@!id>`, `<@&id>`).
pub fn mentioned(content: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (start, _) in content.match_indices("<@") {
        let rest = &content[start + 2..];
        let Some(end) = rest.find('>') else { continue };
        let inner = rest[..end].trim_start_matches(['!', '&']);
        if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
            found.insert(rest[..end].replace('!', ""));
        }
    }
    found
}

/// AutoMod's mention-spam rule: more distinct mentions than `limit` in the content.
pub fn automod_refusal(limit: Option<usize>, body: &Value) -> Option<Resp> {
    let limit = limit?;
    let content = body["content"].as_str().unwrap_or_default();
    (mentioned(content).len() > limit).then(|| {
        Resp::error(
            400,
            AUTOMOD_BLOCKED,
            "Message was blocked by automatic moderation",
        )
    })
}

/// Without Embed Links (`channel_perms`) Discord drops the embeds of a message that has
/// content, and refuses an embed-only one with 50013.
pub fn apply_embed_links(channel_perms: u64, body: &Value) -> Result<Value, Resp> {
    let has_embeds = body["embeds"].as_array().is_some_and(|e| !e.is_empty());
    if channel_perms & perms::EMBED_LINKS != 0 || !has_embeds {
        return Ok(body.clone());
    }
    let content = body["content"].as_str().unwrap_or_default();
    if content.is_empty() {
        return Err(Resp::error(403, 50013, "Missing Permissions"));
    }
    let mut kept = body.clone();
    kept["embeds"] = Value::Array(Vec::new());
    Ok(kept)
}

impl DiscordStandIn {
    /// An AutoMod rule in the guild: messages mentioning more than `max` distinct users or
    /// roles are refused with 400 code 200000 (`None` removes it).
    pub fn limit_mentions(&self, max: Option<usize>) {
        self.state.lock().automod_mentions = max;
    }

    /// Denies (`allowed` false) or gives back the bot's Embed Links in `channel_id` with a
    /// member overwrite, and sends CHANNEL_UPDATE as Discord does when an admin edits the
    /// channel's permissions; returns how many sessions got it.
    pub async fn set_embed_links(&self, channel_id: u64, allowed: bool) -> usize {
        let set = |guild: &mut GuildModel| {
            let bot = guild.bot.id;
            let channel = guild.channels.iter_mut().find(|c| c.id == channel_id);
            let channel = channel.expect("a channel of the stand-in's guild");
            channel.overwrites.retain(|o| !(o.kind == 1 && o.id == bot));
            if !allowed {
                let deny = perms::EMBED_LINKS;
                let overwrite = Overwrite {
                    id: bot,
                    kind: 1,
                    allow: 0,
                    deny,
                };
                channel.overwrites.push(overwrite);
            }
        };
        self.update_live_guild(set).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_user_and_role_mentions_are_counted_once() {
        let found = mentioned("<@1> <@!1> <@&2> <@x> <@3 and <#4>");
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn without_embed_links_embeds_are_dropped_and_an_embed_only_message_is_refused() {
        let with_text = serde_json::json!({"content": "<@1>", "embeds": [{"title": "t"}]});
        let kept = apply_embed_links(perms::EVERYONE, &with_text).ok().unwrap();
        assert_eq!(kept["embeds"], serde_json::json!([]));
        let allowed = perms::EVERYONE | perms::EMBED_LINKS;
        assert_eq!(
            apply_embed_links(allowed, &with_text).ok().unwrap(),
            with_text
        );
        let embed_only = serde_json::json!({"content": "", "embeds": [{"title": "t"}]});
        let refused = apply_embed_links(perms::EVERYONE, &embed_only)
            .err()
            .unwrap();
        assert_eq!(refused.status, 403);
        assert_eq!(refused.body.unwrap()["code"], 50013);
    }
}
