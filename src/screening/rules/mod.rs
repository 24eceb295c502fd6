//! Scoring rules (PRODUCT §2.3, §2.3b, §2.3c). Each version of the rules is a pure function from
//! answers to an [`Outcome`], in a file of its own that imports only from here and the
//! answers; a stored result keeps the version it was scored with, and a version, once
//! released, is never changed: a change to the rules is a new version.

mod v1;
mod v2;
mod v3;

use std::fmt;

pub use v1::Reason;
pub use v2::ReasonV2;
pub use v3::ReasonV3;

use super::answers::Answers;
use super::questions::{Coded, Control, Indicator, IntakeQuestion, Pattern};

/// A version of the scoring rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RulesVersion {
    /// Rules v1 (PRODUCT §2.3).
    V1,
    /// Rules v2 (PRODUCT §2.3b).
    V2,
    /// Rules v3 (PRODUCT §2.3c).
    V3,
}

impl RulesVersion {
    /// The version new screenings are scored with.
    pub const CURRENT: RulesVersion = RulesVersion::V3;

    /// Every version, oldest first.
    pub const ALL: [RulesVersion; 3] = [RulesVersion::V1, RulesVersion::V2, RulesVersion::V3];

    /// The version's name as stored and shown (`"1"`, `"2"`, `"3"`).
    pub fn as_str(self) -> &'static str {
        match self {
            RulesVersion::V1 => "1",
            RulesVersion::V2 => "2",
            RulesVersion::V3 => "3",
        }
    }

    /// The version with this name.
    pub fn parse(name: &str) -> Option<RulesVersion> {
        RulesVersion::ALL
            .into_iter()
            .find(|version| version.as_str() == name)
    }

    /// Scores answers by this version of the rules.
    pub fn score(self, answers: &Answers) -> Outcome {
        match self {
            RulesVersion::V1 => v1::score(answers),
            RulesVersion::V2 => v2::score(answers),
            RulesVersion::V3 => v3::score(answers),
        }
    }
}

impl fmt::Display for RulesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of a screening: one of the article's three levels of cybersex use, ordered
/// casual < at-risk < addicted, or (rules version 3) not screened at all. `NotScreened` is no
/// level of use: it is never counted as casual, and it sits outside the levels' order (the
/// rules are monotone over screened results only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    Casual,
    AtRisk,
    Addicted,
    /// All six intake questions declined and nothing recorded (rules version 3).
    NotScreened,
}

impl Band {
    /// The article's three levels of use, in order (what the form's reminder shows).
    pub const LEVELS: [Band; 3] = [Band::Casual, Band::AtRisk, Band::Addicted];

    /// True for one of the article's levels of use; false for a result not screened.
    pub fn is_level(self) -> bool {
        self != Band::NotScreened
    }

    /// True for at-risk or addicted: a level that raises concern by itself.
    pub fn is_concern(self) -> bool {
        matches!(self, Band::AtRisk | Band::Addicted)
    }

    /// How a result page names the outcome: the article's level of use, never a diagnosis.
    pub fn level_name(self) -> &'static str {
        match self {
            Band::Casual => "Level: casual use (Weiss 2015)",
            Band::AtRisk => "Level: at-risk use (Weiss 2015)",
            Band::Addicted => "Level: addicted use (Weiss 2015)",
            Band::NotScreened => "Not screened: the client declined all six questions",
        }
    }
}

impl Coded for Band {
    const ALL: &'static [Self] = &[
        Band::Casual,
        Band::AtRisk,
        Band::Addicted,
        Band::NotScreened,
    ];

    fn code(self) -> &'static str {
        match self {
            Band::Casual => "casual",
            Band::AtRisk => "at_risk",
            Band::Addicted => "addicted",
            Band::NotScreened => "not_screened",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Band::Casual => "Casual",
            Band::AtRisk => "At-risk",
            Band::Addicted => "Addicted",
            Band::NotScreened => "Not screened",
        }
    }
}

/// The number of red flags from which the intake answers alone put a client at risk.
pub const AT_RISK_RED_FLAGS: usize = 3;
/// The number of declined questions from which a result is incomplete.
pub const INCOMPLETE_DECLINED: usize = 2;

/// A contradiction in the details the clinician recorded (PRODUCT §2.3c (a)–(d)). Rules version
/// 3 makes such a result provisional and names each one; every version's result page leads
/// with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Inconsistency {
    /// (a) Pattern "none", yet an indicator observed or control lost.
    NoneYetSigns,
    /// (b) A compulsive pattern, yet control retained.
    CompulsiveYetRetained,
    /// (c) Control lost, yet the pattern is none or occasional.
    LostYetSlightPattern,
    /// (d) Control lost without any sign or secrecy.
    LostWithoutSigns,
}

impl Inconsistency {
    /// Every contradiction, in the order of the product contract's list.
    pub const ALL: [Inconsistency; 4] = [
        Inconsistency::NoneYetSigns,
        Inconsistency::CompulsiveYetRetained,
        Inconsistency::LostYetSlightPattern,
        Inconsistency::LostWithoutSigns,
    ];

    /// True when this contradiction is in the record.
    pub fn holds(self, answers: &Answers) -> bool {
        let lost = answers.control == Control::Lost;
        match self {
            Inconsistency::NoneYetSigns => {
                answers.pattern == Some(Pattern::None) && (!answers.observed.is_empty() || lost)
            }
            Inconsistency::CompulsiveYetRetained => {
                answers.pattern == Some(Pattern::Compulsive) && answers.control == Control::Retained
            }
            Inconsistency::LostYetSlightPattern => {
                lost && matches!(answers.pattern, Some(Pattern::None | Pattern::Occasional))
            }
            Inconsistency::LostWithoutSigns => {
                lost && !has_signs(answers) && !answers.observed(Indicator::Secrecy)
            }
        }
    }

