//! Proves the Discord stand-in (testkit/src/standin) against the real serenity 0.12.5 client.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serde_json::json;
use tokio::sync::mpsc;
use topgg_testkit::standin::{self, *};

const WAIT: Duration = Duration::from_secs(5);

/// (HTTP status, Discord JSON error code, message) of a failed serenity REST call.
/// serenity reports `code: -1` when the error body has no `code` (Discord's plain 429 body).
fn discord_error(err: &serenity::Error) -> Option<(u16, isize, String)> {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(
            serenity::ErrorResponse {
                status_code,
                error: serenity::DiscordJsonError { code, message, .. },
                ..
            },
        )) => Some((status_code.as_u16(), *code, message.clone())),
        _ => None,
    }
}

async fn post(
    http: &serenity::Http,
    channel: u64,
    msg: serenity::CreateMessage,
) -> serenity::Result<serenity::Message> {
    serenity::ChannelId::new(channel)
        .send_message(http, msg)
        .await
}

fn text(content: &str) -> serenity::CreateMessage {
    serenity::CreateMessage::new().content(content)
}

#[tokio::test]
async fn serenity_posts_a_message_and_the_standin_records_it() {
    let standin = DiscordStandIn::start().await;
    let msg = post(&standin.http(), POST_CHANNEL_ID, text("hello voters"))
        .await
        .expect("message posted");

    assert_eq!(msg.content, "hello voters");
    assert_eq!(msg.channel_id.get(), POST_CHANNEL_ID);
    assert_eq!(msg.author.id.get(), BOT_USER_ID);
    assert!(msg.author.bot);
    let sent = standin.requests_matching("POST", &format!("/channels/{POST_CHANNEL_ID}/messages"));
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].header("Authorization"),
        Some(format!("Bot {FAKE_TOKEN}").as_str())
    );
    assert_eq!(sent[0].body["content"], "hello voters");
    assert_eq!(sent[0].status, 200);
    let stored = standin.messages_in(POST_CHANNEL_ID);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], msg.id.to_string());
}

#[tokio::test]
async fn repeated_enforced_nonce_returns_the_first_message() {
    let standin = DiscordStandIn::start().await;
    let http = standin.http();
    let once = || {
        text("vote 42")
            .nonce(serenity::Nonce::String("vote-42".into()))
            .enforce_nonce(true)
    };

    let first = post(&http, POST_CHANNEL_ID, once())
        .await
        .expect("first post");
    let second = post(&http, POST_CHANNEL_ID, once())
        .await
        .expect("second post");

    assert_eq!(first.id, second.id);
    assert_eq!(standin.messages_in(POST_CHANNEL_ID).len(), 1);
    assert_eq!(standin.requests_matching("POST", "/channels/").len(), 2);
    // Without enforce_nonce Discord creates a second message; a nonce over 25 chars is refused.
    post(
        &http,
        POST_CHANNEL_ID,
        text("vote 42").nonce(serenity::Nonce::String("vote-42".into())),
    )
    .await
    .unwrap();
    assert_eq!(standin.messages_in(POST_CHANNEL_ID).len(), 2);
    let long = text("x")
        .nonce(serenity::Nonce::String("n".repeat(26)))
        .enforce_nonce(true);
    let err = post(&http, POST_CHANNEL_ID, long)
        .await
        .expect_err("nonce too long");
    assert_eq!(discord_error(&err).map(|e| (e.0, e.1)), Some((400, 50035)));
}

