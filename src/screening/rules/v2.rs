//! Scoring rules, version 2 (PRODUCT §2.3b), kept for the results scored with it.
//!
//! Version 1 contradicted the article in three places: it called a client who cannot stop
//! "at-risk", it let secrecy alone make a client at-risk, and it did not warn when control —
//! the one sign that separates at-risk from addicted — was never assessed. Version 2, with
//! *signs* = a pattern of intense periods or compulsive use, or any indicator but secrecy:
//!
//! 1. **addicted** when control is lost and (signs or secrecy);
//! 2. else **at-risk** when signs, or control is lost, or three or more red flags (this app's
//!    heuristic, not the article's);
//! 3. else **casual**.

use std::fmt;

use super::{AT_RISK_RED_FLAGS, Band, INCOMPLETE_DECLINED, Outcome, Reasons, RulesVersion};
use crate::screening::answers::Answers;
use crate::screening::questions::{Coded, Control, Indicator, Pattern};

/// One clause of a version-2 rule that held, which is why the band is what it is. The words
/// never repeat the band: the page shows it once, above them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonV2 {
    /// Addicted: control is lost, together with at least one sign or secrecy.
    ControlLost,
    /// A sign: this pattern (intense periods or compulsive). Addicted with control lost,
    /// at-risk otherwise.
    Pattern(Pattern),
    /// An indicator observed. Any indicator counts towards addicted with control lost;
    /// secrecy does not count towards at-risk.
    Observed(Indicator),
    /// At-risk: control lost without any sign or secrecy — an inconsistent record.
    ControlLostWithoutSigns,
    /// At-risk: this many red flags (three or more), this app's heuristic.
    RedFlags(usize),
    /// Casual: no sign, control not lost, and this many red flags (fewer than three).
    NoSign(usize),
    /// Casual: secrecy was observed, which alone does not make a client at-risk.
    SecrecyAlone,
}

impl ReasonV2 {
    /// The clause in plain words.
    pub fn text(self) -> String {
        match self {
            ReasonV2::ControlLost => "Control is lost: the client has tried to limit or stop and \
                 cannot. The article: what differentiates at-risk from addicted users is that \
                 at-risk users can stop on their own."
                .into(),
            ReasonV2::Pattern(pattern) => format!(
                "The pattern is {}: {}",
                pattern.label().to_lowercase(),
                pattern.description().to_lowercase()
            ),
            ReasonV2::Observed(indicator) => {
                format!("Observed: the client {}.", indicator.description())
            }
            ReasonV2::ControlLostWithoutSigns => "Control is recorded as lost, but no intense or \
                 compulsive pattern and none of the six indicators were observed. The record is \
                 inconsistent, so the result is provisional: check the details."
                .into(),
            ReasonV2::RedFlags(count) => format!(
                "{count} of the six intake questions raised a red flag. Counting {AT_RISK_RED_FLAGS} \
                 or more as at-risk is this app's heuristic (as PATHOS, a six-item yes/no screen, \
                 does), not the article's."
            ),
            ReasonV2::NoSign(count) => format!(
                "{} and no sign of at-risk use was recorded: no intense or compulsive pattern, \
                 control not lost, and no escape use, escalation, continued use despite \
                 consequences, impaired functioning or minimizing observed.",
                match count {
                    0 => "No intake question raised a red flag,".to_owned(),
                    1 => format!(
                        "1 red flag (fewer than the {AT_RISK_RED_FLAGS} this app counts as at-risk),"
                    ),
                    n => format!(
                        "{n} red flags (fewer than the {AT_RISK_RED_FLAGS} this app counts as at-risk),"
                    ),
                }
            ),
            ReasonV2::SecrecyAlone => "Secrecy was observed, which alone does not make a client \
                 at-risk: the article notes that even those who compartmentalize their online \
                 sexual activity may only be casual users."
                .into(),
        }
    }
}

impl fmt::Display for ReasonV2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The signs of at-risk-like use that hold (PRODUCT §2.3b `signs`), as reasons, in rule order.
fn signs(answers: &Answers) -> Vec<ReasonV2> {
    let mut signs = Vec::new();
    if let Some(pattern @ (Pattern::IntensePeriods | Pattern::Compulsive)) = answers.pattern {
        signs.push(ReasonV2::Pattern(pattern));
    }
    signs.extend(
        Indicator::ALL
            .iter()
            .filter(|&&indicator| indicator != Indicator::Secrecy && answers.observed(indicator))
            .map(|&indicator| ReasonV2::Observed(indicator)),
    );
    signs
}

/// Scores answers by rules version 2.
pub fn score(answers: &Answers) -> Outcome {
    let red_flags = answers.red_flags();
    let declined = answers.declined();

    let signs = signs(answers);
    let secrecy = answers.observed(Indicator::Secrecy);
    let lost = answers.control == Control::Lost;
    let lost_without_signs = lost && signs.is_empty() && !secrecy;

    let (band, reasons) = if lost && (!signs.is_empty() || secrecy) {
        // The signs in rule order, with secrecy in its place among the indicators.
        let mut reasons = vec![ReasonV2::ControlLost];
        reasons.extend(
            signs
                .iter()
                .copied()
                .filter(|reason| matches!(reason, ReasonV2::Pattern(_))),
        );
        reasons.extend(
            Indicator::ALL
                .iter()
                .filter(|&&indicator| answers.observed(indicator))
                .map(|&indicator| ReasonV2::Observed(indicator)),
        );
        (Band::Addicted, reasons)
    } else if !signs.is_empty() || lost || red_flags.len() >= AT_RISK_RED_FLAGS {
        let mut reasons = signs;
        if lost {
            reasons.push(ReasonV2::ControlLostWithoutSigns);
        }
        if red_flags.len() >= AT_RISK_RED_FLAGS {
            reasons.push(ReasonV2::RedFlags(red_flags.len()));
        }
        (Band::AtRisk, reasons)
    } else {
        let mut reasons = vec![ReasonV2::NoSign(red_flags.len())];
        if secrecy {
            reasons.push(ReasonV2::SecrecyAlone);
        }
        (Band::Casual, reasons)
    };

    let concern = !red_flags.is_empty() || band != Band::Casual;
    let details_missing = answers.pattern.is_none() || answers.control == Control::NotAssessed;
    Outcome {
        band,
        rules_version: RulesVersion::V2,
        further_investigation: concern,
        referral: band == Band::Addicted,
        provisional: (concern && details_missing) || lost_without_signs,
        incomplete: declined.len() >= INCOMPLETE_DECLINED,
        red_flags,
        declined,
        reasons: Reasons::V2(reasons),
    }
}
