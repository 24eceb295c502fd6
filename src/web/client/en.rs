//! The client view in English: the article's own questions, and plain words around them.

use super::catalogue::Catalogue;
use crate::screening::CopingCode;

/// English.
pub const EN: Catalogue = Catalogue {
    code: "en",
    own_name: "English",
    english_name: "English",
    is_translation: false,

    page_title: "A few questions from your therapist",
    heading: "A few questions from your therapist",
    intro: &[
        "Your therapist has asked you to answer six short questions about your sexual and romantic life. There are no right or wrong answers.",
        "Your name is not asked for and not stored. Only your therapist sees your answers, and will talk them through with you.",
        "You can choose \u{201c}Prefer not to answer\u{201d} for any question.",
    ],
    language_label: "Language",
    switch_dropped: "Some answers could not be kept when the language changed, so please answer these again: {questions}.",
    questions: [
        "Has anyone in your life ever expressed concern about your sexual or romantic activity?",
        "Are you concerned about any aspects of your sexual or romantic life?",
        "What do you do to temporarily escape unpleasant feelings? Some people eat, some people masturbate, some people exercise. What do you do?",
        "Do you keep secrets about your sexual or romantic life?",
        "Is there anything about your sexual or romantic life that others would find disturbing if they knew?",
        "Do you feel ashamed or uncomfortable with any aspect of your sexual or romantic life?",
    ],
    question_number: "Question {n}",
    yes: "Yes",
    no: "No",
    prefer_not: "Prefer not to answer",
    escape_hint: "Choose all that you do, or \u{201c}Prefer not to answer\u{201d} on its own.",
    coping: [
        (CopingCode::Masturbation, "Masturbation"),
        (CopingCode::Pornography, "Pornography"),
        (CopingCode::SexualChatOrWebcam, "Sexual chat or webcam"),
        (CopingCode::DatingOrHookupApps, "Dating or hook-up apps"),
        (
            CopingCode::RomanticOrSexualFantasy,
            "Romantic or sexual fantasy",
        ),
        (CopingCode::Eating, "Eating"),
        (CopingCode::Exercise, "Exercise"),
        (CopingCode::AlcoholOrDrugs, "Alcohol or drugs"),
        (CopingCode::GamingOrSocialMedia, "Gaming or social media"),
        (CopingCode::ShoppingOrGambling, "Shopping or gambling"),
        (CopingCode::Work, "Work"),
        (CopingCode::Sleep, "Sleep"),
        (CopingCode::TalkingToSomeone, "Talking to someone"),
        (CopingCode::Other, "Something else"),
    ],
    submit: "Send my answers",

    errors_heading: "Please look at these questions again",
    error_prefix: "Error:",
    error_choose_one: "Please choose an answer, or \u{201c}Prefer not to answer\u{201d}.",
    error_choose_ways: "Please choose at least one, or \u{201c}Prefer not to answer\u{201d}.",
    error_prefer_not_alone: "\u{201c}Prefer not to answer\u{201d} cannot be chosen together with other answers.",
    error_not_understood: "This answer was not understood. Please choose again.",
    form_expired: "This page was open for a long time, so your answers were not sent yet. They are kept below: please press \u{201c}Send my answers\u{201d} again.",

    thanks_title: "Thank you",
    thanks_text: "Your answers were received. Your therapist will talk them through with you.",
    match_words_intro: "These two words let your therapist know the answers are yours:",
    hand_back: "Please hand the device back to your therapist now.",
    therapist_continue: "For your therapist: continue",
    close_page: "You can close this page now.",

    used_title: "This link has already been used",
    used_text: "Answers were already sent with this link, and it works only once. If you still need to answer, please ask your therapist for a new link.",
    expired_title: "This link has expired",
    expired_text: "This link was open for a limited time, and that time has passed. Nothing was kept. Please ask your therapist for a new link.",
    cancelled_title: "This link is no longer available",
    cancelled_text: "Your therapist has closed this link or made a new one. If you still need to answer, please ask your therapist for the new link.",
    unknown_title: "This link does not work",
    unknown_text: "Please check that the whole link was copied, or ask your therapist for a new one.",
    too_many_title: "Please wait a moment",
    too_many_text: "There were too many attempts from this connection. Please wait a few minutes and try again.",
    other_invitation_title: "This page cannot be opened here",
    other_invitation_text: "This device was handed to you for one set of questions only, so other links do not open on it. Nothing was sent. Please hand the device back to your therapist.",
    trouble_title: "Something did not work",
    trouble_text: "Your answers were not sent. Please go back, reload the page and try again. If it keeps happening, please tell your therapist.",

    source: "Questions adapted from",
};

#[cfg(test)]
mod tests {
    use super::EN;

    #[test]
    fn english_keeps_the_rules_and_the_article_wording() {
        super::super::catalogue::tests::check(&EN);
        for question in crate::screening::IntakeQuestion::ALL {
            assert_eq!(
                EN.question(question),
                question.text(),
                "the article's words"
            );
        }
    }
}
