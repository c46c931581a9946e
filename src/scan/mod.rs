//! The whole pipeline for a set of paths: discover → units → parse → fold → rules → findings.
//! Files are processed in parallel; the result is sorted, so output never depends on timing.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

pub mod archives;
pub mod cache;
pub mod config;
pub mod directives;
pub mod manifest;
pub mod profile;
pub mod progress;

use crate::engine::{self, reported_hits};
use crate::finding::{fingerprint_all, sort_findings, FileProblem, Finding, Location, Related};
use crate::fold::{Budget, Limits};
use crate::input::archive::{self, ArchiveLimits};
use crate::input::discover::{discover, Candidate};
use crate::input::read::{read_regular_file, ReadOutcome};
use crate::input::source::{LineIndex, SourceFile};
use crate::rules::prefilter::Scope;
use crate::rules::RuleSet;
use crate::scan::config::PathFilter;
use crate::scan::progress::{NoProgress, Progress};
use crate::units::{self, classify};

#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub limits: Limits,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// `include`/`exclude` from the configuration file.
    pub filter: Option<PathFilter>,
    /// Limits for archives scanned in memory.
    pub archive: ArchiveLimits,
    /// `--partition K/N`: only files whose display path hashes to K-1 modulo N.
    pub partition: Option<(u64, u64)>,
    /// Known-good manifests (`--known-good`): files matching them are not analysed.
    pub known_good: Vec<Arc<crate::scan::manifest::Manifest>>,
    /// The result cache (`None`: `--no-cache`). Files on disk only, not archive members.
    pub cache: Option<Arc<crate::scan::cache::Cache>>,
    /// Keep the bytes of files (and archive members) with findings or directives in
    /// `ScanResult::sources`, for reports that show excerpts.
    pub keep_sources: bool,
}

/// Stable hash of a display path for `--partition` (64-bit FNV-1a: the same on every platform
/// and version, so N machines agree on who scans what).
pub fn partition_hash(display_path: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in display_path.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[derive(Debug, Default)]
pub struct ScanResult {
    pub findings: Vec<Finding>,
    pub problems: Vec<FileProblem>,
    pub files_scanned: usize,
    /// Plain files on disk that were scanned and held `skimlint-ignore`, or could not be read
    /// (display path and where they are on disk: `report::rebase` looks them up first).
    /// Archives expanded in memory are not among them (their members are not on disk).
    pub files: Vec<Candidate>,
    /// The `skimlint-ignore` directives found while scanning plain files, for the
    /// suppression pass (`post::suppress`), which reads no file again.
    pub directives: Vec<directives::FileDirectives>,
    /// Display path → the bytes the scan read, for files and archive members with findings or
    /// directives, when `ScanOptions::keep_sources` (report excerpts read no file again).
    pub sources: std::collections::BTreeMap<String, Arc<Vec<u8>>>,
    /// Top-level archives scanned, sorted by path.
    pub archives: Vec<ArchiveSummary>,
    /// Files skipped because their content matches a known-good manifest (not in
    /// `files_scanned`).
    pub files_known_good: usize,
    /// Files whose results came from the cache (among `files_scanned`).
    pub files_from_cache: usize,
}

/// A top-level archive and how many of its members went through the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArchiveSummary {
    pub path: String,
    pub files: usize,
}

/// What scanning one discovered path produced.
struct Outcome {
    findings: Vec<Finding>,
    problems: Vec<FileProblem>,
    files: usize,
    archive: Option<ArchiveSummary>,
    /// The path's own bytes were scanned (false for an archive expanded in memory).
    plain: bool,
    /// Matched a known-good manifest; not scanned.
    known_good: bool,
    /// The file's `skimlint-ignore` directives.
    directives: Option<directives::FileDirectives>,
    /// Bytes kept for report excerpts (`ScanOptions::keep_sources`).
    sources: Vec<(String, Arc<Vec<u8>>)>,
}

pub fn scan_paths(paths: &[PathBuf], rules: &RuleSet, options: &ScanOptions) -> ScanResult {
    scan_paths_with_progress(paths, rules, options, &NoProgress)
}

