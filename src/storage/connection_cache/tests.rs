use super::*;

// On tokio's paused clock: time moves only by `advance`.
#[tokio::test(start_paused = true)]
async fn an_id_found_unknown_is_answered_so_for_a_while_then_looked_up_again() {
    let mut known = Known::default();
    let made_up: ConnectionId = "made-up".parse().unwrap();
    assert!(!known.recently_unknown(&made_up), "not checked yet");
    known.remember_unknown(&made_up);
    tokio::time::advance(UNKNOWN_FOR - Duration::from_millis(1)).await;
    assert!(known.recently_unknown(&made_up));
    tokio::time::advance(Duration::from_millis(1)).await;
    assert!(!known.recently_unknown(&made_up), "looked up again");
}

#[tokio::test(start_paused = true)]
async fn a_flood_of_made_up_ids_drops_the_expired_ones_then_all_past_the_bound() {
    let mut known = Known::default();
    let id = |i: usize| -> ConnectionId { format!("made-up-{i}").parse().unwrap() };
    known.remember_unknown(&id(0));
    tokio::time::advance(UNKNOWN_FOR).await;
    for i in 1..MAX_UNKNOWN {
        known.remember_unknown(&id(i));
    }
    known.remember_unknown(&id(MAX_UNKNOWN));
    assert_eq!(
        known.unknown.len(),
        MAX_UNKNOWN,
        "the expired one made room"
    );
    assert!(!known.unknown.contains_key(&id(0)));
    known.remember_unknown(&id(MAX_UNKNOWN + 1));
    assert_eq!(known.unknown.len(), 1, "none expired: all forgotten");
}
