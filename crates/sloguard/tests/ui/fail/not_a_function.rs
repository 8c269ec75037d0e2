#[sloguard::sli(slo = "jobs")]
struct Job;

fn main() {}
