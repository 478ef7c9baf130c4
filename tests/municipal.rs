//! The municipal decision-file dry run against the real binary over mutual TLS: a municipal
//! officer reads both shipped layouts, bad files answer located errors with stable codes,
//! roles without the right are refused, and every call is in the audit trail.

mod common;

use std::path::PathBuf;

use common::{Gateway, HOSPITAL, OPERATOR, Session, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn decision_file(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("conformance/corpus/municipal")
            .join(name),
    )
    .unwrap()
}

async fn convert(session: &Session, layout: Option<&str>, body: Vec<u8>) -> (StatusCode, Value) {
    let path = match layout {
        Some(layout) => format!("/v1/certifications/convert?layout={layout}"),
        None => "/v1/certifications/convert".to_owned(),
    };
    send(
        session
            .post(&path)
            .header("content-type", "application/octet-stream")
            .body(body),
    )
    .await
}

#[tokio::test]
async fn an_officer_reads_decision_files_and_bad_ones_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), "");
    let officer = gw.officer("officer1").await;

    for (file, layout) in [("city-a.csv", "city-a"), ("city-b.dat", "city-b")] {
        let (status, body) = convert(&officer, Some(layout), decision_file(file)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let decisions = body["certifications"].as_array().unwrap();
        assert_eq!(decisions.len(), 5, "{file}");
        let caps: Vec<Value> = decisions
            .iter()
            .map(|d| d["certification"]["monthly_copayment_cap"].clone())
            .collect();
        assert_eq!(
            caps,
            [
                json!(10_000),
                json!(20_000),
                json!(1_000),
                Value::Null,
                json!(5_000)
            ],
            "{file}"
        );
        assert_eq!(decisions[3]["certification"]["decision"], "not_certified");
        assert_eq!(decisions[4]["certification"]["kind"], "shoman");
        for d in decisions {
            assert_eq!(d["findings"], Value::Array(vec![]), "{file}");
        }
    }

    // A wrong check digit in the second record's payer number: a finding at its byte.
    let mut file = decision_file("city-b.dat");
    file[162 + 29] = b'9';
    let (status, body) = convert(&officer, Some("city-b"), file).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let finding = &body["certifications"][1]["findings"][0];
    assert_eq!(finding["code"], "identifier.check_digit");
    assert_eq!(finding["location"]["line"], 2);
    assert_eq!(finding["location"]["byte"], 23);
    assert!(finding["message_ja"].as_str().unwrap().contains("検証番号"));

    // A record one byte short: the whole file is refused, naming the line.
    let mut file = decision_file("city-b.dat");
    file.remove(162 * 2 + 5);
    let (status, body) = convert(&officer, Some("city-b"), file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "municipal.record_length");
    assert_eq!(body["location"]["line"], 3);
    assert!(body["message_ja"].as_str().unwrap().contains("レコード長"));

    // Bytes that are not CP932: 415 with line and byte.
    let mut file = decision_file("city-b.dat");
    file[100] = 0xFF;
    let (status, body) = convert(&officer, Some("city-b"), file).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(body["code"], "municipal.encoding");
    assert_eq!(body["location"]["byte"], 101);

    // No layout, or an unknown one: 400 with the known layouts.
    let (status, body) = convert(&officer, None, decision_file("city-a.csv")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "municipal.layout_required");
    assert!(body["message"].as_str().unwrap().contains("city-a"));
    let (status, body) = convert(&officer, Some("city-z"), decision_file("city-a.csv")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "mapping.unknown");

    // A hospital's doctor may not read decision files.
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let (status, body) = convert(&doctor, Some("city-a"), decision_file("city-a.csv")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "access.denied");

    // Every call is audited, without the content.
    let admin = gw
        .user("admin1", OPERATOR, "administrator", "operator")
        .await;
    let (status, audit) = send(admin.get("/v1/audit?action=certification.convert&limit=100")).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let outcomes: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["actor"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(outcomes.len(), 8, "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|(_, o)| *o == "ok").count(), 3);
    assert_eq!(outcomes.iter().filter(|(_, o)| *o == "failed").count(), 4);
    assert!(outcomes.contains(&("dr1", "denied")), "{outcomes:?}");
    assert!(
        !audit.to_string().contains("山田"),
        "personal data in the audit trail"
    );
}

/// Runs `kakehashi municipal ARGS`: exit code, stdout, stderr.
fn municipal(args: &[&str]) -> (Option<i32>, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .arg("municipal")
        .args(args)
        .env("KAKEHASHI_LOG", "warn")
        .output()
        .expect("kakehashi runs");
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn the_cli_reads_decision_files_and_prices_caps() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/corpus/municipal");
    let file = corpus.join("city-b.dat");
    let (code, out, err) = municipal(&["convert", "--layout", "city-b", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 5);
    assert_eq!(records[0]["record_type"], "certification");
    assert_eq!(records[4]["monthly_copayment_cap"], 5_000);
    assert!(err.contains("5 decisions, 0 with errors"), "{err}");

    // A record with a bad value: the record is printed, the finding located, exit 1.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[32] = b'9'; // 階層区分 (byte 33) code 9 on line 1
    let bad = dir.path().join("bad.dat");
    std::fs::write(&bad, &bytes).unwrap();
    let (code, out, err) = municipal(&["convert", "--layout", "city-b", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out.lines().count(), 5);
    assert!(err.contains("line 1, byte 33 (income_tier)"), "{err}");
    assert!(err.contains("municipal.income_tier"), "{err}");

    // A file that cannot be read: nothing on stdout, exit 2.
    std::fs::write(&bad, &bytes[..100]).unwrap();
    let (code, out, err) = municipal(&["convert", "--layout", "city-b", bad.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (Some(2), ""), "{err}");
    assert!(err.contains("municipal.record_length"), "{err}");

    for (args, cap) in [
        (&["--kind", "nanbyo", "--tier", "一般所得I"][..], "10000"),
        (
            &[
                "--kind",
                "nanbyo",
                "--tier",
                "上位所得",
                "--status",
                "高額かつ長期",
            ][..],
            "20000",
        ),
        (
            &[
                "--kind",
                "nanbyo",
                "--tier",
                "low_income_2",
                "--status",
                "ventilator",
            ][..],
            "1000",
        ),
        (
            &[
                "--kind",
                "shoman",
                "--tier",
                "一般所得Ⅱ",
                "--status",
                "severe",
            ][..],
            "5000",
        ),
        (&["--kind", "小慢", "--tier", "低所得Ⅰ"][..], "1250"),
    ] {
        let mut all = vec!["copayment"];
        all.extend_from_slice(args);
        let (code, out, err) = municipal(&all);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert_eq!(out.trim(), cap, "{args:?}");
    }
    let (code, _, err) = municipal(&["copayment", "--kind", "nanbyo", "--tier", "中所得"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("階層区分"), "{err}");
}
