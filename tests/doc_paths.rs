//! What a user copies from the docs works with `katachi` alone in their
//! Cargo.toml: no doc comment names the internal crates or needs `rand`.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn doc_examples_use_only_katachi_paths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates"), &mut files);
    assert!(files.len() > 40, "{} files", files.len());
    let mut offenders = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let doc = line.trim_start();
            if !(doc.starts_with("///") || doc.starts_with("//!")) {
                continue;
            }
            let code = doc.trim_start_matches(['/', '!']).trim_start();
            let code = code.strip_prefix("# ").unwrap_or(code);
            let names_internal = ["katachi_core::", "katachi_par::"]
                .iter()
                .any(|c| code.contains(&format!("use {c}")) || code.contains(&format!("<(), {c}")));
            let needs_rand = code.starts_with("use rand") || code.contains("rand_chacha::");
            if names_internal || needs_rand {
                offenders.push(format!("{}:{}: {line}", file.display(), i + 1));
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
