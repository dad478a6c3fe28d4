//! Gateway keys: the gateway's own API keys (OpenAI-mocker's model) and the admin token.
//!
//! With no keys, `/v1` is open (on loopback only: a non-loopback bind is refused without keys). Once a
//! key exists, every `/v1` request needs one. Keys are shown in full once, when created; the store keeps
//! only their SHA-256, a display prefix and the last four characters, in `keys.json` (0600) in the data
//! directory. The admin token (`admin-token`, 0600) guards the admin API once keys exist; keys created
//! with `admin: true` work there too.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Secret;
use crate::files::{random_hex, write_atomic};

/// What the store remembers of one key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyRecord {
    pub id: String,
    pub name: String,
    /// SHA-256 of the key, hex.
    hash: String,
    /// The key with its middle hidden: `sk-sb-1a2b…9f3c`.
    pub masked: String,
    pub created: i64,
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot save gateway keys to {path}: {source}")]
    Save {
        path: String,
        source: std::io::Error,
    },
    #[error("a key needs a non-empty name, so request logs can tell clients apart")]
    EmptyName,
}

pub struct KeyStore {
    path: Option<PathBuf>,
    keys: RwLock<Vec<KeyRecord>>,
    admin_token: Secret,
}

fn digest(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl KeyStore {
    /// Opens the store in `data_dir` (creating the admin token if there is none), or an in-memory store.
    pub fn open(data_dir: Option<&Path>) -> Result<KeyStore, KeyError> {
        let Some(dir) = data_dir else {
            return Ok(KeyStore {
                path: None,
                keys: RwLock::new(Vec::new()),
                admin_token: Secret::new(format!("sb-admin-{}", random_hex(24))),
            });
        };
        let path = dir.join("keys.json");
        let keys: Vec<KeyRecord> = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::error!(
                    "{} is not valid ({e}); starting with no gateway keys",
                    path.display()
                );
                Vec::new()
            }),
            Err(_) => Vec::new(),
        };
        let token_path = dir.join("admin-token");
        let token = match std::fs::read_to_string(&token_path) {
            Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
            _ => {
                let t = format!("sb-admin-{}", random_hex(24));
                write_atomic(&token_path, t.as_bytes(), true).map_err(|source| KeyError::Save {
                    path: token_path.display().to_string(),
                    source,
                })?;
                t
            }
        };
        Ok(KeyStore {
            path: Some(path),
            keys: RwLock::new(keys),
            admin_token: Secret::new(token),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.read().map(|k| k.is_empty()).unwrap_or(true)
    }

    pub fn list(&self) -> Vec<KeyRecord> {
        self.keys.read().map(|k| k.clone()).unwrap_or_default()
    }

    /// The record of a presented key, if it is one of ours.
    pub fn check(&self, presented: &str) -> Option<KeyRecord> {
        let hash = digest(presented.trim());
        self.keys
            .read()
            .ok()?
            .iter()
            .find(|k| k.hash == hash)
            .cloned()
    }

    /// Whether a presented credential opens the admin API: the admin token or an admin key.
    pub fn check_admin(&self, presented: &str) -> bool {
        let presented = presented.trim();
        digest(presented) == digest(self.admin_token.expose())
            || self.check(presented).is_some_and(|k| k.admin)
    }

    pub fn admin_token(&self) -> &Secret {
        &self.admin_token
    }

    /// Writes the new list first and only then makes it current, so a failed save changes nothing.
    fn replace(&self, next: Vec<KeyRecord>) -> Result<(), KeyError> {
        if let Some(path) = &self.path {
            let bytes = serde_json::to_vec_pretty(&next).unwrap_or_default();
            write_atomic(path, &bytes, true).map_err(|source| KeyError::Save {
                path: path.display().to_string(),
                source,
            })?;
        }
        if let Ok(mut keys) = self.keys.write() {
            *keys = next;
        }
        Ok(())
    }

    /// Creates a key; the full key is returned once and never stored.
    pub fn create(&self, name: &str, admin: bool) -> Result<(KeyRecord, String), KeyError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(KeyError::EmptyName);
        }
        let key = format!("sk-sb-{}", random_hex(24));
        let record = KeyRecord {
            id: format!("key_{}", random_hex(6)),
            name: name.to_owned(),
            hash: digest(&key),
            masked: format!("{}…{}", &key[..10], &key[key.len() - 4..]),
            created: crate::providers::unix_now(),
            admin,
        };
        let mut next = self.list();
        next.push(record.clone());
        self.replace(next)?;
        Ok((record, key))
    }

    /// Revokes a key given in full or by id; false when none matched.
    pub fn revoke(&self, key_or_id: &str) -> Result<bool, KeyError> {
        let hash = digest(key_or_id.trim());
        let before = self.list();
        let next: Vec<KeyRecord> = before
            .iter()
            .filter(|k| k.hash != hash && k.id != key_or_id)
            .cloned()
            .collect();
        if next.len() == before.len() {
            return Ok(false);
        }
        self.replace(next)?;
        Ok(true)
    }

    pub fn revoke_all(&self) -> Result<usize, KeyError> {
        let n = self.list().len();
        self.replace(Vec::new())?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_persist_hashed_and_revoke_by_value_or_id() {
        let dir = std::env::temp_dir().join(format!("sb-keys-{}", random_hex(4)));
        let store = KeyStore::open(Some(&dir)).unwrap_or_else(|e| panic!("{e}"));
        assert!(store.is_empty());
        let (rec, key) = store
            .create("cursor", false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(key.starts_with("sk-sb-") && rec.masked.starts_with("sk-sb-"));
        let on_disk = std::fs::read_to_string(dir.join("keys.json")).unwrap_or_default();
        assert!(!on_disk.contains(&key), "the full key must never be stored");
        let reopened = KeyStore::open(Some(&dir)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reopened.check(&key).map(|r| r.name), Some("cursor".into()));
        assert_eq!(
            reopened.admin_token(),
            store.admin_token(),
            "the admin token survives restarts"
        );
        let (second, _) = reopened
            .create("vscode", true)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(reopened.revoke(&key).unwrap_or(false));
        assert!(reopened.revoke(&second.id).unwrap_or(false));
        assert!(reopened.is_empty());
        assert!(store.create("  ", false).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
