//! Compile-time behaviour of `#[derive(Network)]`: the errors a user sees
//! (tests/ui/*.rs with their .stderr) and programs that must build and run
//! (tests/ui/pass/*.rs). Having pass cases makes trybuild run `cargo build`,
//! not just `cargo check`, so nothing can hide behind the check.
//!
//! The snapshots follow the compiler's wording: after a toolchain upgrade,
//! regenerate them with `TRYBUILD=overwrite cargo test --test ui` and review
//! the diff.

use std::fs;
use std::path::Path;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

/// The longest line a first error block may have: what fits a terminal
/// beside an editor.
const WIDTH: usize = 160;

/// Tuple chains are checked by the layers inside them, after
/// monomorphisation: rustc prints the instance, whose computed extent
/// types (`Flat<Const<30>, Window<Window<Const<28>, 5, 1, 0>, 2, 2, 0>, …>`)
/// alone are wider than a terminal. A derived network names only itself.
const WIDE_BY_NATURE: &[&str] = &["conv-tuple-mismatch.stderr"];

fn snapshots() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let mut out: Vec<(String, String)> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "stderr"))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() > 30, "{} snapshots", out.len());
    out
}

/// The lines of the first error: up to the blank line before the next
/// `error`, or the end.
fn first_block(stderr: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    for (i, line) in stderr.lines().enumerate() {
        if i > 0 && line.starts_with("error") {
            break;
        }
        lines.push(line);
    }
    lines
}

#[test]
fn first_errors_fit_a_terminal() {
    let mut wide = Vec::new();
    for (name, stderr) in snapshots() {
        if WIDE_BY_NATURE.contains(&name.as_str()) {
            continue;
        }
        for line in first_block(&stderr) {
            if line.chars().count() > WIDTH {
                wide.push(format!("{name}: {} chars: {line}", line.chars().count()));
            }
        }
    }
    assert!(wide.is_empty(), "{}", wide.join("\n"));
}

#[test]
fn every_mistake_is_one_error() {
    for (name, stderr) in snapshots() {
        let errors = stderr.lines().filter(|l| l.starts_with("error")).count();
        assert_eq!(errors, 1, "{name} has {errors} errors:\n{stderr}");
    }
}

#[test]
fn shapes_are_written_one_way() {
    // Per sample as `[_, 30, 12, 12]`; the array notation is gone.
    for (name, stderr) in snapshots() {
        let first = first_block(&stderr).join("\n");
        assert!(
            !first.contains("[f32;") && !first.contains("[f64;"),
            "{name}:\n{first}"
        );
    }
}
