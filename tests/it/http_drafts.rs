//! Drafts of an interrupted intake (PRODUCT §6.1), over real HTTP on both engines: *Save as
//! draft* keeps the coded answers so far (owner-only, no review code, an expiry on the whole
//! hour within 24 hours); the list shows open drafts; resuming fills the form in; saving the
//! screening deletes the draft in the same transaction (once, even when sent twice at once);
//! discard and the sweep delete it; another clinician's draft is 404, a tampered id or an
//! expired draft 410; no 4xx changes anything; nothing of a deleted draft is left in any file
//! of a SQLite database; no log line names a draft id.

use crate::helpers;
use crate::helpers::{Browser, EXAMPLE_FORM, Engine, TestApp, code_of, location};

/// An intake interrupted after two questions and part of the details.
const PARTIAL: &[(&str, &str)] = &[
    ("q1_concern_expressed", "yes"),
    ("q3_escape", "pornography"),
    ("q3_escape", "exercise"),
    ("pattern", "intense_periods"),
    ("control", "not_assessed"),
    ("secrecy", "on"),
];

/// The rest of the intake, as the form sends it once finished.
const FINISHED: &[(&str, &str)] = &[
    ("q1_concern_expressed", "yes"),
    ("q2_self_concern", "no"),
    ("q3_escape", "pornography"),
    ("q3_escape", "exercise"),
    ("q4_secrets", "yes"),
    ("q5_others_disturbed", "declined"),
    ("q6_shame", "no"),
    ("pattern", "intense_periods"),
    ("control", "retained"),
    ("secrecy", "on"),
];

const GONE_MESSAGE: &str = "This draft is no longer available: drafts are kept 24 hours";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn with<'a>(pairs: &[(&'a str, &'a str)], more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = pairs.to_vec();
    all.extend_from_slice(more);
    all
}

/// Saves a draft of `pairs`; returns its id (the clinician's only draft, or the newest one
/// not in `known`).
async fn save_draft(app: &TestApp, browser: &Browser, pairs: &[(&str, &str)]) -> String {
    let before = app.db.texts("SELECT id FROM drafts").await;
    let response = browser.post_form("/drafts", pairs).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let target = location(&response);
    assert_eq!(target, "/screenings?saved=draft#open-drafts");
    let after = app.db.texts("SELECT id FROM drafts").await;
    let new: Vec<String> = after
        .into_iter()
        .filter(|id| !before.contains(id))
        .collect();
    assert_eq!(new.len(), 1, "one new draft");
    new[0].clone()
}

/// Everything stored of every draft, to prove a request changed nothing.
async fn drafts_snapshot(app: &TestApp) -> Vec<String> {
    app.db
        .texts(
            "SELECT id || ' ' || clinician_id || ' ' || expiry || ' ' || coalesce(prior_id || '', '-') \
             || ' ' || coalesce(invitation_id, '-') || ' ' || coalesce(q1_concern_expressed, '-') \
             || ' ' || coalesce(q2_self_concern, '-') || ' ' || coalesce(q3_escape, '-') \
             || ' ' || coalesce(q4_secrets, '-') || ' ' || coalesce(pattern, '-') || ' ' || control \
             FROM drafts ORDER BY id",
        )
        .await
}

fn checked(html: &str, id: &str) -> bool {
    html.split('<')
        .any(|tag| tag.contains(&format!("id=\"{id}\"")) && tag.contains(" checked"))
}

