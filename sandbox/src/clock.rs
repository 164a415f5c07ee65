//! The running time of the request an instance serves, measured against its deadline.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::limits::EPOCH_TICK;

/// Most running time counted between two looks of the deadline: a few ticks, so an instance
/// kept from its core by the operating system is still charged for what it used, while time
/// outside the instance is not.
const MAX_RUN_BETWEEN_LOOKS: Duration = EPOCH_TICK.saturating_mul(4);

/// Why an instance was stopped because it ran out of time.
#[derive(Debug, thiserror::Error)]
#[error("the component ran past its {0:?} request deadline")]
pub struct DeadlineExceeded(pub Duration);

/// How much of its deadline the request an instance is serving has used. It lives in the
/// instance's store, and [`begin_request`](crate::Sandbox::begin_request) restarts it, so an
/// instance reused for many requests gives each one the whole deadline.
#[derive(Debug)]
pub struct RunClock {
    /// Running time counted so far.
    used: Duration,
    /// When the instance last resumed after yielding; shared with the yield's future, which
    /// cannot reach the store.
    resumed: Arc<Mutex<Instant>>,
    /// Time spent waiting on the host since the deadline last looked (a store back end, a
    /// hashing slot): the host's time, not the component's.
    host_wait: Duration,
}

impl Default for RunClock {
    fn default() -> Self {
        RunClock {
            used: Duration::ZERO,
            resumed: Arc::new(Mutex::new(Instant::now())),
            host_wait: Duration::ZERO,
        }
    }
}

impl RunClock {
    /// Where host calls add the time they spent waiting, so it is not charged to the instance.
    pub(crate) fn host_wait(&mut self) -> &mut Duration {
        &mut self.host_wait
    }

    /// Charges the instance for the time it ran since it last resumed, and fails once the total
    /// reaches `deadline`.
    ///
    /// The epoch ticks every [`EPOCH_TICK`] while the instance runs, so a longer gap since the
    /// last look was spent outside it: between two calls of the typed exports (an admin
    /// command or a test makes many on one instance), or in a host call. Counting such a gap
    /// whole would stop a well-behaved instance for time it never ran.
    pub(crate) fn charge(&mut self, deadline: Duration) -> Result<(), DeadlineExceeded> {
        let now = Instant::now();
        let since = self.resumed.lock().map(|r| *r).unwrap_or(now);
        let waited = std::mem::take(&mut self.host_wait);
        let ran = now
            .saturating_duration_since(since)
            .saturating_sub(waited)
            .min(MAX_RUN_BETWEEN_LOOKS);
        self.used += ran;
        if self.used >= deadline {
            return Err(DeadlineExceeded(deadline));
        }
        Ok(())
    }

    /// The instant the instance resumes at, for the future that yields it to set when the
    /// instance runs again.
    pub(crate) fn resumed(&self) -> Arc<Mutex<Instant>> {
        self.resumed.clone()
    }

    /// Starts a new request: nothing used yet, running from now.
    pub(crate) fn restart(&mut self) {
        self.used = Duration::ZERO;
        self.host_wait = Duration::ZERO;
        mark_resumed(&self.resumed);
    }
}

/// Records that the instance runs again from now.
pub(crate) fn mark_resumed(resumed: &Mutex<Instant>) {
    if let Ok(mut at) = resumed.lock() {
        *at = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_gap_is_charged_at_most_a_few_ticks_and_host_waits_not_at_all() {
        let deadline = MAX_RUN_BETWEEN_LOOKS.saturating_mul(2);
        let mut clock = RunClock::default();
        std::thread::sleep(MAX_RUN_BETWEEN_LOOKS.saturating_mul(3));
        // A gap of three looks' worth counts as one look's worth.
        assert!(clock.charge(deadline).is_ok());
        // Time the host reports as its own is not the instance's.
        *clock.host_wait() += Duration::from_secs(60);
        assert!(clock.charge(deadline).is_ok());
        // The second look's worth of running time reaches the deadline.
        assert!(matches!(clock.charge(deadline), Err(DeadlineExceeded(d)) if d == deadline));
    }

    #[test]
    fn a_new_request_starts_with_the_whole_deadline() {
        let deadline = MAX_RUN_BETWEEN_LOOKS;
        let mut clock = RunClock::default();
        std::thread::sleep(deadline);
        assert!(clock.charge(deadline).is_err());
        clock.restart();
        assert!(clock.charge(deadline).is_ok());
    }
}
