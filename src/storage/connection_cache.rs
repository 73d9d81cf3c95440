//! Every connection, kept in memory from start-up, so a webhook's signature is checked with
//! no database round trip and, with Postgres down, votes of any known connection still verify
//! and go to the spool (secrets live only here and in the database, never in the spool).
//!
//! Kept in step three ways: this instance's creates and deletes update it at once
//! ([`ConnectionCache::reload`], [`ConnectionCache::forget`]); every [`SYNC_EVERY`] a cheap
//! fingerprint of the table (count, newest and summed `updated_at`) is compared and the table
//! reloaded only when it changed ([`ConnectionCache::run_sync`]); and a signature that does not
//! match a known connection's secret rereads that one row, at most once per
//! [`RECHECK_EVERY`]. An id not in memory waits for a check of the set that starts after it
//! arrived (so a connection just made on another instance is found), shared by every request
//! that missed meanwhile and made at most once per [`MISS_CHECK_EVERY`]: a flood of made-up ids
//! costs the database one fingerprint query a second, whatever its size. An id found unknown
//! is then answered at once for [`UNKNOWN_FOR`].
//!
//! These periods are rests, not moments compared with stored times: they run on tokio's
//! time (which tests can pause), not on the app's clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::anyhow;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connections::Fingerprint;
use super::pool::{LOOKUP_DEADLINE, bounded};
use super::{Connection, Db};
use crate::domain::ids::ConnectionId;

/// How often the whole set is checked against the database in the background.
pub const SYNC_EVERY: Duration = Duration::from_secs(5);
/// How long an id found unknown is answered so without asking the database.
pub const UNKNOWN_FOR: Duration = Duration::from_secs(5);
/// The least time between two checks of the set made for ids not in memory.
pub const MISS_CHECK_EVERY: Duration = Duration::from_secs(1);
/// At most this many unknown ids are remembered (made-up ids must not fill the memory).
const MAX_UNKNOWN: usize = 10_000;
/// How often a wrong MAC on one known id may reread that connection.
pub const RECHECK_EVERY: Duration = Duration::from_secs(5);
/// The longest a full reload of the table may take.
const RELOAD_DEADLINE: Duration = Duration::from_secs(10);

/// Every stored connection, in memory; cheap to clone.
#[derive(Clone)]
pub struct ConnectionCache {
    db: Db,
    known: Arc<Mutex<Known>>,
    /// One set check at a time: requests that miss meanwhile wait for its answer.
    syncing: Arc<tokio::sync::Mutex<()>>,
    queries: Arc<AtomicU64>,
}

#[derive(Default)]
struct Known {
    connections: HashMap<ConnectionId, Entry>,
    fingerprint: Option<Fingerprint>,
    /// When the last check of the set started, and whether the database answered it.
    checked: Option<(Instant, bool)>,
    /// Ids a check found unknown, and when.
    unknown: HashMap<ConnectionId, Instant>,
    /// Bumped by this instance's own changes: a table read that started before one is stale.
    changes: u64,
}

struct Entry {
    connection: Connection,
    rechecked_at: Option<Instant>,
}

impl ConnectionCache {
    /// Reads every connection; fails when the database does not answer.
    pub async fn load(db: Db) -> anyhow::Result<ConnectionCache> {
        let cache = ConnectionCache {
            db,
            known: Arc::default(),
            syncing: Arc::default(),
            queries: Arc::default(),
        };
        cache.sync().await?;
        Ok(cache)
    }

    /// The connection, from memory. An id not in memory waits for a check of the set that
    /// started after it arrived (see the module); an error when that check could not be made
    /// (the database is down and the id is not known).
    pub async fn get(&self, connection_id: &ConnectionId) -> anyhow::Result<Option<Connection>> {
        let arrived = Instant::now();
        if let Some(found) = self.in_memory(connection_id) {
            return Ok(Some(found));
        }
        if self.recently_unknown(connection_id) {
            return Ok(None);
        }
        self.check_since(arrived).await;
        let mut known = self.lock();
        if let Some(entry) = known.connections.get(connection_id) {
            return Ok(Some(entry.connection.clone()));
        }
        match known.checked {
            Some((_, true)) => {
                known.remember_unknown(connection_id);
                Ok(None)
            }
            _ => Err(anyhow!("the connections could not be read")),
        }
    }

    /// Waits for a check of the set that started at or after `arrived`: one another request
    /// started meanwhile, or one made now, [`MISS_CHECK_EVERY`] after the previous one.
    async fn check_since(&self, arrived: Instant) {
        let _one_at_a_time = self.syncing.lock().await;
        let last = self.lock().checked.map(|(at, _)| at);
        if last.is_some_and(|at| at >= arrived) {
            return;
        }
        if let Some(last) = last {
            tokio::time::sleep_until(last + MISS_CHECK_EVERY).await;
        }
        let _ = self.sync_now().await;
    }

    /// After a signature did not match `connection_id`'s secret: the connection as the
    /// database has it now, in case another instance stored a new secret. `None` when it was
    /// reread less than [`RECHECK_EVERY`] ago (nothing new to try) or is gone.
    pub async fn recheck(
        &self,
        connection_id: &ConnectionId,
    ) -> anyhow::Result<Option<Connection>> {
        {
            let mut known = self.lock();
            let Some(entry) = known.connections.get_mut(connection_id) else {
                return Ok(None);
            };
            if entry
                .rechecked_at
                .is_some_and(|at| at.elapsed() < RECHECK_EVERY)
            {
                return Ok(None);
            }
            entry.rechecked_at = Some(Instant::now());
        }
        self.reload(connection_id).await
    }

