//! Top.gg's v1 API as the bot uses it: the client ([`api`]) and vote recovery ([`recovery`]).

pub mod api;
pub mod live;
pub mod pace;
pub mod recovered;
pub mod recovery;

pub use api::{ApiError, ApiProject, ListedVote, LiveVote, TopggApi, VotePage};
pub use pace::Pace;
