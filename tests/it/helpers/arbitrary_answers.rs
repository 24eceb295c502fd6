//! Arbitrary answers for the scoring rules' property tests, and the red flags and declined
//! questions as PRODUCT §2.1 and §2.3 define them, written independently of the crate. Shared by
//! the rules' property tests of every version and `result_wording`.

use std::collections::BTreeSet;

use intake_screener::screening::IntakeQuestion::{
    ConcernExpressed as Q1, Escape as Q3, OthersDisturbed as Q5, Secrets as Q4, SelfConcern as Q2,
    Shame as Q6,
};
use intake_screener::screening::{
    Answers, Coded, Control, CopingCode, EscapeAnswer, Indicator, IntakeQuestion, Pattern, Reply,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

pub fn arb_reply() -> impl Strategy<Value = Reply> {
    prop::sample::select(Reply::ALL)
}

pub fn arb_escape() -> impl Strategy<Value = EscapeAnswer> {
    prop_oneof![
        1 => Just(EscapeAnswer::Declined),
        5 => prop::sample::subsequence(CopingCode::ALL.to_vec(), 1..=6)
            .prop_map(|codes| EscapeAnswer::Ways(codes.into_iter().collect())),
    ]
}

pub fn arb_pattern() -> impl Strategy<Value = Option<Pattern>> {
    prop::option::of(prop::sample::select(Pattern::ALL))
}

pub fn arb_control() -> impl Strategy<Value = Control> {
    prop::sample::select(Control::ALL)
}

pub fn arb_observed() -> impl Strategy<Value = BTreeSet<Indicator>> {
    prop_oneof![
        1 => Just(BTreeSet::new()),
        3 => prop::collection::vec(prop::bool::weighted(0.3), Indicator::ALL.len()).prop_map(
            |picks| {
                Indicator::ALL
                    .iter()
                    .zip(picks)
                    .filter(|(_, picked)| *picked)
                    .map(|(&indicator, _)| indicator)
                    .collect()
            }
        ),
    ]
}

/// Any valid set of answers.
pub fn arb_answers() -> impl Strategy<Value = Answers> {
    (
        (arb_reply(), arb_reply(), arb_escape()),
        (arb_reply(), arb_reply(), arb_reply()),
        (arb_pattern(), arb_control(), arb_observed()),
    )
        .prop_map(
            |(
                (concern_expressed, self_concern, escape),
                (secrets, others_disturbed, shame),
                (pattern, control, observed),
            )| Answers {
                concern_expressed,
                self_concern,
                escape,
                secrets,
                others_disturbed,
                shame,
                pattern,
                control,
                observed,
            },
        )
}

/// The reply to a yes/no question (None for question 3).
pub fn reply_mut(answers: &mut Answers, question: IntakeQuestion) -> Option<&mut Reply> {
    match question {
        Q1 => Some(&mut answers.concern_expressed),
        Q2 => Some(&mut answers.self_concern),
        Q3 => None,
        Q4 => Some(&mut answers.secrets),
        Q5 => Some(&mut answers.others_disturbed),
        Q6 => Some(&mut answers.shame),
    }
}

/// PRODUCT §2.1, written independently of the crate: the questions raising a red flag.
pub fn expected_red_flags(answers: &Answers) -> Vec<IntakeQuestion> {
    IntakeQuestion::ALL
        .into_iter()
        .filter(|&question| {
            let mut answers = answers.clone();
            match reply_mut(&mut answers, question) {
                Some(reply) => *reply == Reply::Yes,
                None => match &answers.escape {
                    EscapeAnswer::Declined => false,
                    EscapeAnswer::Ways(ways) => ways.iter().any(|way| {
                        matches!(
                            way.code(),
                            "masturbation"
                                | "pornography"
                                | "sexual_chat_or_webcam"
                                | "dating_or_hookup_apps"
                                | "romantic_or_sexual_fantasy"
                        )
                    }),
                },
            }
        })
        .collect()
}

/// PRODUCT §2.3: the questions declined.
pub fn expected_declined(answers: &Answers) -> Vec<IntakeQuestion> {
    IntakeQuestion::ALL
        .into_iter()
        .filter(|&question| {
            let mut answers = answers.clone();
            match reply_mut(&mut answers, question) {
                Some(reply) => *reply == Reply::Declined,
                None => answers.escape == EscapeAnswer::Declined,
            }
        })
        .collect()
}

/// `config` with failing cases kept beside the test's source file
/// (`tests/it/NAME.proptest-regressions`), as they were before the tests became one binary:
/// proptest's default would now write them to `tests/proptest-regressions/NAME.txt`, since
/// `tests/it/` has a `main.rs`.
pub fn regressions_beside_source(config: ProptestConfig) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..config
    }
}
