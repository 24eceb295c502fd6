//! Test harness: the real server on a random port against a fresh database of either engine
//! ([`TestApp::builder`]), and browsers (cookie-keeping clients that do not follow redirects)
//! to drive it.

pub mod arbitrary_answers;
pub mod engine;
pub mod pg_server;
pub mod pg_shared;
pub mod server;

pub use engine::{Engine, TestDatabase};

use std::path::{Path, PathBuf};

use intake_screener::accounts::{NewPassword, Username};
use intake_screener::config::SecurityConfig;
use intake_screener::store::Store;
use intake_screener::web::{self, AppState};
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use sqlx::sqlite::SqlitePool;
use tokio::net::TcpListener;

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

/// A running app.
pub struct TestApp {
    pub address: String,
    pub db_path: PathBuf,
    pub store: Store,
    /// The first-run setup token, when the app started without accounts.
    pub setup_token: Option<String>,
    /// The database (dropped after the test on PostgreSQL).
    pub db: TestDatabase,
}

/// The answers of PRODUCT §3.2's example, as form pairs.
pub const EXAMPLE_FORM: &[(&str, &str)] = &[
    ("q1_concern_expressed", "yes"),
    ("q2_self_concern", "no"),
    ("q3_escape", "exercise"),
    ("q3_escape", "pornography"),
    ("q4_secrets", "yes"),
    ("q5_others_disturbed", "declined"),
    ("q6_shame", "no"),
    ("pattern", "intense_periods"),
    ("control", "retained"),
    ("escape_use", "on"),
    ("secrecy", "on"),
];

