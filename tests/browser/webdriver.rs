//! Browser harness: one `chromedriver` per test binary driving headless Chromium, a fresh
//! profile per session, and the checks the browser tests share (axe-core, focus, keyboard,
//! sizes). Missing Chromium or chromedriver fails the tests: they are never skipped.

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;
use url::Url;

/// axe-core, vendored from the npm registry (`npm pack axe-core@4`); MPL-2.0, header kept.
const AXE_SOURCE: &str = include_str!("../assets/axe.min.js");

/// The WCAG 2.x A and AA rule sets, up to 2.2.
const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// The flags Chromium needs to run headless in a container and in CI.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
];

/// The smallest touch target the issue accepts, in CSS pixels.
pub const MIN_TARGET_PX: f64 = 44.0;

const INSTALL_HINT: &str = "browser tests need Debian's `chromium` and `chromium-driver` \
     packages (apt-get install chromium chromium-driver), or CHROMIUM and CHROMEDRIVER set to \
     their paths";

/// A program from an environment variable if set, else from `/usr/bin` or `PATH`; panics
/// with how to install it when there is none.
fn program(variable: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{variable}={} is not a file: {INSTALL_HINT}",
            path.display()
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin"))
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("`{name}` not found: {INSTALL_HINT}"))
}

/// The chromedriver this test binary shares.
struct Driver {
    url: String,
    /// A shell that kills chromedriver once its standard input closes, which happens when
    /// this process exits however it exits.
    _keeper: Mutex<Child>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn driver() -> &'static Driver {
    static DRIVER: OnceLock<Driver> = OnceLock::new();
    DRIVER.get_or_init(|| {
        let chromedriver = program("CHROMEDRIVER", "chromedriver");
        let port = free_port();
        let mut keeper = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" --port="$1" >/dev/null 2>&1 & pid=$!; read -r _; kill "$pid""#)
            .arg(&chromedriver)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", chromedriver.display()));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = keeper.try_wait() {
                panic!("chromedriver exited at start ({status}): {INSTALL_HINT}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            url,
            _keeper: Mutex::new(keeper),
        }
    })
}

/// How a browser session starts.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub javascript: bool,
    pub width: u32,
    pub height: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            javascript: true,
            width: 1280,
            height: 900,
        }
    }
}

impl Options {
    /// A session with JavaScript turned off in the browser's settings.
    pub fn without_javascript() -> Options {
        Options {
            javascript: false,
            ..Options::default()
        }
    }
}

/// Runs `test` in a fresh headless Chromium showing the app at `address`, and closes the
/// browser afterwards whether the test passed or panicked.
pub async fn browse<F, Fut>(address: &str, options: Options, test: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let chromium = program("CHROMIUM", "chromium");
    let driver = driver();
    let profile = tempfile::tempdir().expect("profile dir");
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|&flag| flag.to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    args.push(format!(
        "--window-size={},{}",
        options.width, options.height
    ));
    let mut chrome_options = json!({ "binary": chromium, "args": args });
    if !options.javascript {
        chrome_options["prefs"] =
            json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), json!("chrome"));
    capabilities.insert("goog:chromeOptions".into(), chrome_options);
    // Two rustls crypto providers are in the tree (reqwest's ring, hyper-rustls's aws-lc), so
    // rustls cannot pick one itself. Another test may have installed it already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = ClientBuilder::rustls()
        .expect("TLS roots")
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|error| panic!("cannot start Chromium through chromedriver: {error}"));
    let page = Page {
        client: client.clone(),
        address: address.to_owned(),
        _profile: std::sync::Arc::new(profile),
    };
    page.set_viewport(options.width, options.height).await;
    let outcome = tokio::spawn(test(page)).await;
    client.close().await.expect("close the browser");
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("browser test did not finish: {error}"),
        }
    }
}

/// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    method: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.method, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

/// WebDriver's Get Computed Label: the accessible name Chromium gives an element.
#[derive(Debug)]
struct ComputedLabel(String);

impl WebDriverCompatibleCommand for ComputedLabel {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!(
            "session/{}/element/{}/computedlabel",
            session.unwrap_or_default(),
            self.0
        ))
    }

    fn method_and_body(&self, _url: &Url) -> (Method, Option<String>) {
        (Method::GET, None)
    }
}

/// One browser tab on the app, with the helpers the tests share.
#[derive(Clone)]
pub struct Page {
    pub client: Client,
    address: String,
    _profile: std::sync::Arc<TempDir>,
}

