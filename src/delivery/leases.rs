//! The leases of the batch a worker is working: renewed while it runs; a job whose lease was
//! lost (another instance took it after this one stalled past its lease) is dropped without a
//! call or a settle, since the instance that holds it now will do it.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};

use super::worker::Worker;
use crate::storage::JobId;

/// The jobs of the current batch: those still open (claimed, not settled) and those lost.
#[derive(Default)]
pub(super) struct HeldJobs {
    inner: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    open: HashSet<JobId>,
    lost: HashSet<JobId>,
}

impl HeldJobs {
    /// A new batch: every job in `ids` is open.
    pub(super) fn start(&self, ids: &[JobId]) {
        let mut held = self.lock();
        held.open = ids.iter().copied().collect();
        held.lost.clear();
    }

    /// The open jobs, whose leases are to be renewed.
    pub(super) fn open(&self) -> Vec<JobId> {
        let mut open: Vec<JobId> = self.lock().open.iter().copied().collect();
        open.sort_unstable();
        open
    }

    /// The job was settled (or parked): its lease is no longer this instance's concern.
    pub(super) fn settled(&self, id: JobId) {
        self.lock().open.remove(&id);
    }

    /// Another instance holds these jobs now.
    pub(super) fn lose(&self, ids: &[JobId]) {
        let mut held = self.lock();
        for id in ids {
            held.open.remove(id);
            held.lost.insert(*id);
        }
    }

    pub(super) fn is_lost(&self, id: JobId) -> bool {
        self.lock().lost.contains(&id)
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Worker {
    /// Renews the open leases every third of a lease, on real time: leases run on the
    /// database's clock, not the app's. Never ends; raced against the batch's work.
    pub(super) async fn keep_leases(&self) {
        loop {
            tokio::time::sleep(self.lease / 3).await;
            let open = self.held.open();
            match self
                .db
                .renew_leases(&self.instance, &open, self.lease)
                .await
            {
                Ok(lost) if lost.is_empty() => {}
                Ok(lost) => {
                    tracing::warn!(
                        jobs = ?lost,
                        "lost the lease of jobs another instance took over; dropping them unsettled"
                    );
                    self.held.lose(&lost);
                }
                Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot renew leases"),
            }
        }
    }

    /// A settle that changed nothing: the lease was lost meanwhile, so the job is left to the
    /// instance that holds it (logged once per job).
    pub(super) fn settle_refused(&self, id: JobId) {
        if !self.held.is_lost(id) {
            tracing::warn!(job = %id, "lost the lease before the job was settled; left to the instance that holds it");
            self.held.lose(&[id]);
        }
    }
}
