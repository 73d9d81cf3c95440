//! Interactions built from what the bot registered, as Discord's client builds them: a test
//! names the command (`&["topgg", "roles", "add"]`) and gives options by name and value
//! (`("role", REWARD_ROLE_ID.into())`, `("votes", 5.into())`, `("style", "text".into())`);
//! the registration decides whether each level is a sub-command or a group, each option's
//! type, the value sent for a choice named as the client shows it, and which users, roles and
//! channels go into `data.resolved`. What the client could not send fails the test with a
//! sentence naming it: an unregistered command, sub-command or option, a value of the wrong
//! type, a missing required option, autocomplete on an option registered without it.

use std::time::Duration;

use serde_json::{Value, json};

use super::DiscordStandIn;
use super::fixtures::GuildModel;
use super::interactions::InteractionPayload;
use super::opt::Opt;
use super::option_values::{option_value, type_name};
use super::registered::registered_named;

/// How long a build waits for the bot to register its commands.
const REGISTRATION_WAIT: Duration = Duration::from_secs(5);
const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;
/// Interaction types: application command and autocomplete.
const COMMAND: u8 = 2;
const AUTOCOMPLETE: u8 = 4;

/// The `data.options` of an interaction and the option values typed as registered.
#[derive(Debug)]
pub struct BuiltOptions {
    pub options: Vec<Value>,
    pub values: Vec<Opt>,
}

impl DiscordStandIn {
    /// `/path…` with `options`, as `invoker` sends it from Discord's client in
    /// `POST_CHANNEL_ID` (move it with [`InteractionPayload::in_channel`]), built from the
    /// registered command (waiting up to 5 s for it). Panics naming what the client could not
    /// send.
    pub async fn invocation(
        &self,
        path: &[&str],
        options: Vec<(&str, Opt)>,
        invoker: u64,
    ) -> InteractionPayload {
        let built = self.try_invocation(path, options, invoker).await;
        built.unwrap_or_else(|problem| panic!("Discord's client could not send this: {problem}"))
    }

    /// Like [`DiscordStandIn::invocation`]; the sentence naming the problem instead of a panic.
    pub async fn try_invocation(
        &self,
        path: &[&str],
        options: Vec<(&str, Opt)>,
        invoker: u64,
    ) -> Result<InteractionPayload, String> {
        self.build(COMMAND, path, &options, None, invoker).await
    }

    /// The autocomplete interaction (type 4) Discord sends while `invoker` types `focused.1`
    /// into the option `focused.0` of `/path…`, the other options filled with `options`.
    pub async fn autocompletion(
        &self,
        path: &[&str],
        options: Vec<(&str, Opt)>,
        focused: (&str, &str),
        invoker: u64,
    ) -> InteractionPayload {
        let built = self
            .build(AUTOCOMPLETE, path, &options, Some(focused), invoker)
            .await;
        built.unwrap_or_else(|problem| panic!("Discord's client could not send this: {problem}"))
    }

    async fn build(
        &self,
        kind: u8,
        path: &[&str],
        options: &[(&str, Opt)],
        focused: Option<(&str, &str)>,
        invoker: u64,
    ) -> Result<InteractionPayload, String> {
        let name = *path.first().ok_or("no command named")?;
        let guild = self.state.lock().model.id;
        let found =
            |d: &Self| registered_named(&d.state.lock().commands, Some(guild), name).cloned();
        let Some(command) = self.wait_until(REGISTRATION_WAIT, found).await else {
            return Err(format!("the bot never registered /{name}"));
        };
        let model = self.guild();
        let built = built_options(&command, &model, path, options, focused)?;
        Ok(model.interaction_of(kind, name, built.options, &built.values, invoker))
    }
}

/// The options Discord's client sends for `path` (command first) with `given` (and the
/// `focused` one being typed), read against the registered `command`.
pub fn built_options(
    command: &Value,
    model: &GuildModel,
    path: &[&str],
    given: &[(&str, Opt)],
    focused: Option<(&str, &str)>,
) -> Result<BuiltOptions, String> {
    let (leaf, kinds) = descend(command, path)?;
    let at = path.join(" ");
    let mut leaves = Vec::new();
    let mut values = Vec::new();
    for (i, (name, opt)) in given.iter().enumerate() {
        if given[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(format!("/{at} gets `{name}` twice"));
        }
        let spec = registered_option(leaf, name, &at)?;
        let (value, typed) = option_value(spec, opt, model, &format!("{at} {name}"))?;
        leaves.push(json!({ "name": name, "type": spec["type"], "value": value }));
        values.push(typed);
    }
    match focused {
        Some((name, typed)) => {
            let spec = registered_option(leaf, name, &at)?;
            if spec["autocomplete"] != true {
                return Err(format!("`{at} {name}` is not registered with autocomplete"));
            }
            let option = json!({ "name": name, "type": spec["type"], "value": typed,
                                 "focused": true });
            leaves.push(option);
        }
        None => all_required(leaf, given, &at)?,
    }
    let mut options = leaves;
    for (name, kind) in path[1..].iter().zip(kinds).rev() {
        options = vec![json!({ "name": name, "type": kind, "options": options })];
    }
    Ok(BuiltOptions { options, values })
}

fn options_of(level: &Value) -> &[Value] {
    level["options"].as_array().map_or(&[][..], Vec::as_slice)
}

fn is_nesting(option: &Value) -> bool {
    matches!(
        option["type"].as_u64(),
        Some(SUB_COMMAND | SUB_COMMAND_GROUP)
    )
}

fn names(level: &Value) -> String {
    let names: Vec<&str> = options_of(level)
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    names.join(", ")
}

/// The registered level `path` leads to (a command without sub-commands, or a sub-command) and
/// the type (sub-command or group) of each level after the command.
fn descend<'a>(command: &'a Value, path: &[&str]) -> Result<(&'a Value, Vec<u64>), String> {
    let mut level = command;
    let mut kinds = Vec::new();
    for (depth, name) in path.iter().enumerate().skip(1) {
        let at = path[..depth].join(" ");
        let nested = options_of(level)
            .iter()
            .find(|o| o["name"] == *name && is_nesting(o));
        let Some(nested) = nested else {
            let registered = names(level);
            return Err(format!(
                "/{at} has no sub-command `{name}` (registered: {registered})"
            ));
        };
        kinds.push(nested["type"].as_u64().unwrap_or(SUB_COMMAND));
        level = nested;
    }
    if options_of(level).iter().any(is_nesting) {
        return Err(format!(
            "/{} needs one of its sub-commands ({})",
            path.join(" "),
            names(level)
        ));
    }
    Ok((level, kinds))
}

fn registered_option<'a>(leaf: &'a Value, name: &str, at: &str) -> Result<&'a Value, String> {
    let found = options_of(leaf).iter().find(|o| o["name"] == name);
    found.ok_or_else(|| format!("/{at} has no option `{name}` (registered: {})", names(leaf)))
}

fn all_required(leaf: &Value, given: &[(&str, Opt)], at: &str) -> Result<(), String> {
    let missing = options_of(leaf)
        .iter()
        .find(|o| o["required"] == true && !given.iter().any(|(name, _)| o["name"] == *name));
    match missing {
        Some(o) => Err(format!(
            "/{at} is missing its required {} option `{}`",
            type_name(o["type"].as_u64().unwrap_or_default()),
            o["name"].as_str().unwrap_or_default()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
