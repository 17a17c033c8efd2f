//! Link each board's binary with cortex-m-rt's link.x, defmt's defmt.x and its
//! own memory.x (in memory/BOARD/). In build.rs rather than .cargo/config.toml,
//! which cargo reads only from the current directory.

use std::env;
use std::path::PathBuf;

/// (binary, memory/ subdirectory)
const BOARDS: [(&str, &str); 2] = [
    ("nids-fw-lm3s6965evb", "lm3s6965evb"),
    ("nids-fw-mps2-an385", "mps2-an385"),
];

fn main() {
    let dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("memory");
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rerun-if-changed=build.rs");
    if !env::var("TARGET").is_ok_and(|t| t.starts_with("thumb")) {
        return;
    }
    for (bin, board) in BOARDS {
        let d = dir.join(board);
        println!("cargo:rerun-if-changed={}", d.join("memory.x").display());
        println!("cargo:rustc-link-arg-bin={bin}=-L{}", d.display());
        println!("cargo:rustc-link-arg-bin={bin}=-Tlink.x");
        println!("cargo:rustc-link-arg-bin={bin}=-Tdefmt.x");
    }
}
