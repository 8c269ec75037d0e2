//! `#[sli]` at run time: every outcome path, sync and async, each function recording into an
//! explicit registry of its own.

use std::sync::LazyLock;
use std::time::Duration;

use sloguard::attribute::ClassifyError;
use sloguard::model::Slo;
use sloguard::{sli, Counts, Registry};

/// One registry per test function, with the SLO `s` registered.
macro_rules! registry {
    ($name:ident) => {
        static $name: LazyLock<Registry> = LazyLock::new(|| {
            let r = Registry::builder(stringify!($name)).build();
            r.register(Slo::availability("s").build().expect("valid"))
                .expect("ok");
            r
        });
    };
}

fn counts(r: &Registry) -> Counts {
    r.slo("s").expect("registered").counts()
}

fn c(good: u64, bad: u64, cancelled: u64) -> Counts {
    Counts {
        good,
        bad,
        cancelled,
    }
}

registry!(RESULTS);
#[sli(slo = "s", registry = &*RESULTS)]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = text.parse()?; // `?` comes back to the instrumentation
    if n == 0 {
        return Ok(0); // so does an early return
    }
    Ok(n * 2)
}

#[test]
fn a_result_is_good_on_ok_and_bad_on_err() {
    assert_eq!(parse("21"), Ok(42));
    assert_eq!(parse("0"), Ok(0));
    assert!(parse("x").is_err());
    assert_eq!(counts(&RESULTS), c(2, 1, 0));
}

#[derive(Debug)]
enum ChargeError {
    Declined,
    GatewayDown,
}

impl ClassifyError for ChargeError {
    fn is_fault(&self) -> bool {
        matches!(self, ChargeError::GatewayDown)
    }
}

registry!(CLASSIFIED);
#[sli(slo = "s", operation = "charge_card", registry = &*CLASSIFIED)]
fn charge(outcome: u8) -> Result<(), ChargeError> {
    match outcome {
        0 => Ok(()),
        1 => Err(ChargeError::Declined),
        _ => Err(ChargeError::GatewayDown),
    }
}

