//! [`Opt`]: the value a test gives a slash-command option.

use serde_json::{Value, json};

/// A slash-command option value. Strings, integers, numbers and booleans convert with `.into()`
/// (also from `serde_json::Value`); users, roles and channels get `data.resolved` entries.
///
/// Built from a registration ([`DiscordStandIn::invocation`](super::DiscordStandIn::invocation)),
/// a value is read as the registered option type: an [`Opt::Id`] (`.into()` from a `u64`) is a
/// user, role or channel as registered, and a string names a choice of an option with choices.
#[derive(Clone, Debug, PartialEq)]
pub enum Opt {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    User(u64),
    Channel(u64),
    Role(u64),
    Mentionable(u64),
    /// A user, role or channel id, typed by the registration (hand-built: a mentionable).
    Id(u64),
}

impl Opt {
    pub(super) fn kind(&self) -> u8 {
        match self {
            Opt::Str(_) => 3,
            Opt::Int(_) => 4,
            Opt::Bool(_) => 5,
            Opt::User(_) => 6,
            Opt::Channel(_) => 7,
            Opt::Role(_) => 8,
            Opt::Mentionable(_) | Opt::Id(_) => 9,
            Opt::Num(_) => 10,
        }
    }

    pub(super) fn value(&self) -> Value {
        match self {
            Opt::Str(s) => json!(s),
            Opt::Int(i) => json!(i),
            Opt::Num(n) => json!(n),
            Opt::Bool(b) => json!(b),
            Opt::User(id)
            | Opt::Channel(id)
            | Opt::Role(id)
            | Opt::Mentionable(id)
            | Opt::Id(id) => json!(id.to_string()),
        }
    }
}

impl From<&str> for Opt {
    fn from(s: &str) -> Self {
        Opt::Str(s.to_string())
    }
}
impl From<String> for Opt {
    fn from(s: String) -> Self {
        Opt::Str(s)
    }
}
impl From<i64> for Opt {
    fn from(i: i64) -> Self {
        Opt::Int(i)
    }
}
/// So that a bare literal (`5.into()`) is an integer.
impl From<i32> for Opt {
    fn from(i: i32) -> Self {
        Opt::Int(i.into())
    }
}
/// A snowflake: typed as the registered option (user, role, channel or mentionable).
impl From<u64> for Opt {
    fn from(id: u64) -> Self {
        Opt::Id(id)
    }
}
impl From<f64> for Opt {
    fn from(n: f64) -> Self {
        Opt::Num(n)
    }
}
impl From<bool> for Opt {
    fn from(b: bool) -> Self {
        Opt::Bool(b)
    }
}
impl From<Value> for Opt {
    fn from(v: Value) -> Self {
        match v {
            Value::Bool(b) => Opt::Bool(b),
            Value::Number(n) if n.is_i64() => Opt::Int(n.as_i64().unwrap_or_default()),
            Value::Number(n) => Opt::Num(n.as_f64().unwrap_or_default()),
            Value::String(s) => Opt::Str(s),
            other => Opt::Str(other.to_string()),
        }
    }
}
