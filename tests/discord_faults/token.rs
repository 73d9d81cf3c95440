//! A revoked token (401): delivery stops at once, the jobs stay queued, `/readyz` says why,
//! the token is checked again at most once per interval, and delivery resumes when it works.

use std::time::Duration;

use crate::discord_faults::{Bot, WAIT};
use topgg_testkit::standin::*;
use topgg_testkit::{eventually, jobs_done};

const RECHECK: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_delivery_keeps_the_jobs_and_resumes_when_it_works() {
    let bot = Bot::builder()
        .config(|c| c.discord.token_recheck_secs = RECHECK.as_secs())
        .start()
        .await;
    bot.link_with_channel().await;
    let options = vec![("role", Opt::Role(REWARD_ROLE_ID))];
    bot.command(&["topgg", "roles", "add"], options, ADMIN_USER_ID)
        .await;

    bot.discord.revoke_token(true);
    for i in 0..3 {
        assert_eq!(
            bot.vote_by(&format!("revoked-{i}"), PLAIN_USER_ID).await,
            204
        );
    }
    let is_check = |r: &RecordedRequest| r.is("GET", "/users/@me");
    let rejected = bot
        .discord
        .wait_for(|r| r.status == 401 && !is_check(r), WAIT)
        .await;
    assert!(rejected.is_some(), "delivery met the 401");
    assert!(bot.readiness_becomes(503, WAIT).await.is_some());
    let (_, body) = bot.readiness().await;
    assert_eq!(body["discord"], "token rejected", "{body}");
    assert!(body["reason"].as_str().unwrap().contains("(401)"), "{body}");

    // Two checks of the token go by while it stays rejected.
    let seen = bot
        .discord
        .requests_when("GET", "/users/@me", WAIT, |checks| checks.len() >= 2)
        .await;
    assert!(seen.len() >= 2, "the token was not checked again");
    for pair in seen.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= RECHECK - Duration::from_millis(50),
            "checks {gap:?} apart"
        );
    }
    // Discord has answered before the revocation, so the message bucket and the role bucket
    // may each have had one call in flight when the first 401 came back; nothing after it.
    let first_check = seen[0].at;
    let delivery_401s: Vec<RecordedRequest> = bot
        .discord
        .requests()
        .into_iter()
        .filter(|r| r.status == 401 && !is_check(r))
        .collect();
    let paths: Vec<&str> = delivery_401s.iter().map(|r| r.path.as_str()).collect();
    assert!(
        (1..=2).contains(&delivery_401s.len()),
        "at most one call per bucket in flight met the 401, the rest were held: {paths:?}"
    );
    assert!(
        delivery_401s.iter().all(|r| r.at < first_check),
        "no delivery call was sent after the token was found rejected: {paths:?}"
    );
    let jobs = bot.app.db.all_jobs().await.unwrap();
    assert_eq!(
        jobs.len(),
        9,
        "announcements, grants, later removals: {jobs:?}"
    );
    for job in &jobs {
        assert_eq!(
            (job.status.as_str(), job.attempts),
            ("queued", 0),
            "{job:?}"
        );
    }

    bot.discord.revoke_token(false);
    let messages = bot.messages_until(WAIT, |m| m.len() >= 3).await;
    assert_eq!(
        messages.len(),
        3,
        "every vote announced once the token works"
    );
    assert!(bot.readiness_becomes(200, WAIT).await.is_some());
    let done = jobs_done(&bot.app.db, 6, WAIT).await;
    assert_eq!(done, Some(6), "the 3 announcements and 3 role grants");
    for r in bot.discord.requests() {
        let agent = r.header("user-agent").unwrap_or_default();
        assert!(
            agent.starts_with("DiscordBot ("),
            "{} {}: {agent:?}",
            r.method,
            r.path
        );
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_gateway_finds_revoked_stops_delivery_until_it_works_again() {
    let bot = Bot::builder()
        .config(|c| c.discord.token_recheck_secs = RECHECK.as_secs())
        .start()
        .await;
    bot.link_with_channel().await;
    bot.discord.revoke_token(true);
    // The session breaks; serenity's new IDENTIFY is refused with 4004.
    bot.discord.disconnect_gateway(4000);
    let rejected = |body: &serde_json::Value| body["discord"] == "token rejected";
    let found_rejected = eventually(WAIT, || async {
        rejected(&bot.readiness().await.1).then_some(())
    });
    found_rejected.await;
    let (status, body) = bot.readiness().await;
    assert!(status == 503 && rejected(&body), "{body}");

    assert_eq!(bot.vote_by("after-4004", PLAIN_USER_ID).await, 204);
    let checks = bot
        .discord
        .requests_when("GET", "/users/@me", WAIT, |checks| checks.len() >= 2)
        .await;
    assert!(checks.len() >= 2, "the token was not checked again");
    let posts = format!("/channels/{POST_CHANNEL_ID}/messages");
    assert!(
        bot.discord.requests_matching("POST", &posts).is_empty(),
        "delivery held"
    );
    let identifies = bot.discord.identify_count();

    bot.discord.revoke_token(false);
    assert_eq!(bot.messages_until(WAIT, |m| !m.is_empty()).await.len(), 1);
    assert!(
        bot.readiness_becomes(200, Duration::from_secs(20))
            .await
            .is_some()
    );
    assert!(
        bot.discord.identify_count() > identifies,
        "the gateway reconnected"
    );
    bot.stop().await;
}
