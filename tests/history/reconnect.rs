//! A history outlives its connection for 7 days.

use std::time::Duration;

use topgg_bot::domain::time::{Clock, DAY};
use topgg_testkit::{bot_project, eventually};

use super::{ANN, BOB, History, PROJECT_A, PROJECT_B, project_a};

const OLD_SECRET: &str = "whs_leaked_secret";
const NEW_SECRET: &str = "whs_rotated_secret";

pub async fn a_disconnect_and_reconnect_keeps_every_total_streak_and_the_leaderboard(h: &History) {
    h.app.connect("conn-old", OLD_SECRET, &project_a()).await;
    for (id, voter) in [("v1", ANN), ("v2", ANN), ("v3", BOB)] {
        let (status, body) = h
            .vote("conn-old", OLD_SECRET, id, &project_a(), voter)
            .await;
        assert_eq!(status, 204, "{body}");
    }
    let (db, ann) = (&h.app.db, ANN.parse().unwrap());
    let old = "conn-old".parse().unwrap();
    db.remind_on(&old, &ann, h.clock.now()).await.unwrap();
    let detached_at = h.clock.now();
    assert_eq!(h.disconnect("conn-old").await, 204);
    assert_eq!(
        db.history_detached_at(PROJECT_A).await.unwrap(),
        Some(detached_at)
    );
    assert_eq!(
        h.figures(PROJECT_A, ANN).await.unwrap().total_votes,
        2,
        "kept"
    );

    h.app.connect("conn-new", NEW_SECRET, &project_a()).await;
    assert_eq!(
        db.history_detached_at(PROJECT_A).await.unwrap(),
        None,
        "held again"
    );
    let (status, body) = h
        .vote("conn-new", NEW_SECRET, "v4", &project_a(), ANN)
        .await;
    assert_eq!(status, 204, "{body}");

    let new = "conn-new".parse().unwrap();
    let figures = db.voter_figures(&new, &ann).await.unwrap();
    let figures = figures.expect("Ann's figures through the new connection");
    assert_eq!(
        (figures.total_votes, figures.streak),
        (3, 3),
        "total = previous + 1"
    );
    let board = db.leaderboard(&new, None, 10).await.unwrap();
    let board: Vec<(String, i64)> = board
        .into_iter()
        .map(|row| (row.voter_id.to_string(), row.votes))
        .collect();
    assert_eq!(board, [(ANN.to_string(), 3), (BOB.to_string(), 1)]);
    assert!(
        db.reminder_is_on(&new, &ann).await.unwrap(),
        "the opt-in kept"
    );
}

/// Each retention pass judges every history at one instant: once project B's history (8 days
/// detached) is gone, the pass that deleted it kept project A's (6 days).
pub async fn a_detached_history_is_kept_7_days_then_deleted_on_the_injected_clock(h: &History) {
    h.app.connect("conn-a", "whs_secret_a", &project_a()).await;
    h.app
        .connect("conn-b", "whs_secret_b", &bot_project())
        .await;
    let (a, _) = h
        .vote("conn-a", "whs_secret_a", "va", &project_a(), ANN)
        .await;
    let (b, _) = h
        .vote("conn-b", "whs_secret_b", "vb", &bot_project(), ANN)
        .await;
    assert_eq!((a, b), (204, 204));
    let start = h.clock.now();
    assert_eq!(h.disconnect("conn-b").await, 204);
    h.clock.set(start + DAY * 2);
    assert_eq!(h.disconnect("conn-a").await, 204);

    h.clock.set(start + DAY * 8);
    let db = &h.app.db;
    let count =
        |history: &'static str| async move { db.history_voter_count(history).await.unwrap() };
    let gone = |history: &'static str| async move { (count(history).await == 0).then_some(()) };
    let within = Duration::from_secs(30);
    assert!(
        eventually(within, || gone(PROJECT_B)).await.is_some(),
        "8 days: deleted"
    );
    assert_eq!(count(PROJECT_A).await, 1, "6 days: still there");
    assert!(h.figures(PROJECT_A, ANN).await.is_some());

    h.clock.set(start + DAY * 10);
    assert!(
        eventually(within, || gone(PROJECT_A)).await.is_some(),
        "8 days: deleted"
    );
    assert_eq!(db.history_detached_at(PROJECT_A).await.unwrap(), None);
    assert_eq!(db.history_detached_at(PROJECT_B).await.unwrap(), None);
}
