use super::*;
use crate::domain::time::HOUR;

const VOTE: &str = r#"{"type":"vote.create","data":{"id":"808499215864008704","weight":1,
 "created_at":"2026-02-09T00:47:14.2510149+00:00","expires_at":"2026-02-09T12:47:14.2510149+00:00",
 "project":{"id":"803190510032756736","type":"bot","platform":"discord","platform_id":"160105994217586689"},
 "query":{"ref":"discord"},
 "user":{"id":"topgg-user-id","platform_id":"160105994217586690","name":"username","avatar_url":"https://x"}}}"#;

#[test]
fn the_spec_vote_parses_with_seven_fractional_digits() {
    let Event::VoteCreate(vote) = Event::parse(VOTE.as_bytes()).unwrap() else {
        panic!("not a vote");
    };
    assert_eq!(vote.id.as_str(), "808499215864008704");
    assert_eq!(vote.discord_voter(), Some(UserId::from(160105994217586690)));
    assert_eq!(vote.expiry().since(vote.cast_at()), 12 * HOUR);
    assert_eq!(vote.query.unwrap()["ref"], "discord");
}

#[test]
fn a_game_project_vote_is_accepted() {
    let body = VOTE.replace(
        r#""type":"bot","platform":"discord""#,
        r#""type":"game","platform":"roblox""#,
    );
    let Event::VoteCreate(vote) = Event::parse(body.as_bytes()).unwrap() else {
        panic!("not a vote");
    };
    assert_eq!(
        (&vote.project.kind, vote.project.platform.as_str()),
        (&ProjectKind::Game, "roblox")
    );
}

#[test]
fn a_parsed_event_is_named_by_its_type() {
    let event = Event::parse(VOTE.as_bytes()).unwrap();
    assert_eq!(event.name(), names::VOTE_CREATE);
    let other = Event::parse(br#"{"type":"vote.delete","data":{}}"#).unwrap();
    assert_eq!(other.name(), "vote.delete");
}

#[test]
fn unknown_event_types_are_reported_not_rejected() {
    let event = Event::parse(br#"{"type":"vote.delete","data":{"x":1}}"#).unwrap();
    assert_eq!(event, Event::Unknown("vote.delete".into()));
}

#[test]
fn a_vote_without_an_id_is_invalid() {
    let body = VOTE.replace(r#""id":"808499215864008704","#, "");
    let err = Event::parse(body.as_bytes()).unwrap_err();
    assert_eq!(err.event, names::VOTE_CREATE);
}

#[test]
fn a_number_where_an_id_string_belongs_is_invalid() {
    let body = VOTE.replace(r#""808499215864008704""#, "808499215864008704");
    assert!(Event::parse(body.as_bytes()).is_err());
}

#[test]
fn integration_delete_needs_only_the_connection_id() {
    let event =
        Event::parse(br#"{"type":"integration.delete","data":{"connection_id":"7"}}"#).unwrap();
    assert_eq!(
        event,
        Event::IntegrationDelete(IntegrationDelete {
            connection_id: ConnectionId::from(7)
        })
    );
}

#[test]
fn the_webhook_secret_never_appears_in_debug_output() {
    let body =
        br#"{"type":"integration.create","data":{"connection_id":"1","webhook_secret":"whs_hidden",
        "project":{"id":"1","type":"bot","platform":"discord","platform_id":"2"},
        "user":{"id":"u","platform_id":"3","name":"n","avatar_url":"a"}}}"#;
    let event = Event::parse(body).unwrap();
    assert!(!format!("{event:?}").contains("whs_hidden"));
}

#[test]
fn a_known_event_without_data_is_invalid_and_an_escaped_type_is_read() {
    let err = Event::parse(br#"{"type":"vote.create"}"#).unwrap_err();
    assert_eq!(err.event, names::VOTE_CREATE);
    let escaped = VOTE.replace(r#""type":"vote.create""#, r#""type":"vote\u002ecreate""#);
    let event = Event::parse(escaped.as_bytes()).unwrap();
    assert_eq!(event.name(), names::VOTE_CREATE);
}

#[test]
fn a_body_that_is_not_json_is_invalid() {
    assert!(Event::parse(b"not json").is_err());
    assert!(Event::parse(br#"{"data":{}}"#).is_err());
}

fn vote(body: &str) -> Vote {
    match Event::parse(body.as_bytes()) {
        Ok(Event::VoteCreate(vote)) => vote,
        other => panic!("not a vote: {other:?}"),
    }
}

#[test]
fn a_query_string_is_read_as_its_percent_decoded_parameters() {
    for query in [
        r#""ref=a%20b&n=3""#,
        r#""?ref=a%20b&n=3""#,
        r#""ref=a+b&n=3&ref=x""#,
    ] {
        let body = VOTE.replace(r#"{"ref":"discord"}"#, query);
        let read = vote(&body).query.expect("a query");
        assert_eq!(
            (read["ref"].as_str(), read["n"].as_str()),
            (Some("a b"), Some("3"))
        );
    }
}

#[test]
fn a_missing_expires_at_is_twelve_hours_after_created_at() {
    let body = VOTE.replace(r#""expires_at":"2026-02-09T12:47:14.2510149+00:00","#, "");
    let read = vote(&body);
    assert_eq!(read.expiry().since(read.cast_at()), 12 * HOUR);
}

#[test]
fn weight_name_avatar_and_query_may_be_missing_and_unknown_fields_are_ignored() {
    let body = r#"{"type":"vote.create","extra":1,"data":{"id":"9","created_at":"2026-02-09T00:47:14Z",
        "project":{"id":"1","type":"bot","platform":"discord","platform_id":"2","new":true},
        "user":{"id":"u","platform_id":"3","name":null},"later":{"x":[1]}}}"#;
    let read = vote(body);
    assert_eq!((read.weight, read.user.name.as_str()), (1, ""));
    assert_eq!((read.user.avatar_url, read.query), (None, None));
}

#[test]
fn a_voter_whose_platform_id_is_not_a_snowflake_is_read_but_not_a_discord_voter() {
    let crafted = VOTE.replace("160105994217586690", "../../guilds/1/members/2/roles/3?x=");
    let read = vote(&crafted);
    assert_eq!(
        read.user.platform_id.as_str(),
        "../../guilds/1/members/2/roles/3?x="
    );
    assert_eq!(read.discord_voter(), None);
}

#[test]
fn a_roblox_voter_is_never_a_discord_voter_even_when_numeric() {
    let body = VOTE.replace(r#""platform":"discord""#, r#""platform":"roblox""#);
    assert_eq!(vote(&body).discord_voter(), None);
}

#[test]
fn a_discord_project_whose_platform_id_is_not_a_snowflake_is_invalid() {
    let body = VOTE.replace(
        r#""platform_id":"160105994217586689""#,
        r#""platform_id":"../1""#,
    );
    assert!(Event::parse(body.as_bytes()).is_err());
}

#[test]
fn a_connector_must_be_a_discord_user_and_a_connection_id_of_topggs_shape() {
    let create = |connection: &str, owner: &str| {
        let body = format!(
            r#"{{"type":"integration.create","data":{{"connection_id":"{connection}",
            "webhook_secret":"whs_x","project":{{"id":"1","type":"bot","platform":"discord","platform_id":"2"}},
            "user":{{"id":"u","platform_id":"{owner}"}}}}}}"#
        );
        Event::parse(body.as_bytes())
    };
    assert!(create("112402021105124", "3").is_ok());
    assert!(create("112402021105124", "discord-user-id").is_err());
    assert!(create("../x", "3").is_err());
}