    /// Rereads one connection (after this instance stored it): remembered when found,
    /// forgotten when gone.
    pub async fn reload(&self, connection_id: &ConnectionId) -> anyhow::Result<Option<Connection>> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let found = bounded(LOOKUP_DEADLINE, self.db.connection(connection_id)).await?;
        let mut known = self.lock();
        match &found {
            Some(connection) => {
                known.unknown.remove(connection_id);
                let rechecked_at = known
                    .connections
                    .get(connection_id)
                    .and_then(|e| e.rechecked_at);
                let entry = Entry {
                    connection: connection.clone(),
                    rechecked_at,
                };
                known.connections.insert(connection_id.clone(), entry);
            }
            None => {
                known.connections.remove(connection_id);
            }
        }
        known.changes += 1;
        Ok(found)
    }

    /// Drops a connection (after this instance deleted it).
    pub fn forget(&self, connection_id: &ConnectionId) {
        let mut known = self.lock();
        known.connections.remove(connection_id);
        known.changes += 1;
    }

    /// How many queries this cache has sent to the database since it was built.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// How many connections are in memory.
    pub fn len(&self) -> usize {
        self.lock().connections.len()
    }

    /// Whether no connection is in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the set against the database every [`SYNC_EVERY`] until `stop`, picking up
    /// what other instances created, changed and deleted.
    pub async fn run_sync(self, stop: CancellationToken) -> anyhow::Result<()> {
        loop {
            tokio::select! {
                () = stop.cancelled() => return Ok(()),
                () = tokio::time::sleep(SYNC_EVERY) => {}
            }
            if let Err(error) = self.sync().await {
                tracing::debug!(
                    error = format!("{error:#}"),
                    "connections not checked; the known ones stay in use"
                );
            }
        }
    }

    /// Checks the set against the database now (after this instance changed a stored
    /// connection, such as its project proved by an API token).
    pub async fn refresh(&self) -> anyhow::Result<()> {
        self.sync().await
    }

    /// Checks the set now (one at a time).
    async fn sync(&self) -> anyhow::Result<()> {
        let _one_at_a_time = self.syncing.lock().await;
        self.sync_now().await
    }

    /// Reads the table's fingerprint and, when it changed, the whole table. The outcome is
    /// remembered either way, so a failing database is not asked again for every request.
    async fn sync_now(&self) -> anyhow::Result<()> {
        let (started, changes) = (Instant::now(), self.lock().changes);
        let result = self.read_if_changed().await;
        let mut known = self.lock();
        known.checked = Some((started, result.is_ok()));
        if known.changes != changes {
            // Read before this instance's own change: reload on the next check instead.
            known.fingerprint = None;
            return result.map(|_| ());
        }
        if let Some((fingerprint, all)) = result? {
            let mut connections = HashMap::with_capacity(all.len());
            for connection in all {
                let id = connection.connection_id.clone();
                let rechecked_at = known.connections.get(&id).and_then(|e| e.rechecked_at);
                let entry = Entry {
                    connection,
                    rechecked_at,
                };
                connections.insert(id, entry);
            }
            known.connections = connections;
            known.fingerprint = Some(fingerprint);
        }
        Ok(())
    }

    /// The fingerprint and every connection, or `None` when the fingerprint is the known one.
    /// The fingerprint is read first: a change made between the two reads shows as a new
    /// fingerprint next time, never as a change missed.
    async fn read_if_changed(&self) -> anyhow::Result<Option<(Fingerprint, Vec<Connection>)>> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let fingerprint = bounded(LOOKUP_DEADLINE, self.db.connections_fingerprint()).await?;
        if self.lock().fingerprint == Some(fingerprint) {
            return Ok(None);
        }
        self.queries.fetch_add(1, Ordering::Relaxed);
        let all = bounded(RELOAD_DEADLINE, self.db.all_connections()).await?;
        Ok(Some((fingerprint, all)))
    }

    fn in_memory(&self, connection_id: &ConnectionId) -> Option<Connection> {
        let known = self.lock();
        known
            .connections
            .get(connection_id)
            .map(|e| e.connection.clone())
    }

    fn recently_unknown(&self, connection_id: &ConnectionId) -> bool {
        self.lock().recently_unknown(connection_id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Known {
    /// Whether a check found `connection_id` unknown less than [`UNKNOWN_FOR`] ago.
    fn recently_unknown(&self, connection_id: &ConnectionId) -> bool {
        let since = self.unknown.get(connection_id);
        since.is_some_and(|at| at.elapsed() < UNKNOWN_FOR)
    }

    fn remember_unknown(&mut self, connection_id: &ConnectionId) {
        if self.unknown.len() >= MAX_UNKNOWN {
            self.unknown.retain(|_, at| at.elapsed() < UNKNOWN_FOR);
            if self.unknown.len() >= MAX_UNKNOWN {
                self.unknown.clear();
            }
        }
        self.unknown.insert(connection_id.clone(), Instant::now());
    }
}

#[cfg(test)]
mod tests;
