//! Parse and parse+emit throughput over the messages real peers exchanged.
//!
//! `cargo bench -p isakmp --bench parse`. The Main Mode SA message (MM1 of
//! case A: SA + 5 VIDs, 180 bytes) is the headline figure; "all captured"
//! runs over every ISAKMP message of vectors/real, encrypted ones included.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use isakmp::Message;
use isakmp::natt::IkeDatagram;
use vectors::Case;

fn captured_messages() -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    for case in Case::all().unwrap() {
        for frame in case.frames().unwrap() {
            let (Some(udp), Some(payload)) = (frame.udp(), frame.payload()) else { continue };
            if let Some(Ok(IkeDatagram::Ike { message, .. })) =
                IkeDatagram::classify(udp.src.port(), udp.dst.port(), payload)
            {
                messages.push(message.to_vec());
            }
        }
    }
    messages
}

fn bench(c: &mut Criterion) {
    let messages = captured_messages();
    let main_mode_sa = messages[0].clone();
    assert_eq!(main_mode_sa.len(), 180, "case A frame 1 is the MM1 SA message");
    let total_bytes: usize = messages.iter().map(Vec::len).sum();

    let mut group = c.benchmark_group("main_mode_sa_message");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse", |b| b.iter(|| Message::parse(black_box(&main_mode_sa)).unwrap()));
    group.bench_function("parse_emit", |b| {
        b.iter(|| Message::parse(black_box(&main_mode_sa)).unwrap().emit().unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("all_captured_messages");
    group.throughput(Throughput::Bytes(total_bytes as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for message in &messages {
                black_box(Message::parse(black_box(message)).unwrap());
            }
        })
    });
    group.bench_function("parse_emit", |b| {
        b.iter(|| {
            for message in &messages {
                black_box(Message::parse(black_box(message)).unwrap().emit().unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
