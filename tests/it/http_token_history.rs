//! Issue 17, break 8: a client's one-time token is never in an address the clinician's
//! browser keeps (every page loaded, every redirect followed, every link and form address on
//! those pages), and a session locked for one client's questions opens no other invitation.
//! On both engines.

use crate::helpers;
use crate::helpers::{Browser, Engine, PASSWORD, TestApp, client_token_on, location};
use intake_screener::config::SecurityConfig;

const CLIENT_ANSWERS: &[(&str, &str)] = helpers::CLIENT_FORM;

/// What a browser keeps of a walk: each address it loaded or was sent to, and each address
/// the loaded pages link to or post to.
#[derive(Default)]
struct History {
    addresses: Vec<String>,
}

impl History {
    /// Loads `path` as a browser does, following redirects; returns the last response's
    /// status and body.
    async fn get(&mut self, browser: &Browser, path: &str) -> (u16, String) {
        self.visit(browser, path, browser.get(path)).await
    }

    /// Sends a form of this browser's pages (with its CSRF token), following redirects.
    async fn post(
        &mut self,
        browser: &Browser,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> (u16, String) {
        self.visit(browser, path, browser.post_form(path, pairs))
            .await
    }

    /// Sends exactly these pairs (a client form with its own form token).
    async fn post_raw(
        &mut self,
        browser: &Browser,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> (u16, String) {
        self.visit(browser, path, browser.post_raw(path, pairs))
            .await
    }

    /// Keeps `path`, sends the request, follows its redirects and keeps every address on the
    /// last page.
    async fn visit(
        &mut self,
        browser: &Browser,
        path: &str,
        request: impl Future<Output = reqwest::Response>,
    ) -> (u16, String) {
        self.addresses.push(path.to_owned());
        let mut response = request.await;
        while response.status().is_redirection() {
            let target = location(&response);
            self.addresses.push(target.clone());
            response = browser.get(&target).await;
        }
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        self.addresses.extend(addresses_in(&body));
        (status, body)
    }

    /// Opens the unlock page of a handed-over device and takes its form token.
    async fn unlock_page(&mut self, clinician: &mut Browser) {
        let (_, unlock) = self.get(clinician, "/unlock").await;
        clinician.csrf_token = helpers::csrf_token_in(&unlock);
    }

    /// Unlocks a handed-over device with the clinician's password; the page it lands on.
    async fn unlock(&mut self, clinician: &mut Browser) -> (u16, String) {
        self.unlock_page(clinician).await;
        self.post(clinician, "/unlock", &[("password", PASSWORD)])
            .await
    }

    fn assert_holds_none_of(&self, tokens: &[String]) {
        assert!(
            self.addresses.len() > 20,
            "a real walk: {:?}",
            self.addresses
        );
        for token in tokens {
            assert_eq!(token.len(), 32, "a client token: {token}");
            for address in &self.addresses {
                assert!(
                    !address.contains(token.as_str()),
                    "the token {token} is in an address the browser keeps: {address}"
                );
            }
        }
    }
}

/// Every `href`, `action` and `src` of a page.
fn addresses_in(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "action=\"", "src=\""] {
        for piece in html.split(attribute).skip(1) {
            found.push(piece.split('"').next().unwrap_or_default().to_owned());
        }
    }
    found
}

/// The form token of a client questions page.
fn form_token(page: &str) -> String {
    helpers::csrf_token_in(page).expect("the form's token")
}

/// The address a client questions page posts to.
fn form_action(page: &str) -> String {
    let piece = page
        .split("<form method=\"post\" action=\"")
        .nth(1)
        .expect("the questions' form");
    piece.split('"').next().unwrap_or_default().to_owned()
}

fn with_token<'a>(pairs: &[(&'a str, &'a str)], token: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut pairs = pairs.to_vec();
    pairs.push(("csrf_token", token));
    pairs
}

