//! The instrument: the six intake questions, the coping codes of question 3 and the details a
//! therapist records when red flags come up (PRODUCT §2.1–2.2). Every other part of the app — the
//! form, the result page, the command line, exports — reads question text, field names and
//! answer options from here.

/// A closed set of coded values with a stable code (the field value of PRODUCT §3.2).
pub trait Coded: Copy + Sized + 'static {
    /// Every value, in the order the form shows them.
    const ALL: &'static [Self];
    /// The code used in JSON, the form and the database.
    fn code(self) -> &'static str;
    /// A short label for people.
    fn label(self) -> &'static str;

    /// The value with this code, if any.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.code() == code)
    }

    /// The accepted codes, comma separated, for error messages.
    fn accepted_codes() -> String {
        Self::ALL
            .iter()
            .map(|value| value.code())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The six basic intake questions, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IntakeQuestion {
    ConcernExpressed,
    SelfConcern,
    Escape,
    Secrets,
    OthersDisturbed,
    Shame,
}

impl IntakeQuestion {
    /// All six, in question order.
    pub const ALL: [IntakeQuestion; 6] = [
        IntakeQuestion::ConcernExpressed,
        IntakeQuestion::SelfConcern,
        IntakeQuestion::Escape,
        IntakeQuestion::Secrets,
        IntakeQuestion::OthersDisturbed,
        IntakeQuestion::Shame,
    ];

    /// The field name (PRODUCT §3.2).
    pub fn field(self) -> &'static str {
        match self {
            IntakeQuestion::ConcernExpressed => "q1_concern_expressed",
            IntakeQuestion::SelfConcern => "q2_self_concern",
            IntakeQuestion::Escape => "q3_escape",
            IntakeQuestion::Secrets => "q4_secrets",
            IntakeQuestion::OthersDisturbed => "q5_others_disturbed",
            IntakeQuestion::Shame => "q6_shame",
        }
    }

    /// The question with this field name.
    pub fn from_field(field: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|question| question.field() == field)
    }

    /// Its number, 1 to 6.
    pub fn number(self) -> u8 {
        match self {
            IntakeQuestion::ConcernExpressed => 1,
            IntakeQuestion::SelfConcern => 2,
            IntakeQuestion::Escape => 3,
            IntakeQuestion::Secrets => 4,
            IntakeQuestion::OthersDisturbed => 5,
            IntakeQuestion::Shame => 6,
        }
    }

    /// The question as the article words it, to be read to the client.
    pub fn text(self) -> &'static str {
        match self {
            IntakeQuestion::ConcernExpressed => {
                "Has anyone in your life ever expressed concern about your sexual or romantic activity?"
            }
            IntakeQuestion::SelfConcern => {
                "Are you concerned about any aspects of your sexual or romantic life?"
            }
            IntakeQuestion::Escape => {
                "What do you do to temporarily escape unpleasant feelings? Some people eat, some people masturbate, some people exercise. What do you do?"
            }
            IntakeQuestion::Secrets => "Do you keep secrets about your sexual or romantic life?",
            IntakeQuestion::OthersDisturbed => {
                "Is there anything about your sexual or romantic life that others would find disturbing if they knew?"
            }
            IntakeQuestion::Shame => {
                "Do you feel ashamed or uncomfortable with any aspect of your sexual or romantic life?"
            }
        }
    }

    /// A neutral short name, for lists of declined questions: "Q1 · concern from others".
    /// Never in red-flag wording (PRODUCT §2.4b).
    pub fn short_name(self) -> String {
        let words = match self {
            IntakeQuestion::ConcernExpressed => "concern from others",
            IntakeQuestion::SelfConcern => "own concern",
            IntakeQuestion::Escape => "ways of escaping unpleasant feelings",
            IntakeQuestion::Secrets => "secrets",
            IntakeQuestion::OthersDisturbed => "what others would find disturbing",
            IntakeQuestion::Shame => "shame or discomfort",
        };
        format!("Q{} · {words}", self.number())
    }

    /// A few words naming the question, for lists of red flags.
    pub fn topic(self) -> &'static str {
        match self {
            IntakeQuestion::ConcernExpressed => "Others have expressed concern",
            IntakeQuestion::SelfConcern => "Concerned about own sexual or romantic life",
            IntakeQuestion::Escape => "Escapes unpleasant feelings sexually or romantically",
            IntakeQuestion::Secrets => "Keeps secrets about sexual or romantic life",
            IntakeQuestion::OthersDisturbed => "Others would find something disturbing",
            IntakeQuestion::Shame => "Ashamed or uncomfortable",
        }
    }
}

