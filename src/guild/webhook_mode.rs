//! `/topgg webhook`: a connection for a project whose owner has no Top.gg integration. The
//! owner pastes its URL into the project's Webhooks page on Top.gg and its `whs_` secret back
//! here; from then on it is a connection like any other.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::SystemTime;

use super::names::resolve_bot_name;
use super::{Caller, refuse};
use crate::discord::Discord;
use crate::domain::events::ProjectKind;
use crate::domain::ids::ConnectionId;
use crate::domain::keys::LinkRef;
use crate::domain::template::{project_label, vote_url};
use crate::domain::time::Timestamp;
use crate::storage::{ConnectionCache, Db, NewWebhookConnection, WebhookConnection};

/// The project kinds `/topgg webhook` takes, as Top.gg names them.
pub const PROJECT_TYPES: [&str; 3] = ["bot", "server", "game"];

/// What `/topgg webhook` shows: the connection and the text around its URL.
#[derive(Debug, Clone)]
pub struct WebhookSetup {
    pub connection_id: ConnectionId,
    pub text: String,
}

/// `/topgg webhook`: the guild's connection for this project, made now (owned by the caller,
/// linked here, no secret yet) unless it exists. `id` names a bot or game; a server project
/// is the caller's guild.
pub async fn webhook_setup(
    db: &Db,
    discord: &Discord,
    caller: &Caller,
    project_type: &str,
    id: Option<&str>,
    public_url: &str,
) -> anyhow::Result<WebhookSetup> {
    if !caller.manages_guild {
        return refuse("You need the Manage Server permission to connect a project here.");
    }
    let platform_id = project_platform_id(caller, project_type, id)?;
    let guild = &caller.guild_id;
    let connection = match db
        .webhook_connection(guild, project_type, &platform_id)
        .await?
    {
        Some(found) => {
            // Linked again if `/topgg unlink` removed it: it was made for this server.
            db.link(
                LinkRef::new(guild, &found.connection_id),
                &caller.user_id,
                caller.now,
            )
            .await?;
            found
        }
        None => create(db, discord, caller, project_type, &platform_id).await?,
    };
    let name = connection.project_name.as_deref();
    let kind = ProjectKind::from(project_type);
    let label = project_label(name, &kind, &platform_id);
    let mut text = setup_text(&connection, &label, public_url);
    if vote_url(&kind, "").is_none() {
        text.push_str(
            "\nTop.gg's vote page for this kind of project is not known to me: set it with \
             `/topgg display vote_url:` to show a Vote button.",
        );
    }
    Ok(WebhookSetup {
        connection_id: connection.connection_id,
        text,
    })
}

/// Makes the connection (at most [`MAX_PER_GUILD`] per guild), naming a bot project by its
/// bot's username.
async fn create(
    db: &Db,
    discord: &Discord,
    caller: &Caller,
    project_type: &str,
    platform_id: &str,
) -> anyhow::Result<WebhookConnection> {
    if db.webhook_connection_count(&caller.guild_id).await? >= MAX_PER_GUILD {
        return refuse(format!(
            "This server already has {MAX_PER_GUILD} connections made with `/topgg webhook`."
        ));
    }
    let new = NewWebhookConnection {
        connection_id: new_connection_id(),
        guild_id: &caller.guild_id,
        project_type,
        project_platform_id: platform_id,
        owner_id: &caller.user_id,
        owner_name: &caller.name,
    };
    db.create_webhook_connection(&new, caller.now).await?;
    let id = new.connection_id;
    let project_name = match project_type {
        "bot" => resolve_bot_name(db, discord, &id, platform_id, caller.now).await,
        _ => None,
    };
    Ok(WebhookConnection {
        connection_id: id,
        has_secret: false,
        first_event_at: None,
        project_name,
    })
}

/// Connections one guild may make with `/topgg webhook` (each is a row and a URL).
const MAX_PER_GUILD: i64 = 25;

/// The project's id on its platform: this guild for a server, else `id` (digits).
fn project_platform_id(
    caller: &Caller,
    project_type: &str,
    id: Option<&str>,
) -> anyhow::Result<String> {
    let id = id.map(str::trim).filter(|i| !i.is_empty());
    match (project_type, id) {
        ("server", None) => Ok(caller.guild_id.to_string()),
        ("server", Some(id)) if id == caller.guild_id.to_string() => Ok(id.to_string()),
        ("server", Some(_)) => refuse(
            "A server project is the server you run this in: leave `id` out, or run the \
             command in that server.",
        ),
        (_, None) => refuse(format!(
            "Give the {project_type}'s id with the `id` option (its number on Top.gg's page)."
        )),
        (_, Some(id)) if is_numeric_id(id) => Ok(id.to_string()),
        (_, Some(_)) => refuse("That `id` is not a valid id: it is a number of up to 20 digits."),
    }
}

