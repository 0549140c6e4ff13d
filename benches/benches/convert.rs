//! Binary conversion (SPEC §6), workload W5: random bytes (fixed seed) of 1 MiB and 16 MiB.
//!
//! `to_text` is CONVERT_TO_TEXT on a binary payload (base64 encode), `to_binary` is
//! CONVERT_TO_BINARY on a text payload (strict base64 decode), both through
//! `apigw_mapping::content::convert`. The baseline in the same run is the `base64` crate's
//! scalar engine (`general_purpose::STANDARD`). Throughput counts the raw (decoded) bytes.

use std::hint::black_box;

use apigw_mapping::ContentHandling;
use apigw_mapping::content::convert;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as SCALAR;
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Deterministic pseudo-random bytes (xorshift64*), so every run converts the same input.
fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn bench_convert(c: &mut Criterion) {
    for (label, len) in [("1MiB", 1 << 20), ("16MiB", 16 << 20)] {
        let raw = Bytes::from(random_bytes(len, 0x5eed_0001));
        let text = Bytes::from(SCALAR.encode(&raw));
        // Correctness first: both directions must round-trip through our engine.
        let encoded = convert(&raw, true, false, Some(ContentHandling::ConvertToText)).unwrap();
        assert_eq!(encoded.bytes, text);
        let decoded = convert(&text, false, false, Some(ContentHandling::ConvertToBinary)).unwrap();
        assert_eq!(decoded.bytes, raw);

        let mut g = c.benchmark_group(format!("convert/{label}"));
        g.throughput(Throughput::Bytes(len as u64));
        if len > 1 << 20 {
            g.sample_size(20);
        }
        g.bench_function("to_text", |b| {
            b.iter(|| {
                convert(
                    black_box(&raw),
                    true,
                    false,
                    Some(ContentHandling::ConvertToText),
                )
                .unwrap()
            });
        });
        g.bench_function("baseline_scalar_encode", |b| {
            b.iter(|| SCALAR.encode(black_box(&raw)));
        });
        g.bench_function("to_binary", |b| {
            b.iter(|| {
                convert(
                    black_box(&text),
                    false,
                    false,
                    Some(ContentHandling::ConvertToBinary),
                )
                .unwrap()
            });
        });
        g.bench_function("baseline_scalar_decode", |b| {
            b.iter(|| SCALAR.decode(black_box(&text)).unwrap());
        });
        g.finish();
    }
}

criterion_group!(benches, bench_convert);
criterion_main!(benches);
