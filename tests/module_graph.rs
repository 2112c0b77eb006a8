//! The house stays a tree: within each library crate no two modules import
//! each other, directly or around a circle, and no library file grows past
//! 400 lines.
//!
//! A module here is a file under `src/` (`a/b.rs` and `a/b/mod.rs` are
//! `a::b`), and also each top-level room (`layer`, `check`, …), so that a
//! circle between two rooms is caught even when it runs through different
//! files. An edge is a `crate::…` path in code, outside tests and comments.

use std::collections::{BTreeMap, BTreeSet};
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

/// `a::b` for `src/a/b.rs` or `src/a/b/mod.rs`; `""` for the crate root.
fn module_name(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file without its comments and its `#[cfg(test)] mod tests`.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module paths a piece of code names through `crate::`: `crate::a::b`,
/// and each entry of `crate::{a, b::c}`.
fn crate_paths(code: &str) -> Vec<String> {
    paths_after(code, "crate::")
}

/// The paths after each `prefix` (`crate::`, `super::`), braces expanded.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `super::super::`, or a longer name
        }
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(group.split(',').map(|s| s.trim().to_string()));
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// The module `path` names: its longest prefix that is a module.
fn resolve(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|k| parts[..k].join("::"))
        .find(|m| modules.contains(m))
}

/// Every circle among `edges`, as the modules on it (Tarjan's algorithm).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w.as_str()) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w.as_str()]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w.as_str()) {
                    let low = self.low[v].min(self.index[w.as_str()]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().position(|&m| m == v).unwrap();
                let component: Vec<String> = self.stack.drain(at..).map(str::to_string).collect();
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

/// The circles of one crate's `src`, between files and between rooms.
fn crate_circles(src: &Path) -> Vec<Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut sources = BTreeMap::new();
    for file in &files {
        let name = module_name(src, file);
        if name == "tests" || name.ends_with("::tests") {
            continue;
        }
        sources.insert(name, code(&fs::read_to_string(file).unwrap()));
    }
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let room = |m: &str| m.split("::").next().unwrap().to_string();
    let (mut by_file, mut by_room) = (BTreeMap::new(), BTreeMap::new());
    for (from, code) in &sources {
        if from.is_empty() {
            continue; // the crate root re-exports every room
        }
        // `super::x` in `a::b` is `a::x`.
        let parent = from.rsplit_once("::").map_or("", |(parent, _)| parent);
        let from_parent = paths_after(code, "super::").into_iter().map(|p| {
            if parent.is_empty() {
                p
            } else {
                format!("{parent}::{p}")
            }
        });
        for path in crate_paths(code).into_iter().chain(from_parent) {
            let Some(to) = resolve(&path, &modules) else {
                continue;
            };
            if to != *from && !to.is_empty() {
                by_file
                    .entry(from.clone())
                    .or_insert_with(BTreeSet::new)
                    .insert(to.clone());
            }
            if room(&to) != room(from) && !to.is_empty() {
                by_room
                    .entry(room(from))
                    .or_insert_with(BTreeSet::new)
                    .insert(room(&to));
            }
        }
    }
    let mut found = circles(&by_file);
    found.extend(circles(&by_room));
    found
}

fn library_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut srcs = vec![root.join("src")];
    for entry in fs::read_dir(root.join("crates")).unwrap().flatten() {
        srcs.push(entry.path().join("src"));
    }
    srcs
}

#[test]
fn no_module_imports_around_a_circle() {
    let srcs = library_sources();
    assert!(srcs.len() >= 5, "{srcs:?}");
    let mut report = Vec::new();
    for src in &srcs {
        for circle in crate_circles(src) {
            report.push(format!("{}: {}", src.display(), circle.join(" ↔ ")));
        }
    }
    assert!(report.is_empty(), "import circles:\n{}", report.join("\n"));
}

#[test]
fn the_circle_finder_finds_circles() {
    // The detector itself, on a small graph: a → b → c → a, and d → a.
    let mut edges = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")] {
        edges
            .entry(a.to_string())
            .or_insert_with(BTreeSet::new)
            .insert(b.to_string());
    }
    let mut found = circles(&edges);
    assert_eq!(found.len(), 1);
    found[0].sort();
    assert_eq!(found[0], ["a", "b", "c"]);
    let paths = crate_paths("use crate::{init, param::Role};\nlet x = crate::shape::dim::Const;");
    assert_eq!(paths, ["init", "param::Role", "shape::dim::Const"]);
    let paths = paths_after("use super::{extent::WindowFault, Dim};", "super::");
    assert_eq!(paths, ["extent::WindowFault", "Dim"]);
}

#[test]
fn no_library_file_is_over_400_lines() {
    let mut long = Vec::new();
    for src in library_sources() {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let lines = fs::read_to_string(&file).unwrap().lines().count();
            if lines > 400 {
                long.push(format!("{}: {lines} lines", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}