async fn the_token_is_in_no_address_the_clinicians_browser_keeps(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let mut history = History::default();
    let mut tokens = Vec::new();
    history.get(&alice, "/screenings/new").await;

    // A link for the client's phone: made, shown, reloaded, made again.
    let (status, page) = history
        .post(&alice, "/invitations", &[("mode", "link")])
        .await;
    assert_eq!(status, 200);
    let first = client_token_on(&page);
    tokens.push(first.clone());
    assert!(page.contains("<svg role=\"img\""), "the QR code");
    let id: String = app.count_text("SELECT id FROM invitations").await;
    let (_, reloaded) = history.get(&alice, &format!("/invitations/{id}")).await;
    assert_eq!(
        client_token_on(&reloaded),
        first,
        "a reload still shows the link"
    );
    let (_, renewed) = history
        .post(&alice, &format!("/invitations/{id}/new-link"), &[])
        .await;
    let second = client_token_on(&renewed);
    assert_ne!(second, first);
    tokens.push(second.clone());
    history.get(&alice, "/invitations").await;

    // The client answers on their phone; the clinician completes the screening.
    let phone = app.browser();
    let questions = phone.get_html(&format!("/c/{second}")).await;
    let answered = phone
        .post_raw(
            &format!("/c/{second}"),
            &with_token(CLIENT_ANSWERS, &form_token(&questions)),
        )
        .await;
    assert_eq!(answered.status(), 200);
    let (_, page) = history.get(&alice, &format!("/invitations/{id}")).await;
    assert!(!page.contains("id=\"client-link\""), "answered: no link");
    let (status, _) = history
        .get(&alice, &format!("/screenings/new?invitation={id}"))
        .await;
    assert_eq!(status, 200);

    // An expired invitation opens again under a new link.
    let (_, page) = history
        .post(&alice, "/invitations", &[("mode", "link")])
        .await;
    tokens.push(client_token_on(&page));
    app.db
        .execute("UPDATE invitations SET expiry = expiry - 86000 WHERE client_language IS NULL")
        .await;
    let expired: String = app
        .count_text("SELECT id FROM invitations WHERE client_language IS NULL")
        .await;
    let (_, revived) = history
        .post(&alice, &format!("/invitations/{expired}/new-link"), &[])
        .await;
    tokens.push(client_token_on(&revived));

    // The device handed over: the questions, the language switch, back to the questions
    // from the unlock page, unlocked early, handed over again, answered, unlocked.
    let (status, questions) = history
        .post(&alice, "/invitations", &[("mode", "device")])
        .await;
    assert_eq!(status, 200);
    assert!(questions.contains("id=\"client-form\""));
    tokens.push(alice.device_token());
    assert_eq!(form_action(&questions), "/c/here");
    let (status, switched) = history
        .post_raw(
            &alice,
            "/c/here",
            &with_token(
                &[
                    ("lang", "en"),
                    ("switch_lang", "es"),
                    ("q1_concern_expressed", "yes"),
                ],
                &form_token(&questions),
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert!(switched.contains("<html lang=\"es\">"));
    history.unlock_page(&mut alice).await;
    let (status, questions) = history.post(&alice, "/unlock/questions", &[]).await;
    assert_eq!(status, 200);
    tokens.push(alice.device_token());
    let (status, invitation) = history.unlock(&mut alice).await;
    assert_eq!(status, 200);
    assert!(invitation.contains("Hand the device over again"));
    alice.csrf_token = helpers::csrf_token_in(&invitation);
    let device: String = app
        .count_text("SELECT id FROM invitations WHERE administration = 'client_device'")
        .await;
    let (status, questions_again) = history
        .post(&alice, &format!("/invitations/{device}/hand-over"), &[])
        .await;
    assert_eq!(status, 200);
    tokens.push(alice.device_token());
    assert!(!questions.is_empty());
    let (status, thanks) = history
        .post_raw(
            &alice,
            "/c/here",
            &with_token(CLIENT_ANSWERS, &form_token(&questions_again)),
        )
        .await;
    assert_eq!(status, 200);
    assert!(thanks.contains("hand the device back"), "{thanks}");
    let (status, form) = history.unlock(&mut alice).await;
    assert_eq!(status, 200);
    assert!(form.contains("given on this device"));
    // Reloading the client view after answering: used.
    let (status, _) = history.get(&alice, "/c/here").await;
    assert_eq!(status, 410);

    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 7, "seven different tokens were made");
    history.assert_holds_none_of(&tokens);
}

/// The cookies that carry the token instead: HttpOnly, SameSite=Strict, Secure when
/// configured, scoped to the invitation's page or to the client view, and gone with the
/// invitation.
async fn the_tokens_cookies_are_scoped_strict_and_short_lived(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let bob = app.clinician("bob").await;
    for (mode, name, path) in [
        ("link", "screener_link=", "Path=/invitations/"),
        ("device", "screener_device=", "Path=/c/;"),
    ] {
        let response = bob.post_form("/invitations", &[("mode", mode)]).await;
        assert_eq!(response.status(), 303);
        assert!(!location(&response).contains('?'));
        let cookie = set_cookies(&response)
            .into_iter()
            .find(|cookie| cookie.starts_with(name))
            .unwrap_or_else(|| panic!("a {name} cookie"));
        assert!(cookie.contains(path), "{cookie}");
        if mode == "link" {
            let id = location(&response).replace("/invitations/", "");
            assert!(
                cookie.contains(&format!("Path=/invitations/{id};")),
                "{cookie}"
            );
        }
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(
            !cookie.contains("Secure"),
            "not without --secure-cookies: {cookie}"
        );
        let max_age: i64 = cookie
            .split("Max-Age=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .and_then(|seconds| seconds.parse().ok())
            .expect("a Max-Age");
        // The invitation's 60 minutes; on the device, its 30 minutes' grace as well.
        let limit = if mode == "link" { 3600 } else { 3600 + 1800 };
        assert!(
            max_age > limit - 60 && max_age <= limit,
            "{mode}: expires with the invitation: {cookie}"
        );
        if mode == "device" {
            assert_eq!(location(&response), "/c/here");
        }
    }

    // With --secure-cookies, the cookies are Secure too.
    let secure = TestApp::builder()
        .engine(engine)
        .security(SecurityConfig {
            secure_cookies: true,
            ..SecurityConfig::default()
        })
        .spawn()
        .await;
    secure.create_account("alice", false).await;
    for cookie in secure_invitation_cookies(&secure.address).await {
        assert!(cookie.contains("; Secure"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    }
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().expect("ascii").to_owned())
        .collect()
}

/// Signs alice in and makes a link and a device invitation on an app with
/// `--secure-cookies` (whose cookies a client over plain HTTP does not send back, so they are
/// carried by hand); returns the invitations' token cookies as set.
async fn secure_invitation_cookies(address: &str) -> Vec<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let pair = |response: &reqwest::Response, name: &str| -> String {
        set_cookies(response)
            .into_iter()
            .find(|cookie| cookie.starts_with(name))
            .and_then(|cookie| cookie.split(';').next().map(str::to_owned))
            .unwrap_or_else(|| panic!("a {name} cookie"))
    };
    let login = client.get(format!("{address}/login")).send().await.unwrap();
    let form_cookie = pair(&login, "screener_form=");
    let csrf = helpers::csrf_token_in(&login.text().await.unwrap()).unwrap();
    let signed_in = client
        .post(format!("{address}/login"))
        .header("cookie", &form_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(helpers::form_body(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = pair(&signed_in, "screener_session=");
    let form = client
        .get(format!("{address}/screenings/new"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    let csrf = helpers::csrf_token_in(&form.text().await.unwrap()).unwrap();
    let mut found = Vec::new();
    for mode in ["link", "device"] {
        let made = client
            .post(format!("{address}/invitations"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(helpers::form_body(&[("mode", mode), ("csrf_token", &csrf)]))
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), 303, "{mode}");
        found.extend(set_cookies(&made).into_iter().filter(|cookie| {
            cookie.starts_with("screener_link=") || cookie.starts_with("screener_device=")
        }));
    }
    assert_eq!(found.len(), 2, "{found:?}");
    found
}

async fn a_locked_device_opens_no_other_invitation(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;

    // A link alice made earlier (the page of which the device once showed), and bob's.
    let made = alice.post_form("/invitations", &[("mode", "link")]).await;
    let page = alice.get_html(&location(&made)).await;
    let alices_link = client_token_on(&page);
    let made = bob.post_form("/invitations", &[("mode", "link")]).await;
    let bobs_link = client_token_on(&bob.get_html(&location(&made)).await);
    // Opened before the hand-over: the form and its genuine form token are in the browser.
    let earlier = alice.get_html(&format!("/c/{alices_link}")).await;
    let earlier_token = form_token(&earlier);

    // The device is handed over for another client.
    let handed = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(location(&handed), "/c/here");
    let own_token = alice.device_token();

    for other in [&alices_link, &bobs_link] {
        let path = format!("/c/{other}");
        let refused = alice.get(&path).await;
        assert_eq!(refused.status(), 403, "GET {path}");
        let html = refused.text().await.unwrap();
        assert!(html.contains("This page cannot be opened here"), "{html}");
        assert!(html.contains("Please hand the device back to your therapist"));
        assert!(
            html.contains("href=\"/unlock\""),
            "the way back for the clinician"
        );
        assert!(!html.contains("client-form"), "no questions");
        let spanish = alice.get(&format!("{path}?lang=es")).await;
        assert_eq!(spanish.status(), 403);
        let spanish = spanish.text().await.unwrap();
        assert!(spanish.contains("<html lang=\"es\">"));
        assert!(
            spanish.contains("Esta página no se puede abrir aquí"),
            "{spanish}"
        );
        // Answers, or a language switch, with the form opened before: refused.
        for extra in [None, Some(("switch_lang", "es"))] {
            let mut pairs = with_token(CLIENT_ANSWERS, &earlier_token);
            pairs.extend(extra);
            let response = alice.post_raw(&path, &pairs).await;
            assert_eq!(response.status(), 403, "POST {path} {extra:?}");
        }
    }
    // Nothing was stored or spent: both links still open for their own clients.
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE client_language IS NOT NULL")
            .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM spent_tokens").await, 0);
    assert_eq!(app.count_screenings().await, 0);
    let phone = app.browser();
    for link in [&alices_link, &bobs_link] {
        assert_eq!(phone.get(&format!("/c/{link}")).await.status(), 200);
    }
    // Still locked; the device's own questions open, by their address or by the token.
    assert_eq!(location(&alice.get("/screenings").await), "/unlock");
    assert_eq!(alice.get(&format!("/c/{own_token}")).await.status(), 200);
    let questions = alice.get_html("/c/here").await;
    let sent = alice
        .post_raw(
            "/c/here",
            &with_token(CLIENT_ANSWERS, &form_token(&questions)),
        )
        .await;
    assert_eq!(sent.status(), 200);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations WHERE client_language IS NOT NULL \
             AND administration = 'client_device'"
        )
        .await,
        1
    );
    // Unlocked, the clinician's browser may open a link again (to check it, say).
    alice.take_token_from("/unlock").await;
    alice.post_form("/unlock", &[("password", PASSWORD)]).await;
    assert_eq!(alice.get(&format!("/c/{alices_link}")).await.status(), 200);
}

/// A client view address with no token behind it (the cookie gone): a calm 410, no 500.
async fn the_device_address_without_its_cookie_is_a_calm_410(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let stranger = app.browser();
    let response = stranger.get("/c/here").await;
    assert_eq!(response.status(), 410);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("This link has expired")
    );
    let response = stranger.post_raw("/c/here", CLIENT_ANSWERS).await;
    assert_eq!(response.status(), 410);
    // A cookie that is not a token is no token either.
    let forged = reqwest::Client::new()
        .get(stranger.url("/c/here"))
        .header("cookie", "screener_device=%3Cscript%3E")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 410);
    let forged = reqwest::Client::new()
        .get(stranger.url("/c/here"))
        .header("cookie", format!("screener_device={}", "A".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
}

crate::both_engines!(
    the_token_is_in_no_address_the_clinicians_browser_keeps,
    the_tokens_cookies_are_scoped_strict_and_short_lived,
    a_locked_device_opens_no_other_invitation,
    the_device_address_without_its_cookie_is_a_calm_410,
);
