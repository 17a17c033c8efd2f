//! Gives the shared library libnids' SONAME, so programs linked against
//! Debian's `libnids.so.1.21` load this one unchanged.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnids.so.1.21");
    println!("cargo:rerun-if-changed=build.rs");
}
