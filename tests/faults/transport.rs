//! Hostile requests at the transport level (HTTP framing, sizes, routes), written as raw
//! bytes; the webhook-level ones are in `hostile`.

use crate::faults::hostile::{CONFIG_URL, HOOK, signed};
use crate::faults::raw;
use crate::faults::{SECRET, vote};
use topgg_testkit::INTEGRATION_SECRET;

/// Requests no HTTP client should send, or that break the routes' limits.
pub fn transport_attacks() -> Vec<(&'static str, Vec<u8>)> {
    let big = vec![b'x'; 70 * 1024];
    let vote = vote(3).to_string().into_bytes();
    let huge_header = format!("x-junk: {}", "j".repeat(1 << 20));
    let many_headers: Vec<String> = (0..500).map(|i| format!("x-h{i}: v")).collect();
    vec![
        ("a body over 64 KiB", signed(HOOK, SECRET, &big, &[])),
        (
            "a 10 MB content-length",
            raw::post(HOOK, &["content-length: 10000000".into()], &big),
        ),
        ("a 1 MB header", raw::post(HOOK, &[huge_header], b"")),
        ("500 headers", raw::post(HOOK, &many_headers, b"")),
        (
            "a negative content-length",
            raw::post(HOOK, &["content-length: -1".into()], b""),
        ),
        (
            "two different content-lengths",
            raw::post(
                HOOK,
                &["content-length: 1".into(), "content-length: 2".into()],
                b"ab",
            ),
        ),
        (
            "a bad chunk size",
            raw::post(HOOK, &["transfer-encoding: chunked".into()], b"zz\r\n"),
        ),
        ("not HTTP at all", b"GARBAGE GARBAGE\r\n\r\n".to_vec()),
        (
            "a NUL in the path",
            b"POST /topgg/webhooks/a\0b HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
        ),
        (
            "GET on the webhook route",
            b"GET /topgg/webhooks/conn-faults HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
        ),
        (
            "unknown connection",
            signed("/topgg/webhooks/nobody", SECRET, &vote, &[]),
        ),
        (
            "a 10 000 character connection id",
            signed(
                &format!("/topgg/webhooks/{}", "c".repeat(10_000)),
                SECRET,
                &vote,
                &[],
            ),
        ),
        (
            "an encoded path traversal",
            signed("/topgg/webhooks/..%2F..%2Fintegration", SECRET, &vote, &[]),
        ),
        (
            "handshake unsigned",
            raw::post(CONFIG_URL, &["content-length: 2".into()], b"{}"),
        ),
        (
            "handshake with the webhook secret",
            signed(CONFIG_URL, SECRET, b"{}", &[]),
        ),
        (
            "handshake without webhook_secret",
            signed(
                CONFIG_URL,
                INTEGRATION_SECRET,
                br#"{"type":"integration.create","data":{"connection_id":"x"}}"#,
                &[],
            ),
        ),
    ]
}

/// Requests whose client hangs up before sending all it announced: nothing to answer.
pub fn abandoned() -> Vec<Vec<u8>> {
    let vote = vote(4).to_string().into_bytes();
    let length = format!("content-length: {}", vote.len() + 50);
    let mut cut_head = raw::post(HOOK, std::slice::from_ref(&length), b"");
    cut_head.truncate(30);
    vec![
        signed(HOOK, SECRET, &vote, &[])[..200].to_vec(),
        raw::post(HOOK, &[length], &vote),
        cut_head,
    ]
}
