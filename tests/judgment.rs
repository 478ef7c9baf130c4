//! Machine judgment (一次判定) end to end: a hospital sends its EHR export of Parkinson's
//! disease sheets — with a column of monthly medical costs, read through a layout from the
//! configured mappings folder — and the municipal officer reads each sheet's judgment over
//! mutual TLS: 該当 by severity, 該当 by 軽症高額, 要確認 when the costs are missing, with the
//! reasons item by item. Others cannot read it, and every read is audited.

mod common;

use common::{Gateway, HOSPITAL, OPERATOR, corpus, send};
use reqwest::StatusCode;
use serde_json::Value;

/// Hospital A's layout plus one column: 医療費総額 per month (`YYYY-MM:yen; …`).
fn mappings_with_costs(dir: &std::path::Path) {
    let layout = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings/csv/hospital-a.toml"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("csv")).unwrap();
    std::fs::write(
        dir.join("csv/hospital-a-costs.toml"),
        format!(
            "{layout}\n[[columns]]\ncolumn = \"医療費総額\"\nfield = \"administrative.monthly_medical_costs\"\n"
        ),
    )
    .unwrap();
}

/// The corpus's first Parkinson rows, each with its 医療費総額 column.
fn parkinson_csv(costs: &[&str]) -> Vec<u8> {
    let mut reader = csv::Reader::from_path(corpus("hospital-a.csv")).unwrap();
    let mut header = reader.headers().unwrap().clone();
    header.push_field("医療費総額");
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    let parkinson = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| r.get(0).map(|n| n.trim_start_matches('\u{feff}')) == Some("6"));
    for (record, cost) in parkinson.zip(costs) {
        let mut record = record.clone();
        record.push_field(cost);
        out.write_record(&record).unwrap();
    }
    out.into_inner().unwrap()
}

fn rule<'a>(section: &'a Value, id: &str) -> &'a Value {
    section["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no rule {id} in {section}"))
}

