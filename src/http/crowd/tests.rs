use std::time::Duration;

use super::*;

/// A connection idle since the given instant (or busy), with a name to recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fake(&'static str, Option<Instant>);

impl Held for Fake {
    fn idle_since(&self) -> Option<Instant> {
        self.1
    }
}

/// The name of the connection an admission closes, and under which limit.
fn closing(admission: Admission<Fake>) -> Option<(&'static str, Limit)> {
    match admission {
        Admission::AdmitClosing(Fake(name, _), limit) => Some((name, limit)),
        _ => None,
    }
}

fn client(last: u8) -> Client {
    Client::of(IpAddr::from([127, 0, 0, last]))
}

fn busy(name: &'static str) -> Fake {
    Fake(name, None)
}

fn idle(name: &'static str, ago_secs: u64) -> Fake {
    Fake(name, Some(Instant::now() - Duration::from_secs(ago_secs)))
}

/// A crowd with these limits holding `held` (each connection on `client(last)`, keyed 1, 2…).
fn crowd_of(max_total: usize, max_per_client: usize, held: Vec<(u8, Fake)>) -> Crowd<usize, Fake> {
    let mut crowd = Crowd::new(max_total, max_per_client);
    for (key, (last, fake)) in held.into_iter().enumerate() {
        crowd.insert(key + 1, client(last), fake);
    }
    crowd
}

#[test]
fn connections_are_admitted_below_both_limits() {
    let mut crowd = crowd_of(3, 2, vec![(2, busy("a")), (3, busy("b"))]);
    assert_eq!(crowd.admit(client(2)), Admission::Admit);
}

#[test]
fn at_the_total_limit_the_connection_idle_longest_is_closed_to_make_room() {
    let mut crowd = crowd_of(
        3,
        0,
        vec![
            (2, idle("recent", 1)),
            (3, idle("oldest", 9)),
            (4, busy("busy")),
        ],
    );
    let admission = crowd.admit(client(5));
    assert_eq!(closing(admission), Some(("oldest", Limit::Total)));
    assert_eq!(crowd.len(), 2, "the closed one is no longer counted");
}

#[test]
fn at_the_total_limit_with_none_idle_the_new_connection_is_refused() {
    let mut crowd = crowd_of(2, 0, vec![(2, busy("a")), (3, busy("b"))]);
    assert_eq!(crowd.admit(client(4)), Admission::Refuse(Limit::Total));
}

#[test]
fn at_the_per_address_limit_only_that_address_gives_up_an_idle_connection() {
    let mut crowd = crowd_of(
        10,
        2,
        vec![
            (2, busy("mine busy")),
            (2, idle("mine idle", 1)),
            (3, idle("theirs idle longer", 9)),
        ],
    );
    let admission = crowd.admit(client(2));
    assert_eq!(closing(admission), Some(("mine idle", Limit::PerClient)));
}

#[test]
fn at_the_per_address_limit_with_none_idle_the_address_is_refused_and_others_admitted() {
    let mut crowd = crowd_of(10, 2, vec![(2, busy("a")), (2, busy("b"))]);
    assert_eq!(crowd.admit(client(2)), Admission::Refuse(Limit::PerClient));
    assert_eq!(crowd.admit(client(3)), Admission::Admit);
}

#[test]
fn a_per_address_limit_of_zero_is_off() {
    let mut crowd = crowd_of(10, 0, vec![(2, busy("a")); 5]);
    assert_eq!(crowd.admit(client(2)), Admission::Admit);
}

#[test]
fn a_connection_that_ended_gives_its_place_back() {
    let mut crowd = crowd_of(10, 1, vec![(2, busy("a"))]);
    crowd.remove(&1);
    assert_eq!(crowd.len(), 0);
    assert_eq!(crowd.admit(client(2)), Admission::Admit);
    crowd.remove(&1);
    assert_eq!(crowd.len(), 0, "removing twice changes nothing");
}

#[test]
fn ipv6_addresses_of_one_64_network_count_as_one_client() {
    let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
    let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
    let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(Client::of(a), Client::of(b));
    assert_ne!(Client::of(a), Client::of(other));
    let mapped: IpAddr = "::ffff:127.0.0.2".parse().unwrap();
    assert_eq!(Client::of(mapped), client(2));
}
