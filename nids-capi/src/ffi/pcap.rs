//! The few libpcap calls the library makes (the `libpcap` feature): reading a
//! `pcap_t` a program hands over (`pcap_desc`) or one opened live, BPF filters,
//! and injecting `nids_killtcp`'s RSTs. Without the feature every call fails
//! with a message saying so.

use nids_core::LinkType;

use crate::types::PcapPkthdr;

/// What one read of a source gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// A packet, processed (or filtered out).
    Packet,
    /// A live capture's read timeout passed without a packet.
    Idle,
    /// The source is exhausted.
    End,
}

/// libpcap's DLT number for a capture file's link type (they differ for raw IP).
#[cfg_attr(not(feature = "libpcap"), allow(dead_code))]
fn dlt(link: LinkType) -> i32 {
    match link {
        LinkType::RAW => 12,
        l => l.0 as i32,
    }
}

/// The pcap link type of a DLT number.
#[cfg_attr(not(feature = "libpcap"), allow(dead_code))]
fn link_of(dlt: i32) -> LinkType {
    match dlt {
        // DLT_RAW is 12 on Linux and 14 on OpenBSD; LINKTYPE_RAW is 101.
        12 | 14 => LinkType::RAW,
        n => LinkType(n as u32),
    }
}

#[cfg(feature = "libpcap")]
mod sys {
    use core::ffi::{c_char, c_int, c_uint, c_void};

    use crate::types::PcapPkthdr;

    /// `struct bpf_program`.
    #[repr(C)]
    pub struct BpfProgram {
        pub bf_len: c_uint,
        pub bf_insns: *mut c_void,
    }

    #[link(name = "pcap")]
    extern "C" {
        pub fn pcap_datalink(p: *mut c_void) -> c_int;
        pub fn pcap_next_ex(
            p: *mut c_void,
            hdr: *mut *mut PcapPkthdr,
            data: *mut *const u8,
        ) -> c_int;
        pub fn pcap_open_live(
            dev: *const c_char,
            snaplen: c_int,
            promisc: c_int,
            to_ms: c_int,
            errbuf: *mut c_char,
        ) -> *mut c_void;
        pub fn pcap_open_dead(linktype: c_int, snaplen: c_int) -> *mut c_void;
        pub fn pcap_compile(
            p: *mut c_void,
            prog: *mut BpfProgram,
            expr: *const c_char,
            optimize: c_int,
            netmask: c_uint,
        ) -> c_int;
        pub fn pcap_setfilter(p: *mut c_void, prog: *mut BpfProgram) -> c_int;
        pub fn pcap_freecode(prog: *mut BpfProgram);
        pub fn pcap_offline_filter(
            prog: *const BpfProgram,
            hdr: *const PcapPkthdr,
            data: *const u8,
        ) -> c_int;
        pub fn pcap_geterr(p: *mut c_void) -> *mut c_char;
        pub fn pcap_get_selectable_fd(p: *mut c_void) -> c_int;
        pub fn pcap_inject(p: *mut c_void, buf: *const c_void, size: usize) -> c_int;
        pub fn pcap_close(p: *mut c_void);
        pub fn pcap_findalldevs(all: *mut *mut PcapIf, errbuf: *mut c_char) -> c_int;
        pub fn pcap_freealldevs(all: *mut PcapIf);
    }

    /// The head of `pcap_if_t` (only `next` and `name` are read).
    #[repr(C)]
    pub struct PcapIf {
        pub next: *mut PcapIf,
        pub name: *mut c_char,
    }
}

#[cfg(feature = "libpcap")]
mod imp {
    use core::ffi::{c_char, c_void, CStr};
    use std::ffi::CString;

    use super::sys::*;
    use super::*;

    /// The error text of a handle.
    fn err(p: *mut c_void) -> String {
        // SAFETY: `p` is a live handle; pcap_geterr returns its NUL-terminated
        // message buffer, which lives as long as the handle.
        unsafe { CStr::from_ptr(pcap_geterr(p)) }
            .to_string_lossy()
            .into_owned()
    }

