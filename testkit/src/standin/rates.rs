//! How many REST calls arrived per second, across every client of the stand-in (all the bot's
//! instances): Discord's global limit of 50 requests a second is per bot token, whatever the
//! number of processes. Interaction responses do not count against it, as at Discord.

use std::time::{Duration, Instant};

use super::DiscordStandIn;

const SECOND: Duration = Duration::from_secs(1);

impl DiscordStandIn {
    /// When each call that counts against the global limit arrived, in order.
    fn counted_arrivals(&self) -> Vec<Instant> {
        let inner = self.state.lock();
        let counted = inner
            .requests
            .iter()
            .filter(|r| !r.path.starts_with("/interactions/") && !r.path.starts_with("/webhooks/"));
        let mut times: Vec<Instant> = counted.map(|r| r.at).collect();
        times.sort_unstable();
        times
    }

    /// The most calls that arrived within any one second (a rolling window, so a burst that
    /// straddles two clock seconds is not split).
    pub fn max_calls_in_any_second(&self) -> usize {
        let times = self.counted_arrivals();
        let mut most = 0;
        let mut start = 0;
        for (end, t) in times.iter().enumerate() {
            while t.duration_since(times[start]) >= SECOND {
                start += 1;
            }
            most = most.max(end + 1 - start);
        }
        most
    }

    /// Calls per whole second since the first call: a histogram to print when a test fails.
    pub fn calls_per_second(&self) -> Vec<usize> {
        let times = self.counted_arrivals();
        let Some(first) = times.first().copied() else {
            return Vec::new();
        };
        let mut seconds = Vec::new();
        for t in times {
            let second = t.duration_since(first).as_secs() as usize;
            if seconds.len() <= second {
                seconds.resize(second + 1, 0);
            }
            seconds[second] += 1;
        }
        seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_counted_per_rolling_second_across_clients() {
        let standin = DiscordStandIn::start().await;
        let (one, two) = (reqwest::Client::new(), reqwest::Client::new());
        let url = format!("{}/api/v10/users/@me", standin.url());
        for client in [&one, &two, &one] {
            client.get(&url).send().await.unwrap();
        }
        assert_eq!(standin.max_calls_in_any_second(), 3);
        assert_eq!(standin.calls_per_second(), vec![3]);
    }
}
