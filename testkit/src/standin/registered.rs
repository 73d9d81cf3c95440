//! Interactions a test delivers, checked against what the bot registered: Discord only sends a
//! command, sub-command or option that was registered, with its registered type, a value
//! among its choices when it has choices, every required option (but while autocompleting),
//! and autocomplete only for an option registered with `autocomplete: true`.
//! <https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-application-command-interaction-data-option-structure>

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::DiscordStandIn;

const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;
const CHANNEL: u64 = 7;
/// Interaction types built from a registration: application command and autocomplete.
const COMMAND: u64 = 2;
const AUTOCOMPLETE: u64 = 4;

impl DiscordStandIn {
    /// Panics, naming what is wrong, when a command or autocomplete interaction could not come
    /// from Discord given what the bot registered (waiting up to `wait` for the registration).
    pub(super) async fn assert_registered(&self, payload: &Value, wait: Duration) {
        let kind = payload["type"].as_u64().unwrap_or_default();
        if kind != COMMAND && kind != AUTOCOMPLETE {
            return;
        }
        let name = payload["data"]["name"].as_str().unwrap_or_default();
        let found = |d: &Self| registered_command(&d.state.lock().commands, payload).cloned();
        let Some(command) = self.wait_until(wait, found).await else {
            panic!("the test delivers /{name}, which the bot never registered");
        };
        let given = payload["data"]["options"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let resolved = &payload["data"]["resolved"];
        let autocomplete = kind == AUTOCOMPLETE;
        if let Err(problem) = check_level(&command, given, name, autocomplete, resolved) {
            panic!("Discord would never send this interaction: {problem}");
        }
    }
}

/// The registered command (guild commands of the interaction's guild, then global) named as
/// the interaction's `data.name`.
fn registered_command<'a>(
    commands: &'a HashMap<Option<u64>, Vec<Value>>,
    payload: &Value,
) -> Option<&'a Value> {
    let guild = payload["guild_id"].as_str().and_then(|g| g.parse().ok());
    registered_named(commands, guild, payload["data"]["name"].as_str()?)
}

/// The chat-input command `name` registered for `guild` (guild commands first, then global).
pub(super) fn registered_named<'a>(
    commands: &'a HashMap<Option<u64>, Vec<Value>>,
    guild: Option<u64>,
    name: &str,
) -> Option<&'a Value> {
    let scopes = [commands.get(&guild), commands.get(&None)];
    let mut all = scopes.into_iter().flatten().flatten();
    all.find(|c| c["name"] == name && c["type"].as_u64().unwrap_or(1) == 1)
}

