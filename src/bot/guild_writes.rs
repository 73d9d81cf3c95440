//! The database writes gateway events about guilds cause (the Embed Links watch, guilds
//! present or removed, READY's reconciliation, paused roles to resume), made one at a time
//! in the order the events were handled, by one task per gateway session. A burst of
//! GUILD_CREATEs (a public bot's start-up) then neither waits on the pool all at once (and
//! times out, losing a guild's record) nor keeps each whole guild in memory meanwhile: a
//! write holds only what it needs of its event.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::embed_watch::{self, EmbedLinksUpdate};
use super::guild_events::{self, GuildChange, RolesChanged};
use super::guild_model::KnownGuilds;
use crate::domain::time::Timestamp;
use crate::storage::Db;

/// What one event asks of the database.
#[derive(Debug)]
pub struct GuildWrite {
    pub embed_links: Option<EmbedLinksUpdate>,
    pub change: Option<GuildChange>,
    /// A role or the bot's roles changed: the guild's paused reward roles are checked again.
    pub roles: Option<RolesChanged>,
    pub now: Timestamp,
}

impl GuildWrite {
    fn is_empty(&self) -> bool {
        self.embed_links.is_none() && self.change.is_none() && self.roles.is_none()
    }

    async fn apply(self, db: &Db, guilds: &KnownGuilds) {
        if let Some(update) = self.embed_links {
            embed_watch::record(db, update).await;
        }
        if let Some(change) = self.change {
            change.record(db, self.now).await;
        }
        if let Some(roles) = self.roles {
            guild_events::resume_roles(db, guilds, roles, self.now).await;
        }
    }
}

/// The queue to the session's writer; the writer ends once every sender is dropped.
#[derive(Debug, Clone)]
pub struct GuildWrites {
    queue: mpsc::UnboundedSender<GuildWrite>,
}

impl GuildWrites {
    /// Starts the writer; paused roles are checked against `guilds` as it is when written.
    pub fn start(db: Db, guilds: Arc<KnownGuilds>) -> GuildWrites {
        let (queue, mut writes) = mpsc::unbounded_channel::<GuildWrite>();
        tokio::spawn(async move {
            while let Some(write) = writes.recv().await {
                write.apply(&db, &guilds).await;
            }
        });
        GuildWrites { queue }
    }

    /// Queues `write` (nothing to do for an empty one).
    pub fn send(&self, write: GuildWrite) {
        if !write.is_empty() && self.queue.send(write).is_err() {
            tracing::warn!("the guild writer has stopped; a guild event is not recorded");
        }
    }
}
