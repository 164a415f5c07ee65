//! A durable queue of outgoing deliveries in the store, worked in the background by every
//! `sesame serve` node on that store: the shape of the mail queue (`crate::mail_queue`), made
//! generic over what is delivered and how, so webhooks (`crate::webhooks`) reuse it.
//!
//! A request never waits on the store or the network: it hands a job to a bounded in-memory
//! channel ([`Queue::submit`]). Two background tasks do the rest:
//!
//! 1. the writer stores each job under the queue's pending prefix (a key prefix core never
//!    uses), where it survives restarts and is seen by every node on a shared store;
//! 2. the deliverer scans that prefix, claims a due job with a compare-and-swap (so two nodes
//!    never both attempt it), hands it to the [`Courier`], and deletes it once delivered; a
//!    failure puts it back with an exponentially later time ([`RetryPolicy`]), and after the
//!    last attempt (or at once when the courier says it can never work) it moves to the dead
//!    prefix, kept for 30 days and logged.
//!
//! A claim is a lease: a node that dies while attempting a job leaves it to be claimed again
//! once the lease runs out, so delivery is at least once. A graceful stop ([`Queue::stop`])
//! lets the attempt under way finish and settle, so a restart leaves nothing claimed.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, mpsc, watch};

use crate::store::{BackendError, Entry, StoreBackend, duration_ms, now_ms};

/// How long a dead letter is kept: long enough for an operator to act on it.
const DEAD_LETTER_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// How often the deliverer looks at the queue without being woken: for jobs queued by other
/// nodes, and for retries.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Jobs waiting to be stored, at most. Past it (the store has been unreachable for a while) a
/// job is handed back to the caller to log rather than held without bound.
const HANDOFF_CAPACITY: usize = 10_000;

/// Entries read per scan of the queue.
const SCAN_PAGE: u32 = 200;

/// Longest error text kept with a queued job.
const MAX_ERROR_CHARS: usize = 300;

/// Dead letters counted, at most, for the gauge (a gauge, not an inventory).
const MOST_DEAD_COUNTED: i64 = 10_000;

/// The longest wait between two attempts.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30 * 60);

/// How a queue retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Wait before the first retry.
    pub(crate) base: Duration,
    /// Attempts before a job becomes a dead letter.
    pub(crate) max_attempts: u32,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1-based): base × 2^(attempts-1), at
    /// most [`MAX_RETRY_WAIT`], plus up to a quarter more at random so nodes and jobs that
    /// failed together do not retry together.
    pub(crate) fn wait_after(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let wait = self
            .base
            .saturating_mul(1u32 << doublings)
            .min(MAX_RETRY_WAIT);
        let mut random = [0u8; 2];
        let spread = match getrandom::fill(&mut random) {
            Ok(()) => u32::from(u16::from_le_bytes(random)),
            Err(_) => 0,
        };
        wait + wait / 4 * spread / u32::from(u16::MAX)
    }
}

/// Where one queue keeps its entries, and how long its claims hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// Prefix of jobs waiting for delivery (ends with `/`).
    pub(crate) pending: &'static str,
    /// Prefix of jobs given up (ends with `/`).
    pub(crate) dead: &'static str,
    /// How long a claim holds: longer than one attempt may take, so a live node never loses
    /// its claim; a dead node's job is claimable again after it.
    pub(crate) lease: Duration,
}

/// One queued job as stored (JSON): the courier's fields, and the queue's bookkeeping beside
/// them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Queued<J> {
    /// What to deliver.
    #[serde(flatten)]
    pub(crate) job: J,
    /// When it was handed over (ms since the epoch).
    pub(crate) queued_at_ms: u64,
    /// Delivery attempts started so far.
    #[serde(default)]
    pub(crate) attempts: u32,
    /// Not to be tried before this time.
    #[serde(default)]
    pub(crate) next_attempt_ms: u64,
    /// The node attempting it now, if any.
    #[serde(default)]
    pub(crate) claimed_by: Option<String>,
    /// Its claim holds until this time.
    #[serde(default)]
    pub(crate) claimed_until_ms: u64,
    /// Why the last attempt failed.
    #[serde(default)]
    pub(crate) last_error: Option<String>,
}

