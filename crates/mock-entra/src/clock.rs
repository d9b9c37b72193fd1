//! The mock's notion of now. Tests move it forward to expire tokens and
//! assertions without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
/// The mock's clock: the real time plus an offset tests can move forward.
/// Clones share the offset.
pub struct Clock {
    offset_seconds: Arc<AtomicI64>,
}

impl Clock {
    /// The mock's now.
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            + time::Duration::seconds(self.offset_seconds.load(Ordering::Relaxed))
    }

    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Moves the clock forward by `by` (saturating at a century, so time
    /// arithmetic never overflows).
    pub fn advance(&self, by: Duration) {
        // Beyond a century the clock stops moving: time arithmetic must
        // never overflow, whatever a test asks for.
        const LIMIT: i64 = 100 * 366 * 24 * 3600;
        let secs = i64::try_from(by.as_secs()).unwrap_or(LIMIT).min(LIMIT);
        let _ = self
            .offset_seconds
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| {
                Some(o.saturating_add(secs).min(LIMIT))
            });
    }

    /// Back to the real time.
    pub fn reset(&self) {
        self.offset_seconds.store(0, Ordering::Relaxed);
    }
}
