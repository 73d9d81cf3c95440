//! A TCP proxy in front of Postgres that the test can make refuse: while refusing, every new
//! connection is closed at once and the open ones are cut, as when the server is down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: SocketAddr,
    refusing: Arc<AtomicBool>,
    /// Bumped to cut every open connection.
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free local port and forwards to `target` (`host:port`).
    pub async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let refusing = Arc::new(AtomicBool::new(false));
        let (cut, _) = watch::channel(0u64);
        let task = tokio::spawn(accept(listener, target, refusing.clone(), cut.clone()));
        Proxy {
            addr,
            refusing,
            cut,
            task,
        }
    }

    /// From now on, closes new connections at once and cuts the open ones.
    pub fn refuse(&self) {
        self.refusing.store(true, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    /// Forwards again.
    pub fn accept(&self) {
        self.refusing.store(false, Ordering::SeqCst);
    }

    /// `url` (a `postgres://user@host:port/db` URL) through this proxy.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme_user, rest) = url.split_once('@').expect("user@host in the URL");
        let (_, db) = rest.split_once('/').expect("a database in the URL");
        format!("{scheme_user}@{}/{db}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut.send_modify(|n| *n += 1);
    }
}

async fn accept(
    listener: TcpListener,
    target: String,
    refusing: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
) {
    while let Ok((client, _)) = listener.accept().await {
        if refusing.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        let mut cut = cut.subscribe();
        let target = target.clone();
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(&target).await else {
                return;
            };
            let mut client = client;
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                _ = cut.changed() => {}
            }
        });
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
pub fn host_port(url: &str) -> String {
    let (_, rest) = url.split_once('@').expect("user@host in the URL");
    rest.split_once('/')
        .expect("a database in the URL")
        .0
        .to_string()
}
