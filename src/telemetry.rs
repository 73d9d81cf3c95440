//! Logging through tracing: `RUST_LOG` sets the level, `log.format` the shape.

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::LogFormat;

/// The filter when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,serenity=warn,sqlx=warn";

/// Installs the global subscriber once (`default_filter` unless `RUST_LOG` is set); later
/// calls are ignored. Beside the log it runs the layer that sees gateway close codes serenity
/// would retry for ever ([`crate::bot::gateway_close_layer`]), whatever the level.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let log = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let log = match format {
        LogFormat::Json => log.json().boxed(),
        LogFormat::Text => log.boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(log.with_filter(filter))
        .with(crate::bot::gateway_close_layer())
        .try_init();
}
