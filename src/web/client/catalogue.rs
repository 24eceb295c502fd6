//! Every word the client reads, one catalogue per language. A language is one file filling a
//! [`Catalogue`] plus its entry in the client view's list ([`super::languages::ALL`]); the
//! tests below hold every catalogue to the same rules (complete, plain, and free of clinical
//! verdicts).

use crate::screening::{Coded, CopingCode, IntakeQuestion};

/// The words of the client view in one language.
#[derive(Debug)]
pub struct Catalogue {
    /// ISO 639-1 code, as stored with the screening and used in `?lang=`.
    pub code: &'static str,
    /// The language's name in itself, for the language switch ("Español").
    pub own_name: &'static str,
    /// The language's name in English, for the clinician's result page ("Spanish").
    pub english_name: &'static str,
    /// True when the wording is this app's own translation of the article's questions.
    pub is_translation: bool,

    pub page_title: &'static str,
    pub heading: &'static str,
    /// Paragraphs at the top of the questions.
    pub intro: &'static [&'static str],
    pub language_label: &'static str,
    /// After switching language, some answers could not be kept: `{questions}` names them.
    pub switch_dropped: &'static str,
    /// The six questions, in question order.
    pub questions: [&'static str; 6],
    /// "Question 3" and the like, before a question's text: `{n}` is the number.
    pub question_number: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub prefer_not: &'static str,
    /// Under question 3.
    pub escape_hint: &'static str,
    /// The ways of escaping of question 3, each with its code: labels are found by code, so
    /// the order here is free (the client sees them in their own order, `COPING_ORDER`).
    pub coping: [(CopingCode, &'static str); 14],
    pub submit: &'static str,

    pub errors_heading: &'static str,
    pub error_prefix: &'static str,
    pub error_choose_one: &'static str,
    pub error_choose_ways: &'static str,
    pub error_prefer_not_alone: &'static str,
    pub error_not_understood: &'static str,
    /// The form was open too long or came from elsewhere; the answers are kept.
    pub form_expired: &'static str,

    pub thanks_title: &'static str,
    pub thanks_text: &'static str,
    pub match_words_intro: &'static str,
    pub hand_back: &'static str,
    pub therapist_continue: &'static str,
    pub close_page: &'static str,

    /// The link was answered already.
    pub used_title: &'static str,
    pub used_text: &'static str,
    /// The link's time ran out.
    pub expired_title: &'static str,
    pub expired_text: &'static str,
    /// The clinician cancelled the link or made a new one.
    pub cancelled_title: &'static str,
    pub cancelled_text: &'static str,
    pub unknown_title: &'static str,
    pub unknown_text: &'static str,
    pub too_many_title: &'static str,
    pub too_many_text: &'static str,
    /// A handed-over device, lent for one client's questions, was given another link.
    pub other_invitation_title: &'static str,
    pub other_invitation_text: &'static str,
    /// Anything else that went wrong (a server error, a refused request).
    pub trouble_title: &'static str,
    pub trouble_text: &'static str,

    /// Before the citation of the questions' source ("Questions adapted from").
    pub source: &'static str,
}

impl Catalogue {
    /// The text of one question.
    pub fn question(&self, question: IntakeQuestion) -> &'static str {
        self.questions[usize::from(question.number() - 1)]
    }

    /// The words for one way of escaping. Every catalogue labels every code (a test holds
    /// each to it); were one missing, the stored code would show, never another way's words.
    pub fn coping(&self, code: CopingCode) -> &'static str {
        self.coping
            .iter()
            .find(|(each, _)| *each == code)
            .map_or(code.code(), |(_, words)| words)
    }

    /// "Question 3".
    pub fn numbered(&self, question: IntakeQuestion) -> String {
        self.question_number
            .replace("{n}", &question.number().to_string())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Words that must never reach a client: verdicts, bands, flags and referrals.
    const VERDICTS: &[&str] = &[
        "band",
        "red flag",
        "risk",
        "addict",
        "casual",
        "referral",
        "diagnos",
        "score",
        "result",
        "bandera",
        "riesgo",
        "adic",
        "derivaci",
        "diagnóst",
        "puntua",
        "resultado",
        "specialist",
        "especialista",
        "compulsive",
        "compulsiv",
    ];

    /// Holds one catalogue to the rules every language shares.
    pub fn check(catalogue: &Catalogue) {
        assert_eq!(catalogue.code.len(), 2, "{}", catalogue.code);
        assert!(
            super::super::languages::find(catalogue.code).is_some(),
            "{} is listed in ALL",
            catalogue.code
        );
        let mut texts: Vec<&str> = vec![
            catalogue.own_name,
            catalogue.english_name,
            catalogue.page_title,
            catalogue.heading,
            catalogue.language_label,
            catalogue.switch_dropped,
            catalogue.question_number,
            catalogue.yes,
            catalogue.no,
            catalogue.prefer_not,
            catalogue.escape_hint,
            catalogue.submit,
            catalogue.errors_heading,
            catalogue.error_prefix,
            catalogue.error_choose_one,
            catalogue.error_choose_ways,
            catalogue.error_prefer_not_alone,
            catalogue.error_not_understood,
            catalogue.form_expired,
            catalogue.thanks_title,
            catalogue.thanks_text,
            catalogue.match_words_intro,
            catalogue.hand_back,
            catalogue.therapist_continue,
            catalogue.close_page,
            catalogue.used_title,
            catalogue.used_text,
            catalogue.expired_title,
            catalogue.expired_text,
            catalogue.cancelled_title,
            catalogue.cancelled_text,
            catalogue.unknown_title,
            catalogue.unknown_text,
            catalogue.too_many_title,
            catalogue.too_many_text,
            catalogue.other_invitation_title,
            catalogue.other_invitation_text,
            catalogue.trouble_title,
            catalogue.trouble_text,
            catalogue.source,
        ];
        texts.extend(catalogue.intro);
        texts.extend(catalogue.questions);
        texts.extend(catalogue.coping.map(|(_, words)| words));
        for text in &texts {
            assert!(!text.trim().is_empty(), "{}: an empty text", catalogue.code);
            // PRODUCT §6.2's "encuentros casuales" (hook-ups) is no band.
            let lower = text
                .to_lowercase()
                .replace("encuentros casuales", "encuentros");
            for verdict in VERDICTS {
                assert!(
                    !lower.contains(verdict),
                    "{}: {text:?} says {verdict:?}, which a client must never read",
                    catalogue.code
                );
            }
        }
        assert!(catalogue.question_number.contains("{n}"));
        assert!(catalogue.switch_dropped.contains("{questions}"));
        // Used, expired and cancelled links are three different pages.
        let gone = [
            catalogue.used_title,
            catalogue.expired_title,
            catalogue.cancelled_title,
        ];
        assert!(
            gone[0] != gone[1] && gone[1] != gone[2] && gone[0] != gone[2],
            "{}: {gone:?}",
            catalogue.code
        );
        let mut coping = catalogue.coping.map(|(_, words)| words).to_vec();
        coping.sort_unstable();
        coping.dedup();
        assert_eq!(
            coping.len(),
            14,
            "{}: two ways read the same",
            catalogue.code
        );
        for &code in CopingCode::ALL {
            let labels = catalogue
                .coping
                .iter()
                .filter(|(each, _)| *each == code)
                .count();
            assert_eq!(
                labels, 1,
                "{}: {code:?} has {labels} labels",
                catalogue.code
            );
        }
        for question in catalogue.questions {
            assert!(question.ends_with('?'), "{}: {question:?}", catalogue.code);
        }
    }

    #[test]
    fn coping_labels_follow_their_codes_in_any_order() {
        for catalogue in super::super::languages::ALL {
            let mut reordered = Catalogue { ..**catalogue };
            reordered.coping.reverse();
            reordered.coping.swap(0, 7);
            for (code, words) in catalogue.coping {
                assert_eq!(
                    reordered.coping(code),
                    words,
                    "{}: {code:?}",
                    catalogue.code
                );
            }
        }
        assert_eq!(
            super::super::es::ES.coping(CopingCode::SexualChatOrWebcam),
            "Chat o videollamadas sexuales (webcam)"
        );
    }
}
