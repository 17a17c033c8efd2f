//! The `grep` command's handler (the talk's flowgrep): TCP streams whose
//! reassembled bytes match a regular expression.
//!
//! # How bytes are searched
//!
//! Each direction of each stream is searched on its own, as one continuous byte
//! string: segment boundaries, retransmissions and reordering are gone after
//! reassembly, so a match may span any number of segments. The pattern is a
//! [`regex::bytes::Regex`], built with Unicode off by default (`.` matches any
//! byte but `\n`, `\xff` is the byte 0xff; `(?u)` turns Unicode back on).
//!
//! Memory is bounded: a direction keeps at most `window` bytes already searched
//! (default [`WINDOW`], 64 KiB) plus `window / 4` new ones, and is searched each
//! time `window / 4` new bytes have arrived and when the stream ends. So every
//! match of at most `window` bytes is found, a longer one may be missed, and
//! each byte is searched about five times at most. With
//! [`eager`](Grepper::eager) (`--kill`, live captures) a direction is searched
//! as each segment's bytes arrive instead: the new bytes with up to `window`
//! bytes before them (so a match across segments is still found), at most
//! `window` plus the segment's bytes of work per segment. Matches do not overlap; a
//! match that reaches the end of the bytes seen so far is reported as it is
//! (`a+` may match `aa` and then, later, `a` again). Empty matches are not
//! reported.
//!
//! # Output
//!
//! One line per match, when its direction is searched:
//! `10.0.1.1:41001 - 10.0.1.2:80 c2s @4: index.html` (the stream's tuple, client
//! first; the direction; the offset of the match in that direction's bytes;
//! the matched bytes, control bytes escaped, cut after 80 bytes with `...`).
//! With JSON: `{"kind":"match","src":…,"sport":…,"dst":…,"dport":…,"dir":"c2s",
//! "offset":4,"length":10,"excerpt":"index.html","ts":…}`.

use std::io::Write;

use nids_core::{Handler, Side, Stream, TcpEvent, Tuple};
use regex::bytes::Regex;

use crate::output::Output;
use crate::text::{escape, json_str};

/// Default longest match, and bytes kept per direction: 64 KiB.
pub const WINDOW: usize = 64 * 1024;

/// Most bytes of a match shown in its excerpt.
pub const EXCERPT: usize = 80;

/// Builds a pattern the way `nids grep` does: Unicode off unless `(?u)`.
///
/// # Errors
/// The regex crate's message when the pattern is not valid or too big.
pub fn pattern(re: &str) -> Result<Regex, regex::Error> {
    pattern_with(re, false)
}

/// [`pattern`], letters matching either case when `ignore_case` (`grep -i`).
///
/// # Errors
/// As [`pattern`].
pub fn pattern_with(re: &str, ignore_case: bool) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(re)
        .unicode(false)
        .case_insensitive(ignore_case)
        .build()
}

/// What [`Grepper`] prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// One line per match (the default).
    Matches,
    /// `STREAM: N`, the number of matches, for each stream with one, when it
    /// ends (`grep -c`).
    Count,
    /// The stream, at its first match (`grep -l`).
    Streams,
}

/// One direction's search state.
#[derive(Default)]
struct Window {
    /// Bytes not yet dropped, starting at offset `start` of the direction.
    buf: Vec<u8>,
    start: u64,
    /// Offset where the next match may start (after the last match).
    next: u64,
    /// Bytes appended since the last search.
    fresh: usize,
}

/// Per-stream state of [`Grepper`].
#[derive(Default)]
pub struct Dirs {
    c2s: Window,
    s2c: Window,
    matches: u64,
}

