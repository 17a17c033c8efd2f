//! `nids`: reassemble what hosts exchanged, from a capture file.

mod app;
mod cli;
mod config;
mod progress;
mod sharded;
mod stdout;
mod stop;
mod usage;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let opts = match cli::Opts::try_parse() {
        Ok(opts) => opts,
        Err(e) => return usage::exit(&e),
    };
    match app::run(opts) {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("nids: {}", app::one_line(&*e));
            app::Status::Error.into()
        }
    }
}
