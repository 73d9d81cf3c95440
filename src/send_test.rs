//! `topgg-bot send-test`: sign a sample event like Top.gg does and send it to a deployment.

use chrono::Utc;

use crate::samples::{sample_project, sample_vote, sample_webhook_test, send_signed};

/// The events `send-test` can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleEvent {
    #[value(name = "vote.create")]
    VoteCreate,
    #[value(name = "webhook.test")]
    WebhookTest,
}

/// The project a sample names unless `--project` says which.
pub const SAMPLE_PROJECT: &str = "000000000000000001";

/// Sends one sample event naming `project_id` and prints what came back. Fails on a non-2xx
/// answer (with a hint when the connection refused the sample's project).
pub async fn run(
    url: &str,
    secret: &str,
    event: SampleEvent,
    project_id: &str,
) -> anyhow::Result<()> {
    let project = sample_project(project_id, "bot", "000000000000000002");
    let body = match event {
        SampleEvent::VoteCreate => {
            let id = format!("send-test-{}", Utc::now().timestamp_millis());
            sample_vote(&id, &project, "000000000000000003", "send-test voter")
        }
        SampleEvent::WebhookTest => sample_webhook_test(&project),
    };
    let body = serde_json::to_vec(&body)?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()?;
    let (status, text) = send_signed(&client, url, secret, &body).await?;
    println!("POST {url} -> {status} {text}");
    if status == 403 && project_id == SAMPLE_PROJECT {
        eprintln!("hint: pass --project <your Top.gg project id> to send a vote for it");
    }
    anyhow::ensure!(
        (200..300).contains(&status),
        "the deployment answered {status}"
    );
    Ok(())
}
