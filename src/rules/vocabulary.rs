//! Shared vocabularies that rules refer to by name (`card-field = true`), kept as data files in
//! `rules/vocabulary/` so they are easy to review and extend.

use std::sync::OnceLock;

use regex::bytes::Regex;

const CARD_FIELDS: &str = include_str!("../../rules/vocabulary/card-fields.txt");

/// Lines of a vocabulary file: comments (`#`) and blank lines dropped.
fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A regex matching any text that names a payment-card input: field names and ids
/// (`cc_number`, `payment[cc_cid]`, `cardnumber`), autocomplete tokens (`cc-number`) and the
/// selectors built from them.
pub fn card_field() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let alts: Vec<String> = entries(CARD_FIELDS).map(|e| format!("(?:{e})")).collect();
        Regex::new(&format!("(?i){}", alts.join("|"))).expect("card-fields.txt holds valid regexes")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_field_vocabulary() {
        let re = card_field();
        for yes in [
            "cc_number",
            "#payment_cc_number",
            "input[name='payment[cc_cid]']",
            "cardnumber",
            "cc-number",
            "billing-cvv",
            "credit_card_number",
            "card_expiry",
            "securityCode",
        ] {
            assert!(re.is_match(yes.as_bytes()), "{yes}");
        }
        for no in [
            "email",
            "firstname",
            "discount_code",
            "accurate",
            "success",
            "card-title",
        ] {
            assert!(!re.is_match(no.as_bytes()), "{no}");
        }
    }
}
