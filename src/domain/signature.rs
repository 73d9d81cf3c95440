//! Top.gg v1 signatures: `x-topgg-signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.
//!
//! The HMAC covers `t + "." + raw_body`, keyed by the whole secret string. Pure code: the
//! caller passes the current time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was not accepted. The messages are safe to show to the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing x-topgg-signature header")]
    Missing,
    #[error("malformed x-topgg-signature header")]
    Malformed,
    #[error("signature timestamp outside the tolerance window")]
    Stale,
    #[error("signature does not match")]
    Mismatch,
}

/// At most this many `v1=` parts are checked: a rotation sends two, and each part costs an
/// HMAC, so a header stuffed with hundreds is refused as malformed.
pub const MAX_V1_PARTS: usize = 8;

/// The parts of a parsed `x-topgg-signature` header: its time and every `v1=` MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub macs: Vec<Vec<u8>>,
}

impl SignatureHeader {
    /// Parses `t=<digits>,v1=<hex>[,v1=<hex>...]`; parts may come in any order, unknown
    /// parts are ignored.
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut macs = Vec::new();
        for part in header.split(',') {
            let (key, value) = part
                .trim()
                .split_once('=')
                .ok_or(SignatureError::Malformed)?;
            match key {
                "t" => timestamp = Some(parse_timestamp(value)?),
                "v1" if macs.len() < MAX_V1_PARTS => {
                    macs.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?)
                }
                "v1" => return Err(SignatureError::Malformed),
                _ => {}
            }
        }
        match timestamp {
            Some(timestamp) if !macs.is_empty() => Ok(Self { timestamp, macs }),
            _ => Err(SignatureError::Malformed),
        }
    }

    /// The first half of a check, which needs no secret (so it runs before any lookup): the
    /// header is present, well formed, and its time within `tolerance_secs` of `now`.
    pub fn fresh(
        header: Option<&str>,
        now: i64,
        tolerance_secs: u64,
    ) -> Result<Self, SignatureError> {
        let header = Self::parse(header.ok_or(SignatureError::Missing)?)?;
        if now.abs_diff(header.timestamp) > tolerance_secs {
            return Err(SignatureError::Stale);
        }
        Ok(header)
    }

    /// The second half: the first `v1` MAC that `secret` makes for `body` (compared in
    /// constant time), or [`SignatureError::Mismatch`] when none does. An empty secret (a
    /// `/topgg webhook` connection whose secret is not set yet) matches nothing: anyone can
    /// compute an HMAC with an empty key.
    pub fn matching_mac(&self, body: &[u8], secret: &str) -> Result<&[u8], SignatureError> {
        if secret.is_empty() {
            return Err(SignatureError::Mismatch);
        }
        let expected = mac_for(secret, self.timestamp, body);
        self.macs
            .iter()
            .find(|mac| expected.clone().verify_slice(mac).is_ok())
            .map(Vec::as_slice)
            .ok_or(SignatureError::Mismatch)
    }
}

fn parse_timestamp(value: &str) -> Result<i64, SignatureError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed);
    }
    value.parse().map_err(|_| SignatureError::Malformed)
}

/// Checks a delivery in one go: [`SignatureHeader::fresh`], then
/// [`SignatureHeader::matching_mac`].
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    SignatureHeader::fresh(header, now, tolerance_secs)?
        .matching_mac(body, secret)
        .map(|_| ())
}

/// The header value Top.gg would send for `body` at time `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = mac_for(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(mac))
}

