#[sloguard::sli(slo = "jobs", objective = "99.9")]
fn f() {}

fn main() {}
