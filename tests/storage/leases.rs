//! Leases on the database's clock, settled only by their holder, a guild's announcements held
//! by one instance at a time, and the instances' heartbeats, on both backends.

use std::time::Duration;

use super::{GUILD, ROLE, Scratch, vote};
use topgg_bot::domain::keys::GuildRole;
use topgg_bot::domain::time::Timestamp;
use topgg_bot::storage::{Job, JobId, JobStatus};

topgg_testkit::on_both_backends!(Scratch;
    a_late_settle_by_an_instance_whose_lease_lapsed_changes_nothing,
    a_renewal_reports_the_leases_another_instance_took,
    a_claim_from_an_instance_whose_clock_runs_ahead_leaves_a_live_lease_alone,
    a_guilds_announcements_held_by_one_instance_are_not_claimed_by_another_but_its_grants_are,
    concurrent_claimers_never_split_one_guilds_announcements,
    live_instances_are_counted_and_one_that_left_stops_counting_a_second_later,
);

const SHORT: Duration = Duration::from_millis(150);
const LONG: Duration = Duration::from_secs(60);

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

async fn votes(s: &Scratch, n: usize) {
    let conn = s.connection("c1").await;
    for i in 0..n {
        let v = vote(&format!("v{i}"), &format!("{}", 40 + i));
        s.db.record_vote(&conn, &v, at(0)).await.unwrap();
    }
}

async fn job(s: &Scratch, id: JobId) -> Job {
    let jobs = s.db.all_jobs().await.unwrap();
    jobs.into_iter().find(|j| j.id == id).unwrap()
}

/// "a" claims with a short lease and stalls; once it lapsed, "b" claims the same jobs.
async fn taken_over(s: &Scratch) -> Vec<JobId> {
    votes(s, 1).await;
    let first = s.db.claim_jobs("a", at(1), SHORT, 10).await.unwrap();
    assert_eq!(first.len(), 2, "the announcement and the grant");
    // The behaviour under test: a lease lapsing, on the database's clock (no app clock moves it).
    tokio::time::sleep(SHORT * 3).await;
    let second = s.db.claim_jobs("b", at(1), LONG, 10).await.unwrap();
    let ids: Vec<JobId> = second.iter().map(|j| j.id).collect();
    assert_eq!(ids, first.iter().map(|j| j.id).collect::<Vec<_>>());
    ids
}

async fn a_late_settle_by_an_instance_whose_lease_lapsed_changes_nothing(s: &Scratch) {
    let ids = taken_over(s).await;
    let (done, held) = (ids[0], ids[1]);
    assert!(s.db.finish_job("b", done, at(5)).await.unwrap());
    let late_retry = s.db.retry_job("a", done, at(9), 1, "a timed out");
    assert!(!late_retry.await.unwrap(), "a no longer holds it");
    assert!(!s.db.fail_job("a", done, "late", at(9)).await.unwrap());
    assert!(!s.db.finish_job("a", held, at(9)).await.unwrap());
    assert!(!s.db.retry_job("a", held, at(9), 1, "late").await.unwrap());
    let (guild, role) = (GUILD.parse().unwrap(), ROLE.parse().unwrap());
    let role = GuildRole::new(&guild, &role);
    let parked = s.db.wait_for_role("a", held, role, 1, None, at(9));
    assert!(!parked.await.unwrap());
    assert_eq!(s.db.finish_jobs("a", &ids, at(9)).await.unwrap(), 0);
    s.db.set_group_nonce("a", &ids, Some("late")).await.unwrap();
    let finished = job(s, done).await;
    assert_eq!(finished.status, JobStatus::Done, "not re-queued");
    assert_eq!((finished.attempts, finished.last_error), (0, None));
    let still_held = job(s, held).await;
    assert_eq!(still_held.status, JobStatus::Queued);
    assert_eq!(
        (still_held.attempts, still_held.group_nonce.as_deref()),
        (0, None)
    );
    assert!(
        s.db.claim_jobs("c", at(1), LONG, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.db.finish_job("b", held, at(10)).await.unwrap());
}

async fn a_renewal_reports_the_leases_another_instance_took(s: &Scratch) {
    let ids = taken_over(s).await;
    assert_eq!(s.db.renew_leases("a", &ids, LONG).await.unwrap(), ids);
    assert!(s.db.renew_leases("b", &ids, LONG).await.unwrap().is_empty());
}

async fn a_claim_from_an_instance_whose_clock_runs_ahead_leaves_a_live_lease_alone(s: &Scratch) {
    votes(s, 1).await;
    let first = s.db.claim_jobs("a", at(1), Duration::from_secs(10), 10);
    assert_eq!(first.await.unwrap().len(), 2);
    // "b" believes it is a day later; the lease still has ten seconds on the database's clock.
    let day = 24 * 3600 * 1000;
    let ahead = s.db.claim_jobs("b", at(day), LONG, 10).await.unwrap();
    assert!(ahead.is_empty(), "{ahead:?}");
}

async fn a_guilds_announcements_held_by_one_instance_are_not_claimed_by_another_but_its_grants_are(
    s: &Scratch,
) {
    votes(s, 3).await;
    let first = s.db.claim_jobs("a", at(1), LONG, 1).await.unwrap();
    assert_eq!(first[0].kind(), "announce");
    let other = s.db.claim_jobs("b", at(1), LONG, 100).await.unwrap();
    let kinds: Vec<&str> = other.iter().map(Job::kind).collect();
    assert_eq!(kinds, ["grant_role"; 3]);
    let rest = s.db.claim_jobs("a", at(1), LONG, 100).await.unwrap();
    let kinds: Vec<&str> = rest.iter().map(Job::kind).collect();
    assert_eq!(kinds, ["announce"; 2], "the holder takes the others");
}

async fn concurrent_claimers_never_split_one_guilds_announcements(s: &Scratch) {
    votes(s, 40).await;
    let claim = |who: &'static str| {
        let db = s.db.clone();
        async move {
            let mut announced = 0;
            let mut claimed = 0;
            loop {
                let jobs = db.claim_jobs(who, at(1), LONG, 7).await.unwrap();
                if jobs.is_empty() {
                    return (announced, claimed);
                }
                claimed += jobs.len();
                announced += jobs.iter().filter(|j| j.kind() == "announce").count();
            }
        }
    };
    let ((a_announced, a_claimed), (b_announced, b_claimed)) = tokio::join!(claim("a"), claim("b"));
    assert_eq!(a_claimed + b_claimed, 80, "every due job claimed once");
    let mut announced = [a_announced, b_announced];
    announced.sort_unstable();
    assert_eq!(
        announced,
        [0, 40],
        "one instance holds all the announcements"
    );
}

async fn live_instances_are_counted_and_one_that_left_stops_counting_a_second_later(s: &Scratch) {
    assert_eq!(s.db.heartbeat("a").await.unwrap(), 1);
    assert_eq!(s.db.heartbeat("b").await.unwrap(), 2);
    assert_eq!(
        s.db.heartbeat("a").await.unwrap(),
        2,
        "a beat twice, still one"
    );
    s.db.leave_instances("b").await.unwrap();
    assert_eq!(
        s.db.heartbeat("a").await.unwrap(),
        2,
        "its last second still counts"
    );
    // The behaviour under test: a leaver stops counting once its last second is over, on the
    // database's clock.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(s.db.heartbeat("a").await.unwrap(), 1);
}
