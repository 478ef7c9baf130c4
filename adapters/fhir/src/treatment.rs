//! MedicationRequest and Procedure → 治療歴 (treatment history): what was given or done,
//! its code, when, and its status, in the source's own words.

use kakehashi_sdk::{Treatment, TreatmentKind};

use crate::reader::{Reader, codings, concept_text};

impl Reader<'_, '_, '_> {
    /// A MedicationRequest or Procedure as a treatment; `None` for other resources or when it
    /// names nothing.
    pub fn treatment(&self, index: usize) -> Option<Treatment> {
        let resource = &self.doc.resources[index];
        let (node, path) = (resource.node, &resource.path);
        let (kind, concept, date) = match resource.kind {
            "MedicationRequest" => {
                let concept = node.get("medicationCodeableConcept").or_else(|| {
                    self.doc
                        .follow(index, node.get("medicationReference"))
                        .and_then(|m| self.doc.resources[m].node.get("code"))
                });
                (TreatmentKind::Medication, concept, node.str("authoredOn"))
            }
            "Procedure" => (
                TreatmentKind::Procedure,
                node.get("code"),
                node.str("performedDateTime")
                    .or_else(|| node.get("performedPeriod").and_then(|p| p.str("start"))),
            ),
            _ => return None,
        };
        let name = concept_text(concept)?.to_owned();
        let code = codings(concept)
            .first()
            .map(|c| format!("{}|{}", c.system, c.code));
        let detail = node
            .array("dosageInstruction")
            .iter()
            .filter_map(|d| d.str("text"))
            .collect::<Vec<_>>()
            .join(" / ");
        Some(Treatment {
            kind,
            name,
            code,
            date: date.map(str::to_owned),
            status: node.str("status").map(str::to_owned),
            detail: (!detail.is_empty()).then_some(detail),
            source: Some(self.at(node, path.clone())),
        })
    }
}
