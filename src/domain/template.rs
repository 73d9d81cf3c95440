//! Announcement templates: `{placeholder}` substitution in one pass.

use serde_json::{Map, Value};

use super::events::ProjectKind;
use super::ids::UserId;
use super::text::literal;
use super::time::Timestamp;

/// The vote page's query parameters (`data.query`), as Top.gg sends them.
pub type Query = Map<String, Value>;

/// A query value is text from the vote page's URL: at most this many characters are shown.
const MAX_QUERY_VALUE_CHARS: usize = 100;

/// Used when a guild has not set its own template.
pub const DEFAULT_TEMPLATE: &str =
    "{user} just voted for **{project}**! Total votes: {votes}. They can vote again {next_vote}.";

/// The values a template can refer to.
#[derive(Debug, Clone)]
pub struct TemplateValues<'a> {
    /// The voter as a Discord user; `None` for a voter who is not one (named, never mentioned).
    pub user_id: Option<&'a UserId>,
    pub user_name: &'a str,
    pub project_name: Option<&'a str>,
    pub project_id: &'a str,
    pub votes: i64,
    pub streak: i64,
    pub weight: i64,
    /// When the voter may vote again.
    pub next_vote_at: Timestamp,
    /// Empty when the project's vote page is not known.
    pub vote_url: &'a str,
    /// `data.query` of the vote, for `{query.KEY}`.
    pub query: Option<&'a Query>,
}

impl TemplateValues<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(key) = name.strip_prefix("query.") {
            return Some(self.query_value(key));
        }
        Some(match name {
            "user" => match self.user_id {
                Some(id) => format!("<@{id}>"),
                None => self.plain_name(),
            },
            "user.name" => literal(self.user_name),
            "user.id" => self.user_id.map(ToString::to_string).unwrap_or_default(),
            "project" => literal(self.project_name.unwrap_or(self.project_id)),
            "project.id" => self.project_id.to_string(),
            "votes" => self.votes.to_string(),
            "streak" => self.streak.to_string(),
            "weight" => self.weight.to_string(),
            "next_vote" => format!("<t:{}:R>", self.next_vote_at.as_secs()),
            "vote_url" => self.vote_url.to_string(),
            _ => return None,
        })
    }

    /// `{user}` of a voter who is not a Discord user: their name (shown as written), else
    /// "Someone".
    fn plain_name(&self) -> String {
        match self.user_name {
            "" => "Someone".to_string(),
            name => literal(name),
        }
    }

    /// `{query.KEY}`: the parameter's text (shown as written), empty when absent.
    fn query_value(&self, key: &str) -> String {
        let text = match self.query.and_then(|q| q.get(key)) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        literal(&text.chars().take(MAX_QUERY_VALUE_CHARS).collect::<String>())
    }
}

