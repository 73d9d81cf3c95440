//! The live permission checks of `/topgg status` and `/topgg test`, over facts the bot read
//! from Discord (pure).

use std::collections::HashMap;

use super::role_safety::CallerFacts;
use crate::domain::ids::{ChannelId, RoleId};

/// What the bot knows about itself in a guild.
#[derive(Debug, Clone, Default)]
pub struct GuildFacts {
    /// Whether the guild was in the bot's cache at all.
    pub known: bool,
    pub manage_roles: bool,
    /// Position of the bot's highest role.
    pub bot_top_position: u16,
    pub channels: HashMap<ChannelId, ChannelFacts>,
    pub roles: HashMap<RoleId, RoleFacts>,
    /// The member running the command, when known.
    pub caller: Option<CallerFacts>,
}

/// A channel of the guild as the bot sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelFacts {
    /// The bot can view the channel and send messages in it.
    pub can_post: bool,
    /// The bot may embed links there: without it Discord drops an announcement's embed.
    pub embed_links: bool,
}

/// A role of the guild.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleFacts {
    pub position: u16,
    /// Managed by an integration (a bot's or a booster role): nobody can give it.
    pub managed: bool,
    /// Its permission bits.
    pub permissions: u64,
}

/// The sentences that describe problems (empty when all is well).
pub fn findings(
    facts: &GuildFacts,
    channel_id: Option<&ChannelId>,
    role_ids: &[RoleId],
) -> Vec<String> {
    if !facts.known {
        return vec![
            "I could not read this server's roles and channels yet; try again in a minute.".into(),
        ];
    }
    let mut found = Vec::new();
    if let Some(channel) = channel_id {
        match facts.channels.get(channel) {
            None => found.push(format!("The announcement channel <#{channel}> no longer exists. Pick another with `/topgg channel`.")),
            Some(ChannelFacts { can_post: false, .. }) => found.push(format!(
                "I can't post in <#{channel}>: give me View Channel and Send Messages there."
            )),
            Some(ChannelFacts { embed_links: false, .. }) => found.push(format!(
                "I don't have Embed Links in <#{channel}>: Discord drops my announcements' \
                 embeds there, so I post them as plain text until you give me Embed Links in \
                 that channel."
            )),
            Some(_) => {}
        }
    }
    if !role_ids.is_empty() && !facts.manage_roles {
        found
            .push("I don't have the Manage Roles permission, so I can't give reward roles.".into());
    }
    for role_id in role_ids {
        found.extend(role_problem(facts, role_id));
    }
    found
}

/// Why the bot cannot give `role_id`, if it cannot.
pub fn role_problem(facts: &GuildFacts, role_id: &RoleId) -> Option<String> {
    match facts.roles.get(role_id) {
        None => Some(format!(
            "The reward role {role_id} no longer exists. Remove it with `/topgg roles remove`."
        )),
        Some(RoleFacts { managed: true, .. }) => Some(format!(
            "I can't give <@&{role_id}>: it is managed by an integration."
        )),
        Some(role) if role.position >= facts.bot_top_position => Some(format!(
            "I can't give <@&{role_id}>: my highest role is below it. Move my role above it in \
             Server Settings -> Roles."
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOTES: u64 = 1;
    const LOCKED: u64 = 2;
    const NO_EMBEDS: u64 = 3;
    const LOW: u64 = 11;
    const HIGH: u64 = 12;
    const BOOST: u64 = 13;

    fn channel(id: u64, can_post: bool) -> (ChannelId, ChannelFacts) {
        let embed_links = id != NO_EMBEDS;
        let facts = ChannelFacts {
            can_post,
            embed_links,
        };
        (ChannelId::from(id), facts)
    }

    fn role(id: u64, position: u16, managed: bool) -> (RoleId, RoleFacts) {
        let facts = RoleFacts {
            position,
            managed,
            permissions: 0,
        };
        (RoleId::from(id), facts)
    }

    fn facts() -> GuildFacts {
        GuildFacts {
            known: true,
            manage_roles: true,
            bot_top_position: 5,
            channels: HashMap::from([
                channel(VOTES, true),
                channel(LOCKED, false),
                channel(NO_EMBEDS, true),
            ]),
            roles: HashMap::from([
                role(LOW, 2, false),
                role(HIGH, 7, false),
                role(BOOST, 1, true),
            ]),
            ..GuildFacts::default()
        }
    }

    #[test]
    fn all_good_finds_nothing() {
        let found = findings(
            &facts(),
            Some(&ChannelId::from(VOTES)),
            &[RoleId::from(LOW)],
        );
        assert!(found.is_empty());
    }

    #[test]
    fn a_role_above_the_bots_is_explained() {
        let found = findings(&facts(), None, &[RoleId::from(HIGH)]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("my highest role is below it"),
            "{found:?}"
        );
    }

    #[test]
    fn a_channel_the_bot_cannot_post_in_is_named() {
        let found = findings(&facts(), Some(&ChannelId::from(LOCKED)), &[]);
        assert!(found[0].contains("can't post in <#2>"), "{found:?}");
    }

    #[test]
    fn a_channel_without_embed_links_is_named() {
        let found = findings(&facts(), Some(&ChannelId::from(NO_EMBEDS)), &[]);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("Embed Links in <#3>"), "{found:?}");
    }

    #[test]
    fn missing_manage_roles_and_managed_roles_are_reported() {
        let mut f = facts();
        f.manage_roles = false;
        let found = findings(&f, None, &[RoleId::from(BOOST)]);
        assert!(found.iter().any(|s| s.contains("Manage Roles")));
        assert!(
            found
                .iter()
                .any(|s| s.contains("managed by an integration"))
        );
    }
}
