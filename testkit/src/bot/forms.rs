//! The admin's commands whose answers the tests read further: `/topgg webhook` with its
//! button and secret form, `/topgg api` with its token form.

use super::Bot;
use crate::standin::{ADMIN_USER_ID, InteractionPayload, Opt, Reply};

impl Bot {
    /// Runs `/topgg <path>` as the admin (built from the registration, see
    /// [`crate::standin::DiscordStandIn::invocation`]); returns the interaction and the reply.
    pub async fn topgg(
        &self,
        path: &[&str],
        options: Vec<(&str, Opt)>,
    ) -> (InteractionPayload, Reply) {
        let path: Vec<&str> = ["topgg"].iter().chain(path).copied().collect();
        let ix = self.discord.invocation(&path, options, ADMIN_USER_ID).await;
        let reply = self.answer(&ix).await;
        (ix, reply)
    }

    /// `/topgg webhook`, its button, its form submitted with `secret`: the command's reply
    /// (naming the webhook URL) and the form's answer.
    pub async fn webhook_form(&self, secret: &str) -> (Reply, Reply) {
        let (command, shown) = self.topgg(&["webhook"], vec![]).await;
        let button = shown.data()["components"][0]["components"][0]["custom_id"].clone();
        let button = button.as_str().expect("a button");
        let click = self.discord.click_button(command.id, button, ADMIN_USER_ID);
        let opened = self.answer(&click).await;
        assert_eq!(opened.callback_type, 9, "the button opens a modal");
        let values = [("secret", secret)];
        let submit = self.discord.submit_modal(click.id, &values, ADMIN_USER_ID);
        let answer = self.answer(&submit).await;
        (shown, answer)
    }

    /// `/topgg api`, its form submitted with `token`: the form's answer.
    pub async fn api_form(&self, token: &str) -> Reply {
        let (command, opened) = self.topgg(&["api"], vec![]).await;
        assert_eq!(opened.callback_type, 9, "the command opens a modal");
        let values = [("token", token)];
        let submit = self
            .discord
            .submit_modal(command.id, &values, ADMIN_USER_ID);
        self.answer(&submit).await
    }
}

/// The connection id in a reply naming its webhook URL.
pub fn connection_in(reply: &Reply) -> String {
    let content = reply.content().expect("content");
    let (_, after) = content
        .split_once("/topgg/webhooks/")
        .expect("a webhook URL");
    let id: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    assert!(!id.is_empty() && id.len() <= 64, "{id}");
    id
}
