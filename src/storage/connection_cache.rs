//! Connections kept in memory for a few seconds, so a webhook does not need a database round
//! trip before its signature can be checked. Whoever changes a connection here forgets it;
//! a secret changed by another instance is picked up by [`ConnectionCache::refresh`], which
//! the webhook route calls before rejecting a signature made with a secret it does not know.
//!
//! Lookups are bounded ([`LOOKUP_DEADLINE`]). When the database cannot answer, the last
//! connection found is used, however old: with Postgres down, signatures still verify against
//! the last-known secrets and votes go to the spool. Only memory holds them (secrets are not
//! written to the spool), so a process started while Postgres is down knows none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::pool::{LOOKUP_DEADLINE, bounded};
use super::{Connection, Db};

/// How long a looked-up connection is used without asking the database again.
pub const CONNECTION_TTL: Duration = Duration::from_secs(5);

/// A remembered connection and when it was looked up.
type Entries = HashMap<String, (Instant, Arc<Connection>)>;

/// A cache of found connections (misses are not kept); cheap to clone.
#[derive(Clone)]
pub struct ConnectionCache {
    db: Db,
    entries: Arc<Mutex<Entries>>,
}

impl ConnectionCache {
    pub fn new(db: Db) -> ConnectionCache {
        ConnectionCache {
            db,
            entries: Arc::default(),
        }
    }

    /// The connection, from memory when looked up less than [`CONNECTION_TTL`] ago (shared,
    /// not copied: every webhook takes one).
    pub async fn get(&self, connection_id: &str) -> anyhow::Result<Option<Arc<Connection>>> {
        let cached = self.lock().get(connection_id).cloned();
        match cached {
            Some((at, connection)) if at.elapsed() < CONNECTION_TTL => Ok(Some(connection)),
            Some(_) => self.lookup(connection_id, true).await,
            None => self.refresh(connection_id).await,
        }
    }

    /// The connection as the database has it now (remembered when found); an error when the
    /// database does not answer.
    pub async fn refresh(&self, connection_id: &str) -> anyhow::Result<Option<Arc<Connection>>> {
        self.lookup(connection_id, false).await
    }

    /// Reads the connection; when the database does not answer and `fall_back`, the
    /// last-known connection (if any) is used and checked again after [`CONNECTION_TTL`].
    async fn lookup(
        &self,
        connection_id: &str,
        fall_back: bool,
    ) -> anyhow::Result<Option<Arc<Connection>>> {
        let found = match bounded(LOOKUP_DEADLINE, self.db.connection(connection_id)).await {
            Ok(found) => found.map(Arc::new),
            Err(error) if fall_back => return self.last_known(connection_id, error),
            Err(error) => return Err(error),
        };
        let mut entries = self.lock();
        match &found {
            Some(connection) => {
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

    fn last_known(
        &self,
        connection_id: &str,
        error: anyhow::Error,
    ) -> anyhow::Result<Option<Arc<Connection>>> {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(connection_id) else {
            return Err(error);
        };
        tracing::debug!(
            error = format!("{error:#}"),
            "connection lookup failed; using the last-known one"
        );
        entry.0 = Instant::now();
        Ok(Some(entry.1.clone()))
    }

    /// Drops what is remembered of a connection (after it was stored again or deleted).
    pub fn forget(&self, connection_id: &str) {
        self.lock().remove(connection_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
