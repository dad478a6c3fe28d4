//! Upstream API keys kept out of the config file: the OS keychain where one is running, else a JSON
//! file readable by the user alone.
//!
//! A provider says `api_key = { keychain = "label" }`; the dashboard stores the key with
//! [`SecretStore::set`] (the admin API calls it) and the config then reads it back with
//! [`SecretStore::get`]. Entries live under the service name `switchboard`, one per label (the provider
//! id, by convention).
//!
//! Backends, in order:
//! - the OS keychain through the `keyring` crate: macOS Keychain, Windows Credential Manager, and on
//!   Linux/BSD the Secret Service (GNOME Keyring, KWallet) over D-Bus. The D-Bus client is zbus, pure
//!   Rust, so building needs no libdbus; a headless machine simply has no Secret Service running;
//! - `secrets.json` in the data directory the caller gives (the library never picks a platform path
//!   itself), written atomically (temp file + rename) with mode 0600.
//!
//! Reads look in the keychain first, then in the file (a key stored while no keychain was running is
//! still found once one is). Writes go to the keychain when it works and to the file otherwise.
//! Keychain calls block (D-Bus, Security framework): async code calls these methods from
//! `tokio::task::spawn_blocking`.
//!
//! Values never appear in errors or logs: errors name the label and the backend only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::files::write_atomic;

/// The keychain service name every entry is stored under.
pub const KEYCHAIN_SERVICE: &str = "switchboard";
/// The fallback file's name inside the data directory.
pub const SECRETS_FILE: &str = "secrets.json";

/// Where a secret was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretBackend {
    Keychain,
    File,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no OS keychain is available and no data directory is set to keep '{label}' in; set server.data_dir or use api_key = {{ env = \"NAME\" }}")]
    NowhereToStore { label: String },
    #[error("cannot read the secrets file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("cannot write the secrets file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the keychain label must be non-empty and at most 200 characters")]
    BadLabel,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SecretsFile {
    version: u32,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
}

/// The key store. Cheap to create: nothing is touched until it is used.
#[derive(Debug)]
pub struct SecretStore {
    file: Option<PathBuf>,
    os_keychain: bool,
    /// Serialises read-modify-write of the file within this process.
    lock: Mutex<()>,
}

impl SecretStore {
    /// The OS keychain, with `data_dir/secrets.json` as the fallback (no fallback without a directory).
    pub fn new(data_dir: Option<&Path>) -> Self {
        SecretStore {
            file: data_dir.map(|d| d.join(SECRETS_FILE)),
            os_keychain: true,
            lock: Mutex::new(()),
        }
    }

    /// The file alone: tests, and callers that must not touch the user's keychain.
    pub fn without_keychain(data_dir: Option<&Path>) -> Self {
        SecretStore {
            os_keychain: false,
            ..SecretStore::new(data_dir)
        }
    }

