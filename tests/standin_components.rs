//! Buttons and modals on the Discord stand-in, against the real serenity 0.12.5 client: a
//! click arrives as a component interaction serenity parses (with its message), a modal is
//! recorded and submitted with the inputs it declared, and Discord's response rules hold.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::sync::mpsc;
use topgg_testkit::standin::*;

const WAIT: Duration = Duration::from_secs(5);

/// What the handler saw: a click's message content, or a submitted form's values.
#[derive(Debug)]
enum Seen {
    Clicked {
        custom_id: String,
        message: String,
    },
    Submitted {
        custom_id: String,
        values: Vec<(String, String)>,
        modal_refused: bool,
    },
}

struct Handler(mpsc::UnboundedSender<Seen>);

#[serenity::async_trait]
impl serenity::EventHandler for Handler {
    async fn interaction_create(&self, ctx: serenity::Context, interaction: serenity::Interaction) {
        match interaction {
            serenity::Interaction::Command(cmd) => {
                let button = serenity::CreateButton::new("open").label("Open");
                let row = serenity::CreateActionRow::Buttons(vec![button]);
                let msg = serenity::CreateInteractionResponseMessage::new()
                    .content("press it")
                    .components(vec![row]);
                let reply = serenity::CreateInteractionResponse::Message(msg);
                cmd.create_response(&ctx.http, reply)
                    .await
                    .expect("answered");
            }
            serenity::Interaction::Component(click) => {
                let input = serenity::CreateInputText::new(
                    serenity::InputTextStyle::Short,
                    "Secret",
                    "secret",
                );
                let modal = serenity::CreateModal::new("form-1", "A form")
                    .components(vec![serenity::CreateActionRow::InputText(input)]);
                let response = serenity::CreateInteractionResponse::Modal(modal);
                click
                    .create_response(&ctx.http, response)
                    .await
                    .expect("modal");
                let _ = self.0.send(Seen::Clicked {
                    custom_id: click.data.custom_id.clone(),
                    message: click.message.content.clone(),
                });
            }
            serenity::Interaction::Modal(submit) => {
                let again = serenity::CreateModal::new("form-2", "Again");
                let modal = serenity::CreateInteractionResponse::Modal(again);
                let modal_refused = submit.create_response(&ctx.http, modal).await.is_err();
                let done = serenity::CreateInteractionResponseMessage::new().content("thanks");
                let reply = serenity::CreateInteractionResponse::Message(done.ephemeral(true));
                submit
                    .create_response(&ctx.http, reply)
                    .await
                    .expect("answered");
                let _ = self.0.send(Seen::Submitted {
                    custom_id: submit.data.custom_id.clone(),
                    values: values(&submit.data),
                    modal_refused,
                });
            }
            _ => {}
        }
    }
}

fn values(data: &serenity::ModalInteractionData) -> Vec<(String, String)> {
    let inputs = data.components.iter().flat_map(|row| row.components.iter());
    inputs
        .filter_map(|c| match c {
            serenity::ActionRowComponent::InputText(t) => {
                Some((t.custom_id.clone(), t.value.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    let seen = tokio::time::timeout(WAIT, rx.recv()).await;
    seen.expect("seen within 5 s").expect("handler alive")
}

#[tokio::test]
async fn a_click_opens_a_recorded_modal_whose_submit_carries_the_declared_inputs() {
    let standin = DiscordStandIn::start().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let intents = serenity::GatewayIntents::GUILDS;
    let mut client = serenity::ClientBuilder::new_with_http(standin.http(), intents)
        .event_handler(Handler(tx))
        .await
        .expect("client built");
    let shards = client.shard_manager.clone();
    let running = tokio::spawn(async move { client.start().await });
    assert!(standin.wait_for_ready(WAIT).await, "gateway session ready");
    // Discord delivers only registered commands.
    let form = serenity::CreateCommand::new("form").description("Open a form");
    serenity::Command::set_global_commands(&standin.http(), vec![form])
        .await
        .expect("registered");

    let command = standin.invocation(&["form"], vec![], ADMIN_USER_ID).await;
    assert_eq!(standin.send_interaction(&command.payload).await, 1);
    standin.reply_to(command.id, WAIT).await.expect("answered");
    let missing = || standin.click_button(command.id, "missing", ADMIN_USER_ID);
    let missing = std::panic::catch_unwind(std::panic::AssertUnwindSafe(missing));
    assert!(missing.is_err(), "no click on a button the message lacks");
    let click = standin.click_button(command.id, "open", ADMIN_USER_ID);
    assert_eq!(standin.send_interaction(&click.payload).await, 1);
    let Seen::Clicked { custom_id, message } = next(&mut rx).await else {
        panic!("no click");
    };
    assert_eq!((custom_id.as_str(), message.as_str()), ("open", "press it"));
    let modal = standin.modal_shown(click.id).expect("a modal recorded");
    assert_eq!(modal["custom_id"], "form-1");

    let submit = standin.submit_modal(click.id, &[("secret", "typed")], ADMIN_USER_ID);
    assert_eq!(standin.send_interaction(&submit.payload).await, 1);
    let Seen::Submitted {
        custom_id,
        values,
        modal_refused,
    } = next(&mut rx).await
    else {
        panic!("no submit");
    };
    assert_eq!(custom_id, "form-1");
    assert_eq!(values, vec![("secret".to_string(), "typed".to_string())]);
    assert!(modal_refused, "a modal cannot answer a modal submit");
    let thanks = standin.reply_to(submit.id, WAIT).await.expect("answered");
    assert_eq!(
        (thanks.callback_type, thanks.content()),
        (4, Some("thanks"))
    );

    tokio::time::timeout(WAIT, shards.shutdown_all())
        .await
        .expect("shut down");
    running.abort();
}
