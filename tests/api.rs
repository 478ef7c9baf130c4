//! End to end over real sockets: hospital CSVs in, checked canonical sheets out, durable across
//! restarts, deduplicated, and bad input refused with located errors while earlier data stays.

mod common;

use common::{Gateway, HOSPITAL, Session, corpus, send};
use reqwest::StatusCode;
use serde_json::Value;

async fn post(s: &Session, query: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    send(
        s.post(&format!("/v1/submissions{query}"))
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

async fn get(s: &Session, path: &str) -> (StatusCode, Value) {
    send(s.get(path)).await
}

/// These tests read hundreds of sheets in a burst: raise the per-terminal rate.
const FAST_CLIENT: &str = "[security]\nrequests_per_second_per_terminal = 2000\n";

fn data_rows(path: &std::path::Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    reader.byte_records().count()
}

fn sheet_ids(submission: &Value) -> Vec<String> {
    submission["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn csv_sheets_survive_restart_and_resubmission_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::private_dir(&data);
    let hospital_a = std::fs::read(corpus("hospital-a.csv")).unwrap();
    let clinic_b = std::fs::read(corpus("clinic-b.csv")).unwrap();

    let gw = Gateway::start(&data, FAST_CLIENT);
    let clerk = gw.user("clerk-a", HOSPITAL, "clerk", "hospital").await;
    let (status, health) = send(gw.client(Some("hospital")).get(gw.url("/v1/healthz"))).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );

    // UTF-8 with BOM, mapping named.
    let (status, a) = post(
        &clerk,
        "?adapter=csv&mapping=hospital-a",
        "text/csv",
        hospital_a.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{a}");
    assert_eq!(a["status"], "accepted");
    assert_eq!(a["duplicate"], false);
    assert_eq!(
        a["sheets"].as_array().unwrap().len(),
        data_rows(&corpus("hospital-a.csv"))
    );
    assert_eq!(a["summary"]["sheets_with_errors"], 0, "{}", a["sheets"]);

    // CP932, mapping detected from the header line, charset declared.
    let (status, b) = post(&clerk, "", "text/csv; charset=Shift_JIS", clinic_b.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{b}");
    assert_eq!(
        b["sheets"].as_array().unwrap().len(),
        data_rows(&corpus("clinic-b.csv"))
    );
    assert_eq!(b["summary"]["sheets_with_errors"], 0, "{}", b["sheets"]);

    // Read a sheet back: canonical JSON with the header typed and totals computed.
    let a_ids = sheet_ids(&a);
    let b_ids = sheet_ids(&b);
    let mut before = Vec::new();
    for id in a_ids.iter().chain(&b_ids) {
        let (status, view) = get(&clerk, &format!("/v1/sheets/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(view["status"], "draft");
        assert_eq!(view["organisation_id"], HOSPITAL);
        let sheet = view["sheet"].clone();
        assert_eq!(sheet["schema_version"], "1.0");
        assert!(sheet["patient"]["date_of_birth"].as_str().unwrap().len() == 10);
        before.push(sheet);
    }
    let als = before
        .iter()
        .find(|s| s["disease"]["number"] == 2)
        .expect("an ALS sheet in hospital-a");
    assert_eq!(als["disease"]["name"], "筋萎縮性側索硬化症");
    let total = als["items"]["alsfrs_r.total"]["value"].as_i64().unwrap();
    let by_hand: i64 = als["items"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| {
            k.starts_with("alsfrs_r.") && *k != "alsfrs_r.total" && *k != "alsfrs_r.bulbar"
        })
        .map(|(_, v)| v["value"].as_i64().unwrap())
        .sum();
    assert_eq!(total, by_hand);
    assert!(
        als["items"]["alsfrs_r.total"]["computed_by"]
            .as_str()
            .unwrap()
            .starts_with("sum(")
    );
    let t1d = before
        .iter()
        .find(|s| {
            s["kind"] == "shoman" && s["disease"]["group"] == 7 && s["disease"]["number"] == 1
        })
        .expect("a 1型糖尿病 sheet in clinic-b");
    assert!(t1d["child"]["age_years"].as_u64().unwrap() < 20);
    assert_eq!(t1d["provenance"]["mapping"], "clinic-b");

    // Restart on the same data directory: everything is still there, byte for byte.
    drop(gw);
    let gw = Gateway::start(&data, FAST_CLIENT);
    let clerk = gw.session("clerk-a", "hospital", None).await;
    for (id, expected) in a_ids.iter().chain(&b_ids).zip(&before) {
        let (status, view) = get(&clerk, &format!("/v1/sheets/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&view["sheet"], expected);
    }
    let (status, again) = get(
        &clerk,
        &format!("/v1/submissions/{}", a["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sheet_ids(&again), a_ids);

    // The same bytes again: same ids, nothing new.
    let (status, dup) = post(
        &clerk,
        "?adapter=csv&mapping=hospital-a",
        "text/csv",
        hospital_a,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(dup["duplicate"], true);
    assert_eq!(dup["id"], a["id"]);
    assert_eq!(sheet_ids(&dup), a_ids);

    // Metrics count what happened; unknown ids and paths answer JSON errors.
    let metrics = gw.metrics().await;
    assert!(
        metrics.contains("kakehashi_http_responses_total"),
        "{metrics}"
    );
    let (status, missing) = get(&clerk, "/v1/sheets/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(
        missing["message_ja"]
            .as_str()
            .unwrap()
            .contains("ありません")
    );
}

/// hospital-a's header line and one of its data lines, to build bad inputs from.
fn header_and_row() -> (String, String) {
    let text = String::from_utf8(std::fs::read(corpus("hospital-a.csv")).unwrap()).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header = lines.next().unwrap().to_owned();
    let row = lines.next().unwrap().to_owned();
    (header, row)
}

fn column(header: &str, name: &str) -> usize {
    header
        .split(',')
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn with_cell(header: &str, row: &str, name: &str, value: &str) -> String {
    let mut record: Vec<String> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(row.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    record[column(header, name)] = value.to_owned();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&record).unwrap();
    String::from_utf8(writer.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_owned()
}

fn findings_with(submission: &Value, code: &str) -> Vec<Value> {
    submission["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["findings"].as_array().unwrap().clone())
        .filter(|f| f["code"] == code)
        .collect()
}

#[tokio::test]
async fn bad_input_gets_located_errors_and_earlier_data_stays() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::private_dir(&data);
    let gw = Gateway::start(&data, "max_body_bytes = 200000\n");
    let clerk = gw.user("clerk-a", HOSPITAL, "clerk", "hospital").await;
    let (header, row) = header_and_row();

    let (status, good) = post(
        &clerk,
        "?mapping=hospital-a",
        "text/csv",
        std::fs::read(corpus("hospital-a.csv")).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let good_ids = sheet_ids(&good);

    // A truncated last row: the whole document is refused, naming line 3.
    let cut = &row[..row.len() / 2];
    let truncated = format!("{header}\n{row}\n{cut}\n");
    let (status, err) = post(
        &clerk,
        "?mapping=hospital-a",
        "text/csv",
        truncated.into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "csv.truncated_row");
    assert_eq!(err["location"]["line"], 3);
    assert!(err["message_ja"].as_str().unwrap().contains("3 行目"));
    assert!(
        err["submission_id"].is_string(),
        "rejected input is journaled: {err}"
    );

    // Shift_JIS bytes under a UTF-8 mapping: 415 naming the first line that does not decode.
    let clinic_b = std::fs::read(corpus("clinic-b.csv")).unwrap();
    let (status, err) = post(&clerk, "?mapping=hospital-a", "text/csv", clinic_b).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{err}");
    assert_eq!(err["code"], "csv.encoding");
    assert_eq!(err["location"]["line"], 2);

    // Impossible dates and an unknown disease: accepted, with located error findings.
    let dob = column(&header, "生年月日") as u64 + 1;
    let born_after_writing = with_cell(&header, &row, "生年月日", "令和8年11月1日");
    let written_in_future = with_cell(&header, &row, "記載年月日", "2099-01-01");
    let unknown_disease = with_cell(&header, &row, "告示番号", "999");
    let not_a_date = with_cell(&header, &row, "生年月日", "H31.5.1");
    let body = format!(
        "{header}\n{born_after_writing}\n{written_in_future}\n{unknown_disease}\n{not_a_date}\n"
    );
    let (status, checked) =
        post(&clerk, "?mapping=hospital-a", "text/csv", body.into_bytes()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{checked}");
    assert_eq!(checked["summary"]["sheets_with_errors"], 4);
    let order = findings_with(&checked, "date.order");
    assert!(
        order.iter().any(|f| f["location"]["line"] == 2),
        "{order:?}"
    );
    let future = findings_with(&checked, "date.future");
    assert_eq!(future[0]["location"]["line"], 3);
    assert_eq!(future[0]["location"]["column_name"], "記載年月日");
    let unknown = findings_with(&checked, "disease.unknown");
    assert_eq!(unknown[0]["location"]["line"], 4);
    assert_eq!(
        unknown[0]["location"]["column"],
        column(&header, "告示番号") as u64 + 1
    );
    let unreadable = findings_with(&checked, "field.unreadable");
    assert_eq!(unreadable[0]["location"]["line"], 5);
    assert_eq!(unreadable[0]["location"]["column"], dob);
    assert!(
        unreadable[0]["message"]
            .as_str()
            .unwrap()
            .contains("H31.5.1")
    );

    // Over the body limit: 413 before anything is read into the store.
    // The gateway answers from the declared length and closes without reading the rest, so
    // the client may see the answer or, still writing, a closed connection; never a 2xx.
    let big = vec![b'a'; 300_000];
    let sent = clerk
        .post("/v1/submissions?mapping=hospital-a")
        .header("content-type", "text/csv")
        .body(big)
        .send()
        .await;
    if let Ok(response) = sent {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let err: Value = response.json().await.unwrap();
        assert_eq!(err["code"], "submission.too_large");
    }

    // Nothing reads a PNG; a PDF goes to the scan adapter, which refuses a broken one.
    let (status, err) = post(&clerk, "", "image/png", b"\x89PNG\r\n\x1a\n".to_vec()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("submission.unsupported_media_type")
        )
    );
    let (status, err) = post(&clerk, "", "application/pdf", b"%PDF-1.7".to_vec()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("scan.malformed_pdf"))
    );
    // An unknown mapping.
    let (status, err) = post(&clerk, "?mapping=nope", "text/csv", b"a,b\n1,2\n".to_vec()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("mapping.unknown"))
    );

    // Everything accepted before is intact.
    let (status, again) = get(
        &clerk,
        &format!("/v1/submissions/{}", good["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sheet_ids(&again), good_ids);
    for id in good_ids.iter().take(5) {
        assert_eq!(
            get(&clerk, &format!("/v1/sheets/{id}")).await.0,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn the_same_bytes_from_two_organisations_are_two_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), FAST_CLIENT);
    gw.add_organisation("hospital", "2710000011", "大阪北病院", "hospital-b");
    let clerk_a = gw.user("clerk-a", HOSPITAL, "clerk", "hospital").await;
    let clerk_b = gw
        .user("clerk-b", "hospital:2710000011", "clerk", "hospital-b")
        .await;
    let officer = gw.officer("officer").await;
    let csv = std::fs::read(corpus("clinic-b.csv")).unwrap();

    // Two hospitals, byte-identical exports: each gets its own submission and sheets, and
    // neither learns that the other sent the same bytes.
    let (status, a) = post(&clerk_a, "?mapping=clinic-b", "text/csv", csv.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{a}");
    let (status, b) = post(&clerk_b, "?mapping=clinic-b", "text/csv", csv.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{b}");
    assert_ne!(a["id"], b["id"]);
    assert_eq!(
        b["duplicate"], false,
        "the other hospital's copy is not a duplicate"
    );
    assert_eq!(b["organisation_id"], "hospital:2710000011");
    assert_eq!(sheet_ids(&a).len(), sheet_ids(&b).len());
    assert!(sheet_ids(&a).iter().all(|id| !sheet_ids(&b).contains(id)));
    // Each reads its own, not the other's.
    let b_sheet = &sheet_ids(&b)[0];
    assert_eq!(
        get(&clerk_b, &format!("/v1/sheets/{b_sheet}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        get(&clerk_a, &format!("/v1/sheets/{b_sheet}")).await.0,
        StatusCode::NOT_FOUND
    );
    // Its own resend is still a duplicate.
    let (status, again) = post(&clerk_b, "?mapping=clinic-b", "text/csv", csv).await;
    assert_eq!(
        (status, &again["duplicate"]),
        (StatusCode::ACCEPTED, &Value::Bool(true))
    );
    assert_eq!(again["id"], b["id"]);

    // A hospital and a municipality scanning the same (here unreadable) PDF: two journaled
    // submissions, each refused on its own, never a store failure.
    let pdf = b"%PDF-1.7\n%%EOF\n".to_vec();
    let (status, h) = post(&clerk_a, "?adapter=scan", "application/pdf", pdf.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{h}");
    let (status, m) = post(&officer, "", "application/pdf", pdf).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{m}");
    assert!(h["submission_id"].is_string() && m["submission_id"].is_string());
    assert_ne!(h["submission_id"], m["submission_id"]);
}

#[tokio::test]
async fn every_documented_route_is_served_and_the_frameworks_rejections_are_json() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), FAST_CLIENT);
    let clerk = gw.user("clerk-a", HOSPITAL, "clerk", "hospital").await;
    let (status, doc) = send(gw.client(Some("hospital")).get(gw.url("/v1/openapi.json"))).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 40, "{} paths", paths.len());
    let mut served = 0;
    for (path, item) in paths {
        let concrete = path
            .replace("{kind}", "nanbyo")
            .replace("{number}", "2")
            .replace(['{', '}'], "");
        for method in item.as_object().unwrap().keys() {
            if concrete == "/v1/auth/logout" {
                continue; // would end the session the rest of the loop uses
            }
            let request = match method.as_str() {
                "get" => clerk.get(&concrete),
                "post" => clerk.post(&concrete),
                "put" => clerk.put(&concrete),
                "delete" => clerk.delete(&concrete),
                other => panic!("{other} {path}"),
            };
            let (status, body) = send(request).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !body["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("no such endpoint")),
                "{method} {path} is documented but not served: {body}"
            );
            served += 1;
        }
    }
    assert!(served >= 43, "{served} operations");

    // The framework's own rejections: JSON with a code, the status axum chose.
    let (status, err) = send(
        clerk
            .post("/v1/access-keys/lookup")
            .header("content-type", "application/json")
            .body("{\"access_key\": "),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("request.json_syntax"))
    );
    assert!(err["message_ja"].as_str().unwrap().contains("JSON"));
    let (status, err) = send(clerk.post("/v1/access-keys/lookup").body("{}")).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("request.json_content_type")
        )
    );
    let (status, err) = send(
        clerk
            .post("/v1/access-keys/lookup")
            .header("content-type", "application/json")
            .body("{\"access_key\": 7}"),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("request.json_data"))
    );
    assert!(
        err["message"].as_str().unwrap().contains("access_key"),
        "{err}"
    );
    let (status, err) = get(&clerk, "/v1/sheets?limit=many").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("request.invalid_query"))
    );
    let (status, err) = get(&clerk, "/v1/sheets?colour=blue").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("request.invalid_query"))
    );
    let (status, err) = send(clerk.put("/v1/submissions")).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            Some("request.method_not_allowed")
        )
    );

    // Logging out ends the token (the one route the loop above and schemathesis leave out).
    assert_eq!(
        send(clerk.post("/v1/auth/logout")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(get(&clerk, "/v1/me").await.0, StatusCode::UNAUTHORIZED);
}
