//! Rules versions 1 and 2 are pinned: their whole output over a fixed, exhaustive-enough set of
//! answers is folded into one SHA-256 digest per version, and the digest is a constant here.
//!
//! A stored result keeps the rules version it was scored with and is shown with that version's
//! band and reasons (PRODUCT §2.3: "A change to the rules is a new version"). Versions 1 and 2
//! therefore never change: not their bands, not their derived flags, not a word of their
//! reasons. This test makes any such drift fail, including an edit that looks harmless (a
//! reason reworded, a helper shared with version 3 "fixed", an indicator's description edited
//! in `src/screening/questions.rs` that version 1 or 2 quotes).
//!
//! What is enumerated: every combination of q1, q2, q4, q5 and q6 in {yes, no, declined}
//! (243), q3 in {[exercise], [pornography], [declined]}, the pattern in {not assessed, none,
//! occasional, intense_periods, compulsive}, control in {not_assessed, retained, lost}, and the
//! observed indicators as one of eight sets (none, each one alone, all six): 87 480 answers, each
//! scored by version 1 and by version 2. Everything the result document carries
//! (`Outcome::to_document`, PRODUCT §3.3: band, red flags, declined, the four flags and the
//! words of every reason) goes into the version's digest, in enumeration order, folded so that
//! the same long reason texts are not hashed 87 480 times (see [`pin`]; the test takes a
//! couple of seconds unoptimized), and every 41st document is also hashed whole, as JSON with
//! sorted keys. The counts per band and flag are asserted beside the digest, so that a failure
//! says something readable about what moved.
//!
//! The constants were computed once, from the code of release 8bb4774, whose `rules/v1.rs` and
//! `rules/v2.rs` were moved unchanged from release 26db736 (`git diff -M 26db736 8bb4774`
//! shows only imports and the shared types moving to `rules/mod.rs`).
//!
//! **If this test fails, do not update the constants.** Changing what version 1 or 2 says
//! about any input means stored results would be re-explained by rules they were not scored
//! with: make the change a new rules version (PRODUCT §2.3) and leave versions 1 and 2 as they
//! are. Regenerate the constants only when the *enumeration* in this file itself changes
//! (never the rules) or the way [`pin`] folds them: check out the last commit at which this
//! test passed, apply the change to this file only, run `cargo test --test rules_pinned` and
//! copy the values each failure message prints as "got" (digest and counts) into the
//! constants below, in a commit that changes nothing else.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

