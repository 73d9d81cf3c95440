//! Autocomplete for the `project` and `connection` options.

use poise::serenity_prelude as serenity;

use super::Context;
use crate::domain::text::as_shown;

/// The projects linked to this guild.
pub async fn project(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Some(guild_id) = ctx.guild_id() else {
        return serenity::CreateAutocompleteResponse::new();
    };
    let links = ctx
        .data()
        .db
        .links_in_guild(&guild_id.get().into())
        .await
        .unwrap_or_default();
    choices(
        links
            .into_iter()
            .map(|link| (as_shown(&link.label()), link.connection_id.into_string())),
        partial,
    )
}

/// The caller's connections not linked to this guild yet.
pub async fn connection(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Some(guild_id) = ctx.guild_id() else {
        return serenity::CreateAutocompleteResponse::new();
    };
    let caller = ctx.author().id.get().into();
    let owned = ctx
        .data()
        .db
        .unlinked_connections_of(&caller, &guild_id.get().into())
        .await
        .unwrap_or_default();
    let named = owned
        .into_iter()
        .map(|c| (as_shown(&c.label()), c.connection_id.into_string()));
    choices(named, partial)
}

/// Up to 25 (label, value) choices whose label or value contains `partial`.
fn choices(
    named: impl Iterator<Item = (String, String)>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let partial = partial.to_lowercase();
    let choices = named
        .filter(|(label, value)| {
            label.to_lowercase().contains(&partial) || value.to_lowercase().contains(&partial)
        })
        .take(25)
        .map(|(label, value)| serenity::AutocompleteChoice::new(label, value))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}
