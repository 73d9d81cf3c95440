//! The storage layer's promises, on a real SQLite file and a real Postgres database, without
//! a running worker (so queued work stays visible).

use std::time::Duration;

use topgg_bot::domain::events::{Event, Vote};
use topgg_bot::domain::ids::{GuildId, RoleId};
use topgg_bot::domain::keys::{GuildChannel, GuildRole, LinkRef, MemberRole};
use topgg_bot::domain::rewards::{RewardDuration, RewardRole};
use topgg_bot::domain::time::Timestamp;
use topgg_bot::samples::{sample_integration_create, sample_project, sample_vote};
use topgg_bot::storage::{Connection, Db, JobId, JobStatus, VoteOutcome};
use topgg_testkit::postgres::drop_postgres_database;
use topgg_testkit::{Backend, BackendFixture, eventually};

#[path = "storage/leases.rs"]
mod leases;
#[path = "storage/role_pause.rs"]
mod role_pause;

const GUILD: &str = "700000000000000001";
const ROLE: &str = "720000000000000001";
const CHANNEL: &str = "710000000000000001";

struct Scratch {
    db: Db,
    _dir: tempfile::TempDir,
    postgres: Option<String>,
}

impl BackendFixture for Scratch {
    async fn open(backend: Backend) -> Option<Scratch> {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = backend.fresh_database(dir.path(), "s.db").await?;
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        Some(Scratch {
            db,
            _dir: dir,
            postgres,
        })
    }

    async fn close(self) {
        self.db.close().await;
        if let Some(name) = self.postgres {
            drop_postgres_database(&name).await;
        }
    }
}

impl Scratch {
    /// A server project linked to GUILD with a channel and a temporary reward role.
    async fn connection(&self, id: &str) -> Connection {
        let project = sample_project("p1", "server", GUILD);
        let Event::IntegrationCreate(create) = Event::parse(
            &serde_json::to_vec(&sample_integration_create(id, "whs", &project, "1")).unwrap(),
        )
        .unwrap() else {
            unreachable!()
        };
        self.db
            .upsert_connection(&create, Timestamp::from_millis(0))
            .await
            .unwrap();
        let (guild, connection) = (guild(), id.parse().unwrap());
        let link = LinkRef::new(&guild, &connection);
        let channel = CHANNEL.parse().unwrap();
        self.db.set_channel(link, Some(&channel)).await.unwrap();
        let role = RewardRole {
            role_id: role(),
            votes_required: 1,
            duration: RewardDuration::UntilVoteExpires,
        };
        self.db.add_reward_role(link, &role).await.unwrap();
        self.db.connection(&connection).await.unwrap().unwrap()
    }

    /// How many Discord jobs `vote`, stored at `at`, queued (it must be stored).
    async fn jobs_queued(&self, conn: &Connection, vote: &Vote, at: i64) -> usize {
        let at = Timestamp::from_millis(at);
        match self.db.record_vote(conn, vote, at).await.unwrap() {
            VoteOutcome::Stored { jobs, .. } => jobs,
            other => panic!("not stored: {other:?}"),
        }
    }
}

fn guild() -> GuildId {
    GUILD.parse().unwrap()
}

fn role() -> RoleId {
    ROLE.parse().unwrap()
}

fn vote(id: &str, voter: &str) -> Vote {
    let body = sample_vote(id, &sample_project("p1", "server", GUILD), voter, "v");
    let Event::VoteCreate(vote) = Event::parse(&serde_json::to_vec(&body).unwrap()).unwrap() else {
        unreachable!()
    };
    vote
}

topgg_testkit::on_both_backends!(Scratch;

    a_vote_queues_an_announcement_a_grant_and_a_removal_at_expiry,
    deleting_a_connection_cancels_pending_work_but_keeps_scheduled_removals,
    concurrent_claimers_never_get_the_same_job,
    a_role_is_kept_while_another_projects_grant_still_holds_it,
    finishing_jobs_together_marks_each_done_and_leaves_the_others_queued,
    a_guild_the_bot_left_gets_no_work_until_it_is_back,
    a_paused_channel_and_a_disabled_role_queue_nothing_and_a_new_channel_resumes,
    a_server_project_is_named_after_its_guild_unless_display_overrides_it,
    a_linked_bot_projects_name_is_due_for_a_refresh_once_a_day,
    a_job_claimed_again_before_it_was_settled_or_given_back_is_interrupted,
);