fn is_numeric_id(id: &str) -> bool {
    (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// A connection id of Top.gg's shape: `wh` and 32 random hex digits.
fn new_connection_id() -> ConnectionId {
    let random = RandomState::new();
    let now = SystemTime::now();
    let (a, b) = (random.hash_one((now, 1u8)), random.hash_one((now, 2u8)));
    ConnectionId::parse(&format!("wh{a:016x}{b:016x}")).expect("`wh` and hex digits")
}

/// The webhook URL of a connection.
pub fn webhook_url(public_url: &str, connection: &ConnectionId) -> String {
    format!(
        "{}/topgg/webhooks/{connection}",
        public_url.trim_end_matches('/')
    )
}

fn setup_text(connection: &WebhookConnection, label: &str, public_url: &str) -> String {
    let url = webhook_url(public_url, &connection.connection_id);
    let secret = if connection.has_secret {
        "saved (paste it again to replace it)"
    } else {
        "not set yet: nothing sent to this URL is accepted until it is"
    };
    format!(
        "Webhook for **{label}** (connection `{id}`):\n`{url}`\n\
         1. On Top.gg, open your project's **Integrations & API** page, **Webhooks**, and \
         paste this URL there.\n\
         2. Top.gg then shows the webhook secret (it starts with `whs_`): press **Paste the \
         secret** below and paste it. The button works for {minutes} minutes; run \
         `/topgg webhook` again for a new one.\n\
         3. Choose the announcement channel with `/topgg channel`, then send a test from \
         Top.gg's Webhooks page.\n\
         Secret: {secret}.\n{first}",
        id = connection.connection_id,
        minutes = BUTTON_MINUTES,
        first = first_event_line(connection.first_event_at),
    )
}

/// How long the secret button answers (the command's interaction token lives 15 minutes).
pub const BUTTON_MINUTES: u64 = 14;

/// Whether (and when) a first signed event arrived, as one line.
pub fn first_event_line(at: Option<Timestamp>) -> String {
    match at {
        Some(at) => format!("First signed event from Top.gg: <t:{}:R>.", at.as_secs()),
        None => "No signed event from Top.gg has arrived yet.".to_string(),
    }
}

/// Why a pasted secret is not saved, if it is not: Top.gg's webhook secrets start with `whs_`.
pub fn secret_problem(secret: &str) -> Option<&'static str> {
    if secret.is_empty() {
        Some("Nothing was pasted, so nothing changed.")
    } else if !secret.starts_with("whs_") {
        Some("That is not a Top.gg webhook secret (those start with `whs_`); nothing was saved.")
    } else if secret.len() < 16 || secret.len() > 200 || secret.contains(char::is_whitespace) {
        Some("That secret does not look whole (check the copy); nothing was saved.")
    } else {
        None
    }
}

/// The modal's answer: saves the secret of the guild's connection and makes this instance
/// verify with it at once. Never repeats the secret.
pub async fn save_webhook_secret(
    db: &Db,
    connections: &ConnectionCache,
    caller: &Caller,
    connection: &ConnectionId,
    pasted: &str,
) -> anyhow::Result<String> {
    let secret = pasted.trim();
    if let Some(problem) = secret_problem(secret) {
        return refuse(problem);
    }
    let (guild, now) = (&caller.guild_id, caller.now);
    if !db
        .set_webhook_secret(guild, connection, secret, now)
        .await?
    {
        return refuse("That connection is gone; run `/topgg webhook` again.");
    }
    if let Err(error) = connections.reload(connection).await {
        tracing::warn!(error = format!("{error:#}"), %connection,
            "saved secret not reread; it is picked up at the next check");
    }
    Ok(format!(
        "Secret saved for connection `{connection}`. Send a test from Top.gg's Webhooks page: \
         it posts a notice in the channel chosen with `/topgg channel`."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            guild_id: 1100.into(),
            user_id: 7.into(),
            name: "admin".into(),
            avatar_url: None,
            manages_guild: true,
            now: Timestamp::EPOCH,
        }
    }

    fn platform_id(kind: &str, id: Option<&str>) -> Result<String, String> {
        project_platform_id(&caller(), kind, id).map_err(|e| e.to_string())
    }

    #[test]
    fn a_server_project_is_the_guild_the_command_runs_in() {
        assert_eq!(platform_id("server", None), Ok("1100".into()));
        assert_eq!(platform_id("server", Some("1100")), Ok("1100".into()));
        assert!(platform_id("server", Some("42")).is_err());
    }

    #[test]
    fn bots_and_games_need_a_numeric_id() {
        assert_eq!(platform_id("bot", Some(" 42 ")), Ok("42".into()));
        assert!(platform_id("game", None).unwrap_err().contains("`id`"));
        assert!(platform_id("bot", Some("../guilds/1")).is_err());
        assert!(platform_id("bot", Some(&"9".repeat(21))).is_err());
    }

    #[test]
    fn connection_ids_have_top_ggs_shape_and_differ() {
        let (a, b) = (new_connection_id(), new_connection_id());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 34);
        assert!(a.as_str().starts_with("wh"));
        assert!(a.as_str().bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn only_whole_whs_secrets_are_saved() {
        assert!(secret_problem("").unwrap().contains("Nothing"));
        assert!(
            secret_problem("sk_0123456789abcdef")
                .unwrap()
                .contains("whs_")
        );
        assert!(secret_problem("whs_short").is_some());
        assert!(secret_problem("whs_0123 456789abcdef").is_some());
        assert_eq!(secret_problem("whs_0123456789abcdef"), None);
    }

    #[test]
    fn the_setup_text_names_the_url_and_never_a_secret() {
        let connection = WebhookConnection {
            connection_id: "wh1".parse().unwrap(),
            has_secret: true,
            first_event_at: Some(Timestamp::from_millis(5_000)),
            project_name: None,
        };
        let text = setup_text(&connection, "My bot", "https://bot.example/");
        assert!(text.contains("`https://bot.example/topgg/webhooks/wh1`"));
        assert!(text.contains("Integrations & API"));
        assert!(text.contains("Secret: saved"));
        assert!(text.contains("<t:5:R>"));
    }
}