#[tokio::test]
async fn injected_rate_limit_reaches_serenity_as_429() {
    let standin = DiscordStandIn::start().await;
    let http = standin.http();
    standin.fail_next(
        "POST",
        "/channels/",
        1,
        Fault::RateLimited { retry_after: 0.2 },
    );

    let err = post(&http, POST_CHANNEL_ID, text("a"))
        .await
        .expect_err("rate limited");
    let (status, code, _message) = discord_error(&err).expect("an HTTP error response");
    assert_eq!(status, 429);
    // Discord's 429 body has no `code`, so serenity cannot decode it into DiscordJsonError:
    // retry_after is NOT reachable through serenity's error; only the status is.
    assert_eq!(code, -1);
    let limited = standin
        .wait_for(|r| r.status == 429, WAIT)
        .await
        .expect("recorded 429");
    assert_eq!(limited.response["retry_after"], 0.2);
    assert!(standin.messages_in(POST_CHANNEL_ID).is_empty());

    // The behaviour under test: a client that waits out `retry_after` (0.2 s, counted from
    // after the 429 arrived) is let through and counted as no violation.
    tokio::time::sleep(Duration::from_millis(250)).await;
    post(&http, POST_CHANNEL_ID, text("a"))
        .await
        .expect("fault used up");
    assert_eq!(
        standin.rate_limit_stats(),
        RateLimitStats {
            issued: 1,
            violations: 0
        }
    );

    standin.fail_next(
        "POST",
        "/channels/",
        1,
        Fault::RateLimited { retry_after: 5.0 },
    );
    let _ = post(&http, POST_CHANNEL_ID, text("b")).await;
    let _ = post(&http, POST_CHANNEL_ID, text("b")).await;
    assert_eq!(
        standin.rate_limit_violations(),
        1,
        "retried before retry_after elapsed"
    );
}

#[tokio::test]
async fn rate_limit_body_and_headers_are_discords() {
    let standin = DiscordStandIn::start().await;
    standin.fail_next(
        "*",
        "/channels/",
        1,
        Fault::RateLimited { retry_after: 0.2 },
    );
    let url = format!(
        "{}/api/v10/channels/{POST_CHANNEL_ID}/messages",
        standin.url()
    );
    let resp = reqwest::Client::new()
        .post(url)
        .json(&json!({"content": "x"}))
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status().as_u16(), 429);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(header("retry-after").as_deref(), Some("1"));
    assert_eq!(header("x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(header("x-ratelimit-reset-after").as_deref(), Some("0.200"));
    assert_eq!(header("x-ratelimit-scope").as_deref(), Some("user"));
    assert!(header("x-ratelimit-limit").is_some());
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "You are being rate limited.", "retry_after": 0.2, "global": false})
    );
}

#[tokio::test]
async fn permission_and_not_found_errors_carry_discord_codes() {
    let standin = DiscordStandIn::start().await;
    let http = standin.http();
    let (guild, admin) = (
        serenity::GuildId::new(GUILD_ID),
        serenity::UserId::new(ADMIN_USER_ID),
    );
    let code = |r: serenity::Result<()>| {
        discord_error(&r.expect_err("should fail")).map(|e| (e.0, e.1, e.2))
    };

    standin.fail_next("PUT", "/guilds/", 1, Fault::MissingPermissions);
    let injected = code(
        http.add_member_role(guild, admin, serenity::RoleId::new(REWARD_ROLE_ID), None)
            .await,
    );
    assert_eq!(injected, Some((403, 50013, "Missing Permissions".into())));
    let above_bot = http
        .add_member_role(guild, admin, serenity::RoleId::new(HIGH_ROLE_ID), None)
        .await;
    assert_eq!(code(above_bot).map(|e| e.1), Some(50013));
    let denied = post(&http, DENIED_CHANNEL_ID, text("x"))
        .await
        .expect_err("overwrite denies send");
    assert_eq!(
        discord_error(&denied).map(|e| (e.0, e.1)),
        Some((403, 50013))
    );
    let unknown = post(&http, 42, text("x"))
        .await
        .expect_err("unknown channel");
    assert_eq!(
        discord_error(&unknown).map(|e| (e.0, e.1)),
        Some((404, 10003))
    );
    standin.fail_next("POST", "/channels/", 1, Fault::ServerError);
    let five = post(&http, POST_CHANNEL_ID, text("x"))
        .await
        .expect_err("500");
    assert_eq!(discord_error(&five).map(|e| e.0), Some(500));
    standin.set_down(true);
    let down = http.get_current_user().await.expect_err("down");
    assert_eq!(discord_error(&down).map(|e| e.0), Some(503));
    standin.set_down(false);
    assert!(http.get_current_user().await.is_ok());
}

