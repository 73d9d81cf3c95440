//! `/topgg webhook`: the webhook URL for a project with no Top.gg integration, and a button
//! that opens a form (a Discord modal) for the `whs_` secret Top.gg shows for it.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use poise::Modal as _;
use poise::serenity_prelude as serenity;

use crate::bot::{Context, Error, caller, clip, error_reply};
use crate::domain::ids::ConnectionId;
use crate::domain::time::SharedClock;
use crate::guild::{self, BUTTON_MINUTES, Caller};
use crate::storage::{ConnectionCache, Db};

/// The kind of Top.gg project.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ProjectType {
    #[name = "bot"]
    Bot,
    #[name = "server"]
    Server,
    #[name = "game"]
    Game,
}

/// The form the button opens. The secret is never shown back, logged or printed.
#[derive(poise::Modal)]
#[name = "Top.gg webhook secret"]
struct SecretForm {
    #[name = "Webhook secret (starts with whs_)"]
    #[placeholder = "whs_..."]
    #[max_length = 200]
    secret: String,
}

/// Connect a project without a Top.gg integration: its webhook URL, and a form for the secret.
#[poise::command(slash_command)]
pub async fn webhook(
    ctx: Context<'_>,
    #[rename = "type"]
    #[description = "bot, server (default: this server) or game"]
    kind: Option<ProjectType>,
    #[description = "The bot's or game's id (a server project is this server)"]
    #[max_length = 20]
    id: Option<String>,
) -> Result<(), Error> {
    let (data, caller) = (ctx.data(), caller(ctx)?);
    let kind = match kind.unwrap_or(ProjectType::Server) {
        ProjectType::Bot => "bot",
        ProjectType::Server => "server",
        ProjectType::Game => "game",
    };
    let (db, discord, id) = (&data.db, &data.discord, id.as_deref());
    let setup = guild::webhook_setup(db, discord, &caller, kind, id, &data.public_url).await?;
    let custom_id = format!("topgg-webhook:{}:{}", setup.connection_id, ctx.id());
    let button = serenity::CreateButton::new(custom_id.clone()).label("Paste the secret");
    // Listening starts before the button is shown, so no click can come before it.
    let clicks = serenity::ComponentInteractionCollector::new(ctx.serenity_context())
        .custom_ids(vec![custom_id])
        .author_id(ctx.author().id)
        .timeout(Duration::from_secs(BUTTON_MINUTES * 60))
        .stream()
        .boxed();
    let reply = poise::CreateReply::default()
        .content(clip(setup.text))
        .ephemeral(true)
        .components(vec![serenity::CreateActionRow::Buttons(vec![button])]);
    ctx.send(reply).await?;
    let poise::Context::Application(app) = ctx else {
        return Ok(());
    };
    let form = SecretFormFlow {
        db: data.db.clone(),
        connections: data.connections.clone(),
        clock: data.clock.clone(),
        caller,
        connection_id: setup.connection_id,
    };
    let command = app.interaction.clone();
    let serenity_ctx = ctx.serenity_context().clone();
    tokio::spawn(form.answer_clicks(serenity_ctx, command, clicks));
    Ok(())
}

/// What answering the button needs, after the command itself has returned.
#[derive(Clone)]
struct SecretFormFlow {
    db: Db,
    connections: ConnectionCache,
    clock: SharedClock,
    caller: Caller,
    connection_id: ConnectionId,
}

impl SecretFormFlow {
    /// Opens the form for each click of the caller's button for [`BUTTON_MINUTES`] (within
    /// the 15 minutes the command's token lives), then takes the button away.
    async fn answer_clicks(
        self,
        ctx: serenity::Context,
        command: serenity::CommandInteraction,
        mut clicks: BoxStream<'static, serenity::ComponentInteraction>,
    ) {
        let ends = tokio::time::Instant::now() + Duration::from_secs(BUTTON_MINUTES * 60);
        while let Some(click) = clicks.next().await {
            let left = ends.saturating_duration_since(tokio::time::Instant::now());
            tokio::spawn(self.clone().ask_for_secret(ctx.clone(), click, left));
        }
        let expired = serenity::EditInteractionResponse::new()
            .content("This button has expired: run `/topgg webhook` again for a new one.")
            .components(vec![]);
        if let Err(error) = command.edit_response(&ctx, expired).await {
            tracing::debug!(%error, "cannot take the expired secret button away");
        }
    }

    /// Opens the form on `click`, waits up to `wait` for it, saves the secret and says so.
    async fn ask_for_secret(
        self,
        ctx: serenity::Context,
        click: serenity::ComponentInteraction,
        wait: Duration,
    ) {
        let form_id = click.id.to_string();
        let form = SecretForm::create(None, form_id.clone());
        let mut submits = serenity::ModalInteractionCollector::new(&ctx)
            .author_id(click.user.id)
            .filter(move |m| m.data.custom_id == form_id)
            .timeout(wait)
            .stream()
            .boxed();
        if let Err(error) = click.create_response(&ctx, form).await {
            tracing::warn!(%error, "cannot open the secret form");
            return;
        }
        let Some(submitted) = submits.next().await else {
            return;
        };
        if let Err(error) = submitted.defer_ephemeral(&ctx).await {
            tracing::warn!(%error, "cannot acknowledge the secret form");
            return;
        }
        let pasted = SecretForm::parse(submitted.data.clone()).map_or(String::new(), |f| f.secret);
        let text = self.save(&pasted).await;
        let follow_up = serenity::CreateInteractionResponseFollowup::new()
            .content(text)
            .ephemeral(true);
        if let Err(error) = submitted.create_followup(&ctx, follow_up).await {
            tracing::warn!(%error, "cannot answer the secret form");
        }
    }

    /// The answer to a pasted secret: saved, or why not.
    async fn save(&self, pasted: &str) -> String {
        let mut caller = self.caller.clone();
        caller.now = self.clock.now();
        let (db, cache, id) = (&self.db, &self.connections, &self.connection_id);
        match guild::save_webhook_secret(db, cache, &caller, id, pasted).await {
            Ok(text) => text,
            Err(error) => {
                if error.downcast_ref::<guild::UserError>().is_none() {
                    tracing::error!(error = format!("{error:#}"), connection = %id, "secret not saved");
                }
                error_reply(&error).to_string()
            }
        }
    }
}
