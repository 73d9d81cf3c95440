//! Discord's answers, read into the few fields the bot uses (anything else is ignored, and a
//! field Discord leaves out reads as absent).

use serde::Deserialize;

use crate::domain::ids::ChannelId;

/// A user (`GET /users/{id}`, `GET /users/@me`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct UserAnswer {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    global_name: Option<String>,
}

impl UserAnswer {
    /// Reads a user; a body that is not one reads as a user with no names.
    pub(super) fn read(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// The user's unique name.
    pub(super) fn username(&self) -> Option<&str> {
        self.username.as_deref().filter(|n| !n.is_empty())
    }

    /// The name Discord shows: the global display name, else the username.
    pub(super) fn shown_name(&self) -> Option<&str> {
        let global = self.global_name.as_deref().filter(|n| !n.is_empty());
        global.or(self.username())
    }
}

/// A channel Discord made (`POST /users/@me/channels`): its id, when it is a snowflake.
#[derive(Debug, Deserialize)]
pub(super) struct ChannelAnswer {
    pub id: ChannelId,
}

impl ChannelAnswer {
    pub(super) fn read(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }
}

/// An error answer's JSON body (`{"code", "message"}`; a 429's `retry_after` and `global`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorAnswer {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    /// Seconds, fractional.
    #[serde(default)]
    pub retry_after: Option<f64>,
    #[serde(default)]
    pub global: Option<bool>,
}

impl ErrorAnswer {
    /// Reads an error body; one that is not JSON (an HTML page) reads as empty.
    pub(super) fn read(body: &str) -> Self {
        serde_json::from_str(body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_shown_by_global_name_else_username() {
        let both = UserAnswer::read(br#"{"id":"1","username":"ann","global_name":"Ann B"}"#);
        assert_eq!(both.shown_name(), Some("Ann B"));
        let plain = UserAnswer::read(br#"{"username":"ann","global_name":null}"#);
        assert_eq!(plain.shown_name(), Some("ann"));
        assert_eq!(UserAnswer::read(b"<html>").shown_name(), None);
    }

    #[test]
    fn a_channel_without_a_snowflake_id_is_not_read() {
        assert_eq!(
            ChannelAnswer::read(br#"{"id":"99","type":1}"#).map(|c| c.id),
            Some(ChannelId::from(99))
        );
        assert!(ChannelAnswer::read(br#"{"id":"x"}"#).is_none());
        assert!(ChannelAnswer::read(b"{}").is_none());
    }

    #[test]
    fn an_error_body_that_is_not_json_reads_as_empty() {
        let limited = ErrorAnswer::read(r#"{"message":"slow","retry_after":1.5,"global":true}"#);
        assert_eq!(
            (limited.retry_after, limited.global, limited.code),
            (Some(1.5), Some(true), None)
        );
        let html = ErrorAnswer::read("<html>Error 1015</html>");
        assert_eq!((html.code, html.message, html.global), (None, None, None));
    }
}
