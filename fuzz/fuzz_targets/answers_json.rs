//! `Answers::from_json` on any bytes: never panics; what it accepts survives a round trip
//! through the answers document, and what it refuses says why.

#![no_main]

use intake_screener::screening::Answers;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Answers::from_json(text) {
        Ok(answers) => {
            let again = Answers::from_json(&answers.to_document().to_string());
            assert_eq!(again, Ok(answers));
        }
        Err(errors) => {
            assert!(!errors.0.is_empty());
            assert!(errors.0.iter().all(|error| !error.message.trim().is_empty()));
        }
    }
});
