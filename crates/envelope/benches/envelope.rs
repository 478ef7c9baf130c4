//! What the delivery envelope costs per document on one core: sealing (sign ES256, then
//! encrypt ECDH-ES/A256GCM to the recipient) and opening (decrypt, then verify), beside a
//! SHA-256 of the same bytes as the floor every delivery pays anyway (the receiver digests
//! each document to tell a replay from a conflict). The deliveries per second of
//! `benches/push.rs` are bounded by these, on a machine where the sender and the receiver
//! share the cores.
//!
//! Run with `cargo bench -p kakehashi-envelope --bench envelope`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kakehashi_envelope::{
    DecryptionKey, ENCRYPTION_KEY_FILE, ENCRYPTION_PUBLIC_FILE, RecipientKey, SIGNING_KEY_FILE,
    SIGNING_PUBLIC_FILE, SigningKey, VerifyingKey, generate_dev_keys, open, seal,
};
use sha2::{Digest, Sha256};

/// A delivery document of about the size the push bench sends (4 KiB of JSON).
fn document() -> Vec<u8> {
    let items: Vec<String> = (0..100)
        .map(|i| format!("\"item_{i:03}\":{{\"value\":\"{i}.5\",\"unit\":\"mg/dL\"}}"))
        .collect();
    format!("{{\"sheet_id\":\"s-1\",\"items\":{{{}}}}}", items.join(",")).into_bytes()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::TempDir::new().unwrap();
    generate_dev_keys(dir.path()).unwrap();
    let path = |name| dir.path().join(name);
    let signer = SigningKey::from_pem_file(&path(SIGNING_KEY_FILE)).unwrap();
    let sender = VerifyingKey::from_pem_file(&path(SIGNING_PUBLIC_FILE)).unwrap();
    let recipient = RecipientKey::from_pem_file(&path(ENCRYPTION_PUBLIC_FILE)).unwrap();
    let decryption = DecryptionKey::from_pem_file(&path(ENCRYPTION_KEY_FILE)).unwrap();
    let document = document();
    let sealed = seal(&document, &signer, &recipient).unwrap();
    eprintln!(
        "a {}-byte document, {} bytes sealed",
        document.len(),
        sealed.len()
    );

    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sha256", |b| {
        b.iter(|| black_box(Sha256::digest(&document)))
    });
    group.bench_function("seal", |b| {
        b.iter(|| black_box(seal(&document, &signer, &recipient).unwrap()))
    });
    group.bench_function("open", |b| {
        b.iter(|| black_box(open(&sealed, &decryption, std::slice::from_ref(&sender)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
