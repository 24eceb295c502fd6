//! What a result tells the therapist beyond the level (PRODUCT §2.4c, for every rules version's
//! results): the level named as the article's level of use, never as a diagnosis; a
//! description built only from what was recorded and attributed to the article; the
//! contradictions in the record first; the notes; and next steps that follow the record, in
//! the article's words where they are the article's. Also the disclaimer, the citation and
//! the article's advice to read before asking the questions.

use super::answers::Answers;
use super::questions::{Coded, Control, Indicator, IntakeQuestion, Pattern};
use super::rules::{
    AT_RISK_RED_FLAGS, Band, Inconsistency, Outcome, Reason, ReasonV2, Reasons, RulesVersion,
    details_recorded, inconsistencies,
};

/// The clinical source, cited on every page that shows the questions or a result.
pub const CITATION: &str =
    "Weiss, R. (2015). Does Your Client Have a Cybersex Problem? Psych Central.";

/// Where the article was published.
pub const CITATION_URL: &str =
    "https://blogs.psychcentral.com/sex/2014/10/does-your-client-have-a-cybersex-problem/";

/// Shown with every result.
pub const DISCLAIMER: &str = "This is a screening aid, not a diagnosis: the article's levels of \
     use are not diagnostic categories. It supports, and does not replace, the clinician's \
     judgement.";

/// The article's advice a clinician needs before asking the six questions.
pub const BEFORE_YOU_ASK: [&str; 5] = [
    "Clients rarely volunteer these problems: they tend to bring depression, anxiety, sleep or \
     relationship concerns instead, and standard assessments seldom ask about sexual life.",
    "The article warns that it is \"tempting for therapists to take these clients at their \
     word\" and treat the more common concerns without a deeper investigation.",
    "Online use is relatively anonymous and easy to keep private and compartmentalized, so a \
     \"no\" is weak evidence on its own.",
    "The six questions are basic, non-intrusive and non-graphic: ask them as part of the usual \
     intake, in your own calm voice.",
    "If an answer raises concern, dig for the details and record below what you observe.",
];

/// The article's description of a level of use, attributed, as the form's reminder of the
/// three levels shows it. A result uses [`result_description`], which says only what was
/// recorded.
pub fn band_description(band: Band) -> &'static str {
    match band {
        Band::Casual => {
            "The article describes casual users as finding online sexual activity \"fascinating \
             and fun\" and engaging in it occasionally, often driven by curiosity, novelty or a \
             life stage; their interest \"is not sustained over time\"."
        }
        Band::AtRisk => {
            "The article describes at-risk users as going through periods of intense engagement, \
             perhaps as a distraction from emotional discomfort; they may hide it, ignore \
             consequences for a while and escalate, but they can, and usually do, limit or stop \
             on their own: they retain control and choice."
        }
        Band::Addicted => {
            "The article describes addicted users as using compulsively and repetitively, \
             regardless of consequences, to \"numb out\" stress and emotional discomfort; they \
             often lead a double life, minimize and justify, and cannot stop on their own."
        }
        Band::NotScreened => "Not a level of use: the client declined all six questions.",
    }
}

/// The article's words for one recorded detail, as its descriptions of the levels use them.
fn article_phrase(detail: Detail) -> &'static str {
    match detail {
        Detail::Pattern(Pattern::IntensePeriods) => "periods of intense engagement",
        Detail::Pattern(Pattern::Compulsive) => "compulsive, repetitive use",
        Detail::Pattern(Pattern::Occasional) => "occasional use",
        Detail::Pattern(Pattern::None) => "no online sexual activity of note",
        Detail::Observed(Indicator::EscapeUse) => {
            "use as a distraction from emotional discomfort, to \"numb out\""
        }
        Detail::Observed(Indicator::Secrecy) => {
            "hiding the nature and extent of it, keeping secrets"
        }
        Detail::Observed(Indicator::Escalation) => "escalating the nature or extent of use",
        Detail::Observed(Indicator::DespiteConsequences) => {
            "continued use regardless of potential or actual consequences"
        }
        Detail::Observed(Indicator::FunctioningImpaired) => {
            "relationships, work, finances or health negatively affected"
        }
        Detail::Observed(Indicator::MinimizesOrBlames) => {
            "minimizing, justifying or blaming others"
        }
    }
}

#[derive(Clone, Copy)]
enum Detail {
    Pattern(Pattern),
    Observed(Indicator),
}

