//! `/topgg api`: a form (a Discord modal) for the project's Top.gg API token, checked with
//! Top.gg before it is stored. The token is never shown back, logged or printed.

use std::time::Duration;

use futures_util::StreamExt;
use poise::Modal as _;
use poise::serenity_prelude as serenity;

use crate::bot::{Context, Error, caller, error_reply};
use crate::guild::{self, BUTTON_MINUTES, Caller};
use crate::topgg::recovery::Recovery;

/// The form the command opens.
#[derive(poise::Modal)]
#[name = "Top.gg API token"]
struct TokenForm {
    #[name = "API token (empty removes it)"]
    #[placeholder = "From your project's page: Integrations & API"]
    #[max_length = 1000]
    token: Option<String>,
}

/// Set the project's Top.gg API token, used to recover missed votes (empty removes it).
#[poise::command(slash_command)]
pub async fn api(ctx: Context<'_>, project: Option<String>) -> Result<(), Error> {
    // Nothing slow comes before the form: it must open within Discord's 3 s (the project is
    // checked when the form is submitted).
    let caller = caller(ctx)?;
    let poise::Context::Application(app) = ctx else {
        return Ok(());
    };
    let form_id = format!("topgg-api:{}", ctx.id());
    let wanted = form_id.clone();
    // Listening starts before the form opens, so no submit can come before it.
    let mut submits = serenity::ModalInteractionCollector::new(ctx.serenity_context())
        .author_id(ctx.author().id)
        .filter(move |m| m.data.custom_id == wanted)
        .timeout(Duration::from_secs(BUTTON_MINUTES * 60))
        .stream()
        .boxed();
    let form = TokenForm::create(None, form_id);
    app.interaction.create_response(ctx, form).await?;
    let flow = TokenFlow {
        recovery: ctx.data().recovery.clone(),
        connections: ctx.data().connections.clone(),
        caller,
        project,
    };
    let serenity_ctx = ctx.serenity_context().clone();
    tokio::spawn(async move {
        if let Some(submitted) = submits.next().await {
            flow.answer(&serenity_ctx, submitted).await;
        }
    });
    Ok(())
}

/// What answering the form needs, after the command itself has returned.
struct TokenFlow {
    recovery: Recovery,
    /// Reread after a token proved a webhook-mode connection's project.
    connections: crate::storage::ConnectionCache,
    caller: Caller,
    project: Option<String>,
}

impl TokenFlow {
    /// Acknowledges the submit privately at once, checks and saves the token, says so.
    async fn answer(self, ctx: &serenity::Context, submitted: serenity::ModalInteraction) {
        if let Err(error) = submitted.defer_ephemeral(ctx).await {
            tracing::warn!(%error, "cannot acknowledge the API token form");
            return;
        }
        let pasted = TokenForm::parse(submitted.data.clone())
            .ok()
            .and_then(|f| f.token)
            .unwrap_or_default();
        let text = self.save(&pasted).await;
        let follow_up = serenity::CreateInteractionResponseFollowup::new()
            .content(text)
            .ephemeral(true);
        if let Err(error) = submitted.create_followup(ctx, follow_up).await {
            tracing::warn!(%error, "cannot answer the API token form");
        }
    }

    /// The answer to a pasted token: saved, removed, or why not.
    async fn save(&self, pasted: &str) -> String {
        let Recovery { db, api, clock, .. } = &self.recovery;
        let (guild_id, project) = (&self.caller.guild_id, self.project.as_deref());
        match guild::set_api_token(db, api, guild_id, project, pasted, clock.now()).await {
            Ok(text) => {
                if let Err(error) = self.connections.refresh().await {
                    tracing::warn!(error = format!("{error:#}"), "connections not reread");
                }
                self.recovery.token_set.notify_one();
                text
            }
            Err(error) => {
                if error.downcast_ref::<guild::UserError>().is_none() {
                    tracing::error!(error = format!("{error:#}"), "API token not saved");
                }
                error_reply(&error).to_string()
            }
        }
    }
}
