//! Judging the host of a URL: relative, trusted (payment gateways, CDNs, analytics), a lookalike
//! of a trusted brand, on the known-bad indicator list, or merely foreign. URLs are judged after
//! folding, so an encoded or concatenated URL is judged like a plain one.

use std::sync::OnceLock;

const TRUSTED: &str = include_str!("../rules/vocabulary/trusted-hosts.txt");
const BRANDS: &str = include_str!("../rules/vocabulary/brands.txt");
const KNOWN_BAD: &str = include_str!("../rules/vocabulary/known-bad-hosts.txt");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostClass {
    /// No host: a relative URL (same origin).
    Relative,
    Trusted,
    KnownBad,
    Lookalike,
    /// Some other host.
    Foreign,
}

impl HostClass {
    pub fn name(self) -> &'static str {
        match self {
            HostClass::Relative => "relative",
            HostClass::Trusted => "trusted",
            HostClass::KnownBad => "known-bad",
            HostClass::Lookalike => "lookalike",
            HostClass::Foreign => "foreign",
        }
    }
}

fn entries(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect()
}

fn trusted() -> &'static [&'static str] {
    static T: OnceLock<Vec<&'static str>> = OnceLock::new();
    T.get_or_init(|| entries(TRUSTED))
}

fn brands() -> &'static [&'static str] {
    static B: OnceLock<Vec<&'static str>> = OnceLock::new();
    B.get_or_init(|| entries(BRANDS))
}

fn known_bad() -> &'static [&'static str] {
    static K: OnceLock<Vec<&'static str>> = OnceLock::new();
    K.get_or_init(|| entries(KNOWN_BAD))
}

/// The host of an absolute or protocol-relative URL, lower-case, without port or `www.`.
pub fn host_of(url: &str) -> Option<String> {
    let u = url.trim();
    let rest = match u.find("//") {
        Some(i)
            if u[..i].chars().all(|c| c.is_ascii_alphabetic() || c == ':')
                && (i == 0 || u[..i].ends_with(':')) =>
        {
            &u[i + 2..]
        }
        _ => return None,
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host
        .split(':')
        .next()
        .unwrap_or(host)
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let valid = !host.is_empty()
        && host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    valid.then_some(host)
}

/// `a.b.example.co.uk` → `example.co.uk`; `cdn.example.com` → `example.com`.
pub fn registrable(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() <= 2 {
        return host.to_string();
    }
    let n = labels.len();
    let second = labels[n - 2];
    let two_level = matches!(second, "co" | "com" | "net" | "org" | "gov" | "ac" | "edu")
        && labels[n - 1].len() == 2;
    let keep = if two_level { 3 } else { 2 };
    labels[n - keep..].join(".")
}

fn in_list(host: &str, list: &[&str]) -> bool {
    list.iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// Classifies the host of `url`, with `extra_trusted` (the shop's own domains) counted as trusted.
pub fn classify(url: &str, extra_trusted: &[String]) -> HostClass {
    let Some(host) = host_of(url) else {
        return HostClass::Relative;
    };
    if in_list(&host, known_bad()) {
        return HostClass::KnownBad;
    }
    let extra: Vec<&str> = extra_trusted.iter().map(String::as_str).collect();
    if in_list(&host, trusted()) || in_list(&host, &extra) {
        return HostClass::Trusted;
    }
    if is_lookalike(&host) {
        return HostClass::Lookalike;
    }
    HostClass::Foreign
}

/// A host (not trusted) whose name imitates a trusted brand: punycode, homoglyph spellings,
/// near-misses (edit distance), or the brand with extra words, hyphens or another TLD.
pub fn is_lookalike(host: &str) -> bool {
    if host.split('.').any(|l| l.starts_with("xn--")) {
        return true;
    }
    let reg = registrable(host);
    // A trusted brand's domain used as a subdomain of another: paypal.com.secure-pay.biz.
    let sub = host.strip_suffix(&reg).unwrap_or("");
    if trusted().iter().any(|t| sub.contains(&format!("{t}."))) {
        return true;
    }
    let name = reg.split('.').next().unwrap_or(&reg);
    let squashed: String = name.chars().filter(|c| *c != '-').collect();
    let deglyphed = deglyph(&squashed);
    brands().iter().any(|brand| {
        let b = *brand;
        if squashed == b || deglyphed == b {
            return true; // the brand itself under a foreign TLD, or spelled with homoglyphs
        }
        if b.len() >= 5 && (squashed.contains(b) || deglyphed.contains(b)) {
            return true; // jquery-cdn, cdn-google-analytics, paypal-secure
        }
        b.len() >= 5 && edit_distance(&deglyphed, b) <= if b.len() >= 8 { 2 } else { 1 }
    })
}

fn deglyph(s: &str) -> String {
    s.replace("rn", "m")
        .replace("cl", "d")
        .replace("vv", "w")
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' | 'i' => 'l',
            '3' => 'e',
            '5' => 's',
            '@' => 'a',
            c => c,
        })
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 3 {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut prev2: Vec<usize> = prev.clone();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            // Adjacent transposition (jqeury) counts as one edit.
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_judged() {
        let c = |u: &str| classify(u, &[]);
        assert_eq!(c("/checkout/cart"), HostClass::Relative);
        assert_eq!(c("https://js.stripe.com/v3/"), HostClass::Trusted);
        assert_eq!(
            c("//www.google-analytics.com/analytics.js"),
            HostClass::Trusted
        );
        assert_eq!(
            c("https://g00gle-analytics.com/ga.js"),
            HostClass::Lookalike
        );
        assert_eq!(c("https://jquery-cdn.example/m.js"), HostClass::Lookalike);
        assert_eq!(c("https://braintree-api.cc/x.js"), HostClass::Lookalike);
        assert_eq!(
            c("https://paypal.com.secure-pay.biz/"),
            HostClass::Lookalike
        );
        assert_eq!(c("https://jqeury.com/x.js"), HostClass::Lookalike);
        assert_eq!(c("https://xn--ggle-0nda.com/"), HostClass::Lookalike);
        assert_eq!(c("https://cdn.magentocore.net/x.js"), HostClass::KnownBad);
        assert_eq!(c("https://fonts.example.org/x.css"), HostClass::Foreign);
        assert_eq!(c("https://shop.example.com/x",), HostClass::Foreign);
        assert_eq!(
            classify("https://shop.example.com/x", &["example.com".into()]),
            HostClass::Trusted
        );
        assert_eq!(registrable("a.b.example.co.uk"), "example.co.uk");
    }
}
