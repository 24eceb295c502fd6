//! The files the database lives in, readable by this account alone (mode 0600) whatever the
//! umask: the database, its `-wal` and `-shm` files, and backups. This is the only place
//! file modes are set.
//!
//! SQLite gives the `-wal` and `-shm` files the mode of the database file, so creating the
//! database file 0600 before SQLite opens it is enough for all three; files left wider by an
//! older version are narrowed when the store opens.

use std::fs::{OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Read and write for the owner, nothing for anyone else.
pub const PRIVATE_MODE: u32 = 0o600;

/// The database file and the files SQLite keeps beside it.
fn database_files(database: &Path) -> [PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [
        database.to_owned(),
        with_suffix("-wal"),
        with_suffix("-shm"),
    ]
}

/// Creates the empty file `path` with mode 0600; fails when it exists already.
pub fn create_private(path: &Path) -> io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_MODE)
        .open(path)?;
    // The umask can only take bits away from 0600; set it exactly all the same.
    std::fs::set_permissions(path, Permissions::from_mode(PRIVATE_MODE))
}

/// Narrows `path` to 0600 when it exists and is open to anyone else.
pub fn narrow(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, Permissions::from_mode(PRIVATE_MODE))
        }
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// Before SQLite opens `database`: creates it 0600 when `create` and it is missing, and
/// narrows it and its `-wal` and `-shm` files when they are wider (when not `create`, a file
/// that cannot be narrowed is only warned about).
pub fn prepare_database(database: &Path, create: bool) -> io::Result<()> {
    if create {
        match create_private(database) {
            Err(error) if error.kind() != io::ErrorKind::AlreadyExists => return Err(error),
            _ => {}
        }
    }
    for file in database_files(database) {
        match narrow(&file) {
            Ok(()) => {}
            Err(error) if create => return Err(error),
            // Maintenance commands may look at a file they do not own: say so, carry on.
            Err(error) => {
                tracing::warn!(file = %file.display(), %error, "could not narrow the file's mode to 0600")
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_private_files_and_narrows_wide_ones() {
        let directory = tempfile::tempdir().unwrap();
        let database = directory.path().join("screener.db");
        prepare_database(&database, true).unwrap();
        assert_eq!(mode(&database), PRIVATE_MODE);
        let [_, wal, shm] = database_files(&database);
        for file in [&database, &wal, &shm] {
            std::fs::write(file, b"").unwrap();
            std::fs::set_permissions(file, Permissions::from_mode(0o644)).unwrap();
        }
        prepare_database(&database, true).unwrap();
        for file in [&database, &wal, &shm] {
            assert_eq!(mode(file), PRIVATE_MODE, "{}", file.display());
        }
        let backup = directory.path().join("backup.db");
        create_private(&backup).unwrap();
        assert_eq!(mode(&backup), PRIVATE_MODE);
        assert!(
            create_private(&backup).is_err(),
            "never over an existing file"
        );
    }
}