/// A client's own answers to the six questions (two red flags, one declined), as form pairs.
pub const CLIENT_FORM: &[(&str, &str)] = &[
    ("q1_concern_expressed", "no"),
    ("q2_self_concern", "yes"),
    ("q3_escape", "exercise"),
    ("q4_secrets", "declined"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
];

/// A screening with no red flag and nothing observed: casual.
pub const CASUAL_FORM: &[(&str, &str)] = &[
    ("q1_concern_expressed", "no"),
    ("q2_self_concern", "no"),
    ("q3_escape", "sleep"),
    ("q4_secrets", "no"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
];

/// How a [`TestApp`] starts: on SQLite with the default security settings unless told
/// otherwise, e.g. `TestApp::builder().engine(engine).security(security).spawn().await`.
#[derive(Default)]
pub struct TestAppBuilder {
    engine: Engine,
    security: SecurityConfig,
}

impl TestAppBuilder {
    /// On a fresh database of `engine`.
    pub fn engine(mut self, engine: Engine) -> TestAppBuilder {
        self.engine = engine;
        self
    }

    /// With these security settings.
    pub fn security(mut self, security: SecurityConfig) -> TestAppBuilder {
        self.security = security;
        self
    }

    /// Starts the app on 127.0.0.1 with a port the OS picks, on a new database.
    pub async fn spawn(self) -> TestApp {
        let db = TestDatabase::new(self.engine).await;
        let db_path = db.path.clone();
        let store = Store::open(&db.url).await.expect("open store");
        let state = AppState::new(store.clone(), self.security)
            .await
            .expect("state");
        let setup_token = state.setup_token();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("local addr"));
        tokio::spawn(web::serve(listener, state, std::future::pending()));
        TestApp {
            address,
            db_path,
            store,
            setup_token,
            db,
        }
    }
}

pub fn database_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

impl TestApp {
    /// How to start one: SQLite and the default security settings unless told otherwise.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// A new browser with no cookies.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// Creates an account (directly in the store).
    pub async fn create_account(&self, name: &str, admin: bool) {
        let hash = NewPassword::parse(PASSWORD).unwrap().hash();
        self.store
            .create_clinician(&Username::parse(name).unwrap(), &hash, admin, None)
            .await
            .expect("create account");
    }

    /// A browser signed in as a new clinician account with this name.
    pub async fn clinician(&self, name: &str) -> Browser {
        self.account(name, false).await
    }

    /// A browser signed in as a new administrator with this name.
    pub async fn admin(&self, name: &str) -> Browser {
        self.account(name, true).await
    }

    async fn account(&self, name: &str, admin: bool) -> Browser {
        self.create_account(name, admin).await;
        let mut browser = self.browser();
        let response = browser.sign_in(name, PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-in of {name} refused");
        browser.refresh_csrf_token().await;
        browser
    }

    /// A separate read-only look at the database file, as an auditor with sqlite3 would
    /// (SQLite only).
    pub async fn database(&self) -> SqlitePool {
        assert_eq!(self.db.engine(), Engine::Sqlite, "a SQLite-only look");
        SqlitePool::connect(&format!("{}?mode=ro", database_url(&self.db_path)))
            .await
            .expect("open database")
    }

    /// The single number a counting query returns (on either engine).
    pub async fn count(&self, sql: &str) -> i64 {
        self.db.count(sql).await
    }

    /// The single text a query returns (on either engine).
    pub async fn count_text(&self, sql: &str) -> String {
        self.db.text(sql).await
    }

    pub async fn count_screenings(&self) -> i64 {
        self.count("SELECT count(*) FROM screenings").await
    }

    pub async fn count_audit(&self, action: &str) -> i64 {
        self.count(&format!(
            "SELECT count(*) FROM audit_events WHERE action = '{action}'"
        ))
        .await
    }
}

/// A user agent: keeps cookies, does not follow redirects, and adds its CSRF token to forms.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub csrf_token: Option<String>,
}

impl Browser {
    /// A browser with no cookies for the app at `address` (`http://host:port`).
    pub fn new(address: &str) -> Browser {
        let jar = Arc::new(Jar::default());
        Browser {
            address: address.to_owned(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .cookie_provider(jar.clone())
                .build()
                .expect("client"),
            jar,
            csrf_token: None,
        }
    }

    /// The cookies this browser would send, as one header value.
    pub fn cookies(&self) -> String {
        let url = self.address.parse().expect("url");
        self.jar
            .cookies(&url)
            .map(|value| value.to_str().expect("ascii").to_owned())
            .unwrap_or_default()
    }

    /// The token a handed-over device's client view (`/c/here`) is opened with: in a cookie
    /// for the client view, never in an address.
    pub fn device_token(&self) -> String {
        let url = self.url("/c/here").parse().expect("url");
        self.jar
            .cookies(&url)
            .expect("the client view's cookie")
            .to_str()
            .expect("ascii")
            .split("; ")
            .find_map(|pair| pair.strip_prefix("screener_device="))
            .expect("the device's token")
            .to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.expect("body")
    }

    /// Posts a form as this browser's own pages would: with its CSRF token.
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        let mut pairs = pairs.to_vec();
        if let Some(token) = &self.csrf_token {
            pairs.push(("csrf_token", token));
        }
        self.post_raw(path, &pairs).await
    }

    /// Posts exactly these pairs, no token added.
    pub async fn post_raw(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(pairs))
            .send()
            .await
            .expect("POST")
    }

    /// Reads the CSRF token from a page that carries one.
    pub async fn refresh_csrf_token(&mut self) {
        for page in ["/screenings/new", "/login"] {
            let html = self.get(page).await.text().await.expect("body");
            if let Some(token) = csrf_token_in(&html) {
                self.csrf_token = Some(token);
                return;
            }
        }
        panic!("no page carried a CSRF token");
    }

    /// Signs in through the sign-in form.
    pub async fn sign_in(&mut self, name: &str, password: &str) -> reqwest::Response {
        let html = self.get("/login").await.text().await.expect("body");
        self.csrf_token = csrf_token_in(&html);
        self.post_form("/login", &[("username", name), ("password", password)])
            .await
    }

    /// Takes the CSRF (or form) token of the page at `path`, as the next form will send it.
    pub async fn take_token_from(&mut self, path: &str) {
        self.csrf_token = csrf_token_in(&self.get_html(path).await);
    }

    /// Signs in as `name` through the sign-in form, as from `address` (the proxy's
    /// `X-Forwarded-For`, heeded with `--behind-proxy`); the status.
    pub async fn sign_in_from(&mut self, address: &str, name: &str, password: &str) -> u16 {
        self.take_token_from("/login").await;
        self.sign_in_request(address, name, password)
            .send()
            .await
            .expect("POST /login")
            .status()
            .as_u16()
    }

    /// The sign-in form's POST as from `address`, with the token of the sign-in page this
    /// browser loaded last; not sent yet (to send many at once).
    pub fn sign_in_request(
        &self,
        address: &str,
        name: &str,
        password: &str,
    ) -> reqwest::RequestBuilder {
        let token = self.csrf_token.as_deref().expect("a sign-in page's token");
        self.client
            .post(self.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", address)
            .body(form_body(&[
                ("username", name),
                ("password", password),
                ("csrf_token", token),
            ]))
    }

    /// Posts a screening with this browser's CSRF token, without asserting anything: the
    /// status and, on a 303, the result path; an error when no answer came (the server died).
    pub async fn try_submit(
        &self,
        pairs: &[(&str, &str)],
    ) -> Result<(u16, Option<String>), reqwest::Error> {
        let mut pairs = pairs.to_vec();
        if let Some(token) = &self.csrf_token {
            pairs.push(("csrf_token", token));
        }
        let response = self
            .client
            .post(self.url("/screenings"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&pairs))
            .send()
            .await?;
        let status = response.status().as_u16();
        let path = (status == 303).then(|| location(&response));
        Ok((status, path))
    }

    /// Submits a screening that must be accepted and returns its result path.
    pub async fn submit(&self, pairs: &[(&str, &str)]) -> String {
        let response = self.post_form("/screenings", pairs).await;
        assert_eq!(response.status(), 303, "submission refused");
        location(&response)
    }
}

/// The client's token in the link an invitation page shows (the link reaches the page in a
/// cookie, never in its address).
pub fn client_token_on(page: &str) -> String {
    let shown = &page[page.find("id=\"client-link\">").expect("the link is shown")..];
    shown[..shown.find("</code>").expect("the link's end")]
        .split_once("/c/")
        .expect("a client link")
        .1
        .to_owned()
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("location")
        .to_str()
        .expect("ascii location")
        .to_owned()
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_token_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The pairs with `field` removed.
pub fn without(
    pairs: &[(&'static str, &'static str)],
    field: &str,
) -> Vec<(&'static str, &'static str)> {
    pairs.iter().copied().filter(|(f, _)| *f != field).collect()
}

/// The review code in a result path.
pub fn code_of(path: &str) -> String {
    path.trim_start_matches("/screenings/").to_owned()
}