#[tokio::test]
async fn role_put_and_delete_change_member_roles() {
    let standin = DiscordStandIn::start().await;
    let http = standin.http();
    let (guild, user) = (
        serenity::GuildId::new(GUILD_ID),
        serenity::UserId::new(PLAIN_USER_ID),
    );
    let reward = serenity::RoleId::new(REWARD_ROLE_ID);
    assert_eq!(standin.member_roles(GUILD_ID, PLAIN_USER_ID), Some(vec![]));

    http.add_member_role(guild, user, reward, Some("vote reward"))
        .await
        .expect("role added");
    assert_eq!(
        standin.member_roles(GUILD_ID, PLAIN_USER_ID),
        Some(vec![REWARD_ROLE_ID])
    );
    let put = &standin.requests_matching("PUT", "/guilds/")[0];
    assert_eq!(
        put.path,
        format!("/guilds/{GUILD_ID}/members/{PLAIN_USER_ID}/roles/{REWARD_ROLE_ID}")
    );
    assert_eq!(put.header("x-audit-log-reason"), Some("vote%20reward"));

    http.remove_member_role(guild, user, reward, None)
        .await
        .expect("role removed");
    assert_eq!(standin.member_roles(GUILD_ID, PLAIN_USER_ID), Some(vec![]));

    let unknown_role = http
        .add_member_role(guild, user, serenity::RoleId::new(7), None)
        .await;
    assert_eq!(
        discord_error(&unknown_role.unwrap_err()).map(|e| (e.0, e.1)),
        Some((404, 10011))
    );
    let unknown_member = http
        .add_member_role(guild, serenity::UserId::new(7), reward, None)
        .await;
    assert_eq!(
        discord_error(&unknown_member.unwrap_err()).map(|e| (e.0, e.1)),
        Some((404, 10007))
    );
}

#[tokio::test]
async fn channel_message_limit_answers_429_with_time_left() {
    let standin = DiscordStandIn::start().await;
    let http = standin.http();
    standin.limit_channel_messages(2, Duration::from_secs(1));

    for n in 0..2 {
        post(&http, POST_CHANNEL_ID, text(&format!("m{n}")))
            .await
            .expect("within limit");
    }
    let err = post(&http, POST_CHANNEL_ID, text("m2"))
        .await
        .expect_err("over limit");
    assert_eq!(discord_error(&err).map(|e| e.0), Some(429));
    let retry_after = standin
        .wait_for(|r| r.status == 429, WAIT)
        .await
        .unwrap()
        .response["retry_after"]
        .as_f64()
        .expect("retry_after");
    assert!(
        retry_after > 0.0 && retry_after <= 1.0,
        "retry_after {retry_after}"
    );
    let _ = post(&http, POST_CHANNEL_ID, text("too early"))
        .await
        .expect_err("still limited");
    assert_eq!(standin.rate_limit_violations(), 1);

    // The behaviour under test: waiting out `retry_after` opens the next window.
    tokio::time::sleep(Duration::from_secs_f64(retry_after) + Duration::from_millis(20)).await;
    post(&http, POST_CHANNEL_ID, text("m2"))
        .await
        .expect("after the window");
    assert_eq!(standin.rate_limits_issued(), 2);
    assert_eq!(standin.messages_in(POST_CHANNEL_ID).len(), 3);
    // Another channel has its own window.
    standin.update_guild(|g| {
        g.channels
            .push(text_channel(1_400_000_000_000_000_009, "other", 2))
    });
    post(&http, 1_400_000_000_000_000_009, text("other"))
        .await
        .expect("separate window");
}

