//! Property tests of the pure parsers and the renderer: arbitrary input never panics, valid
//! input round-trips.

use proptest::prelude::*;
use serde_json::{Value, json};
use topgg_bot::domain::events::Event;
use topgg_bot::domain::ids::UserId;
use topgg_bot::domain::signature::{self, SignatureError, SignatureHeader};
use topgg_bot::domain::template::{TemplateValues, render};
use topgg_bot::domain::text;
use topgg_bot::domain::time::Timestamp;

fn values<'a>(name: &'a str, id: &'a UserId) -> TemplateValues<'a> {
    TemplateValues {
        user_id: Some(id),
        user_name: name,
        project_name: None,
        project_id: "7",
        votes: 3,
        streak: 2,
        weight: 1,
        next_vote_at: Timestamp::from_millis(1_770_000_000_000),
        vote_url: "https://top.gg/bot/9/vote",
        query: None,
    }
}

/// Any JSON value, nested a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "type|data|id|user|project|created_at".prop_map(String::from),
                    ".{0,6}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parsing_any_signature_header_never_panics(header in ".*") {
        let _ = SignatureHeader::parse(&header);
    }

    #[test]
    fn verifying_any_header_and_body_never_panics(
        header in prop::option::of(".*"),
        body in prop::collection::vec(any::<u8>(), 0..256),
        now in any::<i64>(),
        tolerance in any::<u64>(),
    ) {
        let _ = signature::verify(header.as_deref(), &body, "whs_x", now, tolerance);
    }

    #[test]
    fn a_signed_body_verifies_with_its_secret(
        secret in ".{1,40}", // an empty secret never verifies (signature tests)
        t in 0i64..=i64::MAX,
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let header = signature::sign(&secret, t, &body);
        prop_assert_eq!(signature::verify(Some(&header), &body, &secret, t, 0), Ok(()));
    }

    #[test]
    fn a_signed_body_changed_in_one_byte_does_not_verify(
        body in prop::collection::vec(any::<u8>(), 1..256),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let header = signature::sign("whs_key", 1_770_000_000, &body);
        let mut changed = body.clone();
        changed[at.index(body.len())] ^= flip;
        prop_assert_eq!(
            signature::verify(Some(&header), &changed, "whs_key", 1_770_000_000, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_header_round_trips_in_any_part_order_and_hex_case(
        t in 0i64..=i64::MAX,
        mac in prop::collection::vec(any::<u8>(), 0..64),
        upper in any::<bool>(),
        reversed in any::<bool>(),
    ) {
        let hex = if upper { hex::encode_upper(&mac) } else { hex::encode(&mac) };
        let mut parts = [format!("t={t}"), format!("v1={hex}"), "v0=ignored".to_string()];
        if reversed {
            parts.reverse();
        }
        let parsed = SignatureHeader::parse(&parts.join(",")).unwrap();
        prop_assert_eq!(parsed, SignatureHeader { timestamp: t, macs: vec![mac] });
    }

    #[test]
    fn parsing_any_bytes_as_an_event_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Event::parse(&body);
    }

    #[test]
    fn parsing_any_json_as_an_event_never_panics(value in any_json(), kind in "vote.create|webhook.test|integration.create|integration.delete|other") {
        let _ = Event::parse(value.to_string().as_bytes());
        let enveloped = json!({"type": kind, "data": value});
        let _ = Event::parse(enveloped.to_string().as_bytes());
    }

    #[test]
    fn a_vote_with_any_ids_and_names_parses_back_to_the_same_fields(
        id in "[^\\p{Cc}]{1,30}", voter in "[^\\p{Cc}]{1,20}", name in ".{0,40}", weight in 1i64..3,
    ) {
        let body = json!({"type": "vote.create", "data": {
            "id": id, "weight": weight,
            "created_at": "2026-02-09T00:47:14.2510149+00:00",
            "expires_at": "2026-02-09T12:47:14.2510149+00:00",
            "project": {"id": "1", "type": "bot", "platform": "discord", "platform_id": "2"},
            "user": {"id": "u", "platform_id": voter, "name": name, "avatar_url": null},
            "unknown": {"ignored": [1, 2]},
        }});
        let Ok(Event::VoteCreate(vote)) = Event::parse(body.to_string().as_bytes()) else {
            panic!("a valid vote did not parse");
        };
        prop_assert_eq!(vote.id.as_str(), id);
        prop_assert_eq!(vote.user.platform_id.as_str(), voter);
        prop_assert_eq!(vote.user.name, name);
        prop_assert_eq!(vote.weight, weight);
    }

    #[test]
    fn rendering_any_template_with_any_values_never_panics(template in ".*", name in ".*", id in any::<u64>()) {
        let _ = render(&template, &values(&name, &UserId::from(id)));
    }

    #[test]
    fn a_template_without_braces_renders_as_itself(template in "[^{]*") {
        prop_assert_eq!(render(&template, &values("Ann", &UserId::from(42))), template);
    }

    #[test]
    fn known_placeholders_between_plain_text_are_replaced_by_their_values(
        parts in prop::collection::vec(("[^{}]{0,8}", prop::sample::select(vec![
            ("{user}", "<@42>"), ("{user.id}", "42"), ("{votes}", "3"), ("{streak}", "2"),
            ("{weight}", "1"), ("{project}", "7"), ("{next_vote}", "<t:1770000000:R>"),
        ])), 0..8),
    ) {
        let template: String = parts.iter().map(|(text, (p, _))| format!("{text}{p}")).collect();
        let expected: String = parts.iter().map(|(text, (_, v))| format!("{text}{v}")).collect();
        prop_assert_eq!(render(&template, &values("Ann", &UserId::from(42))), expected);
    }

    #[test]
    fn a_voter_name_is_shown_verbatim_never_expanded_or_formatted(name in ".*") {
        let rendered = render("{user.name}", &values(&name, &UserId::from(42)));
        prop_assert_eq!(text::as_shown(&rendered), text::plain(&name));
    }
}
