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

#[test]
fn connections_are_admitted_below_both_limits() {
    let mut crowd = Crowd::new(3, 2);
    crowd.insert(1, client(2), busy("a"));
    crowd.insert(2, client(3), busy("b"));
    assert_eq!(crowd.admit(client(2)), Admission::Admit);
}

#[test]
fn at_the_total_limit_the_connection_idle_longest_is_closed_to_make_room() {
    let mut crowd = Crowd::new(3, 0);
    crowd.insert(1, client(2), idle("recent", 1));
    crowd.insert(2, client(3), idle("oldest", 9));
    crowd.insert(3, client(4), busy("busy"));
    let admission = crowd.admit(client(5));
    assert_eq!(closing(admission), Some(("oldest", Limit::Total)));
    assert_eq!(crowd.len(), 2, "the closed one is no longer counted");
}

#[test]
fn at_the_total_limit_with_none_idle_the_new_connection_is_refused() {
    let mut crowd = Crowd::new(2, 0);
    crowd.insert(1, client(2), busy("a"));
    crowd.insert(2, client(3), busy("b"));
    assert_eq!(crowd.admit(client(4)), Admission::Refuse(Limit::Total));
}

#[test]
fn at_the_per_address_limit_only_that_address_gives_up_an_idle_connection() {
    let mut crowd = Crowd::new(10, 2);
    crowd.insert(1, client(2), busy("mine busy"));
    crowd.insert(2, client(2), idle("mine idle", 1));
    crowd.insert(3, client(3), idle("theirs idle longer", 9));
    let admission = crowd.admit(client(2));
    assert_eq!(closing(admission), Some(("mine idle", Limit::PerClient)));
}

#[test]
fn at_the_per_address_limit_with_none_idle_the_address_is_refused_and_others_admitted() {
    let mut crowd = Crowd::new(10, 2);
    crowd.insert(1, client(2), busy("a"));
    crowd.insert(2, client(2), busy("b"));
    assert_eq!(crowd.admit(client(2)), Admission::Refuse(Limit::PerClient));
    assert_eq!(crowd.admit(client(3)), Admission::Admit);
}

#[test]
fn a_per_address_limit_of_zero_is_off() {
    let mut crowd = Crowd::new(10, 0);
    for key in 0..5 {
        crowd.insert(key, client(2), busy("a"));
    }
    assert_eq!(crowd.admit(client(2)), Admission::Admit);
}

#[test]
fn a_connection_that_ended_gives_its_place_back() {
    let mut crowd = Crowd::new(10, 1);
    crowd.insert(1, client(2), busy("a"));
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