async fn a_job_claimed_again_before_it_was_settled_or_given_back_is_interrupted(s: &Scratch) {
    let conn = s.connection("c1").await;
    s.db.record_vote(&conn, &vote("v1", "42"), Timestamp::from_millis(0))
        .await
        .unwrap();
    let claim = |who: &'static str, at: i64, lease: Duration| {
        let at = Timestamp::from_millis(at);
        s.db.claim_jobs(who, at, lease, 100)
    };
    let first = claim("a", 1, Duration::from_millis(200)).await.unwrap();
    assert_eq!(first.len(), 2, "the announcement and the grant: {first:?}");
    assert!(first.iter().all(|j| !j.interrupted));
    let retried = first[0].id;
    s.db.retry_job("a", retried, Timestamp::from_millis(1), 1, "429")
        .await
        .unwrap();
    // "a" stops without a word: its lease lapses (on the database's clock) and "b" takes the work.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = claim("b", 20_000, Duration::from_secs(10)).await.unwrap();
    let mut interrupted: Vec<(JobId, bool)> =
        second.iter().map(|j| (j.id, j.interrupted)).collect();
    interrupted.sort();
    assert_eq!(interrupted, vec![(first[0].id, false), (first[1].id, true)]);
    s.db.release_leases("b").await.unwrap();
    let third = claim("c", 20_001, Duration::from_secs(10)).await.unwrap();
    assert!(third.iter().all(|j| !j.interrupted), "{third:?}");
}

async fn a_linked_bot_projects_name_is_due_for_a_refresh_once_a_day(s: &Scratch) {
    let project = sample_project("p2", "bot", "990000000000000001");
    let body = sample_integration_create("b1", "whs", &project, "1");
    let Event::IntegrationCreate(create) =
        Event::parse(&serde_json::to_vec(&body).unwrap()).unwrap()
    else {
        unreachable!()
    };
    s.db.upsert_connection(&create, Timestamp::from_millis(0))
        .await
        .unwrap();
    assert!(
        s.db.names_to_refresh(Timestamp::from_millis(10))
            .await
            .unwrap()
            .is_empty(),
        "not linked yet"
    );
    let (guild, b1, owner) = (guild(), "b1".parse().unwrap(), "1".parse().unwrap());
    let linked_at = Timestamp::from_millis(0);
    s.db.link(LinkRef::new(&guild, &b1), &owner, linked_at)
        .await
        .unwrap();
    let due =
        s.db.names_to_refresh(Timestamp::from_millis(10))
            .await
            .unwrap();
    assert_eq!(due[0].project_platform_id, "990000000000000001");
    s.db.set_project_name(
        &"b1".parse().unwrap(),
        Some("Cool Bot"),
        Timestamp::from_millis(100),
    )
    .await
    .unwrap();
    assert!(
        s.db.names_to_refresh(Timestamp::from_millis(50))
            .await
            .unwrap()
            .is_empty(),
        "fresh"
    );
    assert_eq!(
        s.db.names_to_refresh(Timestamp::from_millis(101))
            .await
            .unwrap()
            .len(),
        1,
        "stale again"
    );
    let links = s.db.links_in_guild(&GUILD.parse().unwrap()).await.unwrap();
    assert_eq!(links[0].project_name.as_deref(), Some("Cool Bot"));
}

