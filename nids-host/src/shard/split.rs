//! `nids split`: a capture cut into K capture files by the shard hash, so that
//! every stream, datagram and fragment train lies whole in one of them (each
//! can then be processed on its own, on other machines).
//!
//! Beside them, [`INDEX`] (`split.json`) says what was written:
//! `{"shards":K,"files":["shard-0.pcap",…],"frames":[…],"unkeyed":N,
//! "last_ts":…}`. `last_ts` is the latest packet time of the whole capture:
//! streams still open at the end of a shard's file end then in one run of
//! the whole capture, so a shard's run is told it (`end_ts` of nids-py's
//! `Capture`) to report the same.
//!
//! Each output is a classic pcap file (microsecond timestamps) of the input's
//! link type, with the frames of its shard in their original order, and their
//! original lengths; named `shard-<i>.pcap` with `i` zero-padded to the width
//! of `K - 1`. Frames with no IP address pair go to shard 0, as with
//! `--threads`. Costs: one pass over the input, K open files with 64 KiB
//! buffers.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use nids_core::LinkType;

use super::{Shard, ShardKey};
use crate::capture::CaptureFile;

/// The index file written beside the shards.
pub const INDEX: &str = "split.json";

/// The shard key `nids split` uses unless given one: fixed, so that the same
/// archive is always split the same way.
pub const DEFAULT_KEY: [u8; 16] = *b"nids-split-key-1";

/// Why a split failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be read.
    #[error(transparent)]
    Capture(#[from] crate::capture::Error),
    /// The input mixes link types, which one pcap file cannot hold.
    #[error("{path}: frames of link types {first} and {other}: a pcap file holds one")]
    MixedLinkTypes {
        /// The input.
        path: String,
        /// Its first link type.
        first: LinkType,
        /// Another one.
        other: LinkType,
    },
    /// An output could not be written.
    #[error("{}: cannot write", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// What a split wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The files, in shard order.
    pub files: Vec<PathBuf>,
    /// Frames written to each.
    pub frames: Vec<u64>,
    /// Frames with no IP address pair (in shard 0).
    pub unkeyed: u64,
    /// The latest packet time of the capture (zero if it has no packet).
    pub last_ts: nids_core::Instant,
}

impl Split {
    /// The [`INDEX`] file's JSON object, on one line.
    pub fn json(&self) -> String {
        let names: Vec<String> = self
            .files
            .iter()
            .map(|f| {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                crate::text::json_str(&name)
            })
            .collect();
        let frames: Vec<String> = self.frames.iter().map(u64::to_string).collect();
        format!(
            "{{\"shards\":{},\"files\":[{}],\"frames\":[{}],\"unkeyed\":{},\"last_ts\":{}}}",
            self.files.len(),
            names.join(","),
            frames.join(","),
            self.unkeyed,
            self.last_ts
        )
    }
}

/// The name of shard `i` of `k`.
pub fn file_name(i: usize, k: usize) -> String {
    let width = k.saturating_sub(1).to_string().len();
    format!("shard-{i:0width$}.pcap")
}

/// Splits `file` into `key.shards()` pcap files in `dir` (created if
/// missing; files of the same names are replaced).
///
/// # Errors
/// The input cannot be read, mixes link types, or an output cannot be written.
pub fn split(file: &CaptureFile, key: ShardKey, dir: &Path) -> Result<Split, Error> {
    let k = key.shards();
    let werr = |path: PathBuf| move |source| Error::Write { path, source };
    fs::create_dir_all(dir).map_err(werr(dir.to_owned()))?;
    let mut cursor = file.cursor();
    let first = file.next_packet(&mut file.cursor()).transpose()?;
    let link = first.map_or_else(
        || LinkType(file.link_types().first().copied().unwrap_or(1)),
        |p| LinkType(p.link_type),
    );
    let mut outs = Vec::with_capacity(k);
    let mut files = Vec::with_capacity(k);
    for i in 0..k {
        let path = dir.join(file_name(i, k));
        let mut w =
            BufWriter::with_capacity(64 << 10, File::create(&path).map_err(werr(path.clone()))?);
        w.write_all(&header(link)).map_err(werr(path.clone()))?;
        outs.push(w);
        files.push(path);
    }
    let mut frames = vec![0u64; k];
    let mut unkeyed = 0;
    let mut last_us = 0;
    while let Some(p) = file.next_packet(&mut cursor) {
        let p = p?;
        if p.link_type != link.0 {
            return Err(Error::MixedLinkTypes {
                path: file.path().display().to_string(),
                first: link,
                other: LinkType(p.link_type),
            });
        }
        let shard = key.shard(link, p.data);
        if shard == Shard::Unkeyed {
            unkeyed += 1;
        }
        let i = shard.index();
        frames[i] += 1;
        last_us = last_us.max(p.ts_us);
        let secs = u32::try_from(p.ts_us / 1_000_000).unwrap_or(u32::MAX);
        let micros = (p.ts_us % 1_000_000) as u32;
        let caplen = u32::try_from(p.data.len()).unwrap_or(u32::MAX);
        let mut rec = [0u8; 16];
        for (j, v) in [secs, micros, caplen, p.orig_len.max(caplen)]
            .into_iter()
            .enumerate()
        {
            rec[4 * j..4 * j + 4].copy_from_slice(&v.to_le_bytes());
        }
        outs[i]
            .write_all(&rec)
            .and_then(|()| outs[i].write_all(p.data))
            .map_err(werr(files[i].clone()))?;
    }
    for (w, path) in outs.iter_mut().zip(&files) {
        w.flush().map_err(werr(path.clone()))?;
    }
    let split = Split {
        files,
        frames,
        unkeyed,
        last_ts: nids_core::Instant::from_micros(last_us),
    };
    let index = dir.join(INDEX);
    fs::write(&index, format!("{}\n", split.json())).map_err(werr(index))?;
    Ok(split)
}

/// A little-endian pcap header (µs, snaplen 262144) for `link`.
fn header(link: LinkType) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
    h[20..24].copy_from_slice(&link.0.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_file_names() {
        assert_eq!(file_name(0, 1), "shard-0.pcap");
        assert_eq!(file_name(3, 10), "shard-3.pcap");
        assert_eq!(file_name(3, 11), "shard-03.pcap");
    }
}