impl Page {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|error| panic!("open {path}: {error}"));
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!("no `{css}` on {}: {error}", self.path().await),
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find all")
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.find_all(css).await {
            texts.push(element.text().await.expect("text"));
        }
        texts
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("click `{css}`: {error}"));
    }

    /// Clicks something that loads a new page, and waits until the new page has replaced the
    /// old one (chromedriver may return before a form's submission has begun).
    pub async fn click_and_wait(&self, css: &str) {
        let old = self.find("html").await;
        self.click(css).await;
        self.wait_for_new_page(old, css).await;
    }

    /// Presses a key that loads a new page, and waits for it.
    pub async fn press_and_wait(&self, key: Key) {
        let old = self.find("html").await;
        self.press(key).await;
        self.wait_for_new_page(old, "the key press").await;
    }

    async fn wait_for_new_page(&self, old: Element, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while old.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "{what} loaded no new page within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("body"))
            .await
            .expect("the new page");
    }

    /// Types `text` into the field, after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Runs a script (a function body; `arguments` holds `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Sends a DevTools Protocol command.
    pub async fn cdp(&self, method: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { method, params })
            .await
            .unwrap_or_else(|error| panic!("CDP {method}: {error}"))
    }

    /// Sets the window so the page is `width` CSS pixels wide.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("window size");
    }

    /// Emulates a touch screen `width` × `height` CSS pixels, as a phone or tablet shows the
    /// page (overlay scrollbars, the viewport meta tag honoured).
    pub async fn emulate_touch_screen(&self, width: u32, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 2, "mobile": true }),
        )
        .await;
        self.cdp(
            "Emulation.setTouchEmulationEnabled",
            json!({ "enabled": true, "maxTouchPoints": 5 }),
        )
        .await;
    }

    /// The page's layout width as the page sees it.
    pub async fn viewport_width(&self) -> u64 {
        self.js("return document.documentElement.clientWidth;", vec![])
            .await
            .as_u64()
            .expect("width")
    }

    /// Presses and releases one key on whatever has focus.
    pub async fn press(&self, key: Key) {
        let value = key.chars().next().expect("key code");
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client.perform_actions(actions).await.expect("key");
    }

    /// Presses a key with Shift held (Shift+Tab moves focus backwards).
    pub async fn press_with_shift(&self, key: Key) {
        let shift = Key::Shift.chars().next().expect("key code");
        let value = key.chars().next().expect("key code");
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value })
            .then(KeyAction::Up { value: shift });
        self.client.perform_actions(actions).await.expect("key");
    }

    /// What has focus: tag, id, type, name, value, checked, text, and whether it shows a focus
    /// indicator (`:focus-visible` with an outline of at least 2 px or a box shadow).
    pub async fn focused(&self) -> Focused {
        let value = self
            .js(
                r#"
                const el = document.activeElement;
                const style = getComputedStyle(el);
                const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
                const shadow = style.boxShadow !== 'none';
                return {
                    tag: el.tagName.toLowerCase(),
                    id: el.id || '',
                    type: el.getAttribute('type') || '',
                    name: el.getAttribute('name') || '',
                    value: el.value === undefined ? '' : String(el.value),
                    checked: !!el.checked,
                    text: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60),
                    focus_visible: el.matches(':focus-visible'),
                    indicator: outline || shadow,
                };
                "#,
                vec![],
            )
            .await;
        serde_json::from_value(value).expect("focused element")
    }

    /// Chromium's accessible name for an element.
    pub async fn computed_label(&self, element: &Element) -> String {
        let value = self
            .client
            .issue_cmd(ComputedLabel(element.element_id().to_string()))
            .await
            .expect("computed label");
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Runs axe-core's WCAG 2.0–2.2 A/AA rules on the page; returns each violation as
    /// "id (impact): help" followed by its targets.
    pub async fn axe_violations(&self) -> Vec<String> {
        self.js(AXE_SOURCE, vec![]).await;
        let outcome = self
            .client
            .execute_async(
                r#"
                const [tags, done] = arguments;
                axe.run(document, { runOnly: { type: 'tag', values: tags } })
                    .then(results => done({
                        passes: results.passes.length,
                        violations: results.violations.map(v =>
                            `${v.id} (${v.impact}): ${v.help}\n` + v.nodes
                                .map(n => `    ${n.target.join(' ')}: ${n.failureSummary}`)
                                .join('\n')),
                    }))
                    .catch(error => done({ error: String(error) }));
                "#,
                vec![json!(AXE_TAGS)],
            )
            .await
            .expect("axe.run");
        if let Some(error) = outcome.get("error") {
            panic!("axe failed on {}: {error}", self.path().await);
        }
        assert!(
            outcome["passes"].as_u64() > Some(0),
            "axe checked nothing on {}",
            self.path().await
        );
        outcome["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .filter_map(|violation| violation.as_str().map(str::to_owned))
            .collect()
    }

    /// Fails listing every axe-core violation of WCAG 2.0–2.2 A/AA on the page.
    pub async fn assert_accessible(&self, what: &str) {
        let violations = self.axe_violations().await;
        assert!(
            violations.is_empty(),
            "axe found {} WCAG violation(s) on {what} ({}):\n- {}",
            violations.len(),
            self.path().await,
            violations.join("\n- ")
        );
    }

    /// Fails when the page scrolls sideways at the current width.
    pub async fn assert_no_horizontal_scroll(&self, what: &str) {
        let sizes = self
            .js(
                r#"
                const root = document.documentElement;
                const wide = [...document.querySelectorAll('body *')]
                    .filter(el => el.getBoundingClientRect().right > root.clientWidth + 0.5)
                    .slice(0, 5)
                    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                        + ' right=' + Math.round(el.getBoundingClientRect().right));
                return { scroll: root.scrollWidth, client: root.clientWidth, wide };
                "#,
                vec![],
            )
            .await;
        assert!(
            sizes["scroll"].as_u64() <= sizes["client"].as_u64(),
            "{what} ({}) scrolls sideways at {} px: scrollWidth {} > clientWidth; too wide: {}",
            self.path().await,
            sizes["client"],
            sizes["scroll"],
            sizes["wide"]
        );
    }

    /// Fails when a visible control offers a finger less than 44 × 44 px. A radio button or
    /// checkbox is measured by its `.option` row, and the row's corners must hit the control
    /// or its label. Links inside running text are exempt (WCAG 2.5.5's inline exception).
    pub async fn assert_touch_targets(&self, what: &str) {
        let small = self
            .js(
                r#"
                const min = arguments[0];
                const visible = el => {
                    const r = el.getBoundingClientRect();
                    const s = getComputedStyle(el);
                    return r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0
                        && s.visibility !== 'hidden' && !el.closest('.visually-hidden');
                };
                const inSentence = a => {
                    const block = a.parentElement.closest('p, li, dd, td');
                    if (!block) return false;
                    let words = block.textContent;
                    for (const link of block.querySelectorAll('a')) {
                        words = words.replace(link.textContent, '');
                    }
                    return /\p{L}/u.test(words);
                };
                const hits = (rect, control) => {
                    const inset = 2;
                    const points = [
                        [rect.left + inset, rect.top + inset], [rect.right - inset, rect.top + inset],
                        [rect.left + inset, rect.bottom - inset], [rect.right - inset, rect.bottom - inset],
                    ];
                    return points.every(([x, y]) => {
                        const el = document.elementFromPoint(x, y);
                        return el && (el === control || [...control.labels].some(l => l.contains(el)));
                    });
                };
                const problems = [];
                const controls = document.querySelectorAll(
                    'a[href], button, input:not([type=hidden]), select, textarea, summary');
                for (const el of controls) {
                    if (!visible(el)) continue;
                    if (el.tagName === 'A' && inSentence(el)) continue;
                    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                        + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '"';
                    let rect = el.getBoundingClientRect();
                    if (el.type === 'radio' || el.type === 'checkbox') {
                        const row = el.closest('.option');
                        if (!row) { problems.push(name + ': not in an .option row'); continue; }
                        rect = row.getBoundingClientRect();
                        el.scrollIntoView({ block: 'center' });
                        rect = row.getBoundingClientRect();
                        if (!hits(rect, el)) problems.push(name + ': the corners of its row do not hit it');
                    }
                    if (rect.width < min || rect.height < min) {
                        problems.push(name + ': ' + Math.round(rect.width) + '×' + Math.round(rect.height));
                    }
                }
                window.scrollTo(0, 0);
                return problems;
                "#,
                vec![json!(MIN_TARGET_PX)],
            )
            .await;
        let small = small.as_array().expect("problems");
        assert!(
            small.is_empty(),
            "{what} ({}) has touch targets under {MIN_TARGET_PX} px at {} px wide:\n  {}",
            self.path().await,
            self.viewport_width().await,
            small
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
}

/// The focused element, as [`Page::focused`] reports it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Focused {
    pub tag: String,
    pub id: String,
    /// Read only in failure messages (through `Debug`).
    #[allow(dead_code)]
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub value: String,
    pub checked: bool,
    pub text: String,
    pub focus_visible: bool,
    pub indicator: bool,
}

impl Focused {
    /// Whether a sighted keyboard user can see where focus is.
    pub fn is_visible(&self) -> bool {
        self.focus_visible && self.indicator
    }
}

// ---- Helpers the browser test files share ----

/// The page's main heading.
pub async fn h1(page: &Page) -> String {
    page.text("h1").await
}

/// Signs in through the sign-in page; lands on the new-screening form.
pub async fn sign_in(page: &Page, name: &str, password: &str) {
    page.goto("/login").await;
    page.fill("#username", name).await;
    page.fill("#password", password).await;
    page.click_and_wait("main button[type=submit]").await;
    assert_eq!(page.path().await, "/screenings/new", "sign-in of {name}");
}

/// The form id of an answer: `q1_concern_expressed-yes`, or the indicator's own name.
pub fn control_id(field: &str, value: &str) -> String {
    if value == "on" {
        field.to_owned()
    } else {
        format!("{field}-{value}")
    }
}

/// Ticks every answer by clicking its label, as a person would.
pub async fn answer(page: &Page, pairs: &[(&str, &str)]) {
    for (field, value) in pairs {
        page.click(&format!("label[for=\"{}\"]", control_id(field, value)))
            .await;
    }
}

/// Presses Tab until `wanted` has focus, asserting a visible focus indicator at every stop.
pub async fn tab_to(page: &Page, mut wanted: impl FnMut(&Focused) -> bool, what: &str) {
    for _ in 0..120 {
        page.press(Key::Tab).await;
        let focused = page.focused().await;
        assert!(
            focused.is_visible(),
            "on the way to {what}, focus is not visible on {focused:?}"
        );
        if wanted(&focused) {
            return;
        }
    }
    panic!("Tab never reached {what} on {}", page.path().await);
}

/// Tabs to the next control of this name, asserting visible focus on the way.
pub async fn tab_to_field(page: &Page, name: &str) {
    tab_to(page, |f| f.name == name, name).await;
}

/// The focused control is `name` answered `value`, and ticked.
pub async fn assert_checked(page: &Page, name: &str, value: &str) {
    let focused = page.focused().await;
    assert_eq!(
        (
            focused.name.as_str(),
            focused.value.as_str(),
            focused.checked
        ),
        (name, value, true),
        "{name} answered {value} by keyboard"
    );
}

/// True when the control with this id is ticked.
pub async fn is_ticked(page: &Page, id: &str) -> bool {
    page.find(&format!("#{id}"))
        .await
        .is_selected()
        .await
        .expect("selected")
}

/// The send button of the client's questions (the language switch and the hidden default
/// button are submit buttons of the same form, so "the form's submit button" is ambiguous).
pub const CLIENT_SEND: &str = "#client-form .actions button[type=submit]";

/// Checks the client view as it is now, at a phone's and a tablet's width: axe, no sideways
/// scrolling, 44 px targets, and nothing of the clinician's app (not `clinician`'s name) or
/// of a result on it.
pub async fn check_client_page(page: &Page, what: &str, clinician: &str) {
    let title = page.text("h1").await;
    check_at_both_widths(page, what, |what| {
        let title = &title;
        async move {
            assert_same_page(page, title).await;
            let text = page.text("body").await;
            for word in [
                "red flag", "Red flag", "Band", "At-risk", "Addicted", "referral", clinician,
            ] {
                assert!(!text.contains(word), "{what} shows {word:?}");
            }
            let links = page
                .js(
                    "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));",
                    vec![],
                )
                .await;
            for link in links.as_array().expect("links") {
                let link = link.as_str().unwrap_or_default();
                assert!(
                    link.starts_with("/c/") || link.starts_with('#') || link == "/unlock",
                    "{what} links to {link}"
                );
            }
        }
    })
    .await;
}

/// The page as it is, at a phone's and a tablet's width (390 and 820 px; no reload: a page
/// answering a POST would be sent again): axe finds no violation, nothing scrolls sideways,
/// every target is 44 px; then `more`, given what is checked at which width. The width is
/// set back after.
pub async fn check_at_both_widths<F, Fut>(page: &Page, what: &str, more: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    for width in [390, 820] {
        page.emulate_touch_screen(width, 900).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(page.viewport_width().await, u64::from(width));
        let what = format!("{what} at {width} px");
        page.assert_accessible(&what).await;
        page.assert_no_horizontal_scroll(&what).await;
        page.assert_touch_targets(&what).await;
        more(what).await;
    }
    page.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
        .await;
}

/// The heading check that follows [`check_client_page`]'s sizes: still the same page.
pub async fn assert_same_page(page: &Page, title: &str) {
    assert_eq!(
        h1(page).await,
        title,
        "the page did not change while checked"
    );
}
