//! How fast decision files are read and issuing files written: the shipped corpus repeated to
//! 100,000 records in each layout. `cargo run --release -p kakehashi-adapter-municipal
//! --example throughput`.

use std::path::PathBuf;
use std::time::Instant;

use kakehashi_adapter_municipal::{
    CopaymentTables, IssuingRow, Layout, read_decisions, write_issuing_file,
};
use kakehashi_sdk::{Patient, Record};

const COPIES: usize = 20_000;

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |path: &str| std::fs::read(repo.join(path)).expect("corpus file");
    let tables = CopaymentTables::parse(
        &String::from_utf8(read("mappings/reference/copayment.toml")).expect("UTF-8"),
    )
    .expect("tables");
    for (file, name, header) in [
        ("city-a.csv", "city-a", true),
        ("city-b.dat", "city-b", false),
    ] {
        let layout = Layout::parse(
            name,
            &String::from_utf8(read(&format!("mappings/municipal/{name}.toml"))).expect("UTF-8"),
        )
        .expect("layout");
        let corpus = read(&format!("conformance/corpus/municipal/{file}"));
        // The header line, when there is one, once; the records many times.
        let split = if header {
            corpus.iter().position(|b| *b == b'\n').map_or(0, |i| i + 1)
        } else {
            0
        };
        let (head, body) = corpus.split_at(split);
        let mut big = head.to_vec();
        for _ in 0..COPIES {
            big.extend_from_slice(body);
        }
        let start = Instant::now();
        let converted = read_decisions(&big, "bench", &layout, &tables).expect("reads");
        let read_time = start.elapsed();
        let patient = Patient::default();
        let certifications: Vec<_> = converted
            .iter()
            .filter_map(|c| match &c.record {
                Record::Certification(c) => Some(c.as_ref()),
                _ => None,
            })
            .collect();
        let rows: Vec<IssuingRow<'_>> = certifications
            .iter()
            .map(|certification| IssuingRow {
                certification,
                patient: &patient,
            })
            .collect();
        let start = Instant::now();
        let written = write_issuing_file(&layout, &rows).expect("writes");
        let write_time = start.elapsed();
        let mb = big.len() as f64 / 1e6;
        println!(
            "{name}: {} records, {mb:.1} MB: read {:.2} s ({:.0} records/s, {:.1} MB/s), write {:.2} s ({} bytes)",
            converted.len(),
            read_time.as_secs_f64(),
            converted.len() as f64 / read_time.as_secs_f64(),
            mb / read_time.as_secs_f64(),
            write_time.as_secs_f64(),
            written.len()
        );
    }
}