/// Checks the options given at one level (`at` names it, e.g. `topgg roles add`) against the
/// registered `parent`'s options (`resolved` is the interaction's `data.resolved`).
pub(super) fn check_level(
    parent: &Value,
    given: &[Value],
    at: &str,
    autocomplete: bool,
    resolved: &Value,
) -> Result<(), String> {
    let registered = parent["options"].as_array().map_or(&[][..], Vec::as_slice);
    let names = || {
        registered
            .iter()
            .filter_map(|o| o["name"].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let nests = registered.iter().any(|o| is_nesting(o["type"].as_u64()));
    if nests && given.len() != 1 {
        return Err(format!(
            "/{at} needs exactly one of its sub-commands ({})",
            names()
        ));
    }
    for option in given {
        let name = option["name"].as_str().unwrap_or_default();
        let Some(spec) = registered.iter().find(|o| o["name"] == name) else {
            return Err(format!(
                "/{at} has no option `{name}` (registered: {})",
                names()
            ));
        };
        check_option(
            spec,
            option,
            &format!("{at} {name}"),
            autocomplete,
            resolved,
        )?;
    }
    if autocomplete || nests {
        return Ok(());
    }
    let missing = registered.iter().find(|o| {
        o["required"].as_bool() == Some(true) && !given.iter().any(|g| g["name"] == o["name"])
    });
    match missing {
        Some(o) => Err(format!(
            "/{at} is missing its required option `{}`",
            o["name"].as_str().unwrap_or_default()
        )),
        None => Ok(()),
    }
}

fn check_option(
    spec: &Value,
    option: &Value,
    at: &str,
    autocomplete: bool,
    resolved: &Value,
) -> Result<(), String> {
    let (want, got) = (spec["type"].as_u64(), option["type"].as_u64());
    let focused = option["focused"].as_bool() == Some(true);
    if focused && spec["autocomplete"].as_bool() != Some(true) {
        return Err(format!("`{at}` is not registered with autocomplete"));
    }
    if want != got && !focused {
        return Err(format!(
            "`{at}` is registered as option type {want:?}, the test gives type {got:?}"
        ));
    }
    if is_nesting(want) {
        let given = option["options"].as_array().map_or(&[][..], Vec::as_slice);
        return check_level(spec, given, at, autocomplete, resolved);
    }
    if !focused {
        offered_channel(spec, option, at, resolved)?;
    }
    let choices = spec["choices"].as_array().map_or(&[][..], Vec::as_slice);
    if !focused && !choices.is_empty() && !choices.iter().any(|c| c["value"] == option["value"]) {
        let values: Vec<String> = choices.iter().map(|c| c["value"].to_string()).collect();
        return Err(format!(
            "`{at}` is {}, not one of its choices' values [{}]",
            option["value"],
            values.join(", ")
        ));
    }
    Ok(())
}

/// A channel option registered with `channel_types` only offers channels of those types.
fn offered_channel(spec: &Value, option: &Value, at: &str, resolved: &Value) -> Result<(), String> {
    let types = spec["channel_types"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let id = option["value"].as_str().unwrap_or_default();
    let kind = &resolved["channels"][id]["type"];
    if spec["type"] != CHANNEL || types.is_empty() || types.contains(kind) {
        return Ok(());
    }
    Err(format!(
        "`{at}` is registered with channel_types {}; channel {id} has type {kind}",
        spec["channel_types"]
    ))
}

fn is_nesting(kind: Option<u64>) -> bool {
    kind == Some(SUB_COMMAND) || kind == Some(SUB_COMMAND_GROUP)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::standin::fixtures::{ChannelSpec, GuildModel, POST_CHANNEL_ID, text_channel};
    use crate::standin::{Opt, slash_command};

    fn registered() -> Value {
        json!({ "name": "topgg", "description": "d", "type": 1, "options": [
            { "name": "message", "description": "d", "type": 1, "options": [
                { "name": "style", "description": "d", "type": 3, "required": true,
                  "choices": [{ "name": "Text", "value": "text" }] },
                { "name": "limit", "description": "d", "type": 4 },
            ]},
        ]})
    }

    fn check(options: Vec<(&str, Opt)>, path: &[&str]) -> Result<(), String> {
        let ix = slash_command("topgg", path, options, 1);
        let given = ix.payload["data"]["options"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        check_level(
            &registered(),
            &given,
            "topgg",
            false,
            &ix.payload["data"]["resolved"],
        )
    }

    #[test]
    fn an_interaction_built_as_registered_passes() {
        assert_eq!(
            check(
                vec![("style", "text".into()), ("limit", 3i64.into())],
                &["message"]
            ),
            Ok(())
        );
    }

    #[test]
    fn unregistered_options_wrong_types_and_choices_by_index_are_named() {
        let unknown = check(
            vec![("style", "text".into()), ("colour", "red".into())],
            &["message"],
        );
        assert!(unknown.unwrap_err().contains("no option `colour`"));
        let wrong_type = check(
            vec![("style", "text".into()), ("limit", "3".into())],
            &["message"],
        );
        assert!(
            wrong_type
                .unwrap_err()
                .contains("registered as option type Some(4)")
        );
        let by_index = check(vec![("style", 0i64.into())], &["message"]);
        assert!(
            by_index
                .unwrap_err()
                .contains("registered as option type Some(3)")
        );
        let not_a_choice = check(vec![("style", "fancy".into())], &["message"]);
        assert!(not_a_choice.unwrap_err().contains("not one of its choices"));
        let missing = check(vec![], &["message"]);
        assert!(
            missing
                .unwrap_err()
                .contains("missing its required option `style`")
        );
        let no_sub = check(vec![], &[]);
        assert!(
            no_sub
                .unwrap_err()
                .contains("needs exactly one of its sub-commands")
        );
        let unknown_sub = check(vec![], &["nothing"]);
        assert!(unknown_sub.unwrap_err().contains("no option `nothing`"));
    }

    #[test]
    fn a_channel_of_a_type_the_option_does_not_offer_is_named() {
        let voice_id = 1_400_000_000_000_000_102;
        let voice = ChannelSpec {
            kind: 2,
            ..text_channel(voice_id, "lounge", 3)
        };
        let guild = GuildModel::default_guild().with_channel(voice);
        let registered = json!({ "name": "topgg", "description": "d", "options": [
            { "name": "channel", "description": "d", "type": 7, "channel_types": [0, 5] },
        ]});
        let check = |channel: u64| {
            let options = vec![("channel", Opt::Channel(channel))];
            let ix = guild.slash_command("topgg", &[], options, 1);
            let data = &ix.payload["data"];
            let given = data["options"].as_array().cloned().unwrap_or_default();
            check_level(&registered, &given, "topgg", false, &data["resolved"])
        };
        assert_eq!(check(POST_CHANNEL_ID), Ok(()));
        let refused = check(voice_id).unwrap_err();
        assert!(refused.contains("channel_types [0,5]"), "{refused}");
    }
}