/// Text in voice: a voice channel takes messages; a category, forum or media channel does
/// not, and Discord answers 400 code 50008.
#[tokio::test]
async fn messages_to_a_category_forum_or_media_channel_are_refused_as_non_text() {
    use standin::channel_kind::{ANNOUNCEMENT, CATEGORY, FORUM, MEDIA, VOICE};
    let kinds = [
        (VOICE, true),
        (CATEGORY, false),
        (ANNOUNCEMENT, true),
        (FORUM, false),
        (MEDIA, false),
    ];
    let id = |i: usize| 1_400_000_000_000_000_030 + i as u64;
    let mut model = GuildModel::default_guild();
    for (i, (kind, _)) in kinds.iter().enumerate() {
        model = model.with_channel(channel_of_kind(*kind, id(i), "other", 3));
    }
    let standin = DiscordStandIn::builder().guild(model).start().await;
    let http = standin.http();
    for (i, (kind, takes_messages)) in kinds.into_iter().enumerate() {
        let answer = post(&http, id(i), text("hello")).await;
        match takes_messages {
            true => assert!(answer.is_ok(), "type {kind}: {answer:?}"),
            false => assert_eq!(
                answer.as_ref().err().and_then(discord_error),
                Some((
                    400,
                    50008,
                    "Cannot send messages in a non-text channel".into()
                )),
                "type {kind}"
            ),
        }
    }
}

#[tokio::test]
async fn rest_reads_and_command_registration_parse_in_serenity() {
    let standin = DiscordStandIn::start().await;
    let http = standin.http();
    let guild = serenity::GuildId::new(GUILD_ID);

    let g = http.get_guild(guild).await.expect("guild");
    assert_eq!((g.id.get(), g.roles.len()), (GUILD_ID, 6));
    assert_eq!(http.get_guild_roles(guild).await.unwrap().len(), 6);
    assert_eq!(http.get_channels(guild).await.unwrap().len(), 2);
    let member = http
        .get_member(guild, serenity::UserId::new(ADMIN_USER_ID))
        .await
        .unwrap();
    assert_eq!(member.roles, vec![serenity::RoleId::new(ADMIN_ROLE_ID)]);
    let channel = http
        .get_channel(serenity::ChannelId::new(DENIED_CHANNEL_ID))
        .await
        .unwrap();
    assert_eq!(
        channel.guild().map(|c| c.permission_overwrites.len()),
        Some(1)
    );
    assert_eq!(http.get_current_user().await.unwrap().id.get(), BOT_USER_ID);
    assert_eq!(
        http.get_current_application_info().await.unwrap().id.get(),
        APPLICATION_ID
    );
    let gateway = http.get_bot_gateway().await.unwrap();
    assert_eq!((gateway.url, gateway.shards), (standin.gateway_url(), 1));

    let cmd = serenity::CreateCommand::new("vote").description("Vote settings");
    let global = serenity::Command::set_global_commands(&http, vec![cmd.clone()])
        .await
        .unwrap();
    assert_eq!(global[0].name, "vote");
    assert_eq!(global[0].id.get(), GuildModel::command_id("vote"));
    assert_eq!(
        guild.set_commands(&http, vec![cmd]).await.unwrap()[0].guild_id,
        Some(guild)
    );

    let missing = http.get_guild(serenity::GuildId::new(5)).await.unwrap_err();
    assert_eq!(
        discord_error(&missing).map(|e| (e.0, e.1)),
        Some((404, 10004))
    );
    let url = format!("{}/api/v10/nowhere", standin.url());
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        json!({"message": "404: Not Found", "code": 0})
    );
    assert_eq!(standin.requests_matching("GET", "/nowhere").len(), 1);
}

