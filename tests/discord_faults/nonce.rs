//! A digest whose response was lost (Discord posted it, the connection broke) is retried
//! under its nonce, even when newer votes for the channel are due at the same time.

use std::time::Duration;

use crate::discord_faults::{Bot, WAIT, mentions};
use topgg_testkit::standin::*;

const FIRST_VOTER: u64 = 1_700_000_000_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_whose_response_was_lost_is_posted_exactly_once() {
    let bot = Bot::start().await;
    bot.link_with_channel().await;
    let voters: Vec<u64> = (0..10).map(|i| FIRST_VOTER + i).collect();
    let bot_ref = &bot;
    let vote = |i: usize| {
        let (id, voter) = (format!("lost-{i}"), voters[i]);
        async move { bot_ref.vote_by(&id, voter).await }
    };
    assert_eq!(vote(0).await, 204);
    bot.messages_until(WAIT, |m| m.len() == 1).await;

    // Each of the next two claims holds the worker 3 s on a slow role grant.
    bot.reward_with_slow_grants(2, Duration::from_secs(3)).await;
    assert_eq!(vote(1).await, 204);
    bot.messages_until(WAIT, |m| m.len() == 2).await;

    // Six votes queue up meanwhile: one digest, posted, its response lost.
    let path = format!("/channels/{POST_CHANNEL_ID}/messages");
    bot.discord.fail_next("POST", &path, 1, Fault::DropResponse);
    for i in 2..8 {
        assert_eq!(vote(i).await, 204);
    }
    let is_digest =
        |r: &RecordedRequest| r.is("POST", &path) && r.body.to_string().contains("6 new votes");
    assert!(bot.discord.wait_for(is_digest, WAIT).await.is_some());
    // Its retry (1 s later) waits for the slow grant and so is claimed with two newer votes.
    assert_eq!(vote(8).await, 204);
    assert_eq!(vote(9).await, 204);

    let everyone = |m: &[serde_json::Value]| voters.iter().all(|v| mentions(m, *v) >= 1);
    bot.messages_until(Duration::from_secs(30), everyone).await;
    bot.app.settle().await;
    let messages = bot.discord.messages_in(POST_CHANNEL_ID);
    for voter in &voters {
        assert_eq!(
            mentions(&messages, *voter),
            1,
            "voter {voter} in {messages:#?}"
        );
    }
    bot.stop().await;
}
