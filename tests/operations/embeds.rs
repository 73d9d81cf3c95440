//! Several instances and Embed Links: only the instance running a guild's shard sees that the
//! bot lost Embed Links in a channel; it writes that to the database, and an instance without
//! the gateway posts there in text style too (an embed would be dropped to a bare ping).

use std::time::Duration;

use topgg_testkit::bounded;
use topgg_testkit::process::BotProcess;
use topgg_testkit::standin::POST_CHANNEL_ID;

use crate::operations::{Site, voter};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_without_the_gateway_posts_in_text_style_where_the_gateway_saw_embed_links_go()
{
    let Some(site) = Site::start().await else {
        return;
    };
    bounded(Duration::from_secs(120), async {
        let mut settings = site.settings("with-gateway");
        let gateway = ("TOPGG_BOT__DISCORD__GATEWAY".into(), "true".into());
        settings.extra_env.push(gateway);
        let mut with_gateway = BotProcess::start(&settings).await;
        site.connect(&with_gateway).await;
        assert!(site.standin.wait_for_ready(Duration::from_secs(20)).await);
        assert!(site.standin.set_embed_links(POST_CHANNEL_ID, false).await > 0);
        let shared = topgg_testkit::eventually(Duration::from_secs(20), || async {
            let known = site.db.channels_without_embeds().await.unwrap();
            (!known.is_empty()).then_some(known)
        })
        .await
        .expect("the gateway's instance shared where Embed Links is missing");
        assert_eq!(shared[0].1.get(), POST_CHANNEL_ID);
        with_gateway.terminate();
        with_gateway.wait(Duration::from_secs(20)).await;

        let delivery_only = BotProcess::start(&site.settings("delivery-only")).await;
        let voter = voter(1);
        assert_eq!(
            site.vote(&delivery_only.base, "embeds-1", &voter)
                .await
                .unwrap(),
            204
        );
        let announced = site.wait_for_announced(1, Duration::from_secs(20)).await;
        assert_eq!(announced.len(), 1);
        assert_eq!(announced[0], voter);
        let posted = &site.announcement_requests()[0].body;
        let content = posted["content"].as_str().unwrap_or_default();
        let embeds = posted["embeds"].as_array().map_or(0, Vec::len);
        assert_eq!(embeds, 0, "no embed where Discord would drop it: {posted}");
        assert!(
            content.contains(&format!("<@{voter}>")) && content.len() > voter.len() + 3,
            "the text-style announcement carries the vote line: {posted}"
        );
    })
    .await;
    site.finish().await;
}