/// Prints the matches of a pattern in every TCP stream. See the
/// [module docs](self).
pub struct Grepper<W: Write> {
    re: Regex,
    /// Where lines go.
    pub out: Output<W>,
    json: bool,
    window: usize,
    max_count: u64,
    /// Matches printed.
    pub matches: u64,
    /// Streams with at least one match.
    pub streams: u64,
    /// Reset streams that match (`--kill`): the engine builds the RST
    /// segments and hands them to `Handler::transmit`.
    pub kill: bool,
    /// Search each segment's bytes as they arrive (for `--kill`, and live
    /// output), rather than every `window / 4` bytes.
    pub eager: bool,
    /// What is printed.
    pub report: Report,
}

impl<W: Write> Grepper<W> {
    /// A grepper for `re`, keeping `window` bytes per direction (at least 16),
    /// printing at most `max_count` matches per stream (`u64::MAX`: all).
    pub fn new(re: Regex, out: W, json: bool, window: usize, max_count: u64) -> Self {
        Grepper {
            re,
            out: Output::new(out),
            json,
            window: window.max(16),
            max_count,
            matches: 0,
            streams: 0,
            kill: false,
            eager: false,
            report: Report::Matches,
        }
    }

    /// Searches the fresh bytes of `w` (with up to `window` bytes before them),
    /// prints the matches, then drops all but the last `window` bytes.
    fn search(
        &mut self,
        t: &Tuple,
        dir: &str,
        w: &mut Window,
        count: &mut u64,
        ts: nids_core::Instant,
    ) {
        let mut at = usize::try_from(w.next.saturating_sub(w.start)).unwrap_or(usize::MAX);
        let limit = match self.report {
            Report::Streams => 1,
            _ => self.max_count,
        };
        while *count < limit && at <= w.buf.len() {
            let Some(m) = self.re.find_at(&w.buf, at) else {
                break;
            };
            if m.is_empty() {
                // An empty match says nothing: skip it, and move on by a byte
                // so the loop ends.
                at = m.end() + 1;
                continue;
            }
            if *count == 0 {
                self.streams += 1;
            }
            *count += 1;
            self.matches += 1;
            let offset = w.start + m.start() as u64;
            let excerpt = escape(m.as_bytes(), EXCERPT);
            if self.report == Report::Streams {
                self.out.line(format_args!("{t}"));
            } else if self.report == Report::Count {
                // Printed when the stream ends.
            } else if self.json {
                self.out.line(format_args!(
                    "{{\"kind\":\"match\",\"src\":\"{}\",\"sport\":{},\"dst\":\"{}\",\"dport\":{},\"dir\":\"{dir}\",\"offset\":{offset},\"length\":{},\"excerpt\":{},\"ts\":{ts}}}",
                    t.src,
                    t.sport,
                    t.dst,
                    t.dport,
                    m.len(),
                    json_str(&excerpt)
                ));
            } else {
                self.out
                    .line(format_args!("{t} {dir} @{offset}: {excerpt}"));
            }
            at = m.end();
            w.next = w.start + at as u64;
        }
        w.fresh = 0;
        let drop = w.buf.len().saturating_sub(self.window);
        w.buf.drain(..drop);
        w.start += drop as u64;
    }
}

