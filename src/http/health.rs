//! `GET /healthz` and `GET /readyz`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;
use super::probes::Checked;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready when votes can be committed (the database took the background task's last write and
/// no vote write failed lately; with Postgres down, the spool taking them counts), Discord
/// accepts the token and, where this instance runs a gateway, every shard it runs is
/// connected. Otherwise 503 with the reasons. Touches no database: what costs I/O comes from
/// the background check, the rest is read from memory as it is now.
pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let checked = state.probes.latest().await;
    let now = Facts {
        checked: checked.as_ref(),
        vote_writes_failing: state.votes.failing(),
        has_spool: state.votes.has_spool(),
        discord_problem: state.discord.problem(),
        spool_depth: state.votes.spool_depth(),
    };
    let (status, body) = assess(&now);
    (status, Json(body))
}

/// What readiness is judged from.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// The background task's last check; `None` before the first.
    pub checked: Option<&'a Checked>,
    /// A vote write failed lately (and none committed since).
    pub vote_writes_failing: bool,
    /// Votes Postgres cannot take go to a spool.
    pub has_spool: bool,
    /// Why Discord cannot be used (a rejected token).
    pub discord_problem: Option<String>,
    pub spool_depth: i64,
}

/// The status and body of `/readyz` for `facts`.
pub fn assess(facts: &Facts) -> (StatusCode, Value) {
    let mut reasons = Vec::new();
    let Some(checked) = facts.checked else {
        let reason = "starting: readiness not checked yet";
        let body = json!({ "reason": reason, "spool_depth": facts.spool_depth });
        return (StatusCode::SERVICE_UNAVAILABLE, body);
    };
    let (database_ok, database) = database_state(facts, checked.takes_writes);
    if !database_ok {
        reasons.push(format!("database {database}"));
    }
    let gateway = match &checked.gateway {
        None => "not run by this instance",
        Some(Ok(())) => "connected",
        Some(Err(why)) => {
            reasons.push(format!("gateway: {why}"));
            "disconnected"
        }
    };
    let discord = match &facts.discord_problem {
        None => "ok",
        Some(problem) => {
            reasons.push(problem.clone());
            if problem.contains("(401)") {
                "token rejected"
            } else {
                "paused"
            }
        }
    };
    let mut body = json!({
        "database": database,
        "gateway": gateway,
        "discord": discord,
        "spool_depth": facts.spool_depth,
    });
    if reasons.is_empty() {
        return (StatusCode::OK, body);
    }
    body["reason"] = json!(reasons.join("; "));
    (StatusCode::SERVICE_UNAVAILABLE, body)
}

/// Whether votes can be committed now, and the word /readyz shows for the database. With
/// Postgres down, votes still go to the spool, so the instance stays ready (taking it out of
/// a load balancer would lose the votes the spool exists to keep).
fn database_state(facts: &Facts, takes_writes: bool) -> (bool, &'static str) {
    if facts.vote_writes_failing {
        return (false, "cannot take writes");
    }
    match (takes_writes, facts.has_spool) {
        (true, _) => (true, "ok"),
        (false, true) => (true, "unavailable; votes go to the spool"),
        (false, false) => (false, "cannot take writes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/readyz` after a check that found `takes_writes` and `gateway`, with `more` known.
    fn assess_after(
        takes_writes: bool,
        gateway: Option<Result<(), String>>,
        more: Facts,
    ) -> (StatusCode, Value) {
        let checked = Checked {
            takes_writes,
            gateway,
        };
        assess(&Facts {
            checked: Some(&checked),
            ..more
        })
    }

    /// What an instance with a spool for votes knows before anything else.
    fn spooled() -> Facts<'static> {
        Facts {
            has_spool: true,
            ..Facts::default()
        }
    }

    #[test]
    fn a_database_that_took_the_last_write_and_no_gateway_is_ready() {
        let (status, body) = assess_after(true, None, Facts::default());
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["database"], "ok");
        assert_eq!(body["gateway"], "not run by this instance");
        assert!(body.get("reason").is_none(), "{body}");
    }

    #[test]
    fn a_database_that_refused_the_last_write_is_not_ready_without_a_spool() {
        let (status, body) = assess_after(false, None, Facts::default());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["reason"], "database cannot take writes");
        let (status, body) = assess_after(false, None, spooled());
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["database"], "unavailable; votes go to the spool");
    }

    #[test]
    fn a_failed_vote_write_makes_it_unready_before_the_next_check() {
        let failing = Facts {
            vote_writes_failing: true,
            ..spooled()
        };
        let (status, body) = assess_after(true, None, failing);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["database"], "cannot take writes");
    }

    #[test]
    fn a_lost_shard_and_a_rejected_token_are_both_named() {
        let lost_shard = Some(Err("shard 0 reconnecting".into()));
        let rejected_token = Facts {
            discord_problem: Some("token (401)".into()),
            ..Facts::default()
        };
        let (status, body) = assess_after(true, lost_shard, rejected_token);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["gateway"], "disconnected");
        assert_eq!(body["discord"], "token rejected");
        assert_eq!(body["reason"], "gateway: shard 0 reconnecting; token (401)");
    }

    #[test]
    fn nothing_checked_yet_is_not_ready() {
        let (status, body) = assess(&Facts::default());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body["reason"].as_str().unwrap().starts_with("starting"));
    }
}
