//! Compile-time behaviour of `#[sli]`: the accepted forms compile; wrong ones fail with an
//! error at the token at fault that says what is expected (see `ui/fail/*.stderr`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