async fn a_guild_the_bot_left_gets_no_work_until_it_is_back(s: &Scratch) {
    let conn = s.connection("c1").await;
    s.db.record_vote(&conn, &vote("v1", "42"), Timestamp::from_millis(1000))
        .await
        .unwrap();
    s.db.guild_gone(&GUILD.parse().unwrap(), Timestamp::from_millis(2000))
        .await
        .unwrap();
    assert!(s.db.is_guild_gone(&GUILD.parse().unwrap()).await.unwrap());
    assert!(
        s.db.all_jobs().await.unwrap().is_empty(),
        "queued work dropped"
    );
    assert_eq!(s.jobs_queued(&conn, &vote("v2", "42"), 3000).await, 0);
    let back = Timestamp::from_millis(4000);
    s.db.guild_present(&guild(), "Back", back).await.unwrap();
    assert_eq!(s.jobs_queued(&conn, &vote("v3", "42"), 5000).await, 3);
}

async fn a_paused_channel_and_a_disabled_role_queue_nothing_and_a_new_channel_resumes(s: &Scratch) {
    let conn = s.connection("c1").await;
    let (guild, channel, role) = (guild(), CHANNEL.parse().unwrap(), role());
    let in_channel = GuildChannel::new(&guild, &channel);
    s.db.pause_channel(in_channel, Some("deleted"))
        .await
        .unwrap();
    assert!(s.db.is_channel_paused(in_channel).await.unwrap());
    s.db.disable_role(GuildRole::new(&guild, &role), "deleted")
        .await
        .unwrap();
    assert_eq!(s.jobs_queued(&conn, &vote("v1", "42"), 1000).await, 0);
    let link = LinkRef::new(&guild, &conn.connection_id);
    let roles = s.db.role_settings(link).await.unwrap();
    assert_eq!(roles[0].disabled_reason.as_deref(), Some("deleted"));
    s.db.set_channel(link, Some(&channel)).await.unwrap();
    assert!(!s.db.is_channel_paused(in_channel).await.unwrap());
    // The next vote is announced there again; the disabled role still gets nothing.
    assert_eq!(s.jobs_queued(&conn, &vote("v2", "43"), 2000).await, 1);
    let jobs = s.db.all_jobs().await.unwrap();
    let announced_in = |j: &topgg_bot::storage::Job| match &j.work {
        topgg_bot::domain::work::Work::Announce { channel_id, .. } => Some(channel_id.to_string()),
        _ => None,
    };
    let channels: Vec<String> = jobs.iter().filter_map(announced_in).collect();
    assert_eq!((jobs.len(), channels), (1, vec![CHANNEL.to_string()]));
}

async fn a_server_project_is_named_after_its_guild_unless_display_overrides_it(s: &Scratch) {
    let conn = s.connection("c1").await;
    let guild = guild();
    let shown_name = || async {
        let links = s.db.links_in_guild(&guild).await.unwrap();
        links[0].project_name.clone()
    };
    assert_eq!(shown_name().await, None);
    let named_at = Timestamp::from_millis(1);
    s.db.guild_present(&guild, "My Server", named_at)
        .await
        .unwrap();
    assert_eq!(shown_name().await.as_deref(), Some("My Server"));
    let link = LinkRef::new(&guild, &conn.connection_id);
    s.db.set_display(link, Some("Shown"), None).await.unwrap();
    assert_eq!(shown_name().await.as_deref(), Some("Shown"));
    let settings = s.db.links_of(&conn.connection_id).await.unwrap();
    assert_eq!(settings[0].project_name.as_deref(), Some("Shown"));
}

async fn finishing_jobs_together_marks_each_done_and_leaves_the_others_queued(s: &Scratch) {
    let conn = s.connection("c1").await;
    for i in 0..3 {
        let v = vote(&format!("v{i}"), &format!("{i}"));
        s.db.record_vote(&conn, &v, Timestamp::from_millis(0))
            .await
            .unwrap();
    }
    let claimed =
        s.db.claim_jobs(
            "me",
            Timestamp::from_millis(1),
            Duration::from_secs(60),
            100,
        )
        .await
        .unwrap();
    let ids: Vec<JobId> = claimed.iter().map(|j| j.id).take(4).collect();
    s.db.finish_jobs("me", &ids, Timestamp::from_millis(5_000))
        .await
        .unwrap();
    s.db.finish_jobs("me", &[], Timestamp::from_millis(5_000))
        .await
        .unwrap();
    for job in s.db.all_jobs().await.unwrap() {
        let expected = if ids.contains(&job.id) {
            JobStatus::Done
        } else {
            JobStatus::Queued
        };
        assert_eq!(job.status, expected, "job {} ({})", job.id, job.kind());
    }
    let done = s.db.all_jobs().await.unwrap().into_iter();
    assert_eq!(done.filter(|j| j.status == JobStatus::Done).count(), 4);
}

