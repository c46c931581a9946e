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

/// A brand label and the registrable domains the brand itself owns (`brands.txt`: the label,
/// then its own domains).
struct Brand {
    label: &'static str,
    own: Vec<&'static str>,
}

fn brands() -> &'static [Brand] {
    static B: OnceLock<Vec<Brand>> = OnceLock::new();
    B.get_or_init(|| {
        entries(BRANDS)
            .into_iter()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                Some(Brand {
                    label: words.next()?,
                    own: words.collect(),
                })
            })
            .collect()
    })
}

/// Whether `host` lies on one of a brand's own registrable domains.
fn brand_owned(host: &str) -> bool {
    brands().iter().any(|b| in_list(host, &b.own))
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

/// The one matcher for the shop's `[hosts] allow` patterns (configuration and host judgement
/// both use it): `shop.example.com` is that host only; `*.example.com` is every subdomain of
/// `example.com` but not `example.com` itself. `host` in any case, with or without a trailing
/// dot.
pub fn allow_pattern_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        None => pattern == host,
    }
}

/// Classifies the host of `url`, with the shop's `[hosts] allow` patterns (`allowed`, see
/// [`allow_pattern_matches`]) counted as trusted.
pub fn classify(url: &str, allowed: &[String]) -> HostClass {
    let Some(host) = host_of(url) else {
        return HostClass::Relative;
    };
    if in_list(&host, known_bad()) {
        return HostClass::KnownBad;
    }
    if in_list(&host, trusted())
        || brand_owned(&host)
        || allowed.iter().any(|p| {
            // `host_of` drops `www.`; the pattern sees the host as written.
            let written = format!("www.{host}");
            allow_pattern_matches(p, &host)
                || (url.to_ascii_lowercase().contains(&format!("//{written}"))
                    && allow_pattern_matches(p, &written))
        })
    {
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
    // The brand's own domains are the brand, not an imitation of it (x.klarnacdn.net).
    if brand_owned(host) {
        return false;
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
        let b = brand.label;
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
            classify("https://shop.example.com/x", &["*.example.com".into()]),
            HostClass::Trusted
        );
        // A brand's own CDN is the brand (Klarna's documented loader host).
        assert_eq!(
            c("https://x.klarnacdn.net/kp/lib/v1/api.js"),
            HostClass::Trusted
        );
        assert!(!is_lookalike("x.klarnacdn.net"));
        assert_eq!(c("https://klarna-cdn.net/x.js"), HostClass::Lookalike);
        assert_eq!(
            c("https://klarnacdn.net.evil.example/x.js"),
            HostClass::Lookalike
        );
        assert_eq!(
            c("https://web.squarecdn.com/v1/square.js"),
            HostClass::Trusted
        );
        assert_eq!(c("https://embed.tawk.to/abc/default"), HostClass::Trusted);
        assert_eq!(registrable("a.b.example.co.uk"), "example.co.uk");
    }

    /// Issue 17: `[hosts] allow` patterns mean what the configuration documents, wherever hosts
    /// are judged: a wildcard covers subdomains only, a plain name that host only.
    #[test]
    fn allow_patterns_match_as_documented() {
        let allow = vec![
            "*.example-cdn.net".to_string(),
            "shop.example.com".to_string(),
        ];
        let c = |u: &str| classify(u, &allow);
        assert_eq!(c("https://static.example-cdn.net/a.js"), HostClass::Trusted);
        assert_eq!(c("https://shop.example.com/b.js"), HostClass::Trusted);
        assert_eq!(c("https://www.shop.example.com/b.js"), HostClass::Trusted);
        assert_eq!(c("https://example-cdn.net/a.js"), HostClass::Foreign);
        assert_eq!(c("https://x.shop.example.com/b.js"), HostClass::Foreign);
        assert_eq!(
            c("https://shop.example.com.evil.net/b.js"),
            HostClass::Foreign
        );
        assert!(allow_pattern_matches("*.stripe.com", "js.STRIPE.com."));
        assert!(!allow_pattern_matches("*.stripe.com", "stripe.com"));
        assert!(!allow_pattern_matches("*.stripe.com", "evilstripe.com"));
    }
}