/// The answer to a yes/no intake question (all but question 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reply {
    Yes,
    No,
    Declined,
}

impl Coded for Reply {
    const ALL: &'static [Self] = &[Reply::Yes, Reply::No, Reply::Declined];

    fn code(self) -> &'static str {
        match self {
            Reply::Yes => "yes",
            Reply::No => "no",
            Reply::Declined => "declined",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Reply::Yes => "Yes",
            Reply::No => "No",
            Reply::Declined => "Declined to answer",
        }
    }
}

/// The code that stands alone in question 3 when the client declines to answer.
pub const ESCAPE_DECLINED: &str = "declined";

/// The ways of escaping unpleasant feelings that question 3 records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CopingCode {
    Masturbation,
    Pornography,
    SexualChatOrWebcam,
    DatingOrHookupApps,
    RomanticOrSexualFantasy,
    Eating,
    Exercise,
    AlcoholOrDrugs,
    GamingOrSocialMedia,
    ShoppingOrGambling,
    Work,
    Sleep,
    TalkingToSomeone,
    Other,
}

impl CopingCode {
    /// True for the sexual or romantic codes, which raise a red flag.
    pub fn is_sexual_or_romantic(self) -> bool {
        matches!(
            self,
            CopingCode::Masturbation
                | CopingCode::Pornography
                | CopingCode::SexualChatOrWebcam
                | CopingCode::DatingOrHookupApps
                | CopingCode::RomanticOrSexualFantasy
        )
    }

    /// The sexual or romantic codes, as the form groups them.
    pub fn sexual_or_romantic() -> impl Iterator<Item = CopingCode> {
        Self::ALL
            .iter()
            .copied()
            .filter(|code| code.is_sexual_or_romantic())
    }

    /// The other codes, as the form groups them.
    pub fn other_ways() -> impl Iterator<Item = CopingCode> {
        Self::ALL
            .iter()
            .copied()
            .filter(|code| !code.is_sexual_or_romantic())
    }
}

impl Coded for CopingCode {
    const ALL: &'static [Self] = &[
        CopingCode::Masturbation,
        CopingCode::Pornography,
        CopingCode::SexualChatOrWebcam,
        CopingCode::DatingOrHookupApps,
        CopingCode::RomanticOrSexualFantasy,
        CopingCode::Eating,
        CopingCode::Exercise,
        CopingCode::AlcoholOrDrugs,
        CopingCode::GamingOrSocialMedia,
        CopingCode::ShoppingOrGambling,
        CopingCode::Work,
        CopingCode::Sleep,
        CopingCode::TalkingToSomeone,
        CopingCode::Other,
    ];

    fn code(self) -> &'static str {
        match self {
            CopingCode::Masturbation => "masturbation",
            CopingCode::Pornography => "pornography",
            CopingCode::SexualChatOrWebcam => "sexual_chat_or_webcam",
            CopingCode::DatingOrHookupApps => "dating_or_hookup_apps",
            CopingCode::RomanticOrSexualFantasy => "romantic_or_sexual_fantasy",
            CopingCode::Eating => "eating",
            CopingCode::Exercise => "exercise",
            CopingCode::AlcoholOrDrugs => "alcohol_or_drugs",
            CopingCode::GamingOrSocialMedia => "gaming_or_social_media",
            CopingCode::ShoppingOrGambling => "shopping_or_gambling",
            CopingCode::Work => "work",
            CopingCode::Sleep => "sleep",
            CopingCode::TalkingToSomeone => "talking_to_someone",
            CopingCode::Other => "other",
        }
    }

    fn label(self) -> &'static str {
        match self {
            CopingCode::Masturbation => "Masturbation",
            CopingCode::Pornography => "Pornography",
            CopingCode::SexualChatOrWebcam => "Sexual chat or webcam",
            CopingCode::DatingOrHookupApps => "Dating or hook-up apps",
            CopingCode::RomanticOrSexualFantasy => "Romantic or sexual fantasy",
            CopingCode::Eating => "Eating",
            CopingCode::Exercise => "Exercise",
            CopingCode::AlcoholOrDrugs => "Alcohol or drugs",
            CopingCode::GamingOrSocialMedia => "Gaming or social media",
            CopingCode::ShoppingOrGambling => "Shopping or gambling",
            CopingCode::Work => "Work",
            CopingCode::Sleep => "Sleep",
            CopingCode::TalkingToSomeone => "Talking to someone",
            CopingCode::Other => "Something else",
        }
    }
}

