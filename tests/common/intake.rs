//! An app's back end for the intake API's tests: an app vendor registered with a terminal and a
//! machine credential as an administrator does it with the CLI, its application, and the
//! reference client `kakehashi intake` run as the app.

use reqwest::Client;
use serde_json::{Value, json};

use super::{Gateway, Session, kakehashi, send};

pub const INTAKE: &str = "/v1/intake/applications";

/// An app's back end: its terminal's client and its credential.
pub struct App {
    pub client: Client,
    pub credential: String,
    pub base: String,
}

impl App {
    /// `body` sent to the intake under the key `key` from this app's terminal, presenting
    /// `bearer` (none: no Authorization header).
    fn deliver_keyed(
        &self,
        key: &str,
        bearer: Option<&str>,
        body: &impl serde::Serialize,
    ) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(format!("{}{INTAKE}", self.base))
            .header("idempotency-key", key)
            .json(body);
        match bearer {
            Some(bearer) => request.bearer_auth(bearer),
            None => request,
        }
    }

    /// `body` sent to the intake under the key `k-1` from this app's terminal, presenting
    /// `bearer` (none: no Authorization header).
    pub fn deliver_as(
        &self,
        bearer: Option<&str>,
        body: &impl serde::Serialize,
    ) -> reqwest::RequestBuilder {
        self.deliver_keyed("k-1", bearer, body)
    }

    /// `body` sent to the intake as this app, under the key `k-1`.
    pub fn deliver(&self, body: &impl serde::Serialize) -> reqwest::RequestBuilder {
        self.deliver_as(Some(&self.credential), body)
    }

    /// `body` sent to the intake as this app, under the key `key`.
    pub fn deliver_under(
        &self,
        key: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::RequestBuilder {
        self.deliver_keyed(key, Some(&self.credential), body)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.credential)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.credential)
    }
}

/// Registers app `code` with terminal `terminal` and issues it a credential, as an
/// administrator does with the CLI.
pub fn register_app(gw: &Gateway, code: &str, terminal: &str) -> App {
    gw.add_organisation("app", code, &format!("{code} 申請アプリ"), terminal);
    let issued: Value = serde_json::from_str(&kakehashi(
        &["apps", "credential", "--app", &format!("app:{code}")],
        gw.config(),
    ))
    .unwrap();
    let credential = issued["credential"].as_str().unwrap().to_owned();
    assert!(credential.starts_with("kka_"), "{issued}");
    App {
        client: gw.client(Some(terminal)),
        credential,
        base: gw.base.clone(),
    }
}

/// The officer's municipality accepts applications from `app_id`.
pub async fn accept(officer: &Session, app_id: &str) {
    let (status, accepted) = send(
        officer
            .post("/v1/applications/accepted-apps")
            .json(&json!({"app_id": app_id, "accepted": true})),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{accepted}");
}

/// A doctor confirms one clean sheet of Hospital A's export; its id and access key.
pub async fn sheet_with_key(doctor: &Session) -> (String, String) {
    let id = doctor.clean_sheet_of_hospital_a().await;
    let (status, confirmed) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{confirmed}");
    (id, confirmed["access_key"].as_str().unwrap().to_owned())
}

/// An application as an app sends it, with `access_key` as the applicant typed it.
pub fn application(access_key: &str) -> Value {
    json!({
        "municipality": "130001",
        "kind": "nanbyo",
        "procedure": "renewal",
        "applicant": {"name": "小野 智子", "relationship": "本人", "phone": "０３－１２３４－５６７８"},
        "patient": {"name": "小野　智子", "name_kana": "ｵﾉ ﾄﾓｺ", "date_of_birth": "1968-03-21", "sex": "female",
                    "postal_code": "359-1124", "address": "埼玉県所沢市東町4-9-24"},
        "disease": {"number": 2},
        "access_key": access_key.to_lowercase(),
        "recipient_number": "0001016",
        "research_consent": true,
        "self_information": {
            "insurance": {"source": "mynaportal:self_information_api", "retrieved_at": "2026-12-01T10:00:00+09:00",
                          "data": {"insurer_number": "06111306", "symbol": "2402", "number": "654", "branch": "00"}},
            "household": {"source": "mynaportal:self_information_api", "retrieved_at": "2026-12-01T10:00:05+09:00",
                          "data": {"members": [{"relationship": "本人"}, {"relationship": "夫"}]}},
            "income": {"source": "mynaportal:self_information_api", "retrieved_at": "2026-12-01T10:00:07+09:00",
                       "data": {"fiscal_year": 2026, "members": [{"relationship": "本人", "municipal_tax_exempt": false, "income_levy": 52000},
                                                                 {"relationship": "夫", "municipal_tax_exempt": false, "income_levy": 160000}]}}
        }
    })
}

/// The officer's applications inbox.
pub async fn inbox(officer: &Session) -> Vec<Value> {
    let (status, listed) = send(officer.get("/v1/applications")).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{listed}");
    listed.as_array().unwrap().clone()
}

/// Runs the reference client, `kakehashi intake ARGS` as the app `terminal` with `credential`;
/// its exit success, stdout and stderr.
pub fn reference_client(
    gw: &Gateway,
    terminal: &str,
    credential: &str,
    args: &[&str],
) -> (bool, String, String) {
    let certs = gw.certs();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .arg("intake")
        .args(args)
        .arg("--gateway")
        .arg(&gw.base)
        .arg("--ca")
        .arg(certs.join("ca.pem"))
        .arg("--cert")
        .arg(certs.join(format!("{terminal}.pem")))
        .arg("--key")
        .arg(certs.join(format!("{terminal}.key")))
        .env("KAKEHASHI_APP_CREDENTIAL", credential)
        .env("KAKEHASHI_LOG", "warn")
        .output()
        .expect("kakehashi runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
