//! The data directory and keyward's files in it are private to the account keyward runs
//! as: they hold every tenant's users, password hashes, records and audit log, and the
//! server key. What keyward creates is made 0700 (directories) or 0600 (files) from the
//! start, whatever the umask. An existing directory is the operator's: keyward warns
//! when other users can enter it but does not change it. An existing file of keyward's
//! own (the database and its `-wal`/`-shm`, the key) that others can read is narrowed to
//! 0600, with a warning. Unix only; elsewhere these do nothing.

use std::io;
use std::path::Path;

/// Creates `dir` and missing parents as 0700, or warns if an existing `dir` is open to
/// other users.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    imp::private_dir(dir)
}

/// Creates `path` empty as 0600 if it does not exist, or narrows an existing one to 0600.
pub fn private_file(path: &Path) -> io::Result<()> {
    imp::private_file(path, true)
}

/// Narrows `path` to 0600 if it exists and others can read it.
pub fn narrow_if_present(path: &Path) -> io::Result<()> {
    imp::private_file(path, false)
}

#[cfg(unix)]
mod imp {
    use std::fs::{self, DirBuilder, OpenOptions, Permissions};
    use std::io;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    const DIR_MODE: u32 = 0o700;
    const FILE_MODE: u32 = 0o600;

    pub fn private_dir(dir: &Path) -> io::Result<()> {
        match fs::metadata(dir) {
            Ok(m) => {
                let mode = m.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        path = %dir.display(),
                        mode = format!("{mode:o}"),
                        "the data directory is open to other local users; keyward keeps its own files in it \
                         private (0600), but consider `chmod 700` on the directory"
                    );
                }
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // The mode is masked by the umask, which can only narrow it; the chmod
                // after makes it exactly 0700 however the umask is set.
                DirBuilder::new()
                    .recursive(true)
                    .mode(DIR_MODE)
                    .create(dir)?;
                fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
            }
            Err(e) => Err(e),
        }
    }

    pub fn private_file(path: &Path, create: bool) -> io::Result<()> {
        if create {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(FILE_MODE)
                .open(path)
            {
                Ok(f) => return f.set_permissions(Permissions::from_mode(FILE_MODE)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        let mode = match fs::metadata(path) {
            Ok(m) => m.permissions().mode() & 0o777,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if mode & 0o077 != 0 {
            fs::set_permissions(path, Permissions::from_mode(FILE_MODE))?;
            tracing::warn!(
                path = %path.display(),
                was = format!("{mode:o}"),
                "keyward's file was readable by other local users; it is now 0600"
            );
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    use std::io;
    use std::path::Path;

    pub fn private_dir(dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    pub fn private_file(path: &Path, create: bool) -> io::Result<()> {
        if create {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    /// Sets the process's umask for the life of the guard.
    struct Umask(libc::mode_t);

    impl Umask {
        fn set(mask: libc::mode_t) -> Self {
            // SAFETY: umask only swaps the process's file mode creation mask.
            Self(unsafe { libc::umask(mask) })
        }
    }

    impl Drop for Umask {
        fn drop(&mut self) {
            // SAFETY: as above, restoring the previous mask.
            unsafe { libc::umask(self.0) };
        }
    }

    /// The umask is the whole process's: these tests take turns.
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn what_keyward_creates_is_private_whatever_the_umask() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/data");
        let db = dir.join("keyward.db");
        {
            // Nothing masked away, and owner bits masked away: exact modes either way.
            let _open = Umask::set(0o000);
            private_dir(&dir).unwrap();
            private_file(&db).unwrap();
        }
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        let dir2 = root.path().join("b");
        let f2 = root.path().join("b/f");
        {
            let _closed = Umask::set(0o777);
            private_dir(&dir2).unwrap();
            private_file(&f2).unwrap();
        }
        assert_eq!(mode(&dir2), 0o700);
        assert_eq!(mode(&f2), 0o600);
    }

    #[test]
    fn an_open_file_is_narrowed_and_an_open_directory_is_left_alone() {
        let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shared");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let wal = dir.join("keyward.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_dir(&dir).unwrap();
        narrow_if_present(&wal).unwrap();
        narrow_if_present(&dir.join("keyward.db-shm")).unwrap();
        assert_eq!(mode(&dir), 0o755);
        assert_eq!(mode(&wal), 0o600);
        assert!(!dir.join("keyward.db-shm").exists());
    }
}
