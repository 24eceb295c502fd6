//! Accounts and security over HTTP: first run, sign-in, the gate on every private route,
//! ownership, CSRF, headers, throttling, sign-out, deactivation, the audit log.

use crate::helpers;
use crate::helpers::{Engine, TestApp};

use crate::helpers::{Browser, CASUAL_FORM, EXAMPLE_FORM, PASSWORD, code_of, location};
use intake_screener::config::SecurityConfig;
use intake_screener::web::routes::{self, Access, Category, Lock, Log, RouteInfo};

async fn first_run_setup_link_creates_the_first_admin_once(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let token = app
        .setup_token
        .clone()
        .expect("a fresh app has a setup token");
    let mut browser = app.browser();

    let response = browser.get("/login").await;
    assert_eq!(response.status(), 503);
    assert!(response.text().await.unwrap().contains("setup link"));
    assert_eq!(browser.get("/setup?token=wrong").await.status(), 404);
    assert_eq!(browser.get("/setup").await.status(), 404);

    let html = browser.get_html(&format!("/setup?token={token}")).await;
    browser.csrf_token = helpers::csrf_token_in(&html);
    let short = browser
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("username", "admin"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(short.status(), 422);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("at least 12 characters")
    );

    let created = browser
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("username", "Admin"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    assert_eq!(location(&created), "/screenings/new");
    browser.refresh_csrf_token().await;
    assert_eq!(
        browser.get("/admin/clinicians").await.status(),
        200,
        "the first account is an admin"
    );

    assert_eq!(
        app.browser()
            .get(&format!("/setup?token={token}"))
            .await
            .status(),
        404,
        "the link works once"
    );
    let again = browser
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("username", "second"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status(), 404);
    assert_eq!(app.store.count_clinicians().await.unwrap(), 1);
}

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{code}", "K7QF-29MX")
        .replace("{username}", "alice")
        .replace("{file}", "app.css")
        .replace("{id}", "0123456789abcdef")
        // A handed-over device's own client view.
        .replace("{token}", "here")
}

async fn every_private_route_needs_a_session(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", true).await;
    let table = routes::table();
    assert!(
        table
            .iter()
            .filter(|route| route.access != Access::Public)
            .count()
            >= 8
    );
    let anonymous = app.browser();
    for route in table.iter().filter(|route| route.access != Access::Public) {
        let path = concrete(route.path);
        let response = request(&anonymous, route, &path).await;
        let status = response.status().as_u16();
        assert!(
            [303, 401].contains(&status),
            "{} {} answered {status} without a session",
            route.method,
            route.path
        );
        if status == 401 {
            let html = response.text().await.unwrap();
            assert!(
                html.contains("action=\"/login\""),
                "{} {}: 401 is the sign-in form",
                route.method,
                route.path
            );
            continue;
        }
        assert!(
            location(&response).starts_with("/login"),
            "{} {} redirects elsewhere",
            route.method,
            route.path
        );
    }
    let response = anonymous.get("/screenings?band=casual").await;
    assert_eq!(
        location(&response),
        "/login?next=%2Fscreenings%3Fband%3Dcasual"
    );
}

/// A route's request, as a browser sends it: a `POST` with the browser's CSRF token.
async fn request(browser: &Browser, route: &RouteInfo, path: &str) -> reqwest::Response {
    match route.method.as_str() {
        "GET" => browser.get(path).await,
        "POST" => browser.post_form(path, &[]).await,
        other => panic!("{other} {}: a method the tests do not send", route.path),
    }
}

#[tokio::test]
async fn public_routes_are_only_the_expected_ones() {
    let public: Vec<String> = routes::table()
        .iter()
        .filter(|route| route.access == Access::Public)
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    assert_eq!(
        public,
        [
            "GET /",
            "GET /login",
            "POST /login",
            "GET /setup",
            "POST /setup",
            "GET /unlock",
            "POST /unlock",
            // Acts only for a locked session: back to its own client's questions.
            "POST /unlock/questions",
            // The second step of a sign-in: only with a signed pending cookie.
            "GET /login/two-factor",
            "POST /login/two-factor",
            "GET /healthz",
            "GET /static/{file}",
            "GET /c/{token}",
            "POST /c/{token}",
        ]
    );
}

