//! Steady-state ESP processing allocates nothing: once the caller's buffers
//! have grown to a packet's size, encapsulation and decapsulation reuse them.
//! One test alone in this crate, so that the counting allocator sees only it.

mod esp_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use esp_support::*;
use ikev1::ip::{IpVersion, protocol};
use ikev1::policy::IpsecMode;
use ikev1::time::Timestamp;

struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn encapsulation_and_decapsulation_reuse_the_callers_buffers() {
    for suite in [aes128_sha256(), aes128_gcm()] {
        for mode in [IpsecMode::Tunnel, IpsecMode::Transport] {
            let config = nat_t_config(mode, IpVersion::V4);
            let (mut outbound, mut inbound) = pair(suite, config);
            let inner = inner_packet(IpVersion::V4, protocol::UDP, 1380);
            let (mut rng, mut esp, mut delivered) = (rng(), Vec::new(), Vec::new());
            let received = as_received(&config);
            let mut round_trip = |now| {
                outbound.encapsulate(now, &mut rng, &inner, &mut esp).expect("encapsulates");
                inbound.decapsulate(now, received, &esp, &mut delivered).expect("decapsulates");
            };
            let start = ALLOCATIONS.load(Ordering::Relaxed);
            round_trip(Timestamp::ZERO);
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            assert!(before > start, "the buffers grow once, and the counter sees it");
            for millis in 1..=1000 {
                round_trip(Timestamp::from_millis(millis));
            }
            assert_eq!(ALLOCATIONS.load(Ordering::Relaxed) - before, 0, "{suite:?} {mode:?}");
            assert_eq!(inbound.counters().pkts_decaps, 1001);
        }
    }
}