async fn a_draft_is_saved_listed_resumed_and_deleted_by_saving_the_screening(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let form = alice.get_html("/screenings/new").await;
    assert!(
        form.contains("formaction=\"/drafts\" formnovalidate") && form.contains("Save as draft"),
        "the form offers Save as draft"
    );
    let prior = code_of(&alice.submit(EXAMPLE_FORM).await);

    let id = save_draft(&app, &alice, &with(PARTIAL, &[("prior_code", &prior)])).await;
    assert!(
        id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "64 random bits in hex: {id}"
    );
    assert_eq!(app.count_screenings().await, 1, "a draft is no screening");
    assert_eq!(
        app.count_text("SELECT q3_escape FROM drafts").await,
        "pornography exercise"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM drafts WHERE q2_self_concern IS NULL AND q4_secrets IS NULL"
        )
        .await,
        1,
        "questions not answered are missing"
    );
    // The earlier screening by its internal id, never its code.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM drafts d JOIN screenings s ON s.id = d.prior_id \
             WHERE s.review_code = (SELECT review_code FROM screenings LIMIT 1)"
        )
        .await,
        1
    );
    let expiry = app.count("SELECT expiry FROM drafts").await;
    let now = now();
    assert_eq!(
        expiry % 3600,
        0,
        "a whole hour: the expiry dates nothing finer"
    );
    assert!(
        expiry <= now + 24 * 3600 && expiry > now + 23 * 3600 - 5,
        "{expiry} vs {now}"
    );

    // The list shows it, with Resume and Discard.
    let list = alice.get_html("/screenings?saved=draft").await;
    assert!(
        list.contains("Open drafts") && list.contains("Draft saved"),
        "{list}"
    );
    assert!(list.contains(&format!("href=\"/screenings/new?draft={id}\"")));
    assert!(list.contains(&format!("action=\"/drafts/{id}/discard\"")));
    assert!(list.contains("2 of 6 questions, and details"), "{list}");
    assert!(list.contains(&format!(
        "re-screen of <span class=\"review-code\">{prior}</span>"
    )));
    let plain = alice.get_html("/screenings").await;
    assert!(plain.contains("Open drafts") && !plain.contains("Draft saved"));

    // Resume fills the form in.
    let resumed = alice.get_html(&format!("/screenings/new?draft={id}")).await;
    for control in [
        "q1_concern_expressed-yes",
        "q3_escape-pornography",
        "q3_escape-exercise",
        "pattern-intense_periods",
        "control-not_assessed",
        "secrecy",
    ] {
        assert!(checked(&resumed, control), "{control} is filled in");
    }
    for control in [
        "q2_self_concern-yes",
        "q2_self_concern-no",
        "q2_self_concern-declined",
        "escape_use",
    ] {
        assert!(!checked(&resumed, control), "{control} stays empty");
    }
    assert!(
        resumed.contains(&format!("value=\"{prior}\"")),
        "the earlier screening"
    );
    assert!(resumed.contains(&format!("name=\"draft\" value=\"{id}\"")));
    assert!(resumed.contains("Resumed from your draft"));

    // Saved again from the resumed form: the same draft, with the new answers.
    let mut more = with(PARTIAL, &[("prior_code", &prior), ("draft", &id)]);
    more.push(("q2_self_concern", "no"));
    let again = alice.post_form("/drafts", &more).await;
    assert_eq!(again.status(), 303);
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 1);
    assert_eq!(
        app.count_text("SELECT q2_self_concern FROM drafts").await,
        "no"
    );
    assert_eq!(app.count_text("SELECT id FROM drafts").await, id);

    // Finished and saved: the draft goes in the same transaction as the screening comes.
    let result = alice
        .submit(&with(FINISHED, &[("prior_code", &prior), ("draft", &id)]))
        .await;
    assert!(result.starts_with("/screenings/"));
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
    assert_eq!(app.count_screenings().await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM screenings WHERE prior_id IS NOT NULL")
            .await,
        1,
        "linked to the earlier screening"
    );
    // Sent again (Back, then the button): nothing more is stored.
    let twice = alice
        .post_form(
            "/screenings",
            &with(FINISHED, &[("prior_code", &prior), ("draft", &id)]),
        )
        .await;
    assert_eq!(twice.status(), 404);
    let page = twice.text().await.unwrap();
    assert!(page.contains("Nothing was saved"), "{page}");
    assert!(checked(&page, "q4_secrets-yes"), "the answers are kept");
    assert!(
        !page.contains("name=\"draft\""),
        "the draft reference is dropped"
    );
    assert_eq!(app.count_screenings().await, 2);
    assert!(!alice.get_html("/screenings").await.contains("Open drafts"));
}

