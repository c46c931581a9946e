//! What each built-in rule's query costs to compile (issue 18: start-up dominates short runs).
//!
//!     cargo run --release --example query_cost [-- --top N]
//!
//! Compiles every rule's query on its own, three times, and prints the fastest time minus the
//! time of a trivial query of the same language (tree-sitter's fixed cost per query), largest
//! first, then each pattern of the costliest rules alone. A rough guide to which patterns make
//! the merged query slow to build: tree-sitter analyses each pattern against the grammar's parse
//! states, and wide patterns (wildcards under common nodes such as binary expressions) explore
//! many of them.

use std::time::{Duration, Instant};

use skimlint::syntax::lang::Lang;
use tree_sitter::Query;

fn fastest(lang: Lang, text: &str) -> Option<Duration> {
    let mut best = None::<Duration>;
    for _ in 0..3 {
        let t = Instant::now();
        Query::new(&lang.grammar(), text).ok()?;
        let d = t.elapsed();
        best = Some(best.map_or(d, |b| b.min(d)));
    }
    best
}

/// Top-level patterns of a query text: split where a line starts with `(` or `[` at depth 0.
fn patterns(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let (mut depth, mut cur, mut in_str) = (0i32, String::new(), false);
    let mut prev = ' ';
    for ch in text.chars() {
        if depth == 0
            && !in_str
            && (ch == '(' || ch == '[')
            && !cur.trim().is_empty()
            && cur
                .trim_end()
                .ends_with(|c: char| c == ')' || c == ']' || c.is_alphanumeric() || c == '"')
        {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(ch);
        if ch == '"' && prev != '\\' {
            in_str = !in_str;
        } else if !in_str {
            match ch {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                _ => {}
            }
        }
        prev = ch;
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--try") {
        // `--try php|javascript QUERY`: the cost of one query text.
        let lang = if args.get(2).map(String::as_str) == Some("php") {
            Lang::Php
        } else {
            Lang::Javascript
        };
        let q = args.get(3).cloned().unwrap_or_default();
        match fastest(lang, &q) {
            Some(d) => println!("{d:?}"),
            None => println!(
                "does not compile: {:?}",
                Query::new(&lang.grammar(), &q).err()
            ),
        }
        return;
    }
    if args.get(1).map(String::as_str) == Some("--merged") {
        // Every rule's query of each language in one text, as `rules::merge` links them, and
        // the same text compiled in two halves (what two cores do).
        for lang in [Lang::Javascript, Lang::Php] {
            let texts: Vec<String> = rule_queries()
                .into_iter()
                .filter(|(_, l, _)| *l == lang)
                .map(|(_, _, q)| q)
                .collect();
            let whole = texts.join("\n");
            let (a, b) = texts.split_at(texts.len() / 2);
            let halves = [a.join("\n"), b.join("\n")];
            let mut seen = std::collections::BTreeSet::new();
            let mut all = 0;
            for t in &texts {
                for p in patterns(t) {
                    all += 1;
                    seen.insert(p.split_whitespace().collect::<Vec<_>>().join(" "));
                }
            }
            let unique: Vec<String> = seen.into_iter().collect();
            println!(
                "{:<11} {all} patterns, {} distinct: distinct merged {:?}",
                lang.name(),
                unique.len(),
                fastest(lang, &unique.join("\n")).unwrap_or_default()
            );
            println!(
                "{:<11} {} rule queries: merged {:?}; halves {:?} + {:?}",
                lang.name(),
                texts.len(),
                fastest(lang, &whole).unwrap_or_default(),
                fastest(lang, &halves[0]).unwrap_or_default(),
                fastest(lang, &halves[1]).unwrap_or_default(),
            );
        }
        return;
    }
    let top: usize = std::env::args()
        .skip_while(|a| a != "--top")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    let mut rows: Vec<(Duration, String, Lang, String)> = Vec::new();
    for (id, lang, query) in rule_queries() {
        if let Some(d) = fastest(lang, &query) {
            rows.push((d, id, lang, query));
        }
    }
    let base_js = fastest(Lang::Javascript, "(identifier) @x").unwrap_or_default();
    let base_php = fastest(Lang::Php, "(name) @x").unwrap_or_default();
    println!("fixed cost per query: javascript {base_js:?}, php {base_php:?}");
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut total = [Duration::ZERO; 2];
    for (d, _, lang, _) in &rows {
        let base = if *lang == Lang::Javascript {
            base_js
        } else {
            base_php
        };
        total[usize::from(*lang == Lang::Php)] += d.saturating_sub(base);
    }
    println!(
        "sum over rules above the fixed cost: javascript {:?}, php {:?}",
        total[0], total[1]
    );
    for (d, id, lang, query) in rows.iter().take(top) {
        let base = if *lang == Lang::Javascript {
            base_js
        } else {
            base_php
        };
        println!("{:>9.1?}  {:<12} {id}", d.saturating_sub(base), lang.name());
        for p in patterns(query) {
            if let Some(pd) = fastest(*lang, &p) {
                let first = p.split_whitespace().take(8).collect::<Vec<_>>().join(" ");
                println!("      {:>9.1?}  {first}", pd.saturating_sub(base));
            }
        }
    }
}

/// (rule id, language, query text) of every built-in rule with a query, in file order.
fn rule_queries() -> Vec<(String, Lang, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let mut out = Vec::new();
    for entry in walk(std::path::Path::new(dir)) {
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        let Ok(doc) = text.parse::<toml::Table>() else {
            continue;
        };
        let Some(query) = doc.get("query").and_then(|q| q.as_str()) else {
            continue;
        };
        let id = doc.get("id").and_then(|v| v.as_str()).unwrap_or("?");
        let langs = doc.get("languages").and_then(|v| v.as_array());
        for l in langs.into_iter().flatten() {
            let lang = match l.as_str() {
                Some("javascript") => Lang::Javascript,
                Some("php") => Lang::Php,
                _ => continue,
            };
            out.push((id.to_string(), lang, query.to_string()));
        }
    }
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
    out.sort();
    out
}
