//! Scoring rules (SPEC §2.3, §2.3b). Each version of the rules is a pure function from answers
//! to an [`Outcome`]; a stored result keeps the version it was scored with. Version 1 lives
//! here and is never changed; version 2 lives in [`super::rules_v2`].

use std::fmt;

use super::answers::Answers;
use super::questions::{Coded, Control, Indicator, IntakeQuestion, Pattern};
use super::rules_v2::ReasonV2;

/// A version of the scoring rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RulesVersion {
    /// Rules v1 (SPEC §2.3).
    V1,
    /// Rules v2 (SPEC §2.3b).
    V2,
}

impl RulesVersion {
    /// The version new screenings are scored with.
    pub const CURRENT: RulesVersion = RulesVersion::V2;

    /// Every version, oldest first.
    pub const ALL: [RulesVersion; 2] = [RulesVersion::V1, RulesVersion::V2];

    /// The version's name as stored and shown (`"1"`, `"2"`).
    pub fn as_str(self) -> &'static str {
        match self {
            RulesVersion::V1 => "1",
            RulesVersion::V2 => "2",
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
            RulesVersion::V1 => score_v1(answers),
            RulesVersion::V2 => super::rules_v2::score(answers),
        }
    }
}

impl fmt::Display for RulesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The level of cybersex use, ordered casual < at-risk < addicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Band {
    Casual,
    AtRisk,
    Addicted,
}

impl Coded for Band {
    const ALL: &'static [Self] = &[Band::Casual, Band::AtRisk, Band::Addicted];

    fn code(self) -> &'static str {
        match self {
            Band::Casual => "casual",
            Band::AtRisk => "at_risk",
            Band::Addicted => "addicted",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Band::Casual => "Casual",
            Band::AtRisk => "At-risk",
            Band::Addicted => "Addicted",
        }
    }
}

/// The number of red flags from which the intake answers alone put a client at risk.
pub const AT_RISK_RED_FLAGS: usize = 3;
/// The number of declined questions from which a result is incomplete.
pub const INCOMPLETE_DECLINED: usize = 2;

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

/// The result of scoring one set of answers (SPEC §3.3).
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
    /// control not assessed, and control lost with no other sign).
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
}

impl Reasons {
    /// Each reason in plain words, in rule order.
    pub fn texts(&self) -> Vec<String> {
        match self {
            Reasons::V1(reasons) => reasons.iter().map(|reason| reason.text()).collect(),
            Reasons::V2(reasons) => reasons.iter().map(|reason| reason.text()).collect(),
        }
    }

    /// How many reasons there are.
    pub fn len(&self) -> usize {
        match self {
            Reasons::V1(reasons) => reasons.len(),
            Reasons::V2(reasons) => reasons.len(),
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
            Reasons::V2(_) => None,
        }
    }

    /// The version-2 clauses, if these are version 2's.
    pub fn v2(&self) -> Option<&[ReasonV2]> {
        match self {
            Reasons::V1(_) => None,
            Reasons::V2(reasons) => Some(reasons),
        }
    }
}

impl Outcome {
    /// The result document (SPEC §3.3).
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

fn score_v1(answers: &Answers) -> Outcome {
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
