//! `/topgg api`: a project's Top.gg API token, checked with Top.gg before it is stored.

use secrecy::SecretString;

use super::{refuse, sanitize, target};
use crate::domain::ids::GuildId;
use crate::domain::time::Timestamp;
use crate::storage::Db;
use crate::topgg::{ApiError, TopggApi};

/// Stores the API token of the guild's project once `GET /projects/@me` shows it belongs to
/// that project; an empty token removes it. The token never appears in a reply.
pub async fn set_api_token(
    db: &Db,
    api: &TopggApi,
    guild_id: &GuildId,
    project: Option<&str>,
    token: &str,
    now: Timestamp,
) -> anyhow::Result<String> {
    let link = target(db, guild_id, project).await?;
    let label = sanitize(&link.label());
    let token = token.trim();
    if token.is_empty() {
        db.set_api_token(&link.connection_id, None, now).await?;
        return Ok(format!(
            "Removed the Top.gg API token of **{label}**: missed votes are no longer recovered."
        ));
    }
    let secret = SecretString::new(token.to_string());
    let owner = match api.project(&secret).await {
        Ok(owner) => owner,
        Err(ApiError::Rejected(_)) => {
            return refuse(
                "Top.gg does not accept this token (regenerated, or mistyped?): nothing was saved.",
            );
        }
        Err(e) => {
            return refuse(format!(
                "Top.gg could not check the token ({e}): nothing was saved. Try again in a minute."
            ));
        }
    };
    if owner.id != link.project_id {
        return refuse(format!(
            "This token belongs to another Top.gg project ({}): nothing was saved.",
            sanitize(&owner.name)
        ));
    }
    db.set_api_token(&link.connection_id, Some(&secret), now)
        .await?;
    Ok(format!(
        "Saved the Top.gg API token of **{label}**. Votes Top.gg could not deliver are now \
         recovered (the first time, the last year is imported into totals and leaderboards)."
    ))
}
