//! Settings written one column at a time on the rows a guild and one more id name (see
//! [`InGuild`]): a link's channel or template, the pause of the links posting in a channel, a
//! deleted role. One statement shape serves them all:
//! `UPDATE <table> SET <column> = $3 WHERE guild_id = $1 AND <id column> = $2`.

use std::marker::PhantomData;

use super::Db;
use super::bind::Arg;
use super::sql::Sql;
use crate::domain::ids::{ChannelId, ConnectionId, RoleId};
use crate::domain::keys::InGuild;

/// A column of a table whose rows a guild and an id of type `Id` name.
#[derive(Debug)]
pub(super) struct GuildColumn<Id> {
    table: &'static str,
    /// The column of the id that, with `guild_id`, names the rows.
    id: &'static str,
    column: &'static str,
    /// Which id type names the rows (as a `fn` so the column holds no `Id`).
    of: PhantomData<fn(&Id)>,
}

impl<Id> GuildColumn<Id> {
    const fn new(table: &'static str, id: &'static str, column: &'static str) -> Self {
        GuildColumn {
            table,
            id,
            column,
            of: PhantomData,
        }
    }

    /// The statement that sets the column ($3) on the rows of guild $1 and id $2.
    fn update(&self) -> String {
        let GuildColumn {
            table, id, column, ..
        } = self;
        format!("UPDATE {table} SET {column} = $3 WHERE guild_id = $1 AND {id} = $2")
    }
}

/// Why the announcements of every link of a guild posting in a channel are paused.
pub(super) const CHANNEL_PAUSED: GuildColumn<ChannelId> =
    GuildColumn::new("links", "channel_id", "paused_reason");

/// Why a role is no longer granted by any link of a guild (it was deleted).
pub(super) const ROLE_DISABLED: GuildColumn<RoleId> =
    GuildColumn::new("reward_roles", "role_id", "disabled_reason");

/// The settings of a link that `/topgg` commands set one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkColumn {
    ChannelId,
    Template,
    PausedReason,
    DisplayName,
    DisplayVoteUrl,
    Style,
}

impl LinkColumn {
    pub(super) fn column(self) -> GuildColumn<ConnectionId> {
        let name = match self {
            LinkColumn::ChannelId => "channel_id",
            LinkColumn::Template => "template",
            LinkColumn::PausedReason => "paused_reason",
            LinkColumn::DisplayName => "display_name",
            LinkColumn::DisplayVoteUrl => "display_vote_url",
            LinkColumn::Style => "style",
        };
        GuildColumn::new("links", "connection_id", name)
    }
}

impl Db {
    /// Sets (or with `None` clears) `column` on the rows `key` names; returns how many
    /// changed.
    pub(super) async fn update_in_guild<Id>(
        &self,
        column: &GuildColumn<Id>,
        key: InGuild<'_, Id>,
        value: Option<&str>,
    ) -> anyhow::Result<u64>
    where
        for<'k> &'k Id: Into<Arg<'k>>,
    {
        let sql = Sql::built(column.update()).bind_key(key).bind(value);
        self.execute(sql).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_column_is_set_on_the_rows_of_its_guild_and_id() {
        let cases = [
            (
                LinkColumn::DisplayVoteUrl.column().update(),
                "UPDATE links SET display_vote_url = $3 WHERE guild_id = $1 AND connection_id = $2",
            ),
            (
                CHANNEL_PAUSED.update(),
                "UPDATE links SET paused_reason = $3 WHERE guild_id = $1 AND channel_id = $2",
            ),
            (
                ROLE_DISABLED.update(),
                "UPDATE reward_roles SET disabled_reason = $3 WHERE guild_id = $1 AND role_id = $2",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text, expected);
        }
    }
}
