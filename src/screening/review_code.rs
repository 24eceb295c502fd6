//! Review codes: the random, de-identified handle a therapist writes in their own chart
//! (PRODUCT §4). Eight Crockford base32 symbols (40 bits from a CSPRNG), shown as `K7QF-29MX`.

use std::fmt;
use std::str::FromStr;

use rand::Rng;

/// Crockford's base32 alphabet: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a code; 5 bits each.
const SYMBOLS: usize = 8;

/// A well-formed review code, always in its canonical form `XXXX-XXXX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReviewCode(String);

impl ReviewCode {
    /// A fresh random code from the operating system's CSPRNG (via the thread-local ChaCha
    /// generator `rand` seeds from it).
    pub fn generate() -> ReviewCode {
        let mut rng = rand::rng();
        let symbols: String = (0..SYMBOLS)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        ReviewCode(format!("{}-{}", &symbols[..4], &symbols[4..]))
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReviewCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why text is not a review code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a review code is eight letters and digits, like K7QF-29MX")]
pub struct NotAReviewCode;

impl FromStr for ReviewCode {
    type Err = NotAReviewCode;

    /// Reads a code as a person may type it: any case, with or without the dash or spaces,
    /// and with the look-alikes Crockford folds (O → 0, I and L → 1).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut symbols = String::with_capacity(SYMBOLS);
        for c in text.trim().chars() {
            let folded = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !ALPHABET.contains(&(folded as u8)) || !folded.is_ascii() {
                return Err(NotAReviewCode);
            }
            symbols.push(folded);
            if symbols.len() > SYMBOLS {
                return Err(NotAReviewCode);
            }
        }
        if symbols.len() != SYMBOLS {
            return Err(NotAReviewCode);
        }
        Ok(ReviewCode(format!("{}-{}", &symbols[..4], &symbols[4..])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_canonical_and_parse_back() {
        for _ in 0..1000 {
            let code = ReviewCode::generate();
            assert_eq!(code.as_str().len(), 9);
            assert_eq!(&code.as_str()[4..5], "-");
            assert_eq!(code.as_str().parse::<ReviewCode>(), Ok(code.clone()));
        }
    }

    #[test]
    fn generated_codes_differ() {
        let codes: std::collections::HashSet<_> =
            (0..10_000).map(|_| ReviewCode::generate()).collect();
        assert_eq!(codes.len(), 10_000);
    }

    #[test]
    fn parsing_tolerates_case_dash_and_look_alikes() {
        let canonical: ReviewCode = "K7QF-29MX".parse().unwrap();
        for typed in ["k7qf29mx", " K7QF 29MX ", "k7qf-29mx"] {
            assert_eq!(
                typed.parse::<ReviewCode>(),
                Ok(canonical.clone()),
                "{typed}"
            );
        }
        assert_eq!(
            "O1IL-0000".parse::<ReviewCode>().unwrap().as_str(),
            "0111-0000"
        );
    }

    #[test]
    fn parsing_refuses_what_is_not_a_code() {
        for typed in [
            "",
            "K7QF-29M",
            "K7QF-29MXZ",
            "K7QF-29MU",
            "K7QF/29MX",
            "Ä7QF-29MX",
        ] {
            assert_eq!(typed.parse::<ReviewCode>(), Err(NotAReviewCode), "{typed}");
        }
    }
}
