//! `kakehashi intake send|status`: the reference client of the intake API (申請受付API) — what an
//! app vendor's back end does, runnable against a development gateway. It presents the app's
//! terminal certificate and its machine credential, read from `KAKEHASHI_APP_CREDENTIAL` (never
//! an argument, which `ps` would show to every user of the machine). The idempotency key is the
//! file's SHA-256 unless one is given, so sending the same file again is a replay answered with
//! the same receipt. A sample application is `conformance/intake/application.json`; its schema
//! `conformance/schema/intake-application.schema.json`. Files given with `--attach
//! ROLE:PATH` are added to the application's attachments (base64, the media type from their
//! first bytes), and the key is then the SHA-256 of the body sent, attachments and all.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use kakehashi_sdk::{Attachment, AttachmentRole};

use super::admin::block_on;

/// The environment variable holding the app's machine credential (`kka_…`).
const CREDENTIAL_VARIABLE: &str = "KAKEHASHI_APP_CREDENTIAL";

#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// Send an application (JSON) as an app; prints the receipt. Exits 1 when it is refused.
    Send {
        #[command(flatten)]
        connection: Connection,
        /// The app's own key for this application; the body's SHA-256 when absent.
        #[arg(long)]
        idempotency_key: Option<String>,
        /// A file to attach, `paper_sheet:PATH` (the paper 臨個票 / 意見書, PDF) or
        /// `other:PATH`; repeatable.
        #[arg(long = "attach", value_name = "ROLE:PATH", value_parser = parse_attachment)]
        attachments: Vec<(AttachmentRole, PathBuf)>,
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
            attachments,
            file,
        } => {
            let body =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let body = with_attachments(body, attachments)?;
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

/// `--attach ROLE:PATH`
fn parse_attachment(text: &str) -> Result<(AttachmentRole, PathBuf), String> {
    let (role, path) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not ROLE:PATH (paper_sheet:rinkohyo.pdf)"))?;
    let role = match role {
        "paper_sheet" => AttachmentRole::PaperSheet,
        "other" => AttachmentRole::Other,
        _ => {
            return Err(format!(
                "the role `{role}` is neither paper_sheet nor other"
            ));
        }
    };
    Ok((role, PathBuf::from(path)))
}

/// The application `body` with `attachments` added to its own: each file base64-encoded with
/// its name and the media type its first bytes say. Without attachments, the body as it is.
fn with_attachments(
    body: Vec<u8>,
    attachments: &[(AttachmentRole, PathBuf)],
) -> anyhow::Result<Vec<u8>> {
    if attachments.is_empty() {
        return Ok(body);
    }
    let mut application: serde_json::Value =
        serde_json::from_slice(&body).context("the application is not JSON")?;
    let Some(listed) = application
        .as_object_mut()
        .map(|a| {
            a.entry("attachments")
                .or_insert_with(|| serde_json::json!([]))
        })
        .and_then(serde_json::Value::as_array_mut)
    else {
        bail!("the application is not a JSON object with an attachments array");
    };
    for (role, path) in attachments {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        listed.push(serde_json::json!({
            "file_name": file_name,
            "media_type": Attachment::media_type_of(&file_name, &bytes),
            "role": role,
            "content": STANDARD.encode(&bytes),
        }));
    }
    Ok(serde_json::to_vec(&application)?)
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