async fn one_draft_one_screening_even_when_sent_at_once(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let id = save_draft(&app, &alice, PARTIAL).await;
    let with_draft = with(FINISHED, &[("draft", &id)]);
    // Six saves of the draft and ten plain screenings at once, so that the batch writer
    // commits several together.
    let (drafted, plain) = tokio::join!(
        futures_join(&alice, &with_draft, 6),
        futures_join(&alice, FINISHED, 10)
    );
    let mut statuses = drafted.clone();
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 404, 404, 404, 404, 404], "{drafted:?}");
    assert!(plain.iter().all(|status| *status == 303), "{plain:?}");
    assert_eq!(app.count_screenings().await, 11);
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
}

/// Posts the screening `n` times at once; returns the statuses.
async fn futures_join(browser: &Browser, pairs: &[(&str, &str)], n: usize) -> Vec<u16> {
    let posts = (0..n).map(|_| async {
        browser
            .try_submit(pairs)
            .await
            .map(|(status, _)| status)
            .expect("an answer")
    });
    futures_util::future::join_all(posts).await
}

async fn another_clinicians_or_an_unknown_draft_is_404_and_changes_nothing(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let id = save_draft(&app, &alice, PARTIAL).await;
    let before = drafts_snapshot(&app).await;
    let unknown = "0123456789abcdef";
    for draft in [id.as_str(), unknown] {
        let resume = bob.get(&format!("/screenings/new?draft={draft}")).await;
        assert_eq!(resume.status(), 404);
        let page = resume.text().await.unwrap();
        assert!(page.contains("There is no draft of yours"), "{page}");
        assert!(!page.contains("pornography"), "nothing of the draft shows");
        assert_eq!(
            bob.post_form(&format!("/drafts/{draft}/discard"), &[])
                .await
                .status(),
            404
        );
        assert_eq!(
            bob.post_form("/drafts", &with(PARTIAL, &[("draft", draft)]))
                .await
                .status(),
            404,
            "nobody saves over another's draft"
        );
        let saved = bob
            .post_form("/screenings", &with(FINISHED, &[("draft", draft)]))
            .await;
        assert_eq!(saved.status(), 404);
        assert!(saved.text().await.unwrap().contains("Nothing was saved"));
    }
    assert!(
        !bob.get_html("/screenings").await.contains(&id),
        "not in bob's list"
    );
    assert_eq!(drafts_snapshot(&app).await, before, "nothing changed");
    assert_eq!(app.count_screenings().await, 0);
}

