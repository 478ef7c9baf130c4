//! The web console from a test's side without a browser: HTTP over the terminal's mutual TLS,
//! redirects not followed, cookies kept, forms posted as a browser posts them.

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Certificate, Client, Identity, StatusCode, redirect};

use super::{Gateway, PASSWORD};

/// The console's session cookie.
pub const SESSION: &str = "__Host-kakehashi-console";

/// A console user's client: a terminal's certificate and the cookies the console set.
pub struct ConsoleClient {
    client: Client,
    base: String,
    pub cookies: BTreeMap<String, String>,
}

/// An answer: status, headers, body.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the page's first hidden CSRF field.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("a form with a token: {}", self.body));
        let rest = &self.body[at + marker.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl ConsoleClient {
    /// A client presenting terminal `terminal`'s certificate to `gw`.
    pub fn new(gw: &Gateway, terminal: &str) -> Self {
        let certs = gw.certs();
        let ca = std::fs::read(certs.join("ca.pem")).unwrap();
        let mut pem = std::fs::read(certs.join(format!("{terminal}.pem"))).unwrap();
        pem.extend(std::fs::read(certs.join(format!("{terminal}.key"))).unwrap());
        let client = Client::builder()
            .tls_certs_only([Certificate::from_pem(&ca).unwrap()])
            .identity(Identity::from_pem(&pem).unwrap())
            .redirect(redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        Self {
            client,
            base: gw.base.clone(),
            cookies: BTreeMap::new(),
        }
    }

    fn with_cookies(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if self.cookies.is_empty() {
            return request;
        }
        let header = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        request.header("cookie", header)
    }

    async fn read(request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.unwrap();
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// Sends a request with the cookies and keeps the cookies the answer sets.
    async fn answer(&mut self, request: reqwest::RequestBuilder) -> Page {
        let page = Self::read(self.with_cookies(request)).await;
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    /// A GET that leaves the cookies as they are (for concurrent use, as in a benchmark).
    pub async fn fetch(&self, path: &str) -> Page {
        Self::read(self.with_cookies(self.client.get(format!("{}{path}", self.base)))).await
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.answer(request).await
    }

    /// POSTs a URL-encoded form.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.answer(request).await
    }

    /// POSTs a multipart form: the token first, then `fields`, then the CSV file.
    pub async fn upload(
        &mut self,
        path: &str,
        token: &str,
        fields: &[(&str, &str)],
        file: &[u8],
    ) -> Page {
        let boundary = "----kakehashi-console-test";
        let mut body = Vec::new();
        for (name, value) in std::iter::once(&("csrf", token)).chain(fields) {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sheets.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend(file);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.answer(request).await
    }

    /// Logs in through the login screen; the answer to the login.
    pub async fn login(&mut self, user: &str, password: &str) -> Page {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let token = form.csrf();
        self.post(
            "/console/login",
            &[("csrf", &token), ("user_id", user), ("password", password)],
        )
        .await
    }

    /// Creates a user and logs them in, changing the initial password on the way (nothing
    /// else opens before); lands on the home page.
    pub async fn first_login(&mut self, gw: &Gateway, user: &str, organisation: &str, role: &str) {
        let issued = gw.add_user(user, organisation, role);
        let initial = issued["initial_password"].as_str().unwrap();
        let answer = self.login(user, initial).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.location(), "/console/password");
        let home = self.get("/console/").await;
        assert_eq!(home.location(), "/console/password");
        let form = self.get("/console/password").await;
        let token = form.csrf();
        let changed = self
            .post(
                "/console/password",
                &[
                    ("csrf", &token),
                    ("current_password", initial),
                    ("new_password", PASSWORD),
                    ("new_password_again", PASSWORD),
                ],
            )
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
        assert_eq!(changed.location(), "/console/login?ended=changed");
        let again = self.login(user, PASSWORD).await;
        assert_eq!(again.location(), "/console/", "{}", again.body);
    }
}
