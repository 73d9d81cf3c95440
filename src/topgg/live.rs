//! "Check my vote": one voter's live vote, asked of Top.gg and stored like a recovered vote
//! (same id, same path, same effects), so a check, a later recovery pass and Top.gg's own
//! webhook for the same vote make one vote between them.

use super::api::{ApiError, ListedVote};
use super::recovered::vote_project;
use super::recovery::Recovery;
use crate::domain::ids::{ConnectionId, UserId, VoterId};
use crate::domain::time::Timestamp;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveCheck {
    /// The project has no usable API token.
    NoToken,
    /// Top.gg has no live vote of this user.
    NoVote,
    /// A live vote the bot had not stored: stored now, with its effects.
    Recorded { expires_at: Timestamp },
    /// A live vote the bot had already.
    AlreadyStored { expires_at: Timestamp },
    /// The project's votes are not Discord users' (a game on another platform).
    NotDiscord,
    /// Top.gg could not be asked (down, rate limited, the token rejected).
    Unavailable,
}

impl Recovery {
    /// Asks Top.gg for `user`'s live vote on `connection`'s project and stores it if new.
    pub async fn check_live_vote(
        &self,
        connection: &ConnectionId,
        user: &UserId,
    ) -> anyhow::Result<LiveCheck> {
        let tokens = self.db.usable_api_tokens().await?;
        let Some(token) = tokens.iter().find(|t| &t.connection_id == connection) else {
            return Ok(LiveCheck::NoToken);
        };
        let Some(conn) = self.db.connection(connection).await? else {
            return Ok(LiveCheck::NoToken);
        };
        let secret = &token.token.0;
        let project = match self.api.project(secret).await {
            Ok(project) => project,
            Err(error) => return Ok(self.unavailable(token, error).await),
        };
        if project.id != conn.project_id {
            return Ok(LiveCheck::Unavailable);
        }
        // Elsewhere a voter is known by another platform's id: a vote stored under their
        // Discord id would not be the same vote as its webhook.
        if project.platform != "discord" {
            return Ok(LiveCheck::NotDiscord);
        }
        let live = match self.api.live_vote(secret, user).await {
            Ok(Some(live)) => live,
            Ok(None) => return Ok(LiveCheck::NoVote),
            Err(error) => return Ok(self.unavailable(token, error).await),
        };
        let listed = ListedVote {
            // The live vote does not carry the voter's Top.gg id; the Discord id stands in.
            user_id: user.get().to_string(),
            platform_id: VoterId::parse(&user.get().to_string())?,
            weight: live.weight,
            created_at: live.created_at,
            expires_at: live.expires_at,
        };
        let project = vote_project(&conn, &project);
        let stored = self.store(&conn, &project, &[&listed], false).await?;
        let expires_at = Timestamp::from(live.expires_at);
        Ok(match stored {
            0 => LiveCheck::AlreadyStored { expires_at },
            _ => LiveCheck::Recorded { expires_at },
        })
    }

    /// A failed question: a rejected token is recorded (and no longer used), as recovery does.
    async fn unavailable(&self, token: &crate::storage::ApiToken, error: ApiError) -> LiveCheck {
        if let ApiError::Rejected(_) = error {
            let (reason, now) = (error.to_string(), self.clock.now());
            let rejected =
                self.db
                    .reject_api_token(&token.connection_id, &token.token.0, &reason, now);
            if let Err(e) = rejected.await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "cannot record a rejected API token"
                );
            }
        } else {
            tracing::warn!(%error, "cannot check a live vote with Top.gg");
        }
        LiveCheck::Unavailable
    }
}
