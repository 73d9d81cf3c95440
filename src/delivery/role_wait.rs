//! A grant or removal of a paused reward role waits in the queue, without a call, until the
//! role is resumed (`Db::resume_role`); the one refused call that paused it waits too.

use super::outcomes::{Consequence, consequence};
use super::policy::Step;
use super::worker::Worker;
use crate::discord::DiscordError;
use crate::domain::ids::{GuildId, RoleId};
use crate::domain::keys::GuildRole;
use crate::domain::work::Work;
use crate::storage::Job;

/// The role a job gives or takes.
fn role_of(work: &Work) -> Option<&RoleId> {
    match work {
        Work::GrantRole { role_id, .. } | Work::RemoveRole { role_id, .. } => Some(role_id),
        Work::Announce { .. } | Work::TestNotice { .. } | Work::Remind { .. } => None,
    }
}

impl Worker {
    /// Parks `job` when its role is paused; returns whether it did (no call is made then).
    pub(super) async fn held_for_role(&self, job: &Job, work: &Work) -> bool {
        let (Some(role), Some(guild)) = (role_of(work), job.guild_id.as_ref()) else {
            return false;
        };
        match self.db.is_role_paused(GuildRole::new(guild, role)).await {
            Ok(false) => false,
            Ok(true) => {
                tracing::debug!(job = %job.id, %guild, %role, "reward role paused; the job waits");
                self.park(job, (guild, role), job.attempts, None).await;
                true
            }
            Err(e) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "cannot read whether a role is paused"
                );
                false
            }
        }
    }

    /// After Discord refused the role (and it was paused), parks `job` to wait for it like
    /// the grants behind it; returns whether it did. A role that is no reward role here could
    /// never be resumed: its job follows the delivery policy instead.
    pub(super) async fn waits_after_refusal(
        &self,
        job: &Job,
        work: &Work,
        outcome: &Result<(), DiscordError>,
    ) -> bool {
        let Err(error) = outcome else {
            return false;
        };
        let Consequence::PauseRole { role_id, .. } = consequence(work, error) else {
            return false;
        };
        let Some(guild) = job.guild_id.as_ref() else {
            return false;
        };
        if !matches!(
            self.db
                .is_role_paused(GuildRole::new(guild, &role_id))
                .await,
            Ok(true)
        ) {
            return false;
        }
        let step = Step::RetryAt {
            at: self.clock.now(),
            counts: true,
            error: error.to_string(),
        };
        self.count(job.kind(), outcome, &step);
        let error = error.to_string();
        self.park(job, (guild, &role_id), job.attempts + 1, Some(&error))
            .await;
        true
    }

    async fn park(&self, job: &Job, role: (&GuildId, &RoleId), attempts: i64, error: Option<&str>) {
        let now = self.clock.now();
        let parked = self
            .db
            .wait_for_role(
                &self.instance,
                job.id,
                GuildRole::new(role.0, role.1),
                attempts,
                error,
                now,
            )
            .await;
        match parked {
            Ok(true) => self.held.settled(job.id),
            Ok(false) => self.settle_refused(job.id),
            Err(e) => {
                tracing::error!(job = %job.id, error = format!("{e:#}"), "cannot park a job; its lease will lapse");
            }
        }
    }
}
