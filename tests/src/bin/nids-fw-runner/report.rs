//! The firmware's defmt log, decoded with the `defmt-decoder` crate from the
//! ELF's own table, turned into the lines the runner prints and checks.
//!
//! The firmware logs (see nids-embedded-example's `app.rs` and `tap.rs`):
//! `READY …`, `tcp …` per stream, `warning CODE at US` (the first of each
//! kind), `stats [..]`, `firmware key=value …`, `DONE`, and `PANIC …` at the
//! error level. Each decodes to a [`Message`].

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use defmt_decoder::{DecodeError, Table};
use defmt_parser::Fragment;
use nids_core::{Instant, Stats, TcpEvent, Tuple};
use nids_host::streams::Record;

/// One decoded message.
#[derive(Debug, Clone)]
pub struct Message {
    /// `ERROR`, `WARN`, … or `PRINT` for `defmt::println!`.
    pub level: String,
    /// The message as defmt-print would show it.
    pub text: String,
    /// Each argument as displayed, in order.
    pub args: Vec<String>,
}

/// Decode the defmt stream from `input` until EOF, calling `each` per message.
/// Fails on a malformed frame or an ELF without defmt data.
pub fn decode(
    elf: &[u8],
    mut input: impl Read,
    mut each: impl FnMut(Message),
) -> Result<(), String> {
    let table = Table::parse(elf)
        .map_err(|e| format!("defmt table: {e}"))?
        .ok_or("the firmware ELF has no defmt data")?;
    let mut decoder = table.new_stream_decoder();
    let mut buf = [0u8; 4096];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("reading QEMU's output: {e}")),
        };
        decoder.received(&buf[..n]);
        loop {
            match decoder.decode() {
                Ok(frame) => {
                    let args = frame
                        .fragments()
                        .into_iter()
                        .zip(frame.display_fragments())
                        .filter(|(f, _)| matches!(f, Fragment::Parameter(_)))
                        .map(|(_, s)| s)
                        .collect();
                    each(Message {
                        level: frame
                            .level()
                            .map_or("PRINT".to_owned(), |l| l.as_str().to_uppercase()),
                        text: frame.display_message().to_string(),
                        args,
                    });
                }
                Err(DecodeError::UnexpectedEof) => break,
                Err(DecodeError::Malformed) => {
                    return Err("malformed defmt frame in QEMU's output".into())
                }
            }
        }
    }
}

/// `[1, 2, 3]` (a defmt slice as displayed) as numbers.
fn numbers(s: &str) -> Result<Vec<u64>, String> {
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| format!("not a list: {s}"))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|x| {
            x.trim()
                .parse()
                .map_err(|_| format!("not a number: {x:?} in {s}"))
        })
        .collect()
}

fn bytes(s: &str) -> Result<Vec<u8>, String> {
    numbers(s)?
        .into_iter()
        .map(|n| u8::try_from(n).map_err(|_| format!("not a byte: {n} in {s}")))
        .collect()
}

fn number(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}

