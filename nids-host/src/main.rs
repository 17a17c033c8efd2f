//! `nids`: reassemble what hosts exchanged, from a capture file.

mod app;
mod cli;
mod config;
mod progress;
mod sharded;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let opts = cli::Opts::parse();
    match app::run(opts) {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("nids: {}", app::one_line(&*e));
            app::Status::Error.into()
        }
    }
}
