//! `/topgg api` and the "Check my vote" button end to end: the real serenity/poise client on
//! the Discord stand-in, the Top.gg stand-in for the API, the real server and database.

use std::time::Duration;

use serde_json::Value;
use topgg_testkit::standin::*;
use topgg_testkit::topgg::{API_TOKEN, TopggStandIn};
use topgg_testkit::{Backend, TestApp, aim_at, eventually, server_project};

const WAIT: Duration = Duration::from_secs(20);
const CONNECTION: &str = "conn-api-command";
const SECRET: &str = "whs_api_command_test";

struct Bot {
    app: TestApp,
    discord: DiscordStandIn,
    topgg: TopggStandIn,
}

impl Bot {
    /// The app with its gateway on a fresh stand-in, one server project connected and
    /// announcing in `POST_CHANNEL_ID`; `None` when Postgres is wanted but unavailable.
    async fn start(backend: Backend) -> Option<Bot> {
        let project = server_project(&GUILD_ID.to_string());
        let topgg = TopggStandIn::start(&project).await;
        let discord = DiscordStandIn::start().await;
        let (d, t) = (discord.url(), topgg.api_url());
        let app = TestApp::start_with(backend, |c| {
            aim_at(c, &d);
            c.topgg.api_url = t;
        })
        .await?;
        let registered = |r: &RecordedRequest| r.method == "PUT" && r.path.ends_with("/commands");
        discord.wait_for(registered, WAIT).await.expect("commands");
        app.connect(CONNECTION, SECRET, &project).await;
        let bot = Bot {
            app,
            discord,
            topgg,
        };
        let channel = vec![("channel", Opt::Channel(POST_CHANNEL_ID))];
        bot.run(slash_command("topgg", &["channel"], channel, ADMIN_USER_ID))
            .await;
        Some(bot)
    }

    /// Sends `ix` and returns the bot's answer to it.
    async fn run(&self, ix: InteractionPayload) -> (InteractionPayload, Reply) {
        assert_eq!(self.discord.send_interaction(&ix.payload).await, 1);
        let reply = self.discord.reply_to(ix.id, WAIT).await;
        let reply = reply.unwrap_or_else(|| panic!("no answer to {}", ix.payload));
        (ix, reply)
    }

    /// `/topgg api`, its form submitted with `token`: the form's answer.
    async fn set_token(&self, token: &str) -> Reply {
        let (command, opened) = self
            .run(slash_command("topgg", &["api"], vec![], ADMIN_USER_ID))
            .await;
        assert_eq!(opened.callback_type, 9, "the command opens a modal");
        let submit = self
            .discord
            .submit_modal(command.id, &[("token", token)], ADMIN_USER_ID);
        self.run(submit).await.1
    }

    async fn status(&self) -> String {
        let status = slash_command("topgg", &["status"], vec![], ADMIN_USER_ID);
        let (_, reply) = self.run(status).await;
        reply.content().expect("a status").to_string()
    }

    async fn token_state(&self) -> Option<topgg_bot::storage::ApiTokenState> {
        let connection = CONNECTION.parse().unwrap();
        self.app.db.api_token_state(&connection).await.unwrap()
    }

    /// Presses the "Check my vote" button under `/vote` as `user`: the private answer.
    async fn check_vote(&self, vote: &InteractionPayload, reply: &Reply, user: u64) -> String {
        let button = reply.data()["components"][0]["components"][0]["custom_id"].clone();
        let button = button.as_str().expect("a Check my vote button");
        let click = self.discord.click_button(vote.id, button, user);
        let (_, answer) = self.run(click).await;
        assert!(answer.ephemeral(), "{answer:?}");
        answer.content().expect("an answer").to_string()
    }

    /// Waits for the recovery pass a saved token starts at once (the first: the import).
    async fn imported(&self) {
        let done = eventually(WAIT, || async { self.token_state().await?.recovered_until });
        assert!(done.await.is_some(), "a pass runs when a token is saved");
    }

    fn mentions_of(&self, user: u64) -> usize {
        let tag = format!("<@{user}>");
        let text = |m: &Value| {
            m["content"]
                .as_str()
                .unwrap_or_default()
                .matches(&tag)
                .count()
        };
        self.discord
            .messages_in(POST_CHANNEL_ID)
            .iter()
            .map(text)
            .sum()
    }
}

