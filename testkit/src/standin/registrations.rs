//! Command registrations (`PUT /applications/{app}[/guilds/{g}]/commands`) checked as Discord
//! checks them: an invalid list is refused whole with 400, code 50035 and the errors keyed by
//! their place in the body (`{"0": {"options": {"1": {"name": {"_errors": [...]}}}}}`).
//!
//! Rules (<https://discord.com/developers/docs/interactions/application-commands>): chat-input
//! command and option names match `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$` in lower
//! case where a letter has one; descriptions are 1-100 characters; at most 25 options and 25
//! choices (choice names 1-100); required options come before optional ones; option types are
//! 1-11; sub-commands and groups are not mixed with other options, a group holds only
//! sub-commands and a sub-command holds only plain options.

use serde_json::{Map, Value, json};

use super::json;
use super::rest::Resp;

const MAX_OPTIONS: usize = 25;
const MAX_CHOICES: usize = 25;
const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;

/// One refusal: where in the body, Discord's error code and message.
type Problem = (Vec<String>, &'static str, &'static str);

/// The 400 Discord answers for an invalid registration list, or `None` when it is valid.
pub fn refusal(list: &[Value]) -> Option<Resp> {
    let mut problems = Vec::new();
    for (i, command) in list.iter().enumerate() {
        let at = vec![i.to_string()];
        if command["type"].as_u64().unwrap_or(1) == 1 {
            check_named(command, &at, &mut problems);
            check_options(command, &at, 0, &mut problems);
        }
    }
    if problems.is_empty() {
        return None;
    }
    let mut body = json::error(50035, "Invalid Form Body");
    body["errors"] = nest(problems);
    Some(Resp::json(400, body))
}

/// Whether `name` is a valid chat-input command or option name.
pub fn valid_name(name: &str) -> bool {
    let allowed = |c: char| {
        c == '-'
            || c == '_'
            || c == '\''
            || c.is_alphanumeric()
            || ('\u{0900}'..='\u{097F}').contains(&c)
            || ('\u{0E00}'..='\u{0E7F}').contains(&c)
    };
    let count = name.chars().count();
    (1..=32).contains(&count) && name.chars().all(|c| allowed(c) && !c.is_uppercase())
}

fn length_within(value: &Value, min: usize, max: usize) -> bool {
    let count = value.as_str().map_or(0, |s| s.chars().count());
    (min..=max).contains(&count)
}

fn check_named(item: &Value, at: &[String], problems: &mut Vec<Problem>) {
    if !item["name"].as_str().is_some_and(valid_name) {
        let message = "Command name is invalid";
        problems.push((
            path(at, &["name"]),
            "APPLICATION_COMMAND_INVALID_NAME",
            message,
        ));
    }
    if !length_within(&item["description"], 1, 100) {
        let message = "Must be between 1 and 100 in length.";
        problems.push((path(at, &["description"]), "BASE_TYPE_BAD_LENGTH", message));
    }
}

