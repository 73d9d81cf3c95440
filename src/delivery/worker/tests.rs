use std::time::Duration;

use super::*;
use crate::discord::DryRunSink;
use crate::domain::time::{Clock, ManualClock};

/// A worker on an empty SQLite queue, dry-run Discord, and a clock only the test moves.
async fn idle_worker(dir: &tempfile::TempDir, clock: Arc<ManualClock>) -> Worker {
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let discord = Discord::dry_run(DryRunSink::default());
    Worker::new(db, discord, Arc::default(), "w".into(), clock)
}

/// The race the idle wait must not lose: the clock moves while the queue is read after an
/// empty claim. The next look is due [`IDLE_POLL`] after the claim, not after that move.
#[tokio::test]
async fn an_idle_worker_looks_again_idle_poll_after_its_claim_even_if_the_clock_moved_since() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::starting_now());
    let worker = idle_worker(&dir, clock.clone()).await;
    let claimed_at = clock.now();
    // A test moved the clock by a whole poll between the empty claim and the wait.
    clock.advance(IDLE_POLL);

    let stop = CancellationToken::new();
    // Real time bounds a hang only: on the app's clock the wait is already over.
    let waited = tokio::time::timeout(Duration::from_secs(10), worker.idle(claimed_at, &stop));
    assert!(waited.await.is_ok(), "still idle at the claim's poll time");
}
