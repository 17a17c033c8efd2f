//! The `nids` commands' handlers, writing to a tape in a shard.

use nids_core::Handler;

use super::Recorder;
use crate::dump::{Dumper, Files};
use crate::grep::{Dirs, Grepper};
use crate::scan;
use crate::streams::{Digests, StreamPrinter};

impl Recorder<Digests> for StreamPrinter<Vec<u8>> {
    fn tape(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }
}

impl Recorder<Files> for Dumper<Vec<u8>> {
    fn tape(&mut self) -> &mut Vec<u8> {
        &mut self.index
    }
}

impl Recorder<Dirs> for Grepper<Vec<u8>> {
    fn tape(&mut self) -> &mut Vec<u8> {
        &mut self.out.w
    }
}

impl<U> Recorder<U> for scan::Printer<Vec<u8>>
where
    scan::Printer<Vec<u8>>: Handler<U>,
{
    fn tape(&mut self) -> &mut Vec<u8> {
        &mut self.out.w
    }
}

impl<U> Recorder<U> for crate::conn::ConnPrinter {
    fn tape(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }
}