use intake_screener::screening::{
    Answers, Band, Coded, Control, CopingCode, EscapeAnswer, Indicator, IntakeQuestion, Outcome,
    Pattern, Reason, ReasonV2, Reply, RulesVersion,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// SHA-256 over version 1's results for every enumerated answer (see the module doc and [`pin`]).
const V1_DIGEST: &str = "844eb27548563e224ea00d4cdf3bd06a3d5d429c69eb17da526cef8574fe761f";
/// SHA-256 over version 2's results for every enumerated answer.
const V2_DIGEST: &str = "1d13a1f4c1cc217264bc00587ca136ecd98d5176b1c767ba80479b7076aef17a";

/// How many of the enumerated answers each version puts in each band and flag, as
/// `(band or flag, count)`, sorted by name.
const V1_COUNTS: &[(&str, usize)] = &[
    ("band addicted", 14580),
    ("band at_risk", 69924),
    ("band casual", 2976),
    ("distinct reason lists", 179),
    ("distinct reasons", 20),
    ("further_investigation", 87096),
    ("incomplete", 56760),
    ("provisional", 15960),
    ("referral", 14580),
];
const V2_COUNTS: &[(&str, usize)] = &[
    ("band addicted", 26973),
    ("band at_risk", 54555),
    ("band casual", 5952),
    ("distinct reason lists", 138),
    ("distinct reasons", 18),
    ("further_investigation", 86712),
    ("incomplete", 56760),
    ("provisional", 41770),
    ("referral", 26973),
];

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

/// Values seen while folding, each with its index in the order first seen and the words the
/// digest covers for it.
struct Table<K> {
    index: HashMap<K, u32>,
    entries: Vec<String>,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new() -> Self {
        Table {
            index: HashMap::new(),
            entries: Vec::new(),
        }
    }

    /// The index of `key`, describing it (once) by `describe`.
    fn intern(&mut self, key: &K, describe: impl FnOnce(&mut Self) -> String) -> u32 {
        if let Some(&index) = self.index.get(key) {
            return index;
        }
        let entry = describe(self);
        let index = u32::try_from(self.entries.len()).expect("fewer than 2^32 values");
        self.entries.push(entry);
        self.index.insert(key.clone(), index);
        index
    }

    fn feed(&self, name: &str, hasher: &mut Sha256) {
        hasher.update(format!("{name} {}\n", self.entries.len()));
        for entry in &self.entries {
            hasher.update(entry.as_bytes());
            hasher.update(b"\n");
        }
    }
}

/// What one version says about every enumerated answer: the digest and the counts.
#[derive(Debug, PartialEq, Eq)]
struct Pin {
    digest: String,
    counts: Vec<(String, usize)>,
}

/// One in this many inputs also has its whole result document (PRODUCT §3.3), as JSON with sorted
/// keys, in the digest.
const DOCUMENT_SAMPLE: usize = 41;

/// Folds everything `version` says about `answers` into a digest.
///
/// Hashing all 174 960 result documents in full takes half a minute unoptimized (the same
/// long reason texts serialized and hashed over and over), so the digest covers the same
/// information without repeats: for each input, in enumeration order, one fixed-size record
/// (the band, the four flags, the red-flag list, the declined list and the reason list, as
/// indices); then every distinct band code, question list (as §3.3 field names) and reason
/// list (as indices of reasons), and the words of every distinct reason (`Reason::text`,
/// exactly what the document carries), each in the order first seen; then the whole document
/// of every [`DOCUMENT_SAMPLE`]th input, which pins the document's shape and checks that the
/// structured fields are what the document says.
fn pin<R: Copy + Hash + Eq>(
    version: RulesVersion,
    answers: &[Answers],
    reasons_of: fn(&Outcome) -> &[R],
    text: fn(R) -> String,
) -> Pin {
    let mut records = Vec::with_capacity(answers.len() * 14);
    let mut documents = Sha256::new();
    let mut bands: Table<Band> = Table::new();
    let mut lists: Table<Vec<IntakeQuestion>> = Table::new();
    let mut reason_lists: Table<Vec<R>> = Table::new();
    let mut reasons: Table<R> = Table::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (position, answers) in answers.iter().enumerate() {
        let outcome = version.score(answers);
        assert_eq!(outcome.rules_version, version);
        let flags = [
            ("further_investigation", outcome.further_investigation),
            ("referral", outcome.referral),
            ("provisional", outcome.provisional),
            ("incomplete", outcome.incomplete),
        ];
        *counts
            .entry(format!("band {}", outcome.band.code()))
            .or_default() += 1;
        let mut flag_bits = 0u16;
        for (bit, (name, set)) in flags.into_iter().enumerate() {
            if set {
                flag_bits |= 1 << bit;
                *counts.entry(name.to_owned()).or_default() += 1;
            }
        }
        let band = bands.intern(&outcome.band, |_| outcome.band.code().to_owned());
        let mut list = |questions: &Vec<IntakeQuestion>| {
            lists.intern(questions, |_| {
                let fields: Vec<&str> = questions.iter().map(|question| question.field()).collect();
                fields.join(",")
            })
        };
        let red_flags = list(&outcome.red_flags);
        let declined = list(&outcome.declined);
        let clauses = reasons_of(&outcome).to_vec();
        let reason_list = reason_lists.intern(&clauses, |_| {
            let indices: Vec<String> = clauses
                .iter()
                .map(|&reason| reasons.intern(&reason, |_| text(reason)).to_string())
                .collect();
            indices.join(",")
        });
        for value in [band, u32::from(flag_bits), red_flags, declined, reason_list] {
            records.extend_from_slice(&value.to_be_bytes()[1..]);
        }
        if position % DOCUMENT_SAMPLE == 0 {
            let Value::Object(fields) = outcome.to_document() else {
                panic!("a result document is a JSON object");
            };
            let sorted: BTreeMap<String, Value> = fields.into_iter().collect();
            let texts: Vec<String> = clauses.iter().map(|&reason| text(reason)).collect();
            assert_eq!(sorted["reasons"], serde_json::json!(texts));
            documents.update(serde_json::to_vec(&sorted).expect("a document serializes"));
            documents.update(b"\n");
        }
    }
    counts.insert(
        "distinct reason lists".to_owned(),
        reason_lists.entries.len(),
    );
    counts.insert("distinct reasons".to_owned(), reasons.entries.len());

    let mut hasher = Sha256::new();
    hasher.update(format!("records {}\n", answers.len()));
    hasher.update(&records);
    bands.feed("bands", &mut hasher);
    lists.feed("question lists", &mut hasher);
    reason_lists.feed("reason lists", &mut hasher);
    reasons.feed("reasons", &mut hasher);
    hasher.update(b"documents\n");
    hasher.update(documents.finalize());
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

/// Compares what a version says now with its pinned constants, reporting both at once.
fn assert_pinned(version: RulesVersion, got: Pin, want: Pin) {
    let mut failures = Vec::new();
    if got.counts != want.counts {
        failures.push(format!(
            "the number of results per band or flag moved\n    want {:?}\n    got  {:?}",
            want.counts, got.counts
        ));
    }
    if got.digest != want.digest {
        failures.push(format!(
            "the results (band, flags, lists or reason words) changed\n    want {}\n    got  {}",
            want.digest, got.digest
        ));
    }
    assert!(
        failures.is_empty(),
        "Rules version {version} changed. A released rules version must never change (PRODUCT \
         §2.3: a change to the rules is a new version): do not update the constants in \
         tests/rules_pinned.rs, make the change a new rules version instead.\n{}",
        failures.join("\n")
    );
}

#[test]
fn version_1_says_exactly_what_it_said_when_released() {
    let got = pin(
        RulesVersion::V1,
        &enumerated_answers(),
        |outcome| outcome.reasons.v1().expect("version-1 reasons"),
        Reason::text,
    );
    assert_pinned(RulesVersion::V1, got, expected(V1_DIGEST, V1_COUNTS));
}

#[test]
fn version_2_says_exactly_what_it_said_when_released() {
    let got = pin(
        RulesVersion::V2,
        &enumerated_answers(),
        |outcome| outcome.reasons.v2().expect("version-2 reasons"),
        ReasonV2::text,
    );
    assert_pinned(RulesVersion::V2, got, expected(V2_DIGEST, V2_COUNTS));
}
