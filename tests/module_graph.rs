//! No import cycles between the library's top-level modules (`src/<module>.rs` or
//! `src/<module>/`): every `crate::…` path (grouped `use crate::{a, b::c}` included) and every
//! `super::…` path that climbs to the crate root is an edge from the file's top-level module to
//! the one it names; a strongly connected component of more than one module fails the test.
//! The binary's `src/main.rs` and `src/cli/` are another crate and reach the library only
//! through `skimlint::`, so they cannot be in a cycle and are not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles allowed between top-level modules: none.
const ALLOWED: &[&[&str]] = &[];

/// The module path of a library file: `src/scan/mod.rs` → [scan], `src/scan/cache.rs` →
/// [scan, cache], `src/lib.rs` → [].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// Code without `//` comments (doc comments mention paths) and without string literals' text.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = '\0';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_str {
                if c == '"' && prev != '\\' {
                    in_str = false;
                }
                prev = if prev == '\\' && c == '\\' { '\0' } else { c };
                continue;
            }
            if c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' {
                in_str = true;
                prev = '\0';
                continue;
            }
            out.push(c);
        }
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> Option<&str> {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

/// The top-level modules a file at `module` refers to.
fn targets(module: &[String], text: &str) -> BTreeSet<String> {
    let code = code_only(text);
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    let boundary =
        |i: usize| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
    for (i, _) in code.match_indices("crate::") {
        if !boundary(i) {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the group's first-level names.
            let mut depth = 0usize;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        if let Some(id) = ident_at(&group[j..]) {
                            out.insert(id.to_string());
                        }
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else if let Some(id) = ident_at(rest) {
            out.insert(id.to_string());
        }
    }
    for (i, _) in code.match_indices("super::") {
        if !boundary(i) || code[..i].ends_with("super::") {
            continue;
        }
        let mut rest = &code[i..];
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            up += 1;
            rest = r;
        }
        if up == module.len() {
            if let Some(id) = ident_at(rest) {
                out.insert(id.to_string());
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Edges between top-level modules, each with a file that makes it.
fn graph(src: &Path) -> BTreeMap<(String, String), String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel.iter().next().unwrap().to_string_lossy().into_owned();
        if first == "main.rs" || first == "cli" || first == "lib.rs" {
            continue;
        }
        let module = module_path(rel);
        let from = module[0].clone();
        let text = std::fs::read_to_string(&file).unwrap();
        for to in targets(&module, &text) {
            let exists = src.join(&to).is_dir() || src.join(format!("{to}.rs")).is_file();
            if to != from && exists {
                edges
                    .entry((from.clone(), to))
                    .or_insert_with(|| rel.display().to_string());
            }
        }
    }
    edges
}

/// Strongly connected components with more than one module.
fn cycles(edges: &BTreeMap<(String, String), String>) -> Vec<BTreeSet<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        next.entry(a).or_default().push(b);
        next.entry(b).or_default();
    }
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            for &m in &next[n] {
                if seen.insert(m) {
                    stack.push(m);
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<&str>> = next.keys().map(|&n| (n, reach(n))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for (&n, r) in &reaches {
        let scc: BTreeSet<String> = r
            .iter()
            .filter(|&&m| m == n || reaches[m].contains(n))
            .map(|m| m.to_string())
            .chain(std::iter::once(n.to_string()))
            .collect();
        if scc.len() > 1 && !out.contains(&scc) {
            out.push(scc);
        }
    }
    out
}

#[test]
fn no_cycles_between_top_level_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    assert!(
        edges.contains_key(&("scan".to_string(), "engine".to_string())),
        "the parser finds the scan → engine edge"
    );
    let allowed: Vec<BTreeSet<String>> = ALLOWED
        .iter()
        .map(|c| c.iter().map(|m| m.to_string()).collect())
        .collect();
    let bad: Vec<String> = cycles(&edges)
        .into_iter()
        .filter(|c| !allowed.contains(c))
        .map(|c| {
            let via: Vec<String> = edges
                .iter()
                .filter(|((a, b), _)| c.contains(a) && c.contains(b))
                .map(|((a, b), file)| format!("{a} → {b} ({file})"))
                .collect();
            format!("{c:?}: {}", via.join(", "))
        })
        .collect();
    assert!(bad.is_empty(), "import cycles:\n{}", bad.join("\n"));
}

#[test]
fn paths_are_read_from_uses_groups_and_super() {
    let module = vec!["post".to_string(), "suppress".to_string()];
    let text = "use crate::{scan::ScanResult, finding::{a, b}};\n\
                // crate::report in a comment\n\
                let s = \"crate::engine in a string\";\n\
                fn f() { crate::rules::x(); super::super::units::y(); super::baseline::z(); }\n\
                use notcrate::fold;";
    let found: Vec<String> = targets(&module, text).into_iter().collect();
    assert_eq!(found, vec!["finding", "rules", "scan", "units"]);
    let mut edges = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        edges.insert((a.to_string(), b.to_string()), String::new());
    }
    let c = cycles(&edges);
    assert_eq!(c.len(), 1);
    assert_eq!(
        c[0].iter().cloned().collect::<Vec<_>>(),
        vec!["a", "b", "c"]
    );
}
