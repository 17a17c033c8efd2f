//! Text helpers shared by the commands: printable excerpts of captured bytes and
//! JSON string literals.

use std::fmt::Write as _;

/// Bytes as printable ASCII: printable characters as they are, `\\` for a
/// backslash, `\r`, `\n`, `\t`, and `\xNN` for every other byte (control bytes,
/// DEL, and everything above 0x7f). At most `max` input bytes are shown; a
/// longer input ends with `...`. O(`max`).
///
/// ```
/// assert_eq!(nids_host::text::escape(b"ok\x00\r\n\xff\\", 80), r"ok\x00\r\n\xff\\");
/// assert_eq!(nids_host::text::escape(b"abcdef", 3), "abc...");
/// ```
pub fn escape(bytes: &[u8], max: usize) -> String {
    let mut s = String::with_capacity(bytes.len().min(max) + 3);
    for &b in bytes.iter().take(max) {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    if bytes.len() > max {
        s.push_str("...");
    }
    s
}

/// `s` as a JSON string literal, quotes included (RFC 8259 escapes).
///
/// ```
/// assert_eq!(nids_host::text::json_str("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
/// ```
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A time in seconds since the Unix epoch as UTC calendar fields: year,
/// month (1-12), day (1-31), hour, minute, second (proleptic Gregorian).
///
/// ```
/// assert_eq!(nids_host::text::utc(1_700_000_000), (2023, 11, 14, 22, 13, 20));
/// assert_eq!(nids_host::text::utc(0), (1970, 1, 1, 0, 0, 0));
/// ```
pub fn utc(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem / 60 % 60) as u32,
        (rem % 60) as u32,
    )
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_escape_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let e = escape(&all, 256);
        assert!(e.is_ascii());
        assert!(e.chars().all(|c| (' '..='~').contains(&c)));
        assert!(e.contains(" !\"#"));
        assert!(e.ends_with("\\xfd\\xfe\\xff"));
    }

    #[test]
    fn test_escape_cut() {
        assert_eq!(escape(b"", 0), "");
        assert_eq!(escape(b"a", 0), "...");
        assert_eq!(escape(b"\n\n", 1), "\\n...");
    }

    #[test]
    fn test_hex() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
    }
}
