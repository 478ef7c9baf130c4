//! A key file named without a directory lives in the current directory. Alone in its own test
//! binary, because it changes the process's current directory.

use kakehashi_vault::KeyRing;
use std::path::Path;

#[test]
fn a_bare_file_name_is_in_the_current_directory() {
    let dir = tempfile::TempDir::new().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let (ring, created) = KeyRing::load_or_create(Path::new("vault.key")).unwrap();
    assert!(created);
    assert!(dir.path().join("vault.key").is_file());
    assert_eq!(ring.key_ids(), ["k1"]);
    let ring = KeyRing::rotate(Path::new("vault.key")).unwrap();
    assert_eq!(ring.key_ids(), ["k1", "k2"]);
}
