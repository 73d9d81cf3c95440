//! topgg-bot: a Discord vote bot that speaks Top.gg's integration handshake.
//!
//! Layout: [`config`] (settings), [`domain`] (pure logic), [`storage`] (all SQL), [`http`] (the
//! edge Top.gg talks to), [`app`] (wiring and lifecycle), [`cli`] (the commands).

pub mod app;
pub mod bot;
pub mod cli;
pub mod config;
pub mod dead_letters;
pub mod delivery;
pub mod demo;
pub mod discord;
pub mod domain;
pub mod guild;
pub mod housekeeping;
pub mod http;
pub mod metrics;
pub mod samples;
pub mod send_test;
pub mod storage;
pub mod telemetry;
pub mod topgg;
