//! Sequence-number comparisons modulo 2³², as in libnids (`before`/`after`).

/// `a` comes before `b` (mod 2³²).
pub const fn before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a` comes after `b` (mod 2³²).
pub const fn after(a: u32, b: u32) -> bool {
    before(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_wrap() {
        assert!(before(u32::MAX - 5, 3));
        assert!(after(3, u32::MAX - 5));
        assert!(!before(7, 7) && !after(7, 7));
    }
}
