//! What the generator sends: connections made through the real handshake, and signed
//! `vote.create` requests built without a JSON library on the hot path.

use std::net::SocketAddr;

use anyhow::ensure;
use chrono::{Duration, Utc};
use topgg_bot::domain::signature;
use topgg_bot::samples::{sample_integration_create, sample_project};

use crate::client::{self, Conn};
use crate::load::MakeRequest;

/// The Discord user who "clicked Connect" for every generated connection.
const OWNER_ID: &str = "1300000000000000001";

/// A connection the generator made: its id, webhook secret and Top.gg project (a vote must
/// name the connection's own project, or it is refused with 403).
#[derive(Clone, Debug)]
pub struct Connection {
    pub id: String,
    pub secret: String,
    pub project_id: String,
}

/// Runs `integration.create` for `count` server projects of `guild_id` (which link
/// themselves to that guild); every handshake must answer 200.
pub async fn connect_all(
    addr: SocketAddr,
    integration_secret: &str,
    run_id: &str,
    guild_id: &str,
    count: usize,
) -> anyhow::Result<Vec<Connection>> {
    let mut conn = Conn::new(addr);
    let mut made = Vec::with_capacity(count);
    for n in 0..count {
        let connection = Connection {
            id: format!("lg-{run_id}-{n}"),
            secret: format!("whs_loadgen_{run_id}_{n}"),
            project_id: format!("9{n:017}"),
        };
        let project = sample_project(&connection.project_id, "server", guild_id);
        let body = serde_json::to_vec(&sample_integration_create(
            &connection.id,
            &connection.secret,
            &project,
            OWNER_ID,
        ))?;
        let request = signed_post(
            "/topgg/integration",
            integration_secret,
            &body,
            Utc::now().timestamp(),
        );
        let status = conn.send(&request).await?;
        ensure!(status == 200, "the handshake answered {status}");
        made.push(connection);
    }
    Ok(made)
}

/// Builds vote `i`: to connection `i % len`, voter `i % voters`, vote id `<prefix>-<i>`.
pub fn vote_requests(
    connections: Vec<Connection>,
    guild_id: String,
    prefix: String,
    voters: u64,
) -> MakeRequest {
    std::sync::Arc::new(move |i| {
        let connection = &connections[(i % connections.len() as u64) as usize];
        let voter = voter_id(i % voters.max(1));
        let vote = vote_id(&prefix, i);
        let body = vote_body(&vote, &connection.project_id, &guild_id, &voter, i);
        let path = format!("/topgg/webhooks/{}", connection.id);
        signed_post(
            &path,
            &connection.secret,
            body.as_bytes(),
            Utc::now().timestamp(),
        )
    })
}

/// The vote id of request `i`.
pub fn vote_id(prefix: &str, i: u64) -> String {
    format!("{prefix}-{i}")
}

/// A snowflake-like Discord user id for voter number `n`.
pub fn voter_id(n: u64) -> String {
    (1_600_000_000_000_000_000u64 + n).to_string()
}

/// Vote `i` is cast `i` milliseconds after ten minutes before the run began: a vote is also
/// identified by its voter and `created_at`, so two requests must never share an instant
/// (or the second would be counted as the same vote, and cost less than a real one).
fn vote_body(vote_id: &str, project_id: &str, guild_id: &str, voter: &str, i: u64) -> String {
    static START: std::sync::LazyLock<chrono::DateTime<Utc>> =
        std::sync::LazyLock::new(|| Utc::now() - Duration::minutes(10));
    let now = *START + Duration::milliseconds(i64::try_from(i).unwrap_or(i64::MAX));
    let created = now.to_rfc3339();
    let expires = (now + Duration::hours(12)).to_rfc3339();
    format!(
        r#"{{"type":"vote.create","data":{{"id":"{vote_id}","weight":1,"created_at":"{created}","expires_at":"{expires}","project":{{"id":"{project_id}","type":"server","platform":"discord","platform_id":"{guild_id}"}},"query":{{"ref":"loadgen"}},"user":{{"id":"topgg-{voter}","platform_id":"{voter}","name":"voter {voter}","avatar_url":"https://cdn.discordapp.com/embed/avatars/0.png"}}}}}}"#
    )
}

fn signed_post(path: &str, secret: &str, body: &[u8], now: i64) -> Vec<u8> {
    let header = signature::sign(secret, now, body);
    client::post(
        path,
        &[("x-topgg-signature", &header), ("x-topgg-trace", "loadgen")],
        body,
    )
}
