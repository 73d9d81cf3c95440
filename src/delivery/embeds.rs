//! Announcements for a channel where the bot lacks Embed Links (Discord would drop their
//! embed and keep a bare ping) go out in `text` style, singly and in digests, until it is
//! back; the configured style is kept in the queue, so it applies again then.

use crate::discord::Discord;
use crate::domain::announce::in_text_style;
use crate::domain::work::Work;
use crate::storage::Job;

/// The bucket's work as its channel can show it now (no call: the gateway keeps it known).
pub(super) fn as_channel_shows(discord: &Discord, jobs: Vec<(Job, Work)>) -> Vec<(Job, Work)> {
    jobs.into_iter()
        .map(|(job, work)| match &work {
            Work::Announce {
                channel_id,
                embed: Some(_),
                ..
            } if discord.lacks_embed_links(channel_id) => (job, in_text_style(work)),
            Work::Announce { .. }
            | Work::TestNotice { .. }
            | Work::GrantRole { .. }
            | Work::RemoveRole { .. }
            | Work::Remind { .. } => (job, work),
        })
        .collect()
}
