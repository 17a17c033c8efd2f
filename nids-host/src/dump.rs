//! The `dump` command's handler: each direction of each TCP stream to its own
//! file, tcpflow-style, plus an index in JSON Lines.
//!
//! # File names
//!
//! A direction's file is named after its sender then its receiver, each as the
//! address and the port, zero-padded so that names sort by address:
//!
//! * IPv4: `010.000.001.001.41001-010.000.001.002.00080` (as tcpflow);
//! * IPv6: the eight groups as four hex digits each, then the port, all joined by
//!   dots: `2001.0db8.0000.0000.0000.0000.0000.0001.50001-2001.0db8.…0002.08080`
//!   (no `:`, so the names need no quoting in a shell or on other file systems).
//!
//! A stream that came through a tunnel gets `-t` and its tunnel identity
//! (`TunnelId::to_bits`, 16 hex digits: the same in both directions and on every
//! run) appended, so two tenants' streams with the same addresses and ports get
//! files of their own. When a tuple (tunnel included) is used again by a later
//! connection, its files get `c2`, `c3`, … appended, in the order the connections
//! were established. A direction that delivered no byte gets no file.
//!
//! # The index
//!
//! `index.jsonl` gets one line per stream when it ends: the keys of
//! `nids streams --json` ([`crate::streams::Record`]), then `"c2s_file"` and
//! `"s2c_file"` (the file names within the directory, or `null`).
//!
//! # Memory and files
//!
//! Each direction buffers up to [`FLUSH`] bytes, then appends them to its file,
//! opening and closing it each time; so any number of concurrent streams needs
//! at most two open files, and memory is bounded by `2 * FLUSH` per open stream.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use nids_core::{Handler, Side, Stream, TcpEvent, Tuple};
use sha2::{Digest, Sha256};

use crate::streams::Record;
use crate::text::{hex, json_str};

/// Bytes a direction buffers before they are appended to its file: 64 KiB.
pub const FLUSH: usize = 64 * 1024;

/// Name of the index file in the output directory.
pub const INDEX: &str = "index.jsonl";

/// One endpoint in a file name: `010.000.001.001.41001`, or for IPv6 eight
/// four-digit hex groups and the port joined by dots.
///
/// ```
/// use std::net::IpAddr;
/// let a: IpAddr = "10.0.1.1".parse().unwrap();
/// assert_eq!(nids_host::dump::endpoint_name(a, 80), "010.000.001.001.00080");
/// let b: IpAddr = "2001:db8::1".parse().unwrap();
/// assert_eq!(
///     nids_host::dump::endpoint_name(b, 8080),
///     "2001.0db8.0000.0000.0000.0000.0000.0001.08080"
/// );
/// ```
pub fn endpoint_name(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{:03}.{:03}.{:03}.{:03}.{port:05}", o[0], o[1], o[2], o[3])
        }
        IpAddr::V6(a) => {
            let mut s = String::with_capacity(46);
            for g in a.segments() {
                s.push_str(&format!("{g:04x}."));
            }
            s.push_str(&format!("{port:05}"));
            s
        }
    }
}

/// The file names of a stream's two directions (client to server, server to
/// client); `n` is the connection's number on this tuple, tunnel included (1
/// for the first).
pub fn file_names(t: &Tuple, n: u32) -> (String, String) {
    let (c, s) = (endpoint_name(t.src, t.sport), endpoint_name(t.dst, t.dport));
    let mut suffix = String::new();
    if !t.tunnel.is_none() {
        suffix.push_str(&format!("-t{:016x}", t.tunnel.to_bits()));
    }
    if n > 1 {
        suffix.push_str(&format!("c{n}"));
    }
    (format!("{c}-{s}{suffix}"), format!("{s}-{c}{suffix}"))
}

/// One direction being written.
struct Part {
    name: String,
    buf: Vec<u8>,
    hash: Sha256,
    /// Whether the file has been created (truncated) yet.
    created: bool,
}

impl Part {
    fn new(name: String) -> Self {
        Part {
            name,
            buf: Vec::new(),
            hash: Sha256::new(),
            created: false,
        }
    }

