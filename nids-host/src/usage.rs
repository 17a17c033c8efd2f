//! Command-line errors as two lines: what is wrong, then the usage line.

use std::process::ExitCode;

use clap::error::{Error, ErrorKind};
use clap::CommandFactory;

use crate::cli::Opts;

/// Prints `e` (help and version to stdout, as clap does; a usage error as one
/// line and the usage line on stderr) and gives the exit status.
pub fn exit(e: &Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(if e.use_stderr() { 2 } else { 0 })
        }
        _ => {
            let (line, usage) = two_lines(&e.render().to_string());
            eprintln!("nids: {line}");
            eprintln!("{}", usage.unwrap_or_else(usage_line));
            ExitCode::from(2)
        }
    }
}

/// The usage line of the command named on the command line (or of `nids`).
fn usage_line() -> String {
    let mut cmd = Opts::command();
    cmd.build();
    let name = std::env::args().nth(1).unwrap_or_default();
    let usage = match cmd.find_subcommand_mut(&name) {
        Some(sub) => sub.render_usage(),
        None => cmd.render_usage(),
    };
    usage
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Clap's rendered error as its message on one line (its first paragraph,
/// without the `error: ` prefix; tips dropped) and its usage line.
fn two_lines(rendered: &str) -> (String, Option<String>) {
    let message = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let message = message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_owned();
    let usage = rendered
        .lines()
        .find(|l| l.starts_with("Usage: "))
        .map(str::to_owned);
    (message, usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_two_lines() {
        let r = "error: the following required arguments were not provided:\n  <SOURCE>\n\n\
                 Usage: nids streams <SOURCE>...\n\nFor more information, try '--help'.\n";
        let (m, u) = two_lines(r);
        assert_eq!(
            m,
            "the following required arguments were not provided: <SOURCE>"
        );
        assert_eq!(u.as_deref(), Some("Usage: nids streams <SOURCE>..."));
    }
}