/// Checks the `options` of a command (`depth` 0), a group (1) or a sub-command (2).
fn check_options(item: &Value, at: &[String], depth: usize, problems: &mut Vec<Problem>) {
    let options = item["options"].as_array().map_or(&[][..], Vec::as_slice);
    let here = path(at, &["options"]);
    if options.len() > MAX_OPTIONS {
        problems.push((
            here.clone(),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
    let kinds: Vec<u64> = options
        .iter()
        .map(|o| o["type"].as_u64().unwrap_or(0))
        .collect();
    let nesting = |k: &u64| *k == SUB_COMMAND || *k == SUB_COMMAND_GROUP;
    let mixed = kinds.iter().any(nesting) && !kinds.iter().all(nesting);
    let misplaced = kinds.iter().any(|k| match depth {
        0 => false,
        1 => *k != SUB_COMMAND,
        _ => nesting(k),
    });
    if mixed || misplaced {
        let message = "Sub-command and sub-command group option types are mutually exclusive to all other types";
        problems.push((
            here.clone(),
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            message,
        ));
    }
    let mut optional_seen = false;
    for (i, option) in options.iter().enumerate() {
        let at = path(&here, &[&i.to_string()]);
        check_option(option, &at, depth, problems);
        let required = option["required"].as_bool() == Some(true);
        if required && optional_seen {
            let message = "Required options must be placed before non-required options";
            problems.push((
                at.clone(),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                message,
            ));
        }
        optional_seen |= !required && !nesting(&kinds[i]);
    }
}

fn check_option(option: &Value, at: &[String], depth: usize, problems: &mut Vec<Problem>) {
    check_named(option, at, problems);
    let kind = option["type"].as_u64().unwrap_or(0);
    if !(1..=11).contains(&kind) {
        let message = "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.";
        problems.push((path(at, &["type"]), "BASE_TYPE_CHOICES", message));
    }
    let choices = option["choices"].as_array().map_or(&[][..], Vec::as_slice);
    if choices.len() > MAX_CHOICES {
        let message = "Must be 25 or fewer in length.";
        problems.push((path(at, &["choices"]), "BASE_TYPE_MAX_LENGTH", message));
    }
    for (i, choice) in choices.iter().enumerate() {
        if !length_within(&choice["name"], 1, 100) {
            let at = path(at, &["choices", &i.to_string(), "name"]);
            problems.push((
                at,
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
    }
    if kind == SUB_COMMAND || kind == SUB_COMMAND_GROUP {
        let depth = if kind == SUB_COMMAND { 2 } else { depth + 1 };
        check_options(option, at, depth, problems);
    }
}

fn path(at: &[String], more: &[&str]) -> Vec<String> {
    at.iter()
        .cloned()
        .chain(more.iter().map(|s| s.to_string()))
        .collect()
}

/// Discord's nested `errors` object from the problems' paths.
fn nest(problems: Vec<Problem>) -> Value {
    let mut root = Value::Object(Map::new());
    for (at, code, message) in problems {
        let mut node = &mut root;
        for key in &at {
            node = node
                .as_object_mut()
                .map(|m| m.entry(key.clone()).or_insert_with(|| json!({})))
                .expect("error nodes are objects");
        }
        let errors = node
            .as_object_mut()
            .map(|m| m.entry("_errors").or_insert_with(|| json!([])))
            .expect("error nodes are objects");
        if let Some(list) = errors.as_array_mut() {
            list.push(json!({ "code": code, "message": message }));
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(name: &str, kind: u64, required: bool) -> Value {
        json!({ "name": name, "description": "d", "type": kind, "required": required })
    }

    fn command(options: Vec<Value>) -> Value {
        json!({ "name": "topgg", "description": "Top.gg", "options": options })
    }

    fn errors(list: &[Value]) -> Value {
        let refused = refusal(list).expect("refused");
        assert_eq!(refused.status, 400);
        let body = refused.body.unwrap();
        assert_eq!(
            (body["code"].as_u64(), body["message"].as_str()),
            (Some(50035), Some("Invalid Form Body"))
        );
        body["errors"].clone()
    }

    #[test]
    fn a_valid_command_with_subcommands_and_choices_is_accepted() {
        let mut sub = option("message", 1, false);
        let mut style = option("style", 3, true);
        style["choices"] = json!([{ "name": "Text", "value": "text" }]);
        sub["options"] = json!([style, option("template", 3, false)]);
        assert!(refusal(&[command(vec![sub])]).is_none());
        assert!(valid_name("ünïcode-name_2") && valid_name("नमस्ते"));
    }

    #[test]
    fn names_and_descriptions_are_refused_as_discord_does() {
        let bad = json!({ "name": "Topgg", "description": "" });
        let too_long = json!({ "name": "a".repeat(33), "description": "d".repeat(101) });
        let spaced = json!({ "name": "two words", "description": "d" });
        let errors = errors(&[bad, too_long, spaced]);
        let code = |v: &Value| v["_errors"][0]["code"].clone();
        assert_eq!(
            code(&errors["0"]["name"]),
            "APPLICATION_COMMAND_INVALID_NAME"
        );
        assert_eq!(code(&errors["0"]["description"]), "BASE_TYPE_BAD_LENGTH");
        assert_eq!(
            code(&errors["1"]["name"]),
            "APPLICATION_COMMAND_INVALID_NAME"
        );
        assert_eq!(code(&errors["1"]["description"]), "BASE_TYPE_BAD_LENGTH");
        assert_eq!(
            code(&errors["2"]["name"]),
            "APPLICATION_COMMAND_INVALID_NAME"
        );
    }

    #[test]
    fn option_order_counts_types_and_nesting_are_refused_as_discord_does() {
        let late_required = command(vec![option("a", 3, false), option("b", 3, true)]);
        let many: Vec<Value> = (0..26)
            .map(|i| option(&format!("o{i}"), 3, false))
            .collect();
        let mut chosen = option("c", 3, false);
        chosen["choices"] = json!(
            (0..26)
                .map(|i| json!({"name": format!("n{i}"), "value": i.to_string()}))
                .collect::<Vec<_>>()
        );
        let mixed = command(vec![option("sub", 1, false), option("plain", 3, false)]);
        let mut group = option("group", 2, false);
        group["options"] = json!([option("plain", 3, false)]);
        let list = [
            late_required,
            command(many),
            command(vec![chosen, option("t", 12, false)]),
            mixed,
            command(vec![group]),
        ];
        let errors = errors(&list);
        let code = |v: &Value| v["_errors"][0]["code"].clone();
        assert_eq!(
            code(&errors["0"]["options"]["1"]),
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"
        );
        assert_eq!(code(&errors["1"]["options"]), "BASE_TYPE_MAX_LENGTH");
        assert_eq!(
            code(&errors["2"]["options"]["0"]["choices"]),
            "BASE_TYPE_MAX_LENGTH"
        );
        assert_eq!(
            code(&errors["2"]["options"]["1"]["type"]),
            "BASE_TYPE_CHOICES"
        );
        assert_eq!(
            code(&errors["3"]["options"]),
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"
        );
        assert_eq!(
            code(&errors["4"]["options"]["0"]["options"]),
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"
        );
    }
}
