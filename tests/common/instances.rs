//! More gateway instances beside a first one, as the machines of one deployment are: each has a
//! data directory of its own but shares the first one's database, data key and development PKI.
//! The multi-instance kill test and the instances bench start them.

use std::path::Path;

use super::{Gateway, private_dir};

/// Starts instance `i` in `dir` on the first instance's database, data key and PKI, with the
/// configuration lines `config`.
pub fn another_instance(dir: &Path, first: &Gateway, i: usize, config: &str) -> Gateway {
    let data = dir.join(format!("data{i}"));
    private_dir(&data);
    for shared in ["certs", "keys"] {
        copy_dir(&first.data_dir.join(shared), &data.join(shared));
    }
    // The database the harness made for the first instance (see `common::store_line`).
    std::fs::copy(
        first.data_dir.join("test-database-url"),
        data.join("test-database-url"),
    )
    .expect("the first instance is on PostgreSQL");
    Gateway::start(&data, config)
}

fn copy_dir(from: &Path, to: &Path) {
    private_dir(to);
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
