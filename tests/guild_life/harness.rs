//! The app on SQLite with its gateway on a stand-in, as the guild tests start it: the
//! project's bot user known by name and voters with an avatar.

use serde_json::Value;
use topgg_bot::samples::sample_project;

pub use topgg_testkit::bot::{Bot, BotBuilder, CONNECTION, WAIT, button_url, embed};
use topgg_testkit::standin::*;

/// The bot user of the bot project the tests connect.
pub const PROJECT_BOT_ID: u64 = 1_700_000_000_000_000_001;
pub const PROJECT_BOT_NAME: &str = "Cool Bot";
pub const AVATAR: &str = "https://cdn.discordapp.com/avatars/1/a.png";

/// A bot project whose bot user the stand-in knows by name.
pub fn bot_project() -> Value {
    sample_project("900000000000000009", "bot", &PROJECT_BOT_ID.to_string())
}

/// A start on `model`, for [`bot_project`], its voters with [`AVATAR`].
pub fn guild_bot(model: GuildModel) -> BotBuilder {
    Bot::builder()
        .guild(model)
        .project(bot_project())
        .voter_avatar(AVATAR)
}

/// The default guild, plus the project's bot user.
pub async fn start_bot() -> Bot {
    let model = GuildModel::default_guild().with_user(user(PROJECT_BOT_ID, PROJECT_BOT_NAME));
    guild_bot(model).start().await
}
