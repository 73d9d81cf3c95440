//! Vote reminders end to end: `/remind` through the real poise client and the Discord
//! stand-in's gateway, votes through signed webhooks, reminder DMs through the stand-in's
//! `POST /users/@me/channels` and DM channel messages.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use topgg_bot::storage::JobStatus;

use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use topgg_bot::app::Application;
use topgg_bot::config::Config;
use topgg_bot::domain::keys::LinkRef;
use topgg_bot::domain::time::{Clock, HOUR, ManualClock, SharedClock, Timestamp};
use topgg_bot::samples::sample_project;
use topgg_testkit::bot::{Bot, CONNECTION, WAIT, WEBHOOK_SECRET as SECRET};
use topgg_testkit::standin::*;
use topgg_testkit::{
    Backend, INTEGRATION_SECRET, TestApp, aim_rest_at, eventually, integration_create,
};

const PLATFORM_ID: &str = "910000000000000009";
/// The project bot's username, which names the project in the reminder DM.
const PROJECT_NAME: &str = "Remindable Bot";

fn project() -> Value {
    sample_project("900000000000000009", "bot", PLATFORM_ID)
}

/// Votes in these tests expire this long after they are cast, on the test clock.
const EXPIRY: Duration = Duration::from_secs(60);

/// The testkit's bot on a stopped test clock, the project linked.
struct Reminders {
    bot: Bot,
    /// The app's clock: reminders come due only when a test moves it.
    clock: Arc<ManualClock>,
}

impl Deref for Reminders {
    type Target = Bot;

    fn deref(&self) -> &Bot {
        &self.bot
    }
}

impl Reminders {
    /// The app on SQLite and a stopped test clock, gateway connected to a fresh stand-in
    /// whose guild knows the project's bot by name, the project linked.
    async fn start() -> Reminders {
        let project_bot = user(PLATFORM_ID.parse().unwrap(), PROJECT_NAME);
        let model = GuildModel::default_guild().with_user(project_bot);
        let clock = Arc::new(ManualClock::starting_now());
        let builder = Bot::builder().guild(model).project(project());
        let bot = builder.clock(clock.clone()).start().await;
        bot.connect_and_link().await;
        Reminders { bot, clock }
    }

    async fn restart(self) -> Reminders {
        let bot = self.bot.restart().await;
        Reminders { bot, ..self }
    }

    /// Runs a slash command as `invoker`; returns the reply and the interaction token.
    async fn command_with_token(&self, path: &[&str], invoker: u64) -> (Reply, String) {
        let ix = self.bot.discord.invocation(path, vec![], invoker).await;
        (self.bot.answer(&ix).await, ix.token)
    }

    async fn command(&self, path: &[&str], invoker: u64) -> Reply {
        self.command_with_token(path, invoker).await.0
    }

    /// `/vote` as `invoker`: the public reply and the private follow-up about reminders.
    async fn vote_command(&self, invoker: u64) -> (Reply, Value) {
        let (reply, token) = self.command_with_token(&["vote"], invoker).await;
        let path = format!("/webhooks/{APPLICATION_ID}/{token}");
        let second = |r: &RecordedRequest| r.method == "POST" && r.path == path && r.status == 200;
        let follow_up = self.discord.wait_until(WAIT, |d| {
            let posts: Vec<_> = d.requests().into_iter().filter(second).collect();
            posts.get(1).map(|p| p.body.clone())
        });
        let private = follow_up.await.expect("a private follow-up to /vote");
        (reply, private)
    }

    /// Moves the clock to `at` and waits until every job then due has been worked.
    async fn advance_to(&self, at: Timestamp) {
        self.clock.set(at);
        self.app.settle().await;
    }

    async fn stop(self) {
        self.bot.stop().await;
    }
}

/// Connects the bot project on Top.gg as `owner`.
async fn connect(app: &TestApp, owner: u64) {
    let body = integration_create(CONNECTION, SECRET, &project(), &owner.to_string());
    let (status, text) = app
        .post_signed("/topgg/integration", INTEGRATION_SECRET, &body)
        .await;
    assert_eq!(status, 200, "{text}");
}

