//! A paused reward role: its grants wait (not due), and resuming it makes the live ones due
//! and settles those that lapsed meanwhile, on both backends.

use super::{GUILD, ROLE, Scratch, vote};
use topgg_bot::domain::ids::{GuildId, RoleId};
use topgg_bot::domain::keys::{GuildRole, LinkRef, MemberRole};
use topgg_bot::domain::time::Timestamp;
use topgg_bot::domain::work::Work;
use topgg_bot::storage::{JobStatus, WAITING_FOR_ROLE};

topgg_testkit::on_both_backends!(Scratch;
    a_paused_roles_grants_wait_and_resuming_makes_the_live_ones_due_and_settles_the_lapsed,
    a_lapsed_grant_is_forgotten_only_when_its_removal_is_done,
    removing_a_paused_reward_role_fails_the_grants_that_waited_for_it,
);

fn ids() -> (GuildId, RoleId) {
    (GUILD.parse().unwrap(), ROLE.parse().unwrap())
}

async fn a_paused_roles_grants_wait_and_resuming_makes_the_live_ones_due_and_settles_the_lapsed(
    s: &Scratch,
) {
    let conn = s.connection("c1").await;
    let (guild, role) = ids();
    let paused = GuildRole::new(&guild, &role);
    let early = vote("v1", "42");
    let mut late = vote("v2", "43");
    late.expires_at += chrono::Duration::hours(6);
    for v in [&early, &late] {
        s.db.record_vote(&conn, v, Timestamp::from_millis(0))
            .await
            .unwrap();
    }
    assert_eq!(s.db.pause_role(paused, "refused").await.unwrap(), 1);
    assert!(s.db.is_role_paused(paused).await.unwrap());
    assert_eq!(s.db.paused_roles(&guild).await.unwrap(), vec![role.clone()]);
    let claimed = s.db.claim_jobs(
        "me",
        Timestamp::from_millis(0),
        std::time::Duration::from_secs(60),
        10,
    );
    let grants: Vec<_> = claimed
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind() == "grant_role")
        .collect();
    assert_eq!(grants.len(), 2);
    for job in &grants {
        s.db.wait_for_role(
            "me",
            job.id,
            paused,
            1,
            Some("waiting"),
            Timestamp::from_millis(0),
        )
        .await
        .unwrap();
    }
    let waiting = s.db.all_jobs().await.unwrap();
    assert!(
        waiting
            .iter()
            .filter(|j| j.kind() == "grant_role")
            .all(|j| j.due_at == WAITING_FOR_ROLE)
    );

    let now = Timestamp::from(early.expires_at) + std::time::Duration::from_secs(1);
    let resumed = s.db.resume_role(paused, now).await.unwrap();
    assert_eq!((resumed.links, resumed.woken, resumed.expired), (1, 1, 1));
    assert!(!s.db.is_role_paused(paused).await.unwrap());
    let jobs = s.db.all_jobs().await.unwrap();
    let grant_of = |voter: &str| {
        let is_for =
            |w: &Work| matches!(w, Work::GrantRole { user_id, .. } if user_id.to_string() == voter);
        jobs.iter().find(|j| is_for(&j.work)).unwrap().clone()
    };
    assert_eq!(
        grant_of("42").status,
        JobStatus::Done,
        "lapsed meanwhile: no call"
    );
    assert_eq!(
        (grant_of("43").status, grant_of("43").due_at),
        (JobStatus::Queued, now)
    );

    // Parked after the role was resumed (the worker read it paused just before): due at once.
    s.db.wait_for_role("me", grants[1].id, paused, 1, Some("waiting"), now)
        .await
        .unwrap();
    let again = s.db.all_jobs().await.unwrap();
    assert_eq!(
        again.iter().find(|j| j.id == grants[1].id).unwrap().due_at,
        now
    );
}

async fn a_lapsed_grant_is_forgotten_only_when_its_removal_is_done(s: &Scratch) {
    let conn = s.connection("c1").await;
    let (guild, role) = ids();
    let v = vote("v1", "42");
    s.db.record_vote(&conn, &v, Timestamp::from_millis(0))
        .await
        .unwrap();
    let user: topgg_bot::domain::ids::UserId = "42".parse().unwrap();
    let grant = MemberRole::new(&guild, &user, &role);
    let after = Timestamp::from(v.expires_at) + std::time::Duration::from_secs(1);
    assert!(
        s.db.role_held(grant, Timestamp::from_millis(0))
            .await
            .unwrap()
    );
    assert!(!s.db.role_held(grant, after).await.unwrap());
    assert_eq!(
        s.db.recorded_grants(grant).await.unwrap(),
        1,
        "asking forgets nothing"
    );
    s.db.forget_lapsed_grants(grant, after).await.unwrap();
    assert_eq!(s.db.recorded_grants(grant).await.unwrap(), 0);
}

async fn removing_a_paused_reward_role_fails_the_grants_that_waited_for_it(s: &Scratch) {
    let conn = s.connection("c1").await;
    let (guild, role) = ids();
    let paused = GuildRole::new(&guild, &role);
    let at = Timestamp::from_millis(0);
    s.db.record_vote(&conn, &vote("v1", "42"), at)
        .await
        .unwrap();
    s.db.pause_role(paused, "refused").await.unwrap();
    let claimed =
        s.db.claim_jobs("me", at, std::time::Duration::from_secs(60), 10);
    for job in claimed.await.unwrap() {
        if job.kind() == "grant_role" {
            let parked =
                s.db.wait_for_role("me", job.id, paused, 1, Some("waiting"), at);
            parked.await.unwrap();
        }
    }
    assert_eq!(
        s.db.drop_waiting_for_role(paused, at).await.unwrap(),
        0,
        "still paused"
    );
    assert!(
        s.db.remove_reward_role(LinkRef::new(&guild, &conn.connection_id), &role)
            .await
            .unwrap()
    );
    assert_eq!(s.db.drop_waiting_for_role(paused, at).await.unwrap(), 1);
    let jobs = s.db.all_jobs().await.unwrap();
    let grant = jobs.iter().find(|j| j.kind() == "grant_role").unwrap();
    assert_eq!(grant.status, JobStatus::Failed);
}