async fn a_vote_queues_an_announcement_a_grant_and_a_removal_at_expiry(s: &Scratch) {
    let conn = s.connection("c1").await;
    let v = vote("v1", "42");
    assert_eq!(s.jobs_queued(&conn, &v, 1000).await, 3);
    assert_eq!(
        s.db.record_vote(&conn, &v, Timestamp::from_millis(1000))
            .await
            .unwrap(),
        VoteOutcome::Duplicate
    );
    let jobs = s.db.all_jobs().await.unwrap();
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind()).collect();
    assert_eq!(kinds, ["announce", "grant_role", "remove_role"]);
    assert_eq!(jobs[2].due_at, Timestamp::from(v.expires_at));
}

async fn deleting_a_connection_cancels_pending_work_but_keeps_scheduled_removals(s: &Scratch) {
    let conn = s.connection("c1").await;
    s.db.record_vote(&conn, &vote("v1", "42"), Timestamp::from_millis(1000))
        .await
        .unwrap();
    assert!(
        s.db.delete_connection(&"c1".parse().unwrap(), Timestamp::from_millis(2000))
            .await
            .unwrap()
    );
    let kinds: Vec<&str> =
        s.db.all_jobs()
            .await
            .unwrap()
            .into_iter()
            .map(|j| j.kind())
            .collect();
    assert_eq!(kinds, ["remove_role"]);
    assert_eq!(s.db.vote_count(&"c1".parse().unwrap()).await.unwrap(), 0);
    assert!(
        s.db.links_of(&"c1".parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    let (guild, voter, role) = (guild(), "42".parse().unwrap(), role());
    let grant = MemberRole::new(&guild, &voter, &role);
    let never = Timestamp::from_millis(i64::MAX);
    assert!(!s.db.role_held(grant, never).await.unwrap());
}

async fn concurrent_claimers_never_get_the_same_job(s: &Scratch) {
    let conn = s.connection("c1").await;
    for i in 0..40 {
        s.db.record_vote(
            &conn,
            &vote(&format!("v{i}"), &format!("{i}")),
            Timestamp::from_millis(0),
        )
        .await
        .unwrap();
    }
    let claim = |who: &'static str| {
        let db = s.db.clone();
        async move {
            let mut mine = Vec::new();
            loop {
                let jobs = db
                    .claim_jobs(who, Timestamp::from_millis(1), Duration::from_secs(60), 7)
                    .await
                    .unwrap();
                if jobs.is_empty() {
                    return mine;
                }
                mine.extend(jobs.into_iter().map(|j| j.id));
            }
        }
    };
    let (a, b) = tokio::join!(claim("a"), claim("b"));
    let mut all: Vec<JobId> = a.iter().chain(&b).copied().collect();
    let claimed = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), claimed, "a job was claimed twice");
    assert_eq!(
        claimed, 80,
        "every due announcement and grant was claimed once"
    );
}

async fn a_role_is_kept_while_another_projects_grant_still_holds_it(s: &Scratch) {
    let first = s.connection("c1").await;
    let second = s.connection("c2").await;
    s.db.record_vote(&first, &vote("v1", "42"), Timestamp::from_millis(0))
        .await
        .unwrap();
    let mut later = vote("v2", "42");
    later.expires_at += chrono::Duration::hours(6);
    s.db.record_vote(&second, &later, Timestamp::from_millis(0))
        .await
        .unwrap();
    let (guild, voter, role) = (guild(), "42".parse().unwrap(), role());
    let grant = MemberRole::new(&guild, &voter, &role);
    let after = |vote: &Vote| Timestamp::from_millis(vote.expires_at.timestamp_millis() + 1000);
    let first_lapsed = s.db.role_held(grant, after(&vote("v1", "42")));
    assert!(first_lapsed.await.unwrap(), "c2 still holds it");
    assert!(!s.db.role_held(grant, after(&later)).await.unwrap());
}

