//! Scoring rules, version 3 (PRODUCT §2.3c), the current version.
//!
//! First a table of named cases covering every clause of every rule, every contradiction
//! (a)–(d) and each boundary, each asserting the whole outcome (band, red flags, declined, the
//! four derived flags and the exact reasons in order), the product owner's public conformance cases for
//! version 3 among them. Then properties over arbitrary valid answers against an independent
//! reading of PRODUCT §2.3c: deterministic and total, explained (every contradiction that holds
//! is a reason, and no other), every observation named saying whether it counted, monotone
//! over screened results, not screened exactly when rule 1 holds, derived flags matching their
//! definitions, and version 2's bands kept.

use std::collections::{BTreeSet, HashSet};

use crate::helpers::arbitrary_answers::{
    arb_answers, expected_declined, expected_red_flags, regressions_beside_source, reply_mut,
};
use intake_screener::screening::Inconsistency::{
    CompulsiveYetRetained, LostWithoutSigns, LostYetSlightPattern, NoneYetSigns,
};
use intake_screener::screening::IntakeQuestion::{
    ConcernExpressed as Q1, Escape as Q3, OthersDisturbed as Q5, Secrets as Q4, SelfConcern as Q2,
    Shame as Q6,
};
use intake_screener::screening::{
    Answers, Band, Coded, Control, CopingCode, EscapeAnswer, Inconsistency, Indicator,
    IntakeQuestion, Outcome, Pattern, ReasonV3, ReasonV3 as R, Reply, RulesVersion,
};
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Every intake question answered `no`, question 3 a non-sexual way, no details; then the
/// patch's fields.
fn answers_with(patch: &Value) -> Answers {
    let mut document = json!({
        "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["exercise"],
        "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "no",
    });
    let fields = document.as_object_mut().expect("an object");
    for (field, value) in patch.as_object().expect("a patch is an object") {
        fields.insert(field.clone(), value.clone());
    }
    let text = document.to_string();
    Answers::from_json(&text).unwrap_or_else(|errors| panic!("{text} should parse: {errors}"))
}

/// `base` with `extra`'s fields added or replaced.
fn merged(base: &Value, extra: Value) -> Value {
    let mut patch = base.clone();
    for (field, value) in extra.as_object().expect("an object") {
        patch[field] = value.clone();
    }
    patch
}

fn score(answers: &Answers) -> Outcome {
    RulesVersion::V3.score(answers)
}

fn v3_reasons(outcome: &Outcome) -> Vec<ReasonV3> {
    outcome
        .reasons
        .v3()
        .expect("a version-3 outcome has version-3 reasons")
        .to_vec()
}

/// The derived flags of a case: further investigation, referral, provisional, incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags {
    further: bool,
    referral: bool,
    provisional: bool,
    incomplete: bool,
}

const fn flags(further: bool, referral: bool, provisional: bool, incomplete: bool) -> Flags {
    Flags {
        further,
        referral,
        provisional,
        incomplete,
    }
}

/// One named case: a patch on the baseline and the whole expected outcome.
struct Case {
    name: String,
    patch: Value,
    band: Band,
    red_flags: Vec<IntakeQuestion>,
    declined: Vec<IntakeQuestion>,
    flags: Flags,
    reasons: Vec<ReasonV3>,
}

fn case(
    name: impl Into<String>,
    patch: Value,
    band: Band,
    red_flags: Vec<IntakeQuestion>,
    declined: Vec<IntakeQuestion>,
    flags: Flags,
    reasons: Vec<ReasonV3>,
) -> Case {
    Case {
        name: name.into(),
        patch,
        band,
        red_flags,
        declined,
        flags,
        reasons,
    }
}

/// Checks every case and reports every mismatch at once.
fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    let mut names = HashSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.clone()),
            "duplicate case name {}",
            case.name
        );
        let outcome = score(&answers_with(&case.patch));
        let got = (
            outcome.band,
            outcome.red_flags.clone(),
            outcome.declined.clone(),
            flags(
                outcome.further_investigation,
                outcome.referral,
                outcome.provisional,
                outcome.incomplete,
            ),
            v3_reasons(&outcome),
            outcome.rules_version,
        );
        let want = (
            case.band,
            case.red_flags.clone(),
            case.declined.clone(),
            case.flags,
            case.reasons.clone(),
            RulesVersion::V3,
        );
        if got != want {
            failures.push(format!(
                "case `{}` (patch {}):\n    want {want:?}\n    got  {got:?}",
                case.name, case.patch
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

const ALL_SIX: [IntakeQuestion; 6] = [Q1, Q2, Q3, Q4, Q5, Q6];
const YES_NO: [IntakeQuestion; 5] = [Q1, Q2, Q4, Q5, Q6];
const PATTERNS: [Pattern; 4] = [
    Pattern::None,
    Pattern::Occasional,
    Pattern::IntensePeriods,
    Pattern::Compulsive,
];
/// The indicators other than secrecy: each one is a sign.
const SIGN_INDICATORS: [Indicator; 5] = [
    Indicator::EscapeUse,
    Indicator::Escalation,
    Indicator::DespiteConsequences,
    Indicator::FunctioningImpaired,
    Indicator::MinimizesOrBlames,
];

/// Every intake question declined, nothing recorded.
fn all_declined() -> Value {
    json!({
        "q1_concern_expressed": "declined", "q2_self_concern": "declined",
        "q3_escape": ["declined"], "q4_secrets": "declined", "q5_others_disturbed": "declined",
        "q6_shame": "declined",
    })
}

// ---------------------------------------------------------------------------------------------
// Rule 1: not screened = all six declined AND nothing recorded
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_1_not_screened_only_when_all_six_declined_and_nothing_recorded() {
    let declined = all_declined();
    let with = |extra: Value| merged(&declined, extra);
    let mut cases = vec![
        case(
            "all six declined, nothing recorded: not screened, incomplete, not provisional",
            declined.clone(),
            Band::NotScreened,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NotScreened],
        ),
        case(
            "all six declined, details given as empty/default values: still not screened",
            with(json!({
                "pattern": null, "escape_use": false, "secrecy": false, "escalation": false,
                "despite_consequences": false, "functioning_impaired": false,
                "minimizes_or_blames": false,
            })),
            Band::NotScreened,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NotScreened],
        ),
        case(
            "all six declined, control explicitly not_assessed: still not screened",
            with(json!({"control": "not_assessed"})),
            Band::NotScreened,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NotScreened],
        ),
        // "recorded" breaks rule 1: the pattern assessed (each value, "none" included) ...
        case(
            "all six declined, pattern none recorded: casual",
            with(json!({"pattern": "none"})),
            Band::Casual,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NoSign(0), R::SlightPattern(Pattern::None)],
        ),
        case(
            "all six declined, pattern occasional recorded: casual",
            with(json!({"pattern": "occasional"})),
            Band::Casual,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NoSign(0), R::SlightPattern(Pattern::Occasional)],
        ),
        case(
            "all six declined, intense periods recorded: at-risk, control not assessed",
            with(json!({"pattern": "intense_periods"})),
            Band::AtRisk,
            vec![],
            ALL_SIX.to_vec(),
            flags(true, false, true, true),
            vec![R::Pattern(Pattern::IntensePeriods)],
        ),
        case(
            "all six declined, compulsive recorded: at-risk, control not assessed",
            with(json!({"pattern": "compulsive"})),
            Band::AtRisk,
            vec![],
            ALL_SIX.to_vec(),
            flags(true, false, true, true),
            vec![R::Pattern(Pattern::Compulsive)],
        ),
        // ... control retained or lost ...
        case(
            "all six declined, control retained: casual",
            with(json!({"control": "retained"})),
            Band::Casual,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NoSign(0), R::ControlRetained],
        ),
        case(
            "all six declined, control lost: at-risk and inconsistent (d)",
            with(json!({"control": "lost"})),
            Band::AtRisk,
            vec![],
            ALL_SIX.to_vec(),
            flags(true, false, true, true),
            vec![R::Inconsistent(LostWithoutSigns), R::ControlLostAlone],
        ),
        // ... or secrecy, which counts for nothing by itself but is recorded.
        case(
            "all six declined, secrecy observed: casual",
            with(json!({"secrecy": true})),
            Band::Casual,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NoSign(0), R::SecrecyNotCounted],
        ),
    ];
    // ... or any other single indicator.
    for indicator in SIGN_INDICATORS {
        cases.push(case(
            format!("all six declined, {} observed: at-risk", indicator.code()),
            with(json!({indicator.code(): true})),
            Band::AtRisk,
            vec![],
            ALL_SIX.to_vec(),
            flags(true, false, true, true),
            vec![R::Observed(indicator)],
        ));
    }
    run(cases);
}

