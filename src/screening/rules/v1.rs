//! Scoring rules, version 1 (PRODUCT §2.3). Never changed: results scored with it are shown
//! with its bands and reasons.

use std::fmt;

use super::{AT_RISK_RED_FLAGS, Band, INCOMPLETE_DECLINED, Outcome, Reasons, RulesVersion};
use crate::screening::answers::Answers;
use crate::screening::questions::{Coded, Control, Indicator, Pattern};

/// One clause of a version-1 rule that fired, which is why the band is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Addicted: control lost, together with one or more of the next three.
    AddictedControlLost,
    /// Addicted: a compulsive pattern (with control lost).
    AddictedCompulsive,
    /// Addicted: continues despite consequences (with control lost).
    AddictedDespiteConsequences,
    /// Addicted: functioning impaired (with control lost).
    AddictedFunctioningImpaired,
    /// At-risk: this pattern (intense periods or compulsive).
    AtRiskPattern(Pattern),
    /// At-risk: control lost, without a sign that makes it addicted.
    AtRiskControlLost,
    /// At-risk: this indicator was observed.
    AtRiskIndicator(Indicator),
    /// At-risk: this many red flags (three or more).
    AtRiskRedFlags(usize),
    /// Casual: no at-risk sign, with this many red flags.
    CasualNoRiskSign(usize),
}

impl Reason {
    /// The band of the rule this clause belongs to.
    pub fn band(self) -> Band {
        match self {
            Reason::AddictedControlLost
            | Reason::AddictedCompulsive
            | Reason::AddictedDespiteConsequences
            | Reason::AddictedFunctioningImpaired => Band::Addicted,
            Reason::AtRiskPattern(_)
            | Reason::AtRiskControlLost
            | Reason::AtRiskIndicator(_)
            | Reason::AtRiskRedFlags(_) => Band::AtRisk,
            Reason::CasualNoRiskSign(_) => Band::Casual,
        }
    }

    /// The clause in plain words.
    pub fn text(self) -> String {
        match self {
            Reason::AddictedControlLost => {
                "Addicted: control is lost: the client has tried to limit or stop and cannot.".into()
            }
            Reason::AddictedCompulsive => {
                "Addicted: with control lost, the pattern is compulsive (repetitive, compulsive use)."
                    .into()
            }
            Reason::AddictedDespiteConsequences => {
                "Addicted: with control lost, use continues despite potential or actual consequences to self or others."
                    .into()
            }
            Reason::AddictedFunctioningImpaired => {
                "Addicted: with control lost, relationships, work, finances or health are negatively affected."
                    .into()
            }
            Reason::AtRiskPattern(pattern) => format!(
                "At-risk: the pattern is {}: {}",
                pattern.label().to_lowercase(),
                pattern.description().to_lowercase()
            ),
            Reason::AtRiskControlLost => {
                "At-risk: control is lost (the client has tried to limit or stop and cannot), but no compulsive pattern, continued use despite consequences or impaired functioning was observed."
                    .into()
            }
            Reason::AtRiskIndicator(indicator) => format!(
                "At-risk: observed that the client {}.",
                indicator.description()
            ),
            Reason::AtRiskRedFlags(count) => format!(
                "At-risk: {count} of the six intake questions raised a red flag ({AT_RISK_RED_FLAGS} or more put the client at risk)."
            ),
            Reason::CasualNoRiskSign(count) => format!(
                "Casual: no at-risk sign was recorded: {} (at-risk takes {AT_RISK_RED_FLAGS} or more), no intense or compulsive pattern, control not lost, and none of the six indicators observed.",
                match count {
                    0 => "no red flag".to_owned(),
                    1 => "1 red flag".to_owned(),
                    n => format!("{n} red flags"),
                }
            ),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The addicted signs that, with control lost, make the addicted band (rule 1).
fn addicted_signs(answers: &Answers) -> Vec<Reason> {
    let mut signs = Vec::new();
    if answers.pattern == Some(Pattern::Compulsive) {
        signs.push(Reason::AddictedCompulsive);
    }
    if answers.observed(Indicator::DespiteConsequences) {
        signs.push(Reason::AddictedDespiteConsequences);
    }
    if answers.observed(Indicator::FunctioningImpaired) {
        signs.push(Reason::AddictedFunctioningImpaired);
    }
    signs
}

/// The at-risk clauses that hold (rule 2).
fn at_risk_signs(answers: &Answers, red_flags: usize) -> Vec<Reason> {
    let mut signs = Vec::new();
    if let Some(pattern @ (Pattern::IntensePeriods | Pattern::Compulsive)) = answers.pattern {
        signs.push(Reason::AtRiskPattern(pattern));
    }
    if answers.control == Control::Lost {
        signs.push(Reason::AtRiskControlLost);
    }
    signs.extend(
        Indicator::ALL
            .iter()
            .filter(|&&indicator| answers.observed(indicator))
            .map(|&indicator| Reason::AtRiskIndicator(indicator)),
    );
    if red_flags >= AT_RISK_RED_FLAGS {
        signs.push(Reason::AtRiskRedFlags(red_flags));
    }
    signs
}

/// Scores answers by rules version 1.
pub fn score(answers: &Answers) -> Outcome {
    let red_flags = answers.red_flags();
    let declined = answers.declined();

    let addicted = addicted_signs(answers);
    let (band, reasons) = if answers.control == Control::Lost && !addicted.is_empty() {
        let mut reasons = vec![Reason::AddictedControlLost];
        reasons.extend(addicted);
        (Band::Addicted, reasons)
    } else {
        let at_risk = at_risk_signs(answers, red_flags.len());
        if at_risk.is_empty() {
            (
                Band::Casual,
                vec![Reason::CasualNoRiskSign(red_flags.len())],
            )
        } else {
            (Band::AtRisk, at_risk)
        }
    };

    Outcome {
        band,
        rules_version: RulesVersion::V1,
        further_investigation: !red_flags.is_empty() || band != Band::Casual,
        referral: band == Band::Addicted,
        provisional: !red_flags.is_empty() && answers.pattern.is_none(),
        incomplete: declined.len() >= INCOMPLETE_DECLINED,
        red_flags,
        declined,
        reasons: Reasons::V1(reasons),
    }
}
