//! The README as written: its library example is `examples/readme.rs`, and
//! its `nids` commands run (through `sh`, from the workspace root, with this
//! build's binary for `cargo run --release -p nids-host --` and `nids`),
//! printing the output shown after them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The README's fenced code blocks: (language, text), in order.
fn blocks() -> Vec<(String, String)> {
    let md = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in md.lines() {
        if let Some(fence) = line.strip_prefix("```") {
            match open.take() {
                Some(block) => out.push(block),
                None => open = Some((fence.trim().to_owned(), String::new())),
            }
        } else if let Some((_, text)) = open.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    assert!(open.is_none(), "an unclosed code block");
    out
}

#[test]
fn test_library_example_is_the_example_binary() {
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/readme.rs"))
            .unwrap();
    let example: String = example
        .lines()
        .filter(|l| !l.starts_with("//!"))
        .map(|l| format!("{l}\n"))
        .collect();
    let rust: Vec<String> = blocks()
        .into_iter()
        .filter(|(lang, _)| lang == "rust")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(rust.len(), 1, "one Rust example");
    assert_eq!(
        rust[0], example,
        "README's example differs from examples/readme.rs"
    );
}

/// A README command as this test runs it, or `None` for one it cannot run
/// here (live capture, root, other packages, `cargo test` itself).
fn runnable(line: &str, bin: &str) -> Option<String> {
    const CARGO: &str = "cargo run --release -p nids-host -- ";
    if line.contains("tcpdump") || line.contains("--features libpcap") {
        return None;
    }
    let cmd = if let Some(args) = line.strip_prefix(CARGO) {
        format!("{bin} {args}")
    } else if line.contains("| nids ") {
        line.replace("| nids ", &format!("| {bin} "))
    } else {
        return None;
    };
    Some(cmd)
}

#[test]
fn test_readme_commands() {
    let bin = env!("CARGO_BIN_EXE_nids");
    let blocks = blocks();
    let mut ran = 0;
    for (i, (lang, text)) in blocks.iter().enumerate() {
        if lang != "sh" {
            continue;
        }
        let cmds: Vec<String> = text.lines().filter_map(|l| runnable(l, bin)).collect();
        for cmd in &cmds {
            let o = Command::new("sh")
                .args(["-c", cmd])
                .current_dir(root())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success(), "{cmd}: {err}");
            assert!(err.is_empty(), "{cmd}: {err}");
            assert!(!o.stdout.is_empty(), "{cmd}: no output");
            // A lone command followed by a plain block: that is its output.
            if let (1, Some((out_lang, shown))) = (text.lines().count(), blocks.get(i + 1)) {
                if out_lang.is_empty() {
                    assert_eq!(&String::from_utf8_lossy(&o.stdout), shown, "{cmd}");
                }
            }
            ran += 1;
        }
    }
    assert!(ran >= 4, "only {ran} README commands found");
}