    /// The link type of a handle.
    ///
    /// # Errors
    /// Never (the signature matches the build without libpcap).
    pub fn datalink(handle: usize) -> Result<LinkType, String> {
        // SAFETY: `handle` is a `pcap_t *` the program or `open_live` gave.
        Ok(link_of(unsafe { pcap_datalink(handle as *mut c_void) }))
    }

    /// Opens `dev` (`None`: the first interface; `"all"`: every one) as
    /// libnids does: snaplen 16384.
    ///
    /// # Errors
    /// libpcap's message.
    pub fn open_live(dev: Option<&str>, promisc: bool, timeout: i32) -> Result<usize, String> {
        let mut errbuf = [0 as c_char; 256];
        let name = match dev {
            Some("all") => "any".to_owned(),
            Some(d) => d.to_owned(),
            None => first_device()?,
        };
        let promisc = promisc && name != "any";
        let c = CString::new(name).map_err(|e| e.to_string())?;
        // SAFETY: valid C string and a 256-byte error buffer (PCAP_ERRBUF_SIZE).
        let p = unsafe {
            pcap_open_live(
                c.as_ptr(),
                16384,
                i32::from(promisc),
                timeout,
                errbuf.as_mut_ptr(),
            )
        };
        if p.is_null() {
            // SAFETY: libpcap NUL-terminates its message in errbuf.
            let msg = unsafe { CStr::from_ptr(errbuf.as_ptr()) };
            return Err(msg.to_string_lossy().into_owned());
        }
        Ok(p as usize)
    }

    /// The first capture device (libnids' `pcap_lookupdev`).
    fn first_device() -> Result<String, String> {
        let mut errbuf = [0 as c_char; 256];
        let mut all: *mut PcapIf = core::ptr::null_mut();
        // SAFETY: out-pointer and a 256-byte error buffer.
        if unsafe { pcap_findalldevs(&mut all, errbuf.as_mut_ptr()) } != 0 || all.is_null() {
            return Err("no suitable device found".into());
        }
        // SAFETY: `all` is a non-empty list whose first name is a C string; it
        // is freed once the name is copied.
        let name = unsafe {
            let n = CStr::from_ptr((*all).name).to_string_lossy().into_owned();
            pcap_freealldevs(all);
            n
        };
        Ok(name)
    }

    /// Compiles `expr` and sets it on `handle` (optimised, netmask 0, as libnids).
    ///
    /// # Errors
    /// libpcap's message.
    pub fn set_filter(handle: usize, expr: &str) -> Result<(), String> {
        let p = handle as *mut c_void;
        let c = CString::new(expr).map_err(|e| e.to_string())?;
        let mut prog = BpfProgram {
            bf_len: 0,
            bf_insns: core::ptr::null_mut(),
        };
        // SAFETY: live handle, valid C string, an output program freed below.
        unsafe {
            if pcap_compile(p, &mut prog, c.as_ptr(), 1, 0) == -1
                || pcap_setfilter(p, &mut prog) == -1
            {
                return Err(err(p));
            }
            pcap_freecode(&mut prog);
        }
        Ok(())
    }

    /// A descriptor to `select` on.
    pub fn selectable_fd(handle: usize) -> i32 {
        // SAFETY: a live handle.
        unsafe { pcap_get_selectable_fd(handle as *mut c_void) }
    }

    /// Reads one packet and gives it to `f`.
    ///
    /// # Errors
    /// libpcap's message.
    pub fn next(
        handle: usize,
        f: impl FnOnce(&PcapPkthdr, &[u8]) -> Result<(), String>,
    ) -> Result<Read, String> {
        let p = handle as *mut c_void;
        let mut hdr: *mut PcapPkthdr = core::ptr::null_mut();
        let mut data: *const u8 = core::ptr::null();
        // SAFETY: live handle and two out-pointers.
        match unsafe { pcap_next_ex(p, &mut hdr, &mut data) } {
            1 => {
                crate::ffi::set_last(hdr, data_slice(hdr, data));
                // SAFETY: on 1, `hdr` and `caplen` bytes at `data` are valid
                // until the next read of this handle.
                let (h, d) = unsafe { (&*hdr, data_slice(hdr, data)) };
                f(h, d).map(|()| Read::Packet)
            }
            0 => Ok(Read::Idle),
            -2 => Ok(Read::End),
            _ => Err(err(p)),
        }
    }

