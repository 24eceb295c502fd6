//! Scoring rules, version 1 (PRODUCT §2.3). Version 1 is no longer current, but results stored
//! with it are shown with it, so it stays exactly as it was (version 2: scoring_rules_v2.rs).
//!
//! First a table of named cases that covers every clause of every rule and its boundaries,
//! each asserting the whole outcome (band, red flags, declined, the four derived flags and
//! the exact set of reasons). Then properties over arbitrary valid answers: monotone,
//! deterministic and total, explained, and derived flags matching their definitions.

use std::collections::{BTreeSet, HashSet};

use crate::helpers::arbitrary_answers::{
    arb_answers, expected_declined, expected_red_flags, regressions_beside_source, reply_mut,
};
use intake_screener::screening::IntakeQuestion::{
    ConcernExpressed as Q1, Escape as Q3, OthersDisturbed as Q5, Secrets as Q4, SelfConcern as Q2,
    Shame as Q6,
};
use intake_screener::screening::{
    Answers, Band, Coded, Control, CopingCode, EscapeAnswer, Indicator, IntakeQuestion, Outcome,
    Pattern, Reason, Reply, RulesVersion,
};
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The baseline answers document: every intake question answered `no`, question 3 a
/// non-sexual way of escaping, no details recorded.
fn base_document() -> Value {
    json!({
        "q1_concern_expressed": "no",
        "q2_self_concern": "no",
        "q3_escape": ["exercise"],
        "q4_secrets": "no",
        "q5_others_disturbed": "no",
        "q6_shame": "no",
    })
}

/// The baseline document with the patch's fields replacing (or adding to) its own, parsed.
fn answers_with(patch: &Value) -> Answers {
    let mut document = base_document();
    let fields = document.as_object_mut().expect("the base is an object");
    for (field, value) in patch.as_object().expect("a patch is an object") {
        fields.insert(field.clone(), value.clone());
    }
    let text = document.to_string();
    Answers::from_json(&text).unwrap_or_else(|errors| panic!("{text} should parse: {errors}"))
}

fn score(answers: &Answers) -> Outcome {
    RulesVersion::V1.score(answers)
}

/// The version-1 clauses of a version-1 outcome.
fn v1_reasons(outcome: &Outcome) -> Vec<Reason> {
    outcome
        .reasons
        .v1()
        .expect("a version-1 outcome has version-1 reasons")
        .to_vec()
}

/// One named case of the table: a patch on the baseline and the whole expected outcome.
struct Case {
    name: String,
    patch: Value,
    band: Band,
    red_flags: Vec<IntakeQuestion>,
    declined: Vec<IntakeQuestion>,
    further_investigation: bool,
    referral: bool,
    provisional: bool,
    incomplete: bool,
    reasons: Vec<Reason>,
}

