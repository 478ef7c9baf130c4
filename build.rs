//! The `mappings/` folder is built into the binary (see `src/catalog.rs`); rebuild when it
//! changes, including when files are added.
fn main() {
    println!("cargo:rerun-if-changed=mappings");
    println!("cargo:rerun-if-changed=migrations");
}
