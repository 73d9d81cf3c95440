//! Two instances on one Postgres act as one bot towards Discord: together they stay under its
//! 50 requests a second, and one channel is posted to by one instance at a time.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::rewards::{RewardDuration, RewardRole};
use topgg_testkit::process::{BotProcess, Settings};
use topgg_testkit::standin::{Fault, GUILD_ID, POST_CHANNEL_ID, REWARD_ROLE_ID, member, user};
use topgg_testkit::{bounded, eventually};

use crate::operations::{CONNECTION, Site, nonces, voter};

const ROLES: usize = 240;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_granting_240_roles_never_exceed_50_calls_in_any_second_and_grant_each_once()
{
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(180), async {
        site.standin.update_guild(|guild| {
            let voters = (0..ROLES).map(|i| user(voter(i).parse().unwrap(), "voter"));
            guild.members.extend(voters.map(|u| member(u, &[])));
        });
        let a = BotProcess::start(&site.settings("a")).await;
        let b = BotProcess::start(&site.settings("b")).await;
        site.connect(&a).await;
        reward_role_only(&site).await;
        send(&site, [&a.base, &b.base], ROLES, "grant").await;
        let granted = site.standin.wait_until(Duration::from_secs(90), |s| {
            let with_role = |i: &usize| {
                let roles = s.member_roles(GUILD_ID, voter(*i).parse().unwrap());
                roles.is_some_and(|r| r.contains(&REWARD_ROLE_ID))
            };
            ((0..ROLES).filter(with_role).count() == ROLES).then_some(())
        });
        assert!(granted.await.is_some(), "not every voter got the role");
        site.settle().await;
        let puts = site.standin.requests_matching("PUT", "/guilds/");
        let members: HashSet<&str> = puts.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            (puts.len(), members.len()),
            (ROLES, ROLES),
            "each role once"
        );
        let busiest = site.standin.max_calls_in_any_second();
        let per_second = site.standin.calls_per_second();
        eprintln!("calls per second: {per_second:?}");
        assert!(
            busiest <= 50,
            "{busiest} calls in one second: {per_second:?}"
        );
        let workers: HashSet<String> = site
            .jobs()
            .await
            .iter()
            .filter(|j| j.status == "done")
            .filter_map(|j| Some(j.leased_by.as_deref()?.split('-').next()?.to_string()))
            .collect();
        assert_eq!(workers.len(), 2, "both instances granted: {workers:?}");
    })
    .await;
    site.finish().await;
}

/// The link announces nothing and rewards every vote with the stand-in's reward role.
async fn reward_role_only(site: &Site) {
    let (guild, connection) = (GUILD_ID.to_string(), CONNECTION.parse().unwrap());
    let guild = guild.parse().unwrap();
    site.db
        .set_channel(LinkRef::new(&guild, &connection), None)
        .await
        .unwrap();
    let role = RewardRole {
        role_id: REWARD_ROLE_ID.to_string().parse().unwrap(),
        votes_required: 1,
        duration: RewardDuration::Permanent,
    };
    site.db
        .add_reward_role(LinkRef::new(&guild, &connection), &role)
        .await
        .unwrap();
}

/// Votes `0..n` (ids `{prefix}-{i}`), vote `i` to instance `i % 2`, 16 at a time.
async fn send(site: &Site, bases: [&str; 2], n: usize, prefix: &str) {
    let send = |i: usize| async move {
        let id = format!("{prefix}-{i}");
        site.vote(bases[i % 2], &id, &voter(i)).await.unwrap()
    };
    let statuses: Vec<u16> = futures_util::stream::iter(0..n)
        .map(send)
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
}

const BURST: usize = 150;
/// How long the stand-in takes to answer the first announcement of the burst.
const SLOW_ANSWER: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_to_one_channel_with_two_instances_is_posted_by_one_instance_at_a_time_as_one_set_of_digests()
 {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(180), async {
        let settings = |name: &str| {
            let mut settings: Settings = site.settings(name);
            let recheck = ("TOPGG_BOT__DISCORD__TOKEN_RECHECK_SECS".into(), "1".into());
            settings.extra_env.push(recheck);
            settings
        };
        let a = BotProcess::start(&settings("a")).await;
        let b = BotProcess::start(&settings("b")).await;
        site.connect(&a).await;
        // Both instances stop delivery on a 401, so the burst queues whole.
        site.standin.revoke_token(true);
        for (i, bot) in [&a, &b].into_iter().enumerate() {
            let id = format!("probe-{i}");
            let probe = site.vote(&bot.base, &id, &voter(BURST + i)).await;
            assert_eq!(probe.unwrap(), 204);
            wait_until_unready(&site, bot).await;
        }
        send(&site, [&a.base, &b.base], BURST, "burst").await;
        let path = format!("/channels/{POST_CHANNEL_ID}/messages");
        site.standin
            .fail_next("POST", &path, 1, Fault::Delay(SLOW_ANSWER));
        site.standin.revoke_token(false);
        let announced = site
            .wait_for_announced(BURST + 2, Duration::from_secs(60))
            .await;
        site.settle().await;
        let distinct: HashSet<&String> = announced.iter().collect();
        assert_eq!((announced.len(), distinct.len()), (BURST + 2, BURST + 2));
        // The probes' refused (401) requests are not posts.
        let posts: Vec<_> = site
            .announcement_requests()
            .into_iter()
            .filter(|r| r.status == 200)
            .collect();
        let unique: HashSet<String> = nonces(&posts).into_iter().collect();
        assert_eq!(unique.len(), posts.len(), "no message posted twice");
        assert!(posts.len() <= 6, "{} messages for one burst", posts.len());
        let mut arrivals: Vec<Instant> = posts.iter().map(|r| r.at).collect();
        arrivals.sort_unstable();
        assert!(
            arrivals[1] >= arrivals[0] + SLOW_ANSWER,
            "another instance posted {:?} after the first message, before it was answered",
            arrivals[1] - arrivals[0]
        );
    })
    .await;
    site.finish().await;
}

/// Waits until `bot`'s `/readyz` answers 503 (it met the revoked token).
async fn wait_until_unready(site: &Site, bot: &BotProcess) {
    let url = format!("{}/readyz", bot.base);
    let unready = eventually(Duration::from_secs(20), || async {
        let status = site.client.get(&url).send().await.unwrap().status();
        (status == 503).then_some(())
    })
    .await;
    assert!(unready.is_some(), "{} never met the 401", bot.name);
}
