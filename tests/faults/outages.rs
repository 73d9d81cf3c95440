//! Outages of what the service depends on: Discord (the database's are in `spool` and
//! `disk`).

use std::time::Duration;

use crate::faults::{CONNECTION, SECRET, mentions, vote, voter_id};
use topgg_bot::domain::keys::LinkRef;
use topgg_testkit::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID, RecordedRequest};
use topgg_testkit::{Backend, TestApp, server_project};
use topgg_testkit::{aim_rest_at, bounded, queue_drained};

/// Connects the test connection (linked to the stand-in's guild) and sets its channel.
async fn connect_with_channel(app: &TestApp) {
    app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
        .await;
    let channel = POST_CHANNEL_ID.to_string();
    assert!(
        app.db
            .set_channel(
                LinkRef::new(
                    &(GUILD_ID.to_string()).parse().unwrap(),
                    &CONNECTION.parse().unwrap()
                ),
                Some(&channel.parse().unwrap())
            )
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_queued_while_discord_is_down_are_all_announced_once_it_is_back() {
    bounded(Duration::from_secs(90), async {
        let discord = DiscordStandIn::start().await;
        let url = discord.url();
        let app = TestApp::start_with(Backend::Sqlite, |c| aim_rest_at(c, &url))
            .await
            .unwrap();
        connect_with_channel(&app).await;
        discord.set_down(true);
        for i in 0..10 {
            assert_eq!(app.webhook(CONNECTION, SECRET, &vote(i)).await.0, 204);
        }
        let tried = |r: &RecordedRequest| r.method == "POST" && r.path.starts_with("/channels/");
        let attempt = discord.wait_for(tried, Duration::from_secs(10)).await;
        assert!(attempt.is_some(), "it tried");
        assert!(discord.messages_in(POST_CHANNEL_ID).is_empty());
        discord.set_down(false);
        let voters: Vec<String> = (0..10).map(voter_id).collect();
        let all_announced = |d: &DiscordStandIn| {
            let counts = mentions(d, POST_CHANNEL_ID);
            (counts.len() >= 10).then_some(counts)
        };
        let counts = discord
            .wait_until(Duration::from_secs(60), all_announced)
            .await
            .unwrap_or_else(|| mentions(&discord, POST_CHANNEL_ID));
        assert_eq!(counts.len(), voters.len(), "all announced: {counts:?}");
        // Counted again once no job is left queued: no late repeat can follow.
        let drained = queue_drained(&app.db, Duration::from_secs(30)).await;
        assert!(drained.is_some(), "{:?}", app.db.all_jobs().await);
        let counts = mentions(&discord, POST_CHANNEL_ID);
        for voter in &voters {
            assert_eq!(
                counts.get(voter),
                Some(&1),
                "{voter} announced once: {counts:?}"
            );
        }
        app.stop().await;
    })
    .await;
}
