//! Random keys per engine: the flow hash (and the scan detector's source
//! hash, derived from it) and the defragmentation host hash.

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

/// Gives `config` fresh random keys: [`nids_core::Config::hash_key`] (the
/// flow hash, and the scan detector's key derived from it) and the
/// defragmentation seed (`defrag.seed`). Every front end calls it on every
/// engine it builds (the C library, the Python module, the `nids` command
/// and its shards); `Config::new()`'s keys are fixed and public, for tests.
pub fn randomize(config: &mut nids_core::Config<'_>) {
    config.hash_key = random_hash_key();
    config.defrag.seed = random_hash_key();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_randomize_gives_each_engine_its_keys() {
        let (mut a, mut b) = (nids_core::Config::new(), nids_core::Config::new());
        randomize(&mut a);
        randomize(&mut b);
        let fixed = nids_core::Config::new();
        assert_ne!(a.hash_key, b.hash_key);
        assert_ne!(a.defrag.seed, b.defrag.seed);
        assert_ne!(a.defrag.seed, fixed.defrag.seed);
        let scan = nids_core::engine::scan_key;
        assert_ne!(scan(a.hash_key), scan(b.hash_key));
        assert_ne!(scan(a.hash_key), scan(fixed.hash_key));
    }

    #[test]
    fn test_keys_differ_per_engine() {
        let (a, b) = (random_hash_key(), random_hash_key());
        assert_ne!(a, b);
        assert_ne!(a, nids_core::Config::new().hash_key);
    }
}
