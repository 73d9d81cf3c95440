//! `database.url` as a secret: a Postgres URL may carry a password, so the URL is shown only
//! with its password masked (`Display`, `Debug`), and read in full only to connect.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// What a password is shown as.
const MASK: &str = "***";

/// The database URL; prints with its password masked.
#[derive(Clone, Deserialize)]
#[serde(from = "String")]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    /// The whole URL, password included: for connecting, never for showing.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether the URL names a Postgres database.
    pub fn is_postgres(&self) -> bool {
        let url = self.expose();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// The URL with the password of its user part and of a `password=` parameter masked.
    pub fn redacted(&self) -> String {
        redact(self.expose())
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(SecretString::new(url))
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> Self {
        url.to_string().into()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

/// `scheme://user:password@host/db?password=x` with both passwords masked.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:{MASK}@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redact_query(query)),
        None => tail.to_string(),
    };
    match url.contains("://") {
        true => format!("{scheme}://{authority}{tail}"),
        false => format!("{authority}{tail}"),
    }
}

fn redact_query(query: &str) -> String {
    let masked = query.split('&').map(|pair| match pair.split_once('=') {
        Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}={MASK}"),
        _ => pair.to_string(),
    });
    masked.collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_password_is_masked_in_display_and_debug() {
        let url = DatabaseUrl::from("postgres://bot:hunter2@db.example:5432/votes?sslmode=require");
        let shown = "postgres://bot:***@db.example:5432/votes?sslmode=require";
        assert_eq!(url.to_string(), shown);
        assert!(!format!("{url:?}").contains("hunter2"));
        assert!(url.expose().contains("hunter2"));
    }

    #[test]
    fn a_password_parameter_and_a_password_with_an_at_sign_are_masked() {
        let url = DatabaseUrl::from("postgresql://bot:p@ss@h/db?user=bot&password=s3cret");
        assert_eq!(
            url.to_string(),
            "postgresql://bot:***@h/db?user=bot&password=***"
        );
    }

    #[test]
    fn urls_without_a_password_are_shown_as_they_are() {
        for plain in [
            "sqlite://topgg-bot.db",
            "postgres://bot@h/db",
            "sqlite:x.db?mode=rwc",
        ] {
            assert_eq!(DatabaseUrl::from(plain).to_string(), plain);
        }
    }
}
