//! Outages of what the service depends on: Discord (the database's are in `spool` and
//! `disk`).

use std::time::Duration;
use topgg_bot::domain::ids::Id;

use crate::common::{Backend, TestApp, server_project};
use crate::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID};
use crate::{CONNECTION, SECRET, aim_at, bounded, mentions, vote, voter_id};

/// Connects the test connection (linked to the stand-in's guild) and sets its channel.
async fn connect_with_channel(app: &TestApp) {
    app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
        .await;
    let channel = POST_CHANNEL_ID.to_string();
    assert!(
        app.db
            .set_channel(
                &Id::new(GUILD_ID.to_string()),
                &Id::new(CONNECTION),
                Some(&Id::new(&channel))
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
        let app = TestApp::start_with(Backend::Sqlite, |c| aim_at(c, &url))
            .await
            .unwrap();
        connect_with_channel(&app).await;
        discord.set_down(true);
        for i in 0..10 {
            assert_eq!(app.webhook(CONNECTION, SECRET, &vote(i)).await.0, 204);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(discord.messages_in(POST_CHANNEL_ID).is_empty());
        assert!(
            !discord.requests_matching("POST", "/channels/").is_empty(),
            "it tried"
        );
        discord.set_down(false);
        let voters: Vec<String> = (0..10).map(voter_id).collect();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while mentions(&discord, POST_CHANNEL_ID).len() < 10
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
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
