//! Connections kept in memory for a few seconds, so a webhook does not need a database round
//! trip before its signature can be checked. Whoever changes a connection here forgets it;
//! a secret changed by another instance is picked up by [`ConnectionCache::refresh`], which
//! the webhook route calls before rejecting a signature made with a secret it does not know.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Connection, Db};

/// How long a looked-up connection is used without asking the database again.
pub const CONNECTION_TTL: Duration = Duration::from_secs(5);

/// A cache of found connections (misses are not kept); cheap to clone.
#[derive(Clone)]
pub struct ConnectionCache {
    db: Db,
    entries: Arc<Mutex<HashMap<String, (Instant, Connection)>>>,
}

impl ConnectionCache {
    pub fn new(db: Db) -> ConnectionCache {
        ConnectionCache {
            db,
            entries: Arc::default(),
        }
    }

    /// The connection, from memory when looked up less than [`CONNECTION_TTL`] ago.
    pub async fn get(&self, connection_id: &str) -> anyhow::Result<Option<Connection>> {
        let cached = self.lock().get(connection_id).cloned();
        match cached {
            Some((at, connection)) if at.elapsed() < CONNECTION_TTL => Ok(Some(connection)),
            _ => self.refresh(connection_id).await,
        }
    }

    /// The connection as the database has it now (remembered when found).
    pub async fn refresh(&self, connection_id: &str) -> anyhow::Result<Option<Connection>> {
        let found = self.db.connection(connection_id).await?;
        let mut entries = self.lock();
        match &found {
            Some(connection) => {
                entries.retain(|_, (at, _)| at.elapsed() < CONNECTION_TTL);
                entries.insert(
                    connection_id.to_string(),
                    (Instant::now(), connection.clone()),
                );
            }
            None => {
                entries.remove(connection_id);
            }
        }
        Ok(found)
    }

    /// Drops what is remembered of a connection (after it was stored again or deleted).
    pub fn forget(&self, connection_id: &str) {
        self.lock().remove(connection_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Connection)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
