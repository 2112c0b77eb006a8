//! Compile-time behaviour of `#[derive(Network)]`: the errors a user sees
//! (tests/ui/*.rs with their .stderr) and programs that must build and run
//! (tests/ui/pass/*.rs). Having pass cases makes trybuild run `cargo build`,
//! not just `cargo check`, so nothing can hide behind the check.
//!
//! The snapshots follow the compiler's wording: after a toolchain upgrade,
//! regenerate them with `TRYBUILD=overwrite cargo test --test ui` and review
//! the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