/// The recorded signs of use, in the article's words: the pattern when it is intense or
/// compulsive, and every indicator observed.
fn recorded_signs(answers: &Answers) -> Vec<&'static str> {
    let mut details = Vec::new();
    if let Some(pattern @ (Pattern::IntensePeriods | Pattern::Compulsive)) = answers.pattern {
        details.push(Detail::Pattern(pattern));
    }
    details.extend(
        Indicator::ALL
            .iter()
            .filter(|&&indicator| answers.observed(indicator))
            .map(|&indicator| Detail::Observed(indicator)),
    );
    details.into_iter().map(article_phrase).collect()
}

/// "a, b and c".
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What this result means, built only from what was recorded (PRODUCT §2.4c): never an article
/// phrase for a pattern or indicator that was not recorded, the article's casual description
/// only when occasional use was recorded. `None` for a result not screened, which has no
/// level to describe.
pub fn result_description(answers: &Answers, outcome: &Outcome) -> Option<String> {
    let signs = recorded_signs(answers);
    let recorded_here = || {
        if signs.is_empty() {
            String::new()
        } else {
            format!(" Recorded here: {}.", signs.join("; "))
        }
    };
    let nothing_recorded = !details_recorded(answers);
    Some(match outcome.band {
        Band::NotScreened => return None,
        Band::Addicted => {
            let confirm = if !inconsistencies(answers).is_empty() {
                " The details disagree: confirm them before acting on this level."
            } else if outcome.provisional {
                " Some details were not assessed: complete them before acting on this level."
            } else {
                ""
            };
            format!(
                "The article describes addicted users as unable to stop on their own, and \
                 control was recorded as lost.{}{confirm}",
                recorded_here()
            )
        }
        Band::AtRisk => {
            let control = match answers.control {
                Control::Retained => {
                    " Control was recorded as retained, as the article describes at-risk users."
                        .to_owned()
                }
                Control::NotAssessed => " Whether this client can stop on their own was not \
                     assessed: that is what separates at-risk from addicted use."
                    .to_owned(),
                Control::Lost => format!(
                    " Control is recorded as lost, which the article names as what separates \
                     addicted from at-risk users; {}",
                    match outcome.rules_version {
                        RulesVersion::V1 => {
                            "rules version 1, which scored this result, asks for more than \
                             lost control before it says addicted (see Why)."
                        }
                        RulesVersion::V2 | RulesVersion::V3 => {
                            "with no sign or secrecy beside it the record is inconsistent: review \
                             the details before relying on this level."
                        }
                    }
                ),
            };
            // Version 1 counts secrecy as an at-risk sign; versions 2 and 3 do not.
            let counted_signs = match outcome.rules_version {
                RulesVersion::V1 => !signs.is_empty(),
                RulesVersion::V2 | RulesVersion::V3 => super::rules::has_signs(answers),
            };
            let lead = if !counted_signs && answers.control != Control::Lost {
                let details = if nothing_recorded {
                    "The details were not assessed."
                } else if answers.observed(Indicator::Secrecy) {
                    "The details recorded show no sign of at-risk use beyond these answers: \
                     secrecy was observed, which alone raises no level."
                } else {
                    "The details recorded show no sign of at-risk use beyond these answers."
                };
                format!(
                    "{} of the six intake answers raised a red flag; this app (not the \
                     article) counts {AT_RISK_RED_FLAGS} or more as at-risk. {details}",
                    outcome.red_flags.len()
                )
            } else {
                format!(
                    "The article describes at-risk users as able to limit or stop on their own \
                     when consequences appear or loom, though for a while they may look like \
                     addicted users.{}",
                    recorded_here()
                )
            };
            format!("{lead}{control}")
        }
        Band::Casual => {
            let mut parts = Vec::new();
            if outcome.declined.len() == IntakeQuestion::ALL.len() {
                parts.push(if nothing_recorded {
                    "The client declined all six questions and no detail was recorded, so the \
                     screen could not look for any sign. This is not a finding of casual use."
                } else {
                    "The client declined all six questions: this level rests on the clinician's \
                     observations alone."
                });
            }
            match answers.pattern {
                Some(Pattern::Occasional) => parts.push(
                    "Occasional use was recorded. The article describes casual users as finding \
                     online sexual activity \"fascinating and fun\" and engaging in it \
                     occasionally, often driven by curiosity, novelty or a life stage; their \
                     interest \"is not sustained over time\".",
                ),
                Some(Pattern::None) => {
                    parts.push("No online sexual activity of note was recorded (pattern: none).")
                }
                Some(Pattern::IntensePeriods | Pattern::Compulsive) => {}
                None if nothing_recorded => {
                    if outcome.declined.len() < IntakeQuestion::ALL.len() {
                        if outcome.red_flags.is_empty() {
                            parts.push("No intake answer raised a red flag.");
                        }
                        parts.push(
                            "No at-risk sign recorded so far; the details were not assessed.",
                        );
                    }
                }
                None => parts
                    .push("No at-risk sign recorded so far; the pattern of use was not assessed."),
            }
            if answers.observed(Indicator::Secrecy) {
                parts.push(
                    "Secrecy was observed: the article notes that even those who compartmentalize \
                     \"may only be casual or at-risk cybersex users, rather than addicted\".",
                );
            }
            if answers.control == Control::Retained {
                parts.push("Control was recorded as retained.");
            }
            parts.join(" ")
        }
    })
}

