//! The migrations are built into the binary (see `src/store/`); rebuild when they change,
//! including when files are added.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
