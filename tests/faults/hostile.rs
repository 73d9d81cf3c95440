//! Fifty malformed and hostile requests: each gets a 4xx, and the process stays healthy.
//! Signature and payload attacks are here; framing and size attacks in `transport`.

use std::time::Duration;

use chrono::Utc;
use topgg_bot::domain::signature;

use crate::faults::raw;
use crate::faults::transport::{abandoned, transport_attacks};
use crate::faults::{CONNECTION, SECRET, vote};
use topgg_testkit::bounded;
use topgg_testkit::{Backend, INTEGRATION_SECRET, OWNER_ID, TestApp, integration_create};

pub const HOOK: &str = "/topgg/webhooks/conn-faults";
pub const CONFIG_URL: &str = "/topgg/integration";

fn now() -> i64 {
    Utc::now().timestamp()
}

/// A signed POST to `path`, with extra head lines.
pub fn signed(path: &str, secret: &str, body: &[u8], extra: &[&str]) -> Vec<u8> {
    let mut head = vec![
        format!(
            "x-topgg-signature: {}",
            signature::sign(secret, now(), body)
        ),
        "content-type: application/json".to_string(),
        format!("content-length: {}", body.len()),
    ];
    head.extend(extra.iter().map(|s| s.to_string()));
    raw::post(path, &head, body)
}

/// A POST to the webhook with this signature header value (raw bytes allowed).
fn with_signature(value: &[u8], body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "POST {HOOK} HTTP/1.1\r\nhost: t\r\ncontent-length: {}\r\nx-topgg-signature: ",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(value);
    bytes.extend_from_slice(b"\r\n\r\n");
    bytes.extend_from_slice(body);
    bytes
}

/// A valid vote body with `from` replaced by `to` (signed correctly by the caller).
fn vote_with(from: &str, to: &str) -> Vec<u8> {
    let body = vote(0).to_string();
    assert!(body.contains(from), "{from} not in {body}");
    body.replacen(from, to, 1).into_bytes()
}

fn signature_attacks() -> Vec<(&'static str, Vec<u8>)> {
    let body = vote(1).to_string().into_bytes();
    let good = signature::sign(SECRET, now(), &body);
    let v1 = good.split_once(",v1=").unwrap().1.to_string();
    let parts = |n: usize, part: &str| vec![part; n].join(",");
    vec![
        (
            "no signature",
            raw::post(HOOK, &[format!("content-length: {}", body.len())], &body),
        ),
        ("empty signature", with_signature(b"", &body)),
        ("empty parts", with_signature(b"t=,v1=", &body)),
        ("no equals signs", with_signature(b"t,v1", &body)),
        (
            "10 000 unknown parts",
            with_signature(parts(10_000, "a=b").as_bytes(), &body),
        ),
        (
            "2 000 t parts",
            with_signature(parts(2_000, "t=1").as_bytes(), &body),
        ),
        (
            "invalid UTF-8 in the header",
            with_signature(b"t=\xff\xfe,v1=\xc0\xaf", &body),
        ),
        (
            "negative timestamp",
            with_signature(format!("t=-1,v1={v1}").as_bytes(), &body),
        ),
        (
            "huge timestamp",
            with_signature(
                format!("t=99999999999999999999999,v1={v1}").as_bytes(),
                &body,
            ),
        ),
        (
            "stale timestamp",
            with_signature(
                signature::sign(SECRET, now() - 3600, &body).as_bytes(),
                &body,
            ),
        ),
        (
            "future timestamp",
            with_signature(
                signature::sign(SECRET, now() + 3600, &body).as_bytes(),
                &body,
            ),
        ),
        (
            "wrong secret",
            with_signature(signature::sign("whs_wrong", now(), &body).as_bytes(), &body),
        ),
        (
            "odd-length hex",
            with_signature(format!("t={},v1={}", now(), &v1[1..]).as_bytes(), &body),
        ),
        (
            "non-hex mac",
            with_signature(
                format!("t={},v1={}", now(), "zz".repeat(32)).as_bytes(),
                &body,
            ),
        ),
        (
            "100 KB mac",
            with_signature(
                format!("t={},v1={}", now(), "ab".repeat(50_000)).as_bytes(),
                &body,
            ),
        ),
        (
            "signature of another body",
            with_signature(good.as_bytes(), &vote(2).to_string().into_bytes()),
        ),
        (
            "a form body, wrong content type, unsigned",
            raw::post(
                HOOK,
                &[
                    "content-type: application/x-www-form-urlencoded".into(),
                    "content-length: 3".into(),
                ],
                b"a=b",
            ),
        ),
    ]
}

