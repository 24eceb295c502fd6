//! The `screener` binary: `score` (PRODUCT §3.1–3.3) and `serve`, including what it logs.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers;
use crate::helpers::Browser;

const BIN: &str = env!("CARGO_BIN_EXE_screener");

/// Runs `screener ARGS` with `stdin` on standard input: (exit code, stdout, stderr).
fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run screener");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn score(input: &str) -> (i32, String, String) {
    run(&["score"], input)
}

#[test]
fn score_prints_the_result_document_of_the_spec_example() {
    let example = r#"{
      "q1_concern_expressed": "yes", "q2_self_concern": "no",
      "q3_escape": ["exercise", "pornography"],
      "q4_secrets": "yes", "q5_others_disturbed": "declined", "q6_shame": "no",
      "pattern": "intense_periods", "control": "retained",
      "escape_use": true, "secrecy": true, "escalation": false,
      "despite_consequences": false, "functioning_impaired": false, "minimizes_or_blames": false
    }"#;
    let (code, stdout, stderr) = score(example);
    assert_eq!(code, 0, "{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["band"], "at_risk");
    assert_eq!(result["rules_version"], "3", "version 3 is current");
    assert_eq!(
        result["red_flags"],
        serde_json::json!(["q1_concern_expressed", "q3_escape", "q4_secrets"])
    );
    assert_eq!(
        result["declined"],
        serde_json::json!(["q5_others_disturbed"])
    );
    assert_eq!(result["further_investigation"], true);
    assert_eq!(result["referral"], false);
    assert_eq!(result["provisional"], false);
    assert_eq!(result["incomplete"], false);
    let reasons = result["reasons"].as_array().unwrap();
    assert_eq!(
        reasons.len(),
        5,
        "pattern, escape use, three red flags, then secrecy (not counted) and control retained: \
         version 3 names every observation: {reasons:?}"
    );
}

/// The spec example under each rules version: version 1 counts secrecy as an at-risk clause,
/// version 2 does not; version 3 names secrecy and control retained as observations that did
/// not count; all put the example at risk.
#[test]
fn score_takes_the_rules_version() {
    let example = r#"{
      "q1_concern_expressed": "yes", "q2_self_concern": "no",
      "q3_escape": ["exercise", "pornography"],
      "q4_secrets": "yes", "q5_others_disturbed": "declined", "q6_shame": "no",
      "pattern": "intense_periods", "control": "retained", "escape_use": true, "secrecy": true
    }"#;
    for (flag, version, reasons) in [
        (Some("1"), "1", 4),
        (Some("2"), "2", 3),
        (Some("3"), "3", 5),
        (None, "3", 5),
    ] {
        let mut args = vec!["score"];
        args.extend(flag.map(|flag| ["--rules", flag]).into_iter().flatten());
        let (code, stdout, stderr) = run(&args, example);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(result["rules_version"], version, "{args:?}");
        assert_eq!(result["band"], "at_risk", "{args:?}");
        assert_eq!(
            result["reasons"].as_array().unwrap().len(),
            reasons,
            "{args:?}"
        );
    }
    // Secrecy alone: at-risk by version 1, casual by version 2.
    let secrecy = r#"{"q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["eating"],
      "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "no", "secrecy": true}"#;
    let band = |args: &[&str]| {
        let (code, stdout, stderr) = run(args, secrecy);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["band"].clone()
    };
    assert_eq!(band(&["score", "--rules", "1"]), "at_risk");
    assert_eq!(band(&["score"]), "casual");

    let all_declined = r#"{"q1_concern_expressed": "declined", "q2_self_concern": "declined",
      "q3_escape": ["declined"], "q4_secrets": "declined", "q5_others_disturbed": "declined",
      "q6_shame": "declined"}"#;
    let (code, stdout, stderr) = run(&["score"], all_declined);
    assert_eq!(code, 0, "{stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["band"], "not_screened", "version 3: never casual");
    let (_, stdout, _) = run(&["score", "--rules", "2"], all_declined);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["band"],
        "casual",
        "version 2 stays as it was"
    );

    let (code, _, stderr) = run(&["score", "--rules", "4"], example);
    assert_eq!(code, 2, "an unknown version is bad usage");
    assert!(stderr.contains("rules"), "{stderr}");
    assert!(run(&["score", "--help"], "").1.contains("--rules"));
}

#[test]
fn score_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("answers.json");
    std::fs::write(
        &path,
        r#"{"q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no"}"#,
    )
    .unwrap();
    let output = Command::new(BIN).arg("score").arg(&path).output().unwrap();
    assert!(output.status.success());
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["band"], "casual");
}