impl<J> Queued<J> {
    /// A job handed over now, due at once, never tried.
    pub(crate) fn new(job: J) -> Self {
        let now = now_ms();
        Queued {
            job,
            queued_at_ms: now,
            attempts: 0,
            next_attempt_ms: now,
            claimed_by: None,
            claimed_until_ms: 0,
            last_error: None,
        }
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Worth retrying: no connection, a timeout, a refusal that may pass.
    Transient(String),
    /// Never going to work: the job becomes a dead letter at once.
    Permanent(String),
}

/// What the courier makes of a due job before it is claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Claim it and attempt it now.
    Take,
    /// Leave it, unclaimed and uncounted, for a later pass or another node (which may know
    /// where it goes when this one does not).
    Leave,
    /// It has no purpose any more (its destination was removed): delete it, logging why.
    Discard(String),
}

/// What a queue delivers, and how: the part that differs between queues.
#[async_trait::async_trait]
pub(crate) trait Courier: Send + Sync + 'static {
    /// A job's own fields, stored beside the queue's bookkeeping.
    type Job: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Called at the start of every pass over the queue, before any job is looked at (to
    /// refresh what the courier knows from the store).
    async fn begin_pass(&self, _backend: &dyn StoreBackend) {}

    /// Whether this node should attempt `job` now (it may look at the store to decide).
    async fn verdict(&self, backend: &dyn StoreBackend, job: &Self::Job) -> Verdict;

    /// One delivery attempt, bounded in time by the courier.
    async fn attempt(&self, backend: &dyn StoreBackend, job: &Self::Job) -> Result<(), Failure>;

    /// Logs a delivered job.
    fn delivered(&self, queued: &Queued<Self::Job>);

    /// Logs a failed attempt that will be retried after `wait`.
    fn will_retry(&self, queued: &Queued<Self::Job>, wait: Duration, why: &str);

    /// Logs a job given up (`why`: the last failure); it is kept as a dead letter when the
    /// store allows, so the log line must name it enough for an operator to act.
    fn gave_up(&self, queued: &Queued<Self::Job>, why: &str);

    /// Reports the queue's depth after a pass (for metrics).
    fn depth(&self, pending: i64, dead: i64);
}

/// What became of one look at a queued job.
enum Looked {
    /// Gone from the queue (delivered, discarded, or a dead letter now).
    Done,
    /// Still queued; worth another look at this time (ms since the epoch).
    Again(u64),
    /// Left for later, claimed by another node, or the store failed: the next regular pass
    /// sees it.
    Later,
}

/// The queue: the hand-over channel, and what its background tasks need.
pub(crate) struct Queue<C: Courier> {
    handoff: mpsc::Sender<Queued<C::Job>>,
    waiting: Mutex<Option<mpsc::Receiver<Queued<C::Job>>>>,
    /// Jobs handed over but not yet stored.
    unstored: AtomicUsize,
    started: AtomicBool,
    wake: Notify,
    courier: C,
    layout: Layout,
    policy: RetryPolicy,
    /// This process's name in claims and keys (random).
    node: String,
    /// Jobs this process queued, for unique keys.
    sequence: AtomicU64,
    /// Set when the deliverer is to stop after the attempt under way.
    stopping: watch::Sender<bool>,
    /// Whether the deliverer is between passes (or stopped), so a stop can wait for it.
    idle: watch::Sender<bool>,
    _job: PhantomData<fn() -> C::Job>,
}

