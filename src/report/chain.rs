//! The chain of decoded layers between a file and a finding, rendered once for every format.
//! A layer's decoders are listed innermost first; layers outermost first.
//!
//! - [`names`]: `base64+gzinflate → str_rot13` (concise),
//! - [`summary`]: `base64+gzinflate → php ⇒ str_rot13 → javascript` (github, sarif),
//! - [`decoded_line`]: the innermost layer's excerpt,
//! - [`steps`]: one [`Step`] per layer (full, html, sarif code flows).
//!
//! Text only; each format escapes it for its medium.

use crate::finding::Layer;

/// Each layer's decoders joined by `+`, the layers by ` → `.
pub fn names(layers: &[Layer]) -> String {
    let names: Vec<String> = layers.iter().map(|l| l.decoders.join("+")).collect();
    names.join(" → ")
}

/// Each layer as `decoders → scanned_as`, the layers joined by ` ⇒ `.
pub fn summary(layers: &[Layer]) -> String {
    let chain: Vec<String> = layers
        .iter()
        .map(|l| format!("{} → {}", l.decoders.join("+"), l.scanned_as))
        .collect();
    chain.join(" ⇒ ")
}

/// The line of the innermost decoded text where the finding is ("" without layers).
pub fn decoded_line(layers: &[Layer]) -> &str {
    layers.last().map_or("", |l| l.excerpt.as_str())
}

/// The decoders of one layer in the order they ran: `base64 → gzinflate`.
pub fn decoders(layer: &Layer) -> String {
    layer.decoders.join(" → ")
}

/// One layer, for formats that list them one per line.
pub struct Step<'a> {
    /// 1-based, outermost first.
    pub number: usize,
    /// [`decoders`] of the layer.
    pub decoders: String,
    pub scanned_as: &'a str,
    pub line: usize,
    pub column: usize,
    pub excerpt: &'a str,
}

/// The layers as steps, outermost first.
pub fn steps(layers: &[Layer]) -> impl Iterator<Item = Step<'_>> {
    layers.iter().enumerate().map(|(i, l)| Step {
        number: i + 1,
        decoders: decoders(l),
        scanned_as: &l.scanned_as,
        line: l.position.line,
        column: l.position.column,
        excerpt: &l.excerpt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::source::Position;

    fn layer(decoders: &[&str], scanned_as: &str, excerpt: &str) -> Layer {
        Layer {
            decoders: decoders.iter().map(|d| d.to_string()).collect(),
            scanned_as: scanned_as.into(),
            position: Position { line: 2, column: 5 },
            excerpt: excerpt.into(),
        }
    }

    #[test]
    fn every_spelling_of_the_chain() {
        let layers = vec![
            layer(&["base64", "gzinflate"], "php", "eval($x);"),
            layer(&["str_rot13"], "javascript", "fetch(u)"),
        ];
        assert_eq!(names(&layers), "base64+gzinflate → str_rot13");
        assert_eq!(
            summary(&layers),
            "base64+gzinflate → php ⇒ str_rot13 → javascript"
        );
        assert_eq!(decoded_line(&layers), "fetch(u)");
        assert_eq!(decoded_line(&[]), "");
        let s: Vec<Step> = steps(&layers).collect();
        assert_eq!(
            (s[0].number, s[0].decoders.as_str()),
            (1, "base64 → gzinflate")
        );
        assert_eq!(
            (s[1].number, s[1].scanned_as, s[1].line, s[1].column),
            (2, "javascript", 2, 5)
        );
    }
}
