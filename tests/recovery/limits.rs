//! When recovery asks: on the timer, never again with a rejected token, after a 429's wait.

use std::sync::Arc;
use std::time::Duration;

use topgg_bot::domain::time::{Clock, ManualClock};
use topgg_testkit::Backend;
use topgg_testkit::topgg::API_TOKEN;

use super::{CONNECTION, Recovering, SECRET, project};

const VOTER: &str = "1600000000000000007";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_votes_are_recovered_on_the_timer() {
    let clock = Arc::new(ManualClock::starting_now());
    let r = Recovering::start_with(Backend::Sqlite, clock.clone(), 60)
        .await
        .unwrap();
    r.set_token(CONNECTION, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    let imported = r.pass_after(CONNECTION, None).await;
    r.topgg.vote_at(VOTER, clock.now().to_datetime());
    assert_eq!(r.vote_count().await, 0);

    clock.advance(Duration::from_secs(60));
    r.pass_after(CONNECTION, Some(imported)).await;
    assert_eq!(r.mentions_of(&[VOTER]).await, vec![1]);
    assert_eq!(r.vote_count().await, 1);
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_reported_and_never_used_again() {
    let r = Recovering::start(Backend::Sqlite).await.unwrap();
    let other = "conn-recover-other";
    r.app.connect(other, SECRET, &project()).await;
    r.set_token(CONNECTION, "a-token-top-gg-does-not-know")
        .await;
    r.set_token(other, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    let passed = r.pass_after(other, None).await;
    let state = r.token_state(CONNECTION).await.unwrap();
    assert!(state.rejected_at.is_some(), "{state:?}");
    let reason = state.rejected_reason.unwrap();
    assert!(
        reason.contains("401") && !reason.contains("a-token-top-gg"),
        "{reason}"
    );
    let rejected = |r: &Recovering| {
        let sent = r.topgg.requests();
        sent.iter().filter(|q| q.status == 401).count()
    };
    assert_eq!(rejected(&r), 1);

    let r = r.restart(|_| {}).await;
    r.pass_after(other, Some(passed)).await;
    assert_eq!(rejected(&r), 1, "the rejected token was not used again");
    r.set_token(CONNECTION, API_TOKEN).await;
    let replaced = r.token_state(CONNECTION).await.unwrap();
    assert_eq!((replaced.rejected_at, replaced.has_token), (None, true));
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_the_api_is_waited_out_for_its_retry_after() {
    let r = Recovering::start(Backend::Sqlite).await.unwrap();
    r.topgg.rate_limit_next(1, 1.0);
    r.set_token(CONNECTION, API_TOKEN).await;
    let r = r.restart(|_| {}).await;
    r.pass_after(CONNECTION, None).await;
    let sent = r.topgg.requests();
    assert_eq!(sent[0].status, 429);
    assert_eq!(
        (sent[1].status, sent[1].path.as_str()),
        (200, sent[0].path.as_str())
    );
    let waited = sent[1].at.duration_since(sent[0].at);
    assert!(
        waited >= Duration::from_secs(1),
        "asked again after {waited:?}"
    );
    assert!(
        r.token_state(CONNECTION)
            .await
            .unwrap()
            .rejected_at
            .is_none()
    );
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reads_the_project_and_a_discord_users_live_vote() {
    let topgg = topgg_testkit::topgg::TopggStandIn::start(&project()).await;
    let api = topgg_bot::topgg::TopggApi::new(reqwest::Client::new(), &topgg.api_url());
    let token = secrecy::SecretString::new(API_TOKEN.into());
    let me = api.project(&token).await.unwrap();
    assert_eq!(
        (me.id.as_str(), me.kind.as_str()),
        ("800000000000000002", "server")
    );

    let voter = topgg_bot::domain::ids::UserId::parse(VOTER).unwrap();
    assert_eq!(api.live_vote(&token, &voter).await.unwrap(), None);
    let cast = topgg.vote(VOTER);
    let live = api.live_vote(&token, &voter).await.unwrap().unwrap();
    assert_eq!(
        live.created_at.timestamp_millis(),
        cast.created_at.timestamp_millis()
    );
    let asked = topgg.requests().last().unwrap().clone();
    assert_eq!(asked.param("source"), Some("discord"));
    assert_eq!(
        asked.authorization.as_deref(),
        Some("Bearer topgg-api-token-for-tests")
    );

    let wrong = secrecy::SecretString::new("not-the-token".into());
    let refused = api.project(&wrong).await.unwrap_err();
    assert!(
        matches!(refused, topgg_bot::topgg::ApiError::Rejected(_)),
        "{refused}"
    );
    assert!(!refused.to_string().contains("not-the-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_is_stored_only_once_top_gg_shows_it_is_the_projects() {
    use topgg_bot::guild::{UserError, set_api_token};
    let r = Recovering::start(Backend::Sqlite).await.unwrap();
    let api = topgg_bot::topgg::TopggApi::new(reqwest::Client::new(), &r.topgg.api_url());
    let guild = topgg_bot::domain::ids::GuildId::from(topgg_testkit::standin::GUILD_ID);
    let now = r.app.clock.now();
    let set = |token: &'static str| set_api_token(&r.app.db, &api, &guild, None, token, now);

    let refused = set("a-wrong-token").await.unwrap_err();
    let refused = refused.downcast::<UserError>().unwrap().0;
    assert!(
        refused.contains("does not accept") && !refused.contains("a-wrong-token"),
        "{refused}"
    );
    assert_eq!(r.token_state(CONNECTION).await, None, "nothing stored");

    let elsewhere = topgg_testkit::topgg::TopggStandIn::start(&topgg_testkit::bot_project()).await;
    let other_api = topgg_bot::topgg::TopggApi::new(reqwest::Client::new(), &elsewhere.api_url());
    let other = set_api_token(&r.app.db, &other_api, &guild, None, API_TOKEN, now).await;
    let other = other.unwrap_err().downcast::<UserError>().unwrap().0;
    assert!(other.contains("another Top.gg project"), "{other}");
    assert_eq!(r.token_state(CONNECTION).await, None, "nothing stored");

    let saved = set(API_TOKEN).await.unwrap();
    assert!(
        saved.starts_with("Saved") && !saved.contains(API_TOKEN),
        "{saved}"
    );
    assert!(r.token_state(CONNECTION).await.unwrap().has_token);

    let removed = set("  ").await.unwrap();
    assert!(removed.starts_with("Removed"), "{removed}");
    assert!(!r.token_state(CONNECTION).await.unwrap().has_token);
    r.stop().await;
}
