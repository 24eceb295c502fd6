//! No side door in the logs (PRODUCT §4, issue 17): the real binary at `RUST_LOG=trace` runs the
//! whole clinician and client flow, and its log names no route that concerns a screening, an
//! invitation, a draft, an unlock or the client view, carries no review code, token, draft
//! id or invitation id, and has no per-request line of a dependency. The strongest check: a
//! run with three times as many such requests logs exactly the same lines (timestamps,
//! latencies and the hourly count's values aside), so no line's presence counts or dates them.

use std::time::Duration;

use crate::helpers;
use crate::helpers::engine::{Engine, TestDatabase};
use crate::helpers::server::{Server, add_account_on};
use crate::helpers::{
    Browser, CASUAL_FORM, EXAMPLE_FORM, PASSWORD, code_of, csrf_token_in, location,
};

/// The client's own answers to the six questions.
const CLIENT_ANSWERS: &[(&str, &str)] = helpers::CLIENT_FORM;

/// A draft: two questions answered.
const PARTIAL: &[(&str, &str)] = &[("q1_concern_expressed", "yes"), ("q2_self_concern", "no")];

/// What a log line must never name: the routes of counted requests (as their templates or
/// as concrete paths) and the marker of a request that matched no route.
const PROTECTED: &[&str] = &[
    "route=/ ",
    "route=/}",
    "/screenings",
    "/invitations",
    "/drafts",
    "/unlock",
    "/c/",
    "/static",
    "/dashboard",
    "/fhir",
    "/favicon",
    "(no route)",
];

/// Dependencies' per-request lines (tower-sessions, sqlx).
const DEPENDENCY_LINES: &[&str] = &[
    "saving session",
    "get_record",
    "session response state",
    "record found in store",
    "tower_sessions",
    "sqlx",
    "rustls",
];

/// Every level, and the noisiest targets named one by one: a directive more specific than
/// a pin must not lift it.
const EVERYTHING: &str = "trace,tower_sessions_core::session=trace,tower_sessions::service=trace,\
     sqlx::query=trace,sqlx::pool=trace,hyper::proto=trace,tower_http::csrf::service=trace";

/// Everything the flow made that a log line could join to a stored row.
#[derive(Default)]
struct Made {
    codes: Vec<String>,
    tokens: Vec<String>,
    drafts: Vec<String>,
    invitations: Vec<String>,
}

impl Made {
    fn all(&self) -> impl Iterator<Item = &String> {
        self.codes
            .iter()
            .chain(&self.tokens)
            .chain(&self.drafts)
            .chain(&self.invitations)
    }
}

/// `pairs` with `more` added.
fn with<'a>(pairs: &[(&'a str, &'a str)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().chain(more).copied().collect()
}

/// The client's way of answering: the form's own token, not a session's.
async fn answer(browser: &Browser, path: &str) -> reqwest::Response {
    let page = browser.get_html(path).await;
    let token = csrf_token_in(&page).expect("the client form's token");
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("csrf_token", &token));
    browser.post_raw(path, &pairs).await
}

/// The invitation id in a location or link (`/invitations/{id}…`).
fn invitation_id(target: &str) -> String {
    let rest = target
        .strip_prefix("/invitations/")
        .unwrap_or_else(|| panic!("to an invitation: {target}"));
    rest.split(['?', '/', '#']).next().unwrap().to_owned()
}

