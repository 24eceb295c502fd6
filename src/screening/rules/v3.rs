//! Scoring rules, version 3 (PRODUCT §2.3c), the current version.
//!
//! Version 2 let a contradictory or thin record reach "addicted" unremarked, never questioned
//! compulsive use with control retained, and called a client who declined all six questions
//! "casual". Version 3 keeps version 2's bands and adds:
//!
//! 1. **not screened** when all six intake questions are declined and no detail is recorded
//!    (no level of use at all);
//! 2. then version 2's addicted, at-risk and casual;
//!
//! and marks every contradiction in the details ([`Inconsistency`]) as a reason that makes
//! the result provisional. Its reasons also name every observation, saying whether it
//! counted.

use std::fmt;

use super::{
    AT_RISK_RED_FLAGS, Band, INCOMPLETE_DECLINED, Inconsistency, Outcome, Reasons, RulesVersion,
    details_recorded, has_signs, inconsistencies,
};
use crate::screening::answers::Answers;
use crate::screening::questions::{Coded, Control, Indicator, Pattern};

/// One line of why a version-3 result is what it is: a clause that held, a contradiction, or
/// an observation and whether it counted. The words never repeat the band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReasonV3 {
    /// Not screened: all six declined, nothing recorded.
    NotScreened,
    /// A contradiction in the details; the result is provisional.
    Inconsistent(Inconsistency),
    /// Addicted: control is lost, together with a sign or secrecy.
    ControlLost,
    /// A sign: this pattern (intense periods or compulsive).
    Pattern(Pattern),
    /// An observed indicator that counted: any but secrecy towards at-risk, any (secrecy
    /// included) towards addicted with control lost.
    Observed(Indicator),
    /// Secrecy was observed and did not count: without lost control it raises no level.
    SecrecyNotCounted,
    /// At-risk: control lost without a sign or secrecy.
    ControlLostAlone,
    /// At-risk: this many red flags (three or more), this app's heuristic.
    RedFlags(usize),
    /// Casual: no sign, control not lost, and this many red flags (fewer than three).
    NoSign(usize),
    /// The pattern was recorded as none or occasional, which is no sign.
    SlightPattern(Pattern),
    /// Control was recorded as retained, so the result cannot be addicted.
    ControlRetained,
}

impl ReasonV3 {
    /// The line in plain words.
    pub fn text(self) -> String {
        match self {
            ReasonV3::NotScreened => "All six intake questions were declined and no detail was \
                 recorded, so the screen could not look for any sign. This is not a level of use \
                 and is never counted as casual."
                .into(),
            ReasonV3::Inconsistent(inconsistency) => {
                let text = inconsistency.text();
                let (first, rest) = text.split_at(1);
                format!(
                    "Check the details: {}{rest} The result is provisional until they are \
                     confirmed.",
                    first.to_lowercase()
                )
            }
            ReasonV3::ControlLost => "Control is lost: the client has tried to limit or stop and \
                 cannot. The article: what differentiates at-risk from addicted users is that \
                 at-risk users can stop on their own."
                .into(),
            ReasonV3::Pattern(pattern) => format!(
                "Pattern recorded: {} — {}. Counted as a sign.",
                pattern.label().to_lowercase(),
                pattern.description().trim_end_matches('.').to_lowercase()
            ),
            ReasonV3::Observed(Indicator::Secrecy) => format!(
                "Observed: the client {}. Counted: with control lost, secrecy makes the level \
                 addicted.",
                Indicator::Secrecy.description()
            ),
            ReasonV3::Observed(indicator) => format!(
                "Observed: the client {}. Counted as a sign.",
                indicator.description()
            ),
            ReasonV3::SecrecyNotCounted => "Observed: the client hides the extent of it, keeps \
                 secrets, lies or leads a double life. Not counted: without lost control, secrecy \
                 alone raises no level; the article notes that even those who compartmentalize \
                 \"may only be casual or at-risk cybersex users, rather than addicted\"."
                .into(),
            ReasonV3::ControlLostAlone => "Control recorded as lost: counted towards at-risk; \
                 addicted also takes a sign or secrecy beside it."
                .into(),
            ReasonV3::RedFlags(count) => format!(
                "{count} of the six intake questions raised a red flag. Counting \
                 {AT_RISK_RED_FLAGS} or more as at-risk is this app's heuristic (as PATHOS, a \
                 six-item yes/no screen, does), not the article's."
            ),
            ReasonV3::NoSign(count) => format!(
                "{} no sign of at-risk use was recorded: no intense or compulsive pattern, \
                 control not lost, and no escape use, escalation, continued use despite \
                 consequences, impaired functioning or minimizing.",
                match count {
                    0 => "No intake question raised a red flag, and".to_owned(),
                    1 => format!(
                        "1 red flag (fewer than the {AT_RISK_RED_FLAGS} this app counts as \
                         at-risk), and"
                    ),
                    n => format!(
                        "{n} red flags (fewer than the {AT_RISK_RED_FLAGS} this app counts as \
                         at-risk), and"
                    ),
                }
            ),
            ReasonV3::SlightPattern(pattern) => format!(
                "Pattern recorded: {} — {}. Not a sign of at-risk use.",
                pattern.label().to_lowercase(),
                pattern.description().trim_end_matches('.').to_lowercase()
            ),
            ReasonV3::ControlRetained => "Control recorded as retained: the client limits or \
                 stops on their own, which the article says separates at-risk from addicted use."
                .into(),
        }
    }
}