async fn a_tampered_id_or_an_expired_draft_is_410_and_changes_nothing(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let id = save_draft(&app, &alice, PARTIAL).await;
    let before = drafts_snapshot(&app).await;
    for tampered in [
        "1",
        "0123456789ABCDEF",
        &format!("{id}0"),
        "..%2F..%2Fetc",
        "%00",
    ] {
        let page = alice
            .get(&format!("/screenings/new?draft={tampered}"))
            .await;
        assert_eq!(page.status(), 410, "{tampered}");
        assert!(page.text().await.unwrap().contains(GONE_MESSAGE));
    }
    for tampered in ["1", "0123456789ABCDEF", "x%20y"] {
        assert_eq!(
            alice
                .post_form(&format!("/drafts/{tampered}/discard"), &[])
                .await
                .status(),
            410
        );
        let saved = alice
            .post_form("/screenings", &with(FINISHED, &[("draft", tampered)]))
            .await;
        assert_eq!(saved.status(), 410);
        assert!(
            saved
                .text()
                .await
                .unwrap()
                .contains("drafts are kept 24 hours")
        );
    }
    assert_eq!(drafts_snapshot(&app).await, before);

    // Expired (its expiry moved into the past, as the clock would): 410 everywhere, nothing
    // changed, and not listed; once swept it is unknown (404), with nothing kept of it.
    app.db.execute("UPDATE drafts SET expiry = 3600").await;
    let before = drafts_snapshot(&app).await;
    let resume = alice.get(&format!("/screenings/new?draft={id}")).await;
    assert_eq!(resume.status(), 410);
    assert!(resume.text().await.unwrap().contains(GONE_MESSAGE));
    assert_eq!(
        alice
            .post_form(&format!("/drafts/{id}/discard"), &[])
            .await
            .status(),
        410
    );
    assert_eq!(
        alice
            .post_form("/drafts", &with(PARTIAL, &[("draft", &id)]))
            .await
            .status(),
        410
    );
    let saved = alice
        .post_form("/screenings", &with(FINISHED, &[("draft", &id)]))
        .await;
    assert_eq!(saved.status(), 410);
    let page = saved.text().await.unwrap();
    assert!(page.contains("drafts are kept 24 hours") && checked(&page, "q4_secrets-yes"));
    assert_eq!(app.count_screenings().await, 0);
    assert_eq!(drafts_snapshot(&app).await, before, "nothing changed");
    assert!(!alice.get_html("/screenings").await.contains("Open drafts"));
    assert_eq!(app.store.sweep_drafts(now()).await.unwrap(), 1);
    assert_eq!(
        alice
            .get(&format!("/screenings/new?draft={id}"))
            .await
            .status(),
        404
    );
}

async fn a_draft_holds_codes_only_and_a_refused_one_stores_nothing(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let id = save_draft(&app, &alice, PARTIAL).await;
    let before = drafts_snapshot(&app).await;
    for (bad, field) in [
        (
            ("q2_self_concern", "Jane Doe, born 1990"),
            "q2_self_concern",
        ),
        (("q3_escape", "declined"), "q3_escape"),
        (("notes", "lives on Elm Street"), "notes"),
        (("prior_code", "K7QF-29MX"), "prior_code"),
        (("escalation", "sometimes"), "escalation"),
    ] {
        for draft in [None, Some(id.as_str())] {
            let mut pairs = with(PARTIAL, &[bad]);
            if let Some(draft) = draft {
                pairs.push(("draft", draft));
            }
            let response = alice.post_form("/drafts", &pairs).await;
            assert_eq!(response.status(), 422, "{bad:?}");
            let page = response.text().await.unwrap();
            assert!(page.contains("Nothing was saved as a draft"), "{page}");
            assert!(page.contains("error-summary"), "{field} is named");
            assert!(
                checked(&page, "q1_concern_expressed-yes"),
                "the answers are kept"
            );
            if let Some(draft) = draft {
                assert!(page.contains(&format!("name=\"draft\" value=\"{draft}\"")));
            }
        }
    }
    assert_eq!(drafts_snapshot(&app).await, before, "a 422 changes nothing");
    // Without the form's token: 403, the form comes back, nothing stored.
    let forged = alice.post_raw("/drafts", PARTIAL).await;
    assert_eq!(forged.status(), 403);
    assert!(checked(
        &forged.text().await.unwrap(),
        "q1_concern_expressed-yes"
    ));
    let forged = alice.post_raw(&format!("/drafts/{id}/discard"), &[]).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(drafts_snapshot(&app).await, before, "a 403 changes nothing");
    // Not signed in: nothing.
    let stranger = app.browser();
    let response = stranger
        .post_raw(&format!("/drafts/{id}/discard"), &[])
        .await;
    assert!(response.status().is_redirection() || response.status().is_client_error());
    assert_eq!(drafts_snapshot(&app).await, before);
}