/// The client's token in the first `/c/{token}` of a page or location.
fn token_in(text: &str) -> String {
    let at = text.find("/c/").expect("a client link") + 3;
    text[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// One round of every request that concerns a screening, an invitation, a draft, an unlock
/// or the client view.
async fn one_round(alice: &mut Browser, address: &str, made: &mut Made) {
    // A screening, its result, the list and its search, the exports, the dashboard.
    assert_eq!(alice.get("/").await.status(), 303);
    alice.get_html("/screenings/new").await;
    let result = alice.submit(EXAMPLE_FORM).await;
    let code = code_of(&result);
    alice.get_html(&result).await;
    alice.get_html("/screenings").await;
    let found = alice.get(&format!("/screenings?code={code}")).await;
    assert_eq!(location(&found), result, "the search finds it");
    alice.get_html(&format!("{result}/fhir")).await;
    alice.get_html("/screenings/export.csv").await;
    alice.get_html("/dashboard").await;
    alice.get_html("/fhir/Questionnaire/intake-screener").await;
    assert_eq!(alice.get("/static/app.css").await.status(), 200);
    assert_eq!(alice.get("/favicon.ico").await.status(), 404);
    made.codes.push(code.clone());

    // A draft: saved, resumed, saved again, discarded.
    assert_eq!(alice.post_form("/drafts", PARTIAL).await.status(), 303);
    let list = alice.get_html("/screenings").await;
    let marker = "/screenings/new?draft=";
    let at = list.find(marker).expect("an open draft") + marker.len();
    let draft = list[at..at + 16].to_owned();
    alice
        .get_html(&format!("/screenings/new?draft={draft}"))
        .await;
    let resaved = alice
        .post_form("/drafts", &with(PARTIAL, &[("draft", &draft)]))
        .await;
    assert_eq!(resaved.status(), 303);
    let discarded = alice
        .post_form(&format!("/drafts/{draft}/discard"), &[])
        .await;
    assert_eq!(discarded.status(), 303);
    made.drafts.push(draft);

    // A link for the client's phone, answered there and saved by the clinician.
    let made_link = alice.post_form("/invitations", &[("mode", "link")]).await;
    assert_eq!(made_link.status(), 303);
    let target = location(&made_link);
    let id = invitation_id(&target);
    let page = alice.get_html(&target).await;
    let token = token_in(&page);
    let phone = Browser::new(address);
    assert_eq!(answer(&phone, &format!("/c/{token}")).await.status(), 200);
    alice.get_html("/invitations").await;
    alice.get_html(&format!("/invitations/{id}")).await;
    alice
        .get_html(&format!("/screenings/new?invitation={id}"))
        .await;
    let linked = alice
        .submit(&with(
            CLIENT_ANSWERS,
            &[
                ("pattern", "occasional"),
                ("control", "retained"),
                ("invitation", &id),
            ],
        ))
        .await;
    made.codes.push(code_of(&linked));
    made.invitations.push(id);
    made.tokens.push(token);

    // The device handed over: locked, answered, a wrong and then the right password.
    let handed = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(handed.status(), 303);
    let view = location(&handed);
    let token = alice.device_token();
    assert_eq!(answer(alice, &view).await.status(), 200);
    let unlock = alice.get_html("/unlock").await;
    alice.csrf_token = csrf_token_in(&unlock);
    let wrong = alice
        .post_form("/unlock", &[("password", "not the password")])
        .await;
    assert_eq!(wrong.status(), 401);
    let right = alice.post_form("/unlock", &[("password", PASSWORD)]).await;
    assert_eq!(right.status(), 303);
    let next = location(&right);
    let id = next
        .strip_prefix("/screenings/new?invitation=")
        .unwrap_or_else(|| panic!("the form with the client's answers: {next}"))
        .to_owned();
    let form = alice.get_html(&next).await;
    alice.csrf_token = csrf_token_in(&form);
    let handed_over = alice
        .submit(&with(CLIENT_ANSWERS, &[("invitation", &id)]))
        .await;
    alice.get_html(&handed_over).await;
    made.codes.push(code_of(&handed_over));
    made.invitations.push(id);
    made.tokens.push(token);

    // A re-screening of the first, then deleting it.
    alice
        .get_html(&format!("/screenings/new?prior_code={code}"))
        .await;
    let again = alice
        .submit(&with(CASUAL_FORM, &[("prior_code", &code)]))
        .await;
    alice.get_html(&again).await;
    alice.get_html(&format!("{again}/delete")).await;
    let deleted = alice.post_form(&format!("{again}/delete"), &[]).await;
    assert_eq!(deleted.status(), 303);
    made.codes.push(code_of(&again));
}

/// Runs the whole flow with `rounds` rounds on a fresh database; returns the server's log
/// and what the flow made.
async fn run(engine: Engine, rounds: usize) -> (String, Made) {
    let db = TestDatabase::new(engine).await;
    add_account_on(&db.url, "alice");
    let log = db.dir.path().join(format!("log-{rounds}"));
    let mut server = Server::start_on_env(
        &db.url,
        &log,
        &[],
        &[("RUST_LOG", EVERYTHING), ("NO_COLOR", "1")],
    );
    let mut alice = Browser::new(&server.address);
    assert_eq!(alice.sign_in("alice", PASSWORD).await.status(), 303);
    alice.refresh_csrf_token().await;
    assert_eq!(alice.get("/healthz").await.status(), 200);
    let mut made = Made::default();
    for _ in 0..rounds {
        one_round(&mut alice, &server.address, &mut made).await;
    }
    assert_eq!(alice.post_form("/logout", &[]).await.status(), 303);
    assert_eq!(server.terminate(Duration::from_secs(10)), Some(0));
    (server.logs(), made)
}

/// The log without what may differ between runs: each line's timestamp, the latencies, and
/// the values of the hourly count.
fn normalized(log: &str) -> Vec<String> {
    log.lines()
        .map(|line| {
            let line = line
                .split_once(' ')
                .map_or(line, |(_, rest)| rest)
                .trim_start();
            let counts = line.contains("since the last count");
            let mut out = String::with_capacity(line.len());
            let mut rest = line;
            while let Some(at) = rest.find('=') {
                out.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
                let key_start = out[..out.len() - 1]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |at| at + 1);
                let key = &out[key_start..out.len() - 1];
                if counts || key == "latency" {
                    let digits = rest.chars().take_while(char::is_ascii_digit).count();
                    if digits > 0 {
                        out.push('N');
                        rest = &rest[digits..];
                    }
                }
            }
            out.push_str(rest);
            out
        })
        .collect()
}

fn assert_unjoinable(log: &str, made: &Made) {
    for line in log.lines() {
        for route in PROTECTED {
            assert!(
                !line.contains(route),
                "a line names {route:?}, a request that concerns a client:\n{line}\n\nlog:\n{log}"
            );
        }
        for dependency in DEPENDENCY_LINES {
            assert!(
                !line.contains(dependency),
                "a dependency's per-request line ({dependency:?}):\n{line}\n\nlog:\n{log}"
            );
        }
        for secret in made.all() {
            assert!(
                !line.contains(secret.as_str()),
                "a line carries {secret:?}:\n{line}"
            );
        }
    }
    assert!(log.contains("route=/login"), "sign-in is logged: {log}");
    assert!(log.contains("route=/logout"), "sign-out is logged: {log}");
    assert!(log.contains("route=/healthz"), "health is logged: {log}");
    assert!(
        log.contains("since the last count"),
        "the counted requests are counted: {log}"
    );
}

async fn the_log_of_the_whole_flow_at_trace_cannot_be_joined_to_a_stored_row(engine: Engine) {
    let (once, made_once) = run(engine, 1).await;
    let (thrice, made_thrice) = run(engine, 3).await;
    assert_eq!(made_thrice.codes.len(), 3 * made_once.codes.len());
    assert_unjoinable(&once, &made_once);
    assert_unjoinable(&thrice, &made_thrice);
    assert!(
        thrice.contains("screening=61 "),
        "the final count counts every screening request: {thrice}"
    );
    assert_eq!(
        normalized(&once),
        normalized(&thrice),
        "a run with three times the requests must log the same lines\n\none round:\n{once}\n\nthree rounds:\n{thrice}"
    );
}

crate::both_engines!(the_log_of_the_whole_flow_at_trace_cannot_be_joined_to_a_stored_row);
