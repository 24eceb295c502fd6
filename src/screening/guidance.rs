//! What a result tells the therapist beyond the band: the article's description of each level,
//! a description of this result that never contradicts its record, the notes and the next
//! steps in the article's words (SPEC §2.4, §2.4b), the disclaimer, the citation, and the
//! article's advice to read before asking the questions.

use super::answers::Answers;
use super::questions::{Control, Pattern};
use super::rules::{Band, Outcome, RulesVersion};

/// The clinical source, cited on every page that shows the questions or a result.
pub const CITATION: &str =
    "Weiss, R. (2015). Does Your Client Have a Cybersex Problem? Psych Central.";

/// Shown with every result.
pub const DISCLAIMER: &str = "This is a screening aid, not a diagnosis. It supports, and does not replace, the clinician's judgement.";

/// The article's advice a clinician needs before asking the six questions.
pub const BEFORE_YOU_ASK: [&str; 3] = [
    "Clients rarely volunteer these problems: they tend to bring depression, anxiety, sleep or \
     relationship concerns instead, and standard assessments seldom ask about sexual life.",
    "The six questions are basic, non-intrusive and non-graphic: ask them as part of the usual \
     intake, in your own calm voice.",
    "If an answer raises concern, dig for the details and record below what you observe.",
];

/// The article's description of a level of cybersex use, as the form's reminder of the three
/// levels shows it. A result uses [`result_description`], which fits the record.
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

/// True when nothing in the record shows online sexual activity: no red flag, no pattern of
/// use, no indicator observed.
fn no_use_recorded(answers: &Answers, outcome: &Outcome) -> bool {
    outcome.red_flags.is_empty()
        && answers.observed.is_empty()
        && matches!(answers.pattern, None | Some(Pattern::None))
}

/// True when a sign of use beyond the intake answers was recorded.
fn signs_recorded(answers: &Answers) -> bool {
    matches!(
        answers.pattern,
        Some(Pattern::IntensePeriods | Pattern::Compulsive)
    ) || !answers.observed.is_empty()
}

/// What this result's band means, chosen by how the band was reached so that it never
/// contradicts the record (SPEC §2.4b): a casual result with nothing recorded says the screen
/// found no sign of problematic use rather than describing a casual user; an at-risk result
/// says "they retain control" only when control was recorded as retained.
pub fn result_description(answers: &Answers, outcome: &Outcome) -> String {
    let declined = outcome.declined.len();
    match outcome.band {
        Band::Casual if no_use_recorded(answers, outcome) && declined == 6 => {
            "The client declined all six questions, so the screen could not look for signs of \
             problematic online sexual activity. This is not a finding of casual use."
                .to_owned()
        }
        Band::Casual if no_use_recorded(answers, outcome) && outcome.incomplete => format!(
            "No sign of problematic online sexual activity was found in the questions the client \
             answered, but {declined} of the six were declined, so the screen says little."
        ),
        Band::Casual if no_use_recorded(answers, outcome) => {
            "The screen found no sign of problematic online sexual activity: no answer raised a \
             red flag and no use of concern was observed. (The article's casual level describes \
             people who do use online sexual content, occasionally; nothing here says this \
             client does.)"
                .to_owned()
        }
        Band::Casual => band_description(Band::Casual).to_owned(),
        Band::AtRisk if answers.control == Control::Lost => {
            let why = match outcome.rules_version {
                RulesVersion::V1 => {
                    "Rules version 1, which scored this result, also asks for a compulsive \
                     pattern, continued use despite consequences or impaired functioning before \
                     it says addicted, and none was recorded."
                }
                RulesVersion::V2 => {
                    "No other sign was recorded, so the record is inconsistent: review the \
                     details before relying on this band."
                }
            };
            format!(
                "Control is recorded as lost: the client has tried to limit or stop and cannot, \
                 which the article names as what separates addicted from at-risk users. {why}"
            )
        }
        Band::AtRisk if !signs_recorded(answers) => {
            let details = if answers.pattern.is_none() && answers.control == Control::NotAssessed {
                "No details were recorded yet to place the client in the article's levels"
            } else {
                "The details recorded show no sign of at-risk use beyond these answers, so the \
                 band rests on this app's threshold alone"
            };
            format!(
                "{} of the six intake answers raised a red flag, which this app counts as \
                 at-risk. {details}: at-risk users go through periods of intense engagement but \
                 can stop on their own; addicted users cannot.",
                outcome.red_flags.len()
            )
        }
        Band::AtRisk if answers.control == Control::NotAssessed => {
            "At-risk users go through periods of intense engagement, perhaps as a distraction \
             from emotional discomfort. They may hide the extent of it, ignore consequences for \
             a while and escalate. What separates them from addicted users is that they can stop \
             on their own; whether this client can was not assessed."
                .to_owned()
        }
        Band::AtRisk => band_description(Band::AtRisk).to_owned(),
        Band::Addicted => band_description(Band::Addicted).to_owned(),
    }
}

