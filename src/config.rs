//! `config.toml` plus environment overrides. A bad setting stops start-up with one line that
//! names the key; secrets are wrapped so they never print.

use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

pub use database_url::DatabaseUrl;

mod database_url;

/// A setting that cannot be used, named by its key. Never carries a secret's value.
#[derive(Debug, thiserror::Error)]
#[error("config: {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    fn new(key: &str, reason: impl Into<String>) -> Self {
        Self {
            key: key.to_string(),
            reason: reason.into(),
        }
    }
}

/// Keys whose values must never appear in an error.
const SECRET_KEYS: [&str; 3] = ["discord.token", "topgg.integration_secret", "database.url"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub discord: DiscordConfig,
    pub http: HttpConfig,
    pub topgg: TopggConfig,
    pub database: DatabaseConfig,
    pub delivery: DeliveryConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    pub token: Option<SecretString>,
    pub api_url: String,
    pub dry_run: bool,
    pub gateway: bool,
    pub shards: Option<String>,
    /// After Discord rejected the token (401), how often delivery checks it again.
    pub token_recheck_secs: u64,
    /// Invalid Discord answers allowed per rolling window: Discord's, always, except in tests
    /// (no file or environment variable can set it: it is not a config key).
    #[serde(skip)]
    #[doc(hidden)]
    pub invalid_budget: crate::discord::InvalidBudget,
}

impl DiscordConfig {
    /// `token_recheck_secs` as a duration (at least one second).
    pub fn token_recheck(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.token_recheck_secs.max(1))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    pub public_url: String,
    /// Seconds a client has to send a request's headers (from connecting, or from the first
    /// byte of a later request on a kept-alive connection).
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body once its headers are in.
    pub body_timeout_secs: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub idle_timeout_secs: u64,
    /// Connections open at once; new ones beyond this are closed at once.
    pub max_connections: usize,
    /// Connections one client address may hold open; 0 turns the limit off (behind a proxy
    /// every client has the proxy's address).
    pub max_connections_per_ip: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopggConfig {
    pub integration_secret: Option<SecretString>,
    pub signature_tolerance_secs: u64,
    /// Top.gg's v1 API (a proxy or a local stand-in otherwise), without a trailing slash.
    pub api_url: String,
    /// With a project's API token: how often missed votes are looked for.
    pub recover_every_secs: u64,
}

/// Top.gg's v1 API.
pub const DEFAULT_TOPGG_API_URL: &str = "https://top.gg/api/v1";

impl TopggConfig {
    /// `recover_every_secs` as a duration.
    pub fn recover_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.recover_every_secs)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A secret: a Postgres URL may carry a password (shown masked, see [`DatabaseUrl`]).
    pub url: DatabaseUrl,
    pub retention_days: u32,
    /// With Postgres: the local SQLite file that holds votes acknowledged while Postgres
    /// cannot take them (relative paths are from the working directory).
    pub spool_path: String,
}

/// The Discord work queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// How long a claim on a job lasts (renewed while it runs): the time after which another
    /// instance takes over the work of one that died.
    pub lease_secs: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self { lease_secs: 30 }
    }
}

impl DeliveryConfig {
    /// The lease as a duration.
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lease_secs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
}

pub const DEFAULT_DISCORD_API_URL: &str = "https://discord.com";

impl Default for DiscordConfig {
    fn default() -> Self {
        Self {
            token: None,
            api_url: DEFAULT_DISCORD_API_URL.into(),
            dry_run: false,
            gateway: true,
            shards: None,
            token_recheck_secs: 60,
            invalid_budget: crate::discord::InvalidBudget::default(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: ([127, 0, 0, 1], 8080).into(),
            public_url: "http://127.0.0.1:8080".into(),
            header_timeout_secs: 10,
            body_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_connections: 4096,
            max_connections_per_ip: 256,
        }
    }
}

impl HttpConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let at_least_one = [
            ("http.header_timeout_secs", self.header_timeout_secs),
            ("http.body_timeout_secs", self.body_timeout_secs),
            ("http.idle_timeout_secs", self.idle_timeout_secs),
            ("http.max_connections", self.max_connections as u64),
        ];
        match at_least_one.iter().find(|(_, value)| *value == 0) {
            Some((key, _)) => Err(ConfigError::new(key, "must be at least 1")),
            None => Ok(()),
        }
    }
}

impl Default for TopggConfig {
    fn default() -> Self {
        Self {
            integration_secret: None,
            signature_tolerance_secs: 300,
            api_url: DEFAULT_TOPGG_API_URL.into(),
            recover_every_secs: 900,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: DatabaseUrl::from("sqlite://topgg-bot.db"),
            retention_days: 90,
            spool_path: "topgg-bot-spool.db".into(),
        }
    }
}