/// Checks every case, and reports every mismatch of every case at once.
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
        let mut problems = Vec::new();
        let mut check = |what: &str, matches: bool, expected: String, actual: String| {
            if !matches {
                problems.push(format!("{what}: expected {expected}, got {actual}"));
            }
        };
        check(
            "band",
            outcome.band == case.band,
            format!("{:?}", case.band),
            format!("{:?}", outcome.band),
        );
        check(
            "red_flags",
            outcome.red_flags == case.red_flags,
            format!("{:?}", case.red_flags),
            format!("{:?}", outcome.red_flags),
        );
        check(
            "declined",
            outcome.declined == case.declined,
            format!("{:?}", case.declined),
            format!("{:?}", outcome.declined),
        );
        check(
            "further_investigation",
            outcome.further_investigation == case.further_investigation,
            case.further_investigation.to_string(),
            outcome.further_investigation.to_string(),
        );
        check(
            "referral",
            outcome.referral == case.referral,
            case.referral.to_string(),
            outcome.referral.to_string(),
        );
        check(
            "provisional",
            outcome.provisional == case.provisional,
            case.provisional.to_string(),
            outcome.provisional.to_string(),
        );
        check(
            "incomplete",
            outcome.incomplete == case.incomplete,
            case.incomplete.to_string(),
            outcome.incomplete.to_string(),
        );
        let expected: HashSet<Reason> = case.reasons.iter().copied().collect();
        let actual: HashSet<Reason> = v1_reasons(&outcome).into_iter().collect();
        check(
            "reasons (as a set)",
            expected == actual,
            format!("{:?}", case.reasons),
            format!("{:?}", outcome.reasons),
        );
        check(
            "reasons without duplicates",
            actual.len() == outcome.reasons.len(),
            "no reason twice".into(),
            format!("{:?}", outcome.reasons),
        );
        check(
            "rules_version",
            outcome.rules_version == RulesVersion::V1,
            "V1".into(),
            format!("{:?}", outcome.rules_version),
        );
        if !problems.is_empty() {
            failures.push(format!(
                "case `{}` (patch {}):\n    {}",
                case.name,
                case.patch,
                problems.join("\n    ")
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

/// A case with nothing but intake answers changed, so a casual band (fewer than three flags).
fn casual_case(
    name: String,
    patch: Value,
    red_flags: Vec<IntakeQuestion>,
    declined: Vec<IntakeQuestion>,
) -> Case {
    let count = red_flags.len();
    assert!(
        count < 3,
        "{name}: a casual case has fewer than three red flags"
    );
    Case {
        name,
        patch,
        band: Band::Casual,
        further_investigation: count >= 1,
        referral: false,
        provisional: count >= 1,
        incomplete: declined.len() >= 2,
        red_flags,
        declined,
        reasons: vec![Reason::CasualNoRiskSign(count)],
    }
}

const YES_NO: [IntakeQuestion; 5] = [Q1, Q2, Q4, Q5, Q6];

fn sexual_codes() -> Vec<CopingCode> {
    CopingCode::ALL
        .iter()
        .copied()
        .filter(|code| code.is_sexual_or_romantic())
        .collect()
}

fn other_codes() -> Vec<CopingCode> {
    CopingCode::ALL
        .iter()
        .copied()
        .filter(|code| !code.is_sexual_or_romantic())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Table tests
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_1_addicted() {
    use Reason::*;
    run(vec![
        Case {
            name: "control lost + compulsive pattern".into(),
            patch: json!({"control": "lost", "pattern": "compulsive"}),
            band: Band::Addicted,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: false,
            reasons: vec![AddictedControlLost, AddictedCompulsive],
        },
        Case {
            name: "control lost + despite_consequences".into(),
            patch: json!({"control": "lost", "despite_consequences": true}),
            band: Band::Addicted,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: false,
            reasons: vec![AddictedControlLost, AddictedDespiteConsequences],
        },
        Case {
            name: "control lost + functioning_impaired".into(),
            patch: json!({"control": "lost", "functioning_impaired": true}),
            band: Band::Addicted,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: false,
            reasons: vec![AddictedControlLost, AddictedFunctioningImpaired],
        },
        Case {
            name: "control lost + despite_consequences + functioning_impaired".into(),
            patch: json!({
                "control": "lost", "despite_consequences": true, "functioning_impaired": true,
            }),
            band: Band::Addicted,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: false,
            reasons: vec![
                AddictedControlLost,
                AddictedDespiteConsequences,
                AddictedFunctioningImpaired,
            ],
        },
        Case {
            name: "control lost + all three addicted signs".into(),
            patch: json!({
                "control": "lost", "pattern": "compulsive",
                "despite_consequences": true, "functioning_impaired": true,
            }),
            band: Band::Addicted,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: false,
            reasons: vec![
                AddictedControlLost,
                AddictedCompulsive,
                AddictedDespiteConsequences,
                AddictedFunctioningImpaired,
            ],
        },
        Case {
            name: "addicted with every at-risk sign too: only the addicted rule's clauses".into(),
            patch: json!({
                "control": "lost", "pattern": "compulsive",
                "escape_use": true, "secrecy": true, "escalation": true,
                "minimizes_or_blames": true,
                "q1_concern_expressed": "yes", "q2_self_concern": "yes", "q4_secrets": "yes",
            }),
            band: Band::Addicted,
            red_flags: vec![Q1, Q2, Q4],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: false,
            reasons: vec![AddictedControlLost, AddictedCompulsive],
        },
        Case {
            name: "addicted with pattern none (sign from an indicator)".into(),
            patch: json!({"control": "lost", "pattern": "none", "functioning_impaired": true}),
            band: Band::Addicted,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: false,
            reasons: vec![AddictedControlLost, AddictedFunctioningImpaired],
        },
        Case {
            name: "addicted with a red flag and pattern not assessed is provisional".into(),
            patch: json!({"control": "lost", "despite_consequences": true, "q6_shame": "yes"}),
            band: Band::Addicted,
            red_flags: vec![Q6],
            declined: vec![],
            further_investigation: true,
            referral: true,
            provisional: true,
            incomplete: false,
            reasons: vec![AddictedControlLost, AddictedDespiteConsequences],
        },
        Case {
            name: "addicted with two questions declined is incomplete".into(),
            patch: json!({
                "control": "lost", "functioning_impaired": true, "pattern": "intense_periods",
                "q1_concern_expressed": "declined", "q3_escape": ["declined"],
            }),
            band: Band::Addicted,
            red_flags: vec![],
            declined: vec![Q1, Q3],
            further_investigation: true,
            referral: true,
            provisional: false,
            incomplete: true,
            reasons: vec![AddictedControlLost, AddictedFunctioningImpaired],
        },
    ]);
}

#[test]
fn control_lost_without_an_addicted_sign_is_at_risk() {
    use Reason::*;
    run(vec![
        Case {
            name: "control lost alone".into(),
            patch: json!({"control": "lost"}),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskControlLost],
        },
        Case {
            name: "control lost + pattern none".into(),
            patch: json!({"control": "lost", "pattern": "none"}),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskControlLost],
        },
        Case {
            name: "control lost + intense periods (not compulsive)".into(),
            patch: json!({"control": "lost", "pattern": "intense_periods"}),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskPattern(Pattern::IntensePeriods), AtRiskControlLost],
        },
        Case {
            name: "control lost + the four non-addicted indicators".into(),
            patch: json!({
                "control": "lost", "pattern": "occasional",
                "escape_use": true, "secrecy": true, "escalation": true,
                "minimizes_or_blames": true,
            }),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![
                AtRiskControlLost,
                AtRiskIndicator(Indicator::EscapeUse),
                AtRiskIndicator(Indicator::Secrecy),
                AtRiskIndicator(Indicator::Escalation),
                AtRiskIndicator(Indicator::MinimizesOrBlames),
            ],
        },
        Case {
            name: "control lost + three red flags".into(),
            patch: json!({
                "control": "lost",
                "q1_concern_expressed": "yes", "q5_others_disturbed": "yes", "q6_shame": "yes",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q1, Q5, Q6],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: true,
            incomplete: false,
            reasons: vec![AtRiskControlLost, AtRiskRedFlags(3)],
        },
    ]);
}

#[test]
fn addicted_signs_without_lost_control_are_at_risk() {
    use Reason::*;
    let mut cases = Vec::new();
    for (control_name, control) in [
        ("retained", json!("retained")),
        ("not_assessed", json!("not_assessed")),
        ("absent (not assessed)", Value::Null),
    ] {
        let with_control = |mut patch: Value| {
            if !control.is_null() {
                patch["control"] = control.clone();
            }
            patch
        };
        cases.push(Case {
            name: format!("control {control_name} + compulsive pattern"),
            patch: with_control(json!({"pattern": "compulsive"})),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskPattern(Pattern::Compulsive)],
        });
        cases.push(Case {
            name: format!("control {control_name} + despite_consequences"),
            patch: with_control(json!({"despite_consequences": true})),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskIndicator(Indicator::DespiteConsequences)],
        });
        cases.push(Case {
            name: format!("control {control_name} + functioning_impaired"),
            patch: with_control(json!({"functioning_impaired": true})),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskIndicator(Indicator::FunctioningImpaired)],
        });
        cases.push(Case {
            name: format!("control {control_name} + all three addicted signs"),
            patch: with_control(json!({
                "pattern": "compulsive", "despite_consequences": true,
                "functioning_impaired": true,
            })),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![
                AtRiskPattern(Pattern::Compulsive),
                AtRiskIndicator(Indicator::DespiteConsequences),
                AtRiskIndicator(Indicator::FunctioningImpaired),
            ],
        });
    }
    run(cases);
}

