//! How the six intake answers were given (PRODUCT §6): asked by the clinician, or answered by the
//! client on the clinician's device or on their own, and in which language.

use std::fmt;

use super::questions::Coded;

/// Who gave the intake answers, and on what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Administration {
    /// The clinician asked the questions and recorded the answers.
    #[default]
    Clinician,
    /// The client answered on the clinician's device, handed over.
    ClientDevice,
    /// The client answered on their own device, through a one-time link.
    ClientLink,
}

impl Administration {
    /// True when the client answered the intake questions themselves.
    pub fn is_self_administered(self) -> bool {
        self != Administration::Clinician
    }
}

impl Coded for Administration {
    const ALL: &'static [Self] = &[
        Administration::Clinician,
        Administration::ClientDevice,
        Administration::ClientLink,
    ];

    fn code(self) -> &'static str {
        match self {
            Administration::Clinician => "clinician",
            Administration::ClientDevice => "client_device",
            Administration::ClientLink => "client_link",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Administration::Clinician => "Asked by the clinician",
            Administration::ClientDevice => "Answered by the client on the clinician's device",
            Administration::ClientLink => "Answered by the client on their own device, by link",
        }
    }
}

/// A language's two-letter ISO 639-1 code (`en`, `es`), as stored and as FHIR writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LanguageCode([u8; 2]);

impl LanguageCode {
    /// English.
    pub const ENGLISH: LanguageCode = LanguageCode(*b"en");

    /// Two lowercase ASCII letters, or nothing.
    pub fn parse(code: &str) -> Option<LanguageCode> {
        match code.as_bytes() {
            &[a, b] if a.is_ascii_lowercase() && b.is_ascii_lowercase() => {
                Some(LanguageCode([a, b]))
            }
            _ => None,
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Two ASCII letters, checked when made.
        std::str::from_utf8(&self.0).unwrap_or("en")
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_are_two_lowercase_letters() {
        assert_eq!(
            LanguageCode::parse("es").map(|c| c.to_string()),
            Some("es".into())
        );
        for bad in ["", "e", "ES", "esp", "e1", "é"] {
            assert_eq!(LanguageCode::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn administration_codes_round_trip() {
        for &mode in Administration::ALL {
            assert_eq!(Administration::from_code(mode.code()), Some(mode));
        }
        assert!(!Administration::Clinician.is_self_administered());
        assert!(Administration::ClientLink.is_self_administered());
    }
}
