//! `Answers::from_form` on any bytes, decoded as the web layer decodes a form body: never
//! panics; what it accepts survives a round trip, and what it refuses says why.

#![no_main]

use intake_screener::screening::Answers;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let borrowed = pairs
        .iter()
        .map(|(field, value)| (field.as_str(), value.as_str()));
    match Answers::from_form(borrowed) {
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
