//! Who holds the open connections, and whether one more may open: at most `max_total` in all
//! and `max_per_client` per client address. At either limit an idle keep-alive connection
//! (of that address, for the per-address one) is closed to make room, the one idle longest
//! first; with none idle the new connection is refused.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use tokio::time::Instant;

/// A connection as the registry sees it.
pub trait Held: Clone {
    /// Since when it has been idle between requests; `None` while a request is under way.
    fn idle_since(&self) -> Option<Instant>;
}

/// Which limit a decision was made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `http.max_connections`.
    Total,
    /// `http.max_connections_per_ip`.
    PerClient,
}

impl Limit {
    /// The config key's last part, as the `limit` label of `/metrics`.
    pub fn label(self) -> &'static str {
        match self {
            Limit::Total => "max_connections",
            Limit::PerClient => "max_connections_per_ip",
        }
    }
}

/// What to do with a new connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission<H> {
    Admit,
    /// Admit it, after closing `0` (already taken out of the registry).
    AdmitClosing(H, Limit),
    /// Close it at once.
    Refuse(Limit),
}

/// The open connections, keyed by `K` (a task id), with their client's key.
#[derive(Debug)]
pub struct Crowd<K, H> {
    max_total: usize,
    /// 0: no per-client limit.
    max_per_client: usize,
    open: HashMap<K, (Client, H)>,
    per_client: HashMap<Client, usize>,
}

/// What the per-address limit counts by: an IPv4 address, or an IPv6 /64 (one host's usual
/// allocation: counting single IPv6 addresses would let one host open connections without end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(IpAddr);

impl Client {
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                Client(IpAddr::V6(network.into()))
            }
            v4 => Client(v4),
        }
    }
}

impl<K: Copy + Eq + Hash, H: Held> Crowd<K, H> {
    pub fn new(max_total: usize, max_per_client: usize) -> Self {
        Self {
            max_total,
            max_per_client,
            open: HashMap::new(),
            per_client: HashMap::new(),
        }
    }

    /// Connections open (closing ones taken out already).
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether a new connection from `client` may open, and which idle one must close first.
    pub fn admit(&mut self, client: Client) -> Admission<H> {
        let held = self.per_client.get(&client).copied().unwrap_or(0);
        if self.max_per_client > 0 && held >= self.max_per_client {
            return self.make_room(Some(client), Limit::PerClient);
        }
        if self.open.len() >= self.max_total {
            return self.make_room(None, Limit::Total);
        }
        Admission::Admit
    }

    /// Records an admitted connection.
    pub fn insert(&mut self, key: K, client: Client, held: H) {
        self.open.insert(key, (client, held));
        *self.per_client.entry(client).or_default() += 1;
    }

    /// Forgets a connection that ended (nothing when it was closed to make room).
    pub fn remove(&mut self, key: &K) {
        let Some((client, _)) = self.open.remove(key) else {
            return;
        };
        if let Some(count) = self.per_client.get_mut(&client) {
            *count -= 1;
            if *count == 0 {
                self.per_client.remove(&client);
            }
        }
    }

    /// Takes the connection idle longest (of `client`, if given) out of the registry.
    fn make_room(&mut self, client: Option<Client>, limit: Limit) -> Admission<H> {
        let oldest = self
            .open
            .iter()
            .filter(|(_, (owner, _))| client.is_none_or(|c| c == *owner))
            .filter_map(|(key, (_, held))| Some((held.idle_since()?, *key)))
            .min_by_key(|(since, _)| *since);
        let Some((_, key)) = oldest else {
            return Admission::Refuse(limit);
        };
        let held = self.open[&key].1.clone();
        self.remove(&key);
        Admission::AdmitClosing(held, limit)
    }
}

#[cfg(test)]
mod tests;
