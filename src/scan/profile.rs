//! Profiles: who reads the report. `default` is for a store owner or a theme developer
//! checking their own code; `review` is for a marketplace reviewer or anyone vetting third-party
//! code before accepting it. Marketplaces refuse code that cannot be read (WordPress.org
//! guideline 4, PrestaShop Addons, Adobe Commerce Marketplace), so what is a note for a store
//! owner (an encoded extension they bought, a packed library) is a warning for a reviewer.

use clap::ValueEnum;

use crate::rules::{RuleSet, Severity};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// For store owners and developers: readable-but-odd code is a note.
    #[default]
    Default,
    /// For marketplace reviewers: obfuscated, packed, encoded code and scripts from untrusted
    /// hosts are warnings.
    Review,
}

/// The rules `review` raises from note to warning.
pub const REVIEW_WARNINGS: &[&str] = &[
    // eval of decoded literals
    "php/eval-of-decoded-literal",
    "js/indirect-eval",
    // packers and encoders
    "js/packed-code",
    "php/encoded-php",
    // scripts from hosts outside the trusted list (built-in providers and `[hosts] allow`)
    "js/script-from-foreign-host",
];

impl Profile {
    pub fn parse(name: &str) -> Option<Profile> {
        <Profile as ValueEnum>::from_str(name, false).ok()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Review => "review",
        }
    }

    /// Sets the profile's severities; a configuration file's `[rules.severity]` is applied
    /// after, and wins. Only rules at note level are raised (one already made an error, or
    /// turned off, stays so).
    pub fn apply(self, rules: &mut RuleSet) {
        if self != Profile::Review {
            return;
        }
        for rule in &mut rules.rules {
            if rule.meta.severity == Severity::Note
                && REVIEW_WARNINGS.contains(&rule.meta.id.as_str())
            {
                rule.meta.severity = Severity::Warning;
            }
        }
    }
}