async fn discard_deletes_a_draft(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let kept = save_draft(&app, &alice, PARTIAL).await;
    let id = save_draft(&app, &alice, &[("q6_shame", "yes")]).await;
    let list = alice.get_html("/screenings").await;
    assert!(list.contains(&kept) && list.contains(&id));
    let response = alice.post_form(&format!("/drafts/{id}/discard"), &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/screenings#open-drafts");
    assert_eq!(
        app.db.texts("SELECT id FROM drafts").await,
        std::slice::from_ref(&kept)
    );
    assert_eq!(
        alice
            .post_form(&format!("/drafts/{id}/discard"), &[])
            .await
            .status(),
        404,
        "discarded already"
    );
    assert_eq!(
        alice
            .get(&format!("/screenings/new?draft={id}"))
            .await
            .status(),
        404
    );
    assert!(!alice.get_html("/screenings").await.contains(&id));
}

async fn the_sweep_deletes_drafts_24_hours_after_they_were_saved(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let saved_at = now();
    save_draft(&app, &alice, PARTIAL).await;
    assert_eq!(app.store.sweep_drafts(now()).await.unwrap(), 0);
    assert_eq!(
        app.store
            .sweep_drafts(saved_at + 23 * 3600 - 60)
            .await
            .unwrap(),
        0,
        "kept at least 23 hours"
    );
    assert_eq!(
        app.store
            .sweep_drafts(saved_at + 24 * 3600 + 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
}

/// The client's answers to the six questions.
const CLIENT_ANSWERS: &[(&str, &str)] = helpers::CLIENT_FORM;

async fn a_draft_from_the_clients_answers_keeps_the_invitation(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let made = alice.post_form("/invitations", &[("mode", "link")]).await;
    let target = location(&made);
    let invitation = target
        .strip_prefix("/invitations/")
        .expect("an invitation")
        .to_owned();
    let token = helpers::client_token_on(&alice.get_html(&target).await);
    let phone = app.browser();
    let questions = phone.get_html(&format!("/c/{token}")).await;
    let form_token = helpers::csrf_token_in(&questions).expect("token");
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("csrf_token", &form_token));
    assert_eq!(
        phone
            .post_raw(&format!("/c/{token}"), &pairs)
            .await
            .status(),
        200
    );

    // The clinician starts from the client's answers, corrects one, is interrupted.
    let mut draft_pairs: Vec<(&str, &str)> = CLIENT_ANSWERS
        .iter()
        .copied()
        .filter(|(field, _)| *field != "q4_secrets")
        .collect();
    draft_pairs.extend([("q4_secrets", "yes"), ("invitation", invitation.as_str())]);
    let id = save_draft(&app, &alice, &draft_pairs).await;
    assert_eq!(
        app.count_text("SELECT invitation_id FROM drafts").await,
        invitation
    );
    assert!(
        alice
            .get_html("/screenings")
            .await
            .contains("started from the client's own answers")
    );
    let resumed = alice.get_html(&format!("/screenings/new?draft={id}")).await;
    assert!(checked(&resumed, "q4_secrets-yes"), "the draft's answer");
    assert_eq!(resumed.matches("Client's own answer").count(), 6);
    assert!(resumed.contains(&format!("name=\"invitation\" value=\"{invitation}\"")));

    let mut finished = draft_pairs.clone();
    finished.extend([("control", "retained"), ("draft", id.as_str())]);
    alice.submit(&finished).await;
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM screenings WHERE administration = 'client_link' AND intake_corrected"
        )
        .await,
        1
    );
}