#[test]
fn an_error_type_can_say_an_error_is_not_a_fault() {
    let _ = (charge(0), charge(1), charge(2), charge(1));
    assert_eq!(counts(&CLASSIFIED), c(3, 1, 0));
    let snap = CLASSIFIED.snapshot();
    let ops: Vec<String> = snap
        .histograms
        .iter()
        .filter(|h| h.name == "sloguard_operation_duration_seconds" && h.histogram.count() > 0)
        .map(|h| {
            h.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    assert_eq!(
        ops,
        [
            "operation=charge_card,outcome=error",
            "operation=charge_card,outcome=success"
        ]
    );
}

// The predicate takes `&ReturnType`, or anything it derefs to.
fn is_empty_page(v: &[u32]) -> bool {
    v.is_empty()
}
fn is_cached(v: &Result<u32, String>) -> bool {
    v.as_ref().is_err_and(|e| e == "stale cache")
}

registry!(PREDICATES);
#[sli(slo = "s", registry = &*PREDICATES, bad_if = is_empty_page)]
fn page(n: u32) -> Vec<u32> {
    (0..n).collect()
}
#[sli(slo = "s", registry = &*PREDICATES, good_if = is_cached)]
fn lookup(hit: bool) -> Result<u32, String> {
    if hit {
        Ok(1)
    } else {
        Err("stale cache".into())
    }
}

#[test]
fn predicates_override_the_default_and_plain_values_are_good() {
    page(3);
    page(0); // bad by predicate
    let _ = lookup(true);
    let _ = lookup(false); // an Err, good by predicate
    assert_eq!(counts(&PREDICATES), c(3, 1, 0));
}

registry!(PANICS);
#[sli(slo = "s", registry = &*PANICS)]
fn explode() -> u32 {
    panic!("bug")
}

#[test]
fn a_panic_is_bad_and_keeps_unwinding() {
    let unwound = std::panic::catch_unwind(explode);
    assert!(unwound.is_err());
    assert_eq!(counts(&PANICS), c(0, 1, 0));
}

registry!(ASYNC);
#[sli(slo = "s", registry = &*ASYNC)]
async fn fetch(fail: bool, wait: Duration) -> Result<&'static str, String> {
    tokio::time::sleep(wait).await;
    if fail {
        return Err("upstream".into());
    }
    Ok("body")
}

#[tokio::test]
async fn async_functions_record_success_failure_and_cancellation_once() {
    fetch(false, Duration::ZERO).await.expect("ok");
    fetch(true, Duration::ZERO).await.expect_err("fails");
    // Dropped mid-flight by a timeout: one cancelled event, never lost, never twice.
    assert!(tokio::time::timeout(
        Duration::from_millis(5),
        fetch(false, Duration::from_secs(60))
    )
    .await
    .is_err());
    // A future created and dropped without being polled never started: nothing to record.
    drop(fetch(false, Duration::ZERO));
    assert_eq!(counts(&ASYNC), c(1, 1, 1));
}

registry!(ASYNC_PANIC);
#[sli(slo = "s", registry = &*ASYNC_PANIC)]
async fn explode_later() {
    tokio::task::yield_now().await;
    panic!("async bug")
}

#[tokio::test]
async fn an_async_panic_is_bad() {
    let joined = tokio::spawn(explode_later()).await;
    assert!(joined.expect_err("panicked").is_panic());
    assert_eq!(counts(&ASYNC_PANIC), c(0, 1, 0));
}

registry!(METHODS);
struct Ledger {
    balance: i64,
}

trait Account {
    fn withdraw(&mut self, amount: i64) -> Result<i64, String>;
}

impl Ledger {
    #[sli(slo = "s", registry = &*METHODS)]
    fn deposit(&mut self, amount: i64) -> i64 {
        self.balance += amount;
        self.balance
    }

    #[sli(slo = "s", registry = &*METHODS)]
    fn name(&self) -> &str {
        "ledger"
    }

    #[sli(slo = "s", registry = &*METHODS)]
    fn into_balance(self) -> i64 {
        self.balance
    }
}

impl Account for Ledger {
    #[sli(slo = "s", registry = &*METHODS)]
    fn withdraw(&mut self, amount: i64) -> Result<i64, String> {
        if amount > self.balance {
            return Err("insufficient funds".into());
        }
        self.balance -= amount;
        Ok(self.balance)
    }
}

#[sli(slo = "s", registry = &*METHODS)]
fn largest<T: PartialOrd + Copy>(items: &[T]) -> Option<T> {
    items.iter().copied().fold(None, |m, x| match m {
        Some(m) if m >= x => Some(m),
        _ => Some(x),
    })
}

#[sli(slo = "s", registry = &*METHODS)]
fn evens(limit: u32) -> impl Iterator<Item = u32> {
    (0..limit).filter(|n| n % 2 == 0)
}

#[test]
fn methods_trait_impls_generics_and_impl_trait() {
    let mut ledger = Ledger { balance: 0 };
    assert_eq!(ledger.deposit(10), 10);
    assert_eq!(ledger.name(), "ledger");
    assert_eq!(ledger.withdraw(4), Ok(6));
    assert!(ledger.withdraw(100).is_err());
    assert_eq!(ledger.into_balance(), 6);
    assert_eq!(largest(&[3, 9, 2]), Some(9));
    assert_eq!(largest::<f64>(&[]), None);
    assert_eq!(evens(6).count(), 3);
    assert_eq!(counts(&METHODS), c(7, 1, 0));
}

registry!(ASYNC_TRAIT);
#[async_trait::async_trait]
trait Repository {
    async fn load(&self, id: u32) -> Result<String, String>;

    // A default method: #[async_trait] rewrites the trait first, #[sli] instruments the future.
    #[sli(slo = "s", registry = &*ASYNC_TRAIT)]
    async fn store(&self, id: u32) -> Result<(), String> {
        tokio::time::sleep(Duration::from_millis(u64::from(id))).await;
        Ok(())
    }
}

struct Db;

#[async_trait::async_trait]
impl Repository for Db {
    #[sli(slo = "s", registry = &*ASYNC_TRAIT)]
    async fn load(&self, id: u32) -> Result<String, String> {
        tokio::task::yield_now().await;
        if id == 0 {
            return Err("missing".into());
        }
        Ok(format!("row {id}"))
    }
}

#[tokio::test]
async fn with_async_trait_the_call_is_recorded_when_awaited() {
    let db = Db;
    assert_eq!(db.load(7).await.as_deref(), Ok("row 7"));
    assert!(db.load(0).await.is_err());
    let pending = db.load(1); // not awaited yet: nothing recorded
    assert_eq!(counts(&ASYNC_TRAIT), c(1, 1, 0));
    pending.await.expect("ok");
    db.store(0).await.expect("ok");
    assert!(
        tokio::time::timeout(Duration::from_millis(5), db.store(60_000))
            .await
            .is_err()
    );
    assert_eq!(counts(&ASYNC_TRAIT), c(3, 1, 1));
}

registry!(NATIVE_ASYNC_TRAIT);
trait Queue {
    fn pop(&self) -> impl std::future::Future<Output = Option<u32>> + Send;
    async fn ack(&self, id: u32) -> Result<(), String>;
}

impl Queue for Db {
    #[sli(slo = "s", registry = &*NATIVE_ASYNC_TRAIT)]
    async fn pop(&self) -> Option<u32> {
        Some(1)
    }

    #[sli(slo = "s", registry = &*NATIVE_ASYNC_TRAIT)]
    async fn ack(&self, id: u32) -> Result<(), String> {
        if id == 0 {
            Err("unknown id".into())
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn native_async_trait_methods() {
    assert_eq!(Db.pop().await, Some(1));
    Db.ack(1).await.expect("ok");
    Db.ack(0).await.expect_err("fails");
    assert_eq!(counts(&NATIVE_ASYNC_TRAIT), c(2, 1, 0));
}

#[sli(slo = "no-such-slo", registry = &*RESULTS)]
fn misnamed() -> u32 {
    7
}

#[test]
fn an_unknown_slo_is_reported_and_never_crashes() {
    assert_eq!(misnamed(), 7);
    assert_eq!(misnamed(), 7);
    assert!(RESULTS.slo("no-such-slo").is_none());
}

registry!(HTTP_VALUES);
#[sli(slo = "s", registry = &*HTTP_VALUES)]
fn respond(code: u16) -> http::Response<&'static str> {
    let mut response = http::Response::new("body");
    *response.status_mut() = http::StatusCode::from_u16(code).expect("valid status");
    response
}

#[sli(slo = "s", registry = &*HTTP_VALUES)]
fn status_of(code: u16) -> http::StatusCode {
    http::StatusCode::from_u16(code).expect("valid status")
}

#[sli(slo = "s", registry = &*HTTP_VALUES)]
fn find(code: u16) -> Result<&'static str, http::StatusCode> {
    match code {
        200 => Ok("found"),
        code => Err(http::StatusCode::from_u16(code).expect("valid status")),
    }
}

#[sli(slo = "s", registry = &*HTTP_VALUES)]
fn handler(code: u16) -> Result<http::Response<&'static str>, http::StatusCode> {
    match code {
        503 => Err(http::StatusCode::SERVICE_UNAVAILABLE),
        code => Ok(respond_plain(code)),
    }
}

fn respond_plain(code: u16) -> http::Response<&'static str> {
    let mut response = http::Response::new("body");
    *response.status_mut() = http::StatusCode::from_u16(code).expect("valid status");
    response
}

#[test]
fn http_responses_and_status_codes_are_judged_as_the_layer_judges() {
    // 5xx is bad; 4xx is the client's doing and good, as in the layer.
    let _ = (respond(200), respond(404), respond(500));
    assert_eq!(counts(&HTTP_VALUES), c(2, 1, 0));
    let _ = (status_of(204), status_of(429), status_of(502));
    assert_eq!(counts(&HTTP_VALUES), c(4, 2, 0));
    let _ = (find(200), find(404), find(503));
    assert_eq!(counts(&HTTP_VALUES), c(6, 3, 0));
    let _ = (handler(200), handler(500), handler(404), handler(503));
    assert_eq!(counts(&HTTP_VALUES), c(8, 5, 0));
}
