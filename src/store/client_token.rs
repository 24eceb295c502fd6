//! The client's one-time token (PRODUCT §6): made here, checked for shape here, and stored
//! only as its hash. The store and the client view both use this type, so there is one
//! length, one alphabet and one hash.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

/// Characters of a client token: 32 alphanumerics, about 190 random bits.
pub const TOKEN_CHARS: usize = 32;

/// A well-formed client token: [`TOKEN_CHARS`] ASCII alphanumerics. Its `Debug` does not
/// show it, so it cannot slip into a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientToken(String);

impl ClientToken {
    /// A fresh random token.
    pub(super) fn generate() -> ClientToken {
        ClientToken(Alphanumeric.sample_string(&mut rand::rng(), TOKEN_CHARS))
    }

    /// The token in `text` if it has a token's shape, else `None` (checked before any
    /// lookup, so malformed input never reaches the database).
    pub fn parse(text: &str) -> Option<ClientToken> {
        (text.len() == TOKEN_CHARS && text.bytes().all(|byte| byte.is_ascii_alphanumeric()))
            .then(|| ClientToken(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the token, in hex: all the database ever holds of it.
    pub(super) fn hash(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl std::ops::Deref for ClientToken {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<ClientToken> for String {
    fn from(token: ClientToken) -> String {
        token.0
    }
}

impl std::fmt::Debug for ClientToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_one_shape_and_a_hash() {
        let token = ClientToken::generate();
        assert_eq!(ClientToken::parse(token.as_str()), Some(token.clone()));
        assert_eq!(token.hash().len(), 64);
        assert_ne!(token.hash(), ClientToken::generate().hash());
        for bad in ["", "short", &"a".repeat(TOKEN_CHARS + 1), &"é".repeat(16)] {
            assert_eq!(ClientToken::parse(bad), None, "{bad:?}");
        }
        assert!(!format!("{token:?}").contains(token.as_str()));
    }
}