impl DatabaseConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let url = self.url.expose();
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| url.starts_with(p))
        {
            return Err(ConfigError::new(
                "database.url",
                "must start with sqlite: or postgres://",
            ));
        }
        if self.spool_path.trim().is_empty() {
            return Err(ConfigError::new(
                "database.spool_path",
                "must be a file path",
            ));
        }
        Ok(())
    }
}

impl Config {
    /// Loads `path` (or `./config.toml` when present), then the environment, then validates.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        Self::from_figment(sources(path)?)
    }

    /// Loads only the `[database]` settings, as [`Config::load`] reads them: for commands
    /// that need nothing else (`dead-letters`), so they run without the Discord token or the
    /// integration secret.
    pub fn load_database(path: Option<&Path>) -> Result<DatabaseConfig, ConfigError> {
        let figment = sources(path)?.focus("database");
        let database: DatabaseConfig = figment.extract().map_err(|mut e| {
            if e.path.first().is_none_or(|first| first != "database") {
                e.path.insert(0, "database".into());
            }
            describe(e)
        })?;
        database.validate()?;
        Ok(database)
    }

    /// Extracts and validates a configuration from any figment (tests pass TOML strings).
    pub fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
        let mut config: Config = figment.extract().map_err(describe)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        if self.discord.token.is_none() && !self.discord.dry_run {
            return Err(ConfigError::new(
                "discord.token",
                "required (set DISCORD_TOKEN) unless discord.dry_run = true",
            ));
        }
        if let Some(secret) = &self.topgg.integration_secret {
            check_integration_secret(secret)?;
        }
        self.http.public_url = http_url("http.public_url", &self.http.public_url)?;
        self.discord.api_url = http_url("discord.api_url", &self.discord.api_url)?;
        self.topgg.api_url = http_url("topgg.api_url", &self.topgg.api_url)?;
        if self.topgg.recover_every_secs == 0 {
            return Err(ConfigError::new(
                "topgg.recover_every_secs",
                "must be at least 1",
            ));
        }
        self.database.validate()?;
        if self.delivery.lease_secs == 0 {
            return Err(ConfigError::new(
                "delivery.lease_secs",
                "must be at least 1",
            ));
        }
        self.http.validate()?;
        if let Some(shards) = &self.discord.shards {
            ShardRange::parse(shards)
                .map_err(|reason| ConfigError::new("discord.shards", reason))?;
        }
        Ok(())
    }

    /// Whether this instance connects to the Discord gateway.
    pub fn runs_gateway(&self) -> bool {
        self.discord.gateway && !self.discord.dry_run
    }

    /// The shard range this instance runs, if limited.
    pub fn shard_range(&self) -> Option<ShardRange> {
        self.discord
            .shards
            .as_deref()
            .and_then(|s| ShardRange::parse(s).ok())
    }
}

/// Shortest integration secret accepted: an empty or short one protects nothing (anyone could
/// sign an `integration.create` over an existing connection and take its guilds' rewards).
pub const MIN_INTEGRATION_SECRET_CHARS: usize = 16;

fn check_integration_secret(secret: &SecretString) -> Result<(), ConfigError> {
    let length = secret.expose_secret().trim().chars().count();
    if length < MIN_INTEGRATION_SECRET_CHARS {
        let what = if length == 0 { "empty" } else { "too short" };
        return Err(ConfigError::new(
            "topgg.integration_secret",
            format!(
                "{what}: use the secret Top.gg issued for the integration (at least \
                 {MIN_INTEGRATION_SECRET_CHARS} characters), or leave the key unset to run \
                 without an integration (projects connect with /topgg webhook)"
            ),
        ));
    }
    Ok(())
}

/// `path` (or `./config.toml` when present) with the environment over it.
fn sources(path: Option<&Path>) -> Result<Figment, ConfigError> {
    let file = match path {
        Some(path) if !path.exists() => {
            return Err(ConfigError::new(
                "--config",
                format!("{} not found", path.display()),
            ));
        }
        Some(path) => Some(path),
        None => Some(Path::new("config.toml")).filter(|p| p.exists()),
    };
    let mut figment = Figment::new();
    if let Some(file) = file {
        figment = figment.merge(Toml::file(file));
    }
    Ok(figment.merge(env_overrides()))
}

fn env_overrides() -> Figment {
    Figment::new()
        .merge(
            Env::raw()
                .only(&["DISCORD_TOKEN"])
                .map(|_| "discord.token".into()),
        )
        .merge(
            Env::raw()
                .only(&["TOPGG_INTEGRATION_SECRET"])
                .map(|_| "topgg.integration_secret".into()),
        )
        .merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "database.url".into()),
        )
        .merge(Env::prefixed("TOPGG_BOT__").split("__"))
}

