//! Faults the service must survive: hostile requests, a Discord outage, a database outage
//! and SIGKILL under load. Every test is bounded in time.

mod crash;
mod disk;
mod hostile;
mod ids;
mod outages;
pub mod proxy;
mod raw;
mod spool;
mod spool_dead;
mod transport;

use std::collections::HashMap;

use topgg_testkit::standin;

/// The connection every test makes: a server project, so it links itself to the stand-in's
/// guild.
pub const CONNECTION: &str = "conn-faults";
pub const SECRET: &str = "whs_faults";

/// `vote.create` number `i` of a test, from its own voter [`voter_id`]`(i)`.
pub fn vote(i: usize) -> serde_json::Value {
    let project = topgg_testkit::server_project(&standin::GUILD_ID.to_string());
    topgg_bot::samples::sample_vote(&vote_id(i), &project, &voter_id(i), "voter")
}

pub fn voter_id(i: usize) -> String {
    (1_700_000_000_000_000_000u64 + i as u64).to_string()
}

pub fn vote_id(i: usize) -> String {
    format!("fault-vote-{i}")
}

/// How many times each user id is mentioned (`<@id>`) in the messages of `channel`: an
/// announcement names one voter, a digest several.
pub fn mentions(discord: &standin::DiscordStandIn, channel: u64) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for message in discord.messages_in(channel) {
        let content = message["content"].as_str().unwrap_or_default();
        for part in content.split("<@").skip(1) {
            if let Some((id, _)) = part.split_once('>') {
                *counts.entry(id.to_string()).or_insert(0) += 1;
            }
        }
    }
    counts
}
