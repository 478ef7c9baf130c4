//! The intake API's test helpers: an app registered through the CLI and its back end's
//! calls, a doctor's sheet with its access key, and an application as an app sends it.

use reqwest::{Client, StatusCode};
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
    /// `body` sent to the intake under the key `k-1` from this app's terminal, presenting
    /// `bearer` (none: no Authorization header).
    pub fn deliver_as(
        &self,
        bearer: Option<&str>,
        body: &impl serde::Serialize,
    ) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(format!("{}{INTAKE}", self.base))
            .header("idempotency-key", "k-1")
            .json(body);
        match bearer {
            Some(bearer) => request.bearer_auth(bearer),
            None => request,
        }
    }

    /// `body` sent to the intake as this app, under the key `k-1`.
    pub fn deliver(&self, body: &impl serde::Serialize) -> reqwest::RequestBuilder {
        self.deliver_as(Some(&self.credential), body)
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

/// A doctor confirms one clean sheet of Hospital A's export; its id and access key.
pub async fn sheet_with_key(doctor: &Session) -> (String, String) {
    let id = doctor.clean_sheet_of_hospital_a().await;
    let (status, confirmed) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
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
                       "data": {"fiscal_year": 2026, "members": [{"relationship": "本人", "municipal_tax_exempt": false, "income_levy": 52000}]}}
        }
    })
}
