//! Rules versions 1 and 2 are pinned: their whole output over a fixed, exhaustive-enough set of
//! answers is folded into one SHA-256 digest per version, and the digest is a constant here.
//!
//! A stored result keeps the rules version it was scored with and is shown with that version's
//! band and reasons (SPEC §2.3: "A change to the rules is a new version"). Versions 1 and 2
//! therefore never change: not their bands, not their derived flags, not a word of their
//! reasons. This test makes any such drift fail, including an edit that looks harmless (a
//! reason reworded, a helper shared with version 3 "fixed", an indicator's description edited
//! in `src/screening/questions.rs` that version 1 or 2 quotes).
//!
//! What is enumerated: every combination of q1, q2, q4, q5 and q6 in {yes, no, declined}
//! (243), q3 in {[exercise], [pornography], [declined]}, the pattern in {not assessed, none,
//! occasional, intense_periods, compulsive}, control in {not_assessed, retained, lost}, and the
//! observed indicators as one of eight sets (none, each one alone, all six): 87 480 answers, each
//! scored by version 1 and by version 2. The whole result document (`Outcome::to_document`,
//! SPEC §3.3, reasons included) is serialized as JSON with its keys sorted and one newline
//! after it, in enumeration order, into the version's digest. The counts per band and flag
//! are asserted first, so that a failure says something readable about what moved.
//!
//! The constants were computed once, from the code of release 8bb4774, whose `rules/v1.rs` and
//! `rules/v2.rs` were moved unchanged from release 26db736 (`git diff -M 26db736 8bb4774`
//! shows only imports and the shared types moving to `rules/mod.rs`).
//!
//! **If this test fails, do not update the constants.** Changing what version 1 or 2 says
//! about any input means stored results would be re-explained by rules they were not scored
//! with: make the change a new rules version (SPEC §2.3) and leave versions 1 and 2 as they
//! are. Regenerate the constants only when the *enumeration* in this file itself changes
//! (never the rules): run `cargo test --test rules_pinned` and copy the values the failure
//! message prints as "got" (digests and counts) into the constants below, in a commit that
//! changes nothing else.

use std::collections::{BTreeMap, BTreeSet};

