//! `/topgg link` and `/topgg unlink`: claiming a connection for a guild, and letting it go.

use super::names::resolve_bot_name;
use super::{Caller, refuse, sanitize, target};
use crate::discord::Discord;
use crate::domain::events::ProjectKind;
use crate::domain::ids::{ConnectionId, GuildId};
use crate::domain::keys::LinkRef;
use crate::domain::template::{project_label, vote_url};
use crate::storage::{Db, OwnedConnection};

/// `/topgg link`: links one of the caller's connections to their guild and says so, naming a
/// bot project by its bot's name on Discord (read now). Only the user who clicked Connect
/// may, and only with Manage Server.
pub async fn link_project(
    db: &Db,
    discord: &Discord,
    caller: &Caller,
    connection: Option<&str>,
) -> anyhow::Result<String> {
    let chosen = claim(db, caller, connection).await?;
    let name = match chosen.project_type {
        ProjectKind::Bot => {
            let (id, bot) = (&chosen.connection_id, &chosen.project_platform_id);
            resolve_bot_name(db, discord, id, bot, caller.now).await
        }
        _ => None,
    };
    Ok(claimed_reply(&chosen, name.as_deref()))
}

/// `/topgg unlink`: removes the project from the guild, with its settings and reward roles.
pub async fn unlink(db: &Db, guild_id: &GuildId, project: Option<&str>) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    db.unlink(LinkRef::new(guild_id, &link.connection_id))
        .await?;
    Ok(format!("Unlinked **{}** from this server.", link.label()))
}

/// Links one of the caller's connections (the one named, or their only one waiting).
async fn claim(
    db: &Db,
    caller: &Caller,
    connection: Option<&str>,
) -> anyhow::Result<OwnedConnection> {
    if !caller.manages_guild {
        return refuse("You need the Manage Server permission to link a project to this server.");
    }
    let (guild_id, user_id) = (&caller.guild_id, &caller.user_id);
    let candidates = db.unlinked_connections_of(user_id, guild_id).await?;
    let chosen = match connection.map(str::trim).filter(|c| !c.is_empty()) {
        Some(wanted) => match candidates
            .iter()
            .find(|c| c.connection_id.as_str() == wanted)
        {
            Some(found) => found.clone(),
            None => return refuse(why_not_claimable(db, caller, wanted).await?),
        },
        None => match candidates.as_slice() {
            [only] => only.clone(),
            [] => {
                return refuse(
                    "You have no Top.gg connection waiting to be linked. Click Connect on your \
                     project's Top.gg page first (only the person who connected it can link it).",
                );
            }
            _ => {
                return refuse(
                    "You have several connections waiting: choose one with the `connection` option.",
                );
            }
        },
    };
    db.link(
        LinkRef::new(guild_id, &chosen.connection_id),
        user_id,
        caller.now,
    )
    .await?;
    Ok(chosen)
}

/// The answer to a successful `/topgg link`, naming the project (`name`, else its label).
fn claimed_reply(chosen: &OwnedConnection, name: Option<&str>) -> String {
    let name = name.or(chosen.project_name.as_deref());
    let name = project_label(name, &chosen.project_type, &chosen.project_platform_id);
    let mut reply = format!(
        "Linked **{name}** to this server. Next: choose where votes are announced with \
         `/topgg channel`, and reward voters with `/topgg roles add`."
    );
    if vote_url(&chosen.project_type, "").is_none() {
        reply.push_str(
            "\nTop.gg's vote page for this kind of project is not known to me: set it with \
             `/topgg display vote_url:` to show a Vote button.",
        );
    }
    reply
}

async fn why_not_claimable(db: &Db, caller: &Caller, wanted: &str) -> anyhow::Result<String> {
    let found = match ConnectionId::parse(wanted) {
        Ok(id) => db.connection(&id).await?,
        Err(_) => None,
    };
    let Some(connection) = found else {
        return Ok(format!(
            "There is no Top.gg connection `{}`.",
            sanitize(wanted)
        ));
    };
    if connection.owner_discord_id.as_ref() != Some(&caller.user_id) {
        return Ok(format!(
            "Only the person who clicked Connect on Top.gg ({}) can link this project.",
            connection
                .owner_discord_id
                .map_or(connection.owner_name, |id| format!("<@{id}>"))
        ));
    }
    let linked_here = db
        .links_in_guild(&caller.guild_id)
        .await?
        .iter()
        .any(|l| l.connection_id.as_str() == wanted);
    Ok(if linked_here {
        "That project is already linked to this server.".into()
    } else {
        format!("The connection `{}` cannot be linked.", sanitize(wanted))
    })
}
