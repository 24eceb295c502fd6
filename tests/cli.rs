//! The `screener` binary: `score` (SPEC §3.1–3.3) and `serve`, including what it logs.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_screener");

fn score(input: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .arg("score")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run screener score");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
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
    assert_eq!(result["rules_version"], "1");
    assert_eq!(
        result["red_flags"],
        serde_json::json!(["q1_concern_expressed", "q3_escape", "q4_secrets"])
    );
    assert_eq!(result["declined"], serde_json::json!(["q5_others_disturbed"]));
    assert_eq!(result["further_investigation"], true);
    assert_eq!(result["referral"], false);
    assert_eq!(result["provisional"], false);
    assert_eq!(result["incomplete"], false);
    let reasons = result["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 4, "pattern, escape use, secrecy, three red flags: {reasons:?}");
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
        (r#"{"q1_concern_expressed":"maybe","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no"}"#, "q1_concern_expressed"),
        (r#"{"q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":[],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no"}"#, "q3_escape"),
        (r#"{"q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no"}"#, "q6_shame"),
        (r#"{"q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no","mood":"low"}"#, "mood"),
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
    let output = Command::new(BIN).args(["score", "/nonexistent/answers.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
}

#[test]
fn serve_refuses_a_non_loopback_address_until_accounts_exist() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--addr", "0.0.0.0:0", "--database"])
        .arg(format!("sqlite://{}", dir.path().join("s.db").display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("refusing"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn logs_name_routes_never_review_codes_or_answers() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = Command::new(BIN)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database"])
        .arg(format!("sqlite://{}", dir.path().join("s.db").display()))
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut banner).unwrap();
    assert!(banner.contains(&format!("http://127.0.0.1:{port}/")), "{banner}");

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let response = client
        .post(format!("{base}/screenings"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("q1_concern_expressed=yes&q2_self_concern=no&q3_escape=masturbation&q4_secrets=no&q5_others_disturbed=no&q6_shame=yes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let code = location.trim_start_matches("/screenings/").to_owned();
    assert_eq!(client.get(format!("{base}{location}")).send().await.unwrap().status(), 200);
    assert_eq!(
        client.get(format!("{base}/screenings?older_than={code}")).send().await.unwrap().status(),
        200
    );

    send_sigterm(server.id());
    let status = wait_with_timeout(&mut server, Duration::from_secs(5));
    assert_eq!(status, Some(0), "SIGTERM ends the server cleanly");
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut logs).unwrap();
    assert!(logs.contains("/screenings/{code}"), "logs name the route: {logs}");
    assert!(!logs.contains(&code), "a review code leaked into the logs");
    assert!(!logs.contains(&code.replace('-', "")), "a review code leaked into the logs");
    assert!(!logs.contains("masturbation"), "a form body leaked into the logs");
    assert!(!logs.contains("127.0.0.1:") || !logs.contains("remote"), "client address in logs");
}

fn send_sigterm(pid: u32) {
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
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
