//! Every slash command. Each one parses its options, calls a plain function and replies.

mod api;
mod check_vote;
mod project_option;
mod remind;
mod roles;
mod topgg;
mod voters;
mod webhook;

use super::{Data, Error};

/// The commands registered with Discord.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    let mut commands = vec![
        topgg::topgg(),
        voters::vote(),
        voters::leaderboard(),
        remind::remind(),
    ];
    commands.iter_mut().for_each(project_option::describe);
    commands
}
