//! The development set-up a first `kakehashi serve` (or `kakehashi certs init`) makes so the
//! gateway runs on a fresh machine with nothing configured: a development CA with a server
//! certificate for `localhost`/`127.0.0.1` and terminal certificates, the payload keys that
//! seal deliveries for the reference receiver (`kakehashi receiver`), and the directory
//! entries that make those terminals permitted — a hospital, a municipality and the operator.
//! Nothing here is for production: `certs/README.md` says how to bring CA-issued certificates
//! and register real terminals.

use kakehashi_tls::ClientSpec;

use crate::config::Config;
use crate::server::ServeError;
use crate::store::{Directory, Organisation, OrganisationKind};

/// A development terminal: its certificate name and its organisation.
pub struct DevTerminal {
    pub name: &'static str,
    pub kind: OrganisationKind,
    pub code: &'static str,
    pub organisation: &'static str,
}

/// The development terminals. `gateway` is the gateway's own client certificate for the
/// national DB, not a terminal that connects to it.
pub const TERMINALS: &[DevTerminal] = &[
    DevTerminal {
        name: "hospital",
        kind: OrganisationKind::Hospital,
        code: "1310000017",
        organisation: "東京中央病院（開発用）",
    },
    DevTerminal {
        name: "municipality",
        kind: OrganisationKind::Municipality,
        code: "130001",
        organisation: "東京都（開発用）",
    },
    DevTerminal {
        name: "operator",
        kind: OrganisationKind::Operator,
        code: "kakehashi",
        organisation: "架け橋 運用者（開発用）",
    },
];

/// The gateway's own client certificate (for pushing to the national DB).
pub const GATEWAY_CLIENT: &str = "gateway";

/// Makes the development PKI in `<data_dir>/certs/` if it is not there, with a PKCS#12 bundle
/// per development terminal for browsers (its password in `<name>.p12.password`, mode 0600),
/// and registers the development organisations and terminals. Idempotent. Returns the bundles
/// made this time, so that `kakehashi certs init` can show their passwords; `serve` only says
/// where they are (its output may end up in a log).
pub async fn prepare(
    config: &Config,
    directory: &dyn Directory,
) -> Result<Vec<kakehashi_tls::TerminalBundle>, ServeError> {
    let dir = config.certs_dir();
    let mut clients: Vec<ClientSpec> = TERMINALS
        .iter()
        .map(|t| ClientSpec::new(t.name, t.organisation))
        .collect();
    clients.push(ClientSpec::new(
        GATEWAY_CLIENT,
        "架け橋ゲートウェイ（開発用）",
    ));
    let pki = kakehashi_tls::init_dev_pki(&dir, &clients)?;
    if pki.created {
        println!(
            "made development certificates in {} (CA ca.pem, server server.pem/.key for localhost, terminals {}.pem/.key); never use them in production",
            dir.display(),
            clients
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(".pem/.key, ")
        );
    }
    let mut bundles = Vec::new();
    for terminal in TERMINALS {
        bundles.extend(kakehashi_tls::write_development_bundle(
            &dir,
            terminal.name,
        )?);
    }
    if !bundles.is_empty() {
        println!(
            "made browser bundles (PKCS#12) in {} for the development terminals: {}; each one's password is in NAME.p12.password beside it",
            dir.display(),
            bundles
                .iter()
                .filter_map(|b| b.path.file_name())
                .map(|n| n.to_string_lossy())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let keys = kakehashi_envelope::generate_dev_keys(&dir)?;
    if !keys.files.is_empty() {
        println!(
            "made development payload keys in {} (payload-signing.key/.pub for the gateway, payload-encryption.key/.pub for the reference receiver); never use them in production",
            dir.display()
        );
    }
    for terminal in TERMINALS {
        let organisation = Organisation::new(terminal.kind, terminal.code, terminal.organisation);
        directory.upsert_organisation(&organisation).await?;
        if directory.terminal(terminal.name).await?.is_none() {
            directory
                .upsert_terminal(terminal.name, &organisation.id)
                .await?;
        }
    }
    Ok(bundles)
}
