use sloguard::sli;

#[derive(Debug)]
struct Invalid;
impl sloguard::attribute::ClassifyError for Invalid {
    fn is_fault(&self) -> bool {
        false
    }
}

fn empty(v: &[u8]) -> bool {
    v.is_empty()
}

#[sli(slo = "jobs")]
fn plain() {}

#[sli(slo = "jobs", operation = "resize_image")]
fn with_result(n: u8) -> Result<u8, Invalid> {
    if n == 0 {
        Err(Invalid)
    } else {
        Ok(n)
    }
}

#[sli(slo = "jobs", bad_if = empty)]
fn bytes() -> Vec<u8> {
    vec![1]
}

#[sli(slo = "jobs", good_if = empty, registry = sloguard::Registry::builder("x").build())]
async fn later() -> Vec<u8> {
    Vec::new()
}

struct S;
impl S {
    #[sli(slo = "jobs")]
    fn method<T: Clone>(&self, t: &T) -> T {
        t.clone()
    }
}

fn main() {
    plain();
    let _ = with_result(1);
    let _ = bytes();
    let _ = later();
    let _ = S.method(&3);
}