use intake_screener::screening::{
    Answers, Control, CopingCode, EscapeAnswer, Indicator, Outcome, Pattern, Reply, RulesVersion,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// SHA-256 over version 1's result documents for every enumerated answer (see the module doc).
const V1_DIGEST: &str = "TBD";
/// SHA-256 over version 2's result documents for every enumerated answer.
const V2_DIGEST: &str = "TBD";

/// How many of the enumerated answers each version puts in each band and flag, as
/// `(band or flag, count)`, sorted by name.
const V1_COUNTS: &[(&str, usize)] = &[];
const V2_COUNTS: &[(&str, usize)] = &[];

/// The number of enumerated answers: 3^5 × 3 × 5 × 3 × 8.
const ANSWERS: usize = 87_480;

// The value sets are spelled out here rather than taken from `Coded::ALL`, so that reordering
// the form's options cannot reorder the enumeration.
const REPLIES: [Reply; 3] = [Reply::Yes, Reply::No, Reply::Declined];
const PATTERNS: [Option<Pattern>; 5] = [
    None,
    Some(Pattern::None),
    Some(Pattern::Occasional),
    Some(Pattern::IntensePeriods),
    Some(Pattern::Compulsive),
];
const CONTROLS: [Control; 3] = [Control::NotAssessed, Control::Retained, Control::Lost];
const INDICATORS: [Indicator; 6] = [
    Indicator::EscapeUse,
    Indicator::Secrecy,
    Indicator::Escalation,
    Indicator::DespiteConsequences,
    Indicator::FunctioningImpaired,
    Indicator::MinimizesOrBlames,
];
/// Observed indicators as bit masks over [`INDICATORS`]: none, each alone, all six.
const MASKS: [u8; 8] = [0, 1, 2, 4, 8, 16, 32, 0b11_1111];

fn escapes() -> [EscapeAnswer; 3] {
    [
        EscapeAnswer::Ways(BTreeSet::from([CopingCode::Exercise])),
        EscapeAnswer::Ways(BTreeSet::from([CopingCode::Pornography])),
        EscapeAnswer::Declined,
    ]
}

/// Every enumerated set of answers, in a fixed order.
fn enumerated_answers() -> Vec<Answers> {
    let mut all = Vec::with_capacity(ANSWERS);
    for replies in 0..REPLIES.len().pow(5) {
        let reply = |position: u32| REPLIES[replies / REPLIES.len().pow(position) % REPLIES.len()];
        for escape in escapes() {
            for pattern in PATTERNS {
                for control in CONTROLS {
                    for mask in MASKS {
                        all.push(Answers {
                            concern_expressed: reply(0),
                            self_concern: reply(1),
                            escape: escape.clone(),
                            secrets: reply(2),
                            others_disturbed: reply(3),
                            shame: reply(4),
                            pattern,
                            control,
                            observed: INDICATORS
                                .iter()
                                .enumerate()
                                .filter(|(bit, _)| mask & (1 << bit) != 0)
                                .map(|(_, &indicator)| indicator)
                                .collect(),
                        });
                    }
                }
            }
        }
    }
    all
}

/// The result document as bytes, keys sorted whatever serde_json's map order is.
fn canonical_document(outcome: &Outcome) -> Vec<u8> {
    let Value::Object(fields) = outcome.to_document() else {
        panic!("a result document is a JSON object");
    };
    let sorted: BTreeMap<String, Value> = fields.into_iter().collect();
    serde_json::to_vec(&sorted).expect("a result document serializes")
}

/// What one version says about every enumerated answer: the digest and the counts.
#[derive(Debug, PartialEq, Eq)]
struct Pin {
    digest: String,
    counts: Vec<(String, usize)>,
}

fn pin(version: RulesVersion, answers: &[Answers]) -> Pin {
    let mut hasher = Sha256::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for answers in answers {
        let outcome = version.score(answers);
        assert_eq!(outcome.rules_version, version);
        hasher.update(canonical_document(&outcome));
        hasher.update(b"\n");
        let document = outcome.to_document();
        let band = document["band"].as_str().expect("a band code").to_owned();
        *counts.entry(format!("band {band}")).or_default() += 1;
        for flag in [
            "further_investigation",
            "referral",
            "provisional",
            "incomplete",
        ] {
            if document[flag] == Value::Bool(true) {
                *counts.entry(flag.to_owned()).or_default() += 1;
            }
        }
    }
    let digest = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Pin {
        digest,
        counts: counts.into_iter().collect(),
    }
}

fn expected(digest: &str, counts: &[(&str, usize)]) -> Pin {
    Pin {
        digest: digest.to_owned(),
        counts: counts
            .iter()
            .map(|&(name, count)| (name.to_owned(), count))
            .collect(),
    }
}

#[test]
fn the_enumeration_is_what_the_constants_were_computed_from() {
    let answers = enumerated_answers();
    assert_eq!(answers.len(), ANSWERS);
    let distinct: std::collections::HashSet<&Answers> = answers.iter().collect();
    assert_eq!(
        distinct.len(),
        ANSWERS,
        "every enumerated answer is different"
    );
}

#[test]
fn versions_1_and_2_say_exactly_what_they_said_when_released() {
    let answers = enumerated_answers();
    let mut failures = Vec::new();
    for (version, want) in [
        (RulesVersion::V1, expected(V1_DIGEST, V1_COUNTS)),
        (RulesVersion::V2, expected(V2_DIGEST, V2_COUNTS)),
    ] {
        let got = pin(version, &answers);
        if got.counts != want.counts {
            failures.push(format!(
                "rules version {version}: the number of results per band or flag moved\n    \
                 want {:?}\n    got  {:?}",
                want.counts, got.counts
            ));
        }
        if got.digest != want.digest {
            failures.push(format!(
                "rules version {version}: the result documents (band, flags or reason words) \
                 changed\n    want {}\n    got  {}",
                want.digest, got.digest
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "Rules versions 1 and 2 must never change (SPEC §2.3: a change to the rules is a new \
         version). Do not update the constants in tests/rules_pinned.rs; make the change a new \
         rules version instead.\n{}",
        failures.join("\n")
    );
}

#[test]
fn zz_timing() {
    let answers = enumerated_answers();
    let t = std::time::Instant::now();
    let outs: Vec<Outcome> = answers.iter().map(|a| RulesVersion::V2.score(a)).collect();
    eprintln!("score {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let docs: Vec<Value> = outs.iter().map(|o| o.to_document()).collect();
    eprintln!("to_document {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let bytes: Vec<Vec<u8>> = docs
        .iter()
        .map(|d| serde_json::to_vec(d).unwrap())
        .collect();
    eprintln!(
        "serialize {:?} total {}",
        t.elapsed(),
        bytes.iter().map(|b| b.len()).sum::<usize>()
    );
    let t = std::time::Instant::now();
    let mut h = Sha256::new();
    for b in &bytes {
        h.update(b);
    }
    let _ = h.finalize();
    eprintln!("sha {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut set = std::collections::HashMap::new();
    for b in &bytes {
        let n = set.len();
        set.entry(b.clone()).or_insert(n);
    }
    eprintln!("dedupe {:?} distinct {}", t.elapsed(), set.len());
}