/// [`scan_paths`], telling `progress` about every discovered path as it is done.
pub fn scan_paths_with_progress(
    paths: &[PathBuf],
    rules: &RuleSet,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> ScanResult {
    let (mut candidates, walk_problems) = discover(paths);
    if let Some(filter) = &options.filter {
        candidates.retain(|c| filter.allows(&c.disk_path));
    }
    // Manifests are anchored on all files, so every partition agrees on where they sit.
    let plan = (!options.known_good.is_empty())
        .then(|| crate::scan::manifest::plan(&options.known_good, &candidates));
    if let Some((k, n)) = options.partition {
        candidates.retain(|c| partition_hash(&c.display_path) % n == k - 1);
    }
    let hits_before = options.cache.as_ref().map_or(0, |c| c.hits());
    progress.start(candidates.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        // Generous stacks: folding recursion is bounded, but deep input should never come close.
        .stack_size(64 << 20)
        .build();
    let scan_one = |c: &Candidate| {
        let outcome = scan_candidate(c, rules, options, plan.as_ref());
        progress.advance(&c.display_path);
        outcome
    };
    // Large files are analysed one after another in a lane of their own (their syntax trees
    // take hundreds of MB), while the other workers take the rest: a worker never waits for
    // another's large file.
    let run = || {
        let sizes: Vec<u64> = candidates.par_iter().map(plain_file_size).collect();
        if sizes.iter().sum::<u64>() > ONE_QUERY_FROM_BYTES {
            rules.prefer_one_query();
        }
        let (in_lane, in_pool): (Vec<usize>, Vec<usize>) =
            (0..candidates.len()).partition(|&i| sizes[i] > LARGE_FILE_BYTES as u64);
        let (lane, pool) = rayon::join(
            || {
                in_lane
                    .iter()
                    .map(|&i| scan_one(&candidates[i]))
                    .collect::<Vec<_>>()
            },
            || {
                in_pool
                    .par_iter()
                    .map(|&i| scan_one(&candidates[i]))
                    .collect::<Vec<_>>()
            },
        );
        let mut out: Vec<Option<Outcome>> = (0..candidates.len()).map(|_| None).collect();
        for (i, o) in in_lane
            .into_iter()
            .zip(lane)
            .chain(in_pool.into_iter().zip(pool))
        {
            out[i] = Some(o);
        }
        out.into_iter().flatten().collect::<Vec<_>>()
    };
    let per_file = match pool {
        Ok(p) => p.install(run),
        Err(_) => run(),
    };
    progress.finish();
    let mut result = ScanResult::default();
    for (path, message) in walk_problems {
        result.problems.push(FileProblem { path, message });
    }
    if let Some(plan) = plan {
        result.problems.extend(plan.problems);
    }
    for (c, outcome) in candidates.into_iter().zip(per_file) {
        result.files_known_good += usize::from(outcome.known_good);
        result.files_scanned += outcome.files;
        result.findings.extend(outcome.findings);
        result.problems.extend(outcome.problems);
        result.archives.extend(outcome.archive);
        if outcome.plain {
            result.files.push(c);
        }
        result.directives.extend(outcome.directives);
        result.sources.extend(outcome.sources);
    }
    result.archives.sort();
    if let Some(cache) = &options.cache {
        result.files_from_cache = cache.hits() - hits_before;
        cache.finish();
    }
    finish(&mut result);
    result
}

/// Sorts findings and problems and assigns fingerprints.
pub fn finish(result: &mut ScanResult) {
    sort_findings(&mut result.findings);
    fingerprint_all(&mut result.findings);
    result.problems.sort();
    result.problems.dedup();
}

fn scan_candidate(
    c: &Candidate,
    rules: &RuleSet,
    options: &ScanOptions,
    plan: Option<&crate::scan::manifest::Plan>,
) -> Outcome {
    let role = plan.and_then(|p| p.roles.get(&c.display_path));
    let mut integrity = None;
    if let Some(role) = role {
        match crate::scan::manifest::check(role, &c.display_path, &c.disk_path) {
            crate::scan::manifest::Verdict::KnownGood => {
                return Outcome {
                    findings: Vec::new(),
                    problems: Vec::new(),
                    files: 0,
                    archive: None,
                    plain: false,
                    known_good: true,
                    directives: None,
                    sources: Vec::new(),
                }
            }
            crate::scan::manifest::Verdict::Analyse(f) => integrity = f,
        }
    }
    let mut outcome = scan_candidate_inner(c, rules, options);
    outcome.findings.extend(integrity.map(|f| *f));
    outcome
}

fn scan_candidate_inner(c: &Candidate, rules: &RuleSet, options: &ScanOptions) -> Outcome {
    let meta = match std::fs::symlink_metadata(&c.disk_path) {
        Ok(m) => m,
        Err(e) => {
            let problem = FileProblem {
                path: c.display_path.clone(),
                message: format!("cannot read: {e}"),
            };
            return Outcome::file((Vec::new(), vec![problem]));
        }
    };
    if !meta.is_file() {
        return Outcome::file((Vec::new(), Vec::new()));
    }
    // Archives found in the walk are expanded in memory instead of scanned as plain files.
    if let Some(kind) = archive::kind_of(&c.display_path) {
        let a = archives::scan_archive(
            &c.display_path,
            &c.disk_path,
            kind,
            rules,
            &options.limits,
            &options.archive,
            options.keep_sources,
        );
        return Outcome {
            findings: a.findings,
            problems: a.problems,
            files: a.files,
            archive: Some(ArchiveSummary {
                path: c.display_path.clone(),
                files: a.files,
            }),
            plain: a.scanned_as_plain_file,
            known_good: false,
            directives: None,
            sources: a.sources,
        };
    }
    scan_plain_file(c, meta.len(), rules, options)
}

impl Outcome {
    fn file((findings, problems): (Vec<Finding>, Vec<FileProblem>)) -> Self {
        Outcome {
            findings,
            problems,
            files: 1,
            archive: None,
            plain: true,
            known_good: false,
            directives: None,
            sources: Vec::new(),
        }
    }
}

/// Reads a plain file once, finds its directives, and scans it.
fn scan_plain_file(c: &Candidate, len: u64, rules: &RuleSet, options: &ScanOptions) -> Outcome {
    let limits = &options.limits;
    let problem = |message: String| {
        Outcome::file((
            Vec::new(),
            vec![FileProblem {
                path: c.display_path.clone(),
                message,
            }],
        ))
    };
    if len > limits.max_file_bytes {
        return problem(format!(
            "skipped: {} bytes is over the {}-byte file size limit",
            len, limits.max_file_bytes
        ));
    }
    let bytes = match read_regular_file(&c.disk_path, limits.max_file_bytes) {
        Ok(ReadOutcome::Bytes(b)) => b,
        Ok(ReadOutcome::NotRegular) => return Outcome::file((Vec::new(), Vec::new())),
        Ok(ReadOutcome::TooLarge(len)) => {
            return problem(format!(
                "skipped: {len} bytes is over the {}-byte file size limit",
                limits.max_file_bytes
            ))
        }
        Err(e) => return problem(format!("cannot read: {e}")),
    };
    // Directives are read from these bytes: the suppression pass reads no file again.
    let has_token = directives::may_have_directives(&bytes);
    let found = has_token
        .then(|| directives::find(&c.display_path, &c.disk_path, &bytes, rules))
        .flatten();
    let file = SourceFile {
        display_path: c.display_path.clone(),
        disk_path: c.disk_path.clone(),
        bytes: Arc::new(bytes),
    };
    let (findings, problems) = scan_source_cached(&file, rules, limits, options.cache.as_deref());
    let keep = options.keep_sources && (!findings.is_empty() || found.is_some());
    Outcome {
        // Only files with a directive token are looked up by path afterwards.
        plain: has_token,
        directives: found,
        sources: keep
            .then_some((file.display_path, file.bytes))
            .into_iter()
            .collect(),
        ..Outcome::file((findings, problems))
    }
}

/// Scans one file's bytes. Never panics: a panic inside becomes a problem report for the file.
pub fn scan_source(
    file: &SourceFile,
    rules: &RuleSet,
    limits: &Limits,
) -> (Vec<Finding>, Vec<FileProblem>) {
    scan_source_cached(file, rules, limits, None)
}

/// [`scan_source`], with results looked up in and stored to `cache`.
pub fn scan_source_cached(
    file: &SourceFile,
    rules: &RuleSet,
    limits: &Limits,
    cache: Option<&crate::scan::cache::Cache>,
) -> (Vec<Finding>, Vec<FileProblem>) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        scan_source_inner(file, rules, limits, cache)
    }));
    match outcome {
        Ok(r) => r,
        Err(_) => (
            Vec::new(),
            vec![FileProblem {
                path: file.display_path.clone(),
                message: "internal error while scanning (please report)".into(),
            }],
        ),
    }
}

