//! The live permission checks of `/topgg status` and `/topgg test`, over facts the bot read
//! from Discord (pure).

use std::collections::HashMap;

use super::role_safety::CallerFacts;

/// What the bot knows about itself in a guild.
#[derive(Debug, Clone, Default)]
pub struct GuildFacts {
    /// Whether the guild was in the bot's cache at all.
    pub known: bool,
    pub manage_roles: bool,
    /// Position of the bot's highest role.
    pub bot_top_position: u16,
    /// Channel id -> (name, can view and send).
    pub channels: HashMap<String, (String, bool)>,
    /// Role id -> (name, position, managed by an integration).
    pub roles: HashMap<String, (String, u16, bool)>,
    /// Role id -> its permission bits.
    pub role_permissions: HashMap<String, u64>,
    /// The member running the command, when known.
    pub caller: Option<CallerFacts>,
}

/// The sentences that describe problems (empty when all is well).
pub fn findings(facts: &GuildFacts, channel_id: Option<&str>, role_ids: &[String]) -> Vec<String> {
    if !facts.known {
        return vec![
            "I could not read this server's roles and channels yet; try again in a minute.".into(),
        ];
    }
    let mut found = Vec::new();
    if let Some(channel) = channel_id {
        match facts.channels.get(channel) {
            None => found.push(format!("The announcement channel <#{channel}> no longer exists. Pick another with `/topgg channel`.")),
            Some((_, false)) => found.push(format!(
                "I can't post in <#{channel}>: give me View Channel and Send Messages there."
            )),
            Some((_, true)) => {}
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
pub fn role_problem(facts: &GuildFacts, role_id: &str) -> Option<String> {
    match facts.roles.get(role_id) {
        None => Some(format!(
            "The reward role {role_id} no longer exists. Remove it with `/topgg roles remove`."
        )),
        Some((_, _, true)) => Some(format!(
            "I can't give <@&{role_id}>: it is managed by an integration."
        )),
        Some((_, position, _)) if *position >= facts.bot_top_position => Some(format!(
            "I can't give <@&{role_id}>: my highest role is below it. Move my role above it in \
             Server Settings -> Roles."
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> GuildFacts {
        GuildFacts {
            known: true,
            manage_roles: true,
            bot_top_position: 5,
            channels: HashMap::from([
                ("c1".into(), ("votes".into(), true)),
                ("c2".into(), ("locked".into(), false)),
            ]),
            roles: HashMap::from([
                ("low".into(), ("Voter".into(), 2, false)),
                ("high".into(), ("Mod".into(), 7, false)),
                ("boost".into(), ("Booster".into(), 1, true)),
            ]),
            ..GuildFacts::default()
        }
    }

    #[test]
    fn all_good_finds_nothing() {
        assert!(findings(&facts(), Some("c1"), &["low".into()]).is_empty());
    }

    #[test]
    fn a_role_above_the_bots_is_explained() {
        let found = findings(&facts(), None, &["high".into()]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("my highest role is below it"),
            "{found:?}"
        );
    }

    #[test]
    fn a_channel_the_bot_cannot_post_in_is_named() {
        let found = findings(&facts(), Some("c2"), &[]);
        assert!(found[0].contains("can't post in <#c2>"), "{found:?}");
    }

    #[test]
    fn missing_manage_roles_and_managed_roles_are_reported() {
        let mut f = facts();
        f.manage_roles = false;
        let found = findings(&f, None, &["boost".into()]);
        assert!(found.iter().any(|s| s.contains("Manage Roles")));
        assert!(
            found
                .iter()
                .any(|s| s.contains("managed by an integration"))
        );
    }
}
