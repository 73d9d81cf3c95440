//! Every integration test, in one test binary with a module per file or folder of `tests/`
//! (a test's name starts with its module: `discord_faults::edge::…`). One binary links the
//! dependency graph once instead of twenty times, and its test threads
//! (`.cargo/config.toml`) share the whole suite, not one area at a time.

mod api_command;
mod cli;
mod dead_letters;
mod discord_bot;
mod discord_faults;
mod discord_standin;
mod edge_auth;
mod exposed;
mod faults;
mod guild_life;
mod history;
mod ingest;
mod integration_endpoint;
mod operations;
mod properties;
mod recovery;
mod reminders;
mod standin_components;
mod storage;
mod webhook_mode;
mod webhook_proof;
