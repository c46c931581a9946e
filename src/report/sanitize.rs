//! Untrusted text (file names, source excerpts, decoded payloads) made safe for a terminal.

/// Replaces control characters (ANSI escapes included) with visible escapes.
pub fn terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
