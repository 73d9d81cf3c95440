//! [`ProjectKind`]: what a Top.gg project is (`project.type`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A project's type as Top.gg sends it. A type this version does not know is kept as sent
/// (not refused): it is stored, shown, and has no known vote page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProjectKind {
    Bot,
    Server,
    Game,
    Other(String),
}

impl ProjectKind {
    /// The wire (and stored) name.
    pub fn as_str(&self) -> &str {
        match self {
            ProjectKind::Bot => "bot",
            ProjectKind::Server => "server",
            ProjectKind::Game => "game",
            ProjectKind::Other(other) => other,
        }
    }
}

impl From<&str> for ProjectKind {
    fn from(text: &str) -> Self {
        match text {
            "bot" => ProjectKind::Bot,
            "server" => ProjectKind::Server,
            "game" => ProjectKind::Game,
            other => ProjectKind::Other(other.to_string()),
        }
    }
}

/// Reads the stored `project_type` column.
impl From<String> for ProjectKind {
    fn from(text: String) -> Self {
        ProjectKind::from(text.as_str())
    }
}

impl fmt::Display for ProjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProjectKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProjectKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ProjectKind::from(String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_kinds_are_named_and_an_unknown_kind_is_kept_as_sent() {
        for (text, kind) in [
            ("bot", ProjectKind::Bot),
            ("server", ProjectKind::Server),
            ("game", ProjectKind::Game),
            ("app", ProjectKind::Other("app".into())),
        ] {
            assert_eq!(
                serde_json::from_str::<ProjectKind>(&format!("\"{text}\"")).unwrap(),
                kind
            );
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{text}\""));
        }
    }
}