    /// The contradiction in plain words, for the clinician to review.
    pub fn text(self) -> &'static str {
        match self {
            Inconsistency::NoneYetSigns => {
                "The pattern is recorded as \"none\" (no online sexual activity of note), yet \
                 signs of it were recorded: an indicator observed or control lost."
            }
            Inconsistency::CompulsiveYetRetained => {
                "The pattern is recorded as compulsive, yet control as retained: the article's \
                 compulsive users cannot stop on their own."
            }
            Inconsistency::LostYetSlightPattern => {
                "Control is recorded as lost, yet the pattern as none or occasional: a client \
                 who cannot stop would be expected to show more than occasional use."
            }
            Inconsistency::LostWithoutSigns => {
                "Control is recorded as lost, but no intense or compulsive pattern, no secrecy \
                 and none of the other indicators were observed."
            }
        }
    }
}

/// The contradictions in a record's details, in the product contract's order.
pub fn inconsistencies(answers: &Answers) -> Vec<Inconsistency> {
    Inconsistency::ALL
        .into_iter()
        .filter(|inconsistency| inconsistency.holds(answers))
        .collect()
}

/// True when the record shows *signs* (PRODUCT §2.3b): a pattern of intense periods or
/// compulsive use, or any observed indicator but secrecy.
pub fn has_signs(answers: &Answers) -> bool {
    matches!(
        answers.pattern,
        Some(Pattern::IntensePeriods | Pattern::Compulsive)
    ) || answers
        .observed
        .iter()
        .any(|&indicator| indicator != Indicator::Secrecy)
}

/// True when the clinician recorded any detail (PRODUCT §2.3c `recorded`): the pattern, control,
/// or an indicator.
pub fn details_recorded(answers: &Answers) -> bool {
    answers.pattern.is_some()
        || answers.control != Control::NotAssessed
        || !answers.observed.is_empty()
}

/// The result of scoring one set of answers (PRODUCT §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub band: Band,
    pub rules_version: RulesVersion,
    /// The intake questions that raised a red flag, in question order.
    pub red_flags: Vec<IntakeQuestion>,
    /// The intake questions the client declined, in question order.
    pub declined: Vec<IntakeQuestion>,
    /// Further investigation is merited (any red flag, or a band above casual).
    pub further_investigation: bool,
    /// Refer to a sexual addiction treatment specialist (addicted).
    pub referral: bool,
    /// The result rests on details not assessed (v1: red flags without the pattern; v2 adds
    /// control not assessed, and control lost with no other sign; v3: any contradiction in
    /// the details).
    pub provisional: bool,
    /// Two or more questions were declined.
    pub incomplete: bool,
    /// Every clause of the deciding rule that fired, in rule order, in the words of the
    /// version that scored it.
    pub reasons: Reasons,
}

/// The reasons of an outcome, as clauses of the rules version that scored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reasons {
    /// Clauses of rules version 1.
    V1(Vec<Reason>),
    /// Clauses of rules version 2.
    V2(Vec<ReasonV2>),
    /// Clauses of rules version 3.
    V3(Vec<ReasonV3>),
}

impl Reasons {
    /// Each reason in plain words, in rule order.
    pub fn texts(&self) -> Vec<String> {
        match self {
            Reasons::V1(reasons) => reasons.iter().map(|reason| reason.text()).collect(),
            Reasons::V2(reasons) => reasons.iter().map(|reason| reason.text()).collect(),
            Reasons::V3(reasons) => reasons.iter().map(|reason| reason.text()).collect(),
        }
    }

    /// How many reasons there are.
    pub fn len(&self) -> usize {
        match self {
            Reasons::V1(reasons) => reasons.len(),
            Reasons::V2(reasons) => reasons.len(),
            Reasons::V3(reasons) => reasons.len(),
        }
    }

    /// True when there is no reason (never, for an outcome of the rules).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The version-1 clauses, if these are version 1's.
    pub fn v1(&self) -> Option<&[Reason]> {
        match self {
            Reasons::V1(reasons) => Some(reasons),
            _ => None,
        }
    }

    /// The version-2 clauses, if these are version 2's.
    pub fn v2(&self) -> Option<&[ReasonV2]> {
        match self {
            Reasons::V2(reasons) => Some(reasons),
            _ => None,
        }
    }

    /// The version-3 clauses, if these are version 3's.
    pub fn v3(&self) -> Option<&[ReasonV3]> {
        match self {
            Reasons::V3(reasons) => Some(reasons),
            _ => None,
        }
    }
}

impl Outcome {
    /// The result document (PRODUCT §3.3).
    pub fn to_document(&self) -> serde_json::Value {
        let fields = |questions: &[IntakeQuestion]| -> Vec<&'static str> {
            questions.iter().map(|question| question.field()).collect()
        };
        serde_json::json!({
            "band": self.band.code(),
            "rules_version": self.rules_version.as_str(),
            "red_flags": fields(&self.red_flags),
            "declined": fields(&self.declined),
            "further_investigation": self.further_investigation,
            "referral": self.referral,
            "provisional": self.provisional,
            "incomplete": self.incomplete,
            "reasons": self.reasons.texts(),
        })
    }
}