#[test]
fn each_at_risk_clause_alone() {
    use Reason::*;
    let mut cases = vec![
        Case {
            name: "pattern intense_periods alone".into(),
            patch: json!({"pattern": "intense_periods"}),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskPattern(Pattern::IntensePeriods)],
        },
        Case {
            name: "pattern compulsive alone".into(),
            patch: json!({"pattern": "compulsive"}),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskPattern(Pattern::Compulsive)],
        },
        Case {
            name: "three red flags alone (q1, q2, q4)".into(),
            patch: json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "yes", "q4_secrets": "yes",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q1, Q2, Q4],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: true,
            incomplete: false,
            reasons: vec![AtRiskRedFlags(3)],
        },
    ];
    for &indicator in Indicator::ALL {
        let mut patch = json!({});
        patch[indicator.code()] = json!(true);
        cases.push(Case {
            name: format!("indicator {} alone", indicator.code()),
            patch,
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskIndicator(indicator)],
        });
    }
    cases.push(Case {
        name: "all six indicators, control not assessed".into(),
        patch: json!({
            "escape_use": true, "secrecy": true, "escalation": true,
            "despite_consequences": true, "functioning_impaired": true,
            "minimizes_or_blames": true,
        }),
        band: Band::AtRisk,
        red_flags: vec![],
        declined: vec![],
        further_investigation: true,
        referral: false,
        provisional: false,
        incomplete: false,
        reasons: Indicator::ALL.iter().map(|&i| AtRiskIndicator(i)).collect(),
    });
    run(cases);
}

#[test]
fn red_flag_count_boundary() {
    use Reason::*;
    run(vec![
        Case {
            name: "two red flags: casual".into(),
            patch: json!({"q1_concern_expressed": "yes", "q2_self_concern": "yes"}),
            band: Band::Casual,
            red_flags: vec![Q1, Q2],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: true,
            incomplete: false,
            reasons: vec![CasualNoRiskSign(2)],
        },
        Case {
            name: "two red flags + a third question declined: still casual".into(),
            patch: json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "yes",
                "q4_secrets": "declined", "pattern": "none",
            }),
            band: Band::Casual,
            red_flags: vec![Q1, Q2],
            declined: vec![Q4],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![CasualNoRiskSign(2)],
        },
        Case {
            name: "three red flags including q3: at_risk".into(),
            patch: json!({
                "q3_escape": ["pornography"], "q5_others_disturbed": "yes", "q6_shame": "yes",
                "pattern": "none",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q3, Q5, Q6],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskRedFlags(3)],
        },
        Case {
            name: "four red flags + two declined".into(),
            patch: json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "yes",
                "q3_escape": ["masturbation", "sleep"], "q4_secrets": "yes",
                "q5_others_disturbed": "declined", "q6_shame": "declined",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q1, Q2, Q3, Q4],
            declined: vec![Q5, Q6],
            further_investigation: true,
            referral: false,
            provisional: true,
            incomplete: true,
            reasons: vec![AtRiskRedFlags(4)],
        },
        Case {
            name: "all six red flags".into(),
            patch: json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "yes",
                "q3_escape": ["dating_or_hookup_apps"], "q4_secrets": "yes",
                "q5_others_disturbed": "yes", "q6_shame": "yes", "pattern": "occasional",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q1, Q2, Q3, Q4, Q5, Q6],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskRedFlags(6)],
        },
        Case {
            name: "three red flags + an indicator: both reasons".into(),
            patch: json!({
                "q2_self_concern": "yes", "q4_secrets": "yes", "q6_shame": "yes",
                "secrecy": true, "pattern": "occasional",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q2, Q4, Q6],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskIndicator(Indicator::Secrecy), AtRiskRedFlags(3)],
        },
    ]);
}