/// Why a provisional result is provisional, in a sentence; `None` when it is not.
pub fn provisional_note(answers: &Answers, outcome: &Outcome) -> Option<&'static str> {
    if !outcome.provisional {
        return None;
    }
    let pattern_missing = answers.pattern.is_none();
    let control_missing = answers.control == Control::NotAssessed;
    Some(match outcome.rules_version {
        RulesVersion::V2 if answers.control == Control::Lost && !signs_recorded(answers) => {
            "Control is recorded as lost, but no other sign was observed: the record is \
             inconsistent."
        }
        RulesVersion::V2 if pattern_missing && control_missing => {
            "The pattern of use and control were not assessed."
        }
        RulesVersion::V2 if control_missing => {
            "Control, whether the client can stop on their own, was not assessed."
        }
        _ => "The pattern of use was not assessed.",
    })
}

/// The lead of an incomplete result, shown before the band: "Incomplete: N of 6 declined".
pub fn incomplete_lead(outcome: &Outcome) -> Option<String> {
    outcome
        .incomplete
        .then(|| format!("Incomplete: {} of 6 declined", outcome.declined.len()))
}

/// One recommended next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Any red flag or a band above casual: a deeper investigation.
    InvestigateFurther,
    /// Addicted: refer to a specialist.
    Refer,
    /// Addicted: behavioural, addiction-focused treatment.
    BehaviouralTreatment,
    /// Provisional: complete and check the details.
    CompleteDetails,
    /// Incomplete: return to the declined questions.
    RevisitDeclined,
    /// At-risk or addicted: co-occurring depression and anxiety.
    ConsiderCoOccurring,
}

impl NextStep {
    /// The step in plain words, after the article.
    pub fn text(self) -> &'static str {
        match self {
            NextStep::InvestigateFurther => {
                "Continue with a deeper investigation. The article points to the confidential, \
                 easily administered sex addiction screening tests of the Sexual Recovery \
                 Institute, such as the SAST-R (Sexual Addiction Screening Test, revised) and the \
                 ISST (Internet Sex Screening Test)."
            }
            NextStep::Refer => {
                "Refer the client to a sexual addiction treatment specialist. The International \
                 Institute for Trauma and Addiction Professionals (IITAP) and the Society for the \
                 Advancement of Sexual Health (SASH) train and certify them, and both are sources \
                 for referrals."
            }
            NextStep::BehaviouralTreatment => {
                "Behavioural, addiction-focused treatment is indicated: the article notes that \
                 psychodynamic, narrative, Jungian, analytic and other non-behavioural methods \
                 are not particularly helpful with behavioural compulsions."
            }
            NextStep::CompleteDetails => {
                "This result is provisional: record the pattern of use and whether the client \
                 can limit or stop on their own (control, the sign that separates at-risk from \
                 addicted), and check that the details agree."
            }
            NextStep::RevisitDeclined => {
                "Return to the declined questions when rapport allows: clients rarely volunteer \
                 these problems."
            }
            NextStep::ConsiderCoOccurring => {
                "Depression, anxiety and other concerns the client brings may be symptomatic. \
                 Once the problem is addressed they often clear up of their own accord, or reveal \
                 their origins, such as early-life trauma, which can then be dealt with directly."
            }
        }
    }
}