#[test]
fn each_route_is_listed_once() {
    let table = routes::table();
    for (i, route) in table.iter().enumerate() {
        assert!(
            !table[..i]
                .iter()
                .any(|other| other.method == route.method && other.path == route.path),
            "{} {} twice",
            route.method,
            route.path
        );
    }
}

/// PRODUCT §4, §6: a path that carries a screening's review code, an invitation's or a
/// draft's id, or a client's token names what a client gave, so its requests are counted,
/// never logged with their time; and no route open to anyone is logged with one.
#[test]
fn no_route_with_a_code_or_token_in_its_path_is_logged() {
    let table = routes::table();
    for route in &table {
        let carries = ["{code}", "{id}", "{token}"]
            .iter()
            .any(|parameter| route.path.contains(parameter));
        if carries {
            assert!(
                matches!(route.log, Log::Counted(_)),
                "{} {} is logged",
                route.method,
                route.path
            );
        }
        assert!(
            !(carries && route.access == Access::Public && route.log == Log::Line),
            "{} {} is public and logged",
            route.method,
            route.path
        );
    }
    assert!(table.iter().any(|route| route.path.contains("{token}")));
    assert!(table.iter().any(|route| route.path.contains("{code}")));
}

/// PRODUCT §4: every route that concerns a screening, an invitation, a draft, an unlock or the
/// client view is counted, never logged with its time; the only routes logged one by one are
/// these, which concern clinicians' accounts and health probes (the audit log has the same
/// events with their time anyway).
#[test]
fn no_route_that_concerns_a_client_is_logged() {
    let table = routes::table();
    let logged: Vec<String> = table
        .iter()
        .filter(|route| route.log == Log::Line)
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    assert_eq!(
        logged,
        [
            "GET /login",
            "POST /login",
            "POST /logout",
            "GET /setup",
            "POST /setup",
            "GET /account/password",
            "POST /account/password",
            "GET /admin/clinicians",
            "POST /admin/clinicians",
            "POST /admin/clinicians/{username}/active",
            "POST /admin/clinicians/{username}/password",
            "POST /account/sign-out-others",
            "POST /admin/clinicians/{username}/sign-out",
            "POST /admin/clinicians/{username}/two-factor",
            "GET /admin/audit",
            "GET /account/two-factor",
            "POST /account/two-factor",
            "GET /login/two-factor",
            "POST /login/two-factor",
            "GET /healthz",
        ]
    );
    let categories = [
        ("/screenings", Category::Screening),
        ("/invitations", Category::Invitation),
        ("/drafts", Category::Draft),
        ("/unlock", Category::Unlock),
        ("/c/", Category::Client),
    ];
    for route in &table {
        if let Some((_, category)) = categories
            .iter()
            .find(|(prefix, _)| route.path.starts_with(prefix))
        {
            assert_eq!(route.log, Log::Counted(*category), "{}", route.path);
        }
        // The landing redirect, the stylesheet a client's phone loads, the instrument, the
        // dashboard: counted too.
        if ["/", "/static/{file}", "/dashboard"].contains(&route.path)
            || route.path.starts_with("/fhir")
        {
            assert!(matches!(route.log, Log::Counted(_)), "{}", route.path);
        }
    }
}

/// A clinician's browser, locked: the device handed to a client (PRODUCT §6).
async fn locked_device(app: &helpers::TestApp, name: &str) -> Browser {
    let browser = app.clinician(name).await;
    let response = browser
        .post_form("/invitations", &[("mode", "device")])
        .await;
    assert_eq!(location(&response), "/c/here", "handed over");
    assert_eq!(location(&browser.get("/").await), "/unlock", "locked");
    browser
}

/// True when a response is the lock's: sent to `/unlock`.
fn sent_to_unlock(response: &reqwest::Response) -> bool {
    response.status() == 303 && location(response) == "/unlock"
}

