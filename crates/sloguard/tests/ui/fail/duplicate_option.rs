#[sloguard::sli(slo = "a", slo = "b")]
fn f() {}

fn main() {}
