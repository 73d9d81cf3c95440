//! The info line about votes: at a bounded rate under load, yet never silent.

use std::time::{Duration, Instant};

use crate::operations::{Site, voter};
use topgg_testkit::bounded;
use topgg_testkit::process::BotProcess;

const VOTES: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_votes_is_summed_up_in_one_info_line_per_period_not_one_per_vote() {
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(90), async {
        let bot = BotProcess::start(&site.settings("votelog")).await;
        site.connect(&bot).await;
        let started = Instant::now();
        for i in 0..VOTES {
            let status = site.vote(&bot.base, &format!("log-{i}"), &voter(i)).await;
            assert_eq!(status.unwrap(), 204);
        }
        // A duplicate is counted in the same summary.
        assert_eq!(site.vote(&bot.base, "log-0", &voter(0)).await.unwrap(), 204);
        let periods = started.elapsed().as_secs() / 10 + 1;
        assert_eq!(site.vote_ids().await.len(), VOTES, "every vote is stored");

        let logs = bot.logs();
        let lines: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("votes received since the last such line"))
            .collect();
        assert!(
            !lines.is_empty(),
            "the first vote is logged at info: {logs}"
        );
        assert!(
            lines[0].contains("\"stored\":1") && lines[0].contains("log-0"),
            "the first line names the first vote: {}",
            lines[0]
        );
        assert!(
            lines.len() as u64 <= periods,
            "{} info lines for {VOTES} votes in {periods} period(s)",
            lines.len()
        );
        let per_vote = logs
            .lines()
            .filter(|l| l.contains("\"vote stored\""))
            .count();
        assert_eq!(per_vote, 0, "no info line per vote at the default level");
    })
    .await;
    site.finish().await;
}