/// PRODUCT §6: every route of the table meets a locked session as its lock policy says,
/// by its method: [`Lock::RedirectToUnlock`] sends it to `/unlock` (whoever may use the
/// route otherwise), [`Lock::Open`] answers as usual. Addresses that match no route follow
/// their router's fallback: the app's is locked, the client view's is not.
async fn every_route_meets_a_locked_session_as_the_table_says(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let table = routes::table();
    let locked = locked_device(&app, "alice").await;
    for route in table
        .iter()
        .filter(|route| route.lock == Lock::RedirectToUnlock)
    {
        let response = request(&locked, route, &concrete(route.path)).await;
        assert!(
            sent_to_unlock(&response),
            "{} {} answered {} while locked",
            route.method,
            route.path,
            response.status()
        );
    }
    // An open route may end the lock (signing out, unlocking): each gets a device of its own.
    let open: Vec<&RouteInfo> = table
        .iter()
        .filter(|route| route.lock == Lock::Open)
        .collect();
    assert!(open.len() >= 5, "{open:?}");
    for (n, route) in open.into_iter().enumerate() {
        let device = locked_device(&app, &format!("open{n}")).await;
        let response = request(&device, route, &concrete(route.path)).await;
        assert!(
            !sent_to_unlock(&response) && response.status() != 500,
            "{} {} answered {} while locked",
            route.method,
            route.path,
            response.status()
        );
    }
    assert!(sent_to_unlock(&locked.get("/no/such/page").await));
    assert!(sent_to_unlock(&locked.get("/static/no/such.css").await));
    assert!(sent_to_unlock(
        &locked.post_form("/screenings/new", &[]).await
    ));
    let client_404 = locked.get("/c/no/such/link").await;
    assert_eq!(client_404.status(), 404, "the client view's own 404");
    assert_eq!(
        locked.get("/logout").await.status(),
        405,
        "open path, other method"
    );
    assert!(sent_to_unlock(&locked.get("/").await), "still locked");
}

async fn a_result_is_only_its_owners(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let location = alice.submit(EXAMPLE_FORM).await;
    let code = code_of(&location);

    assert_eq!(alice.get(&location).await.status(), 200);
    assert_eq!(
        bob.get(&location).await.status(),
        404,
        "not 403: bob must not learn it exists"
    );
    assert_eq!(bob.get(&format!("{location}/delete")).await.status(), 404);
    assert_eq!(
        bob.post_form(&format!("{location}/delete"), &[])
            .await
            .status(),
        404
    );
    assert!(!bob.get_html("/screenings").await.contains(&code));
    assert!(alice.get_html("/screenings").await.contains(&code));
    assert_eq!(app.count_screenings().await, 1);
}

async fn a_cross_site_post_is_refused_and_stores_nothing(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let token = alice.csrf_token.clone().unwrap();
    let mut form: Vec<(&str, &str)> = EXAMPLE_FORM.to_vec();
    form.push(("csrf_token", &token));
    let body = helpers::form_body(&form);

    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "http://attacker.example"),
    ] {
        let response = alice
            .client
            .post(alice.url("/screenings"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            403,
            "{header}: {value} even with the token"
        );
    }
    // An old browser sending neither header: the token decides.
    let without_token = alice.post_raw("/screenings", EXAMPLE_FORM).await;
    assert_eq!(without_token.status(), 403);
    let mut wrong: Vec<(&str, &str)> = EXAMPLE_FORM.to_vec();
    wrong.push(("csrf_token", "not-the-token"));
    assert_eq!(alice.post_raw("/screenings", &wrong).await.status(), 403);
    assert_eq!(app.count_screenings().await, 0);

    let same_origin = alice
        .client
        .post(alice.url("/screenings"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 303);
    assert_eq!(app.count_screenings().await, 1);
}

async fn pages_carry_the_security_headers(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let location = alice.submit(EXAMPLE_FORM).await;
    let response = alice.get(&location).await;
    let headers = response.headers();
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("<script") && !html.contains("style="),
        "no inline script or style"
    );

    let login = app.browser().get("/login").await;
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"));
}