/// Connections left inside a transaction sqlx does not know about (as after a COMMIT that
/// failed): the pool closes them on release, so every later write commits on a clean one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_sqlite_connections_left_inside_a_transaction_are_never_reused() {
    let s = Scratch::open(Backend::Sqlite).await.unwrap();
    let Db::Sqlite(pool, _) = &s.db else {
        unreachable!()
    };
    let mut poisoned = Vec::new();
    for _ in 0..4 {
        let mut conn = pool.acquire().await.unwrap();
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await.unwrap();
        poisoned.push(conn);
    }
    drop(poisoned);
    for i in 0..8 {
        let conn = s.connection(&format!("c{i}")).await;
        let outcome =
            s.db.record_vote(
                &conn,
                &vote(&format!("v{i}"), "9"),
                Timestamp::from_millis(1),
            )
            .await;
        assert!(
            matches!(outcome, Ok(VoteOutcome::Stored { .. })),
            "{outcome:?}"
        );
    }
    let url = format!("sqlite://{}", s._dir.path().join("s.db").display());
    let fresh = Db::connect(&url).await.unwrap();
    for i in 0..8 {
        let id = format!("c{i}").parse().unwrap();
        let pooled_write = fresh.connection(&id).await.unwrap();
        assert!(pooled_write.is_some(), "the connection c{i} was committed");
        assert_eq!(
            fresh
                .vote_count(&(format!("c{i}")).parse().unwrap())
                .await
                .unwrap(),
            1,
            "committed"
        );
    }
    fresh.close().await;
    s.close().await;
}

/// The spool mover stores spooled votes in Postgres once each; a vote whose connection was
/// deleted meanwhile is dropped instead of blocking the votes behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spooled_votes_are_moved_once_each_past_one_whose_connection_is_gone() {
    use topgg_bot::storage::{Spool, VoteWrite, drain_spool};
    let Some(s) = Scratch::open(Backend::Postgres).await else {
        return;
    };
    let conn = s.connection("c1").await;
    let mut gone = conn.clone();
    gone.connection_id = "deleted-meanwhile".parse().unwrap();
    let spool_file = s._dir.path().join("spool.db");
    let spool = Spool::open(spool_file.to_str().unwrap()).await.unwrap();
    let votes: Vec<Vote> = (0..3).map(|i| vote(&format!("sv{i}"), "9")).collect();
    let write = |connection, i: usize| VoteWrite {
        connection,
        vote: &votes[i],
        now: Timestamp::from_millis(1_000 + i as i64),
    };
    let writes = [write(&conn, 0), write(&gone, 1), write(&conn, 2)];
    spool.push(&writes).await.unwrap();
    spool.push(&writes[..1]).await.unwrap();
    assert_eq!(spool.depth(), 3, "a vote id is spooled once");
    let stop = tokio_util::sync::CancellationToken::new();
    let mover = tokio::spawn(drain_spool(
        s.db.clone(),
        spool.clone(),
        Default::default(),
        stop.clone(),
    ));
    let emptied = eventually(Duration::from_secs(20), || async {
        (spool.depth() == 0).then_some(())
    })
    .await;
    assert!(emptied.is_some(), "the spool was not emptied");
    stop.cancel();
    mover.await.unwrap().unwrap();
    assert_eq!(s.db.vote_count(&"c1".parse().unwrap()).await.unwrap(), 2);
    let figures =
        s.db.voter_figures(&"c1".parse().unwrap(), &"9".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(figures.total_votes, 2);
    spool.close().await;
    s.close().await;
}
