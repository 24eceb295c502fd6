//! What a result tells the therapist beyond the band: the article's description of each level,
//! the next steps (SPEC §2.4), the disclaimer and the citation.

use super::rules::{Band, Outcome};

/// The clinical source, cited on every page that shows the questions or a result.
pub const CITATION: &str =
    "Weiss, R. (2015). Does Your Client Have a Cybersex Problem? Psych Central.";

/// Shown with every result.
pub const DISCLAIMER: &str = "This is a screening aid, not a diagnosis. It supports, and does not replace, the clinician's judgement.";

/// The article's description of a level of cybersex use.
pub fn band_description(band: Band) -> &'static str {
    match band {
        Band::Casual => {
            "Casual users find online sexual activity fascinating and fun and engage in it occasionally, \
             often driven by curiosity, novelty or a life stage (late adolescence, a breakup). It is an \
             intermittent source of relaxation, not as meaningful as in-person connection, and the \
             interest is not sustained over time."
        }
        Band::AtRisk => {
            "At-risk users go through periods of intense engagement, perhaps as a distraction from \
             emotional discomfort. They may hide the extent of it, ignore consequences for a while and \
             escalate, but they can, and usually do, limit or stop when adverse consequences appear or \
             loom: they retain control and choice."
        }
        Band::Addicted => {
            "Addicted users compulsively use technology for sexual fantasy and activity regardless of \
             consequences to themselves or others, repetitively, to numb stress and emotional \
             discomfort. They often lead a double life, keep secrets, minimize and justify, and cannot \
             stop on their own; their lives and functioning are negatively affected."
        }
    }
}

/// One recommended next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Red flags or a band above casual: investigate further with a validated test.
    InvestigateFurther,
    /// Addicted: refer to a specialist.
    Refer,
    /// Red flags without the details: record the pattern and control.
    CompleteDetails,
    /// Questions declined: return to them when rapport allows.
    RevisitDeclined,
    /// Always: co-occurring conditions.
    ConsiderCoOccurring,
}

impl NextStep {
    /// The step in plain words.
    pub fn text(self) -> &'static str {
        match self {
            NextStep::InvestigateFurther => {
                "Further investigation is merited: dig for the details, e.g. with a validated, \
                 confidential screening test such as the SAST-R (Sexual Addiction Screening Test, \
                 revised) or the ISST (Internet Sex Screening Test)."
            }
            NextStep::Refer => {
                "Refer the client to a sexual addiction treatment specialist. The International \
                 Institute for Trauma and Addiction Professionals (IITAP) and the Society for the \
                 Advancement of Sexual Health (SASH) list certified providers."
            }
            NextStep::CompleteDetails => {
                "Red flags were raised but the pattern of use was not assessed: this result is \
                 provisional until you record what you observe about the pattern and control."
            }
            NextStep::RevisitDeclined => {
                "Two or more questions were declined: this result is incomplete. Return to them when \
                 rapport allows."
            }
            NextStep::ConsiderCoOccurring => {
                "Depression, anxiety and other concerns the client brings may be symptomatic of, or \
                 co-occur with, problematic sexual behaviour; they often ease once it is addressed."
            }
        }
    }
}

/// The next steps for a result, most important first.
pub fn next_steps(outcome: &Outcome) -> Vec<NextStep> {
    let mut steps = Vec::new();
    if outcome.referral {
        steps.push(NextStep::Refer);
    }
    if outcome.further_investigation {
        steps.push(NextStep::InvestigateFurther);
    }
    if outcome.provisional {
        steps.push(NextStep::CompleteDetails);
    }
    if outcome.incomplete {
        steps.push(NextStep::RevisitDeclined);
    }
    steps.push(NextStep::ConsiderCoOccurring);
    steps
}