async fn a_good_token_is_stored_shown_in_status_and_never_shown_back(backend: Backend) {
    let Some(bot) = Bot::start(backend).await else {
        return;
    };
    assert!(bot.status().await.contains("API token: not set"));
    let saved = bot.set_token(API_TOKEN).await;
    assert!(saved.ephemeral(), "{saved:?}");
    let text = saved.content().expect("an answer");
    assert!(text.contains("Saved the Top.gg API token"), "{text}");
    assert!(
        text.contains("Stand-in Project"),
        "the project's name: {text}"
    );
    let state = bot.token_state().await.expect("a token state");
    assert!(state.has_token && state.rejected_at.is_none(), "{state:?}");
    bot.imported().await;
    let status = bot.status().await;
    assert!(
        status.contains("API token: set; missed votes recovered up to"),
        "{status}"
    );
    for request in bot.discord.requests() {
        assert!(!request.body.to_string().contains(API_TOKEN), "{request:?}");
    }
    bot.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_token_is_stored_shown_in_status_and_never_shown_back_on_sqlite() {
    a_good_token_is_stored_shown_in_status_and_never_shown_back(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_top_gg_rejects_is_refused_with_its_reason_and_nothing_is_stored() {
    let Some(bot) = Bot::start(Backend::Sqlite).await else {
        return;
    };
    let refused = bot.set_token("not-the-project-token").await;
    assert!(refused.ephemeral(), "{refused:?}");
    let text = refused.content().expect("an answer");
    assert!(text.contains("does not accept this token"), "{text}");
    assert!(
        text.contains("Invalid or missing API token"),
        "Top.gg's reason: {text}"
    );
    assert!(text.contains("nothing was saved"), "{text}");
    assert!(
        !text.contains("not-the-project-token"),
        "never shown back: {text}"
    );
    assert_eq!(bot.token_state().await, None);
    assert!(bot.status().await.contains("API token: not set"));
    bot.app.stop().await;
}

async fn checking_a_vote_twice_records_one_vote_and_one_announcement(backend: Backend) {
    let Some(bot) = Bot::start(backend).await else {
        return;
    };
    let vote = slash_command("vote", &[], vec![], PLAIN_USER_ID);
    let (_, plain) = bot.run(vote).await;
    assert_eq!(
        plain.data()["components"],
        Value::Null,
        "no token, no button"
    );

    bot.set_token(API_TOKEN).await;
    bot.imported().await;
    let voted = bot.topgg.vote(&PLAIN_USER_ID.to_string());
    let (vote, reply) = bot
        .run(slash_command("vote", &[], vec![], PLAIN_USER_ID))
        .await;
    let first = bot.check_vote(&vote, &reply, PLAIN_USER_ID).await;
    assert!(first.contains("recorded it"), "{first}");
    let announced = bot
        .discord
        .wait_for_messages(POST_CHANNEL_ID, 1, WAIT)
        .await;
    assert_eq!(announced.len(), 1, "the checked vote is announced");
    let again = bot.check_vote(&vote, &reply, PLAIN_USER_ID).await;
    assert!(again.contains("already recorded"), "{again}");
    let nobody = bot.check_vote(&vote, &reply, ADMIN_USER_ID).await;
    assert!(nobody.contains("no live vote"), "{nobody}");
    // Top.gg's own webhook for the checked vote, arriving late, is the same vote.
    let late = voted.webhook_body(&server_project(&GUILD_ID.to_string()));
    assert_eq!(bot.app.webhook(CONNECTION, SECRET, &late).await.0, 204);
    bot.app.settle().await;
    let connection = CONNECTION.parse().unwrap();
    assert_eq!(bot.app.db.vote_count(&connection).await.unwrap(), 1);
    assert_eq!(bot.mentions_of(PLAIN_USER_ID), 1, "one announcement");
    let asked = |r: &topgg_testkit::topgg::ApiRequest| r.param("source") == Some("discord");
    assert_eq!(bot.topgg.requests().iter().filter(|r| asked(r)).count(), 3);
    bot.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_a_vote_twice_records_one_vote_and_one_announcement_on_sqlite() {
    checking_a_vote_twice_records_one_vote_and_one_announcement(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checking_a_vote_twice_records_one_vote_and_one_announcement_on_postgres() {
    checking_a_vote_twice_records_one_vote_and_one_announcement(Backend::Postgres).await;
}