    /// The `caplen` bytes of a packet libpcap returned.
    fn data_slice<'a>(hdr: *const PcapPkthdr, data: *const u8) -> &'a [u8] {
        // SAFETY: called only with what pcap_next_ex returned with 1.
        unsafe { core::slice::from_raw_parts(data, (*hdr).caplen as usize) }
    }

    /// Sends a frame on a live handle (errors ignored, as libnids ignores them).
    pub fn inject(handle: usize, frame: &[u8]) {
        // SAFETY: live handle, `frame` is valid for its length.
        unsafe { pcap_inject(handle as *mut c_void, frame.as_ptr().cast(), frame.len()) };
    }

    /// Closes a handle `open_live` opened.
    pub fn close(handle: usize) {
        // SAFETY: a handle this library opened and no longer uses.
        unsafe { pcap_close(handle as *mut c_void) };
    }

    /// A compiled BPF filter for the frames of a capture file.
    pub struct Filter {
        prog: BpfProgram,
    }

    // SAFETY: the program is owned and only read by pcap_offline_filter.
    unsafe impl Send for Filter {}

    impl Filter {
        /// Compiles `expr` for frames of `link`.
        ///
        /// # Errors
        /// libpcap's message.
        pub fn compile(expr: &str, link: LinkType) -> Result<Filter, String> {
            let c = CString::new(expr).map_err(|e| e.to_string())?;
            let mut prog = BpfProgram {
                bf_len: 0,
                bf_insns: core::ptr::null_mut(),
            };
            // SAFETY: a dead handle only for compiling, closed before returning.
            unsafe {
                let p = pcap_open_dead(dlt(link), 262_144);
                if p.is_null() {
                    return Err("pcap_open_dead failed".into());
                }
                let r = pcap_compile(p, &mut prog, c.as_ptr(), 1, 0);
                let e = err(p);
                pcap_close(p);
                if r == -1 {
                    return Err(e);
                }
            }
            Ok(Filter { prog })
        }

        /// Whether a frame of `orig_len` bytes on the wire, captured as `data`,
        /// passes.
        pub fn matches(&self, data: &[u8], orig_len: u32) -> bool {
            let hdr = PcapPkthdr {
                caplen: data.len() as u32,
                len: orig_len,
                ..PcapPkthdr::default()
            };
            // SAFETY: a compiled program, a header and `caplen` bytes.
            unsafe { pcap_offline_filter(&self.prog, &hdr, data.as_ptr()) != 0 }
        }
    }

    impl Drop for Filter {
        fn drop(&mut self) {
            // SAFETY: compiled by pcap_compile, freed once.
            unsafe { pcap_freecode(&mut self.prog) };
        }
    }
}

#[cfg(not(feature = "libpcap"))]
mod imp {
    use super::*;

    const NO: &str = "libnids (nids-rs) was built without the libpcap feature: \
                      only capture files without pcap_filter can be read";

    /// Fails: no libpcap.
    pub fn datalink(_: usize) -> Result<LinkType, String> {
        Err(NO.into())
    }
    /// Fails: no libpcap.
    pub fn open_live(_: Option<&str>, _: bool, _: i32) -> Result<usize, String> {
        Err(NO.into())
    }
    /// Fails: no libpcap.
    pub fn set_filter(_: usize, _: &str) -> Result<(), String> {
        Err(NO.into())
    }
    /// No descriptor.
    pub fn selectable_fd(_: usize) -> i32 {
        -1
    }
    /// Fails: no libpcap.
    pub fn next(
        _: usize,
        _: impl FnOnce(&PcapPkthdr, &[u8]) -> Result<(), String>,
    ) -> Result<Read, String> {
        Err(NO.into())
    }
    /// Does nothing.
    pub fn inject(_: usize, _: &[u8]) {}
    /// Does nothing.
    pub fn close(_: usize) {}

    /// No filter can be compiled without libpcap.
    pub struct Filter;

    impl Filter {
        /// Fails: no libpcap.
        pub fn compile(_: &str, _: LinkType) -> Result<Filter, String> {
            Err(NO.into())
        }
        /// Never called.
        pub fn matches(&self, _: &[u8], _: u32) -> bool {
            true
        }
    }
}

pub use imp::*;