/// How a result is styled: neutral for a result not screened, incomplete or provisional
/// (never a green all-clear); otherwise its band's code.
pub fn tone(outcome: &Outcome) -> &'static str {
    if outcome.band == Band::NotScreened || outcome.provisional || outcome.incomplete {
        "neutral"
    } else {
        outcome.band.code()
    }
}

/// The contradictions in the record, in plain words, that lead the page (every version).
pub fn inconsistency_lines(answers: &Answers) -> Vec<&'static str> {
    inconsistencies(answers)
        .into_iter()
        .map(Inconsistency::text)
        .collect()
}

/// Any red flag, or a level that raises concern by itself (PRODUCT §2.3c `concern`).
fn concern(outcome: &Outcome) -> bool {
    !outcome.red_flags.is_empty() || outcome.band.is_concern()
}

/// Why a provisional result is provisional, in a sentence; `None` when it is not.
pub fn provisional_note(answers: &Answers, outcome: &Outcome) -> Option<String> {
    if !outcome.provisional {
        return None;
    }
    let pattern_missing = answers.pattern.is_none();
    let control_missing = answers.control == Control::NotAssessed;
    let missing = match (pattern_missing, control_missing) {
        (true, true) => Some("The pattern of use and control were not assessed."),
        (true, false) => Some("The pattern of use was not assessed."),
        (false, true) => {
            Some("Control, whether the client can stop on their own, was not assessed.")
        }
        (false, false) => None,
    };
    Some(match outcome.rules_version {
        RulesVersion::V1 => "The pattern of use was not assessed.".to_owned(),
        RulesVersion::V2 if Inconsistency::LostWithoutSigns.holds(answers) => {
            "Control is recorded as lost, but no other sign was observed: the record is \
             inconsistent."
                .to_owned()
        }
        RulesVersion::V2 => missing.unwrap_or_default().to_owned(),
        RulesVersion::V3 => {
            let disagree = (!inconsistencies(answers).is_empty())
                .then_some("The details disagree (see above).");
            [concern(outcome).then_some(missing).flatten(), disagree]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        }
    })
}

/// The lead of an incomplete result, shown before the level: "Incomplete: N of 6 declined",
/// and what the level rests on: the answered questions, the clinician's observations, or both.
pub fn incomplete_lead(answers: &Answers, outcome: &Outcome) -> Option<String> {
    if !outcome.incomplete {
        return None;
    }
    let declined = outcome.declined.len();
    let answered = IntakeQuestion::ALL.len() - declined;
    let questions = if answered == 1 {
        "the 1 answered question".to_owned()
    } else {
        format!("the {answered} answered questions")
    };
    let rests_on = match (answered, details_recorded(answers)) {
        (0, false) => "Nothing was recorded for a level to rest on.".to_owned(),
        (0, true) => "The level rests on the clinician's observations alone.".to_owned(),
        (_, true) => format!("The level rests on {questions} and the clinician's observations."),
        (_, false) => {
            format!("The level rests on {questions} alone; the details were not assessed.")
        }
    };
    Some(format!("Incomplete: {declined} of 6 declined. {rests_on}"))
}

/// The observations a version-1 or version-2 result's reasons do not name, each saying it did
/// not count, so that every observation appears under "Why" (version 3's reasons name them
/// all themselves).
pub fn unnamed_observations(answers: &Answers, outcome: &Outcome) -> Vec<String> {
    let named = |indicator: Indicator| match &outcome.reasons {
        Reasons::V1(reasons) => reasons.iter().any(|reason| match reason {
            Reason::AtRiskIndicator(each) => *each == indicator,
            Reason::AddictedDespiteConsequences => indicator == Indicator::DespiteConsequences,
            Reason::AddictedFunctioningImpaired => indicator == Indicator::FunctioningImpaired,
            _ => false,
        }),
        Reasons::V2(reasons) => reasons.iter().any(|reason| match reason {
            ReasonV2::Observed(each) => *each == indicator,
            ReasonV2::SecrecyAlone => indicator == Indicator::Secrecy,
            _ => false,
        }),
        Reasons::V3(_) => true,
    };
    Indicator::ALL
        .iter()
        .filter(|&&indicator| answers.observed(indicator) && !named(indicator))
        .map(|&indicator| {
            format!(
                "Also observed: the client {}. Not counted by rules version {} for this level.",
                indicator.description(),
                outcome.rules_version
            )
        })
        .collect()
}

