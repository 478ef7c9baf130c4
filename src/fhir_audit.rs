//! The audit trail as FHIR R4 `AuditEvent`s following IHE Basic Audit Log Patterns (BALP), so
//! that a hospital's or a municipality's audit repository can take Kakehashi's records as they
//! take their other systems'. The patient is the audit trail's pseudonymous reference, never
//! an identifier that names them.

use serde_json::{Value, json};

use crate::store::AuditRecord;

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const BALP: &str = "https://profiles.ihe.net/ITI/BALP/StructureDefinition";

/// BALP profile, event type, REST sub-type and CRUDE action of an action name.
fn classify(action: &str) -> (&'static str, Value, Option<&'static str>, &'static str) {
    let rest = json!({ "system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest", "display": "RESTful Operation" });
    let login = json!({ "system": DCM, "code": "110114", "display": "User Authentication" });
    let security = json!({ "system": DCM, "code": "110113", "display": "Security Alert" });
    match action {
        a if a.starts_with("auth.") || a == "terminal.connect" => {
            ("IHE.BasicAudit.Login", login, None, "E")
        }
        a if a.starts_with("security.") => ("IHE.BasicAudit.Read", security, None, "E"),
        "sheet.read" | "submission.read" => ("IHE.BasicAudit.PatientRead", rest, Some("read"), "R"),
        "sheet.list" | "audit.query" => ("IHE.BasicAudit.Query", rest, Some("search-type"), "E"),
        "sheet.update" | "sheet.confirm" => {
            ("IHE.BasicAudit.PatientUpdate", rest, Some("update"), "U")
        }
        _ => ("IHE.BasicAudit.PatientCreate", rest, Some("create"), "C"),
    }
}

/// FHIR outcome code: 0 success, 4 minor failure (refused, not found), 8 serious failure.
fn outcome_code(outcome: &str) -> &'static str {
    match outcome {
        "ok" | "duplicate" => "0",
        "failed" | "alert" => "8",
        _ => "4",
    }
}

/// One record as an `AuditEvent`.
pub fn audit_event(record: &AuditRecord) -> Value {
    let e = &record.event;
    let (profile, event_type, subtype, action) = classify(&e.action);
    let mut agents = vec![json!({
        "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient" }] },
        "who": { "identifier": { "system": "urn:kakehashi:user", "value": e.actor } },
        "requestor": true,
    })];
    if let Some(terminal) = &e.terminal {
        let mut agent = json!({
            "type": { "coding": [{ "system": DCM, "code": "110153", "display": "Source Role ID" }] },
            "who": { "identifier": { "system": "urn:kakehashi:terminal", "value": terminal } },
            "requestor": false,
        });
        if let Some(source) = &e.source {
            agent["network"] = json!({ "address": source, "type": "2" });
        }
        agents.push(agent);
    }
    if let Some(org) = &e.organisation {
        agents[0]["who"]["display"] = json!(org);
    }
    let mut entities = Vec::new();
    if let Some(patient) = &e.patient_ref {
        entities.push(json!({
            "what": { "identifier": { "system": "urn:kakehashi:patient-ref", "value": patient } },
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1", "display": "Person" },
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient" },
        }));
    }
    if let (Some(kind), Some(id)) = (&e.object_type, &e.object_id) {
        entities.push(json!({
            "what": { "identifier": { "system": format!("urn:kakehashi:{kind}"), "value": id } },
            "type": { "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2", "display": "System Object" },
            "role": { "system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "4", "display": "Domain Resource" },
            "description": e.action,
        }));
    }
    let mut event = json!({
        "resourceType": "AuditEvent",
        "id": record.seq.to_string(),
        "meta": { "profile": [format!("{BALP}/{profile}")] },
        "type": event_type,
        "action": action,
        "recorded": record.at,
        "outcome": outcome_code(&e.outcome),
        "agent": agents,
        "source": {
            "observer": { "display": "Kakehashi" },
            "type": [{ "system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4", "display": "Application Server" }],
        },
        // The chain link, so an exported record can be checked against the store.
        "extension": [{ "url": "urn:kakehashi:audit-hash", "valueString": record.hash }],
    });
    if let Some(subtype) = subtype {
        event["subtype"] =
            json!([{ "system": "http://hl7.org/fhir/restful-interaction", "code": subtype }]);
    }
    let description = match &e.detail {
        Some(detail) => format!("{}: {} ({detail})", e.action, e.outcome),
        None => format!("{}: {}", e.action, e.outcome),
    };
    event["outcomeDesc"] = json!(description);
    if !entities.is_empty() {
        event["entity"] = Value::Array(entities);
    }
    event
}

/// Records as a FHIR `Bundle` of type `collection`.
pub fn bundle(records: &[AuditRecord]) -> Value {
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "entry": records.iter().map(|r| json!({ "resource": audit_event(r) })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditEvent;

    #[test]
    fn a_patient_read_follows_balp() {
        let record = AuditRecord {
            seq: 7,
            at: "2026-11-21T01:02:03.000Z".into(),
            event: AuditEvent {
                actor: "dr-sato".into(),
                terminal: Some("hospital".into()),
                organisation: Some("hospital:1310000017".into()),
                source: Some("127.0.0.1".into()),
                action: "sheet.read".into(),
                outcome: "ok".into(),
                ..AuditEvent::default()
            }
            .on("sheet", "abc")
            .with_patient(Some("p1".into())),
            prev_hash: "0".repeat(64),
            hash: "h".into(),
            key_id: Some("a1".into()),
        };
        let e = audit_event(&record);
        assert_eq!(
            e["meta"]["profile"][0],
            format!("{BALP}/IHE.BasicAudit.PatientRead")
        );
        assert_eq!(e["action"], "R");
        assert_eq!(e["outcome"], "0");
        assert_eq!(e["subtype"][0]["code"], "read");
        assert_eq!(e["agent"][0]["who"]["identifier"]["value"], "dr-sato");
        assert_eq!(e["agent"][1]["network"]["address"], "127.0.0.1");
        assert_eq!(e["entity"][0]["role"]["code"], "1");
        assert_eq!(e["entity"][0]["what"]["identifier"]["value"], "p1");
        assert_eq!(e["entity"][1]["what"]["identifier"]["value"], "abc");
        let denied = AuditRecord {
            event: record.event.clone().outcome("denied"),
            ..record.clone()
        };
        assert_eq!(audit_event(&denied)["outcome"], "4");
        assert_eq!(bundle(&[record])["entry"][0]["resource"]["id"], "7");
    }
}
