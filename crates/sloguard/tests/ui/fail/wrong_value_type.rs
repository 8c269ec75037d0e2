#[sloguard::sli(slo = checkout)]
fn f() {}

#[sloguard::sli(slo = "checkout", operation = 5)]
fn g() {}

#[sloguard::sli(slo = "checkout", bad_if = "is_bad")]
fn h() {}

fn main() {}
