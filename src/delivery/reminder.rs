//! Sending one vote reminder DM.

use crate::discord::error::ErrorCode;
use crate::discord::{Discord, DiscordError, Sent};
use crate::domain::ids::{ConnectionId, UserId};
use crate::domain::reminder::{ReminderProject, reminder_message};
use crate::domain::time::Timestamp;
use crate::storage::Db;

/// Sends the reminder of `user_id` for `connection_id`, unless the connection is gone or the
/// voter opted out meanwhile. When Discord refuses the DM (50007) every reminder of the voter
/// is turned off and they are told on their next `/remind` or `/vote`.
pub async fn send(
    db: &Db,
    discord: &Discord,
    voter: &UserId,
    connection_id: &ConnectionId,
    nonce: &str,
    now: Timestamp,
) -> Result<Sent, DiscordError> {
    let database = |e: anyhow::Error| DiscordError::Transient(format!("database: {e}"));
    let Some(connection) = db.connection(connection_id).await.map_err(database)? else {
        return Ok(Sent::default());
    };
    if !db
        .reminder_is_on(connection_id, voter)
        .await
        .map_err(database)?
    {
        return Ok(Sent::default());
    }
    let project = match db.first_link_of(connection_id).await.map_err(database)? {
        Some(link) => ReminderProject {
            name: link.label(),
            vote_url: link.vote_url().unwrap_or_default(),
        },
        None => ReminderProject::from_connection(
            &connection.project_type,
            &connection.project_platform_id,
            connection.project_name.as_deref(),
        ),
    };
    let result = discord
        .send_dm(voter, &reminder_message(&project), nonce)
        .await;
    if let Err(error) = &result
        && error.refusal() == Some(ErrorCode::CannotDm)
    {
        tracing::info!(
            user_id = %voter,
            "voter accepts no DMs: their reminders are turned off"
        );
        let reason = "Discord refused the DM (50007)";
        db.reminders_refused(voter, reason, now)
            .await
            .map_err(database)?;
    }
    result
}
