use poise::serenity_prelude as serenity;
use serde_json::{Value, json};

use super::*;
use crate::standin::fixtures::{ChannelSpec, REWARD_ROLE_ID, text_channel};
use crate::standin::registered::check_level;

const VOICE: u64 = 1_400_000_000_000_000_102;

fn option(name: &str, kind: u64, extra: Value) -> Value {
    let mut o = json!({ "name": name, "description": "d", "type": kind });
    if let (Some(o), Value::Object(extra)) = (o.as_object_mut(), extra) {
        o.extend(extra);
    }
    o
}

/// Shaped as poise registers `/topgg`: a group, sub-commands, a choice parameter (integer
/// choices valued by index), channel types and autocomplete.
fn registered() -> Value {
    let add = option(
        "add",
        1,
        json!({ "options": [
            option("role", 8, json!({ "required": true })),
            option("votes", 4, json!({ "min_value": 1 })),
        ]}),
    );
    let channel = option(
        "channel",
        1,
        json!({ "options": [
            option("channel", 7, json!({ "channel_types": [0, 5] })),
            option("project", 3, json!({ "autocomplete": true })),
        ]}),
    );
    let styles = json!([{ "name": "embed", "value": 0 }, { "name": "text", "value": 1 }]);
    let message = option(
        "message",
        1,
        json!({ "options": [
            option("template", 3, json!({ "max_length": 10 })),
            option("style", 4, json!({ "choices": styles })),
        ]}),
    );
    let roles = option("roles", 2, json!({ "options": [add] }));
    option("topgg", 1, json!({ "options": [roles, channel, message] }))
}

fn guild() -> GuildModel {
    let voice = ChannelSpec {
        kind: 2,
        ..text_channel(VOICE, "lounge", 3)
    };
    GuildModel::default_guild().with_channel(voice)
}

fn build(path: &[&str], options: Vec<(&str, Opt)>) -> Result<BuiltOptions, String> {
    built_options(&registered(), &guild(), path, &options, None)
}

#[test]
fn a_command_is_built_with_its_registered_nesting_types_choices_and_resolved_objects() {
    let options = vec![("role", REWARD_ROLE_ID.into()), ("votes", 5.into())];
    let built = build(&["topgg", "roles", "add"], options).unwrap();
    let leaves = json!([
        { "name": "role", "type": 8, "value": REWARD_ROLE_ID.to_string() },
        { "name": "votes", "type": 4, "value": 5 },
    ]);
    let add = json!({ "name": "add", "type": 1, "options": leaves });
    assert_eq!(
        built.options,
        vec![json!({ "name": "roles", "type": 2, "options": [add] })]
    );
    assert_eq!(built.values, vec![Opt::Role(REWARD_ROLE_ID), Opt::Int(5)]);
    let ix = guild().interaction_of(2, "topgg", built.options.clone(), &built.values, 1);
    let resolved = &ix.payload["data"]["resolved"];
    let checked = check_level(&registered(), &built.options, "topgg", false, resolved);
    assert_eq!(checked, Ok(()), "what is built passes the delivery check");
    let resolved = &ix.payload["data"]["resolved"]["roles"][REWARD_ROLE_ID.to_string()];
    assert_eq!(resolved["name"], "Voter");
    let parsed: serenity::Interaction = serde_json::from_value(ix.payload).unwrap();
    let command = parsed.command().expect("a command interaction");
    let role = serenity::RoleId::new(REWARD_ROLE_ID);
    assert!(command.data.resolved.roles.contains_key(&role));

    let styled = build(&["topgg", "message"], vec![("style", "text".into())]).unwrap();
    let sent = &styled.options[0]["options"][0];
    assert_eq!(
        (&sent["type"], &sent["value"]),
        (&json!(4), &json!(1)),
        "a choice named as shown is sent as its registered value"
    );
}

/// A command path, the options given and the words of the refusal.
type Case<'a> = (&'a [&'a str], Vec<(&'a str, Opt)>, &'a str);

#[test]
fn what_discords_client_could_not_send_is_named() {
    let role = || ("role", Opt::from(REWARD_ROLE_ID));
    let cases: Vec<Case> = vec![
        (
            &["topgg"],
            vec![],
            "/topgg needs one of its sub-commands (roles, channel, message)",
        ),
        (
            &["topgg", "roles", "drop"],
            vec![],
            "/topgg roles has no sub-command `drop`",
        ),
        (
            &["nothing", "else"],
            vec![],
            "/nothing has no sub-command `else`",
        ),
        (
            &["topgg", "roles", "add"],
            vec![role(), ("colour", "red".into())],
            "no option `colour` (registered: role, votes)",
        ),
        (
            &["topgg", "roles", "add"],
            vec![role(), role()],
            "gets `role` twice",
        ),
        (
            &["topgg", "roles", "add"],
            vec![("votes", 5.into())],
            "missing its required role option `role`",
        ),
        (
            &["topgg", "roles", "add"],
            vec![("role", "Voter".into())],
            "`topgg roles add role` is registered with option type role (8)",
        ),
        (
            &["topgg", "roles", "add"],
            vec![("role", Opt::Channel(REWARD_ROLE_ID))],
            "registered with option type role",
        ),
        (
            &["topgg", "roles", "add"],
            vec![("role", 999u64.into())],
            "the guild has no role 999",
        ),
        (
            &["topgg", "roles", "add"],
            vec![role(), ("votes", 0.into())],
            "takes values from 1",
        ),
        (
            &["topgg", "roles", "add"],
            vec![role(), ("votes", "5".into())],
            "registered with option type integer (4)",
        ),
        (
            &["topgg", "channel"],
            vec![("channel", VOICE.into())],
            "offers only text and announcement channels (its channel_types); <#1400000000000000102> is a voice channel",
        ),
        (
            &["topgg", "channel"],
            vec![("channel", 77u64.into())],
            "the guild has no channel 77",
        ),
        (
            &["topgg", "message"],
            vec![("style", "fancy".into())],
            "offers the choices embed, text",
        ),
        (
            &["topgg", "message"],
            vec![("template", "far too long".into())],
            "takes 0 to 10 characters",
        ),
    ];
    for (path, options, expected) in cases {
        let problem = build(path, options).expect_err(expected);
        assert!(
            problem.contains(expected),
            "{problem:?} does not say {expected:?}"
        );
    }
    let typing = built_options(
        &registered(),
        &guild(),
        &["topgg", "message"],
        &[],
        Some(("template", "x")),
    );
    assert!(
        typing
            .unwrap_err()
            .contains("`topgg message template` is not registered with autocomplete")
    );
}

#[test]
fn an_autocompletion_marks_the_typed_option_focused_and_needs_no_required_option() {
    let typing = Some(("project", "Co"));
    let built = built_options(&registered(), &guild(), &["topgg", "channel"], &[], typing).unwrap();
    let focused = &built.options[0]["options"][0];
    assert_eq!(
        focused,
        &json!({ "name": "project", "type": 3, "value": "Co", "focused": true })
    );
    let add = built_options(
        &registered(),
        &guild(),
        &["topgg", "roles", "add"],
        &[],
        None,
    );
    assert!(add.is_err(), "a command needs its required options");
}