#[tokio::test]
async fn secure_cookies_turn_on_hsts_and_the_secure_flag() {
    let app = TestApp::builder()
        .security(SecurityConfig {
            secure_cookies: true,
            ..SecurityConfig::default()
        })
        .spawn()
        .await;
    app.create_account("alice", false).await;
    let response = app.browser().get("/login").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
}

async fn repeated_failures_are_throttled(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let mut browser = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(
            browser
                .sign_in("alice", "wrong password!")
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(
        statuses[..5].iter().all(|&status| status == 401),
        "{statuses:?}"
    );
    assert!(
        statuses[5..].iter().all(|&status| status == 429),
        "{statuses:?}"
    );
    let right = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(
        right.status(),
        429,
        "even the right password waits out the lock"
    );
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("Try again in 15 minutes")
    );
    assert_eq!(app.count_audit("sign_in_failed").await, 5);
}

async fn unknown_users_and_wrong_passwords_get_the_same_answer(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let strip = |html: String| {
        let token = helpers::csrf_token_in(&html).unwrap();
        html.replace(&token, "TOKEN")
    };
    let wrong = app.browser().sign_in("alice", "wrong password!").await;
    let unknown = app.browser().sign_in("nobody", "wrong password!").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let (wrong, unknown) = (
        strip(wrong.text().await.unwrap()),
        strip(unknown.text().await.unwrap()),
    );
    assert_eq!(
        wrong.replace("alice", "NAME"),
        unknown.replace("nobody", "NAME")
    );
}

async fn signing_in_rotates_the_session_id(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let mut browser = app.browser();
    browser.get("/login").await;
    assert!(
        !browser.cookies().contains("screener_session="),
        "the sign-in page starts no session"
    );
    let session_id = |cookies: String| {
        cookies
            .split("; ")
            .find(|pair| pair.starts_with("screener_session="))
            .map(str::to_owned)
    };
    browser.sign_in("alice", PASSWORD).await;
    let first = session_id(browser.cookies()).expect("a session once signed in");
    // Signing in on a session that exists already still gives it a new id (no fixation).
    browser.sign_in("alice", PASSWORD).await;
    let second = session_id(browser.cookies()).expect("a session once signed in");
    assert_ne!(first, second);
}

async fn sign_in_returns_to_a_local_page_only(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let mut browser = app.browser();
    let html = browser
        .get_html("/login?next=https://attacker.example/")
        .await;
    assert!(!html.contains("attacker"));
    browser.csrf_token = helpers::csrf_token_in(&html);
    for (next, expected) in [
        ("//attacker.example", "/screenings/new"),
        ("/screenings?band=casual", "/screenings?band=casual"),
    ] {
        browser.get("/login").await;
        let html = browser.get_html("/login").await;
        browser.csrf_token = helpers::csrf_token_in(&html);
        let response = browser
            .post_form(
                "/login",
                &[
                    ("username", "alice"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&response), expected);
    }
}

async fn signing_out_ends_the_session(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let stolen = alice.cookies();
    let response = alice.post_form("/logout", &[]).await;
    assert_eq!(response.status(), 303);
    assert!(alice.get("/screenings").await.status().is_redirection());
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(alice.url("/screenings"))
        .header("cookie", stolen)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303, "the old session id is dead");
    assert_eq!(app.count_audit("signed_out").await, 1);
}