/// One recommended next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// The details contradict each other: review them first.
    ReviewDetails,
    /// Any red flag or a band above casual: a deeper investigation.
    InvestigateFurther,
    /// Control not assessed while the record shows compulsive use, continued use despite
    /// consequences or impaired functioning.
    AssessControl,
    /// Provisional: record what was not assessed (only what is missing).
    CompleteDetails { pattern: bool, control: bool },
    /// Addicted: refer to a specialist (once the details are confirmed, when provisional).
    Refer { once_confirmed: bool },
    /// Questions declined: return to them.
    RevisitDeclined(Vec<IntakeQuestion>),
    /// At-risk or addicted: co-occurring depression and anxiety.
    ConsiderCoOccurring,
}

impl NextStep {
    /// The step in plain words, attributed to the article where it is the article's.
    pub fn text(&self) -> String {
        match self {
            NextStep::ReviewDetails => "Review the details that disagree (above) with the \
                 client, and correct the record before acting on the level."
                .to_owned(),
            NextStep::InvestigateFurther => "Continue with a deeper investigation. The article \
                 points to \"the confidential, easily administered sex addiction screening tests \
                 found on the Sexual Recovery Institute website\" (e.g. SAST-R, ISST)."
                .to_owned(),
            NextStep::AssessControl => "Assess control now: if the client cannot stop on their \
                 own, the article advises referral."
                .to_owned(),
            NextStep::CompleteDetails { pattern, control } => {
                let what = match (pattern, control) {
                    (true, true) => {
                        "the pattern of use, and whether the client can limit or \
                                     stop on their own (control)"
                    }
                    (true, false) => "the pattern of use",
                    _ => "whether the client can limit or stop on their own (control)",
                };
                format!("Record {what}: the result is provisional until then.")
            }
            NextStep::Refer { once_confirmed } => format!(
                "{} The article advises referral to a sexual addiction treatment specialist \
                 (IITAP and SASH train and certify them and list providers), and notes that \
                 psychodynamic, narrative, Jungian and analytic methods are \"not particularly \
                 helpful with behavioral compulsions\".",
                if *once_confirmed {
                    "Refer for specialist assessment once the details are confirmed."
                } else {
                    "Refer for specialist assessment."
                }
            ),
            NextStep::RevisitDeclined(questions) => {
                let numbers: Vec<String> = questions
                    .iter()
                    .map(|question| format!("Q{}", question.number()))
                    .collect();
                let numbers: Vec<&str> = numbers.iter().map(String::as_str).collect();
                format!(
                    "A declined answer is not a no: return to {} when the client is ready.",
                    join_words(&numbers)
                )
            }
            NextStep::ConsiderCoOccurring => "The article notes that depression, anxiety and \
                 other concerns the client brings may be symptomatic: once the problem is \
                 addressed they often clear up of their own accord, or reveal their origins, \
                 such as early-life trauma, which can then be dealt with directly."
                .to_owned(),
        }
    }
}

/// The next steps for a result, in order: the record first, then a deeper investigation, then
/// referral (PRODUCT §2.4c), then the declined questions and co-occurring concerns. Never asks to
/// record a detail that is recorded.
pub fn next_steps(answers: &Answers, outcome: &Outcome) -> Vec<NextStep> {
    let mut steps = Vec::new();
    if !inconsistencies(answers).is_empty() {
        steps.push(NextStep::ReviewDetails);
    }
    if outcome.further_investigation {
        steps.push(NextStep::InvestigateFurther);
    }
    let control_missing = answers.control == Control::NotAssessed;
    let assess_control = control_missing
        && outcome.band != Band::NotScreened
        && (answers.pattern == Some(Pattern::Compulsive)
            || answers.observed(Indicator::DespiteConsequences)
            || answers.observed(Indicator::FunctioningImpaired));
    if assess_control {
        steps.push(NextStep::AssessControl);
    }
    let pattern = answers.pattern.is_none();
    let control = control_missing && !assess_control;
    if outcome.provisional && concern(outcome) && (pattern || control) {
        steps.push(NextStep::CompleteDetails { pattern, control });
    }
    if outcome.referral {
        steps.push(NextStep::Refer {
            once_confirmed: outcome.provisional,
        });
    }
    if !outcome.declined.is_empty() {
        steps.push(NextStep::RevisitDeclined(outcome.declined.clone()));
    }
    if outcome.band.is_concern() {
        steps.push(NextStep::ConsiderCoOccurring);
    }
    steps
}
