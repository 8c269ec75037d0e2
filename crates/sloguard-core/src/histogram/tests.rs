use super::*;
use proptest::prelude::*;

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[test]
fn classic_counts_are_exact_at_and_around_boundaries() {
    let h = Histogram::new(Boundaries::http_default().with([ms(300)]).expect("fits"));
    let b300 = 300_000_000u64;
    for v in [
        b300 - 1,
        b300,
        b300 + 1,
        5_000_000,
        5_000_001,
        0,
        10_000_000_000,
        10_000_000_001,
    ] {
        h.record_nanos(v);
    }
    let snap = h.snapshot();
    let at = |d: Duration| {
        snap.classic()
            .iter()
            .find(|(b, _)| *b == d)
            .expect("boundary")
            .1
    };
    assert_eq!(at(ms(5)), 2); // 0 and exactly 5 ms
    assert_eq!(at(ms(10)), 3); // + 5 ms + 1 ns
    assert_eq!(at(ms(250)), 3);
    assert_eq!(at(ms(300)), 5); // 300 ms - 1 ns and exactly 300 ms
    assert_eq!(at(ms(500)), 6);
    assert_eq!(at(ms(10_000)), 7);
    assert_eq!(snap.count(), 8);
}

#[test]
fn boundaries_sharing_one_bucket_are_each_exact() {
    // 100.0 ms and 100.5 ms fall in one 2 ms-wide bucket.
    let a = 100_000_000u64;
    let b = 100_500_000u64;
    assert_eq!(layout::bucket_index(a), layout::bucket_index(b));
    let h = Histogram::new(
        Boundaries::new([Duration::from_nanos(a), Duration::from_nanos(b)]).expect("fits"),
    );
    for v in [a - 1, a, a + 1, b, b + 1] {
        h.record_nanos(v);
    }
    assert_eq!(
        h.snapshot().classic(),
        &[(Duration::from_nanos(a), 2), (Duration::from_nanos(b), 4)]
    );
}

#[test]
fn too_many_boundaries_are_refused() {
    let e = Boundaries::new((1..=65).map(Duration::from_millis)).expect_err("65");
    assert_eq!(e.given, 65);
    assert!(Boundaries::new((1..=64).map(Duration::from_millis)).is_ok());
}

#[test]
fn empty_histogram_has_no_quantile() {
    let h = Histogram::new(Boundaries::http_default());
    let s = h.snapshot();
    assert_eq!(s.quantile(0.5), None);
    assert_eq!(s, HistogramSnapshot::empty(h.boundaries()));
    assert_eq!(s.classic().len(), 14);
}

#[test]
fn counts_from_many_threads_add_up() {
    let h = Histogram::new(Boundaries::new([ms(1)]).expect("fits"));
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let h = &h;
            s.spawn(move || {
                for i in 0..10_000u64 {
                    h.record_nanos(t * 1_000_000 + i);
                }
            });
        }
    });
    let snap = h.snapshot();
    assert_eq!(snap.count(), 40_000);
    // Thread 0 and thread 1's value 1_000_000 exactly are at or below 1 ms.
    assert_eq!(snap.classic()[0].1, 10_001);
    let want_sum: u64 = (0..4u64)
        .map(|t| (0..10_000u64).map(|i| t * 1_000_000 + i).sum::<u64>())
        .sum();
    assert_eq!(snap.sum_nanos(), want_sum);
}

fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

proptest! {
    #[test]
    fn quantiles_are_within_two_percent(values in prop::collection::vec(1u64..(1u64 << 42), 1..400), q in 0.0f64..=1.0) {
        let h = Histogram::new(Boundaries::http_default());
        for v in &values {
            h.record_nanos(*v);
        }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let exact = exact_quantile(&sorted, q) as f64;
        let estimate = h.snapshot().quantile(q).expect("non-empty").as_nanos() as f64;
        prop_assert!((estimate - exact).abs() <= exact * 0.02, "q={} exact={} estimate={}", q, exact, estimate);
    }

    #[test]
    fn classic_counts_equal_a_direct_count(values in prop::collection::vec(0u64..20_000_000_000, 0..300), extra in 1u64..20_000_000_000) {
        let bounds = Boundaries::http_default().with([Duration::from_nanos(extra)]).expect("fits");
        let h = Histogram::new(bounds.clone());
        for v in &values {
            h.record_nanos(*v);
        }
        let snap = h.snapshot();
        for (b, count) in snap.classic() {
            let b = b.as_nanos() as u64;
            prop_assert_eq!(*count, values.iter().filter(|v| **v <= b).count() as u64);
        }
        prop_assert_eq!(snap.count(), values.len() as u64);
    }
}

#[test]
fn classic_layout_is_small_and_has_no_quantiles() {
    const { assert!(CLASSIC_SHARD_BYTES < 1024) };
    let h = Histogram::classic(Boundaries::http_default());
    assert!(!h.is_fine());
    h.record(ms(7));
    let s = h.snapshot();
    assert_eq!(s.count(), 1);
    assert_eq!(s.quantile(0.5), None);
    assert!(s.buckets().is_empty());
}

proptest! {
    #[test]
    fn classic_layout_counts_exactly_like_the_fine_one(values in prop::collection::vec(0u64..20_000_000_000, 0..300), extra in prop::collection::vec(1u64..20_000_000_000, 0..6)) {
        let bounds = Boundaries::http_default()
            .with(extra.iter().map(|n| Duration::from_nanos(*n)))
            .expect("fits");
        let fine = Histogram::new(bounds.clone());
        let classic = Histogram::classic(bounds);
        for v in &values {
            fine.record_nanos(*v);
            classic.record_nanos(*v);
        }
        let (f, c) = (fine.snapshot(), classic.snapshot());
        prop_assert_eq!(f.classic(), c.classic());
        prop_assert_eq!((f.count(), f.sum_nanos()), (c.count(), c.sum_nanos()));
        for (b, count) in c.classic() {
            let b = b.as_nanos() as u64;
            prop_assert_eq!(*count, values.iter().filter(|v| **v <= b).count() as u64);
        }
    }
}

#[test]
fn bucket_bounds_contain_the_values_recorded_in_them() {
    let values = [
        1,
        31,
        32,
        1_000,
        299_999_999,
        300_000_000,
        4_000_000_000_000,
    ];
    let h = Histogram::new(Boundaries::http_default());
    for nanos in values {
        h.record_nanos(nanos);
    }
    let snapshot = h.snapshot();
    for nanos in values {
        let index = super::layout::bucket_index(nanos) as u32;
        let (lower, upper) = super::bucket_bounds_nanos(index);
        assert!(
            lower <= nanos && nanos < upper,
            "{nanos} in [{lower}, {upper})"
        );
        assert!(snapshot
            .buckets()
            .iter()
            .any(|(i, c)| *i == index && *c > 0));
    }
}
