//! Text output over semihosting (QEMU: its standard output).
//!
//! Output is gathered in a small buffer and written to the host when a line
//! ends or the buffer is full, so a typical line costs one semihosting call (a
//! trap to the debugger or to QEMU, slow on real hardware: keep reports short).

use core::fmt::{self, Write};

use cortex_m_semihosting::hio::{self, HostStream};

/// Bytes gathered before a host write.
const BUF: usize = 256;

/// The host's standard output.
pub struct Console {
    out: Option<HostStream>,
    buf: [u8; BUF],
    len: usize,
}

impl Console {
    /// Open the host's standard output (output is dropped if there is no host).
    pub fn open() -> Console {
        Console {
            out: hio::hstdout().ok(),
            buf: [0; BUF],
            len: 0,
        }
    }

    fn flush(&mut self) {
        if let Some(out) = self.out.as_mut() {
            let _ = out.write_all(&self.buf[..self.len]);
        }
        self.len = 0;
    }

    /// Write one line (a newline is added).
    pub fn line(&mut self, args: fmt::Arguments<'_>) {
        let _ = self.write_fmt(args);
        let _ = self.write_str("\n");
        self.flush();
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut s = s.as_bytes();
        while !s.is_empty() {
            if self.len == BUF {
                self.flush();
            }
            let n = s.len().min(BUF - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
            self.len += n;
            s = &s[n..];
        }
        Ok(())
    }
}

/// `println!` for a [`Console`].
#[macro_export]
macro_rules! outln {
    ($c:expr, $($arg:tt)*) => {
        $c.line(format_args!($($arg)*))
    };
}
