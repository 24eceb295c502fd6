//! The result page and the list of results.

use askama::Template;
use askama_web::WebTemplate;

use crate::screening::answers::IntakeAnswer;
use crate::screening::guidance::{self, NextStep};
use crate::screening::{Band, Coded, CopingCode, EscapeAnswer, Indicator, IntakeQuestion};
use crate::store::StoredScreening;
use crate::web::plumbing::layout::Layout;
use crate::web::plumbing::session::SignedIn;

/// A band as shown: its code (for styling) and its word.
pub struct BandView {
    pub code: &'static str,
    pub label: &'static str,
}

impl BandView {
    pub fn new(band: Band) -> BandView {
        BandView {
            code: band.code(),
            label: band.label(),
        }
    }

    /// A result's band styled by its tone: neutral when not screened, incomplete or
    /// provisional, never a green all-clear (PRODUCT §2.4c).
    pub fn of(outcome: &crate::screening::Outcome) -> BandView {
        BandView {
            code: guidance::tone(outcome),
            label: outcome.band.label(),
        }
    }
}

/// One recorded answer, in words.
pub struct AnswerRow {
    pub question: String,
    pub answer: String,
    pub red_flag: bool,
}

/// `GET /screenings/{code}`.
#[derive(Template, WebTemplate)]
#[template(path = "screening_result.html")]
pub struct ResultPage {
    pub layout: Layout,
    pub review_code: String,
    pub year: i32,
    pub rules_version: &'static str,
    /// The article's level of use, never a diagnosis ("Level: addicted use (Weiss 2015)").
    pub level_name: &'static str,
    /// `neutral` for a result not screened, incomplete or provisional; else the band's code.
    pub tone: &'static str,
    /// What this level means here, built from what was recorded (PRODUCT §2.4c); none for a
    /// result not screened.
    pub description: Option<String>,
    /// The contradictions in the record, which lead the page.
    pub inconsistencies: Vec<&'static str>,
    /// "Incomplete: N of 6 declined", and what the level rests on, shown before the level.
    pub incomplete_lead: Option<String>,
    /// Why the result is provisional, when it is.
    pub provisional_note: Option<String>,
    /// The reasons of the version that scored it, then any observation they do not name.
    pub reasons: Vec<String>,
    pub red_flags: Vec<&'static str>,
    /// The declined questions, named neutrally ("Q1 · concern from others").
    pub declined: Vec<String>,
    pub next_steps: Vec<String>,
    pub intake_answers: Vec<AnswerRow>,
    pub detail_answers: Vec<AnswerRow>,
    pub disclaimer: &'static str,
    /// The screening this one follows, if any.
    pub prior: Option<String>,
    /// The linked screenings, oldest first (empty when there is only this one).
    pub trajectory: Vec<TrajectoryStep>,
    /// Red flags raised now that the prior screening did not raise.
    pub new_flags: Vec<&'static str>,
    /// Red flags the prior screening raised that are gone now.
    pub cleared_flags: Vec<&'static str>,
    /// How the intake answers were given (PRODUCT §6).
    pub administration: &'static str,
    /// The client answered in another language than English: its name, and whether the
    /// wording is this app's own translation.
    pub language: Option<(&'static str, bool)>,
    /// The clinician changed some of the client's own answers before saving.
    pub intake_corrected: bool,
    /// Each question the clinician changed: the client's answer and the recorded one.
    pub corrections: Vec<Correction>,
    /// What else changed since the prior screening: band, pattern, control, indicators.
    pub changes: Vec<String>,
}

/// One intake answer the clinician corrected (PRODUCT §6.1), in the app's answer labels.
pub struct Correction {
    /// "Question 4 · secrets".
    pub question: String,
    pub client: String,
    pub recorded: String,
}

/// The questions whose recorded answer differs from the client's own (none when the
/// clinician asked, or for screenings saved before the client's answers were kept).
fn corrections(screening: &StoredScreening) -> Vec<Correction> {
    let Some(given) = &screening.client_answers else {
        return Vec::new();
    };
    IntakeQuestion::ALL
        .into_iter()
        .filter(|question| given.intake(*question) != screening.answers.intake(*question))
        .map(|question| Correction {
            question: format!("Question {} · {}", question.number(), question.topic()),
            client: super::form::answer_words(given, question),
            recorded: super::form::answer_words(&screening.answers, question),
        })
        .collect()
}

/// One screening in a client's trajectory.
pub struct TrajectoryStep {
    pub position: usize,
    pub review_code: String,
    pub year: i32,
    pub band: BandView,
    pub is_current: bool,
}

impl ResultPage {
    pub fn new(
        signed_in: &SignedIn,
        screening: &StoredScreening,
        trajectory: &[StoredScreening],
    ) -> ResultPage {
        let outcome = &screening.outcome;
        let answers = &screening.answers;
        let prior = screening
            .prior
            .as_ref()
            .and_then(|code| trajectory.iter().find(|step| &step.review_code == code));
        let topic = |question: &IntakeQuestion| question.topic();
        let intake_answers = IntakeQuestion::ALL
            .into_iter()
            .map(|question| AnswerRow {
                question: format!("{}. {}", question.number(), question.text()),
                answer: match answers.intake(question) {
                    IntakeAnswer::Reply(reply) => reply.label().to_owned(),
                    IntakeAnswer::Escape(EscapeAnswer::Declined) => "Declined to answer".to_owned(),
                    IntakeAnswer::Escape(EscapeAnswer::Ways(ways)) => ways
                        .iter()
                        .map(|way| CopingCode::label(*way))
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                red_flag: answers.raises_red_flag(question),
            })
            .collect();
        let observed: Vec<&str> = Indicator::ALL
            .iter()
            .filter(|&&indicator| answers.observed(indicator))
            .map(|indicator| indicator.label())
            .collect();
        let detail_answers = vec![
            AnswerRow {
                question: "Pattern".to_owned(),
                answer: answers
                    .pattern
                    .map_or("Not assessed", |pattern| pattern.label())
                    .to_owned(),
                red_flag: false,
            },
            AnswerRow {
                question: "Control".to_owned(),
                answer: answers.control.label().to_owned(),
                red_flag: false,
            },
            AnswerRow {
                question: "Observed".to_owned(),
                answer: if observed.is_empty() {
                    "None of the six indicators".to_owned()
                } else {
                    observed.join(", ")
                },
                red_flag: false,
            },
        ];
        ResultPage {
            layout: Layout::signed_in(format!("Result {}", screening.review_code), signed_in),
            review_code: screening.review_code.to_string(),
            year: screening.year,
            rules_version: outcome.rules_version.as_str(),
            level_name: outcome.band.level_name(),
            tone: guidance::tone(outcome),
            description: guidance::result_description(answers, outcome),
            inconsistencies: guidance::inconsistency_lines(answers),
            incomplete_lead: guidance::incomplete_lead(answers, outcome),
            provisional_note: guidance::provisional_note(answers, outcome),
            reasons: outcome
                .reasons
                .texts()
                .into_iter()
                .chain(guidance::unnamed_observations(answers, outcome))
                .collect(),
            red_flags: outcome.red_flags.iter().map(topic).collect(),
            declined: outcome
                .declined
                .iter()
                .map(|question| question.short_name())
                .collect(),
            next_steps: guidance::next_steps(answers, outcome)
                .iter()
                .map(NextStep::text)
                .collect(),
            intake_answers,
            detail_answers,
            disclaimer: guidance::DISCLAIMER,
            prior: screening.prior.as_ref().map(ToString::to_string),
            trajectory: if trajectory.len() > 1 {
                trajectory
                    .iter()
                    .enumerate()
                    .map(|(index, step)| TrajectoryStep {
                        position: index + 1,
                        review_code: step.review_code.to_string(),
                        year: step.year,
                        band: BandView::of(&step.outcome),
                        is_current: step.review_code == screening.review_code,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            new_flags: changed_flags(prior, screening),
            cleared_flags: prior
                .map_or_else(Vec::new, |prior| changed_flags(Some(screening), prior)),
            administration: crate::screening::Coded::label(screening.administration),
            language: screening
                .client_language
                .filter(|code| *code != crate::screening::LanguageCode::ENGLISH)
                .map(crate::web::client::language_for_clinician),
            intake_corrected: screening.intake_corrected,
            corrections: corrections(screening),
            changes: prior.map_or_else(Vec::new, |prior| changes(prior, screening)),
        }
    }
}

/// What changed from `before` to `now` beyond the red flags, one line each: the band, the
/// pattern, control, and each indicator newly observed or no longer observed.
fn changes(before: &StoredScreening, now: &StoredScreening) -> Vec<String> {
    let mut lines = Vec::new();
    let (was, is) = (before.outcome.band, now.outcome.band);
    if was != is {
        lines.push(format!("Band: {} → {}", was.label(), is.label()));
    }
    let pattern = |answers: &crate::screening::Answers| {
        answers
            .pattern
            .map_or("Not assessed", |pattern| pattern.label())
    };
    if before.answers.pattern != now.answers.pattern {
        lines.push(format!(
            "Pattern: {} → {}",
            pattern(&before.answers),
            pattern(&now.answers)
        ));
    }
    if before.answers.control != now.answers.control {
        lines.push(format!(
            "Control: {} → {}",
            before.answers.control.label(),
            now.answers.control.label()
        ));
    }
    for &indicator in Indicator::ALL {
        match (
            before.answers.observed(indicator),
            now.answers.observed(indicator),
        ) {
            (false, true) => lines.push(format!("Now observed: {}", indicator.label())),
            (true, false) => lines.push(format!("No longer observed: {}", indicator.label())),
            _ => {}
        }
    }
    lines
}

/// The red flags `now` raises that `before` did not; none when there is no `before`.
fn changed_flags(before: Option<&StoredScreening>, now: &StoredScreening) -> Vec<&'static str> {
    let Some(before) = before else {
        return Vec::new();
    };
    now.outcome
        .red_flags
        .iter()
        .filter(|question| !before.outcome.red_flags.contains(question))
        .map(|question| question.topic())
        .collect()
}

/// One row of the list.
pub struct ListRow {
    pub review_code: String,
    pub year: i32,
    pub band: BandView,
    pub red_flag_count: usize,
    pub provisional: bool,
    pub incomplete: bool,
}

/// A band filter link.
pub struct FilterLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// `GET /screenings`.
#[derive(Template, WebTemplate)]
#[template(path = "screening_list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub filters: Vec<FilterLink>,
    pub rows: Vec<ListRow>,
    pub band_label: Option<&'static str>,
    pub older_href: Option<String>,
    pub is_first_page: bool,
    pub first_href: String,
    /// A review code searched for, as typed.
    pub search: String,
    pub search_error: Option<String>,
    /// The clinician's open drafts (first page only).
    pub drafts: crate::web::drafts::DraftsSection,
}

impl ListPage {
    pub fn new(
        signed_in: &SignedIn,
        screenings: &[StoredScreening],
        band: Option<Band>,
        next: Option<String>,
        is_first_page: bool,
    ) -> ListPage {
        let href = |band: Option<Band>| match band {
            Some(band) => format!("/screenings?band={}", band.code()),
            None => "/screenings".to_owned(),
        };
        let mut filters = vec![FilterLink {
            label: "All",
            href: href(None),
            current: band.is_none(),
        }];
        filters.extend(Band::ALL.iter().map(|&each| FilterLink {
            label: each.label(),
            href: href(Some(each)),
            current: band == Some(each),
        }));
        let older_href = next.map(|code| {
            let base = href(band);
            let joiner = if base.contains('?') { '&' } else { '?' };
            format!("{base}{joiner}older_than={code}")
        });
        ListPage {
            layout: Layout::signed_in("Results", signed_in),
            filters,
            rows: screenings
                .iter()
                .map(|screening| ListRow {
                    review_code: screening.review_code.to_string(),
                    year: screening.year,
                    band: BandView::of(&screening.outcome),
                    red_flag_count: screening.outcome.red_flags.len(),
                    provisional: screening.outcome.provisional,
                    incomplete: screening.outcome.incomplete,
                })
                .collect(),
            band_label: band.map(Band::label),
            older_href,
            is_first_page,
            first_href: href(band),
            search: String::new(),
            search_error: None,
            drafts: Default::default(),
        }
    }
}

/// `GET /screenings/{code}/delete`: the confirmation step.
#[derive(Template, WebTemplate)]
#[template(path = "screening_delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub review_code: String,
    pub csrf_token: String,
    pub band: BandView,
}

impl DeletePage {
    pub fn new(signed_in: &SignedIn, screening: &StoredScreening) -> DeletePage {
        DeletePage {
            layout: Layout::signed_in(format!("Delete {}", screening.review_code), signed_in),
            review_code: screening.review_code.to_string(),
            csrf_token: signed_in.csrf_token.clone(),
            band: BandView::new(screening.outcome.band),
        }
    }
}
