//! The clinical core: the instrument, answers, scoring rules and guidance. Pure: it knows
//! nothing of HTTP, HTML or databases, and everything else in the app builds on it.

pub mod administration;
pub mod answers;
pub mod draft;
pub mod guidance;
pub mod questions;
pub mod review_code;
pub mod rules;

pub use administration::{Administration, LanguageCode};
pub use answers::{AnswerErrors, Answers, EscapeAnswer, FieldError};
pub use draft::DraftAnswers;
pub use questions::{Coded, Control, CopingCode, Indicator, IntakeQuestion, Pattern, Reply};
pub use review_code::ReviewCode;
pub use rules::{Band, Inconsistency, Outcome, Reason, ReasonV2, ReasonV3, Reasons, RulesVersion};
