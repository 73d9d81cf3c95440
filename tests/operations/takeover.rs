//! An instance that stalls past its lease (frozen with SIGSTOP mid-call) finds the job taken
//! over when it wakes: it drops the job without touching it, and logs that once.

use std::time::Duration;

use topgg_testkit::process::BotProcess;
use topgg_testkit::{bounded, eventually};

use crate::operations::fleet::{Tarpit, wait_for_leases_of};
use crate::operations::{Site, voter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_stalled_past_its_lease_leaves_the_job_another_finished_untouched() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(120), async {
        // a's Discord never answers: its call hangs (15 s) while it holds the job's lease.
        let tarpit = Tarpit::start().await;
        let mut settings = site.settings("a");
        (settings.api_url, settings.lease_secs) = (tarpit.url(), 2);
        let a = BotProcess::start(&settings).await;
        site.connect(&a).await;
        assert_eq!(site.vote(&a.base, "stall-1", &voter(1)).await.unwrap(), 204);
        let held = wait_for_leases_of(&site, "a-", Duration::from_secs(15)).await;
        let called = eventually(Duration::from_secs(5), || async {
            (tarpit.connections() > 0).then_some(())
        })
        .await;
        assert!(called.is_some(), "a never called Discord");
        tokio::time::sleep(Duration::from_millis(300)).await;
        signal(&a, "STOP");
        let mut settings = site.settings("b");
        settings.lease_secs = 2;
        let _b = BotProcess::start(&settings).await;
        let announced = site.wait_for_announced(1, Duration::from_secs(30)).await;
        assert_eq!(announced, vec![voter(1)]);
        site.settle().await;
        signal(&a, "CONT");
        // a wakes: its renewal finds the lease gone and its call times out.
        let told = |logs: &str| logs.matches("lost the lease").count();
        let noticed = eventually(Duration::from_secs(30), || async {
            (told(&a.logs()) > 0).then_some(())
        })
        .await;
        assert!(noticed.is_some(), "a never noticed:\n{}", a.logs());
        // The behaviour under test is a silence: no second notice while a goes on renewing
        // (every third of its 2 s lease); a full lease's time shows it.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(told(&a.logs()), 1, "logged once:\n{}", a.logs());
        let jobs = site.db.all_jobs().await.unwrap();
        let job = jobs.iter().find(|j| j.id.get() == held[0]).unwrap();
        assert_eq!(
            job.status,
            topgg_bot::storage::JobStatus::Done,
            "not re-queued"
        );
        assert_eq!((job.attempts, job.last_error.as_deref()), (0, None));
        let states = site.jobs().await;
        let state = states.iter().find(|j| j.id == held[0]).unwrap();
        assert!(state.leased_by.as_deref().unwrap().starts_with("b-"));
    })
    .await;
    site.finish().await;
}

fn signal(bot: &BotProcess, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &bot.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}