#[test]
fn casual_when_no_at_risk_sign() {
    use Reason::*;
    let casual = |name: &str, patch: Value| casual_case(name.into(), patch, vec![], vec![]);
    run(vec![
        Case {
            name: "nothing at all".into(),
            patch: json!({}),
            band: Band::Casual,
            red_flags: vec![],
            declined: vec![],
            further_investigation: false,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![CasualNoRiskSign(0)],
        },
        casual("pattern none", json!({"pattern": "none"})),
        casual("pattern occasional", json!({"pattern": "occasional"})),
        casual("control retained", json!({"control": "retained"})),
        casual("control not_assessed", json!({"control": "not_assessed"})),
        casual(
            "pattern occasional + control retained",
            json!({"pattern": "occasional", "control": "retained"}),
        ),
        casual(
            "every indicator explicitly false",
            json!({
                "escape_use": false, "secrecy": false, "escalation": false,
                "despite_consequences": false, "functioning_impaired": false,
                "minimizes_or_blames": false,
            }),
        ),
        casual(
            "every non-sexual coping code",
            json!({"q3_escape": other_codes().iter().map(|c| c.code()).collect::<Vec<_>>()}),
        ),
    ]);
}

#[test]
fn each_question_raises_a_red_flag() {
    let mut cases = Vec::new();
    for question in YES_NO {
        let mut patch = json!({});
        patch[question.field()] = json!("yes");
        cases.push(casual_case(
            format!("{} yes", question.field()),
            patch,
            vec![question],
            vec![],
        ));
        let mut patch = json!({});
        patch[question.field()] = json!("no");
        cases.push(casual_case(
            format!("{} no", question.field()),
            patch,
            vec![],
            vec![],
        ));
    }
    for code in sexual_codes() {
        cases.push(casual_case(
            format!("q3 {} alone", code.code()),
            json!({"q3_escape": [code.code()]}),
            vec![Q3],
            vec![],
        ));
        cases.push(casual_case(
            format!("q3 {} with eating and work", code.code()),
            json!({"q3_escape": ["eating", code.code(), "work"]}),
            vec![Q3],
            vec![],
        ));
    }
    for code in other_codes() {
        cases.push(casual_case(
            format!("q3 {} alone: no red flag", code.code()),
            json!({"q3_escape": [code.code()]}),
            vec![],
            vec![],
        ));
    }
    cases.push(casual_case(
        "q3 every sexual code: one red flag".into(),
        json!({"q3_escape": sexual_codes().iter().map(|c| c.code()).collect::<Vec<_>>()}),
        vec![Q3],
        vec![],
    ));
    assert_eq!(
        sexual_codes().len(),
        5,
        "PRODUCT §2.1 lists five sexual codes"
    );
    assert_eq!(
        other_codes().len(),
        9,
        "PRODUCT §2.1 lists nine other codes"
    );
    run(cases);
}

#[test]
fn declined_answers() {
    let mut cases = Vec::new();
    for question in YES_NO {
        let mut patch = json!({});
        patch[question.field()] = json!("declined");
        cases.push(casual_case(
            format!("{} declined alone: not incomplete", question.field()),
            patch,
            vec![],
            vec![question],
        ));
    }
    cases.push(casual_case(
        "q3 declined alone counts as declined".into(),
        json!({"q3_escape": ["declined"]}),
        vec![],
        vec![Q3],
    ));
    cases.push(casual_case(
        "q1 and q5 declined: incomplete".into(),
        json!({"q1_concern_expressed": "declined", "q5_others_disturbed": "declined"}),
        vec![],
        vec![Q1, Q5],
    ));
    cases.push(casual_case(
        "q3 and q6 declined: incomplete".into(),
        json!({"q3_escape": ["declined"], "q6_shame": "declined"}),
        vec![],
        vec![Q3, Q6],
    ));
    cases.push(casual_case(
        "declined and red flags mixed, in question order".into(),
        json!({
            "q6_shame": "declined", "q4_secrets": "yes", "q2_self_concern": "declined",
            "q3_escape": ["romantic_or_sexual_fantasy"],
        }),
        vec![Q3, Q4],
        vec![Q2, Q6],
    ));
    cases.push(casual_case(
        "all six declined".into(),
        json!({
            "q1_concern_expressed": "declined", "q2_self_concern": "declined",
            "q3_escape": ["declined"], "q4_secrets": "declined",
            "q5_others_disturbed": "declined", "q6_shame": "declined",
        }),
        vec![],
        vec![Q1, Q2, Q3, Q4, Q5, Q6],
    ));
    run(cases);
}

