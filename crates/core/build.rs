//! The repository's `mappings/` folder is built into the catalog (see `src/catalog.rs`);
//! rebuild when it changes, including when files are added.
fn main() {
    println!("cargo:rerun-if-changed=../../mappings");
}
