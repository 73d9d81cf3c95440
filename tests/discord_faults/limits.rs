//! The instance-wide limits of the delivery client: a global 429 pauses every route, no
//! second holds more than 50 calls, every call names the bot in its User-Agent, and the bot
//! rests a channel when Discord's `X-RateLimit-Remaining` reaches 0.

use std::time::Duration;

use secrecy::SecretString;
use topgg_bot::discord::{DiscordError, DiscordRest};
use topgg_bot::domain::ids::{ChannelId, GuildId, RoleId, UserId};
use topgg_bot::domain::time::SystemClock;

use topgg_testkit::standin::*;

fn client(discord: &DiscordStandIn) -> DiscordRest {
    let token = SecretString::new(FAKE_TOKEN.into());
    let clock = SystemClock::shared();
    DiscordRest::new(reqwest::Client::new(), &discord.url(), token, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_429_pauses_every_route_until_retry_after() {
    let discord = DiscordStandIn::start().await;
    let rest = client(&discord);
    let channel = ChannelId::from(POST_CHANNEL_ID);
    let path = format!("/channels/{channel}/messages");
    let retry_after = 1.5;
    discord.fail_next("POST", &path, 1, Fault::GlobalRateLimited { retry_after });

    let first = rest.create_message(&channel, "first", &[], None).await;
    assert!(
        matches!(first, Err(DiscordError::RateLimited { .. })),
        "{first:?}"
    );
    let (guild, user, role) = (
        GuildId::from(GUILD_ID),
        UserId::from(PLAIN_USER_ID),
        RoleId::from(REWARD_ROLE_ID),
    );
    let other_channel = ChannelId::from(DENIED_CHANNEL_ID);
    let (grant, other) = tokio::join!(
        rest.add_role(&guild, &user, &role),
        rest.create_message(&other_channel, "elsewhere", &[], None),
    );
    assert!(grant.is_ok(), "{grant:?}");
    assert!(
        matches!(other, Err(DiscordError::Permanent { .. })),
        "{other:?}"
    );

    let requests = discord.requests();
    let limited = requests.iter().find(|r| r.status == 429).unwrap();
    for later in requests.iter().filter(|r| r.seq > limited.seq) {
        let waited = later.at.duration_since(limited.at);
        assert!(
            waited >= Duration::from_secs_f64(retry_after),
            "{} {} only {waited:?} after the global 429",
            later.method,
            later.path
        );
    }
    assert_eq!(requests.len(), 3);
    assert_eq!(discord.rate_limit_violations(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_across_many_channels_stays_under_50_requests_a_second() {
    let discord = DiscordStandIn::start().await;
    let rest = client(&discord);
    let calls = (0..120u64).map(|i| {
        let rest = rest.clone();
        // Unknown channels answer 404, which Discord counts against the limit too.
        let channel = ChannelId::from(POST_CHANNEL_ID + i % 30);
        async move { rest.create_message(&channel, "burst", &[], None).await }
    });
    futures_util::future::join_all(calls).await;

    assert_eq!(discord.requests_matching("POST", "/channels/").len(), 120);
    let busiest = discord.busiest_window("POST", "/channels/", Duration::from_secs(1));
    assert!(busiest <= 50, "{busiest} requests within one second");
    assert_eq!(
        discord.rate_limits_issued(),
        0,
        "no global 429 from the stand-in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_call_names_the_bot_in_its_user_agent() {
    let discord = DiscordStandIn::start().await;
    let rest = client(&discord);
    let (guild, user, role) = (
        GuildId::from(GUILD_ID),
        UserId::from(PLAIN_USER_ID),
        RoleId::from(REWARD_ROLE_ID),
    );
    let channel = ChannelId::from(POST_CHANNEL_ID);
    rest.create_message(&channel, "hi", std::slice::from_ref(&user), Some("n1"))
        .await
        .unwrap();
    rest.add_role(&guild, &user, &role).await.unwrap();
    rest.remove_role(&guild, &user, &role).await.unwrap();
    rest.current_user_name().await.unwrap();

    let requests = discord.requests();
    assert_eq!(requests.len(), 4);
    let expected = format!(", {})", env!("CARGO_PKG_VERSION"));
    for r in &requests {
        let agent = r.header("user-agent").unwrap_or_default();
        assert!(
            agent.starts_with("DiscordBot (") && agent.ends_with(&expected),
            "{} {}: {agent:?}",
            r.method,
            r.path
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_rests_a_channel_on_remaining_zero_and_meets_no_429() {
    let bot = crate::discord_faults::Bot::start().await;
    bot.link_with_channel().await;
    bot.discord
        .limit_channel_messages(5, Duration::from_secs(5));
    let posts = format!("/channels/{POST_CHANNEL_ID}/messages");
    let before = bot.discord.requests_matching("POST", &posts).len();
    // One vote at a time, each announced on its own: more than the channel's 5 per 5 s.
    for i in 0..7u64 {
        let voter = 1_700_000_000_000_000_500 + i;
        assert_eq!(bot.vote_by(&format!("rest-{i}"), voter).await, 204);
        let announced = |m: &[serde_json::Value]| crate::discord_faults::mentions(m, voter) == 1;
        let within = Duration::from_secs(20);
        bot.messages_until(within, announced).await;
    }

    let requests = bot.discord.requests_matching("POST", &posts);
    assert_eq!(requests.len(), before + 7, "one post per vote");
    assert!(requests.iter().all(|r| r.status == 200), "no 429");
    assert_eq!(bot.discord.rate_limits_issued(), 0);
    let exhausted = requests
        .iter()
        .position(|r| r.response_header("x-ratelimit-remaining") == Some("0"))
        .expect("a post used up the bucket");
    let reset_after: f64 = requests[exhausted]
        .response_header("x-ratelimit-reset-after")
        .unwrap()
        .parse()
        .unwrap();
    let next = &requests[exhausted + 1];
    let rested = next.at.duration_since(requests[exhausted].at);
    assert!(
        rested >= Duration::from_secs_f64(reset_after),
        "the next post came {rested:?} after Remaining: 0 (reset after {reset_after} s)"
    );
    bot.stop().await;
}
