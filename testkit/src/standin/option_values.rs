//! One option's value as Discord's client sends it for a registered option: the JSON `value`
//! for the registered type, the registered value of a choice named as the client shows it,
//! and the typed [`Opt`] whose user, role or channel goes into `data.resolved`. What the
//! client would not let anyone send (a value of another type, a role or channel the guild
//! does not have, a channel of a type the option does not offer, a value out of its range)
//! is a sentence naming the option.

use serde_json::{Value, json};

use super::fixtures::GuildModel;
use super::opt::Opt;

const STRING: u64 = 3;
const INTEGER: u64 = 4;
const BOOLEAN: u64 = 5;
const USER: u64 = 6;
const CHANNEL: u64 = 7;
const ROLE: u64 = 8;
const MENTIONABLE: u64 = 9;
const NUMBER: u64 = 10;

/// Discord's name of an application command option type.
pub fn type_name(kind: u64) -> &'static str {
    match kind {
        1 => "sub-command",
        2 => "sub-command group",
        STRING => "string",
        INTEGER => "integer",
        BOOLEAN => "boolean",
        USER => "user",
        CHANNEL => "channel",
        ROLE => "role",
        MENTIONABLE => "mentionable",
        NUMBER => "number",
        11 => "attachment",
        _ => "unknown",
    }
}

/// Discord's name of a channel type.
pub fn channel_type_name(kind: u64) -> &'static str {
    match kind {
        0 => "text",
        2 => "voice",
        4 => "category",
        5 => "announcement",
        13 => "stage",
        14 => "directory",
        15 => "forum",
        16 => "media",
        _ => "other",
    }
}

/// The `value` Discord sends for `given` in the option registered as `spec` (named `at`), and
/// the value typed as registered (for `data.resolved`).
pub fn option_value(
    spec: &Value,
    given: &Opt,
    model: &GuildModel,
    at: &str,
) -> Result<(Value, Opt), String> {
    let kind = spec["type"].as_u64().unwrap_or_default();
    let choices = spec["choices"].as_array().map_or(&[][..], Vec::as_slice);
    if !choices.is_empty() {
        return chosen(choices, given, at).map(|v| (v, given.clone()));
    }
    let wrong = || {
        format!(
            "`{at}` is registered with option type {} ({kind}); the test gives {given:?}",
            type_name(kind)
        )
    };
    let value = match (kind, given) {
        (STRING, Opt::Str(s)) => within_length(spec, s, at).map(|()| json!(s))?,
        (INTEGER, Opt::Int(i)) => within_range(spec, *i as f64, at).map(|()| json!(i))?,
        (NUMBER, Opt::Int(i)) => within_range(spec, *i as f64, at).map(|()| json!(i))?,
        (NUMBER, Opt::Num(n)) => within_range(spec, *n, at).map(|()| json!(n))?,
        (BOOLEAN, Opt::Bool(b)) => json!(b),
        (USER | ROLE | CHANNEL | MENTIONABLE, _) => {
            let id = snowflake(given).ok_or_else(wrong)?;
            let typed = typed_id(kind, given, id, model).ok_or_else(wrong)?;
            offered(spec, &typed, model, at)?;
            return Ok((json!(id.to_string()), typed));
        }
        _ => return Err(wrong()),
    };
    Ok((value, given.clone()))
}

/// The registered value of the choice `given` names (or is the value of).
fn chosen(choices: &[Value], given: &Opt, at: &str) -> Result<Value, String> {
    let by_name = match given {
        Opt::Str(name) => choices.iter().find(|c| c["name"] == name.as_str()),
        _ => None,
    };
    let value = match given {
        Opt::Int(i) => json!(i),
        Opt::Num(n) => json!(n),
        Opt::Str(s) => json!(s),
        other => json!(format!("{other:?}")),
    };
    let by_value = choices.iter().find(|c| c["value"] == value);
    match by_name.or(by_value) {
        Some(choice) => Ok(choice["value"].clone()),
        None => {
            let names: Vec<&str> = choices.iter().filter_map(|c| c["name"].as_str()).collect();
            Err(format!(
                "`{at}` offers the choices {}; the test gives {given:?}",
                names.join(", ")
            ))
        }
    }
}

fn snowflake(given: &Opt) -> Option<u64> {
    match given {
        Opt::User(id) | Opt::Role(id) | Opt::Channel(id) | Opt::Mentionable(id) | Opt::Id(id) => {
            Some(*id)
        }
        _ => None,
    }
}

/// `given` as the registered `kind`: an [`Opt::Id`] takes the kind, a typed id must match it
/// (a mentionable takes a user or a role).
fn typed_id(kind: u64, given: &Opt, id: u64, model: &GuildModel) -> Option<Opt> {
    match (kind, given) {
        (USER, Opt::User(_) | Opt::Id(_)) => Some(Opt::User(id)),
        (ROLE, Opt::Role(_) | Opt::Id(_)) => Some(Opt::Role(id)),
        (CHANNEL, Opt::Channel(_) | Opt::Id(_)) => Some(Opt::Channel(id)),
        (MENTIONABLE, Opt::Role(_)) => Some(Opt::Role(id)),
        (MENTIONABLE, Opt::User(_)) => Some(Opt::User(id)),
        (MENTIONABLE, Opt::Mentionable(_) | Opt::Id(_)) if model.role(id).is_some() => {
            Some(Opt::Role(id))
        }
        (MENTIONABLE, Opt::Mentionable(_) | Opt::Id(_)) => Some(Opt::User(id)),
        _ => None,
    }
}

/// Whether the client's picker offers this role or channel: one of the guild's, and a channel
/// of a type among the option's `channel_types` when it has them.
fn offered(spec: &Value, typed: &Opt, model: &GuildModel, at: &str) -> Result<(), String> {
    match typed {
        Opt::Role(id) if model.role(*id).is_none() => Err(format!(
            "`{at}`: the guild has no role {id}, so Discord's client cannot pick it"
        )),
        Opt::Channel(id) => {
            let Some(channel) = model.channel(*id) else {
                return Err(format!(
                    "`{at}`: the guild has no channel {id}, so Discord's client cannot pick it"
                ));
            };
            let types = spec["channel_types"]
                .as_array()
                .map_or(&[][..], Vec::as_slice);
            let kind = u64::from(channel.kind);
            if types.is_empty() || types.iter().any(|t| t.as_u64() == Some(kind)) {
                return Ok(());
            }
            let names: Vec<&str> = types
                .iter()
                .filter_map(Value::as_u64)
                .map(channel_type_name)
                .collect();
            Err(format!(
                "`{at}` offers only {} channels (its channel_types); <#{id}> is a {} channel",
                names.join(" and "),
                channel_type_name(kind)
            ))
        }
        _ => Ok(()),
    }
}

fn within_length(spec: &Value, s: &str, at: &str) -> Result<(), String> {
    let count = s.chars().count() as u64;
    let min = spec["min_length"].as_u64().unwrap_or(0);
    let max = spec["max_length"].as_u64().unwrap_or(6000);
    if (min..=max).contains(&count) {
        return Ok(());
    }
    Err(format!(
        "`{at}` takes {min} to {max} characters; the test gives {count}"
    ))
}

fn within_range(spec: &Value, n: f64, at: &str) -> Result<(), String> {
    let below = spec["min_value"].as_f64().is_some_and(|min| n < min);
    let above = spec["max_value"].as_f64().is_some_and(|max| n > max);
    if !below && !above {
        return Ok(());
    }
    Err(format!(
        "`{at}` takes values from {} to {}; the test gives {n}",
        spec["min_value"], spec["max_value"]
    ))
}