impl fmt::Display for ReasonV3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The observations that are no sign: a slight pattern, and control retained.
fn other_observations(answers: &Answers) -> Vec<ReasonV3> {
    let mut lines = Vec::new();
    if let Some(pattern @ (Pattern::None | Pattern::Occasional)) = answers.pattern {
        lines.push(ReasonV3::SlightPattern(pattern));
    }
    if answers.control == Control::Retained {
        lines.push(ReasonV3::ControlRetained);
    }
    lines
}

/// Scores answers by rules version 3.
pub fn score(answers: &Answers) -> Outcome {
    let red_flags = answers.red_flags();
    let declined = answers.declined();
    let contradictions = inconsistencies(answers);

    let signs = has_signs(answers);
    let secrecy = answers.observed(Indicator::Secrecy);
    let lost = answers.control == Control::Lost;
    let sign_pattern = match answers.pattern {
        Some(pattern @ (Pattern::IntensePeriods | Pattern::Compulsive)) => Some(pattern),
        _ => None,
    };
    let observed = |counted: fn(Indicator) -> bool| -> Vec<ReasonV3> {
        Indicator::ALL
            .iter()
            .filter(|&&indicator| answers.observed(indicator) && counted(indicator))
            .map(|&indicator| ReasonV3::Observed(indicator))
            .collect()
    };

    let mut reasons: Vec<ReasonV3> = contradictions
        .iter()
        .map(|&inconsistency| ReasonV3::Inconsistent(inconsistency))
        .collect();
    let band = if declined.len() == 6 && !details_recorded(answers) {
        reasons.push(ReasonV3::NotScreened);
        Band::NotScreened
    } else if lost && (signs || secrecy) {
        reasons.push(ReasonV3::ControlLost);
        reasons.extend(sign_pattern.map(ReasonV3::Pattern));
        reasons.extend(observed(|_| true));
        reasons.extend(other_observations(answers));
        Band::Addicted
    } else if signs || lost || red_flags.len() >= AT_RISK_RED_FLAGS {
        reasons.extend(sign_pattern.map(ReasonV3::Pattern));
        reasons.extend(observed(|indicator| indicator != Indicator::Secrecy));
        if lost {
            reasons.push(ReasonV3::ControlLostAlone);
        }
        if red_flags.len() >= AT_RISK_RED_FLAGS {
            reasons.push(ReasonV3::RedFlags(red_flags.len()));
        }
        if secrecy {
            reasons.push(ReasonV3::SecrecyNotCounted);
        }
        reasons.extend(other_observations(answers));
        Band::AtRisk
    } else {
        reasons.push(ReasonV3::NoSign(red_flags.len()));
        if secrecy {
            reasons.push(ReasonV3::SecrecyNotCounted);
        }
        reasons.extend(other_observations(answers));
        Band::Casual
    };

    let concern = !red_flags.is_empty() || band.is_concern();
    let details_missing = answers.pattern.is_none() || answers.control == Control::NotAssessed;
    Outcome {
        band,
        rules_version: RulesVersion::V3,
        further_investigation: concern,
        referral: band == Band::Addicted,
        provisional: (concern && details_missing) || !contradictions.is_empty(),
        incomplete: declined.len() >= INCOMPLETE_DECLINED,
        red_flags,
        declined,
        reasons: Reasons::V3(reasons),
    }
}