#[test]
fn provisional_flag() {
    use Reason::*;
    let provisional = |name: &str, patch: Value, expected: bool| {
        let mut case = casual_case(name.into(), patch, vec![Q1], vec![]);
        case.provisional = expected;
        case
    };
    run(vec![
        provisional(
            "red flag + pattern absent",
            json!({"q1_concern_expressed": "yes"}),
            true,
        ),
        provisional(
            "red flag + pattern null",
            json!({"q1_concern_expressed": "yes", "pattern": null}),
            true,
        ),
        provisional(
            "red flag + pattern empty text",
            json!({"q1_concern_expressed": "yes", "pattern": ""}),
            true,
        ),
        provisional(
            "red flag + pattern absent + control retained",
            json!({"q1_concern_expressed": "yes", "control": "retained"}),
            true,
        ),
        provisional(
            "red flag + pattern none",
            json!({"q1_concern_expressed": "yes", "pattern": "none"}),
            false,
        ),
        provisional(
            "red flag + pattern occasional",
            json!({"q1_concern_expressed": "yes", "pattern": "occasional"}),
            false,
        ),
        Case {
            name: "red flag + indicator + pattern absent: at_risk and provisional".into(),
            patch: json!({"q1_concern_expressed": "yes", "escalation": true}),
            band: Band::AtRisk,
            red_flags: vec![Q1],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: true,
            incomplete: false,
            reasons: vec![AtRiskIndicator(Indicator::Escalation)],
        },
        Case {
            name: "no red flag + pattern absent: not provisional".into(),
            patch: json!({"q1_concern_expressed": "declined"}),
            band: Band::Casual,
            red_flags: vec![],
            declined: vec![Q1],
            further_investigation: false,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![CasualNoRiskSign(0)],
        },
        Case {
            name: "no red flag + at_risk + pattern absent: not provisional".into(),
            patch: json!({"escape_use": true}),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskIndicator(Indicator::EscapeUse)],
        },
    ]);
}

#[test]
fn further_investigation_and_referral() {
    use Reason::*;
    run(vec![
        casual_case(
            "red flag but casual: further investigation".into(),
            json!({"q5_others_disturbed": "yes"}),
            vec![Q5],
            vec![],
        ),
        Case {
            name: "no red flag but at_risk via an indicator: further investigation".into(),
            patch: json!({"minimizes_or_blames": true, "pattern": "none"}),
            band: Band::AtRisk,
            red_flags: vec![],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![AtRiskIndicator(Indicator::MinimizesOrBlames)],
        },
        Case {
            name: "nothing: no further investigation".into(),
            patch: json!({"pattern": "none", "control": "retained"}),
            band: Band::Casual,
            red_flags: vec![],
            declined: vec![],
            further_investigation: false,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![CasualNoRiskSign(0)],
        },
        Case {
            name: "at_risk with every at-risk sign: no referral".into(),
            patch: json!({
                "control": "lost", "pattern": "intense_periods", "escape_use": true,
                "secrecy": true, "escalation": true, "minimizes_or_blames": true,
                "q1_concern_expressed": "yes", "q2_self_concern": "yes",
                "q3_escape": ["pornography"], "q4_secrets": "yes",
                "q5_others_disturbed": "yes", "q6_shame": "yes",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q1, Q2, Q3, Q4, Q5, Q6],
            declined: vec![],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![
                AtRiskPattern(Pattern::IntensePeriods),
                AtRiskControlLost,
                AtRiskIndicator(Indicator::EscapeUse),
                AtRiskIndicator(Indicator::Secrecy),
                AtRiskIndicator(Indicator::Escalation),
                AtRiskIndicator(Indicator::MinimizesOrBlames),
                AtRiskRedFlags(6),
            ],
        },
    ]);
}

#[test]
fn red_flags_and_declined_are_in_question_order() {
    use Reason::*;
    run(vec![
        Case {
            name: "q6, q2, q3 flagged; q5, q1 declined".into(),
            patch: json!({
                "q6_shame": "yes", "q5_others_disturbed": "declined",
                "q3_escape": ["romantic_or_sexual_fantasy"], "q2_self_concern": "yes",
                "q1_concern_expressed": "declined",
            }),
            band: Band::AtRisk,
            red_flags: vec![Q2, Q3, Q6],
            declined: vec![Q1, Q5],
            further_investigation: true,
            referral: false,
            provisional: true,
            incomplete: true,
            reasons: vec![AtRiskRedFlags(3)],
        },
        Case {
            name: "the example of PRODUCT §3.2 gives the result of PRODUCT §3.3".into(),
            patch: json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "no",
                "q3_escape": ["exercise", "pornography"],
                "q4_secrets": "yes", "q5_others_disturbed": "declined", "q6_shame": "no",
                "pattern": "intense_periods", "control": "retained",
                "escape_use": true, "secrecy": true, "escalation": false,
                "despite_consequences": false, "functioning_impaired": false,
                "minimizes_or_blames": false,
            }),
            band: Band::AtRisk,
            red_flags: vec![Q1, Q3, Q4],
            declined: vec![Q5],
            further_investigation: true,
            referral: false,
            provisional: false,
            incomplete: false,
            reasons: vec![
                AtRiskPattern(Pattern::IntensePeriods),
                AtRiskIndicator(Indicator::EscapeUse),
                AtRiskIndicator(Indicator::Secrecy),
                AtRiskRedFlags(3),
            ],
        },
    ]);
}

