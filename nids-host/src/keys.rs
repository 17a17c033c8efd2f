//! A random flow-hash key per engine.

/// A fresh random key for [`nids_core::Config::hash_key`], from the operating
/// system (`getrandom`), so an attacker who knows the program cannot aim flow
/// tuples at one hash bucket. Every engine a host program builds should get
/// one; if the system has no randomness to give, the key mixes the clock and
/// the process id instead (never the fixed default).
pub fn random_hash_key() -> (u64, u64) {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        b[..16].copy_from_slice(&(t ^ (u128::from(std::process::id()) << 64)).to_le_bytes());
    }
    let (lo, hi) = b.split_at(8);
    (
        u64::from_le_bytes(lo.try_into().unwrap_or([0; 8])),
        u64::from_le_bytes(hi.try_into().unwrap_or([0; 8])),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_keys_differ_per_engine() {
        let (a, b) = (random_hash_key(), random_hash_key());
        assert_ne!(a, b);
        assert_ne!(a, nids_core::Config::new().hash_key);
    }
}