#[test]
fn fixtures_parse_as_serenity_types() {
    let model = GuildModel::default_guild();
    let guild: serenity::Guild = serde_json::from_value(standin::json::guild_create(
        &model,
        "2024-01-01T00:00:00.000Z",
    ))
    .unwrap();
    // serenity skips a channel it cannot parse (with only a warning), so count them.
    assert_eq!(
        (guild.roles.len(), guild.channels.len(), guild.members.len()),
        (6, 2, 3)
    );
    let bot = guild
        .members
        .get(&serenity::UserId::new(BOT_USER_ID))
        .unwrap();
    assert_eq!(bot.roles, vec![serenity::RoleId::new(BOT_ROLE_ID)]);

    let ix = slash_command(
        "vote",
        &["rewards", "add"],
        vec![
            ("role", Opt::Role(REWARD_ROLE_ID)),
            ("user", Opt::User(PLAIN_USER_ID)),
        ],
        ADMIN_USER_ID,
    );
    let parsed: serenity::Interaction = serde_json::from_value(ix.payload).unwrap();
    let cmd = parsed.command().expect("a command interaction");
    assert_eq!(cmd.data.resolved.roles.len(), 1);
    assert!(
        cmd.data
            .resolved
            .members
            .contains_key(&serenity::UserId::new(PLAIN_USER_ID))
    );
    let perms = cmd.member.as_ref().and_then(|m| m.permissions).unwrap();
    assert!(perms.manage_guild());
    let ac = autocomplete(
        "vote",
        &["rewards", "add"],
        vec![],
        ("role", "Vo"),
        PLAIN_USER_ID,
    );
    let parsed: serenity::Interaction = serde_json::from_value(ac.payload).unwrap();
    assert!(matches!(parsed, serenity::Interaction::Autocomplete(_)));
}

// ---- the real serenity Client against the stand-in gateway ----

#[derive(Debug)]
enum Seen {
    Ready {
        user: u64,
        guilds: Vec<u64>,
    },
    GuildCreate {
        id: u64,
        roles: usize,
        channels: usize,
        members: usize,
    },
    Command(Box<serenity::CommandInteraction>),
    Autocomplete {
        focused: String,
        typed: String,
    },
}

struct Handler(mpsc::UnboundedSender<Seen>);

#[serenity::async_trait]
impl serenity::EventHandler for Handler {
    async fn ready(&self, _ctx: serenity::Context, ready: serenity::Ready) {
        let guilds = ready.guilds.iter().map(|g| g.id.get()).collect();
        let _ = self.0.send(Seen::Ready {
            user: ready.user.id.get(),
            guilds,
        });
    }

    async fn guild_create(
        &self,
        _ctx: serenity::Context,
        guild: serenity::Guild,
        _new: Option<bool>,
    ) {
        let (roles, channels, members) =
            (guild.roles.len(), guild.channels.len(), guild.members.len());
        let _ = self.0.send(Seen::GuildCreate {
            id: guild.id.get(),
            roles,
            channels,
            members,
        });
    }

    async fn interaction_create(&self, ctx: serenity::Context, interaction: serenity::Interaction) {
        match interaction {
            serenity::Interaction::Command(cmd) => {
                answer(&ctx, &cmd).await;
                let _ = self.0.send(Seen::Command(Box::new(cmd)));
            }
            serenity::Interaction::Autocomplete(ac) => {
                let Some(focused) = ac.data.autocomplete() else {
                    return;
                };
                let seen = Seen::Autocomplete {
                    focused: focused.name.into(),
                    typed: focused.value.into(),
                };
                let choices =
                    serenity::CreateAutocompleteResponse::new().add_string_choice("Voter", "voter");
                let reply = serenity::CreateInteractionResponse::Autocomplete(choices);
                ac.create_response(&ctx.http, reply)
                    .await
                    .expect("autocomplete answered");
                let _ = self.0.send(seen);
            }
            _ => {}
        }
    }
}

/// "ping" is deferred (ephemeral) then edited; anything else gets an immediate reply.
async fn answer(ctx: &serenity::Context, cmd: &serenity::CommandInteraction) {
    if cmd.data.name == "ping" {
        cmd.defer_ephemeral(&ctx.http).await.expect("deferred");
        let edit = serenity::EditInteractionResponse::new().content("pong");
        cmd.edit_response(&ctx.http, edit).await.expect("edited");
    } else {
        let msg = serenity::CreateInteractionResponseMessage::new()
            .content(format!("ok {}", cmd.data.name));
        let reply = serenity::CreateInteractionResponse::Message(msg);
        cmd.create_response(&ctx.http, reply)
            .await
            .expect("answered");
    }
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("event within 5 s")
        .expect("handler alive")
}