impl<C: Courier> Queue<C> {
    /// A queue delivering through `courier`, keeping its entries as `layout` says and retrying
    /// as `policy` says. Nothing moves until [`Queue::start`].
    pub(crate) fn new(courier: C, layout: Layout, policy: RetryPolicy) -> Self {
        let (handoff, waiting) = mpsc::channel(HANDOFF_CAPACITY);
        Queue {
            handoff,
            waiting: Mutex::new(Some(waiting)),
            unstored: AtomicUsize::new(0),
            started: AtomicBool::new(false),
            wake: Notify::new(),
            courier,
            layout,
            policy,
            node: node_name(),
            sequence: AtomicU64::new(0),
            stopping: watch::Sender::new(false),
            idle: watch::Sender::new(true),
            _job: PhantomData,
        }
    }

    /// The courier this queue delivers through.
    pub(crate) fn courier(&self) -> &C {
        &self.courier
    }

    /// Hands a job over without waiting. Returns it back when it cannot be queued (the queue
    /// is not running, or is full), for the caller to log.
    pub(crate) fn submit(&self, job: C::Job) -> Result<(), Box<Queued<C::Job>>> {
        let queued = Queued::new(job);
        if !self.started.load(Ordering::Acquire) {
            return Err(Box::new(queued));
        }
        self.unstored.fetch_add(1, Ordering::AcqRel);
        self.handoff.try_send(queued).map_err(|e| {
            self.unstored.fetch_sub(1, Ordering::AcqRel);
            match e {
                mpsc::error::TrySendError::Full(queued)
                | mpsc::error::TrySendError::Closed(queued) => Box::new(queued),
            }
        })
    }

    /// Starts the writer and the deliverer over `backend` (once; later calls do nothing). The
    /// deliverer first attempts whatever earlier runs left queued.
    pub(crate) fn start(self: &Arc<Self>, backend: Arc<dyn StoreBackend>) {
        let waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        let Some(waiting) = waiting else {
            return;
        };
        self.started.store(true, Ordering::Release);
        tokio::spawn(self.clone().write_loop(waiting, backend.clone()));
        tokio::spawn(self.clone().deliver_loop(backend));
    }

