use super::*;

#[test]
fn a_snowflake_is_one_to_twenty_ascii_digits_that_fit_a_u64() {
    assert_eq!(
        GuildId::parse("160105994217586689"),
        Ok(GuildId::from(160105994217586689))
    );
    assert_eq!(UserId::parse("0"), Ok(UserId::from(0)));
    assert_eq!(
        UserId::parse("18446744073709551615"),
        Ok(UserId::from(u64::MAX))
    );
}

#[test]
fn an_empty_text_is_not_a_snowflake() {
    assert!(UserId::parse("").is_err());
}

#[test]
fn twenty_one_digits_are_not_a_snowflake_even_with_leading_zeros() {
    assert!(UserId::parse("000000000000000000001").is_err());
    assert!(UserId::parse("123456789012345678901").is_err());
}

#[test]
fn twenty_digits_above_u64_max_are_not_a_snowflake() {
    assert!(UserId::parse("18446744073709551616").is_err());
    assert!(UserId::parse("99999999999999999999").is_err());
}

#[test]
fn signs_spaces_and_unicode_digits_are_not_a_snowflake() {
    for text in [
        "+42", "-42", " 42", "42 ", "4 2", "42\n", "٤٢", "４２", "4.2", "0x2a",
    ] {
        assert!(RoleId::parse(text).is_err(), "{text:?} was accepted");
    }
}

#[test]
fn a_path_is_not_a_snowflake_and_the_error_does_not_repeat_it() {
    let err = UserId::parse("../../../../guilds/1/members/2/roles/3?x=").unwrap_err();
    assert_eq!(err.to_string(), "not a valid UserId");
}

#[test]
fn a_snowflake_serializes_as_its_decimal_text_and_reads_only_from_text() {
    let id = GuildId::from(160105994217586689);
    assert_eq!(
        serde_json::to_string(&id).unwrap(),
        "\"160105994217586689\""
    );
    let back: GuildId = serde_json::from_str("\"160105994217586689\"").unwrap();
    assert_eq!(back, id);
    assert!(serde_json::from_str::<GuildId>("160105994217586689").is_err());
    assert!(serde_json::from_str::<GuildId>("\"../1\"").is_err());
}

#[test]
fn an_id_debugs_with_its_kind_and_displays_as_its_text() {
    let id = RoleId::from(42);
    assert_eq!(format!("{id:?} {id}"), "RoleId(42) 42");
    let vote = VoteId::parse("v-1").unwrap();
    assert_eq!(format!("{vote:?} {vote}"), "VoteId(v-1) v-1");
}

#[test]
fn a_connection_id_is_up_to_64_letters_digits_dashes_or_underscores() {
    assert!(ConnectionId::parse("112402021105124").is_ok());
    assert!(ConnectionId::parse("demo-connection_2").is_ok());
    assert!(ConnectionId::parse(&"a".repeat(64)).is_ok());
    for bad in ["", "a/b", "..", "a b", "a%2F", "é", &"a".repeat(65)] {
        assert!(ConnectionId::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn a_vote_or_voter_id_is_bounded_text_without_control_characters() {
    assert!(VoteId::parse("808499215864008704").is_ok());
    assert!(VoterId::parse("roblox user 1").is_ok());
    assert!(VoterId::parse(&"x".repeat(128)).is_ok());
    for bad in ["", "a\u{0}b", "a\nb", &"x".repeat(129)] {
        assert!(VoterId::parse(bad).is_err(), "{bad:?} was accepted");
    }
}