    /// The fallback file's path, if there is one.
    pub fn file_path(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The secret stored under `label`, from the keychain or the file.
    pub fn get(&self, label: &str) -> Result<Option<Secret>, SecretError> {
        check_label(label)?;
        if self.os_keychain {
            match keychain::get(label) {
                Ok(Some(v)) => return Ok(Some(v)),
                Ok(None) => {}
                Err(reason) => {
                    tracing::debug!(
                        label,
                        "OS keychain not usable, trying the secrets file: {reason}"
                    )
                }
            }
        }
        let Some(path) = &self.file else {
            return Ok(None);
        };
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(read_file(path)?.secrets.remove(label).map(Secret::new))
    }

    /// Stores `value` under `label`: in the keychain when it works, else in the file.
    pub fn set(&self, label: &str, value: &Secret) -> Result<SecretBackend, SecretError> {
        check_label(label)?;
        if self.os_keychain {
            match keychain::set(label, value) {
                Ok(()) => {
                    // One copy only: a stale one in the file would win nowhere but confuse.
                    self.remove_from_file(label)?;
                    return Ok(SecretBackend::Keychain);
                }
                Err(reason) => tracing::info!(
                    label,
                    "no OS keychain available ({reason}); keeping the key in the secrets file instead"
                ),
            }
        }
        let Some(path) = &self.file else {
            return Err(SecretError::NowhereToStore {
                label: label.to_owned(),
            });
        };
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = read_file(path)?;
        file.version = 1;
        file.secrets
            .insert(label.to_owned(), value.expose().to_owned());
        write_file(path, &file)?;
        Ok(SecretBackend::File)
    }

    /// Removes `label` from both backends; `true` when something was removed.
    pub fn delete(&self, label: &str) -> Result<bool, SecretError> {
        check_label(label)?;
        let from_keychain = self.os_keychain && keychain::delete(label);
        let from_file = self.remove_from_file(label)?;
        Ok(from_keychain || from_file)
    }

    fn remove_from_file(&self, label: &str) -> Result<bool, SecretError> {
        let Some(path) = &self.file else {
            return Ok(false);
        };
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = read_file(path)?;
        if file.secrets.remove(label).is_none() {
            return Ok(false);
        }
        file.version = 1;
        write_file(path, &file)?;
        Ok(true)
    }
}

fn check_label(label: &str) -> Result<(), SecretError> {
    if label.trim().is_empty() || label.chars().count() > 200 {
        return Err(SecretError::BadLabel);
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<SecretsFile, SecretError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SecretsFile::default()),
        Err(e) => {
            return Err(SecretError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    warn_if_readable_by_others(path);
    // The parse error names a line and column, never the text around it.
    serde_json::from_slice(&bytes).map_err(|e| SecretError::Read {
        path: path.display().to_string(),
        reason: format!("not valid JSON at line {}, column {}", e.line(), e.column()),
    })
}

fn write_file(path: &Path, file: &SecretsFile) -> Result<(), SecretError> {
    let bytes = serde_json::to_vec_pretty(file).map_err(|e| SecretError::Write {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })?;
    write_atomic(path, &bytes, true).map_err(|source| SecretError::Write {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "the secrets file is readable by other users; run chmod 600 on it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// The OS keychain. Errors are described without the stored value (keyring's `BadEncoding` carries it).
mod keychain {
    use crate::config::Secret;

    fn entry(label: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(super::KEYCHAIN_SERVICE, label).map_err(|e| describe(&e))
    }

    fn describe(e: &keyring::Error) -> String {
        match e {
            keyring::Error::BadEncoding(_) => "the stored value is not UTF-8 text".into(),
            keyring::Error::Ambiguous(_) => "more than one keychain entry matches".into(),
            other => other.to_string(),
        }
    }

    pub fn get(label: &str) -> Result<Option<Secret>, String> {
        match entry(label)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }

    pub fn set(label: &str, value: &Secret) -> Result<(), String> {
        entry(label)?
            .set_password(value.expose())
            .map_err(|e| describe(&e))
    }

    /// Whether an entry was removed; a missing keychain counts as nothing removed.
    pub fn delete(label: &str) -> bool {
        entry(label).is_ok_and(|e| e.delete_credential().is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::random_hex;

    fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("sb-secrets-{}", random_hex(6)))
    }

    #[test]
    fn the_file_backend_stores_reads_and_deletes() {
        let dir = temp_dir();
        let store = SecretStore::without_keychain(Some(&dir));
        assert!(store
            .get("openrouter")
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none());
        let backend = store
            .set("openrouter", &Secret::new("sk-or-secret-1"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(backend, SecretBackend::File);
        store
            .set("vllm", &Secret::new("sk-vllm-2"))
            .unwrap_or_else(|e| panic!("{e}"));
        let got = store.get("openrouter").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.as_ref().map(Secret::expose), Some("sk-or-secret-1"));
        // A second store over the same directory sees the same keys (it is a file, not memory).
        let again = SecretStore::without_keychain(Some(&dir));
        let got = again.get("vllm").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.as_ref().map(Secret::expose), Some("sk-vllm-2"));
        assert!(store.delete("openrouter").unwrap_or_else(|e| panic!("{e}")));
        assert!(!store.delete("openrouter").unwrap_or_else(|e| panic!("{e}")));
        assert!(again
            .get("openrouter")
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn the_secrets_file_is_private_and_written_atomically() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir();
        let store = SecretStore::without_keychain(Some(&dir));
        for i in 0..3 {
            store
                .set(&format!("p{i}"), &Secret::new(format!("sk-{i}")))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let path = dir.join(SECRETS_FILE);
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600, "the file is readable by its owner alone");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            names,
            vec![SECRETS_FILE.to_owned()],
            "no temp files are left behind"
        );
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(v["version"], 1);
        assert_eq!(v["secrets"]["p2"], "sk-2");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_broken_file_is_an_error_that_does_not_quote_it() {
        let dir = temp_dir();
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(
            dir.join(SECRETS_FILE),
            "{\"secrets\": {\"a\": \"sk-leak-me\"",
        );
        let err = SecretStore::without_keychain(Some(&dir))
            .get("a")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not valid JSON"), "{err}");
        assert!(!err.contains("sk-leak-me"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Runs only where no D-Bus session bus can exist (CI, containers), so a developer's real keychain
    /// is never written to; there the keychain path must fail fast and fall back to the file.
    #[cfg(target_os = "linux")]
    #[test]
    fn without_a_secret_service_keys_fall_back_to_the_file_quickly() {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .unwrap_or(0);
        let runtime =
            std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| format!("/run/user/{uid}"));
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
            || Path::new(&runtime).join("bus").exists()
        {
            return;
        }
        let dir = temp_dir();
        let started = std::time::Instant::now();
        let store = SecretStore::new(Some(&dir));
        let backend = store
            .set("probe", &Secret::new("sk-probe-value"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(backend, SecretBackend::File);
        let got = store.get("probe").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.as_ref().map(Secret::expose), Some("sk-probe-value"));
        assert!(store.delete("probe").unwrap_or_else(|e| panic!("{e}")));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn without_keychain_or_directory_set_says_what_to_do() {
        let store = SecretStore::without_keychain(None);
        let err = store
            .set("x", &Secret::new("v"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("server.data_dir"), "{err}");
        assert!(store.set("", &Secret::new("v")).is_err());
    }
}
