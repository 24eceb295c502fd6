//! The answers of an interrupted intake, kept as a draft (PRODUCT §6.1): coded values only, any
//! of them possibly missing. The same codes as a screening's answers; a draft is never scored.

use std::collections::{BTreeMap, BTreeSet};

use super::answers::{AnswerErrors, Answers, EscapeAnswer, FieldError, is_answer_field};
use super::questions::{CONTROL_FIELD, ESCAPE_DECLINED, PATTERN_FIELD};
use super::{Coded, Control, CopingCode, Indicator, IntakeQuestion, Pattern, Reply};

/// What was recorded so far: the intake questions answered, and the details section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftAnswers {
    /// Questions 1, 2, 4, 5 and 6, those answered.
    pub replies: BTreeMap<IntakeQuestion, Reply>,
    /// Question 3, when answered.
    pub escape: Option<EscapeAnswer>,
    pub pattern: Option<Pattern>,
    pub control: Control,
    pub observed: BTreeSet<Indicator>,
}

impl DraftAnswers {
    /// Reads the answer fields of the screening form (PRODUCT §3.4), as far as they are given.
    /// A question not answered (absent or empty) is simply missing; a value that is given
    /// but is not one of the form's codes (or a field the form does not have, or one given
    /// twice) is refused with the same message the screening form would give, so a draft
    /// never holds anything but codes and never silently drops an answer.
    pub fn from_form<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<DraftAnswers, AnswerErrors> {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        let given = |field: &str| {
            !is_answer_field(field)
                || pairs
                    .iter()
                    .any(|(name, value)| *name == field && !value.is_empty())
        };
        if let Err(errors) = Answers::from_form(pairs.iter().copied()) {
            let refused: Vec<FieldError> = errors
                .0
                .into_iter()
                .filter(|error| given(&error.field))
                .collect();
            if !refused.is_empty() {
                return Err(AnswerErrors(refused));
            }
        }
        // Every value given is valid now: only the codes remain to be read.
        let values = |field: &str| -> Vec<&str> {
            pairs
                .iter()
                .filter(|(name, value)| *name == field && !value.is_empty())
                .map(|(_, value)| *value)
                .collect()
        };
        let mut draft = DraftAnswers::default();
        for question in IntakeQuestion::ALL {
            let given = values(question.field());
            if given.is_empty() {
                continue;
            }
            if question == IntakeQuestion::Escape {
                draft.escape = if given.contains(&ESCAPE_DECLINED) {
                    Some(EscapeAnswer::Declined)
                } else {
                    let ways: BTreeSet<CopingCode> = given
                        .iter()
                        .filter_map(|code| CopingCode::from_code(code))
                        .collect();
                    (!ways.is_empty()).then_some(EscapeAnswer::Ways(ways))
                };
            } else if let Some(reply) = Reply::from_code(given[0]) {
                draft.replies.insert(question, reply);
            }
        }
        draft.pattern = values(PATTERN_FIELD)
            .first()
            .and_then(|code| Pattern::from_code(code));
        draft.control = values(CONTROL_FIELD)
            .first()
            .and_then(|code| Control::from_code(code))
            .unwrap_or_default();
        draft.observed = Indicator::ALL
            .iter()
            .copied()
            .filter(|indicator| {
                values(indicator.code())
                    .first()
                    .is_some_and(|value| super::answers::is_ticked(value))
            })
            .collect();
        Ok(draft)
    }

    /// The stored code of an intake question, when answered: its reply, or question 3's
    /// codes joined by single spaces (as a screening stores them).
    pub fn intake_code(&self, question: IntakeQuestion) -> Option<String> {
        if question == IntakeQuestion::Escape {
            self.escape.as_ref().map(|escape| escape.codes().join(" "))
        } else {
            self.replies
                .get(&question)
                .map(|reply| reply.code().to_owned())
        }
    }

    /// How many of the six intake questions are answered.
    pub fn answered(&self) -> usize {
        self.replies.len() + usize::from(self.escape.is_some())
    }

    /// True when anything of the details section was recorded.
    pub fn has_details(&self) -> bool {
        self.pattern.is_some() || self.control != Control::NotAssessed || !self.observed.is_empty()
    }

    /// The answers as the screening form's fields, to fill the form in again.
    pub fn to_form(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for question in IntakeQuestion::ALL {
            let field = question.field().to_owned();
            if question == IntakeQuestion::Escape {
                if let Some(escape) = &self.escape {
                    pairs.extend(
                        escape
                            .codes()
                            .into_iter()
                            .map(|code| (field.clone(), code.to_owned())),
                    );
                }
            } else if let Some(reply) = self.replies.get(&question) {
                pairs.push((field, reply.code().to_owned()));
            }
        }
        if let Some(pattern) = self.pattern {
            pairs.push((PATTERN_FIELD.to_owned(), pattern.code().to_owned()));
        }
        pairs.push((CONTROL_FIELD.to_owned(), self.control.code().to_owned()));
        for indicator in &self.observed {
            pairs.push((indicator.code().to_owned(), "on".to_owned()));
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_answers_are_missing_and_given_ones_are_kept() {
        let draft = DraftAnswers::from_form([
            ("q1_concern_expressed", "yes"),
            ("q3_escape", "pornography"),
            ("q3_escape", "exercise"),
            ("q5_others_disturbed", ""),
            ("pattern", ""),
            ("control", "lost"),
            ("secrecy", "on"),
        ])
        .unwrap();
        assert_eq!(draft.answered(), 2);
        assert_eq!(
            draft
                .intake_code(IntakeQuestion::ConcernExpressed)
                .as_deref(),
            Some("yes")
        );
        assert_eq!(
            draft.intake_code(IntakeQuestion::Escape).as_deref(),
            Some("pornography exercise")
        );
        assert_eq!(draft.intake_code(IntakeQuestion::OthersDisturbed), None);
        assert_eq!(draft.pattern, None);
        assert_eq!(draft.control, Control::Lost);
        assert!(draft.observed.contains(&Indicator::Secrecy));
        let again = DraftAnswers::from_form(
            draft
                .to_form()
                .iter()
                .map(|(field, value)| (field.as_str(), value.as_str())),
        )
        .unwrap();
        assert_eq!(again, draft, "the form's fields read back the same");
        assert_eq!(
            DraftAnswers::from_form([]).unwrap(),
            DraftAnswers::default()
        );
    }

    #[test]
    fn anything_but_codes_is_refused_naming_the_field() {
        for (pairs, field) in [
            (
                vec![("q1_concern_expressed", "Jane Doe")],
                "q1_concern_expressed",
            ),
            (
                vec![
                    ("q1_concern_expressed", "yes"),
                    ("q1_concern_expressed", "no"),
                ],
                "q1_concern_expressed",
            ),
            (
                vec![("q3_escape", "declined"), ("q3_escape", "work")],
                "q3_escape",
            ),
            (vec![("q3_escape", "a long story")], "q3_escape"),
            (vec![("pattern", "daily")], "pattern"),
            (vec![("secrecy", "maybe")], "secrecy"),
            (vec![("notes", "born 1990")], "notes"),
        ] {
            let errors = DraftAnswers::from_form(pairs.clone()).unwrap_err();
            assert!(errors.for_field(field).is_some(), "{pairs:?}: {errors}");
        }
    }
}