async fn a_draft_sent_after_the_session_ended_comes_back_after_signing_in(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let id = save_draft(&app, &alice, PARTIAL).await;
    let before = drafts_snapshot(&app).await;
    // The session ended while the resumed form was open: nothing stored, the sign-in form
    // carries the answers and the draft.
    let mut late = app.browser();
    let mut form = PARTIAL.to_vec();
    form.extend([("q2_self_concern", "no"), ("draft", id.as_str())]);
    let expired = late.post_raw("/drafts", &form).await;
    assert_eq!(expired.status(), 401);
    let html = expired.text().await.unwrap();
    assert!(
        html.contains(&format!("name=\"carry.draft\" value=\"{id}\"")),
        "{html}"
    );
    assert_eq!(drafts_snapshot(&app).await, before);
    late.csrf_token = helpers::csrf_token_in(&html);
    let mut sign_in: Vec<(String, String)> = vec![
        ("username".into(), "alice".into()),
        ("password".into(), helpers::PASSWORD.into()),
    ];
    sign_in.extend(
        form.iter()
            .map(|(field, value)| (format!("carry.{field}"), (*value).to_owned())),
    );
    let pairs: Vec<(&str, &str)> = sign_in
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    let resumed = late.post_form("/login", &pairs).await;
    assert_eq!(resumed.status(), 200);
    let resumed = resumed.text().await.unwrap();
    assert!(resumed.contains(&format!("name=\"draft\" value=\"{id}\"")));
    assert!(checked(&resumed, "q2_self_concern-no"));
    late.csrf_token = helpers::csrf_token_in(&resumed);
    assert_eq!(late.post_form("/drafts", &form).await.status(), 303);
    assert_eq!(
        app.count_text("SELECT q2_self_concern FROM drafts").await,
        "no"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM drafts").await,
        1,
        "the same draft"
    );
}

crate::both_engines!(
    a_draft_sent_after_the_session_ended_comes_back_after_signing_in,
    a_draft_is_saved_listed_resumed_and_deleted_by_saving_the_screening,
    one_draft_one_screening_even_when_sent_at_once,
    another_clinicians_or_an_unknown_draft_is_404_and_changes_nothing,
    a_tampered_id_or_an_expired_draft_is_410_and_changes_nothing,
    a_draft_holds_codes_only_and_a_refused_one_stores_nothing,
    discard_deletes_a_draft,
    the_sweep_deletes_drafts_24_hours_after_they_were_saved,
    a_draft_from_the_clients_answers_keeps_the_invitation,
);

/// The files of the database (file, `-wal`, `-shm`, `-journal`) that hold `needle`'s bytes.
fn files_holding(app: &TestApp, needle: &str) -> Vec<String> {
    ["", "-wal", "-shm", "-journal"]
        .into_iter()
        .map(|suffix| format!("{}{suffix}", app.db_path.display()))
        .filter(|path| {
            std::fs::read(path).is_ok_and(|bytes| {
                bytes
                    .windows(needle.len())
                    .any(|window| window == needle.as_bytes())
            })
        })
        .collect()
}

