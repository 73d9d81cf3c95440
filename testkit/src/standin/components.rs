//! Buttons and modals as Discord delivers them: a click is a component interaction (type 3)
//! carrying the message the button is on; a modal the bot opened (callback type 9) is
//! submitted as a modal submit interaction (type 5) built from the text inputs it declared.

use serde_json::{Value, json};

use super::interactions::InteractionPayload;
use super::rest::Resp;
use super::state::InteractionRecord;
use super::{DiscordStandIn, json};

impl DiscordStandIn {
    /// `invoker` clicks the button `custom_id` on the message that answered interaction
    /// `answered` (its `@original`). Panics when that message has no such button: Discord
    /// delivers clicks on real buttons only. Send the result with `send_interaction`.
    pub fn click_button(&self, answered: u64, custom_id: &str, invoker: u64) -> InteractionPayload {
        let message = self
            .state
            .lock()
            .interactions
            .get(&answered)
            .and_then(|r| r.original.clone())
            .unwrap_or_else(|| panic!("interaction {answered} has no message"));
        assert!(
            buttons(&message).iter().any(|b| b == custom_id),
            "no button {custom_id:?} on {message}"
        );
        let data = json!({ "custom_id": custom_id, "component_type": 2 });
        self.component_payload(3, invoker, data, Some(message))
    }

    /// The modal the bot answered interaction `clicked` with (`custom_id`, `title`,
    /// `components`), if it did.
    pub fn modal_shown(&self, clicked: u64) -> Option<Value> {
        let inner = self.state.lock();
        inner
            .interactions
            .get(&clicked)
            .and_then(|r| r.modal.clone())
    }

    /// `invoker` submits the modal that answered `clicked`, typing `values` (text input
    /// custom id, value) into the inputs it declared; inputs not named are left empty.
    /// Panics when no modal was shown or a value names an input the modal does not have.
    pub fn submit_modal(
        &self,
        clicked: u64,
        values: &[(&str, &str)],
        invoker: u64,
    ) -> InteractionPayload {
        let modal = self
            .modal_shown(clicked)
            .unwrap_or_else(|| panic!("interaction {clicked} opened no modal"));
        let declared = text_inputs(&modal);
        for (id, _) in values {
            assert!(
                declared.iter().any(|d| d == id),
                "the modal has no input {id:?}"
            );
        }
        let rows: Vec<Value> = declared
            .iter()
            .map(|id| {
                let value = values.iter().find(|(v, _)| v == id).map_or("", |(_, v)| v);
                json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": value }] })
            })
            .collect();
        let message = self
            .state
            .lock()
            .interactions
            .get(&clicked)
            .and_then(|r| r.message.clone());
        let data = json!({ "custom_id": modal["custom_id"], "components": rows });
        self.component_payload(5, invoker, data, message)
    }

    fn component_payload(
        &self,
        kind: u8,
        invoker: u64,
        data: Value,
        message: Option<Value>,
    ) -> InteractionPayload {
        let model = self.state.lock().model.clone();
        let id = json::snowflake();
        let token = format!("aW50ZXJhY3Rpb24{id}standin");
        let channel_id = message
            .as_ref()
            .and_then(|m| m["channel_id"].as_str()?.parse().ok())
            .unwrap_or(super::POST_CHANNEL_ID);
        let mut payload = model.envelope(kind, id, &token, channel_id, invoker, data);
        if let Some(message) = message {
            payload["message"] = message;
        }
        InteractionPayload {
            id,
            token,
            channel_id,
            payload,
        }
    }
}

/// The custom ids of a message's buttons.
fn buttons(message: &Value) -> Vec<String> {
    nested_components(message, 2)
}

/// The custom ids of a modal's text inputs.
fn text_inputs(modal: &Value) -> Vec<String> {
    nested_components(modal, 4)
}

fn nested_components(holder: &Value, kind: u64) -> Vec<String> {
    let rows = holder["components"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"].as_u64() == Some(kind))
        .filter_map(|c| c["custom_id"].as_str().map(str::to_string))
        .collect()
}

/// Discord's rules on which response fits which interaction: a modal (9) answers a command
/// or a component, never a modal submit; updating the message (6, 7) needs one. A modal is
/// recorded so a test can submit it.
pub(super) fn refused_callback(rec: &mut InteractionRecord, body: &Value) -> Option<Resp> {
    let invalid = || Resp::error(400, 50035, "Invalid Form Body");
    match body["type"].as_u64() {
        Some(9) if !matches!(rec.kind, 2 | 3) => Some(invalid()),
        Some(9) => {
            rec.modal = Some(body["data"].clone());
            None
        }
        Some(6 | 7) if rec.message.is_none() => Some(invalid()),
        _ => None,
    }
}