/// Replaces every known `{placeholder}`; unknown ones stay as written. Substituted values are
/// never scanned again, so a voter named `{votes}` stays `{votes}`.
pub fn render(template: &str, values: &TemplateValues) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(['}', '{']) {
            Some(close) if after.as_bytes()[close] == b'}' => {
                let name = &after[..close];
                match values.lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The public vote page of a project, for the types whose page is known (bots and servers);
/// other types (games, future kinds) have one only when `/topgg display` set it.
pub fn vote_url(project_type: &ProjectKind, platform_id: &str) -> Option<String> {
    match project_type {
        ProjectKind::Server => Some(format!("https://top.gg/discord/servers/{platform_id}/vote")),
        ProjectKind::Bot => Some(format!("https://top.gg/bot/{platform_id}/vote")),
        _ => None,
    }
}

/// Longest project name shown in a message.
const MAX_PROJECT_NAME_CHARS: usize = 100;

/// How a project is named in messages and replies, ready for markdown (shown as written): its
/// name, or its type and id when no name can be had.
pub fn project_label(name: Option<&str>, project_type: &ProjectKind, platform_id: &str) -> String {
    match name {
        Some(name) => literal(
            &name
                .chars()
                .take(MAX_PROJECT_NAME_CHARS)
                .collect::<String>(),
        ),
        None => literal(&format!("{project_type} {platform_id}")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static VOTER: LazyLock<UserId> = LazyLock::new(|| UserId::from(42));

    fn values() -> TemplateValues<'static> {
        TemplateValues {
            user_id: Some(&VOTER),
            user_name: "Ann",
            project_name: None,
            project_id: "7",
            votes: 3,
            streak: 2,
            weight: 1,
            next_vote_at: Timestamp::from_millis(1_770_000_000_000),
            vote_url: "https://top.gg/bot/9/vote",
            query: None,
        }
    }

    #[test]
    fn every_placeholder_is_substituted() {
        let out = render(
            "{user} {user.name} {user.id} {project} {project.id} {votes} {streak} {weight} {next_vote} {vote_url}",
            &values(),
        );
        assert_eq!(
            out,
            "<@42> Ann 42 7 7 3 2 1 <t:1770000000:R> https://top.gg/bot/9/vote"
        );
    }

    #[test]
    fn a_voter_who_is_not_a_discord_user_is_named_not_mentioned() {
        let v = TemplateValues {
            user_id: None,
            ..values()
        };
        assert_eq!(render("{user}|{user.id}|{user.name}", &v), "Ann||Ann");
        let nameless = TemplateValues { user_name: "", ..v };
        assert_eq!(render("{user} voted", &nameless), "Someone voted");
    }

    #[test]
    fn the_project_name_is_used_when_known() {
        let v = TemplateValues {
            project_name: Some("Cool Bot"),
            ..values()
        };
        assert_eq!(render("{project}", &v), "Cool Bot");
    }

    #[test]
    fn unknown_placeholders_and_stray_braces_are_left_as_written() {
        assert_eq!(render("{nope} {votes", &values()), "{nope} {votes");
        assert_eq!(render("{{votes}} }", &values()), "{3} }");
        assert_eq!(render("", &values()), "");
    }

    #[test]
    fn a_voter_name_that_looks_like_a_placeholder_is_not_expanded() {
        let v = TemplateValues {
            user_name: "{votes} @everyone",
            ..values()
        };
        let out = render("{user.name}", &v);
        assert_eq!(crate::domain::text::as_shown(&out), "{votes} @everyone");
    }

    #[test]
    fn the_default_template_mentions_voter_project_total_and_next_vote() {
        let out = render(DEFAULT_TEMPLATE, &values());
        for part in ["<@42>", "7", "Total votes: 3", "<t:1770000000:R>"] {
            assert!(out.contains(part), "{out} lacks {part}");
        }
    }

    #[test]
    fn vote_urls_differ_for_bots_and_servers() {
        assert_eq!(
            vote_url(&ProjectKind::Bot, "1").unwrap(),
            "https://top.gg/bot/1/vote"
        );
        assert_eq!(
            vote_url(&ProjectKind::Server, "1").unwrap(),
            "https://top.gg/discord/servers/1/vote"
        );
        assert_eq!(vote_url(&ProjectKind::Game, "1"), None);
    }

    #[test]
    fn query_parameters_are_offered_and_absent_ones_are_empty() {
        let query: Query = serde_json::from_str(r#"{"ref":"discord","n":3}"#).unwrap();
        let v = TemplateValues {
            query: Some(&query),
            ..values()
        };
        assert_eq!(
            render("[{query.ref}|{query.n}|{query.x}]", &v),
            "[discord|3|]"
        );
        assert_eq!(render("[{query.ref}]", &values()), "[]");
    }

    #[test]
    fn a_masked_link_in_a_query_value_is_shown_as_text_and_not_rendered() {
        let query: Query =
            serde_json::from_str(r#"{"ref":"[Free Nitro](https://evil.example)"}"#).unwrap();
        let v = TemplateValues {
            query: Some(&query),
            ..values()
        };
        let out = render("from {query.ref}", &v);
        assert!(!out.contains("[Free Nitro]("), "{out}");
        assert_eq!(
            crate::domain::text::as_shown(&out),
            "from [Free Nitro](https://evil.example)"
        );
    }

    #[test]
    fn voter_and_project_names_are_shown_as_written_and_format_nothing() {
        let v = TemplateValues {
            user_name: "voter_4 # big\u{202E}",
            project_name: Some("||spoiler||"),
            ..values()
        };
        let out = render("{user.name} {project}", &v);
        assert_eq!(out, "voter\\_4 \\# big \\|\\|spoiler\\|\\|");
        assert_eq!(
            crate::domain::text::as_shown(&out),
            "voter_4 # big ||spoiler||"
        );
    }
}
