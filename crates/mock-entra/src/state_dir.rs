//! The state directory holds the mock's private keys: whoever can read them
//! can forge every token the mock accepts, and whoever can plant files or
//! links in it can make the mock use their keys. So the directory must be
//! the current user's and closed to everyone else (created 0700), key files
//! are written 0600, writes only ever create new files and never follow a
//! link, and reads refuse links.

use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
/// Why the state directory or one of its files is unsafe to use.
pub enum StateDirError {
    #[error(
        "{path} is owned by user id {owner}, not by this user ({me}); use a directory of your own"
    )]
    /// Owned by another user, who could replace the keys.
    OwnedByAnother {
        /// The path concerned.
        path: PathBuf,
        /// The owner's uid.
        owner: u32,
        /// The mock's uid.
        me: u32,
    },
    #[error(
        "{path} is writable by other users (mode {mode:o}); `chmod go-w` it or use another directory"
    )]
    /// Writable by others, who could replace the keys.
    WritableByOthers {
        /// The path concerned.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    #[error(
        "{path} is a private key readable by other users (mode {mode:o}); `chmod 600` it, or start with a fresh state directory"
    )]
    /// A private key readable by others.
    KeyReadableByOthers {
        /// The path concerned.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    #[error("{path} is not a regular file (a link or something else); refusing to use it")]
    /// Not a regular file (a link, a device, ...).
    NotARegularFile {
        /// The path concerned.
        path: PathBuf,
    },
    #[error("{path} is not a directory")]
    /// Not a directory.
    NotADirectory {
        /// The path concerned.
        path: PathBuf,
    },
    #[error("cannot {action} {path}: {source}")]
    /// An I/O error.
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StateDirError + 'a {
    move |source| StateDirError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Creates `dir` (0700) when missing; an existing one must be a directory
/// owned by this user and not writable by group or others.
pub fn prepare(dir: &Path) -> Result<(), StateDirError> {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            create_private_dir(dir)?;
        }
        Err(e) => return Err(io("inspect", dir)(e)),
        Ok(meta) if !meta.is_dir() => {
            return Err(StateDirError::NotADirectory {
                path: dir.to_owned(),
            });
        }
        Ok(_) => {}
    }
    check_owner(dir, &std::fs::metadata(dir).map_err(io("inspect", dir))?)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), StateDirError> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    }
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(io("create", dir))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), StateDirError> {
    std::fs::create_dir_all(dir).map_err(io("create", dir))
}

#[cfg(unix)]
fn check_owner(path: &Path, meta: &std::fs::Metadata) -> Result<(), StateDirError> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(StateDirError::OwnedByAnother {
            path: path.to_owned(),
            owner: meta.uid(),
            me,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(StateDirError::WritableByOthers {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_: &Path, _: &std::fs::Metadata) -> Result<(), StateDirError> {
    Ok(())
}

/// Whether the state file is a secret (private key): written 0600 and
/// refused when others can read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    /// A certificate: written 0644.
    Public,
    /// A private key: written 0600.
    Secret,
}

/// Writes a new file: fails if anything (a file or a link) is already at
/// `path`, so nothing is overwritten and no link is followed.
pub fn write_new(path: &Path, contents: &str, secrecy: Secrecy) -> Result<(), StateDirError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(match secrecy {
                Secrecy::Secret => 0o600,
                Secrecy::Public => 0o644,
            })
            .custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = secrecy;
    let mut file = options.open(path).map_err(io("create", path))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io("write", path))
}

/// Reads an existing state file, which must be a regular file (not a link)
/// owned by this user, not writable by others, and for a secret not
/// readable by them either.
pub fn read(path: &Path, secrecy: Secrecy) -> Result<String, StateDirError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|e| {
        // O_NOFOLLOW on a link fails with ELOOP: say what it is.
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => StateDirError::NotARegularFile {
                path: path.to_owned(),
            },
            _ => io("read", path)(e),
        }
    })?;
    let meta = file.metadata().map_err(io("inspect", path))?;
    if !meta.is_file() {
        return Err(StateDirError::NotARegularFile {
            path: path.to_owned(),
        });
    }
    check_owner(path, &meta)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let mode = meta.mode() & 0o7777;
        if secrecy == Secrecy::Secret && mode & 0o077 != 0 {
            return Err(StateDirError::KeyReadableByOthers {
                path: path.to_owned(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = secrecy;
    std::io::read_to_string(file).map_err(io("read", path))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_directory_is_private_and_keys_are_0600() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("state");
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        write_new(&dir.join("k.key"), "secret", Secrecy::Secret).unwrap();
        write_new(&dir.join("c.pem"), "public", Secrecy::Public).unwrap();
        assert_eq!(mode(&dir.join("k.key")), 0o600);
        assert_eq!(read(&dir.join("k.key"), Secrecy::Secret).unwrap(), "secret");
        assert_eq!(read(&dir.join("c.pem"), Secrecy::Public).unwrap(), "public");
    }

    #[test]
    fn writes_never_overwrite_nor_follow_links() {
        let base = tempfile::tempdir().unwrap();
        let victim = base.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let link = base.path().join("ca.key");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(write_new(&link, "evil", Secrecy::Secret).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(write_new(&victim, "evil", Secrecy::Secret).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(matches!(
            read(&link, Secrecy::Public),
            Err(StateDirError::NotARegularFile { .. })
        ));
    }

    #[test]
    fn open_directories_and_readable_keys_are_refused() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("open");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = prepare(&dir).unwrap_err();
        assert!(
            matches!(err, StateDirError::WritableByOthers { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("open"), "{err}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare(&dir).unwrap();
        let key = dir.join("signing.key");
        std::fs::write(&key, "k").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = read(&key, Secrecy::Secret).unwrap_err();
        assert!(
            matches!(err, StateDirError::KeyReadableByOthers { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("signing.key"), "{err}");
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        let base = tempfile::tempdir().unwrap();
        // Root can hand a directory to another user; anyone else finds one
        // owned by root at `/`.
        let theirs = if unsafe { libc::geteuid() } == 0 {
            let dir = base.path().join("theirs");
            std::fs::create_dir(&dir).unwrap();
            std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
            dir
        } else {
            PathBuf::from("/")
        };
        let err = prepare(&theirs).unwrap_err();
        assert!(matches!(err, StateDirError::OwnedByAnother { .. }), "{err}");
    }
}