#[test]
fn spec_example_result_document() {
    let answers = answers_with(&json!({
        "q1_concern_expressed": "yes", "q2_self_concern": "no",
        "q3_escape": ["exercise", "pornography"],
        "q4_secrets": "yes", "q5_others_disturbed": "declined", "q6_shame": "no",
        "pattern": "intense_periods", "control": "retained",
        "escape_use": true, "secrecy": true,
    }));
    let outcome = score(&answers);
    let document = outcome.to_document();
    let reasons: Vec<Value> = v1_reasons(&outcome)
        .iter()
        .map(|r| json!(r.text()))
        .collect();
    assert_eq!(
        document,
        json!({
            "band": "at_risk", "rules_version": "1",
            "red_flags": ["q1_concern_expressed", "q3_escape", "q4_secrets"],
            "declined": ["q5_others_disturbed"],
            "further_investigation": true, "referral": false,
            "provisional": false, "incomplete": false,
            "reasons": reasons,
        })
    );
}

#[test]
fn reasons_are_listed_in_rule_order() {
    use Reason::*;
    let outcome = score(&answers_with(&json!({
        "control": "lost", "pattern": "compulsive",
        "despite_consequences": true, "functioning_impaired": true,
    })));
    assert_eq!(
        v1_reasons(&outcome),
        vec![
            AddictedControlLost,
            AddictedCompulsive,
            AddictedDespiteConsequences,
            AddictedFunctioningImpaired,
        ]
    );
    let outcome = score(&answers_with(&json!({
        "control": "lost", "pattern": "intense_periods", "minimizes_or_blames": true,
        "escape_use": true, "q1_concern_expressed": "yes", "q2_self_concern": "yes",
        "q4_secrets": "yes",
    })));
    assert_eq!(
        v1_reasons(&outcome),
        vec![
            AtRiskPattern(Pattern::IntensePeriods),
            AtRiskControlLost,
            AtRiskIndicator(Indicator::EscapeUse),
            AtRiskIndicator(Indicator::MinimizesOrBlames),
            AtRiskRedFlags(3),
        ]
    );
}

#[test]
fn reason_texts_in_plain_words() {
    use Reason::*;
    assert!(AtRiskRedFlags(3).text().contains('3'));
    assert!(AtRiskRedFlags(5).text().contains('5'));
    assert!(CasualNoRiskSign(0).text().contains("no red flag"));
    assert!(CasualNoRiskSign(1).text().contains("1 red flag"));
    assert!(CasualNoRiskSign(2).text().contains("2 red flags"));
    for &indicator in Indicator::ALL {
        let text = AtRiskIndicator(indicator).text();
        assert!(text.contains(indicator.description()), "{text}");
    }
    assert_ne!(
        AtRiskPattern(Pattern::IntensePeriods).text(),
        AtRiskPattern(Pattern::Compulsive).text()
    );
    assert_eq!(AddictedControlLost.to_string(), AddictedControlLost.text());
}