/// Hands the memory a large file's analysis freed back to the system: glibc keeps freed small
/// blocks in the worker's heap, and the next large file may run on the other worker, so without
/// this each worker held the peak of the largest file it had seen (tens of ms per large file).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The size of a plain file (0 for an archive, which is expanded member by member, and for
/// what is not a file).
fn plain_file_size(c: &Candidate) -> u64 {
    if archive::kind_of(&c.display_path).is_some() {
        return 0;
    }
    std::fs::symlink_metadata(&c.disk_path)
        .ok()
        .filter(|m| m.is_file())
        .map_or(0, |m| m.len())
}

/// Runs over more bytes than this link each language as one query (see
/// `RuleSet::prefer_one_query`).
const ONE_QUERY_FROM_BYTES: u64 = 32 << 20;

/// Files larger than this are analysed one at a time (see `scan_source_inner`).
const LARGE_FILE_BYTES: usize = 256 << 10;
static LARGE_FILE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn scan_source_inner(
    file: &SourceFile,
    rules: &RuleSet,
    limits: &Limits,
    cache: Option<&crate::scan::cache::Cache>,
) -> (Vec<Finding>, Vec<FileProblem>) {
    // Cached results (see src/scan/cache.rs): hashing is cheaper than the prefilter.
    let key = cache.map(|c| c.key(&file.disk_path, &file.bytes));
    if let (Some(c), Some(k)) = (cache, &key) {
        if let Some(hit) = c.get(k, &file.display_path) {
            return hit;
        }
    }
    let (findings, problems) = analyse(file, rules, limits);
    if let (Some(c), Some(k)) = (cache, &key) {
        c.put(k, &findings, &problems);
    }
    (findings, problems)
}