impl<W: Write> Handler<Dirs> for Grepper<W> {
    fn tcp(&mut self, s: &mut Stream<'_, '_, Dirs>) {
        match s.event() {
            TcpEvent::JustEstablished => {
                s.client_mut().collect = true;
                s.server_mut().collect = true;
                *s.user() = Some(Dirs::default());
            }
            TcpEvent::Data => {
                let Some(mut d) = s.user().take() else { return };
                let (w, dir) = match s.side() {
                    Some(Side::Server) => (&mut d.c2s, "c2s"),
                    Some(Side::Client) => (&mut d.s2c, "s2c"),
                    None => {
                        *s.user() = Some(d);
                        return;
                    }
                };
                if d.matches < self.max_count {
                    let new = s.new_data();
                    w.buf.extend_from_slice(new);
                    w.fresh += new.len();
                    if w.fresh >= self.window / 4 || (self.eager && w.fresh > 0) {
                        let t = *s.tuple();
                        let before = d.matches;
                        self.search(&t, dir, w, &mut d.matches, s.ts());
                        if self.kill && d.matches > before {
                            s.kill();
                        }
                    }
                }
                *s.user() = Some(d);
            }
            _end => {
                let t = *s.tuple();
                let ts = s.ts();
                let Some(mut d) = s.user().take() else { return };
                let Dirs { c2s, s2c, matches } = &mut d;
                // The direction with the earlier pending bytes first would need
                // times per byte; client to server first is stable and simple.
                if c2s.fresh > 0 {
                    self.search(&t, "c2s", c2s, matches, ts);
                }
                if s2c.fresh > 0 {
                    self.search(&t, "s2c", s2c, matches, ts);
                }
                if self.report == Report::Count && *matches > 0 {
                    self.out.line(format_args!("{t}: {matches}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks` to one direction's window as the handler would, with a
    /// final search, and returns the (offset, bytes) of the matches.
    fn matches(re: &str, window: usize, chunks: &[&[u8]]) -> Vec<(u64, Vec<u8>)> {
        let mut g = Grepper::new(pattern(re).unwrap(), Vec::new(), true, window, u64::MAX);
        let t = Tuple {
            src: "10.0.0.1".parse().unwrap(),
            sport: 1,
            dst: "10.0.0.2".parse().unwrap(),
            dport: 2,
            tunnel: nids_core::tunnel::TunnelId::NONE,
        };
        let mut w = Window::default();
        let mut count = 0;
        let ts = nids_core::Instant::ZERO;
        for c in chunks {
            w.buf.extend_from_slice(c);
            w.fresh += c.len();
            if w.fresh >= g.window / 4 {
                g.search(&t, "c2s", &mut w, &mut count, ts);
            }
            assert!(w.buf.len() <= g.window + g.window / 4 + c.len());
        }
        g.search(&t, "c2s", &mut w, &mut count, ts);
        let out = String::from_utf8(g.out.w).unwrap();
        out.lines()
            .map(|l| {
                let v: Vec<&str> = l.split("\"offset\":").collect();
                let off: u64 = v[1].split(',').next().unwrap().parse().unwrap();
                let len: usize = l
                    .split("\"length\":")
                    .nth(1)
                    .unwrap()
                    .split(',')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                (off, vec![0; len])
            })
            .collect()
    }

    #[test]
    fn test_match_across_chunks() {
        let m = matches("secret", 64, &[b"xxse", b"c", b"ret yy secret"]);
        assert_eq!(m.iter().map(|m| m.0).collect::<Vec<_>>(), [2, 12]);
    }

    #[test]
    fn test_each_match_once_over_many_searches() {
        // 100 chunks of 10 bytes, window 16: searched every 4 bytes.
        let chunk = b"abcXYZdefg";
        let chunks: Vec<&[u8]> = (0..100).map(|_| &chunk[..]).collect();
        let m = matches("XYZ", 16, &chunks);
        let offs: Vec<u64> = m.iter().map(|m| m.0).collect();
        assert_eq!(offs, (0..100).map(|i| i * 10 + 3).collect::<Vec<_>>());
    }

    #[test]
    fn test_match_as_long_as_the_window() {
        let long = [b'z'; 64];
        let m = matches("z{64}", 64, &[b"aaaa", &long[..20], &long[20..], b"b"]);
        assert_eq!(m, [(4, vec![0; 64])]);
    }

    #[test]
    fn test_empty_matches_end() {
        assert_eq!(matches("x*", 16, &[b"ab"]), []);
        assert_eq!(matches("x*", 16, &[b"axxb"]), [(1, vec![0; 2])]);
    }

    #[test]
    fn test_bytes_not_unicode() {
        let m = matches(r"\xff.\x00", 64, &[b"\x01\xff\x80\x00"]);
        assert_eq!(m, [(1, vec![0; 3])]);
        assert!(pattern("(").is_err());
    }
}