#[test]
fn score_exits_2_naming_the_field() {
    for (input, field) in [
        (
            r#"{"q1_concern_expressed":"maybe","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no"}"#,
            "q1_concern_expressed",
        ),
        (
            r#"{"q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":[],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no"}"#,
            "q3_escape",
        ),
        (
            r#"{"q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no"}"#,
            "q6_shame",
        ),
        (
            r#"{"q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no","mood":"low"}"#,
            "mood",
        ),
        ("not json", "document"),
    ] {
        let (code, stdout, stderr) = score(input);
        assert_eq!(code, 2, "{input}");
        assert!(stdout.is_empty());
        assert!(stderr.contains(field), "{stderr} should name {field}");
    }
}

#[test]
fn score_reports_a_missing_file_with_exit_2() {
    let output = Command::new(BIN)
        .args(["score", "/nonexistent/answers.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
}

fn user_command(database: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let args: Vec<&str> = ["user"]
        .into_iter()
        .chain(args.iter().copied())
        .chain(["--database", database])
        .collect();
    run(&args, stdin)
}

#[test]
fn user_commands_manage_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let (code, _, stderr) = user_command(&db, &["add", "alice", "--password-stdin"], "too short\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("at least 12 characters"), "{stderr}");
    let (code, stdout, stderr) = user_command(
        &db,
        &["add", "Alice", "--admin", "--password-stdin"],
        "correct horse battery\n",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("administrator alice"));
    let (code, _, stderr) = user_command(
        &db,
        &["add", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"));
    let (code, _, _) = user_command(
        &db,
        &["add", "bob", "--password-stdin"],
        "another good password\n",
    );
    assert_eq!(code, 0);
    let (code, _, _) = user_command(&db, &["deactivate", "bob"], "");
    assert_eq!(code, 0);
    let (code, _, stderr) = user_command(&db, &["deactivate", "nobody"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("no account"));
    let (code, _, _) = user_command(
        &db,
        &["set-password", "alice", "--password-stdin"],
        "a new long password\n",
    );
    assert_eq!(code, 0);
    let (code, stdout, _) = user_command(&db, &["reset-two-factor", "bob"], "");
    assert_eq!(code, 0);
    assert!(
        stdout.contains("no two-factor sign-in; nothing changed"),
        "{stdout}"
    );
    let (code, _, stderr) = user_command(&db, &["reset-two-factor", "nobody"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("no account"), "{stderr}");
    let (_, list, _) = user_command(&db, &["list"], "");
    assert!(list.contains("alice") && list.contains("administrator") && list.contains("active"));
    assert!(
        list.lines()
            .any(|line| line.starts_with("bob") && line.contains("deactivated")),
        "{list}"
    );
    assert!(!list.contains("argon2"), "hashes are never shown");
    let output = Command::new(BIN)
        .args(["user", "add", "carol", "--database", &db])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "--password-stdin is required"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_prints_a_setup_link_and_logs_routes_never_codes_or_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let port = free_port();
    let mut server = Command::new(BIN)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database", &db])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut banner = String::new();
    stdout.read_line(&mut banner).unwrap();
    assert!(
        banner.contains(&format!("http://127.0.0.1:{port}/")),
        "{banner}"
    );
    let mut explanation = String::new();
    stdout.read_line(&mut explanation).unwrap();
    let mut link = String::new();
    stdout.read_line(&mut link).unwrap();
    let setup = link
        .trim()
        .strip_prefix(&format!("http://127.0.0.1:{port}"))
        .expect("setup link")
        .to_owned();
    assert!(setup.starts_with("/setup?token="), "{link}");
    let token = setup.trim_start_matches("/setup?token=").to_owned();

    let mut browser = Browser::new(&format!("http://127.0.0.1:{port}"));
    let html = browser.get_html(&setup).await;
    browser.csrf_token = helpers::csrf_token_in(&html);
    let created = browser
        .post_form(
            "/setup",
            &[
                ("token", &token),
                ("username", "alice"),
                ("password", helpers::PASSWORD),
                ("password_confirm", helpers::PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    browser.refresh_csrf_token().await;
    let location = browser
        .submit(&[
            ("q1_concern_expressed", "yes"),
            ("q2_self_concern", "no"),
            ("q3_escape", "masturbation"),
            ("q4_secrets", "no"),
            ("q5_others_disturbed", "no"),
            ("q6_shame", "yes"),
        ])
        .await;
    let code = helpers::code_of(&location);
    browser.get_html(&location).await;
    browser
        .get_html(&format!("/screenings?older_than={code}"))
        .await;

    // A client answers through a link: the token must never reach the logs.
    let made = browser.post_form("/invitations", &[("mode", "link")]).await;
    assert_eq!(made.status(), 303);
    let target = helpers::location(&made);
    let invitation = target
        .strip_prefix("/invitations/")
        .expect("the invitation's page")
        .to_owned();
    // The link reaches the page in a cookie, never in the address (PRODUCT §6).
    let client_token = helpers::client_token_on(&browser.get_html(&target).await);
    let phone = Browser::new(&format!("http://127.0.0.1:{port}"));
    let questions = phone.get_html(&format!("/c/{client_token}")).await;
    let form_token = helpers::csrf_token_in(&questions).expect("the form's token");
    let answered = phone
        .post_raw(
            &format!("/c/{client_token}"),
            &[
                ("q1_concern_expressed", "no"),
                ("q2_self_concern", "no"),
                ("q3_escape", "romantic_or_sexual_fantasy"),
                ("q4_secrets", "no"),
                ("q5_others_disturbed", "no"),
                ("q6_shame", "no"),
                ("csrf_token", &form_token),
            ],
        )
        .await;
    assert_eq!(answered.status(), 200);
    assert_eq!(phone.get(&format!("/c/{client_token}")).await.status(), 410);
    browser
        .get_html(&format!("/screenings/new?invitation={invitation}"))
        .await;

    send_sigterm(server.id());
    let status = wait_with_timeout(&mut server, Duration::from_secs(5));
    assert_eq!(status, Some(0), "SIGTERM ends the server cleanly");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(
        !logs.contains('\x1b'),
        "no colour codes when standard error is not a terminal (a file, the journal)"
    );
    let plain = without_colours(&logs);
    assert!(
        plain.contains("route=/setup}"),
        "logs name the route: {plain}"
    );
    // Every request that concerns a screening, an invitation or the client view is counted,
    // never logged one by one (with a time).
    assert!(!plain.contains("/screenings"), "{plain}");
    assert!(!plain.contains("/c/"), "{plain}");
    assert!(plain.contains("screening=5 "), "{plain}");
    assert!(plain.contains("client=3 "), "{plain}");
    for secret in [
        code.as_str(),
        &code.replace('-', ""),
        "masturbation",
        &token,
        &client_token,
        &invitation,
        "romantic_or_sexual_fantasy",
        helpers::PASSWORD,
        "127.0.0.1:",
    ] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs");
    }
}

/// The text of logs without the terminal's colour codes.
fn without_colours(logs: &str) -> String {
    let mut plain = String::with_capacity(logs.len());
    let mut chars = logs.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

fn send_sigterm(pid: u32) {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
}

fn wait_with_timeout(child: &mut std::process::Child, timeout: Duration) -> Option<i32> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

/// Input over 1 MiB is refused in one line, without reading it all or echoing it (issue 17).
#[test]
fn score_refuses_input_over_one_mebibyte() {
    let huge = format!(
        "{{\"q1_concern_expressed\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    std::fs::write(&path, huge).unwrap();
    let (code, stdout, stderr) = run(&["score", path.to_str().unwrap()], "");
    assert_eq!(code, 2, "bad input");
    assert!(stdout.is_empty());
    assert_eq!(
        stderr.lines().count(),
        1,
        "{}",
        &stderr[..stderr.len().min(300)]
    );
    assert!(stderr.contains("larger than 1 MiB"), "{stderr}");
    assert!(stderr.len() < 200, "nothing of the input echoed");
}

/// The public scoring cases (`tests/fixtures/score-cases.jsonl`, one JSON object per line, in
/// the format of the conformance script CI also runs): each is scored by `screener score` with
/// its own rules version and compared on the fields PRODUCT §3.3 fixes; a case with
/// `error_field` must exit 2 naming that field.
#[test]
fn score_passes_the_public_conformance_cases() {
    let cases = include_str!("../fixtures/score-cases.jsonl");
    let mut checked = 0;
    for line in cases.lines().filter(|line| !line.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("a case is JSON");
        let name = case["name"].as_str().expect("a case has a name");
        let rules = case["rules"].as_str().unwrap_or("1");
        let (code, stdout, stderr) =
            run(&["score", "--rules", rules], &case["answers"].to_string());
        if let Some(field) = case["error_field"].as_str() {
            assert_eq!(code, 2, "{name}: {stderr}");
            assert!(
                stderr.contains(field),
                "{name}: {stderr} does not name {field}"
            );
        } else {
            assert_eq!(code, 0, "{name}: {stderr}");
            let result: serde_json::Value = serde_json::from_str(&stdout).expect("result is JSON");
            for (field, want) in case["expect"].as_object().expect("a case has expect") {
                assert_eq!(&result[field], want, "{name}: {field}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} cases read");
}