    /// Waits, at most `limit`, until every handed-over job is stored; says whether they all
    /// were.
    pub(crate) async fn flush(&self, limit: Duration) -> bool {
        let give_up = tokio::time::Instant::now() + limit;
        while self.unstored.load(Ordering::Acquire) > 0 {
            if tokio::time::Instant::now() >= give_up {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// Stops the deliverer once the attempt under way (if any) has ended and been settled, so
    /// no job is left claimed; waits for that at most `limit` and says whether it happened.
    /// Jobs handed over afterwards are still stored (see [`Queue::flush`]).
    pub(crate) async fn stop(&self, limit: Duration) -> bool {
        self.stopping.send_replace(true);
        self.wake.notify_one();
        let mut idle = self.idle.subscribe();
        tokio::time::timeout(limit, idle.wait_for(|idle| *idle))
            .await
            .is_ok()
    }

    /// Stores handed-over jobs, one by one, retrying while the store is unavailable.
    async fn write_loop(
        self: Arc<Self>,
        mut waiting: mpsc::Receiver<Queued<C::Job>>,
        backend: Arc<dyn StoreBackend>,
    ) {
        while let Some(queued) = waiting.recv().await {
            let value = encode(&queued);
            loop {
                let key = self.new_key(queued.queued_at_ms);
                match backend.put(&key, value.clone(), Some(0), None).await {
                    Ok(_) => break,
                    // Only if two nodes drew the same random name: take the next number.
                    Err(BackendError::Conflict) => {}
                    Err(BackendError::TooLarge) => {
                        self.courier.gave_up(&queued, "too large for the store");
                        break;
                    }
                    Err(BackendError::Unavailable(why)) => {
                        tracing::warn!(error = %why, queue = self.layout.pending, "cannot queue a delivery yet: the store is unavailable; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
            self.unstored.fetch_sub(1, Ordering::AcqRel);
            self.wake.notify_one();
        }
    }

    /// Delivers due jobs, then sleeps until the next is due, a job is queued here, or
    /// [`POLL_INTERVAL`] passed; ends at [`Queue::stop`].
    async fn deliver_loop(self: Arc<Self>, backend: Arc<dyn StoreBackend>) {
        let mut stopping = self.stopping.subscribe();
        loop {
            if *stopping.borrow_and_update() {
                break;
            }
            self.idle.send_replace(false);
            let next_due = self.deliver_due(&*backend).await;
            self.idle.send_replace(true);
            let now = now_ms();
            let wait = next_due
                .map(|due| Duration::from_millis(due.saturating_sub(now)))
                .unwrap_or(POLL_INTERVAL)
                .min(POLL_INTERVAL);
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                _ = stopping.changed() => {}
            }
        }
        self.idle.send_replace(true);
    }

    /// One pass over the queue; returns when the earliest job it left is due. Stops early,
    /// between two jobs, when the queue is stopping.
    pub(crate) async fn deliver_due(&self, backend: &dyn StoreBackend) -> Option<u64> {
        self.courier.begin_pass(backend).await;
        let mut after: Option<String> = None;
        let mut earliest: Option<u64> = None;
        let mut pending = 0i64;
        loop {
            let page = match backend
                .scan(self.layout.pending, after.as_deref(), SCAN_PAGE)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, queue = self.layout.pending, "cannot read the delivery queue");
                    return earliest;
                }
            };
            let full = page.len() >= SCAN_PAGE as usize;
            after = page.last().map(|(key, _)| key.clone());
            for (key, entry) in page {
                if *self.stopping.borrow() {
                    return earliest;
                }
                match self.look_at(backend, &key, entry).await {
                    Looked::Again(due) => {
                        pending += 1;
                        earliest = Some(earliest.map_or(due, |e| e.min(due)));
                    }
                    Looked::Later => pending += 1,
                    Looked::Done => {}
                }
            }
            if !full {
                let dead = count(backend, self.layout.dead).await;
                self.courier.depth(pending, dead);
                return earliest;
            }
        }
    }

    /// Claims, attempts and settles one queued job if it is due, free and for this node.
    async fn look_at(&self, backend: &dyn StoreBackend, key: &str, entry: Entry) -> Looked {
        let Ok(mut queued) = serde_json::from_slice::<Queued<C::Job>>(&entry.value) else {
            tracing::error!(
                key,
                "unreadable entry in a delivery queue: kept as a dead letter"
            );
            let _ = self.bury(backend, key, entry.value, entry.version).await;
            return Looked::Done;
        };
        let now = now_ms();
        let free_at = queued.next_attempt_ms.max(queued.claimed_until_ms);
        if free_at > now {
            return Looked::Again(free_at);
        }
        match self.courier.verdict(backend, &queued.job).await {
            Verdict::Take => {}
            Verdict::Leave => return Looked::Later,
            Verdict::Discard(why) => {
                tracing::warn!(key, reason = %why, "queued delivery discarded");
                return match backend.delete(key, Some(entry.version)).await {
                    Ok(_) => Looked::Done,
                    Err(_) => Looked::Later,
                };
            }
        }
        // The claim: only one node's compare-and-swap from this version succeeds.
        queued.attempts = queued.attempts.saturating_add(1);
        queued.claimed_by = Some(self.node.clone());
        queued.claimed_until_ms = now.saturating_add(duration_ms(self.layout.lease));
        let claimed = match backend
            .put(key, encode(&queued), Some(entry.version), None)
            .await
        {
            Ok(version) => version,
            Err(BackendError::Conflict) => return Looked::Later,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim a queued delivery");
                return Looked::Later;
            }
        };
        match self.courier.attempt(backend, &queued.job).await {
            Ok(()) => {
                self.courier.delivered(&queued);
                if let Err(e) = backend.delete(key, Some(claimed)).await {
                    tracing::warn!(key, error = %e, "a delivered job could not be taken off the queue; it may be delivered again");
                }
                Looked::Done
            }
            Err(failure) => {
                self.settle_failure(backend, key, claimed, queued, failure)
                    .await
            }
        }
    }

    /// Puts a job that failed back for a later attempt, or makes it a dead letter.
    async fn settle_failure(
        &self,
        backend: &dyn StoreBackend,
        key: &str,
        claimed: u64,
        mut queued: Queued<C::Job>,
        failure: Failure,
    ) -> Looked {
        let (why, permanent) = match failure {
            Failure::Transient(why) => (why, false),
            Failure::Permanent(why) => (why, true),
        };
        queued.last_error = Some(why.chars().take(MAX_ERROR_CHARS).collect());
        queued.claimed_by = None;
        queued.claimed_until_ms = 0;
        if permanent || queued.attempts >= self.policy.max_attempts {
            if let Err(e) = self.bury(backend, key, encode(&queued), claimed).await {
                tracing::warn!(error = %e, "cannot store a dead letter; the job stays queued");
                return Looked::Later;
            }
            self.courier.gave_up(&queued, &why);
            return Looked::Done;
        }
        let wait = self.policy.wait_after(queued.attempts);
        queued.next_attempt_ms = now_ms().saturating_add(duration_ms(wait));
        self.courier.will_retry(&queued, wait, &why);
        match backend.put(key, encode(&queued), Some(claimed), None).await {
            Ok(_) => Looked::Again(queued.next_attempt_ms),
            Err(e) => {
                // The claim runs out and the job is attempted again then.
                tracing::warn!(error = %e, "cannot reschedule a queued delivery");
                Looked::Later
            }
        }
    }

    /// A fresh queue key: queued time first, so a scan sees older jobs first, then this node's
    /// name and a sequence number, so no two jobs share a key.
    pub(crate) fn new_key(&self, queued_at_ms: u64) -> String {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        format!(
            "{}{queued_at_ms:013}-{}-{n}",
            self.layout.pending, self.node
        )
    }

    /// Moves the pending job at `key` (at `version`) under the dead prefix as `value`, kept for
    /// [`DEAD_LETTER_TTL`]: the dead letter is stored first, and only then is the pending entry
    /// deleted, so a failure in between leaves a job queued rather than lost.
    async fn bury(
        &self,
        backend: &dyn StoreBackend,
        key: &str,
        value: Vec<u8>,
        version: u64,
    ) -> Result<(), BackendError> {
        let dead = key.replacen(self.layout.pending, self.layout.dead, 1);
        backend
            .put(&dead, value, None, Some(duration_ms(DEAD_LETTER_TTL)))
            .await?;
        let _ = backend.delete(key, Some(version)).await;
        Ok(())
    }
}

/// A random name for this process in claims and keys.
fn node_name() -> String {
    let mut id = [0u8; 8];
    match getrandom::fill(&mut id) {
        Ok(()) => hex::encode(id),
        Err(_) => format!("pid-{}", std::process::id()),
    }
}

/// How many entries there are under `prefix`, counted up to a bound.
async fn count(backend: &dyn StoreBackend, prefix: &str) -> i64 {
    let mut after: Option<String> = None;
    let mut count = 0i64;
    loop {
        let Ok(page) = backend.scan(prefix, after.as_deref(), SCAN_PAGE).await else {
            return count;
        };
        count += i64::try_from(page.len()).unwrap_or(0);
        let full = page.len() >= SCAN_PAGE as usize;
        after = page.last().map(|(key, _)| key.clone());
        if !full || count >= MOST_DEAD_COUNTED {
            return count;
        }
    }
}

/// The stored form of a job.
pub(crate) fn encode<J: Serialize>(queued: &Queued<J>) -> Vec<u8> {
    // Jobs are strings and integers: serialising cannot fail.
    serde_json::to_vec(queued).unwrap_or_default()
}