fn mac_for(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whs_abcd";
    const T: i64 = 1770598034;
    const BODY: &str = r#"{"type":"webhook.test","data":{"user":{"id":"1","platform_id":"2","name":"u","avatar_url":"a"},"project":{"id":"3","type":"bot","platform":"discord","platform_id":"4"}}}"#;
    const V1: &str = "c6d00bb8f6af8053115b5f607714b4beef73e8ec097001651bf76f23fa14e141";

    fn check(header: &str, body: &str, now: i64) -> Result<(), SignatureError> {
        verify(Some(header), body.as_bytes(), SECRET, now, 300)
    }

    #[test]
    fn the_spec_test_vector_is_accepted() {
        assert_eq!(check(&format!("t={T},v1={V1}"), BODY, T), Ok(()));
    }

    #[test]
    fn signing_reproduces_the_test_vector() {
        assert_eq!(sign(SECRET, T, BODY.as_bytes()), format!("t={T},v1={V1}"));
    }

    #[test]
    fn a_body_signed_with_an_empty_secret_matches_no_empty_secret() {
        let header = sign("", T, BODY.as_bytes());
        let result = verify(Some(&header), BODY.as_bytes(), "", T, 300);
        assert_eq!(result, Err(SignatureError::Mismatch));
    }

    #[test]
    fn upper_case_hex_is_accepted() {
        let header = format!("t={T},v1={}", V1.to_uppercase());
        assert_eq!(check(&header, BODY, T), Ok(()));
    }

    #[test]
    fn parts_in_another_order_with_spaces_and_extras_are_accepted() {
        let header = format!("v1={V1}, t={T},v0=ignored");
        assert_eq!(check(&header, BODY, T), Ok(()));
    }

    #[test]
    fn a_missing_header_is_rejected() {
        assert_eq!(
            verify(None, BODY.as_bytes(), SECRET, T, 300),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn a_header_without_v1_or_t_is_malformed() {
        assert_eq!(
            check(&format!("t={T}"), BODY, T),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(&format!("v1={V1}"), BODY, T),
            Err(SignatureError::Malformed)
        );
        assert_eq!(check("garbage", BODY, T), Err(SignatureError::Malformed));
        assert_eq!(check("", BODY, T), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_non_numeric_timestamp_is_malformed() {
        for t in ["abc", "-5", "+5", "1e9", "99999999999999999999999"] {
            let header = format!("t={t},v1={V1}");
            assert_eq!(
                check(&header, BODY, T),
                Err(SignatureError::Malformed),
                "{t}"
            );
        }
    }

    #[test]
    fn bad_hex_is_malformed() {
        let header = format!("t={T},v1=zz{}", &V1[2..]);
        assert_eq!(check(&header, BODY, T), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_stale_timestamp_is_rejected() {
        let header = format!("t={T},v1={V1}");
        assert_eq!(check(&header, BODY, T + 301), Err(SignatureError::Stale));
        assert_eq!(check(&header, BODY, T + 300), Ok(()));
    }

    #[test]
    fn a_future_timestamp_is_rejected() {
        let header = format!("t={T},v1={V1}");
        assert_eq!(check(&header, BODY, T - 301), Err(SignatureError::Stale));
    }

    #[test]
    fn a_body_changed_by_one_byte_is_rejected() {
        let header = format!("t={T},v1={V1}");
        let changed = BODY.replacen("\"u\"", "\"v\"", 1);
        assert_eq!(check(&header, &changed, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn the_wrong_secret_is_rejected() {
        let header = format!("t={T},v1={V1}");
        assert_eq!(
            verify(Some(&header), BODY.as_bytes(), "whs_abce", T, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_one_of_several_v1_parts_matching_is_accepted() {
        let other = "ab".repeat(32);
        for header in [
            format!("t={T},v1={other},v1={V1}"),
            format!("t={T},v1={V1},v1={other}"),
        ] {
            assert_eq!(check(&header, BODY, T), Ok(()), "{header}");
        }
        let none = format!("t={T},v1={other},v1={}", "cd".repeat(32));
        assert_eq!(check(&none, BODY, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn the_matching_part_is_the_one_returned() {
        let header = SignatureHeader::parse(&format!("t={T},v1=00,v1={V1}")).unwrap();
        let mac = header.matching_mac(BODY.as_bytes(), SECRET).unwrap();
        assert_eq!(hex::encode(mac), V1);
    }

    #[test]
    fn more_v1_parts_than_the_limit_are_malformed() {
        let parts = vec![format!("v1={V1}"); MAX_V1_PARTS + 1].join(",");
        assert_eq!(
            check(&format!("t={T},{parts}"), BODY, T),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn freshness_is_checked_without_a_secret() {
        let header = format!("t={T},v1={V1}");
        assert!(SignatureHeader::fresh(Some(&header), T + 300, 300).is_ok());
        assert_eq!(
            SignatureHeader::fresh(Some(&header), T + 301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            SignatureHeader::fresh(None, T, 300),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn a_truncated_mac_is_rejected() {
        let header = format!("t={T},v1={}", &V1[..32]);
        assert_eq!(check(&header, BODY, T), Err(SignatureError::Mismatch));
    }
}