/// Registers `commands` globally through serenity, as a bot does before Discord delivers them.
async fn register(standin: &DiscordStandIn, commands: Vec<serenity::CreateCommand>) {
    serenity::Command::set_global_commands(&standin.http(), commands)
        .await
        .expect("commands registered");
}

/// What `serenity_client_connects_and_receives_interactions` delivers: `/vote settings post`,
/// `/vote rewards add` (autocompleted) and `/ping`.
fn vote_and_ping() -> Vec<serenity::CreateCommand> {
    use serenity::{CommandOptionType as Kind, CreateCommandOption as Option_};
    let post = Option_::new(Kind::SubCommand, "post", "Where to post")
        .add_sub_option(Option_::new(Kind::Channel, "channel", "Channel").required(true))
        .add_sub_option(Option_::new(Kind::Integer, "count", "How many"));
    let settings = Option_::new(Kind::SubCommandGroup, "settings", "Settings").add_sub_option(post);
    let role = Option_::new(Kind::String, "role", "Role").set_autocomplete(true);
    let add = Option_::new(Kind::SubCommand, "add", "Add a reward").add_sub_option(role);
    let rewards = Option_::new(Kind::SubCommandGroup, "rewards", "Rewards").add_sub_option(add);
    let vote = serenity::CreateCommand::new("vote")
        .description("Vote settings")
        .add_option(settings)
        .add_option(rewards);
    let ping = serenity::CreateCommand::new("ping")
        .description("Ping")
        .add_option(Option_::new(Kind::User, "who", "Who"))
        .add_option(Option_::new(Kind::Role, "reward", "Reward"));
    vec![vote, ping]
}

#[tokio::test]
async fn an_invalid_registration_is_refused_with_discords_form_errors() {
    let standin = DiscordStandIn::start().await;
    let upper = serenity::CreateCommand::new("Vote").description("Vote settings");
    let late_required = serenity::CreateCommand::new("vote")
        .description("")
        .add_option(serenity::CreateCommandOption::new(
            serenity::CommandOptionType::String,
            "a",
            "A",
        ))
        .add_option(
            serenity::CreateCommandOption::new(serenity::CommandOptionType::String, "b", "B")
                .required(true),
        );
    let refused =
        serenity::Command::set_global_commands(&standin.http(), vec![upper, late_required])
            .await
            .expect_err("refused");
    assert_eq!(
        discord_error(&refused).map(|e| (e.0, e.1)),
        Some((400, 50035))
    );
    let errors = standin.requests_matching("PUT", "/applications/")[0].response["errors"].clone();
    assert_eq!(
        errors["0"]["name"]["_errors"][0]["code"],
        "APPLICATION_COMMAND_INVALID_NAME"
    );
    assert_eq!(
        errors["1"]["description"]["_errors"][0]["code"],
        "BASE_TYPE_BAD_LENGTH"
    );
    assert_eq!(
        errors["1"]["options"]["1"]["_errors"][0]["code"],
        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"
    );
    let listed = serenity::Command::get_global_commands(&standin.http())
        .await
        .unwrap();
    assert!(listed.is_empty(), "nothing of a refused list is kept");
}

#[tokio::test]
#[should_panic(expected = "/vote rewards add has no option `colour`")]
async fn delivering_an_option_that_was_never_registered_fails_the_test() {
    let standin = DiscordStandIn::start().await;
    let (tx, _rx) = mpsc::unbounded_channel();
    let intents = serenity::GatewayIntents::non_privileged();
    let mut client = serenity::ClientBuilder::new_with_http(standin.http(), intents)
        .event_handler(Handler(tx))
        .await
        .expect("client built");
    tokio::spawn(async move { client.start().await });
    register(&standin, vote_and_ping()).await;
    let ix = slash_command(
        "vote",
        &["rewards", "add"],
        vec![("colour", "red".into())],
        ADMIN_USER_ID,
    );
    standin.send_interaction(&ix.payload).await;
}