async fn a_deactivated_account_is_signed_out_at_once(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let admin = app.admin("root").await;
    let bob = app.clinician("bob").await;
    assert_eq!(bob.get("/screenings").await.status(), 200);
    let response = admin
        .post_form("/admin/clinicians/bob/active", &[("active", "false")])
        .await;
    assert_eq!(response.status(), 303);
    assert!(bob.get("/screenings").await.status().is_redirection());
    assert_eq!(
        Browser::new(&app.address)
            .sign_in("bob", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(app.count_audit("account_deactivated").await, 1);
}

async fn admin_pages_are_invisible_to_clinicians(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let bob = app.clinician("bob").await;
    for path in ["/admin/clinicians", "/admin/audit"] {
        assert_eq!(bob.get(path).await.status(), 404);
    }
    assert_eq!(
        bob.post_form(
            "/admin/clinicians",
            &[
                ("username", "eve"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("is_admin", "on")
            ]
        )
        .await
        .status(),
        404
    );
    assert_eq!(app.store.count_clinicians().await.unwrap(), 1);
}

async fn an_admin_adds_and_resets_clinicians_and_reads_the_audit_log(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let admin = app.admin("root").await;
    let created = admin
        .post_form(
            "/admin/clinicians",
            &[
                ("username", "carol"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status(), 200);
    assert!(
        created
            .text()
            .await
            .unwrap()
            .contains("Account carol created")
    );
    let duplicate = admin
        .post_form(
            "/admin/clinicians",
            &[
                ("username", "Carol"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(duplicate.status(), 422);
    let reset = admin
        .post_form(
            "/admin/clinicians/carol/password",
            &[
                ("password", "a brand new password"),
                ("password_confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(reset.status(), 200);
    let mut carol = app.browser();
    assert_eq!(
        carol
            .sign_in("carol", "a brand new password")
            .await
            .status(),
        303
    );

    let audit = admin.get_html("/admin/audit").await;
    for action in ["signed_in", "account_created", "password_reset"] {
        assert!(audit.contains(action), "audit log lacks {action}");
    }
    assert!(!audit.contains(PASSWORD) && !audit.contains("a brand new password"));
}

async fn a_clinician_changes_their_own_password(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let wrong = alice
        .post_form(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("password", "another long password"),
                ("password_confirm", "another long password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let changed = change_password(&alice, PASSWORD, "another long password").await;
    assert_eq!(changed.status(), 200);
    assert_eq!(app.browser().sign_in("alice", PASSWORD).await.status(), 401);
    assert_eq!(
        app.browser()
            .sign_in("alice", "another long password")
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn the_audit_log_never_dates_a_screening() {
    let app = TestApp::builder().spawn().await;
    let alice = app.clinician("alice").await;
    let code = code_of(&alice.submit(CASUAL_FORM).await);
    alice.get(&format!("/screenings/{code}")).await;
    let db = app.database().await;
    let mentions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE subject = ?1 OR detail LIKE '%' || ?1 || '%'",
    )
    .bind(&code)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(mentions, 0);
}

async fn a_password_change_ends_every_other_session_of_the_account(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let admin = app.admin("root").await;
    let alice = app.clinician("alice").await;
    let mut alice_elsewhere = app.browser();
    assert_eq!(
        alice_elsewhere.sign_in("alice", PASSWORD).await.status(),
        303
    );
    let changed = change_password(&alice, PASSWORD, "another long password").await;
    assert_eq!(changed.status(), 200);
    let html = changed.text().await.unwrap();
    let token = helpers::csrf_token_in(&html).unwrap();
    assert_eq!(
        alice.get("/screenings").await.status(),
        200,
        "this session carries on"
    );
    let mut form = CASUAL_FORM.to_vec();
    form.push(("csrf_token", &token));
    assert_eq!(
        alice.post_raw("/screenings", &form).await.status(),
        303,
        "with the page's fresh token"
    );
    assert!(
        alice_elsewhere
            .get("/screenings")
            .await
            .status()
            .is_redirection(),
        "the other session ended"
    );

    let reset = admin
        .post_form(
            "/admin/clinicians/alice/password",
            &[
                ("password", "admin chose this one"),
                ("password_confirm", "admin chose this one"),
            ],
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert!(
        alice.get("/screenings").await.status().is_redirection(),
        "a reset ends alice's sessions"
    );
}

async fn answers_survive_a_session_that_ended_mid_form(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let mut late = app.browser();
    let expired = late.post_raw("/screenings", EXAMPLE_FORM).await;
    assert_eq!(expired.status(), 401);
    let html = expired.text().await.unwrap();
    assert!(html.contains("answers are kept"));
    assert!(html.contains("name=\"carry.q3_escape\" value=\"pornography\""));
    assert_eq!(
        app.count_screenings().await,
        0,
        "nothing stored without a session"
    );

    late.csrf_token = helpers::csrf_token_in(&html);
    let mut sign_in: Vec<(String, String)> = vec![
        ("username".into(), "alice".into()),
        ("password".into(), PASSWORD.into()),
    ];
    sign_in.extend(
        EXAMPLE_FORM
            .iter()
            .map(|(field, value)| (format!("carry.{field}"), (*value).to_owned())),
    );
    sign_in.push(("carry.mood".into(), "ignored".into()));
    let pairs: Vec<(&str, &str)> = sign_in
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    let resumed = late.post_form("/login", &pairs).await;
    assert_eq!(resumed.status(), 200);
    let form = resumed.text().await.unwrap();
    assert!(form.contains("your answers are kept"));
    assert!(
        form.contains(
            "id=\"q3_escape-pornography\" name=\"q3_escape\" value=\"pornography\" checked"
        )
    );
    assert!(form.contains("id=\"secrecy\" name=\"secrecy\" value=\"on\" checked"));
    assert!(!form.contains("mood"));
    late.csrf_token = helpers::csrf_token_in(&form);
    late.submit(EXAMPLE_FORM).await;
    assert_eq!(app.count_screenings().await, 1);
}

async fn a_form_opened_before_signing_in_again_keeps_its_answers(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let stale = alice.csrf_token.clone().unwrap();
    assert_eq!(alice.sign_in("alice", PASSWORD).await.status(), 303);
    let mut form = EXAMPLE_FORM.to_vec();
    form.push(("csrf_token", &stale));
    let response = alice.post_raw("/screenings", &form).await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(html.contains("not saved. Your answers are kept"));
    assert!(
        html.contains(
            "id=\"q3_escape-pornography\" name=\"q3_escape\" value=\"pornography\" checked"
        )
    );
    assert_eq!(app.count_screenings().await, 0);
    alice.csrf_token = helpers::csrf_token_in(&html);
    alice.submit(EXAMPLE_FORM).await;
    assert_eq!(app.count_screenings().await, 1);
}

async fn parallel_guesses_cannot_outrun_the_throttle(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let mut browser = app.browser();
    let html = browser.get_html("/login").await;
    browser.csrf_token = helpers::csrf_token_in(&html);
    let guesses = (0..20).map(|n| {
        let password = format!("wrong password {n}");
        let browser = &browser;
        async move {
            browser
                .post_form("/login", &[("username", "alice"), ("password", &password)])
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|&&status| status == 401).count();
    assert_eq!(checked, 5, "only five passwords were tried: {statuses:?}");
    assert_eq!(statuses.iter().filter(|&&status| status == 429).count(), 15);
    assert_eq!(
        app.count_audit("sign_in_throttled").await,
        1,
        "one entry per lock, not per refusal"
    );
}

#[tokio::test]
async fn behind_a_proxy_each_client_address_is_throttled_on_its_own() {
    let app = TestApp::builder()
        .security(SecurityConfig {
            behind_proxy: true,
            ..SecurityConfig::default()
        })
        .spawn()
        .await;
    app.create_account("alice", false).await;
    let mut browser = app.browser();
    browser.take_token_from("/login").await;
    let attempt = |name: String, forwarded: &'static str| {
        browser
            .sign_in_request(forwarded, &name, "wrong password!")
            .send()
    };
    for n in 0..20 {
        let status = attempt(format!("user{n}"), "198.51.100.1, 203.0.113.9")
            .await
            .unwrap()
            .status();
        assert_eq!(status, 401);
    }
    let locked = attempt("someone".into(), "198.51.100.1, 203.0.113.9")
        .await
        .unwrap();
    assert_eq!(
        locked.status(),
        429,
        "the proxy's last entry, 203.0.113.9, is locked"
    );
    let other = attempt("someone".into(), "203.0.113.10").await.unwrap();
    assert_eq!(
        other.status(),
        401,
        "another client behind the same proxy is not"
    );
}

/// Changes a signed-in clinician's own password through the form.
async fn change_password(browser: &Browser, current: &str, new: &str) -> reqwest::Response {
    browser
        .post_form(
            "/account/password",
            &[
                ("current_password", current),
                ("password", new),
                ("password_confirm", new),
            ],
        )
        .await
}

async fn a_sign_in_needs_the_form_token_of_its_own_browser(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let mut victim = app.browser();
    victim.get("/login").await;
    // A token from another browser (an attacker's own visit to the page) does not verify
    // with this browser's cookie; nor does no token, or a made-up one.
    let attacker_html = app.browser().get_html("/login").await;
    let foreign = helpers::csrf_token_in(&attacker_html).unwrap();
    for token in [Some(foreign.as_str()), None, Some("1.bm90LWEtdG9rZW4")] {
        let mut pairs = vec![("username", "alice"), ("password", PASSWORD)];
        if let Some(token) = token {
            pairs.push(("csrf_token", token));
        }
        let response = victim.post_raw("/login", &pairs).await;
        assert_eq!(response.status(), 403, "token {token:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains("had expired"), "the form comes back: {html}");
        // The form that came back carries a good token: sending it signs in.
        victim.csrf_token = helpers::csrf_token_in(&html);
        assert!(!victim.cookies().contains("screener_session="));
    }
    assert_eq!(
        app.count_audit("sign_in_failed").await,
        0,
        "nothing was tried"
    );
    let response = victim
        .post_form("/login", &[("username", "alice"), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), 303);
    assert!(victim.cookies().contains("screener_session="));
}

/// An audited change and its audit entry are one transaction: when the entry cannot be
/// written, the change is not made either.
async fn an_account_change_whose_audit_entry_fails_is_not_made(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let admin = app.admin("root").await;
    let bob = app.clinician("bob").await;
    match engine {
        Engine::Sqlite => {
            app.db
                .execute(
                    "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END",
                )
                .await
        }
        Engine::Postgres => {
            app.db
                .execute(
                    "CREATE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END; $$",
                )
                .await;
            app.db
                .execute(
                    "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events \
                     FOR EACH ROW EXECUTE FUNCTION audit_refused()",
                )
                .await
        }
    }
    let response = admin
        .post_form("/admin/clinicians/bob/active", &[("active", "false")])
        .await;
    assert!(response.status().is_server_error(), "{}", response.status());
    assert_eq!(
        bob.get("/screenings").await.status(),
        200,
        "bob still active"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM clinicians WHERE username = 'bob' AND is_active")
            .await,
        1
    );
}

crate::both_engines!(
    an_account_change_whose_audit_entry_fails_is_not_made,
    first_run_setup_link_creates_the_first_admin_once,
    every_private_route_needs_a_session,
    every_route_meets_a_locked_session_as_the_table_says,
    a_result_is_only_its_owners,
    a_cross_site_post_is_refused_and_stores_nothing,
    pages_carry_the_security_headers,
    repeated_failures_are_throttled,
    unknown_users_and_wrong_passwords_get_the_same_answer,
    signing_in_rotates_the_session_id,
    sign_in_returns_to_a_local_page_only,
    signing_out_ends_the_session,
    a_deactivated_account_is_signed_out_at_once,
    admin_pages_are_invisible_to_clinicians,
    an_admin_adds_and_resets_clinicians_and_reads_the_audit_log,
    a_clinician_changes_their_own_password,
    a_password_change_ends_every_other_session_of_the_account,
    answers_survive_a_session_that_ended_mid_form,
    a_form_opened_before_signing_in_again_keeps_its_answers,
    parallel_guesses_cannot_outrun_the_throttle,
    a_sign_in_needs_the_form_token_of_its_own_browser,
);