/// A `http(s)://` URL without its trailing slash.
fn http_url(key: &str, value: &str) -> Result<String, ConfigError> {
    let ok = value.starts_with("http://") || value.starts_with("https://");
    if !ok || value.contains(char::is_whitespace) {
        return Err(ConfigError::new(key, "must be an http:// or https:// URL"));
    }
    Ok(value.trim_end_matches('/').to_string())
}

fn describe(error: figment::Error) -> ConfigError {
    let key = error.path.join(".");
    let reason = if SECRET_KEYS.contains(&key.as_str()) {
        "invalid value (not shown: it is a secret)".to_string()
    } else {
        error.kind.to_string()
    };
    ConfigError { key, reason }
}

/// `"a-b/n"` or `"a/n"`: shards a..=b of n total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    pub fn parse(value: &str) -> Result<ShardRange, String> {
        let bad = || format!("expected \"first-last/total\" such as \"0-1/4\", got {value:?}");
        let (range, total) = value.split_once('/').ok_or_else(bad)?;
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let number = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
        let (first, last, total) = (number(first)?, number(last)?, number(total)?);
        if first > last || last >= total {
            return Err(bad());
        }
        Ok(ShardRange { first, last, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn from_toml(toml: &str) -> Result<Config, ConfigError> {
        Config::from_figment(Figment::new().merge(Toml::string(toml)))
    }

    const MINIMAL: &str =
        "[discord]\ntoken = \"tok\"\n[topgg]\nintegration_secret = \"0123456789abcdef\"\n";

    #[test]
    fn defaults_match_the_contract() {
        let c = from_toml(MINIMAL).unwrap();
        assert_eq!(c.http.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.http.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.discord.api_url, "https://discord.com");
        assert_eq!(c.database.url.expose(), "sqlite://topgg-bot.db");
        assert_eq!(
            (c.topgg.signature_tolerance_secs, c.database.retention_days),
            (300, 90)
        );
        assert!(c.discord.gateway && !c.discord.dry_run);
        assert_eq!(c.log.format, LogFormat::Text);
        assert_eq!(c.delivery.lease_secs, 30);
        let h = &c.http;
        assert_eq!(
            (
                h.header_timeout_secs,
                h.body_timeout_secs,
                h.idle_timeout_secs,
                h.max_connections
            ),
            (10, 10, 60, 4096)
        );
        assert_eq!(c.database.spool_path, "topgg-bot-spool.db");
        assert_eq!(c.topgg.api_url, "https://top.gg/api/v1");
        assert_eq!(c.topgg.recover_every_secs, 900);
    }

    /// [`MINIMAL`] loaded from a file, with `env` set (in a jail: the environment is
    /// restored after).
    #[allow(clippy::result_large_err)]
    fn load_with_env(env: &[(&str, &str)]) -> Config {
        let mut loaded = None;
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", MINIMAL)?;
            for (key, value) in env {
                jail.set_env(key, value);
            }
            loaded = Some(Config::load(Some(Path::new("c.toml"))).expect("loads"));
            Ok(())
        });
        loaded.expect("the jail ran")
    }

    #[test]
    fn the_topgg_api_url_and_recovery_period_are_read_from_the_environment() {
        let c = load_with_env(&[
            ("TOPGG_BOT__TOPGG__API_URL", "http://127.0.0.1:9/api/v1/"),
            ("TOPGG_BOT__TOPGG__RECOVER_EVERY_SECS", "60"),
        ]);
        assert_eq!(c.topgg.api_url, "http://127.0.0.1:9/api/v1");
        assert_eq!(c.topgg.recover_every_secs, 60);
        let zero = MINIMAL.replace("[topgg]", "[topgg]\nrecover_every_secs = 0");
        let err = from_toml(&zero).unwrap_err();
        assert_eq!(err.key, "topgg.recover_every_secs");
    }

    #[test]
    fn a_zero_http_limit_is_named() {
        let err = from_toml(&format!("{MINIMAL}[http]\nmax_connections = 0")).unwrap_err();
        assert_eq!(err.key, "http.max_connections");
        let err = from_toml(&format!("{MINIMAL}[http]\nbody_timeout_secs = 0")).unwrap_err();
        assert_eq!(err.key, "http.body_timeout_secs");
    }

    #[test]
    fn a_missing_token_is_named_unless_dry_run() {
        let err = from_toml("[topgg]\nintegration_secret = \"0123456789abcdef\"").unwrap_err();
        assert_eq!(err.key, "discord.token");
        from_toml("[discord]\ndry_run = true\n[topgg]\nintegration_secret = \"0123456789abcdef\"")
            .unwrap();
    }

    #[test]
    fn without_an_integration_secret_the_bot_runs_in_webhook_mode() {
        let c = from_toml("[discord]\ntoken = \"t\"").unwrap();
        assert!(c.topgg.integration_secret.is_none());
    }

    #[test]
    fn an_empty_or_short_integration_secret_stops_start_up_naming_the_key() {
        for secret in ["", "   ", "short-secret"] {
            let toml =
                format!("[discord]\ntoken = \"t\"\n[topgg]\nintegration_secret = \"{secret}\"");
            let err = from_toml(&toml).unwrap_err();
            assert_eq!(err.key, "topgg.integration_secret", "{secret:?}");
            assert!(secret.trim().is_empty() || !err.to_string().contains(secret));
        }
    }

    #[test]
    fn an_invalid_value_names_its_key() {
        let err = from_toml(&format!("{MINIMAL}[http]\nlisten = \"nope\"")).unwrap_err();
        assert_eq!(err.key, "http.listen");
        let err = from_toml(&format!("{MINIMAL}[discord]\nshards = \"3-1/2\"")).unwrap_err();
        assert!(err.to_string().starts_with("config: "), "{err}");
    }

    #[test]
    fn a_typo_in_a_key_is_reported() {
        let err = from_toml(&format!("{MINIMAL}[http]\nlisten_addr = \"x\"")).unwrap_err();
        assert_eq!(err.key, "http.listen_addr");
    }

    #[test]
    fn the_invalid_request_budget_is_discords_and_no_config_key() {
        let c = from_toml(MINIMAL).unwrap();
        assert_eq!(c.discord.invalid_budget.max, 5_000);
        assert_eq!(c.discord.invalid_budget.window.as_secs(), 600);
        let toml = MINIMAL.replace("[topgg]", "invalid_budget = 1\n[topgg]");
        assert_eq!(from_toml(&toml).unwrap_err().key, "discord.invalid_budget");
    }

    #[test]
    fn a_secret_never_appears_in_errors_or_debug_output() {
        let err = from_toml(
            "[discord]\ntoken = 12345678\n[topgg]\nintegration_secret = \"0123456789abcdef\"",
        )
        .unwrap_err();
        assert_eq!(err.key, "discord.token");
        assert!(!err.to_string().contains("12345678"), "{err}");
        let c = from_toml(
            "[discord]\ntoken = \"hunter2\"\n[topgg]\nintegration_secret = \"0123456789abcdef\"",
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.discord.token.unwrap().expose_secret(), "hunter2");
    }

    #[test]
    fn a_trailing_slash_on_the_public_url_is_dropped() {
        let c = from_toml(&format!(
            "{MINIMAL}[http]\npublic_url = \"https://bot.example/\""
        ))
        .unwrap();
        assert_eq!(c.http.public_url, "https://bot.example");
    }

    #[test]
    fn env_overrides_beat_the_file() {
        let env = [
            ("TOPGG_BOT__HTTP__LISTEN", "127.0.0.1:9999"),
            ("DATABASE_URL", "postgres://x@127.0.0.1/db"),
        ];
        let c = load_with_env(&env);
        assert_eq!(c.http.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(c.http.max_connections_per_ip, 256);
        assert_eq!(c.database.url.expose(), "postgres://x@127.0.0.1/db");
        let unlimited = [
            env[0],
            env[1],
            ("TOPGG_BOT__HTTP__MAX_CONNECTIONS_PER_IP", "0"),
        ];
        let c = load_with_env(&unlimited);
        assert_eq!(c.http.max_connections_per_ip, 0, "0 turns the limit off");
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn the_database_settings_load_without_the_token_or_the_integration_secret() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "postgres://bot:pw@127.0.0.1/db");
            let database = Config::load_database(None).expect("loads");
            assert_eq!(database.url.expose(), "postgres://bot:pw@127.0.0.1/db");
            assert!(
                Config::load(None).is_err(),
                "the whole config needs the token"
            );
            jail.set_env("DATABASE_URL", "mysql://x");
            let err = Config::load_database(None).unwrap_err();
            assert_eq!(err.key, "database.url");
            Ok(())
        });
    }

    #[test]
    fn the_database_password_never_appears_in_debug_output() {
        let toml = format!("{MINIMAL}[database]\nurl = \"postgres://u:hunter3@h/db\"");
        let c = from_toml(&toml).unwrap();
        assert!(!format!("{c:?}").contains("hunter3"), "{c:?}");
    }

    #[test]
    fn shard_ranges_parse() {
        assert_eq!(
            ShardRange::parse("0-1/4"),
            Ok(ShardRange {
                first: 0,
                last: 1,
                total: 4
            })
        );
        assert_eq!(
            ShardRange::parse("2/4"),
            Ok(ShardRange {
                first: 2,
                last: 2,
                total: 4
            })
        );
        assert!(ShardRange::parse("4/4").is_err());
        assert!(ShardRange::parse("a-b").is_err());
    }
}