#[test]
fn rules_versions() {
    // Version 3 is current (PRODUCT §2.3c); version 1 stays, for results stored with it.
    assert_eq!(RulesVersion::CURRENT, RulesVersion::V3);
    assert_eq!(RulesVersion::V1.as_str(), "1");
    assert_eq!(RulesVersion::V1.to_string(), "1");
    assert_eq!(RulesVersion::parse("1"), Some(RulesVersion::V1));
    assert_eq!(RulesVersion::parse("2"), Some(RulesVersion::V2));
    assert_eq!(RulesVersion::parse("3"), Some(RulesVersion::V3));
    assert_eq!(RulesVersion::parse("4"), None);
    assert_eq!(RulesVersion::parse(""), None);
    assert!(Band::Casual < Band::AtRisk && Band::AtRisk < Band::Addicted);
    let codes: Vec<&str> = Band::ALL.iter().map(|band| band.code()).collect();
    assert_eq!(codes, ["casual", "at_risk", "addicted", "not_screened"]);
    assert_eq!(Band::LEVELS, [Band::Casual, Band::AtRisk, Band::Addicted]);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn band(answers: &Answers) -> Band {
    score(answers).band
}

/// PRODUCT §2.3 rules 1–3, written independently of the crate.
fn expected_band(answers: &Answers) -> Band {
    let lost = answers.control == Control::Lost;
    let compulsive = answers.pattern == Some(Pattern::Compulsive);
    let despite = answers.observed.contains(&Indicator::DespiteConsequences);
    let impaired = answers.observed.contains(&Indicator::FunctioningImpaired);
    let intense = matches!(
        answers.pattern,
        Some(Pattern::IntensePeriods | Pattern::Compulsive)
    );
    if lost && (compulsive || despite || impaired) {
        Band::Addicted
    } else if intense
        || lost
        || !answers.observed.is_empty()
        || expected_red_flags(answers).len() >= 3
    {
        Band::AtRisk
    } else {
        Band::Casual
    }
}

fn assert_sentence(text: &str) -> Result<(), TestCaseError> {
    let first = text.chars().next();
    prop_assert!(
        first.is_some_and(char::is_uppercase),
        "reason text should start with a capital: {text:?}"
    );
    prop_assert!(
        text.ends_with('.'),
        "reason text should end with a full stop: {text:?}"
    );
    prop_assert!(text.split_whitespace().count() >= 4, "too short: {text:?}");
    prop_assert!(
        !text.contains('_'),
        "a code leaked into the words: {text:?}"
    );
    prop_assert!(!text.contains(['{', '}']), "unformatted text: {text:?}");
    Ok(())
}

/// Guards against a vacuous strategy: arbitrary answers reach every band, and both values of
/// every derived flag.
#[test]
fn the_answers_strategy_reaches_every_band_and_flag() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = arb_answers();
    let mut bands = BTreeSet::new();
    let mut flags = BTreeSet::new();
    for _ in 0..256 {
        let answers = strategy
            .new_tree(&mut runner)
            .expect("a value tree")
            .current();
        let outcome = score(&answers);
        bands.insert(outcome.band);
        flags.insert(("further_investigation", outcome.further_investigation));
        flags.insert(("referral", outcome.referral));
        flags.insert(("provisional", outcome.provisional));
        flags.insert(("incomplete", outcome.incomplete));
    }
    assert_eq!(bands.len(), 3, "bands reached: {bands:?}");
    assert_eq!(flags.len(), 8, "flags reached: {flags:?}");
}

