//! `/topgg api`: a project's Top.gg API token, checked with Top.gg before it is stored.

use secrecy::SecretString;

use super::{refuse, sanitize, target};
use crate::domain::ids::GuildId;
use crate::domain::time::Timestamp;
use crate::storage::{ApiTokenState, Db, GuildLink, UNPROVEN_PROJECT};
use crate::topgg::{ApiError, ApiProject, TopggApi};

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
        Err(ApiError::Rejected(reason)) => {
            return refuse(format!(
                "Top.gg does not accept this token ({}; regenerated, or mistyped?): nothing was \
                 saved.",
                sanitize(&reason)
            ));
        }
        Err(e) => {
            return refuse(format!(
                "Top.gg could not check the token ({e}): nothing was saved. Try again in a minute."
            ));
        }
    };
    let another = || {
        refuse(format!(
            "This token belongs to another Top.gg project ({}): nothing was saved.",
            sanitize(&owner.name)
        ))
    };
    if link.project_id.starts_with(UNPROVEN_PROJECT) {
        // A webhook-mode connection: the token proves its project (and from now on its
        // votes count in the project's shared history, its own merged into it).
        if !same_project(&owner, &link) {
            return another();
        }
        if !db
            .prove_project(&link.connection_id, &owner.id, &secret, now)
            .await?
        {
            return refuse("This connection changed meanwhile: nothing was saved. Try again.");
        }
    } else if owner.id != link.project_id {
        return another();
    } else {
        db.set_api_token(&link.connection_id, Some(&secret), now)
            .await?;
    }
    let name = sanitize(&owner.name);
    Ok(format!(
        "Saved the Top.gg API token of **{label}** (Top.gg project **{name}**). Votes Top.gg could not deliver are now \
         recovered (the first time, the last year is imported into totals and leaderboards)."
    ))
}

/// Whether the project a token belongs to is the one a webhook-mode connection was made for
/// (its type, and its platform id when Top.gg names it).
fn same_project(owner: &ApiProject, link: &GuildLink) -> bool {
    owner.kind == link.project_type.as_str()
        && owner
            .platform_id
            .as_deref()
            .is_none_or(|id| id == link.project_platform_id)
}

/// `/topgg status`'s line on a link's API token (never the token itself).
pub fn api_token_line(state: Option<&ApiTokenState>) -> String {
    let Some(state) = state.filter(|s| s.has_token) else {
        return "API token: not set (`/topgg api` lets me recover votes Top.gg could not deliver)"
            .into();
    };
    if let Some(at) = state.rejected_at {
        let reason = sanitize(
            state
                .rejected_reason
                .as_deref()
                .unwrap_or("no reason given"),
        );
        return format!(
            "API token: rejected by Top.gg <t:{}:R> ({reason}); missed votes are not recovered \
             until you set a new one with `/topgg api`",
            at.as_secs()
        );
    }
    match state.recovered_until {
        Some(until) => format!(
            "API token: set; missed votes recovered up to <t:{}:R>",
            until.as_secs()
        ),
        None => "API token: set; the first recovery pass has not run yet".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(rejected: bool) -> ApiTokenState {
        ApiTokenState {
            has_token: true,
            set_at: Timestamp::from_millis(1_000),
            imported_at: None,
            recovered_until: Some(Timestamp::from_millis(60_000)),
            rejected_at: rejected.then(|| Timestamp::from_millis(120_000)),
            rejected_reason: rejected.then(|| "Invalid or missing API token".to_string()),
        }
    }

    #[test]
    fn a_link_without_a_token_says_how_to_set_one() {
        assert!(api_token_line(None).contains("not set (`/topgg api`"));
        let removed = ApiTokenState {
            has_token: false,
            ..state(false)
        };
        assert!(api_token_line(Some(&removed)).starts_with("API token: not set"));
    }

    #[test]
    fn a_usable_token_shows_how_far_recovery_got() {
        let line = api_token_line(Some(&state(false)));
        assert_eq!(
            line,
            "API token: set; missed votes recovered up to <t:60:R>"
        );
    }

    #[test]
    fn a_rejected_token_says_when_and_why_top_gg_rejected_it() {
        let line = api_token_line(Some(&state(true)));
        assert!(
            line.starts_with("API token: rejected by Top.gg <t:120:R>"),
            "{line}"
        );
        assert!(line.contains("Invalid or missing API token"), "{line}");
    }
}