#[test]
fn rule_1_five_declined_and_one_answered_is_screened() {
    let mut cases = Vec::new();
    for answered in ALL_SIX {
        let field = answered.field();
        let no: Value = if answered == Q3 {
            json!(["exercise"])
        } else {
            json!("no")
        };
        let yes: Value = if answered == Q3 {
            json!(["pornography"])
        } else {
            json!("yes")
        };
        let declined: Vec<IntakeQuestion> =
            ALL_SIX.into_iter().filter(|&q| q != answered).collect();
        cases.push(case(
            format!("five declined, {field} answered no: casual"),
            merged(&all_declined(), json!({field: no})),
            Band::Casual,
            vec![],
            declined.clone(),
            flags(false, false, false, true),
            vec![R::NoSign(0)],
        ));
        cases.push(case(
            format!("five declined, {field} answered yes: casual, a red flag, provisional"),
            merged(&all_declined(), json!({field: yes})),
            Band::Casual,
            vec![answered],
            declined,
            flags(true, false, true, true),
            vec![R::NoSign(1)],
        ));
    }
    run(cases);
}

// ---------------------------------------------------------------------------------------------
// Rule 2: addicted = control lost AND (signs OR secrecy)
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_2_addicted_by_each_sign_and_by_secrecy_with_control_lost() {
    let mut cases = vec![
        case(
            "lost + compulsive: consistent, not provisional",
            json!({"control": "lost", "pattern": "compulsive"}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![R::ControlLost, R::Pattern(Pattern::Compulsive)],
        ),
        case(
            "lost + intense periods: consistent, not provisional",
            json!({"control": "lost", "pattern": "intense_periods"}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![R::ControlLost, R::Pattern(Pattern::IntensePeriods)],
        ),
        case(
            "lost + secrecy alone, pattern not assessed: provisional",
            json!({"control": "lost", "secrecy": true}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, true, false),
            vec![R::ControlLost, R::Observed(Indicator::Secrecy)],
        ),
        case(
            "lost + secrecy + intense periods: secrecy counted towards addicted",
            json!({"control": "lost", "secrecy": true, "pattern": "intense_periods"}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![
                R::ControlLost,
                R::Pattern(Pattern::IntensePeriods),
                R::Observed(Indicator::Secrecy),
            ],
        ),
    ];
    // Each indicator that is a sign, alone with control lost, pattern not assessed.
    for indicator in SIGN_INDICATORS {
        cases.push(case(
            format!("lost + {} alone, pattern not assessed", indicator.code()),
            json!({"control": "lost", indicator.code(): true}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, true, false),
            vec![R::ControlLost, R::Observed(indicator)],
        ));
        cases.push(case(
            format!("lost + {} with intense periods", indicator.code()),
            json!({"control": "lost", "pattern": "intense_periods", indicator.code(): true}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![
                R::ControlLost,
                R::Pattern(Pattern::IntensePeriods),
                R::Observed(indicator),
            ],
        ));
    }
    run(cases);
}

#[test]
fn rule_2_reasons_order_and_red_flags_are_no_clause() {
    run(vec![
        case(
            "lost + every sign: control, then the pattern, then the indicators in order",
            json!({
                "control": "lost", "pattern": "compulsive", "escape_use": true, "secrecy": true,
                "escalation": true, "despite_consequences": true, "functioning_impaired": true,
                "minimizes_or_blames": true,
            }),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![
                R::ControlLost,
                R::Pattern(Pattern::Compulsive),
                R::Observed(Indicator::EscapeUse),
                R::Observed(Indicator::Secrecy),
                R::Observed(Indicator::Escalation),
                R::Observed(Indicator::DespiteConsequences),
                R::Observed(Indicator::FunctioningImpaired),
                R::Observed(Indicator::MinimizesOrBlames),
            ],
        ),
        case(
            "lost + compulsive with three red flags: the red flags are no clause of rule 2",
            json!({
                "control": "lost", "pattern": "compulsive",
                "q1_concern_expressed": "yes", "q2_self_concern": "yes", "q4_secrets": "yes",
            }),
            Band::Addicted,
            vec![Q1, Q2, Q4],
            vec![],
            flags(true, true, false, false),
            vec![R::ControlLost, R::Pattern(Pattern::Compulsive)],
        ),
        case(
            "lost + compulsive, two declined: incomplete",
            json!({
                "control": "lost", "pattern": "compulsive",
                "q1_concern_expressed": "declined", "q3_escape": ["declined"],
            }),
            Band::Addicted,
            vec![],
            vec![Q1, Q3],
            flags(true, true, false, true),
            vec![R::ControlLost, R::Pattern(Pattern::Compulsive)],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Rule 3: at-risk = signs OR control lost OR red flags >= 3
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_3_at_risk_by_each_sign_alone() {
    let mut cases = vec![
        case(
            "intense periods, control retained: consistent",
            json!({"pattern": "intense_periods", "control": "retained"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, false, false),
            vec![R::Pattern(Pattern::IntensePeriods), R::ControlRetained],
        ),
        case(
            "compulsive, control not assessed: provisional, no contradiction",
            json!({"pattern": "compulsive"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::Pattern(Pattern::Compulsive)],
        ),
        case(
            "intense periods, control not assessed: provisional",
            json!({"pattern": "intense_periods"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::Pattern(Pattern::IntensePeriods)],
        ),
    ];
    for indicator in SIGN_INDICATORS {
        cases.push(case(
            format!("{} alone, occasional, control retained", indicator.code()),
            json!({"pattern": "occasional", "control": "retained", indicator.code(): true}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, false, false),
            vec![
                R::Observed(indicator),
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ));
        cases.push(case(
            format!(
                "{} alone, details not assessed: provisional",
                indicator.code()
            ),
            json!({indicator.code(): true}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::Observed(indicator)],
        ));
    }
    run(cases);
}

#[test]
fn rule_3_at_risk_by_control_lost_alone() {
    run(vec![
        case(
            "lost alone, pattern not assessed: inconsistent (d)",
            json!({"control": "lost"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::Inconsistent(LostWithoutSigns), R::ControlLostAlone],
        ),
        case(
            "lost alone with three red flags and no sign",
            json!({
                "control": "lost",
                "q1_concern_expressed": "yes", "q5_others_disturbed": "yes", "q6_shame": "yes",
            }),
            Band::AtRisk,
            vec![Q1, Q5, Q6],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Inconsistent(LostWithoutSigns),
                R::ControlLostAlone,
                R::RedFlags(3),
            ],
        ),
    ]);
}

#[test]
fn rule_3_red_flag_threshold_is_three() {
    let two = json!({"q2_self_concern": "yes", "q6_shame": "yes"});
    let three = json!({
        "q1_concern_expressed": "yes", "q2_self_concern": "yes",
        "q3_escape": ["pornography", "exercise"],
    });
    let assessed = json!({"pattern": "occasional", "control": "retained"});
    run(vec![
        case(
            "exactly three red flags, details assessed",
            merged(&three, assessed.clone()),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, false, false),
            vec![
                R::RedFlags(3),
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ),
        case(
            "exactly three red flags, details not assessed: provisional",
            three.clone(),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, true, false),
            vec![R::RedFlags(3)],
        ),
        case(
            "exactly three red flags, pattern assessed, control not: provisional",
            merged(&three, json!({"pattern": "occasional"})),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, true, false),
            vec![R::RedFlags(3), R::SlightPattern(Pattern::Occasional)],
        ),
        case(
            "exactly three red flags, control assessed, pattern not: provisional",
            merged(&three, json!({"control": "retained"})),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, true, false),
            vec![R::RedFlags(3), R::ControlRetained],
        ),
        case(
            "two red flags, details assessed: casual",
            merged(&two, assessed.clone()),
            Band::Casual,
            vec![Q2, Q6],
            vec![],
            flags(true, false, false, false),
            vec![
                R::NoSign(2),
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ),
        case(
            "six red flags, details assessed",
            json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "yes",
                "q3_escape": ["masturbation"], "q4_secrets": "yes",
                "q5_others_disturbed": "yes", "q6_shame": "yes",
                "pattern": "occasional", "control": "retained",
            }),
            Band::AtRisk,
            vec![Q1, Q2, Q3, Q4, Q5, Q6],
            vec![],
            flags(true, false, false, false),
            vec![
                R::RedFlags(6),
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ),
        case(
            "signs, secrecy and three red flags: secrecy named as not counted",
            merged(
                &three,
                json!({
                    "pattern": "intense_periods", "control": "retained",
                    "escape_use": true, "secrecy": true,
                }),
            ),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, false, false),
            vec![
                R::Pattern(Pattern::IntensePeriods),
                R::Observed(Indicator::EscapeUse),
                R::RedFlags(3),
                R::SecrecyNotCounted,
                R::ControlRetained,
            ],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Rule 4: casual
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_4_casual_otherwise() {
    run(vec![
        case(
            "nothing at all",
            json!({}),
            Band::Casual,
            vec![],
            vec![],
            flags(false, false, false, false),
            vec![R::NoSign(0)],
        ),
        case(
            "one red flag from a sexual coping code, details not assessed: provisional",
            json!({"q3_escape": ["dating_or_hookup_apps"]}),
            Band::Casual,
            vec![Q3],
            vec![],
            flags(true, false, true, false),
            vec![R::NoSign(1)],
        ),
        case(
            "one red flag, pattern assessed, control not: provisional",
            json!({"q1_concern_expressed": "yes", "pattern": "occasional"}),
            Band::Casual,
            vec![Q1],
            vec![],
            flags(true, false, true, false),
            vec![R::NoSign(1), R::SlightPattern(Pattern::Occasional)],
        ),
        case(
            "one red flag, control assessed, pattern not: provisional",
            json!({"q1_concern_expressed": "yes", "control": "retained"}),
            Band::Casual,
            vec![Q1],
            vec![],
            flags(true, false, true, false),
            vec![R::NoSign(1), R::ControlRetained],
        ),
        case(
            "one red flag, details assessed",
            json!({"q1_concern_expressed": "yes", "pattern": "none", "control": "retained"}),
            Band::Casual,
            vec![Q1],
            vec![],
            flags(true, false, false, false),
            vec![
                R::NoSign(1),
                R::SlightPattern(Pattern::None),
                R::ControlRetained,
            ],
        ),
        case(
            "secrecy alone, occasional, retained: named and not counted",
            json!({"pattern": "occasional", "control": "retained", "secrecy": true}),
            Band::Casual,
            vec![],
            vec![],
            flags(false, false, false, false),
            vec![
                R::NoSign(0),
                R::SecrecyNotCounted,
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ),
        case(
            "secrecy with two red flags, details assessed",
            json!({
                "q1_concern_expressed": "yes", "q4_secrets": "yes", "secrecy": true,
                "pattern": "occasional", "control": "retained",
            }),
            Band::Casual,
            vec![Q1, Q4],
            vec![],
            flags(true, false, false, false),
            vec![
                R::NoSign(2),
                R::SecrecyNotCounted,
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ),
        case(
            "pattern none, control retained, nothing observed: consistent",
            json!({"pattern": "none", "control": "retained"}),
            Band::Casual,
            vec![],
            vec![],
            flags(false, false, false, false),
            vec![
                R::NoSign(0),
                R::SlightPattern(Pattern::None),
                R::ControlRetained,
            ],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Contradictions (a)–(d): each makes the result provisional and is a reason
// ---------------------------------------------------------------------------------------------

#[test]
fn inconsistency_a_pattern_none_yet_signs() {
    let mut cases = Vec::new();
    for indicator in SIGN_INDICATORS {
        cases.push(case(
            format!("(a) pattern none + {}, control retained", indicator.code()),
            json!({"pattern": "none", "control": "retained", indicator.code(): true}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Inconsistent(NoneYetSigns),
                R::Observed(indicator),
                R::SlightPattern(Pattern::None),
                R::ControlRetained,
            ],
        ));
    }
    cases.extend([
        case(
            "(a) pattern none + secrecy, control retained: casual yet provisional",
            json!({"pattern": "none", "control": "retained", "secrecy": true}),
            Band::Casual,
            vec![],
            vec![],
            flags(false, false, true, false),
            vec![
                R::Inconsistent(NoneYetSigns),
                R::NoSign(0),
                R::SecrecyNotCounted,
                R::SlightPattern(Pattern::None),
                R::ControlRetained,
            ],
        ),
        case(
            "(a)(c)(d) pattern none + control lost, nothing else",
            json!({"pattern": "none", "control": "lost"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Inconsistent(NoneYetSigns),
                R::Inconsistent(LostYetSlightPattern),
                R::Inconsistent(LostWithoutSigns),
                R::ControlLostAlone,
                R::SlightPattern(Pattern::None),
            ],
        ),
        case(
            "(a)(c) pattern none + control lost + functioning impaired (the review's case)",
            json!({"pattern": "none", "control": "lost", "functioning_impaired": true}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, true, false),
            vec![
                R::Inconsistent(NoneYetSigns),
                R::Inconsistent(LostYetSlightPattern),
                R::ControlLost,
                R::Observed(Indicator::FunctioningImpaired),
                R::SlightPattern(Pattern::None),
            ],
        ),
    ]);
    run(cases);
}

#[test]
fn inconsistency_b_compulsive_yet_retained() {
    run(vec![
        case(
            "(b) compulsive + control retained",
            json!({"pattern": "compulsive", "control": "retained"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Inconsistent(CompulsiveYetRetained),
                R::Pattern(Pattern::Compulsive),
                R::ControlRetained,
            ],
        ),
        case(
            "no (b): intense periods + control retained",
            json!({"pattern": "intense_periods", "control": "retained"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, false, false),
            vec![R::Pattern(Pattern::IntensePeriods), R::ControlRetained],
        ),
    ]);
}

#[test]
fn inconsistency_c_lost_yet_slight_pattern() {
    run(vec![
        case(
            "(c) occasional + control lost + secrecy (the review's case)",
            json!({"pattern": "occasional", "control": "lost", "secrecy": true}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, true, false),
            vec![
                R::Inconsistent(LostYetSlightPattern),
                R::ControlLost,
                R::Observed(Indicator::Secrecy),
                R::SlightPattern(Pattern::Occasional),
            ],
        ),
        case(
            "(c) occasional + control lost + escalation",
            json!({"pattern": "occasional", "control": "lost", "escalation": true}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, true, false),
            vec![
                R::Inconsistent(LostYetSlightPattern),
                R::ControlLost,
                R::Observed(Indicator::Escalation),
                R::SlightPattern(Pattern::Occasional),
            ],
        ),
        case(
            "(c)(d) occasional + control lost alone",
            json!({"pattern": "occasional", "control": "lost"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Inconsistent(LostYetSlightPattern),
                R::Inconsistent(LostWithoutSigns),
                R::ControlLostAlone,
                R::SlightPattern(Pattern::Occasional),
            ],
        ),
    ]);
}

#[test]
fn inconsistency_d_lost_without_signs_or_secrecy() {
    run(vec![
        case(
            "(d) control lost, nothing else recorded",
            json!({"control": "lost"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::Inconsistent(LostWithoutSigns), R::ControlLostAlone],
        ),
        case(
            "(d) control lost with two red flags",
            json!({"control": "lost", "q2_self_concern": "yes", "q6_shame": "yes"}),
            Band::AtRisk,
            vec![Q2, Q6],
            vec![],
            flags(true, false, true, false),
            vec![R::Inconsistent(LostWithoutSigns), R::ControlLostAlone],
        ),
        case(
            "no (d): control lost with secrecy",
            json!({"control": "lost", "secrecy": true, "pattern": "intense_periods"}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![
                R::ControlLost,
                R::Pattern(Pattern::IntensePeriods),
                R::Observed(Indicator::Secrecy),
            ],
        ),
    ]);
}

#[test]
fn all_four_contradictions_cannot_hold_at_once_but_three_can() {
    // (b) needs control retained, (c) and (d) need it lost: at most (a), (c), (d) together.
    let outcome = score(&answers_with(
        &json!({"pattern": "none", "control": "lost"}),
    ));
    let contradictions: Vec<ReasonV3> = v3_reasons(&outcome)
        .into_iter()
        .filter(|reason| matches!(reason, R::Inconsistent(_)))
        .collect();
    assert_eq!(
        contradictions,
        vec![
            R::Inconsistent(NoneYetSigns),
            R::Inconsistent(LostYetSlightPattern),
            R::Inconsistent(LostWithoutSigns),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Derived flags
// ---------------------------------------------------------------------------------------------

#[test]
fn derived_flags_boundaries() {
    run(vec![
        case(
            "one question declined: complete",
            json!({"q5_others_disturbed": "declined"}),
            Band::Casual,
            vec![],
            vec![Q5],
            flags(false, false, false, false),
            vec![R::NoSign(0)],
        ),
        case(
            "two questions declined: incomplete",
            json!({"q5_others_disturbed": "declined", "q6_shame": "declined"}),
            Band::Casual,
            vec![],
            vec![Q5, Q6],
            flags(false, false, false, true),
            vec![R::NoSign(0)],
        ),
        case(
            "question 3 declined counts as declined",
            json!({"q3_escape": ["declined"], "q6_shame": "declined"}),
            Band::Casual,
            vec![],
            vec![Q3, Q6],
            flags(false, false, false, true),
            vec![R::NoSign(0)],
        ),
        case(
            "further investigation from an at-risk band without any red flag",
            json!({"pattern": "intense_periods", "control": "retained"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, false, false),
            vec![R::Pattern(Pattern::IntensePeriods), R::ControlRetained],
        ),
        case(
            "further investigation from a red flag in a casual band",
            json!({"q4_secrets": "yes", "pattern": "occasional", "control": "retained"}),
            Band::Casual,
            vec![Q4],
            vec![],
            flags(true, false, false, false),
            vec![
                R::NoSign(1),
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ),
        case(
            "no concern and details not assessed: not provisional",
            json!({"q2_self_concern": "declined"}),
            Band::Casual,
            vec![],
            vec![Q2],
            flags(false, false, false, false),
            vec![R::NoSign(0)],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// The public conformance cases with "rules": "3" (the product owner's score-cases.jsonl, run in full by .ci/run),
// their expectations completed with the reasons.
// ---------------------------------------------------------------------------------------------

#[test]
fn public_conformance_cases() {
    let declined = all_declined();
    run(vec![
        case(
            "conformance: all six declined, nothing recorded (rules 3)",
            declined.clone(),
            Band::NotScreened,
            vec![],
            ALL_SIX.to_vec(),
            flags(false, false, false, true),
            vec![R::NotScreened],
        ),
        case(
            "conformance: all six declined, clinician observed compulsive use and lost control \
             (rules 3)",
            merged(
                &declined,
                json!({"pattern": "compulsive", "control": "lost"}),
            ),
            Band::Addicted,
            vec![],
            ALL_SIX.to_vec(),
            flags(true, true, false, true),
            vec![R::ControlLost, R::Pattern(Pattern::Compulsive)],
        ),
        case(
            "conformance: compulsive pattern with control retained is inconsistent (rules 3)",
            json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "no",
                "q3_escape": ["pornography"], "q4_secrets": "no", "q5_others_disturbed": "no",
                "q6_shame": "no", "pattern": "compulsive", "control": "retained",
                "despite_consequences": true,
            }),
            Band::AtRisk,
            vec![Q1, Q3],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Inconsistent(CompulsiveYetRetained),
                R::Pattern(Pattern::Compulsive),
                R::Observed(Indicator::DespiteConsequences),
                R::ControlRetained,
            ],
        ),
        case(
            "conformance: occasional use, control lost, secrecy (rules 3)",
            json!({
                "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["eating"],
                "q4_secrets": "yes", "q5_others_disturbed": "no", "q6_shame": "no",
                "pattern": "occasional", "control": "lost", "secrecy": true,
            }),
            Band::Addicted,
            vec![Q4],
            vec![],
            flags(true, true, true, false),
            vec![
                R::Inconsistent(LostYetSlightPattern),
                R::ControlLost,
                R::Observed(Indicator::Secrecy),
                R::SlightPattern(Pattern::Occasional),
            ],
        ),
        case(
            "conformance: pattern none yet escape use observed (rules 3)",
            json!({
                "q1_concern_expressed": "no", "q2_self_concern": "no",
                "q3_escape": ["masturbation"], "q4_secrets": "no", "q5_others_disturbed": "no",
                "q6_shame": "no", "pattern": "none", "control": "retained", "escape_use": true,
            }),
            Band::AtRisk,
            vec![Q3],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Inconsistent(NoneYetSigns),
                R::Observed(Indicator::EscapeUse),
                R::SlightPattern(Pattern::None),
                R::ControlRetained,
            ],
        ),
        case(
            "conformance: two red flags, details assessed, occasional and retained (rules 3)",
            json!({
                "q1_concern_expressed": "no", "q2_self_concern": "yes", "q3_escape": ["eating"],
                "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "yes",
                "pattern": "occasional", "control": "retained",
            }),
            Band::Casual,
            vec![Q2, Q6],
            vec![],
            flags(true, false, false, false),
            vec![
                R::NoSign(2),
                R::SlightPattern(Pattern::Occasional),
                R::ControlRetained,
            ],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Version, document and words
// ---------------------------------------------------------------------------------------------

#[test]
fn version_3_is_current_and_named_3() {
    assert_eq!(RulesVersion::CURRENT, RulesVersion::V3);
    assert_eq!(RulesVersion::parse("3"), Some(RulesVersion::V3));
    let outcome = RulesVersion::CURRENT.score(&answers_with(&all_declined()));
    assert_eq!(outcome.rules_version, RulesVersion::V3);
    let document = outcome.to_document();
    assert_eq!(document["rules_version"], "3");
    assert_eq!(document["band"], "not_screened");
    assert_eq!(document["incomplete"], true);
    assert_eq!(document["provisional"], false);
}

/// Every reason version 3 can give.
fn every_reason() -> Vec<ReasonV3> {
    let mut all = vec![
        R::NotScreened,
        R::ControlLost,
        R::ControlLostAlone,
        R::SecrecyNotCounted,
        R::ControlRetained,
        R::RedFlags(3),
        R::RedFlags(6),
        R::NoSign(0),
        R::NoSign(1),
        R::NoSign(2),
    ];
    all.extend(Inconsistency::ALL.map(R::Inconsistent));
    all.extend([Pattern::IntensePeriods, Pattern::Compulsive].map(R::Pattern));
    all.extend([Pattern::None, Pattern::Occasional].map(R::SlightPattern));
    all.extend(
        Indicator::ALL
            .iter()
            .map(|&indicator| R::Observed(indicator)),
    );
    all
}

#[test]
fn reason_texts_in_plain_words_without_the_band_word_in_front() {
    for reason in every_reason() {
        let text = reason.text();
        assert_sentence(&text).unwrap_or_else(|error| panic!("{error}"));
        for band in Band::ALL {
            assert!(
                !text.starts_with(band.label()),
                "the band word is shown once, not on each reason: {text}"
            );
        }
        assert_eq!(reason.to_string(), text);
    }
    for inconsistency in Inconsistency::ALL {
        let text = R::Inconsistent(inconsistency).text();
        // The contradiction's own words (their first letter may change case).
        let words = inconsistency.text();
        let after_first = &words[words.chars().next().map_or(0, char::len_utf8)..];
        assert!(text.contains(after_first), "{text}");
        assert!(text.contains("provisional"), "{text}");
    }
    assert!(R::NotScreened.text().contains("never counted as casual"));
    assert!(R::SecrecyNotCounted.text().contains("Not counted"));
    assert!(R::SecrecyNotCounted.text().contains("compartmentalize"));
    assert!(R::RedFlags(3).text().contains("this app's heuristic"));
    assert!(R::RedFlags(4).text().starts_with("4 of the six"));
    for indicator in SIGN_INDICATORS {
        assert!(R::Observed(indicator).text().contains("Counted"));
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// One detail a clinician may record, or none.
#[derive(Debug, Clone, Copy)]
enum Detail {
    Nothing,
    Pattern(Pattern),
    Control(Control),
    Indicator(Indicator),
}

fn arb_detail() -> impl Strategy<Value = Detail> {
    let mut details = vec![Detail::Nothing];
    details.extend(PATTERNS.map(Detail::Pattern));
    details.extend([Control::Retained, Control::Lost].map(Detail::Control));
    details.extend(
        Indicator::ALL
            .iter()
            .map(|&indicator| Detail::Indicator(indicator)),
    );
    prop::sample::select(details)
}

/// Every intake question declined except (perhaps) the one at `keep`.
fn decline_all_but(answers: &mut Answers, keep: Option<usize>) {
    for (index, question) in ALL_SIX.into_iter().enumerate() {
        if Some(index) == keep {
            continue;
        }
        match reply_mut(answers, question) {
            Some(reply) => *reply = Reply::Declined,
            None => answers.escape = EscapeAnswer::Declined,
        }
    }
}

/// Any valid answers, with answers near rule 1 (all or all but one question declined, with
/// arbitrary details or at most one) far more often than `arb_answers` alone gives them.
fn arb_v3_answers() -> impl Strategy<Value = Answers> {
    prop_oneof![
        4 => arb_answers(),
        1 => (arb_answers(), prop::option::of(0..6usize)).prop_map(|(mut answers, keep)| {
            decline_all_but(&mut answers, keep);
            answers
        }),
        2 => (arb_answers(), prop::option::weighted(0.3, 0..6usize), arb_detail()).prop_map(
            |(mut answers, keep, detail)| {
                decline_all_but(&mut answers, keep);
                answers.pattern = None;
                answers.control = Control::NotAssessed;
                answers.observed.clear();
                match detail {
                    Detail::Nothing => {}
                    Detail::Pattern(pattern) => answers.pattern = Some(pattern),
                    Detail::Control(control) => answers.control = control,
                    Detail::Indicator(indicator) => {
                        answers.observed.insert(indicator);
                    }
                }
                answers
            }
        ),
    ]
}

/// PRODUCT §2.3b `signs`, written independently of the crate.
fn signs(answers: &Answers) -> bool {
    matches!(
        answers.pattern,
        Some(Pattern::IntensePeriods | Pattern::Compulsive)
    ) || answers
        .observed
        .iter()
        .any(|indicator| indicator.code() != "secrecy")
}

fn secrecy(answers: &Answers) -> bool {
    answers.observed.iter().any(|i| i.code() == "secrecy")
}

fn lost(answers: &Answers) -> bool {
    answers.control.code() == "lost"
}

/// PRODUCT §2.3c `recorded`: the pattern assessed, control not `not_assessed`, or any indicator.
fn recorded(answers: &Answers) -> bool {
    answers.pattern.is_some()
        || answers.control.code() != "not_assessed"
        || !answers.observed.is_empty()
}

/// PRODUCT §2.3c rule 1.
fn rule_1_holds(answers: &Answers) -> bool {
    expected_declined(answers).len() == 6 && !recorded(answers)
}

/// PRODUCT §2.3c (a)–(d), each read independently: which contradictions hold.
fn expected_inconsistencies(answers: &Answers) -> Vec<Inconsistency> {
    let pattern = answers.pattern.map(|pattern| pattern.code());
    let mut found = Vec::new();
    if pattern == Some("none") && (!answers.observed.is_empty() || lost(answers)) {
        found.push(NoneYetSigns);
    }
    if pattern == Some("compulsive") && answers.control.code() == "retained" {
        found.push(CompulsiveYetRetained);
    }
    if lost(answers) && matches!(pattern, Some("none" | "occasional")) {
        found.push(LostYetSlightPattern);
    }
    if lost(answers) && !signs(answers) && !secrecy(answers) {
        found.push(LostWithoutSigns);
    }
    found
}

/// PRODUCT §2.3c rules 1–4, written independently of the crate.
fn expected_band(answers: &Answers) -> Band {
    if rule_1_holds(answers) {
        Band::NotScreened
    } else if lost(answers) && (signs(answers) || secrecy(answers)) {
        Band::Addicted
    } else if signs(answers) || lost(answers) || expected_red_flags(answers).len() >= 3 {
        Band::AtRisk
    } else {
        Band::Casual
    }
}

/// The reasons version 3 gives, read from PRODUCT §2.3c and §2.4c ("every inconsistency is a
/// reason"; "every observation appears in Why, secrecy included, saying whether it counted")
/// and the meaning of each [`ReasonV3`]: the contradictions first in the product contract's order, then
/// the deciding clauses, then the observations that did not count.
fn expected_reasons(answers: &Answers) -> Vec<ReasonV3> {
    let mut reasons: Vec<ReasonV3> = expected_inconsistencies(answers)
        .into_iter()
        .map(R::Inconsistent)
        .collect();
    let red_flags = expected_red_flags(answers).len();
    let sign_pattern = answers
        .pattern
        .filter(|pattern| matches!(pattern.code(), "intense_periods" | "compulsive"));
    let slight_pattern = answers
        .pattern
        .filter(|pattern| matches!(pattern.code(), "none" | "occasional"));
    let in_order = |indicators: &mut dyn Iterator<Item = Indicator>| -> Vec<ReasonV3> {
        let mut indicators: Vec<Indicator> = indicators.collect();
        indicators
            .sort_by_key(|indicator| Indicator::ALL.iter().position(|known| known == indicator));
        indicators.into_iter().map(R::Observed).collect()
    };
    let not_counted = |reasons: &mut Vec<ReasonV3>| {
        reasons.extend(slight_pattern.map(R::SlightPattern));
        if answers.control.code() == "retained" {
            reasons.push(R::ControlRetained);
        }
    };
    match expected_band(answers) {
        Band::NotScreened => reasons.push(R::NotScreened),
        Band::Addicted => {
            reasons.push(R::ControlLost);
            reasons.extend(sign_pattern.map(R::Pattern));
            reasons.extend(in_order(&mut answers.observed.iter().copied()));
            not_counted(&mut reasons);
        }
        Band::AtRisk => {
            reasons.extend(sign_pattern.map(R::Pattern));
            reasons.extend(in_order(
                &mut answers
                    .observed
                    .iter()
                    .copied()
                    .filter(|i| i.code() != "secrecy"),
            ));
            if lost(answers) {
                reasons.push(R::ControlLostAlone);
            }
            if red_flags >= 3 {
                reasons.push(R::RedFlags(red_flags));
            }
            if secrecy(answers) {
                reasons.push(R::SecrecyNotCounted);
            }
            not_counted(&mut reasons);
        }
        Band::Casual => {
            reasons.push(R::NoSign(red_flags));
            if secrecy(answers) {
                reasons.push(R::SecrecyNotCounted);
            }
            not_counted(&mut reasons);
        }
    }
    reasons
}

fn band(answers: &Answers) -> Band {
    score(answers).band
}

/// PRODUCT §2.3 monotone, over pairs neither of which is not screened (PRODUCT §2.3c).
fn assert_not_lower(before: &Answers, after: &Answers, change: &str) -> Result<(), TestCaseError> {
    // casual < at_risk < addicted; not screened is no level and outside the order.
    let level = |band: Band| match band {
        Band::Casual => Some(0),
        Band::AtRisk => Some(1),
        Band::Addicted => Some(2),
        Band::NotScreened => None,
    };
    let (was, now) = (band(before), band(after));
    if let (Some(from), Some(to)) = (level(was), level(now)) {
        prop_assert!(
            to >= from,
            "{change}: {was:?} -> {now:?}\n  before {before:?}\n  after  {after:?}"
        );
    }
    Ok(())
}

fn assert_sentence(text: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        text.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()),
        "a reason starts with a capital: {text:?}"
    );
    prop_assert!(
        text.ends_with('.'),
        "a reason ends with a full stop: {text:?}"
    );
    prop_assert!(text.split_whitespace().count() >= 4, "too short: {text:?}");
    prop_assert!(
        !text.contains('_'),
        "a code leaked into the words: {text:?}"
    );
    prop_assert!(!text.contains(['{', '}']), "unformatted text: {text:?}");
    Ok(())
}

/// Guards against a vacuous strategy: it reaches every outcome, both values of every flag,
/// and every contradiction.
#[test]
fn the_answers_strategy_reaches_every_band_flag_and_contradiction() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = arb_v3_answers();
    let mut bands = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut contradictions = BTreeSet::new();
    for _ in 0..1024 {
        let answers = strategy.new_tree(&mut runner).expect("a tree").current();
        let outcome = score(&answers);
        bands.insert(outcome.band);
        seen.insert(("further", outcome.further_investigation));
        seen.insert(("referral", outcome.referral));
        seen.insert(("provisional", outcome.provisional));
        seen.insert(("incomplete", outcome.incomplete));
        contradictions.extend(expected_inconsistencies(&answers));
    }
    assert_eq!(bands.len(), 4, "outcomes reached: {bands:?}");
    assert_eq!(seen.len(), 8, "flags reached: {seen:?}");
    assert_eq!(
        contradictions.len(),
        4,
        "contradictions reached: {contradictions:?}"
    );
}

proptest! {
    #![proptest_config(regressions_beside_source(ProptestConfig::with_cases(512)))]

    // Deterministic and total.

    #[test]
    fn deterministic_total_and_matches_the_rules(answers in arb_v3_answers()) {
        let first = score(&answers);
        prop_assert_eq!(&first, &score(&answers));
        prop_assert_eq!(&first, &RulesVersion::CURRENT.score(&answers));
        prop_assert_eq!(first.rules_version, RulesVersion::V3);
        prop_assert_eq!(first.band, expected_band(&answers));
        prop_assert_eq!(&first.red_flags, &expected_red_flags(&answers));
        prop_assert_eq!(&first.declined, &expected_declined(&answers));
        let document = first.to_document();
        prop_assert_eq!(&document["rules_version"], &json!("3"));
        prop_assert_eq!(&document["band"], &json!(first.band.code()));
        let texts: Vec<Value> = first.reasons.texts().into_iter().map(Value::from).collect();
        prop_assert_eq!(&document["reasons"], &Value::Array(texts));
    }

    // Not screened exactly when rule 1 holds.

    #[test]
    fn not_screened_exactly_when_rule_1_holds(answers in arb_v3_answers()) {
        let outcome = score(&answers);
        prop_assert_eq!(outcome.band == Band::NotScreened, rule_1_holds(&answers));
        if outcome.band == Band::NotScreened {
            prop_assert!(outcome.incomplete, "a not-screened result is incomplete");
            prop_assert!(!outcome.provisional, "a not-screened result is not provisional");
            prop_assert!(!outcome.further_investigation && !outcome.referral);
            prop_assert_eq!(v3_reasons(&outcome), vec![R::NotScreened]);
        }
    }

    // Explained: every contradiction that holds is a reason, and none that does not.

    #[test]
    fn every_contradiction_that_holds_is_a_reason_and_no_other(answers in arb_v3_answers()) {
        let outcome = score(&answers);
        let reasons = v3_reasons(&outcome);
        prop_assert!(!reasons.is_empty(), "a result without reasons");
        let expected = expected_inconsistencies(&answers);
        for inconsistency in Inconsistency::ALL {
            prop_assert_eq!(
                reasons.contains(&R::Inconsistent(inconsistency)),
                expected.contains(&inconsistency),
                "{:?} in the reasons {:?}", inconsistency, reasons
            );
        }
        // They lead, in the product contract's order.
        let leading: Vec<ReasonV3> = reasons.iter().copied().take(expected.len()).collect();
        let want: Vec<ReasonV3> = expected.iter().copied().map(R::Inconsistent).collect();
        prop_assert_eq!(leading, want);
        if !expected.is_empty() {
            prop_assert!(outcome.provisional, "a contradiction makes the result provisional");
        }
    }

    #[test]
    fn every_result_is_explained_exactly(answers in arb_v3_answers()) {
        let outcome = score(&answers);
        let reasons = v3_reasons(&outcome);
        prop_assert!(!reasons.is_empty());
        let distinct: HashSet<ReasonV3> = reasons.iter().copied().collect();
        prop_assert_eq!(distinct.len(), reasons.len(), "a reason given twice: {:?}", reasons);
        for reason in &reasons {
            assert_sentence(&reason.text())?;
        }
        prop_assert_eq!(&reasons, &expected_reasons(&answers));
    }

    // Every observation appears in the reasons, saying whether it counted (PRODUCT §2.4c).

    #[test]
    fn every_observation_is_named_saying_whether_it_counted(answers in arb_v3_answers()) {
        let outcome = score(&answers);
        let reasons = v3_reasons(&outcome);
        let has = |reason: ReasonV3| reasons.contains(&reason);
        for &indicator in &answers.observed {
            if indicator.code() == "secrecy" {
                // Secrecy counts only towards addicted, beside lost control.
                let counted = outcome.band == Band::Addicted;
                prop_assert_eq!(has(R::Observed(indicator)), counted, "{:?}", reasons);
                prop_assert_eq!(has(R::SecrecyNotCounted), !counted, "{:?}", reasons);
            } else {
                prop_assert!(has(R::Observed(indicator)), "{:?} not named: {:?}", indicator, reasons);
            }
        }
        for &indicator in Indicator::ALL {
            if !answers.observed.contains(&indicator) {
                prop_assert!(!has(R::Observed(indicator)), "{:?} named, not observed", indicator);
            }
        }
        if !secrecy(&answers) {
            prop_assert!(!has(R::SecrecyNotCounted));
        }
        if let Some(pattern) = answers.pattern {
            let sign = matches!(pattern.code(), "intense_periods" | "compulsive");
            prop_assert_eq!(has(R::Pattern(pattern)), sign, "{:?}", reasons);
            prop_assert_eq!(has(R::SlightPattern(pattern)), !sign, "{:?}", reasons);
        }
        match answers.control.code() {
            "retained" => prop_assert!(has(R::ControlRetained), "{:?}", reasons),
            "lost" => prop_assert!(
                has(R::ControlLost) != has(R::ControlLostAlone),
                "lost control named once, as counted towards addicted or at-risk: {:?}", reasons
            ),
            _ => prop_assert!(!has(R::ControlRetained) && !has(R::ControlLost) && !has(R::ControlLostAlone)),
        }
    }

    // Derived flags (PRODUCT §2.3c), read independently.

    #[test]
    fn derived_flags_match_their_definitions(answers in arb_v3_answers()) {
        let outcome = score(&answers);
        let band = expected_band(&answers);
        let concern = !expected_red_flags(&answers).is_empty()
            || matches!(band, Band::AtRisk | Band::Addicted);
        let details_missing = answers.pattern.is_none() || answers.control.code() == "not_assessed";
        let inconsistent = !expected_inconsistencies(&answers).is_empty();
        prop_assert_eq!(outcome.further_investigation, concern);
        prop_assert_eq!(outcome.referral, band == Band::Addicted);
        prop_assert_eq!(outcome.provisional, (concern && details_missing) || inconsistent);
        prop_assert_eq!(outcome.incomplete, expected_declined(&answers).len() >= 2);
    }

    // Version 2's bands kept.

    #[test]
    fn version_2_bands_kept_when_screened(answers in arb_v3_answers()) {
        let v3 = score(&answers);
        let v2 = RulesVersion::V2.score(&answers);
        if v3.band == Band::NotScreened {
            prop_assert_eq!(v2.band, Band::Casual, "version 2 called it casual");
        } else {
            prop_assert_eq!(v3.band, v2.band);
        }
        prop_assert_eq!(&v3.red_flags, &v2.red_flags);
        prop_assert_eq!(&v3.declined, &v2.declined);
        prop_assert_eq!(v3.referral, v2.referral);
        prop_assert_eq!(v3.incomplete, v2.incomplete);
    }

    // Monotone (PRODUCT §2.3, over pairs neither of which is not screened).

    #[test]
    fn monotone_yes_instead_of_no(answers in arb_v3_answers()) {
        for question in YES_NO {
            let mut changed = answers.clone();
            let reply = reply_mut(&mut changed, question).expect("a yes/no question");
            if *reply == Reply::No {
                *reply = Reply::Yes;
                assert_not_lower(&answers, &changed, &format!("{question:?} no -> yes"))?;
            }
        }
    }

    #[test]
    fn monotone_adding_a_sexual_coping_code(answers in arb_v3_answers()) {
        if let EscapeAnswer::Ways(ways) = &answers.escape {
            for code in CopingCode::sexual_or_romantic() {
                let mut more = ways.clone();
                if more.insert(code) {
                    let mut changed = answers.clone();
                    changed.escape = EscapeAnswer::Ways(more);
                    assert_not_lower(&answers, &changed, &format!("adding {code:?}"))?;
                }
            }
        }
    }

    #[test]
    fn monotone_observing_one_more_indicator(answers in arb_v3_answers()) {
        for &indicator in Indicator::ALL {
            let mut changed = answers.clone();
            if changed.observed.insert(indicator) {
                assert_not_lower(&answers, &changed, &format!("observing {indicator:?}"))?;
            }
        }
    }

    #[test]
    fn monotone_pattern_up(answers in arb_v3_answers()) {
        if let Some(pattern) = answers.pattern {
            // none < occasional < intense_periods < compulsive, as PATTERNS lists them.
            let at = PATTERNS.iter().position(|&p| p == pattern).expect("a pattern");
            for higher in PATTERNS[at + 1..].iter().copied() {
                let mut changed = answers.clone();
                changed.pattern = Some(higher);
                assert_not_lower(&answers, &changed, &format!("pattern {pattern:?} -> {higher:?}"))?;
            }
        }
    }

    #[test]
    fn monotone_control_to_lost(answers in arb_v3_answers()) {
        if answers.control != Control::Lost {
            let mut changed = answers.clone();
            changed.control = Control::Lost;
            assert_not_lower(&answers, &changed, &format!("control {:?} -> lost", answers.control))?;
        }
    }
}