fn payload_attacks() -> Vec<(&'static str, Vec<u8>)> {
    let hook = |body: &[u8]| signed(HOOK, SECRET, body, &[]);
    let deep_array = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let deep_data = format!(
        r#"{{"type":"vote.create","data":{}1{}}}"#,
        r#"{"a":"#.repeat(5_000),
        "}".repeat(5_000)
    );
    vec![
        ("not JSON", hook(b"hello")),
        (
            "invalid UTF-8 body",
            hook(b"{\"type\":\"vote.create\",\"data\":\"\xff\xfe\"}"),
        ),
        ("JSON null", hook(b"null")),
        ("a JSON array", hook(b"[1,2,3]")),
        ("20 000 nested arrays", hook(deep_array.as_bytes())),
        ("5 000 nested objects in data", hook(deep_data.as_bytes())),
        ("type is a number", hook(br#"{"type":5,"data":{}}"#)),
        ("no type", hook(br#"{"data":{}}"#)),
        (
            "vote id is a number",
            hook(&vote_with(
                r#""id":"fault-vote-0""#,
                r#""id":123456789012345678901234567890"#,
            )),
        ),
        (
            "voter id is a float",
            hook(&vote_with(
                r#""platform_id":"1700000000000000000""#,
                r#""platform_id":1e400"#,
            )),
        ),
        (
            "user is a string",
            hook(&vote_with(r#""user":{"#, r#""user":"x","u":{"#)),
        ),
        (
            "weight is a string",
            hook(&vote_with(r#""weight":1"#, r#""weight":"heavy""#)),
        ),
        (
            "created_at is not a date",
            hook(&vote_with(
                r#""created_at":""#,
                r#""created_at":"yesterday","x":""#,
            )),
        ),
        ("data is missing", hook(br#"{"type":"vote.create"}"#)),
        (
            "truncated JSON",
            hook(&vote(0).to_string().into_bytes()[..100]),
        ),
        (
            "trailing garbage",
            hook(format!("{} {{", vote(0)).as_bytes()),
        ),
        (
            "a lone surrogate escape",
            hook(&vote_with(r#""name":"voter""#, r#""name":"\ud800""#)),
        ),
        (
            "project is an array",
            hook(&vote_with(r#""project":{"#, r#""project":[],"p":{"#)),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_hostile_requests_get_4xx_or_become_dead_letters_and_the_process_stays_healthy() {
    bounded(Duration::from_secs(120), async {
        let app = TestApp::start(Backend::Sqlite).await.unwrap();
        let create = integration_create(
            CONNECTION,
            SECRET,
            &topgg_testkit::server_project("1100000000000000001"),
            OWNER_ID,
        );
        assert_eq!(
            app.post_signed(CONFIG_URL, INTEGRATION_SECRET, &create)
                .await
                .0,
            200
        );
        let attacks: Vec<_> = [signature_attacks(), transport_attacks()].concat();
        let payloads = payload_attacks();
        assert!(
            attacks.len() + payloads.len() >= 50,
            "only {} requests",
            attacks.len() + payloads.len()
        );
        let mut wrong = Vec::new();
        for (name, bytes) in &attacks {
            let status = raw::status_of(&app.base, bytes, false).await;
            if !(400..500).contains(&status) {
                wrong.push(format!("{name}: {status}"));
            }
        }
        assert!(wrong.is_empty(), "answered other than 4xx: {wrong:?}");
        // Correctly signed but unreadable: kept as dead letters and answered 202.
        for (name, bytes) in &payloads {
            let status = raw::status_of(&app.base, bytes, false).await;
            if status != 202 {
                wrong.push(format!("{name}: {status}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "signed payloads answered other than 202: {wrong:?}"
        );
        let letters = app.db.dead_letters().await.unwrap();
        assert_eq!(letters.len(), payloads.len());
        for bytes in abandoned() {
            let status = raw::status_of(&app.base, &bytes, true).await;
            assert!(status == 0 || (400..500).contains(&status), "{status}");
        }
        let health = app
            .client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        assert_eq!(app.webhook(CONNECTION, SECRET, &vote(9)).await.0, 204);
        assert_eq!(
            app.db
                .vote_count(&CONNECTION.parse().unwrap())
                .await
                .unwrap(),
            1,
            "only the good vote is stored"
        );
        app.stop().await;
    })
    .await;
}