    /// Appends the buffered bytes to the file (creating it the first time).
    fn flush(&mut self, dir: &Path) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let path = dir.join(&self.name);
        let mut f = if self.created {
            OpenOptions::new().append(true).open(&path)?
        } else {
            File::create(&path)?
        };
        self.created = true;
        f.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

/// Per-stream state of [`Dumper`].
pub struct Files {
    c2s: Part,
    s2c: Part,
}

/// Why a dump failed: the file concerned and what the system said.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot write", path.display())]
pub struct Error {
    /// The file or directory.
    pub path: PathBuf,
    /// What the system said.
    #[source]
    pub source: io::Error,
}

/// Writes every established stream's directions to files in a directory, and
/// the index (to `I`: the index file, or a buffer for [`crate::shard`]). See
/// the [module docs](self).
pub struct Dumper<I: Write = BufWriter<File>> {
    dir: PathBuf,
    /// Where index lines go.
    pub index: I,
    /// Connections established so far per tuple, for the `cN` suffixes.
    seen: HashMap<Tuple, u32>,
    /// The first error; nothing more is written after it.
    pub error: Option<Error>,
    /// Streams written to the index.
    pub streams: u64,
}

impl Dumper {
    /// Creates `dir` if needed and its index file (replacing an older one).
    ///
    /// # Errors
    /// When the directory or the index cannot be created.
    pub fn create(dir: &Path) -> Result<Dumper, Error> {
        let err = |path: PathBuf| move |source| Error { path, source };
        fs::create_dir_all(dir).map_err(err(dir.to_owned()))?;
        let index_path = dir.join(INDEX);
        let index = File::create(&index_path).map_err(err(index_path))?;
        Ok(Dumper::with_index(dir, BufWriter::new(index)))
    }
}

impl<I: Write> Dumper<I> {
    /// A dumper into `dir` (which must exist) whose index lines go to `index`.
    pub fn with_index(dir: &Path, index: I) -> Dumper<I> {
        Dumper {
            dir: dir.to_owned(),
            index,
            seen: HashMap::new(),
            error: None,
            streams: 0,
        }
    }

    /// Flushes the index; returns the first error of the whole dump.
    ///
    /// # Errors
    /// The first file that could not be written.
    pub fn finish(mut self) -> Result<u64, Error> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let path = self.dir.join(INDEX);
        self.index
            .flush()
            .map_err(|source| Error { path, source })?;
        Ok(self.streams)
    }

    fn fail(&mut self, name: &str, source: io::Error) {
        if self.error.is_none() {
            self.error = Some(Error {
                path: self.dir.join(name),
                source,
            });
        }
    }
}

impl<I: Write> Handler<Files> for Dumper<I> {
    fn tcp(&mut self, s: &mut Stream<'_, '_, Files>) {
        if self.error.is_some() {
            return;
        }
        match s.event() {
            TcpEvent::JustEstablished => {
                s.client_mut().collect = true;
                s.server_mut().collect = true;
                // Numbered per flow key, tunnel included (names carry the
                // tunnel): one key's streams are all in one shard, so with
                // --threads the names are the same as with one engine.
                let n = self.seen.entry(*s.tuple()).or_insert(0);
                *n += 1;
                let (c2s, s2c) = file_names(s.tuple(), *n);
                *s.user() = Some(Files {
                    c2s: Part::new(c2s),
                    s2c: Part::new(s2c),
                });
            }
            TcpEvent::Data => {
                // Take the user data out, so the new bytes can be borrowed
                // from the stream without a copy.
                let Some(mut f) = s.user().take() else { return };
                let part = match s.side() {
                    Some(Side::Server) => &mut f.c2s,
                    Some(Side::Client) => &mut f.s2c,
                    None => {
                        *s.user() = Some(f);
                        return;
                    }
                };
                let data = s.new_data();
                part.hash.update(data);
                part.buf.extend_from_slice(data);
                if part.buf.len() >= FLUSH {
                    if let Err(e) = part.flush(&self.dir) {
                        let name = part.name.clone();
                        self.fail(&name, e);
                    }
                }
                *s.user() = Some(f);
            }
            end => {
                let t = *s.tuple();
                let (c2s_bytes, s2c_bytes) = (s.server().count(), s.client().count());
                let (first_ts, last_ts) = (s.created(), s.ts());
                let Some(mut f) = s.user().take() else { return };
                for part in [&mut f.c2s, &mut f.s2c] {
                    if let Err(e) = part.flush(&self.dir) {
                        let name = part.name.clone();
                        self.fail(&name, e);
                    }
                }
                let file = |p: &Part| {
                    if p.created {
                        json_str(&p.name)
                    } else {
                        "null".to_owned()
                    }
                };
                let (c2s_file, s2c_file) = (file(&f.c2s), file(&f.s2c));
                let r = Record {
                    tuple: t,
                    end,
                    c2s_bytes,
                    c2s_sha256: hex(&f.c2s.hash.finalize()),
                    s2c_bytes,
                    s2c_sha256: hex(&f.s2c.hash.finalize()),
                    first_ts,
                    last_ts,
                };
                let line = format!(
                    "{{{},\"c2s_file\":{c2s_file},\"s2c_file\":{s2c_file}}}\n",
                    r.json_members()
                );
                match self.index.write_all(line.as_bytes()) {
                    Ok(()) => self.streams += 1,
                    Err(e) => self.fail(INDEX, e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_file_names() {
        let t = Tuple {
            src: "10.0.1.1".parse().unwrap(),
            sport: 41001,
            dst: "10.0.1.2".parse().unwrap(),
            dport: 80,
            tunnel: nids_core::tunnel::TunnelId::NONE,
        };
        assert_eq!(
            file_names(&t, 1),
            (
                "010.000.001.001.41001-010.000.001.002.00080".to_owned(),
                "010.000.001.002.00080-010.000.001.001.41001".to_owned()
            )
        );
        assert!(file_names(&t, 3).0.ends_with("00080c3"));
        let v6 = endpoint_name("::ffff:1.2.3.4".parse().unwrap(), 0);
        assert_eq!(v6, "0000.0000.0000.0000.0000.ffff.0102.0304.00000");
    }
}
