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

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Notify;

pub use crate::redaction::fingerprint;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// A JWT as the journal shows it: header and claims, signature dropped.
pub struct DecodedJwt {
    /// The JOSE header.
    pub header: Value,
    /// The claims.
    pub claims: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// How the mock answered a request.
pub struct Outcome {
    /// The HTTP status.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The OAuth `error`, for a refusal.
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The AADSTS code, for a refusal.
    pub aadsts: Option<u32>,
    /// True when the answer came from an injected fault.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub injected: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// One token request as the mock saw it; credentials are fingerprinted
/// (see [`fingerprint`]).
pub struct JournalEntry {
    /// Arrival number, from 1; keeps counting after a clear.
    pub seq: u64,
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// Credentials replaced by [`fingerprint`]s (see `redaction`).
    pub query: BTreeMap<String, String>,
    /// Lower-case names; credentials (`authorization`, `cookie`, ...)
    /// replaced by [`fingerprint`]s.
    pub headers: BTreeMap<String, String>,
    /// Credentials replaced by [`fingerprint`]s.
    pub form: BTreeMap<String, String>,
    /// The `grant_type` field.
    pub grant_type: Option<String>,
    /// The client id the request names (body or Basic).
    pub client_id: Option<String>,
    /// `secret_post`, `secret_basic`, `jwt_bearer`, `jwt_pop` or `none`.
    pub client_auth: Option<String>,
    /// The client assertion's header and claims.
    pub assertion: Option<DecodedJwt>,
    /// `x5t#S256` of the TLS client certificate, when one was presented.
    pub tls_client_cert_x5t_s256: Option<String>,
    /// How the mock answered.
    pub outcome: Outcome,
}

/// How many entries a journal keeps unless told otherwise: a few hundred
/// MB at most, far more than any test reads between two clears.
pub const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug, Default)]
struct Entries {
    kept: VecDeque<JournalEntry>,
    /// The last `seq` handed out: never reset, so a cleared or trimmed
    /// journal still shows the gap.
    last_seq: u64,
}

/// Which entries a reader wants: those after a `seq`, for one client
/// and/or grant, at most `limit` of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    #[serde(default)]
    /// Only entries with a greater `seq`.
    pub after: u64,
    /// At most this many entries.
    pub limit: Option<usize>,
    /// Only this client's requests.
    pub client_id: Option<String>,
    /// Only this grant's requests.
    pub grant_type: Option<String>,
}

impl JournalQuery {
    /// True when the entry passes every filter.
    pub fn matches(&self, e: &JournalEntry) -> bool {
        let same = |want: &Option<String>, got: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| got.as_ref().is_some_and(|g| g.eq_ignore_ascii_case(w)))
        };
        e.seq > self.after
            && same(&self.client_id, &e.client_id)
            && same(&self.grant_type, &e.grant_type)
    }
}

#[derive(Debug)]
struct Inner {
    entries: Mutex<Entries>,
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
                entries: Mutex::new(Entries::default()),
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
            entries.last_seq += 1;
            let seq = entries.last_seq;
            entry.seq = seq;
            entries.kept.push_back(entry);
            let over = entries.kept.len() > self.inner.capacity;
            if over {
                entries.kept.pop_front();
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

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.lock().kept.iter().cloned().collect()
    }

    /// The entries `query` selects, oldest first, at most `max` of them
    /// (and at most `query.limit`).
    pub fn select(&self, query: &JournalQuery, max: usize) -> Vec<JournalEntry> {
        let entries = self.lock();
        // Entries are in `seq` order: skip what is at or before `after`
        // without scanning it.
        let start = entries.kept.partition_point(|e| e.seq <= query.after);
        entries
            .kept
            .range(start..)
            .filter(|e| query.matches(e))
            .take(max.min(query.limit.unwrap_or(usize::MAX)))
            .cloned()
            .collect()
    }

    /// The last `seq` handed out (0 before the first entry).
    pub fn last_seq(&self) -> u64 {
        self.lock().last_seq
    }

    /// Entries dropped because the journal was full, since it was made.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.lock().kept.len()
    }

    /// True when no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry; `seq` keeps counting.
    pub fn clear(&self) {
        self.lock().kept.clear();
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
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
        // A wipe does not hide itself: numbering goes on.
        assert_eq!(j.record(entry()), 3);
    }

    #[test]
    fn entries_are_paged_and_filtered() {
        let j = Journal::default();
        for i in 0..10 {
            let mut e = entry();
            e.client_id = Some(if i % 2 == 0 { "even" } else { "odd" }.into());
            e.grant_type = Some("client_credentials".into());
            j.record(e);
        }
        let seqs = |q: JournalQuery, max: usize| -> Vec<u64> {
            j.select(&q, max).iter().map(|e| e.seq).collect()
        };
        let all = JournalQuery::default();
        assert_eq!(seqs(all.clone(), usize::MAX).len(), 10);
        assert_eq!(seqs(all.clone(), 3), [1, 2, 3]);
        let page = JournalQuery {
            after: 4,
            limit: Some(2),
            ..Default::default()
        };
        assert_eq!(seqs(page, usize::MAX), [5, 6]);
        let odd = JournalQuery {
            client_id: Some("ODD".into()),
            ..Default::default()
        };
        assert_eq!(seqs(odd, usize::MAX), [2, 4, 6, 8, 10]);
        let other_grant = JournalQuery {
            grant_type: Some("user_fic".into()),
            ..Default::default()
        };
        assert!(seqs(other_grant, usize::MAX).is_empty());
        assert_eq!(j.last_seq(), 10);
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