/// Classification, the prefilter, units, parse, fold, rules.
fn analyse(
    file: &SourceFile,
    rules: &RuleSet,
    limits: &Limits,
) -> (Vec<Finding>, Vec<FileProblem>) {
    let kind = classify::classify(&file.disk_path, &file.bytes);
    if kind == classify::FileKind::Skip {
        return (Vec::new(), Vec::new());
    }
    // Markup kept in SQL or JSON strings is judged as the rules will see it, unescaped:
    // `\"wri\" + \"te\"` is two literals joined once its quotes are read.
    let unescaped = (kind == classify::FileKind::Markup(crate::units::template::Dialect::Escaped))
        .then(|| crate::units::template::unescape_quotes(&file.bytes));
    let prefilter_bytes = unescaped.as_deref().unwrap_or(&file.bytes);
    if crate::rules::prefilter::enabled()
        && !rules
            .prefilter()
            .may_match(prefilter_bytes, Scope::of(kind, prefilter_bytes))
    {
        return (Vec::new(), Vec::new());
    }
    let file_units = units::extract(kind, &file.bytes);
    if file_units.units.is_empty()
        && file_units.script_srcs.is_empty()
        && file_units.directives.is_empty()
    {
        return (Vec::new(), Vec::new());
    }
    // One large file at a time: analysing a multi-megabyte bundle holds hundreds of MB (its
    // syntax tree alone is ~20× the file), so peak memory is bounded by the largest file rather
    // than by the largest files that happen to run together. Taken before the file's time
    // budget starts.
    let large = (file.bytes.len() > LARGE_FILE_BYTES)
        .then(|| LARGE_FILE.lock().unwrap_or_else(|e| e.into_inner()));
    let budget = Budget::new(limits.clone());
    let scan = engine::scan_file(&file_units, rules, &budget);
    if let Some(guard) = large {
        release_freed_memory();
        drop(guard);
    }
    let text = file.bytes.as_slice();
    let index = LineIndex::new(text);
    let location = |span: &std::ops::Range<usize>| Location {
        path: file.display_path.clone(),
        start: index.position(text, span.start),
        end: index.position(text, span.end),
        bytes: span.clone(),
    };
    let findings = reported_hits(rules, scan.hits)
        .into_iter()
        .map(|hit| {
            let rule = &rules.rules[hit.rule];
            let loc = location(&hit.span);
            let snippet = crate::finding::snippet(index.line_text(text, loc.start.line));
            Finding::new(
                rule.meta.id.clone(),
                rule.meta.severity,
                hit.message,
                loc,
                snippet,
            )
            .with_layers(hit.layers)
            .with_related(
                hit.related
                    .iter()
                    .map(|(span, message)| Related {
                        location: location(span),
                        message: message.clone(),
                    })
                    .collect(),
            )
        })
        .collect();
    let mut problems: Vec<FileProblem> = scan
        .problems
        .into_iter()
        .map(|message| FileProblem {
            path: file.display_path.clone(),
            message,
        })
        .collect();
    problems.sort();
    problems.dedup();
    (findings, problems)
}