proptest! {
    #![proptest_config(regressions_beside_source(ProptestConfig::default()))]
    // (a) Monotone.

    #[test]
    fn monotone_yes_instead_of_no(answers in arb_answers()) {
        let before = band(&answers);
        for question in YES_NO {
            let mut changed = answers.clone();
            let reply = reply_mut(&mut changed, question).expect("a yes/no question");
            if *reply == Reply::No {
                *reply = Reply::Yes;
                let after = band(&changed);
                prop_assert!(after >= before, "{question:?} no -> yes: {before:?} -> {after:?}");
            }
        }
    }

    #[test]
    fn monotone_adding_a_sexual_coping_code(answers in arb_answers()) {
        let before = band(&answers);
        if let EscapeAnswer::Ways(ways) = &answers.escape {
            for code in sexual_codes() {
                let mut more = ways.clone();
                if more.insert(code) {
                    let mut changed = answers.clone();
                    changed.escape = EscapeAnswer::Ways(more);
                    let after = band(&changed);
                    prop_assert!(after >= before, "adding {code:?}: {before:?} -> {after:?}");
                }
            }
        }
    }

    #[test]
    fn monotone_observing_one_more_indicator(answers in arb_answers()) {
        let before = band(&answers);
        for &indicator in Indicator::ALL {
            let mut changed = answers.clone();
            if changed.observed.insert(indicator) {
                let after = band(&changed);
                prop_assert!(after >= before, "observing {indicator:?}: {before:?} -> {after:?}");
            }
        }
    }

    #[test]
    fn monotone_pattern_up(answers in arb_answers()) {
        let before = band(&answers);
        if let Some(pattern) = answers.pattern {
            for &higher in Pattern::ALL.iter().filter(|&&p| p > pattern) {
                let mut changed = answers.clone();
                changed.pattern = Some(higher);
                let after = band(&changed);
                prop_assert!(
                    after >= before,
                    "pattern {pattern:?} -> {higher:?}: {before:?} -> {after:?}"
                );
            }
        }
    }

    #[test]
    fn monotone_control_to_lost(answers in arb_answers()) {
        let before = band(&answers);
        if answers.control != Control::Lost {
            let mut changed = answers.clone();
            changed.control = Control::Lost;
            let after = band(&changed);
            prop_assert!(
                after >= before,
                "control {:?} -> lost: {before:?} -> {after:?}",
                answers.control
            );
        }
    }

    // (b) Deterministic and total.

    #[test]
    fn deterministic_and_matches_the_rules(answers in arb_answers()) {
        let first = score(&answers);
        let second = score(&answers);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(first.rules_version, RulesVersion::V1);
        prop_assert_eq!(first.band, expected_band(&answers));
        prop_assert_eq!(&first.red_flags, &expected_red_flags(&answers));
        prop_assert_eq!(&first.declined, &expected_declined(&answers));
    }

    #[test]
    fn answers_document_round_trip(answers in arb_answers()) {
        let text = answers.to_document().to_string();
        let parsed = Answers::from_json(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&answers), "document {}", text);
        prop_assert_eq!(score(&parsed.unwrap()), score(&answers));
    }

    #[test]
    fn outcome_document_has_the_keys_of_spec_3_3(answers in arb_answers()) {
        let outcome = score(&answers);
        let document = outcome.to_document();
        let fields = document.as_object().expect("the result document is an object");
        let keys: BTreeSet<&str> = fields.keys().map(String::as_str).collect();
        let expected: BTreeSet<&str> = [
            "band", "rules_version", "red_flags", "declined", "further_investigation",
            "referral", "provisional", "incomplete", "reasons",
        ]
        .into_iter()
        .collect();
        prop_assert_eq!(keys, expected);
        prop_assert_eq!(&document["band"], &json!(outcome.band.code()));
        prop_assert!(["casual", "at_risk", "addicted"].contains(&outcome.band.code()));
        prop_assert_eq!(&document["rules_version"], &json!("1"));
        let names = |questions: &[IntakeQuestion]| -> Value {
            questions.iter().map(|question| json!(question.field())).collect()
        };
        prop_assert_eq!(&document["red_flags"], &names(&outcome.red_flags));
        prop_assert_eq!(&document["declined"], &names(&outcome.declined));
        for (key, flag) in [
            ("further_investigation", outcome.further_investigation),
            ("referral", outcome.referral),
            ("provisional", outcome.provisional),
            ("incomplete", outcome.incomplete),
        ] {
            prop_assert_eq!(&document[key], &Value::Bool(flag), "{}", key);
        }
        let reasons = document["reasons"].as_array().expect("reasons is a list");
        prop_assert_eq!(reasons.len(), outcome.reasons.len());
        for (value, reason) in reasons.iter().zip(&v1_reasons(&outcome)) {
            let text = reason.text();
            prop_assert_eq!(value.as_str(), Some(text.as_str()));
        }
    }

    // (c) Explained.

    #[test]
    fn every_result_is_explained(answers in arb_answers()) {
        let outcome = score(&answers);
        let reasons = &v1_reasons(&outcome);
        prop_assert!(!reasons.is_empty());
        let distinct: HashSet<Reason> = reasons.iter().copied().collect();
        prop_assert_eq!(distinct.len(), reasons.len(), "a reason given twice: {:?}", reasons);
        for reason in reasons {
            prop_assert_eq!(reason.band(), outcome.band, "{:?} in {:?}", reason, reasons);
            let text = reason.text();
            assert_sentence(&text)?;
            prop_assert!(
                text.starts_with(&format!("{}:", outcome.band.label())),
                "the text should name its band: {:?}",
                text
            );
        }

        let has = |reason: Reason| distinct.contains(&reason);
        let lost = answers.control == Control::Lost;
        let red_flags = expected_red_flags(&answers).len();
        match outcome.band {
            Band::Addicted => {
                prop_assert!(has(Reason::AddictedControlLost));
                prop_assert!(reasons.len() >= 2, "control lost and at least one sign");
                prop_assert_eq!(
                    has(Reason::AddictedCompulsive),
                    answers.pattern == Some(Pattern::Compulsive)
                );
                prop_assert_eq!(
                    has(Reason::AddictedDespiteConsequences),
                    answers.observed(Indicator::DespiteConsequences)
                );
                prop_assert_eq!(
                    has(Reason::AddictedFunctioningImpaired),
                    answers.observed(Indicator::FunctioningImpaired)
                );
            }
            Band::AtRisk => {
                // Each clause that holds has its reason, and each reason's clause holds.
                for pattern in Pattern::ALL.iter().copied() {
                    let holds = answers.pattern == Some(pattern)
                        && matches!(pattern, Pattern::IntensePeriods | Pattern::Compulsive);
                    prop_assert_eq!(has(Reason::AtRiskPattern(pattern)), holds, "{:?}", pattern);
                }
                prop_assert_eq!(has(Reason::AtRiskControlLost), lost);
                for &indicator in Indicator::ALL {
                    prop_assert_eq!(
                        has(Reason::AtRiskIndicator(indicator)),
                        answers.observed(indicator),
                        "{:?}",
                        indicator
                    );
                }
                let counted: Vec<usize> = reasons
                    .iter()
                    .filter_map(|reason| match reason {
                        Reason::AtRiskRedFlags(count) => Some(*count),
                        _ => None,
                    })
                    .collect();
                if red_flags >= 3 {
                    prop_assert_eq!(counted, vec![red_flags]);
                } else {
                    prop_assert!(counted.is_empty());
                }
            }
            Band::Casual => {
                prop_assert_eq!(reasons, &vec![Reason::CasualNoRiskSign(red_flags)]);
            }
            Band::NotScreened => prop_assert!(false, "version 1 has no outcome not screened"),
        }
    }

    #[test]
    fn derived_flags_match_their_definitions(answers in arb_answers()) {
        let outcome = score(&answers);
        let red_flags = expected_red_flags(&answers).len();
        let declined = expected_declined(&answers).len();
        prop_assert_eq!(
            outcome.further_investigation,
            red_flags >= 1 || outcome.band != Band::Casual
        );
        prop_assert_eq!(outcome.referral, outcome.band == Band::Addicted);
        prop_assert_eq!(outcome.provisional, red_flags >= 1 && answers.pattern.is_none());
        prop_assert_eq!(outcome.incomplete, declined >= 2);
    }
}
