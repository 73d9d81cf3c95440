//! Crowds of connections: at `http.max_connections` or `http.max_connections_per_ip`, idle
//! keep-alive connections are closed to make room, else new ones are closed at once. Clients
//! connect from several loopback addresses (all of 127/8 is loopback on Linux).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use topgg_bot::config::Config;

use crate::exposed::{closed_within, sample};
use topgg_testkit::standin::GUILD_ID;
use topgg_testkit::{Backend, TestApp, bounded, server_project};

const CONNECTION: &str = "conn-crowds";
const SECRET: &str = "whs_crowds";
/// How long a held connection is watched for being closed (or for staying open).
const WATCH: Duration = Duration::from_millis(300);

fn loopback(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

fn limits(total: usize, per_ip: usize) -> impl FnOnce(&mut Config) {
    move |config| {
        config.http.max_connections = total;
        config.http.max_connections_per_ip = per_ip;
        config.http.header_timeout_secs = 60;
    }
}

/// A TCP connection to `base` made from `from`.
async fn connect_from(from: IpAddr, base: &str) -> TcpStream {
    let server: SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(server).await.expect("connect")
}

/// A connection from `from` that has been answered once and now idles, kept alive.
async fn idle_from(from: IpAddr, base: &str) -> TcpStream {
    let mut stream = connect_from(from, base).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while !answer.ends_with(b"\r\n\r\nok") {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed before answering");
        answer.extend_from_slice(&chunk[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
    stream
}

/// A client on `from` that keeps no connection open after an answer.
fn client_from(from: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// `GET /metrics` from `from`.
async fn scrape_from(from: IpAddr, base: &str) -> String {
    let response = client_from(from).get(format!("{base}/metrics")).send();
    response.await.unwrap().text().await.unwrap()
}

/// How many of `held` the server has closed.
async fn closed_count(held: &mut [TcpStream]) -> usize {
    let mut closed = 0;
    for stream in held.iter_mut() {
        closed += usize::from(closed_within(stream, WATCH).await.is_some());
    }
    closed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_addresses_holding_idle_connections_at_the_cap_do_not_keep_a_fourth_from_voting() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, limits(6, 0))
            .await
            .unwrap();
        let project = server_project(&GUILD_ID.to_string());
        app.connect(CONNECTION, SECRET, &project).await;
        let mut held = Vec::new();
        for last in [2, 3, 4] {
            for _ in 0..2 {
                held.push(idle_from(loopback(last), &app.base).await);
            }
        }
        let url = format!("{}/topgg/webhooks/{CONNECTION}", app.base);
        let vote = topgg_testkit::vote("crowd-vote", &project, "1700000000000000001");
        let client = client_from(loopback(5));
        let answer = topgg_testkit::post_signed(&client, &url, SECRET, &vote).await;
        assert_eq!(answer.expect("the fourth address is served").0, 204);
        assert_eq!(
            closed_count(&mut held).await,
            1,
            "one idle connection made room"
        );
        let metrics = scrape_from(loopback(5), &app.base).await;
        let series = r#"topgg_bot_http_idle_connections_closed_total{limit="max_connections"}"#;
        assert!(sample(&metrics, series) >= 1.0, "{metrics}");
        assert_eq!(
            sample(&metrics, "topgg_bot_http_connections_refused_total"),
            0.0
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_ip_cap_refuses_one_more_connection_of_an_address_while_another_still_connects() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, limits(100, 3))
            .await
            .unwrap();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(connect_from(loopback(2), &app.base).await);
        }
        let mut fourth = connect_from(loopback(2), &app.base).await;
        let closed = closed_within(&mut fourth, Duration::from_secs(2)).await;
        assert!(
            closed.is_some(),
            "the fourth connection of 127.0.0.2 is open"
        );
        let other = client_from(loopback(3)).get(format!("{}/healthz", app.base));
        assert_eq!(
            other.send().await.expect("127.0.0.3 is served").status(),
            200
        );
        assert_eq!(
            closed_count(&mut held).await,
            0,
            "held connections stay open"
        );
        let metrics = scrape_from(loopback(3), &app.base).await;
        let refused = sample(&metrics, "topgg_bot_http_connections_refused_per_ip_total");
        assert_eq!(refused, 1.0, "{metrics}");
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_per_ip_cap_an_address_gives_up_its_own_idle_connection_not_anothers() {
    bounded(Duration::from_secs(60), async {
        let app = TestApp::start_with(Backend::Sqlite, limits(100, 2))
            .await
            .unwrap();
        let mut others = vec![idle_from(loopback(3), &app.base).await];
        let mut own = Vec::new();
        for _ in 0..2 {
            own.push(idle_from(loopback(2), &app.base).await);
        }
        let again = client_from(loopback(2)).get(format!("{}/healthz", app.base));
        assert_eq!(
            again.send().await.expect("127.0.0.2 is served").status(),
            200
        );
        assert_eq!(closed_count(&mut own).await, 1, "one of its own made room");
        assert_eq!(closed_count(&mut others).await, 0, "another's stays open");
        let metrics = scrape_from(loopback(4), &app.base).await;
        let series =
            r#"topgg_bot_http_idle_connections_closed_total{limit="max_connections_per_ip"}"#;
        assert_eq!(sample(&metrics, series), 1.0, "{metrics}");
        app.stop().await;
    })
    .await;
}