#[tokio::test]
#[should_panic(expected = "`vote settings post count` is registered with option type integer")]
async fn building_a_value_of_another_type_than_registered_fails_the_test() {
    let standin = DiscordStandIn::start().await;
    register(&standin, vote_and_ping()).await;
    let options = vec![("channel", POST_CHANNEL_ID.into()), ("count", "3".into())];
    let path = ["vote", "settings", "post"];
    standin.invocation(&path, options, ADMIN_USER_ID).await;
}

#[tokio::test]
async fn serenity_client_connects_and_receives_interactions() {
    let standin = DiscordStandIn::start().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let intents = serenity::GatewayIntents::non_privileged();
    let mut client = serenity::ClientBuilder::new_with_http(standin.http(), intents)
        .event_handler(Handler(tx))
        .await
        .expect("client built");
    let shards = client.shard_manager.clone();
    let running = tokio::spawn(async move { client.start().await });

    assert!(standin.wait_for_ready(WAIT).await, "gateway session ready");
    assert!(
        matches!(next(&mut rx).await, Seen::Ready { user: BOT_USER_ID, ref guilds } if guilds == &[GUILD_ID])
    );
    let created = next(&mut rx).await;
    assert!(
        matches!(
            created,
            Seen::GuildCreate {
                id: GUILD_ID,
                roles: 6,
                channels: 2,
                members: 3
            }
        ),
        "{created:?}"
    );
    assert_eq!(
        standin
            .requests_matching("GET", "/gateway")
            .iter()
            .map(|r| r.path.as_str())
            .collect::<Vec<_>>(),
        ["/gateway"]
    );
    assert_eq!(standin.identify_count(), 1);
    assert!(standin.gateway_connected());

    register(&standin, vote_and_ping()).await;
    check_command(&standin, &mut rx).await;
    check_deferred(&standin, &mut rx).await;
    check_autocomplete(&standin, &mut rx).await;

    tokio::time::timeout(WAIT, shards.shutdown_all())
        .await
        .expect("shards shut down");
    running.abort();
}

async fn check_command(standin: &DiscordStandIn, rx: &mut mpsc::UnboundedReceiver<Seen>) {
    // By name and value: the registration makes the id a channel and 3 an integer.
    let options = vec![("channel", POST_CHANNEL_ID.into()), ("count", 3.into())];
    let path = ["vote", "settings", "post"];
    let ix = standin.invocation(&path, options, ADMIN_USER_ID).await;
    assert_eq!(standin.send_interaction(&ix.payload).await, 1);

    let Seen::Command(cmd) = next(rx).await else {
        panic!("expected a command")
    };
    assert_eq!((cmd.id.get(), cmd.data.name.as_str()), (ix.id, "vote"));
    let group = &cmd.data.options[0];
    let serenity::CommandDataOptionValue::SubCommandGroup(subs) = &group.value else {
        panic!("{group:?}")
    };
    let serenity::CommandDataOptionValue::SubCommand(leaves) = &subs[0].value else {
        panic!("{subs:?}")
    };
    assert_eq!(
        (group.name.as_str(), subs[0].name.as_str()),
        ("settings", "post")
    );
    assert_eq!(
        leaves[0].value,
        serenity::CommandDataOptionValue::Channel(serenity::ChannelId::new(POST_CHANNEL_ID))
    );
    assert_eq!(
        leaves[1].value,
        serenity::CommandDataOptionValue::Integer(3)
    );
    assert!(
        cmd.data
            .resolved
            .channels
            .contains_key(&serenity::ChannelId::new(POST_CHANNEL_ID))
    );
    assert_eq!(cmd.user.id.get(), ADMIN_USER_ID);

    let reply = standin.reply_to(ix.id, WAIT).await.expect("callback");
    assert_eq!(
        (reply.callback_type, reply.content(), reply.ephemeral()),
        (4, Some("ok vote"), false)
    );
    // A second initial response is refused the way Discord does (400, code 40060).
    let again = serenity::CreateInteractionResponse::Acknowledge;
    let err = cmd
        .create_response(standin.http(), again)
        .await
        .expect_err("already acknowledged");
    assert_eq!(discord_error(&err).map(|e| (e.0, e.1)), Some((400, 40060)));
}

