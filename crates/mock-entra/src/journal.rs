//! Every token request that reached the mock, in arrival order, with
//! secrets replaced by fingerprints so the journal can be printed and
//! snapshotted safely.
//!
//! A long-running `serve` under load would otherwise grow without bound
//! (thousands of entries a second), so the journal holds at most
//! `capacity` entries: past it the oldest are dropped, counted, and logged
//! once; `seq` keeps counting, so a reader sees the gap.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

/// Form fields whose values are credentials.
pub const SECRET_FIELDS: [&str; 6] = [
    "client_secret",
    "client_assertion",
    "user_federated_identity_credential",
    "refresh_token",
    "assertion",
    "password",
];

/// `redacted:<first 12 chars of base64url SHA-256>`: equal secrets stay
/// comparable, none can be read back.
pub fn fingerprint(secret: &str) -> String {
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()));
    format!("redacted:{}", &digest[..12])
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodedJwt {
    pub header: Value,
    pub claims: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aadsts: Option<u32>,
    /// True when the answer came from an injected fault.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub injected: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    /// Lower-case names; `authorization` redacted.
    pub headers: BTreeMap<String, String>,
    /// Secret fields replaced by [`fingerprint`]s.
    pub form: BTreeMap<String, String>,
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    /// `secret_post`, `secret_basic`, `jwt_bearer`, `jwt_pop` or `none`.
    pub client_auth: Option<String>,
    pub assertion: Option<DecodedJwt>,
    pub tls_client_cert_x5t_s256: Option<String>,
    pub outcome: Outcome,
}

/// How many entries a journal keeps unless told otherwise: a few hundred
/// MB at most, far more than any test reads between two clears.
pub const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug)]
struct Inner {
    entries: Mutex<VecDeque<JournalEntry>>,
    capacity: usize,
    dropped: AtomicU64,
    appended: Notify,
}

/// Cheap to clone; all clones see the same entries.
#[derive(Debug, Clone)]
pub struct Journal {
    inner: Arc<Inner>,
}

impl Default for Journal {
    fn default() -> Journal {
        Journal::with_capacity(DEFAULT_CAPACITY)
    }
}

impl Journal {
    /// A journal keeping the newest `capacity` entries (at least one).
    pub fn with_capacity(capacity: usize) -> Journal {
        Journal {
            inner: Arc::new(Inner {
                entries: Mutex::new(VecDeque::new()),
                capacity: capacity.max(1),
                dropped: AtomicU64::new(0),
                appended: Notify::new(),
            }),
        }
    }

    /// Appends `entry`, numbering it; returns its sequence number.
    pub fn record(&self, mut entry: JournalEntry) -> u64 {
        let (seq, first_drop) = {
            let mut entries = self.lock();
            let seq = entries.back().map_or(1, |e| e.seq + 1);
            entry.seq = seq;
            entries.push_back(entry);
            let over = entries.len() > self.inner.capacity;
            if over {
                entries.pop_front();
            }
            let first = over && self.inner.dropped.fetch_add(1, Ordering::Relaxed) == 0;
            (seq, first)
        };
        if first_drop {
            tracing::warn!(
                capacity = self.inner.capacity,
                "journal full: dropping the oldest entries from now on (--journal-capacity raises the limit; DELETE /_harness/journal clears it)"
            );
        }
        self.inner.appended.notify_waiters();
        seq
    }

    pub fn entries(&self) -> Vec<JournalEntry> {
        self.lock().iter().cloned().collect()
    }

    /// Entries dropped because the journal was full, since it was made.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Waits until at least `n` entries exist; false on timeout.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.inner.appended.notified();
                if self.len() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<JournalEntry>> {
        // A panic elsewhere must not take the journal down with it.
        self.inner.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> JournalEntry {
        JournalEntry {
            seq: 0,
            method: "POST".into(),
            path: "/t/oauth2/v2.0/token".into(),
            query: BTreeMap::new(),
            headers: BTreeMap::new(),
            form: BTreeMap::new(),
            grant_type: None,
            client_id: None,
            client_auth: None,
            assertion: None,
            tls_client_cert_x5t_s256: None,
            outcome: Outcome {
                status: 200,
                error: None,
                aadsts: None,
                injected: false,
            },
        }
    }

    #[tokio::test]
    async fn entries_are_numbered_in_order_and_waitable() {
        let j = Journal::default();
        assert_eq!(j.record(entry()), 1);
        assert_eq!(j.record(entry()), 2);
        assert!(j.wait_for(2, Duration::from_millis(10)).await);
        assert!(!j.wait_for(3, Duration::from_millis(10)).await);
        j.clear();
        assert!(j.is_empty());
        assert_eq!(
            fingerprint("blueprint-secret").len(),
            "redacted:".len() + 12
        );
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }

    #[test]
    fn a_full_journal_drops_the_oldest_and_counts_them() {
        let j = Journal::with_capacity(3);
        for _ in 0..5 {
            j.record(entry());
        }
        let seqs: Vec<u64> = j.entries().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(j.dropped(), 2);
        assert_eq!(j.len(), 3);
    }
}
