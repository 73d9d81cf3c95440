//! Files the bot creates hold votes and secrets: they are created readable by their owner
//! only (0600), whatever the umask. SQLite gives a database's `-wal` and `-shm` files the
//! mode of the database file itself (`findCreateFileMode` and `unixOpenSharedMemory` in its
//! unix VFS, `fchmod` past the umask), so creating the database file first is enough.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;

/// Owner read and write only.
pub const PRIVATE_MODE: u32 = 0o600;

/// Creates `path` empty with mode 0600 unless it exists (an existing file keeps its mode).
/// SQLite treats an empty file as a new database.
pub fn create_private(path: &Path) -> anyhow::Result<()> {
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_MODE)
        .open(path);
    match created {
        Ok(file) => {
            // The umask may have taken bits away (never added any): set the mode exactly.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_MODE))
                .with_context(|| format!("cannot set the mode of {}", path.display()))
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// The file of a `sqlite:` URL, unless it is an in-memory database (sqlx names
/// `sqlite::memory:` `file:sqlx-in-memory-<n>`: creating that file would leave it in the
/// working directory).
pub fn sqlite_file(filename: &Path) -> Option<&Path> {
    let name = filename.to_str()?;
    let in_memory = name.is_empty()
        || name == ":memory:"
        || name.starts_with("file::memory:")
        || name.starts_with("file:sqlx-in-memory-");
    (!in_memory).then_some(filename)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn an_in_memory_database_has_no_file_whatever_sqlx_calls_it() {
        let options: sqlx::sqlite::SqliteConnectOptions = "sqlite::memory:".parse().unwrap();
        assert_eq!(sqlite_file(options.get_filename()), None);
        assert_eq!(sqlite_file(Path::new(":memory:")), None);
        let file = Path::new("/var/lib/topgg-bot/votes.db");
        assert_eq!(sqlite_file(file), Some(file));
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_is_private_and_an_existing_one_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.db");
        create_private(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        let existing = dir.path().join("old.db");
        std::fs::write(&existing, b"data").unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_private(&existing).unwrap();
        assert_eq!(mode(&existing), 0o640);
        assert_eq!(std::fs::read(&existing).unwrap(), b"data");
    }
}