async fn check_deferred(standin: &DiscordStandIn, rx: &mut mpsc::UnboundedReceiver<Seen>) {
    let options = vec![
        ("who", PLAIN_USER_ID.into()),
        ("reward", REWARD_ROLE_ID.into()),
    ];
    let ix = standin.invocation(&["ping"], options, PLAIN_USER_ID).await;
    standin.send_interaction(&ix.payload).await;

    let Seen::Command(cmd) = next(rx).await else {
        panic!("expected a command")
    };
    assert!(
        cmd.data
            .resolved
            .users
            .contains_key(&serenity::UserId::new(PLAIN_USER_ID))
    );
    assert!(
        cmd.data
            .resolved
            .roles
            .contains_key(&serenity::RoleId::new(REWARD_ROLE_ID))
    );
    let reply = standin.reply_to(ix.id, WAIT).await.expect("deferred reply");
    assert!(reply.deferred() && reply.ephemeral());
    assert_eq!(reply.content(), Some("pong"));
    let original = standin
        .http()
        .get_original_interaction_response(&ix.token)
        .await
        .expect("original");
    assert_eq!(original.content, "pong");
}

async fn check_autocomplete(standin: &DiscordStandIn, rx: &mut mpsc::UnboundedReceiver<Seen>) {
    let path = ["vote", "rewards", "add"];
    let ix = standin
        .autocompletion(&path, vec![], ("role", "Vo"), ADMIN_USER_ID)
        .await;
    standin.send_interaction(&ix.payload).await;

    let seen = next(rx).await;
    assert!(
        matches!(&seen, Seen::Autocomplete { focused, typed } if focused == "role" && typed == "Vo"),
        "{seen:?}"
    );
    let reply = standin.reply_to(ix.id, WAIT).await.expect("choices");
    assert_eq!(reply.callback_type, 8);
    assert_eq!(
        reply.choices(),
        vec![json!({"name": "Voter", "value": "voter"})]
    );
}

/// serenity RESUMEs after a close; the stand-in answers INVALID_SESSION (not resumable), so
/// serenity identifies again (its shard queue waits 5 s before that).
#[tokio::test]
async fn dropped_gateway_session_makes_serenity_identify_again() {
    let standin = DiscordStandIn::start().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let intents = serenity::GatewayIntents::non_privileged();
    let mut client = serenity::ClientBuilder::new_with_http(standin.http(), intents)
        .event_handler(Handler(tx))
        .await
        .expect("client built");
    let shards = client.shard_manager.clone();
    let running = tokio::spawn(async move { client.start().await });
    assert!(matches!(next(&mut rx).await, Seen::Ready { .. }));

    standin.disconnect_gateway(4000);
    assert!(
        standin.wait_for_identify(2, Duration::from_secs(15)).await,
        "identified again"
    );
    assert!(matches!(next(&mut rx).await, Seen::GuildCreate { .. }));
    assert!(matches!(next(&mut rx).await, Seen::Ready { .. }));
    let vote = serenity::CreateCommand::new("vote").description("Vote");
    register(&standin, vec![vote]).await;
    let ix = standin.invocation(&["vote"], vec![], ADMIN_USER_ID).await;
    assert_eq!(standin.send_interaction(&ix.payload).await, 1);
    assert!(
        standin.reply_to(ix.id, WAIT).await.is_some(),
        "new session dispatches"
    );

    tokio::time::timeout(WAIT, shards.shutdown_all())
        .await
        .expect("shards shut down");
    running.abort();
}