/// The observed pattern of online sexual activity, ordered from least to most concerning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pattern {
    None,
    Occasional,
    IntensePeriods,
    Compulsive,
}

impl Pattern {
    /// The article's short description, used as help text.
    pub fn description(self) -> &'static str {
        match self {
            Pattern::None => "No online sexual activity of note.",
            Pattern::Occasional => {
                "Intermittent; driven by curiosity, novelty or a life stage (e.g. after a breakup)."
            }
            Pattern::IntensePeriods => {
                "Goes through periods of intense engagement, perhaps as a distraction from emotional discomfort."
            }
            Pattern::Compulsive => {
                "Repetitive, compulsive use of sexual fantasy and activity online."
            }
        }
    }
}

impl Coded for Pattern {
    const ALL: &'static [Self] = &[
        Pattern::None,
        Pattern::Occasional,
        Pattern::IntensePeriods,
        Pattern::Compulsive,
    ];

    fn code(self) -> &'static str {
        match self {
            Pattern::None => "none",
            Pattern::Occasional => "occasional",
            Pattern::IntensePeriods => "intense_periods",
            Pattern::Compulsive => "compulsive",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Pattern::None => "None",
            Pattern::Occasional => "Occasional",
            Pattern::IntensePeriods => "Periods of intense engagement",
            Pattern::Compulsive => "Compulsive",
        }
    }
}

/// Whether the client can limit or stop on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Control {
    #[default]
    NotAssessed,
    Retained,
    Lost,
}

impl Control {
    /// The article's short description, used as help text.
    pub fn description(self) -> &'static str {
        match self {
            Control::NotAssessed => "Not asked or not yet clear.",
            Control::Retained => "Limits or stops on their own when consequences appear or loom.",
            Control::Lost => "Has tried to limit or stop and cannot.",
        }
    }
}

impl Coded for Control {
    const ALL: &'static [Self] = &[Control::NotAssessed, Control::Retained, Control::Lost];

    fn code(self) -> &'static str {
        match self {
            Control::NotAssessed => "not_assessed",
            Control::Retained => "retained",
            Control::Lost => "lost",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Control::NotAssessed => "Not assessed",
            Control::Retained => "Retained",
            Control::Lost => "Lost",
        }
    }
}

/// What the therapist may observe about the client's online sexual activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Indicator {
    EscapeUse,
    Secrecy,
    Escalation,
    DespiteConsequences,
    FunctioningImpaired,
    MinimizesOrBlames,
}

impl Indicator {
    /// What observing it means, completing "The client …".
    pub fn description(self) -> &'static str {
        match self {
            Indicator::EscapeUse => {
                "uses online sexual activity to escape, distract from or numb emotional discomfort"
            }
            Indicator::Secrecy => {
                "hides the extent of it, keeps secrets, lies, leads a double life"
            }
            Indicator::Escalation => "is escalating the nature or extent of use",
            Indicator::DespiteConsequences => {
                "continues despite potential or actual consequences to self or others"
            }
            Indicator::FunctioningImpaired => {
                "has relationships, work, finances or health negatively affected"
            }
            Indicator::MinimizesOrBlames => {
                "minimizes, justifies, or blames others for the need to escape; little empathy for those affected"
            }
        }
    }
}

impl Coded for Indicator {
    const ALL: &'static [Self] = &[
        Indicator::EscapeUse,
        Indicator::Secrecy,
        Indicator::Escalation,
        Indicator::DespiteConsequences,
        Indicator::FunctioningImpaired,
        Indicator::MinimizesOrBlames,
    ];

    fn code(self) -> &'static str {
        match self {
            Indicator::EscapeUse => "escape_use",
            Indicator::Secrecy => "secrecy",
            Indicator::Escalation => "escalation",
            Indicator::DespiteConsequences => "despite_consequences",
            Indicator::FunctioningImpaired => "functioning_impaired",
            Indicator::MinimizesOrBlames => "minimizes_or_blames",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Indicator::EscapeUse => "Uses it to escape",
            Indicator::Secrecy => "Secrecy",
            Indicator::Escalation => "Escalation",
            Indicator::DespiteConsequences => "Continues despite consequences",
            Indicator::FunctioningImpaired => "Functioning impaired",
            Indicator::MinimizesOrBlames => "Minimizes or blames others",
        }
    }
}

/// The field name of the pattern detail.
pub const PATTERN_FIELD: &str = "pattern";
/// The field name of the control detail.
pub const CONTROL_FIELD: &str = "control";
