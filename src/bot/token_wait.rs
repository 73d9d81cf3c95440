//! The gateway and a rejected token: a 401 or a 4004 close tells delivery at once (which
//! stops and checks the token once a minute), and the gateway reconnects only once delivery's
//! check found the token working again, so no reconnect loop spends invalid requests.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio_util::sync::CancellationToken;

use crate::discord::Discord;

/// How often the gateway looks whether the token works again (a local check, no call).
const POLL: Duration = Duration::from_millis(500);

/// Whether the gateway failed because Discord rejects the token.
pub fn rejects_token(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| match cause.downcast_ref::<serenity::Error>() {
            Some(serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication)) => true,
            Some(serenity::Error::Http(http)) => http.status_code().is_some_and(|s| s == 401),
            _ => false,
        })
}

/// Waits until delivery sees the token working again, or `stop`.
pub async fn until_accepted(discord: &Discord, stop: &CancellationToken) {
    while discord.problem().is_some() {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.cancelled() => return,
        }
    }
}
