//! Which roles `/topgg roles add` refuses (pure): a vote reward must never hand out power,
//! and an admin may only make the bot give a role they could give themselves.

use super::checks::GuildFacts;
use crate::domain::ids::RoleId;

/// Discord permission bits a reward role must not carry, with their names: every power over
/// other members, their messages or the server.
pub const DANGEROUS: [(u64, &str); 18] = [
    (1 << 3, "Administrator"),
    (1 << 5, "Manage Server"),
    (1 << 28, "Manage Roles"),
    (1 << 4, "Manage Channels"),
    (1 << 29, "Manage Webhooks"),
    (1 << 1, "Kick Members"),
    (1 << 2, "Ban Members"),
    (1 << 40, "Moderate Members"),
    (1 << 17, "Mention Everyone"),
    (1 << 13, "Manage Messages"),
    (1 << 34, "Manage Threads"),
    (1 << 27, "Manage Nicknames"),
    (1 << 22, "Mute Members"),
    (1 << 23, "Deafen Members"),
    (1 << 24, "Move Members"),
    (1 << 33, "Manage Events"),
    (1 << 30, "Manage Expressions"),
    (1 << 7, "View Audit Log"),
];

/// What the bot knows of the member running the command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallerFacts {
    pub is_owner: bool,
    /// Manage Roles (or Administrator) in the guild.
    pub manage_roles: bool,
    /// Position of their highest role.
    pub top_position: u16,
}

/// Why `role_id` cannot be a reward role for this caller, if it cannot.
pub fn refusal(facts: &GuildFacts, role_id: &RoleId) -> Option<String> {
    if !facts.known {
        return Some(
            "I could not read this server's roles yet, so I cannot check that role; try again in a minute."
                .into(),
        );
    }
    let Some(role) = facts.roles.get(role_id) else {
        return Some(format!("The role {role_id} does not exist in this server."));
    };
    if role.managed {
        return Some(format!(
            "<@&{role_id}> is managed by Discord (an integration's or the booster role): \
             nobody can hand it out. Choose another role."
        ));
    }
    let powers: Vec<&str> = DANGEROUS
        .iter()
        .filter(|(bit, _)| role.permissions & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if !powers.is_empty() {
        return Some(format!(
            "<@&{role_id}> carries {}: a vote reward must not hand out moderation or admin powers. \
             Choose a role without them.",
            powers.join(", ")
        ));
    }
    let caller = facts.caller.unwrap_or_default();
    if caller.is_owner {
        return None;
    }
    if !caller.manage_roles {
        return Some(
            "You need the Manage Roles permission to choose a reward role (you could not hand it out yourself)."
                .into(),
        );
    }
    if role.position >= caller.top_position {
        return Some(format!(
            "<@&{role_id}> is not below your highest role, so you could not hand it out yourself."
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::guild::checks::RoleFacts;

    /// Each test role's id is its position in this list.
    const NAMES: [&str; 6] = ["low", "mod", "high", "ping", "mm", "booster"];

    fn role(name: &str, position: u16, permissions: u64) -> (RoleId, RoleFacts) {
        let facts = RoleFacts {
            position,
            managed: false,
            permissions,
        };
        (role_id(name), facts)
    }

    fn role_id(name: &str) -> RoleId {
        let index = NAMES.iter().position(|n| *n == name).expect("a test role");
        RoleId::from(index as u64 + 1)
    }

    fn refusal(facts: &GuildFacts, name: &str) -> Option<String> {
        super::refusal(facts, &role_id(name))
    }

    fn facts(caller: CallerFacts) -> GuildFacts {
        GuildFacts {
            known: true,
            roles: HashMap::from([
                role("low", 1, 0),
                role("mod", 2, 1 << 40),
                role("high", 9, 0),
            ]),
            caller: Some(caller),
            ..GuildFacts::default()
        }
    }

    const MANAGER: CallerFacts = CallerFacts {
        is_owner: false,
        manage_roles: true,
        top_position: 5,
    };

    #[test]
    fn every_dangerous_bit_is_the_permission_it_is_named_after() {
        use poise::serenity_prelude::Permissions as P;
        let expected = [
            P::ADMINISTRATOR,
            P::MANAGE_GUILD,
            P::MANAGE_ROLES,
            P::MANAGE_CHANNELS,
            P::MANAGE_WEBHOOKS,
            P::KICK_MEMBERS,
            P::BAN_MEMBERS,
            P::MODERATE_MEMBERS,
            P::MENTION_EVERYONE,
            P::MANAGE_MESSAGES,
            P::MANAGE_THREADS,
            P::MANAGE_NICKNAMES,
            P::MUTE_MEMBERS,
            P::DEAFEN_MEMBERS,
            P::MOVE_MEMBERS,
            P::MANAGE_EVENTS,
            P::MANAGE_GUILD_EXPRESSIONS,
            P::VIEW_AUDIT_LOG,
        ];
        let bits: Vec<u64> = DANGEROUS.iter().map(|(bit, _)| *bit).collect();
        let expected: Vec<u64> = expected.iter().map(|p| p.bits()).collect();
        assert_eq!(bits, expected);
    }

    #[test]
    fn roles_that_mention_everyone_or_manage_messages_are_refused_and_named() {
        let mut f = facts(MANAGER);
        f.roles
            .extend([role("ping", 1, 1 << 17), role("mm", 1, 1 << 13)]);
        let reason = refusal(&f, "ping").unwrap();
        assert!(reason.contains("Mention Everyone"), "{reason}");
        assert!(refusal(&f, "mm").unwrap().contains("Manage Messages"));
    }

    #[test]
    fn a_managed_role_is_refused_even_for_the_owner() {
        let owner = CallerFacts {
            is_owner: true,
            ..MANAGER
        };
        let mut f = facts(owner);
        let (id, mut booster) = role("booster", 1, 0);
        booster.managed = true;
        f.roles.insert(id, booster);
        let reason = refusal(&f, "booster").unwrap();
        assert!(reason.contains("managed"), "{reason}");
    }

    #[test]
    fn a_plain_role_below_a_role_manager_is_accepted() {
        assert_eq!(refusal(&facts(MANAGER), "low"), None);
    }

    #[test]
    fn a_role_with_moderation_powers_is_refused_even_for_the_owner() {
        let owner = CallerFacts {
            is_owner: true,
            ..MANAGER
        };
        let reason = refusal(&facts(owner), "mod").unwrap();
        assert!(reason.contains("Moderate Members"), "{reason}");
    }

    #[test]
    fn a_caller_without_manage_roles_or_below_the_role_is_refused() {
        let plain = CallerFacts {
            manage_roles: false,
            ..MANAGER
        };
        assert!(
            refusal(&facts(plain), "low")
                .unwrap()
                .contains("Manage Roles")
        );
        assert!(
            refusal(&facts(MANAGER), "high")
                .unwrap()
                .contains("not below your highest role")
        );
        let owner = CallerFacts {
            is_owner: true,
            manage_roles: false,
            top_position: 0,
        };
        assert_eq!(refusal(&facts(owner), "high"), None);
    }
}