/// Sends a signed vote by `voter` expiring in `expires_in` (on the app's clock); returns when
/// it expires.
async fn vote(app: &TestApp, id: &str, voter: u64, expires_in: Duration) -> Timestamp {
    let expires = app.clock.now() + expires_in;
    vote_until(app, id, voter, expires).await;
    expires
}

/// Sends a signed vote by `voter`, cast now on the app's clock, expiring at `expires`.
async fn vote_until(app: &TestApp, id: &str, voter: u64, expires: Timestamp) {
    let body = json!({"type": "vote.create", "data": {
        "id": id, "weight": 1,
        "created_at": app.clock.now().to_rfc3339(), "expires_at": expires.to_rfc3339(),
        "project": project(),
        "user": {"id": "t", "platform_id": voter.to_string(), "name": "voter", "avatar_url": null},
    }});
    let (status, text) = app.webhook(CONNECTION, SECRET, &body).await;
    assert_eq!(status, 204, "{text}");
}

/// Waits until `user` has `count` DMs (or `within` passes); returns them.
async fn dms(discord: &DiscordStandIn, user: u64, count: usize, within: Duration) -> Vec<Value> {
    discord.wait_for_dms(user, count, within).await
}

/// When the queued reminders are due.
async fn reminders_due(app: &TestApp) -> Vec<Timestamp> {
    let jobs = app.db.all_jobs().await.unwrap();
    jobs.iter()
        .filter(|j| j.kind() == "remind" && j.status == JobStatus::Queued)
        .map(|j| j.due_at)
        .collect()
}

