//! Rate-limit buckets that Discord told to rest, and until when (on the app's clock).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::discord::Bucket;
use crate::domain::time::Timestamp;

/// Buckets resting until a moment; a bucket whose moment has passed is not resting.
#[derive(Debug, Default)]
pub struct Resting {
    until: Mutex<HashMap<Bucket, Timestamp>>,
}

impl Resting {
    /// When `bucket` may be used again, if it is resting at `now`.
    pub fn until(&self, bucket: &Bucket, now: Timestamp) -> Option<Timestamp> {
        let until = self.until.lock().expect("bucket map poisoned");
        until.get(bucket).copied().filter(|until| *until > now)
    }

    /// Rests `bucket` until `until`, forgetting buckets whose rest is over.
    pub fn rest(&self, bucket: &Bucket, until: Timestamp, now: Timestamp) {
        let mut resting = self.until.lock().expect("bucket map poisoned");
        resting.retain(|_, t| *t > now);
        resting.insert(bucket.clone(), until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::HOUR;

    #[test]
    fn a_bucket_rests_until_its_moment_and_not_after() {
        let resting = Resting::default();
        let now = Timestamp::from_millis(1_000);
        let channel = Bucket::ChannelMessages(5.into());
        resting.rest(&channel, now + HOUR, now);
        assert_eq!(resting.until(&channel, now), Some(now + HOUR));
        assert_eq!(resting.until(&Bucket::MemberRoles(5.into()), now), None);
        assert_eq!(resting.until(&channel, now + HOUR), None);
    }
}
