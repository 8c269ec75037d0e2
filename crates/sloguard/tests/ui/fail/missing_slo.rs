#[sloguard::sli(operation = "resize")]
fn f() {}

fn main() {}
