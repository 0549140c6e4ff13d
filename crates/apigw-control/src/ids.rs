//! AWS-looking random identifiers (lowercase letters and digits), from std's randomly keyed
//! SipHash: not cryptographic, unique enough for identifiers (collisions are checked by the
//! caller).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random id of `len` characters from `[a-z0-9]`.
pub(crate) fn random_id(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let mut x = h.finish();
        // 12 base-36 digits fit in 64 bits with a negligible bias.
        for _ in 0..12 {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[(x % 36) as usize]));
            x /= 36;
        }
    }
    out
}

/// A random id not accepted by `taken`.
pub(crate) fn fresh_id(len: usize, taken: impl Fn(&str) -> bool) -> String {
    loop {
        let id = random_id(len);
        if !taken(&id) {
            return id;
        }
    }
}

/// A request id in UUID form (`x-amzn-RequestId`).
pub(crate) fn request_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let a = h.finish();
    h.write_u64(a);
    let b = h.finish();
    let bytes: Vec<u8> = a.to_le_bytes().into_iter().chain(b.to_le_bytes()).collect();
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(byte >> 4)]));
        s.push(char::from(HEX[usize::from(byte & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_look_like_aws() {
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let id = random_id(10);
            assert_eq!(id.len(), 10);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            );
            assert!(seen.insert(id), "duplicate id");
        }
        assert_eq!(random_id(6).len(), 6);
        assert_eq!(random_id(30).len(), 30);
    }

    #[test]
    fn fresh_avoids_taken() {
        let first = random_id(1);
        let id = fresh_id(1, |c| c == first);
        assert_ne!(id, first);
    }

    #[test]
    fn request_ids_are_uuid_shaped() {
        let r = request_id();
        assert_eq!(r.len(), 36);
        assert_eq!(r.matches('-').count(), 4);
    }
}