/// SQLite only: the files are SQLite's (PostgreSQL's are the server's, see DEPLOYMENT.md).
#[tokio::test]
async fn nothing_of_a_draft_outlives_it_in_any_file() {
    let app = TestApp::builder().engine(Engine::Sqlite).spawn().await;
    let alice = app.clinician("alice").await;
    let discarded = save_draft(&app, &alice, PARTIAL).await;
    let expired = save_draft(&app, &alice, PARTIAL).await;
    let saved = save_draft(&app, &alice, PARTIAL).await;
    for id in [&discarded, &expired, &saved] {
        assert!(
            !files_holding(&app, id).is_empty(),
            "{id} is stored at first"
        );
    }
    alice
        .post_form(&format!("/drafts/{discarded}/discard"), &[])
        .await;
    assert_eq!(
        files_holding(&app, &discarded),
        Vec::<String>::new(),
        "discarded"
    );
    app.db
        .execute(&format!(
            "UPDATE drafts SET expiry = 3600 WHERE id = '{expired}'"
        ))
        .await;
    assert_eq!(app.store.sweep_drafts(now()).await.unwrap(), 1);
    assert_eq!(files_holding(&app, &expired), Vec::<String>::new(), "swept");
    alice.submit(&with(FINISHED, &[("draft", &saved)])).await;
    for id in [&discarded, &expired, &saved] {
        assert_eq!(
            files_holding(&app, id),
            Vec::<String>::new(),
            "draft {id} is left in a file"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
}

/// A backup holds no draft: a draft is kept 24 hours at most, a backup for years.
#[tokio::test]
async fn a_backup_holds_no_draft() {
    let app = TestApp::builder().engine(Engine::Sqlite).spawn().await;
    let alice = app.clinician("alice").await;
    alice.submit(FINISHED).await;
    let id = save_draft(&app, &alice, PARTIAL).await;
    let backup = app.db.dir.path().join("backup.db");
    let summary = app.store.backup_to(&backup).await.expect("backup");
    assert_eq!(summary.screenings, 1);
    let copy =
        sqlx::sqlite::SqlitePool::connect(&format!("{}?mode=ro", helpers::database_url(&backup)))
            .await
            .unwrap();
    let drafts: i64 = sqlx::query_scalar("SELECT count(*) FROM drafts")
        .fetch_one(&copy)
        .await
        .unwrap();
    copy.close().await;
    assert_eq!(drafts, 0);
    let bytes = std::fs::read(&backup).unwrap();
    assert!(
        !bytes
            .windows(id.len())
            .any(|window| window == id.as_bytes()),
        "the draft is in no page of the backup"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM drafts").await,
        1,
        "the database keeps it"
    );
}

/// The real binary, logging everything it logs at every level: no line names a draft's id.
#[tokio::test]
async fn no_log_line_names_a_draft() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    let url = helpers::database_url(&db);
    let log = dir.path().join("log");
    helpers::server::add_account_on(&url, "alice");
    let port = helpers::server::free_port();
    let mut child = Command::new(helpers::server::BIN)
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database",
            &url,
        ])
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start screener serve");
    let mut banner = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let mut server = helpers::server::Server {
        child,
        address: format!("http://127.0.0.1:{port}"),
        log: log.clone(),
    };
    let mut alice = Browser::new(&server.address);
    assert_eq!(
        alice.sign_in("alice", helpers::PASSWORD).await.status(),
        303
    );
    alice.refresh_csrf_token().await;

    let saved = alice.post_form("/drafts", PARTIAL).await;
    assert_eq!(saved.status(), 303);
    let list = alice.get_html("/screenings").await;
    let ids: Vec<String> = list
        .match_indices("/screenings/new?draft=")
        .map(|(at, marker)| list[at + marker.len()..at + marker.len() + 16].to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{list}");
    let id = ids[0].clone();
    alice.get_html(&format!("/screenings/new?draft={id}")).await;
    let resaved = alice
        .post_form("/drafts", &with(PARTIAL, &[("draft", &id)]))
        .await;
    assert_eq!(resaved.status(), 303);
    alice.get(&format!("/screenings/new?draft={id}X")).await;
    let discarded = alice.post_form(&format!("/drafts/{id}/discard"), &[]).await;
    assert_eq!(discarded.status(), 303);
    alice.post_form(&format!("/drafts/{id}/discard"), &[]).await;
    let other = save_draft_on(&alice).await;
    alice.submit(&with(FINISHED, &[("draft", &other)])).await;

    server.terminate(std::time::Duration::from_secs(10));
    let logs = server.logs();
    assert!(
        !logs.contains("/drafts"),
        "draft routes are counted, not logged: {logs}"
    );
    assert!(logs.contains("draft=5 "), "{logs}");
    for needle in [id.as_str(), other.as_str()] {
        assert!(
            !logs.contains(needle),
            "the log names draft {needle}:\n{logs}"
        );
    }
}

/// Saves a draft through the list (no database look, for the real binary); returns its id.
async fn save_draft_on(browser: &Browser) -> String {
    assert_eq!(browser.post_form("/drafts", PARTIAL).await.status(), 303);
    let list = browser.get_html("/screenings").await;
    let marker = "/screenings/new?draft=";
    let at = list.find(marker).expect("a draft") + marker.len();
    list[at..at + 16].to_owned()
}