/// `topgg_bot_discord_actions_total{kind="remind",outcome=...}` from `/metrics` (0 if absent).
async fn remind_metric(app: &TestApp, outcome: &str) -> u64 {
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let wanted = |l: &&str| {
        l.starts_with("topgg_bot_discord_actions_total{")
            && l.contains(r#"kind="remind""#)
            && l.contains(&format!(r#"outcome="{outcome}""#))
    };
    text.lines()
        .find(wanted)
        .and_then(|l| l.rsplit(' ').next())
        .map_or(0, |n| n.parse().unwrap())
}

fn assert_reminder(dm: &Value) {
    let content = dm["content"].as_str().unwrap();
    assert!(
        content.contains(&format!("vote for **{PROJECT_NAME}**")),
        "{content}"
    );
    let button = &dm["components"][0]["components"][0];
    assert_eq!(button["style"], 5, "a link button: {dm}");
    assert_eq!(
        button["url"],
        format!("https://top.gg/bot/{PLATFORM_ID}/vote")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opted_in_voter_gets_one_dm_with_a_vote_button_when_the_vote_expires() {
    let bot = Reminders::start().await;
    let reply = bot.command(&["remind", "on"], PLAIN_USER_ID).await;
    assert!(reply.ephemeral(), "{reply:?}");
    assert!(
        reply.content().unwrap().contains("after your next vote"),
        "{reply:?}"
    );
    let (_, private) = bot.vote_command(PLAIN_USER_ID).await;
    let text = private["content"].as_str().unwrap();
    assert!(
        text.contains("Your reminders for") && text.ends_with(": on"),
        "{text}"
    );

    let expiry = vote(&bot.app, "v1", PLAIN_USER_ID, EXPIRY).await;
    assert_eq!(
        reminders_due(&bot.app).await,
        [expiry],
        "due when the vote expires"
    );
    bot.clock.set(expiry);
    let got = dms(&bot.discord, PLAIN_USER_ID, 1, WAIT).await;
    assert_eq!(got.len(), 1, "one reminder");
    assert_reminder(&got[0]);
    let open = bot.discord.requests_matching("POST", "/users/@me/channels");
    assert_eq!(open[0].body["recipient_id"], PLAIN_USER_ID.to_string());
    bot.app.settle().await;
    assert_eq!(bot.discord.dms_to(PLAIN_USER_ID).len(), 1, "exactly one");
    assert_eq!(remind_metric(&bot.app, "done").await, 1);
    let status = bot.command(&["topgg", "status"], ADMIN_USER_ID).await;
    let text = status.content().unwrap();
    assert!(
        text.contains("Reminders: 1 voter(s) opted in, 1 sent in 24 h"),
        "{text}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remind_on_with_a_live_vote_says_when_and_a_voter_who_did_not_opt_in_gets_nothing() {
    let bot = Reminders::start().await;
    let expiry = vote(&bot.app, "v1", PLAIN_USER_ID, EXPIRY).await;
    let admin_expiry = vote(&bot.app, "v2", ADMIN_USER_ID, HOUR).await;
    let reply = bot.command(&["remind", "on"], ADMIN_USER_ID).await;
    let when = format!("<t:{}:R>", admin_expiry.as_secs());
    let text = reply.content().unwrap();
    assert!(
        text.contains("I'll DM you when you can vote") && text.contains("<t:"),
        "{text}"
    );
    assert!(text.contains(&when), "{text}");
    assert_eq!(
        reminders_due(&bot.app).await,
        [admin_expiry],
        "only the opted-in voter's"
    );

    bot.advance_to(expiry).await;
    assert!(
        bot.discord.dms_to(PLAIN_USER_ID).is_empty(),
        "no opt-in, no DM"
    );
    assert!(
        bot.discord
            .requests_matching("POST", "/users/@me/channels")
            .is_empty()
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_vote_reschedules_the_reminder_to_its_expiry() {
    let bot = Reminders::start().await;
    bot.command(&["remind", "on"], PLAIN_USER_ID).await;
    let first = vote(&bot.app, "v1", PLAIN_USER_ID, EXPIRY).await;
    // One voter cannot vote twice at one instant: that would be the same vote.
    bot.clock.advance(Duration::from_secs(1));
    let second = vote(&bot.app, "v2", PLAIN_USER_ID, EXPIRY * 2).await;
    assert_eq!(reminders_due(&bot.app).await, [second]);

    bot.advance_to(first).await;
    assert!(
        bot.discord.dms_to(PLAIN_USER_ID).is_empty(),
        "not at the first expiry"
    );
    bot.clock.set(second);
    let got = dms(&bot.discord, PLAIN_USER_ID, 1, WAIT).await;
    assert_eq!(got.len(), 1);
    bot.app.settle().await;
    assert_eq!(
        bot.discord.dms_to(PLAIN_USER_ID).len(),
        1,
        "one DM, at the new time"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remind_off_cancels_the_reminder_and_deletes_the_opt_in() {
    let bot = Reminders::start().await;
    bot.command(&["remind", "on"], PLAIN_USER_ID).await;
    let expiry = vote(&bot.app, "v1", PLAIN_USER_ID, EXPIRY).await;
    let reply = bot.command(&["remind", "off"], PLAIN_USER_ID).await;
    assert!(reply.ephemeral());
    assert!(
        reply.content().unwrap().starts_with("Reminders off"),
        "{reply:?}"
    );
    assert!(
        !bot.app
            .db
            .reminder_is_on(
                &CONNECTION.parse().unwrap(),
                &(PLAIN_USER_ID.to_string()).parse().unwrap()
            )
            .await
            .unwrap()
    );

    assert!(reminders_due(&bot.app).await.is_empty(), "cancelled");
    bot.advance_to(expiry).await;
    assert!(bot.discord.dms_to(PLAIN_USER_ID).is_empty(), "cancelled");
    let (_, private) = bot.vote_command(PLAIN_USER_ID).await;
    assert!(
        private["content"].as_str().unwrap().contains("off"),
        "{private}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_who_accepts_no_dms_has_reminders_turned_off_and_is_told_once() {
    let bot = Reminders::start().await;
    bot.discord.refuse_dms(PLAIN_USER_ID, true);
    bot.command(&["remind", "on"], PLAIN_USER_ID).await;
    let expiry = vote(&bot.app, "v1", PLAIN_USER_ID, EXPIRY).await;
    bot.clock.set(expiry);
    let refused =
        |r: &RecordedRequest| r.method == "POST" && r.status == 403 && r.response["code"] == 50007;
    bot.discord
        .wait_for(refused, WAIT)
        .await
        .expect("the DM was attempted and refused");
    let user = PLAIN_USER_ID.to_string();
    let off = eventually(WAIT, || async {
        let on = bot
            .app
            .db
            .reminder_is_on(&CONNECTION.parse().unwrap(), &user.parse().unwrap())
            .await
            .unwrap();
        (!on).then_some(())
    });
    off.await.expect("reminders turned off after 50007");

    let (public, private) = bot.vote_command(PLAIN_USER_ID).await;
    assert!(
        !public.content().unwrap_or_default().contains("turned off"),
        "kept private"
    );
    let text = private["content"].as_str().unwrap();
    assert!(
        text.contains("turned off because Discord would not let me DM you"),
        "{text}"
    );
    assert_eq!(
        private["flags"].as_u64().unwrap_or(0) & 64,
        64,
        "ephemeral: {private}"
    );
    let (_, again) = bot.vote_command(PLAIN_USER_ID).await;
    assert!(
        !again["content"]
            .as_str()
            .unwrap()
            .contains("turned off because"),
        "told once"
    );

    let expiry = vote(&bot.app, "v2", PLAIN_USER_ID, EXPIRY).await;
    bot.advance_to(expiry).await;
    let attempts = bot
        .discord
        .requests_matching("POST", "/users/@me/channels")
        .len();
    assert_eq!(attempts, 1, "no further DM attempts once turned off");
    assert_eq!(remind_metric(&bot.app, "failed").await, 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_the_vote_and_its_expiry_still_sends_exactly_one() {
    let bot = Reminders::start().await;
    bot.command(&["remind", "on"], PLAIN_USER_ID).await;
    let expiry = vote(&bot.app, "v1", PLAIN_USER_ID, EXPIRY).await;
    let bot = bot.restart().await;
    assert_eq!(reminders_due(&bot.app).await, [expiry]);
    bot.clock.set(expiry);
    let got = dms(&bot.discord, PLAIN_USER_ID, 1, WAIT).await;
    assert_eq!(got.len(), 1);
    bot.app.settle().await;
    assert_eq!(bot.discord.dms_to(PLAIN_USER_ID).len(), 1);
    bot.stop().await;
}

/// A second instance of the app on `database_url`, delivering to the stand-in.
async fn second_instance(
    database_url: &str,
    discord: &str,
    clock: SharedClock,
) -> tokio::sync::oneshot::Sender<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = Config::default();
    aim_rest_at(&mut config, discord);
    config.topgg.integration_secret = Some(SecretString::new(INTEGRATION_SECRET.into()));
    config.database.url = database_url.into();
    config.discord.token_recheck_secs = 1;
    config.http.public_url = format!("http://{}", listener.local_addr().unwrap());
    let app = Application::with_listener_and_clock(config, listener, clock)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    stop
}

/// Each instance talks to its own stand-in, so a reminder sent by both shows twice (no shared
/// nonce memory hides it) and each instance's DMs can be counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_send_each_reminder_exactly_once() {
    let discords = [DiscordStandIn::start().await, DiscordStandIn::start().await];
    let first_url = discords[0].url();
    let clock = Arc::new(ManualClock::starting_now());
    let aim = |c: &mut Config| {
        aim_rest_at(c, &first_url);
        c.discord.token_recheck_secs = 1;
    };
    let Some(app) = TestApp::start_with_clock(Backend::Postgres, clock.clone(), aim).await else {
        return;
    };
    let other = second_instance(&app.database_url, &discords[1].url(), clock.clone()).await;
    connect(&app, ADMIN_USER_ID).await;

    // Both deliver at once: whoever claims a reminder, it is sent once in all.
    let both = remind_round(&app, &clock, &discords, 0..10).await;
    assert_eq!(both[0] + both[1], 10, "{both:?}");
    // While one instance cannot use Discord (its token refused), the other sends them all:
    // each instance is shown to deliver on its own.
    discords[0].revoke_token(true);
    assert_eq!(remind_round(&app, &clock, &discords, 20..30).await, [0, 10]);
    discords[0].revoke_token(false);
    discords[1].revoke_token(true);
    assert_eq!(remind_round(&app, &clock, &discords, 30..40).await, [10, 0]);
    let _ = other.send(());
    app.stop().await;
}

/// Opts the voters numbered `range` in, has each vote, lets the votes expire, and checks that
/// each voter got exactly one DM from the instances together; how many each instance sent.
async fn remind_round(
    app: &TestApp,
    clock: &ManualClock,
    discords: &[DiscordStandIn; 2],
    range: std::ops::Range<u64>,
) -> [usize; 2] {
    let voters: Vec<u64> = range.map(|i| 1_600_000_000_000_000_000 + i).collect();
    let connection = CONNECTION.parse().unwrap();
    for voter in &voters {
        let user = voter.to_string().parse().unwrap();
        let opted = app.db.remind_on(&connection, &user, clock.now()).await;
        assert_eq!(opted.unwrap(), None);
    }
    let expires = clock.now() + EXPIRY;
    for voter in &voters {
        vote_until(app, &format!("v{voter}"), *voter, expires).await;
    }
    clock.set(expires);
    let sent_by = |d: &DiscordStandIn, v: &u64| d.dms_to(*v).len();
    let sent = |v: &u64| sent_by(&discords[0], v) + sent_by(&discords[1], v);
    let all_reminded = || async { voters.iter().all(|v| sent(v) > 0).then_some(()) };
    assert!(
        eventually(WAIT, all_reminded).await.is_some(),
        "a reminder is missing"
    );
    app.settle().await;
    for voter in &voters {
        assert_eq!(sent(voter), 1, "voter {voter}: exactly one DM");
    }
    discords
        .each_ref()
        .map(|d| voters.iter().map(|v| sent_by(d, v)).sum())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_reminders_due_at_once_stays_under_the_global_limit() {
    let discord = DiscordStandIn::start().await;
    let url = discord.url();
    let clock = Arc::new(ManualClock::starting_now());
    let aim = |c: &mut Config| aim_rest_at(c, &url);
    let app = TestApp::start_with_clock(Backend::Sqlite, clock.clone(), aim)
        .await
        .unwrap();
    connect(&app, ADMIN_USER_ID).await;
    let voters: Vec<u64> = (0..120).map(|i| 1_700_000_000_000_000_000 + i).collect();
    let now = clock.now();
    for voter in &voters {
        app.db
            .remind_on(
                &CONNECTION.parse().unwrap(),
                &(voter.to_string()).parse().unwrap(),
                now,
            )
            .await
            .unwrap();
    }
    let expires = clock.now() + EXPIRY;
    for voter in &voters {
        vote_until(&app, &format!("b{voter}"), *voter, expires).await;
    }
    clock.set(expires);
    let all_sent = |r: &RecordedRequest| r.status == 200 && r.path.starts_with("/channels/");
    // 120 DM channels opened at 2 a second take a minute.
    let sent = discord.wait_until(Duration::from_secs(150), |d| {
        let count = d.requests().iter().filter(|r| all_sent(r)).count();
        (count >= voters.len()).then_some(())
    });
    sent.await.expect("every reminder was sent");
    app.settle().await;
    for voter in &voters {
        assert_eq!(discord.dms_to(*voter).len(), 1, "voter {voter}");
    }
    let busiest = discord.busiest_window("POST", "/", Duration::from_secs(1));
    assert!(
        busiest <= topgg_bot::discord::MAX_CALLS_PER_SECOND,
        "{busiest} calls within one second"
    );
    assert_eq!(discord.rate_limits_issued(), 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_reminders_due_together_are_all_delivered_with_dm_opens_paced() {
    let discord = DiscordStandIn::start().await;
    discord.limit_dm_opens(2);
    // Two opens refused as too fast besides the pace: they wait and are tried again.
    let too_fast = Fault::Status {
        status: 403,
        code: 40003,
        message: "You are opening direct messages too fast.".into(),
    };
    discord.fail_next("POST", "/users/@me/channels", 2, too_fast);
    let url = discord.url();
    let clock = Arc::new(ManualClock::starting_now());
    let aim = |c: &mut Config| aim_rest_at(c, &url);
    let app = TestApp::start_with_clock(Backend::Sqlite, clock.clone(), aim)
        .await
        .unwrap();
    connect(&app, ADMIN_USER_ID).await;
    let voters: Vec<u64> = (0..12).map(|i| 1_700_000_000_000_000_000 + i).collect();
    let now = clock.now();
    for voter in &voters {
        let user = voter.to_string().parse().unwrap();
        app.db
            .remind_on(&CONNECTION.parse().unwrap(), &user, now)
            .await
            .unwrap();
    }
    let expires = clock.now() + EXPIRY;
    for voter in &voters {
        vote_until(&app, &format!("p{voter}"), *voter, expires).await;
    }
    clock.set(expires);
    let delivered = |r: &RecordedRequest| r.status == 200 && r.path.starts_with("/channels/");
    let sent = discord.wait_until(Duration::from_secs(60), |d| {
        let count = d.requests().iter().filter(|r| delivered(r)).count();
        (count >= voters.len()).then_some(())
    });
    sent.await.expect("every reminder was sent");
    app.settle().await;
    for voter in &voters {
        assert_eq!(discord.dms_to(*voter).len(), 1, "voter {voter}");
    }
    let opens = discord.requests_matching("POST", "/users/@me/channels");
    let refused = opens.iter().filter(|r| r.status == 403).count();
    assert_eq!(refused, 2, "only the two injected refusals failed");
    assert_eq!(opens.len(), voters.len() + refused, "one open per voter");
    let busiest = discord.busiest_window("POST", "/users/@me/channels", Duration::from_secs(1));
    assert!(busiest <= 2, "{busiest} DM opens within one second");
    app.stop().await;
}

// ---- storage behaviour, on both backends (dry-run Discord) ----

mod queue {
    use super::*;

    fn queued_reminders(jobs: &[topgg_bot::storage::Job]) -> Vec<&topgg_bot::storage::Job> {
        jobs.iter()
            .filter(|j| j.kind() == "remind" && j.status == JobStatus::Queued)
            .collect()
    }

    async fn one_reminder_per_voter_and_project_however_many_guilds_link_it(app: &TestApp) {
        connect(app, ADMIN_USER_ID).await;
        let now = app.clock.now();
        for guild in ["700000000000000001", "700000000000000002"] {
            app.db
                .link(
                    LinkRef::new(&guild.parse().unwrap(), &CONNECTION.parse().unwrap()),
                    &"1".parse().unwrap(),
                    now,
                )
                .await
                .unwrap();
        }
        let voter = PLAIN_USER_ID.to_string();
        app.db
            .remind_on(&CONNECTION.parse().unwrap(), &voter.parse().unwrap(), now)
            .await
            .unwrap();
        vote(app, "v1", PLAIN_USER_ID, Duration::from_secs(600)).await;
        let later = vote(app, "v2", PLAIN_USER_ID, Duration::from_secs(900)).await;
        let jobs = app.db.all_jobs().await.unwrap();
        let queued = queued_reminders(&jobs);
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert_eq!(queued[0].due_at, later);
    }

    async fn integration_delete_removes_opt_ins_and_queued_reminders(app: &TestApp) {
        connect(app, ADMIN_USER_ID).await;
        let voter = PLAIN_USER_ID.to_string();
        let now = app.clock.now();
        app.db
            .remind_on(&CONNECTION.parse().unwrap(), &voter.parse().unwrap(), now)
            .await
            .unwrap();
        vote(app, "v1", PLAIN_USER_ID, Duration::from_secs(600)).await;
        assert_eq!(queued_reminders(&app.db.all_jobs().await.unwrap()).len(), 1);
        let delete = json!({"type": "integration.delete", "data": {"connection_id": CONNECTION}});
        let (status, _) = app
            .post_signed("/topgg/integration", INTEGRATION_SECRET, &delete)
            .await;
        assert_eq!(status, 204);
        assert!(queued_reminders(&app.db.all_jobs().await.unwrap()).is_empty());
        assert!(
            !app.db
                .reminder_is_on(&CONNECTION.parse().unwrap(), &voter.parse().unwrap())
                .await
                .unwrap()
        );
        let figures = app
            .db
            .reminder_figures(&CONNECTION.parse().unwrap(), Timestamp::from_millis(0))
            .await
            .unwrap();
        assert_eq!(figures.opted_in, 0);
    }

    topgg_testkit::on_both_backends!(
        one_reminder_per_voter_and_project_however_many_guilds_link_it,
        integration_delete_removes_opt_ins_and_queued_reminders,
    );
}