#[tokio::test]
async fn the_officer_reads_the_machine_judgment_with_its_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::private_dir(&data);
    let mappings = dir.path().join("mappings");
    mappings_with_costs(&mappings);
    let gw = Gateway::start(
        &data,
        &format!(
            "mappings_dir = \"{}\"\n[security]\nrequests_per_second_per_terminal = 1000\n",
            mappings.display()
        ),
    );
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let officer = gw.officer("officer1").await;

    // Rows 1–3 of the corpus's Parkinson sheets: Hoehn-Yahr 4 / 生活機能障害度 2 (severe);
    // 4 / 3 (severe); 2 / 1 (mild). The mild one is sent twice below with different costs.
    let over = "R7.12:45,000; 2026-02:33,331; 2026-06:50000";
    let at_threshold = "R7.12:45,000; 2026-02:33,330; 2026-06:50000";
    let body = parkinson_csv(&["", "", over, ""]);
    let (status, submission) = send(
        doctor
            .post("/v1/submissions?mapping=hospital-a-costs&municipality=130001")
            .header("content-type", "text/csv")
            .body(body),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    let ids: Vec<String> = submission["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 4, "{submission}");

    let judgment = |id: &str| {
        let path = format!("/v1/sheets/{id}/judgment?applied_on=2026-11-21");
        let request = officer.get(&path);
        async move { send(request).await }
    };

    // Severe, and Definite with parkinsonism (筋強剛, 無動, 姿勢反射障害 without 安静時振戦).
    let (status, j) = judgment(&ids[0]).await;
    assert_eq!(status, StatusCode::OK, "{j}");
    assert_eq!(j["outcome"], "eligible", "{j}");
    assert_eq!(j["outcome_ja"], "該当");
    assert_eq!(j["disease"], "nanbyo 6");
    assert_eq!(j["category"]["met_rule"], "definite");
    let definite = rule(&j["category"], "definite");
    let tremor = definite["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["item"] == "pd.rest_tremor")
        .unwrap();
    assert_eq!(
        (&tremor["observed"], &tremor["status"]),
        (&Value::Bool(false), &Value::from("not_met"))
    );
    let severity = rule(&j["severity"], "hoehn_yahr_3_and_daily_function_2");
    assert_eq!(severity["status"], "met");
    let reasons = severity["reasons"].as_array().unwrap();
    assert_eq!(reasons[0]["item"], "pd.hoehn_yahr");
    assert_eq!(reasons[0]["observed"], 4);
    assert_eq!(reasons[0]["expected"], ">= 3");
    assert_eq!(reasons[0]["reason"], "Hoehn-Yahr重症度分類 3度以上");
    assert_eq!(reasons[1]["observed"], 2);
    assert!(j.get("mild_high_cost").is_none(), "{j}");

    // Mild (Hoehn-Yahr 2, 生活機能障害度 1) but three months over ¥33,330: 軽症高額.
    let (_, j) = judgment(&ids[2]).await;
    assert_eq!(j["severity"]["outcome"], "not_eligible", "{j}");
    let severity = rule(&j["severity"], "hoehn_yahr_3_and_daily_function_2");
    assert_eq!(severity["reasons"][0]["status"], "not_met");
    assert_eq!(j["mild_high_cost"]["outcome"], "eligible", "{j}");
    assert_eq!(
        j["mild_high_cost"]["months_over"],
        serde_json::json!(["2025-12", "2026-02", "2026-06"])
    );
    assert_eq!(j["mild_high_cost"]["window_from"], "2025-12");
    assert_eq!(j["outcome"], "eligible");
    // The same costs judged for an application a month later: 2025-12 falls out.
    let path = format!("/v1/sheets/{}/judgment?applied_on=R8.12.1", ids[2]);
    let (status, later) = send(officer.get(&path)).await;
    assert_eq!(status, StatusCode::OK, "{later}");
    assert_eq!(
        later["mild_high_cost"]["months_over"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A different hospital export of the same mild sheet with exactly ¥33,330 in one month.
    let body = parkinson_csv(&["", "", at_threshold]);
    let (status, second) = send(
        doctor
            .post("/v1/submissions?mapping=hospital-a-costs&municipality=130001")
            .header("content-type", "text/csv")
            .body(body),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    let mild_at_threshold = second["sheets"][2]["id"].as_str().unwrap().to_owned();
    let (_, j) = judgment(&mild_at_threshold).await;
    let months_over = j["mild_high_cost"]["months_over"].as_array().unwrap();
    assert_eq!(months_over.len(), 2, "exactly ¥33,330 is not over: {j}");
    assert_eq!(
        j["mild_high_cost"]["outcome"], "needs_review",
        "nine months have no total: they could hold a third"
    );
    assert_eq!(j["outcome"], "needs_review");
    assert_eq!(j["outcome_ja"], "要確認");

    // Row 4 is severe: no cost data needed.
    let (_, j) = judgment(&ids[3]).await;
    assert_eq!(j["outcome"], "eligible", "{j}");

    // A bad date is a stable, bilingual error.
    let (status, e) = send(officer.get(&format!(
        "/v1/sheets/{}/judgment?applied_on=2026-13-01",
        ids[0]
    )))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["code"], "request.invalid_date");
    assert!(e["message_ja"].as_str().unwrap().contains("申請日"), "{e}");

    // Only those who may read the sheet: an administrator sees no sheet, so no judgment.
    let admin = gw
        .user("admin1", OPERATOR, "administrator", "operator")
        .await;
    let (status, e) = send(admin.get(&format!("/v1/sheets/{}/judgment", ids[0]))).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // Every read is in the audit trail, the refusal too, with the patient's pseudonym.
    let (status, audit) = send(admin.get("/v1/audit?action=sheet.judgment&limit=100")).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let records = audit.as_array().unwrap();
    let outcomes: Vec<&str> = records
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "ok").count(),
        5,
        "{audit}"
    );
    assert_eq!(outcomes.iter().filter(|o| **o == "denied").count(), 1);
    assert!(
        records
            .iter()
            .all(|r| r["patient_ref"].is_string() && r["object_id"].is_string()),
        "{audit}"
    );
}
