//! Outages of what the service depends on: Discord, then the database.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::Connection as _;

use crate::common::{Backend, TestApp, server_project};
use crate::standin::{DiscordStandIn, GUILD_ID, POST_CHANNEL_ID};
use crate::{CONNECTION, SECRET, aim_at, bounded, mentions, vote, vote_id, voter_id};

/// Connects the test connection (linked to the stand-in's guild) and sets its channel.
async fn connect_with_channel(app: &TestApp) {
    app.connect(CONNECTION, SECRET, &server_project(&GUILD_ID.to_string()))
        .await;
    let channel = POST_CHANNEL_ID.to_string();
    assert!(
        app.db
            .set_channel(&GUILD_ID.to_string(), CONNECTION, Some(&channel))
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

/// Runs `sql` on the Postgres admin connection the harness uses.
async fn admin(sql: String) {
    let url = std::env::var("TOPGG_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| crate::common::DEFAULT_POSTGRES_URL.into());
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
}

/// Refuses new connections to the database and ends the open ones.
async fn take_database_down(name: &str) {
    admin(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    admin(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_unavailable_webhooks_answer_503_and_no_acknowledged_vote_is_lost() {
    bounded(Duration::from_secs(120), async {
        let Some(app) = TestApp::start(Backend::Postgres).await else {
            return;
        };
        let name = app.database_url.rsplit('/').next().unwrap().to_string();
        connect_with_channel(&app).await;
        let mut acked = Vec::new();
        for i in 0..5 {
            assert_eq!(app.webhook(CONNECTION, SECRET, &vote(i)).await.0, 204);
            acked.push(vote_id(i));
        }
        take_database_down(&name).await;
        for i in 5..10 {
            let (status, body) = app.webhook(CONNECTION, SECRET, &vote(i)).await;
            assert_eq!(status, 503, "{body}");
        }
        admin(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
        // Top.gg retries what got 503; once the database is back they are stored.
        let mut retried = false;
        for _ in 0..50 {
            let (status, _) = app.webhook(CONNECTION, SECRET, &vote(5)).await;
            if status == 204 {
                retried = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(retried, "the database came back");
        for i in 6..10 {
            assert_eq!(app.webhook(CONNECTION, SECRET, &vote(i)).await.0, 204);
        }
        acked.extend((5..10).map(vote_id));
        let stored = stored_vote_ids(&app.database_url).await;
        let missing: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
        assert!(
            missing.is_empty(),
            "acknowledged but not stored: {missing:?}"
        );
        assert_eq!(stored.len(), 10);
        app.stop().await;
    })
    .await;
}

async fn stored_vote_ids(database_url: &str) -> HashSet<String> {
    let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT vote_id FROM votes")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}
