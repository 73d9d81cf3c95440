//! The Discord work queue's consumer: policy (pure), execution, and the worker loop.

pub mod automod;
mod digest;
mod embeds;
mod execute;
mod leases;
pub mod outcomes;
pub mod policy;
mod posting;
mod reminder;
mod resting;
mod role_wait;
mod worker;

pub use worker::{LEASE, Worker};