/// The next steps for a result, most important first.
pub fn next_steps(outcome: &Outcome) -> Vec<NextStep> {
    let mut steps = Vec::new();
    if outcome.referral {
        steps.push(NextStep::Refer);
        steps.push(NextStep::BehaviouralTreatment);
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
    if outcome.band != Band::Casual {
        steps.push(NextStep::ConsiderCoOccurring);
    }
    steps
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answers(patch: serde_json::Value) -> Answers {
        let mut document = json!({
            "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["exercise"],
            "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "no",
        });
        for (field, value) in patch.as_object().unwrap() {
            document[field] = value.clone();
        }
        Answers::from_json(&document.to_string()).unwrap()
    }

    fn described(patch: serde_json::Value, version: RulesVersion) -> (Outcome, String) {
        let answers = answers(patch);
        let outcome = version.score(&answers);
        let text = result_description(&answers, &outcome);
        (outcome, text)
    }

    #[test]
    fn a_casual_result_with_nothing_recorded_describes_no_casual_user() {
        let (outcome, text) = described(json!({}), RulesVersion::V2);
        assert_eq!(outcome.band, Band::Casual);
        assert!(text.contains("no sign of problematic"), "{text}");
        assert!(!text.starts_with("Casual users"), "{text}");
        let all_declined = json!({
            "q1_concern_expressed": "declined", "q2_self_concern": "declined",
            "q3_escape": ["declined"], "q4_secrets": "declined",
            "q5_others_disturbed": "declined", "q6_shame": "declined",
        });
        let (outcome, text) = described(all_declined, RulesVersion::V2);
        assert_eq!(
            incomplete_lead(&outcome).unwrap(),
            "Incomplete: 6 of 6 declined"
        );
        assert!(text.contains("declined all six"), "{text}");
        assert!(!text.contains("fascinating"), "{text}");
        let (_, text) = described(
            json!({"q5_others_disturbed": "declined", "q6_shame": "declined"}),
            RulesVersion::V2,
        );
        assert!(text.contains("2 of the six were declined"), "{text}");
        // Use recorded: the article's casual description applies.
        let (_, text) = described(json!({"q6_shame": "yes"}), RulesVersion::V2);
        assert!(text.contains("fascinating and fun"), "{text}");
    }

    #[test]
    fn an_at_risk_result_says_they_retain_control_only_when_recorded() {
        let retained = json!({"pattern": "intense_periods", "control": "retained"});
        let (_, text) = described(retained, RulesVersion::V2);
        assert!(text.contains("retain control"), "{text}");

        let unassessed = json!({"pattern": "compulsive", "despite_consequences": true});
        let (outcome, text) = described(unassessed, RulesVersion::V2);
        assert_eq!(outcome.band, Band::AtRisk);
        assert!(!text.contains("retain control"), "{text}");
        assert!(text.contains("was not assessed"), "{text}");

        for version in RulesVersion::ALL {
            let lost = json!({"control": "lost", "pattern": "occasional"});
            let (outcome, text) = described(lost, version);
            assert_eq!(outcome.band, Band::AtRisk, "{version}");
            assert!(!text.contains("retain control"), "{version}: {text}");
            assert!(text.contains("cannot"), "{version}: {text}");
        }
        // Version 1 put lost control with escape use at risk; the page says why.
        let (_, text) = described(
            json!({"control": "lost", "escape_use": true}),
            RulesVersion::V1,
        );
        assert!(text.contains("Rules version 1"), "{text}");

        let flags_only = json!({
            "q1_concern_expressed": "yes", "q2_self_concern": "yes", "q4_secrets": "yes",
        });
        let (_, text) = described(flags_only.clone(), RulesVersion::V2);
        assert!(text.starts_with("3 of the six"), "{text}");
        assert!(text.contains("No details were recorded"), "{text}");
        assert!(!text.contains("retain control"), "{text}");
        let mut assessed = flags_only;
        assessed["pattern"] = json!("occasional");
        assessed["control"] = json!("retained");
        let (outcome, text) = described(assessed, RulesVersion::V2);
        assert_eq!(outcome.band, Band::AtRisk);
        assert!(!text.contains("No details were recorded"), "{text}");
        assert!(text.contains("this app's threshold alone"), "{text}");
    }

    #[test]
    fn next_steps_follow_the_article() {
        let steps = |patch| next_steps(&RulesVersion::V2.score(&answers(patch)));
        assert!(
            steps(json!({})).is_empty(),
            "nothing to do after a clear screen"
        );
        assert_eq!(
            steps(json!({"q1_concern_expressed": "yes", "pattern": "none", "control": "retained"})),
            [NextStep::InvestigateFurther],
            "a red flag: a deeper investigation; no co-occurring note for a casual result"
        );
        assert_eq!(
            steps(json!({"control": "lost", "pattern": "compulsive"})),
            [
                NextStep::Refer,
                NextStep::BehaviouralTreatment,
                NextStep::InvestigateFurther,
                NextStep::ConsiderCoOccurring,
            ]
        );
        let every = [
            NextStep::InvestigateFurther,
            NextStep::Refer,
            NextStep::BehaviouralTreatment,
            NextStep::CompleteDetails,
            NextStep::RevisitDeclined,
            NextStep::ConsiderCoOccurring,
        ];
        for step in every {
            assert!(!step.text().contains("validated"), "{step:?}");
        }
        let investigate = NextStep::InvestigateFurther.text();
        for name in [
            "Sexual Recovery Institute",
            "SAST-R",
            "ISST",
            "deeper investigation",
        ] {
            assert!(investigate.contains(name), "{name}");
        }
        assert!(
            NextStep::ConsiderCoOccurring
                .text()
                .contains("early-life trauma")
        );
        assert!(
            NextStep::BehaviouralTreatment
                .text()
                .contains("not particularly helpful")
        );
    }

    #[test]
    fn provisional_notes_name_what_is_missing() {
        let note = |patch| {
            let answers = answers(patch);
            provisional_note(&answers, &RulesVersion::V2.score(&answers))
        };
        assert_eq!(note(json!({})), None);
        assert!(
            note(json!({"control": "lost"}))
                .unwrap()
                .contains("inconsistent")
        );
        assert!(
            note(json!({"q6_shame": "yes"}))
                .unwrap()
                .contains("pattern of use and control")
        );
        assert!(
            note(json!({"q6_shame": "yes", "pattern": "none"}))
                .unwrap()
                .starts_with("Control")
        );
    }
}