fn address(s: &str) -> Result<IpAddr, String> {
    let b = bytes(s)?;
    match b.len() {
        4 => Ok(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        16 => Ok(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap()))),
        n => Err(format!("an address of {n} bytes: {s}")),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stream end by its name (`close`, `reset`, …).
fn end_event(name: &str) -> Result<TcpEvent, String> {
    [
        TcpEvent::Close,
        TcpEvent::Reset,
        TcpEvent::TimedOut,
        TcpEvent::Exiting,
    ]
    .into_iter()
    .find(|e| e.name() == name)
    .ok_or_else(|| format!("unknown stream end {name:?}"))
}

/// A `tcp …` summary as the line `nids streams --json` prints for it.
pub fn stream_line(args: &[String]) -> Result<String, String> {
    let [src, sport, dst, dport, end, c2s, hc, s2c, hs, first, last] = args else {
        return Err(format!("a tcp summary with {} arguments", args.len()));
    };
    let r = Record {
        tuple: Tuple {
            src: address(src)?,
            sport: number(sport)? as u16,
            dst: address(dst)?,
            dport: number(dport)? as u16,
            tunnel: nids_core::TunnelId::NONE,
        },
        end: end_event(end)?,
        c2s_bytes: number(c2s)?,
        c2s_sha256: hex(&bytes(hc)?),
        s2c_bytes: number(s2c)?,
        s2c_sha256: hex(&bytes(hs)?),
        first_ts: Instant::from_micros(number(first)?),
        last_ts: Instant::from_micros(number(last)?),
    };
    Ok(format!("{{{}}}", r.json_members()))
}

/// The engine's counters as one JSON line: `{"kind":"stats", <every traffic
/// counter in declaration order>, "warnings":{<code>: <count>, … nonzero only}}`,
/// from `(name, value)` pairs in `Stats::counters()` order.
pub fn stats_json(counters: impl Iterator<Item = (&'static str, u64)>) -> String {
    let mut o = String::from("{\"kind\":\"stats\"");
    let mut warnings = Vec::new();
    for (i, (name, n)) in counters.enumerate() {
        if i < Stats::NAMES.len() {
            o.push_str(&format!(",\"{name}\":{n}"));
        } else if n > 0 {
            warnings.push(format!("\"{name}\":{n}"));
        }
    }
    o.push_str(&format!(",\"warnings\":{{{}}}}}", warnings.join(",")));
    o
}

/// A `stats [..]` message (values in `Stats::counters()` order) as a JSON line.
pub fn stats_line(args: &[String]) -> Result<String, String> {
    let [values] = args else {
        return Err("a stats message without its one list".into());
    };
    let values = numbers(values)?;
    let names: Vec<&'static str> = Stats::new().counters().map(|(n, _)| n).collect();
    if values.len() != names.len() {
        return Err(format!(
            "{} counters from the firmware, {} in this nids-core",
            values.len(),
            names.len()
        ));
    }
    Ok(stats_json(names.into_iter().zip(values)))
}

/// A `firmware key=value …` message as `{"kind":"firmware","key":value,…}`
/// (numbers as numbers, the rest as strings).
pub fn firmware_line(text: &str) -> Result<String, String> {
    let mut o = String::from("{\"kind\":\"firmware\"");
    for kv in text.split_whitespace().skip(1) {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("not key=value: {kv:?}"))?;
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            o.push_str(&format!(",\"{k}\":{v}"));
        } else {
            o.push_str(&format!(",\"{k}\":\"{v}\""));
        }
    }
    o.push('}');
    Ok(o)
}

/// A `warning CODE at US` message as `{"kind":"warning","code":…,"ts":…}`.
pub fn warning_line(args: &[String]) -> Result<String, String> {
    let [code, us] = args else {
        return Err("a warning message without code and time".into());
    };
    Ok(format!(
        "{{\"kind\":\"warning\",\"code\":\"{code}\",\"ts\":{}}}",
        Instant::from_micros(number(us)?)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_addresses() {
        assert_eq!(numbers("[1, 2, 300]").unwrap(), vec![1, 2, 300]);
        assert_eq!(numbers("[]").unwrap(), Vec::<u64>::new());
        assert!(bytes("[1, 256]").is_err());
        assert_eq!(address("[10, 0, 0, 1]").unwrap().to_string(), "10.0.0.1");
        let v6 = format!(
            "[{}]",
            [0u8, 0x20, 0x01, 0x0d, 0xb8]
                .iter()
                .chain(&[0u8; 11])
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert!(address(&v6).unwrap().is_ipv6());
        assert!(address("[1, 2, 3]").is_err());
    }

    #[test]
    fn firmware_key_values() {
        assert_eq!(
            firmware_line("firmware board=mps2-an385 streams=16").unwrap(),
            r#"{"kind":"firmware","board":"mps2-an385","streams":16}"#
        );
        assert!(firmware_line("firmware oops").is_err());
    }

    #[test]
    fn stats_names_come_from_nids_core() {
        let n = Stats::new().counters().count();
        let list = format!("[{}]", vec!["0"; n].join(", "));
        let line = stats_line(&[list]).unwrap();
        assert!(line.starts_with("{\"kind\":\"stats\",\"frames\":0,"));
        assert!(line.ends_with(",\"warnings\":{}}"));
        assert!(stats_line(&["[1, 2]".into()]).is_err());
    }
}
