//! `kakehashi intake send|status`: the reference client of the intake API (申請受付API) — what an
//! app vendor's back end does, runnable against a development gateway. It presents the app's
//! terminal certificate and its machine credential, read from `KAKEHASHI_APP_CREDENTIAL` (never
//! an argument, which `ps` would show to every user of the machine). The idempotency key is the
//! file's SHA-256 unless one is given, so sending the same file again is a replay answered with
//! the same receipt. A sample application is `conformance/intake/application.json`; its schema
//! `conformance/schema/intake-application.schema.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::admin::block_on;

/// The environment variable holding the app's machine credential (`kka_…`).
const CREDENTIAL_VARIABLE: &str = "KAKEHASHI_APP_CREDENTIAL";

#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// Send an application (JSON) as an app; prints the receipt. Exits 1 when it is refused.
    Send {
        #[command(flatten)]
        connection: Connection,
        /// The app's own key for this application; the file's SHA-256 when absent.
        #[arg(long)]
        idempotency_key: Option<String>,
        /// The application (JSON, conformance/schema/intake-application.schema.json).
        file: PathBuf,
    },
    /// An application's status as its app sees it (処理中, 要再申請, 完了, 却下, 取消受付).
    Status {
        #[command(flatten)]
        connection: Connection,
        /// The application's id, from the receipt.
        id: String,
    },
}

/// Where the gateway is and how the app proves who it is.
#[derive(Debug, Args)]
pub struct Connection {
    /// The gateway's address.
    #[arg(long, default_value = "https://127.0.0.1:8443")]
    gateway: String,
    /// The CA that signed the gateway's certificate.
    #[arg(long, default_value = "kakehashi-data/certs/ca.pem")]
    ca: PathBuf,
    /// The app's terminal certificate (PEM).
    #[arg(long)]
    cert: PathBuf,
    /// Its private key (PEM).
    #[arg(long)]
    key: PathBuf,
}

impl Connection {
    fn client(&self) -> anyhow::Result<reqwest::Client> {
        let tls = kakehashi_tls::client_config(&self.ca, Some((&self.cert, &self.key)))
            .context("the app's terminal certificate")?;
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .no_proxy()
            .user_agent(concat!("kakehashi-intake/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("the HTTPS client")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway.trim_end_matches('/'))
    }
}

pub fn run(command: IntakeCommand) -> anyhow::Result<ExitCode> {
    let Ok(credential) = std::env::var(CREDENTIAL_VARIABLE) else {
        bail!(
            "set {CREDENTIAL_VARIABLE} to the app's credential (`kakehashi apps credential --app app:CODE` prints one)"
        );
    };
    let request = match &command {
        IntakeCommand::Send {
            connection,
            idempotency_key,
            file,
        } => {
            let body =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let key = idempotency_key
                .clone()
                .unwrap_or_else(|| crate::pipeline::content_hash(&body));
            connection
                .client()?
                .post(connection.url("/v1/intake/applications"))
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .body(body)
        }
        IntakeCommand::Status { connection, id } => connection
            .client()?
            .get(connection.url(&format!("/v1/intake/applications/{id}"))),
    };
    block_on(answer(request.bearer_auth(credential)))?
}

/// Sends `request`: the answer's JSON on stdout when it is a success; on stderr, with its code
/// and messages, when it is a refusal (exit 1).
async fn answer(request: reqwest::RequestBuilder) -> anyhow::Result<ExitCode> {
    let response = request.send().await.context("the gateway did not answer")?;
    let status = response.status();
    let body = response.text().await.context("reading the answer")?;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        println!("{}", serde_json::to_string_pretty(&json).unwrap_or(body));
        return Ok(ExitCode::SUCCESS);
    }
    match (json["code"].as_str(), json["message"].as_str()) {
        (Some(code), Some(message)) => {
            let message_ja = json["message_ja"].as_str().unwrap_or_default();
            eprintln!("refused ({status}): {code}: {message}\n{message_ja}");
        }
        _ => eprintln!("refused ({status}): {body}"),
    }
    Ok(ExitCode::FAILURE)
}
