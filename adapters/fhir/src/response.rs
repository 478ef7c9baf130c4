//! QuestionnaireResponse → a sheet: the answers to a disease template's Questionnaire (see
//! [`crate::questionnaire`]) as an EHR form tool fills it in. Header questions are linked by
//! canonical field path (`patient.date_of_birth`), disease items by item code.

use kakehashi_sdk::{Finding, HeaderField, Item, ItemValue, Sheet};

use crate::json::{Node, Value};
use crate::questionnaire::{self, Form};
use crate::reader::Reader;

impl Reader<'_, '_, '_> {
    /// The form a QuestionnaireResponse answers, from its `questionnaire` canonical.
    pub fn answered(&self, index: usize) -> Option<Form> {
        let url = self.doc.resources[index].node.str("questionnaire")?;
        questionnaire::form_of(url).map(|(form, _)| form)
    }

    /// Writes the answers onto the sheet.
    pub fn response(&self, index: usize, sheet: &mut Sheet, findings: &mut Vec<Finding>) {
        let resource = &self.doc.resources[index];
        if let Some(authored) = resource.node.get("authored")
            && let Some(text) = authored.as_str()
        {
            let at = self.at(authored, format!("{}.authored", resource.path));
            let date = text.get(..10).unwrap_or(text);
            self.apply(sheet, findings, HeaderField::DateWritten, date, at);
        }
        self.answers(resource.node, &resource.path, sheet, findings);
    }

    fn answers(&self, node: &Node<'_>, path: &str, sheet: &mut Sheet, findings: &mut Vec<Finding>) {
        for (i, item) in node.array("item").iter().enumerate() {
            let item_path = format!("{path}.item[{i}]");
            self.answers(item, &item_path, sheet, findings);
            let (Some(link), Some(answer)) = (item.str("linkId"), item.array("answer").first())
            else {
                continue;
            };
            let Some((element, value)) = answer
                .members()
                .iter()
                .find(|(k, _)| k.starts_with("value"))
            else {
                continue;
            };
            let at = self.at(value, format!("{item_path}.answer[0].{element}"));
            // The value as written: a number's literal, a choice's code.
            let text = match &value.value {
                Value::Number(n) => (*n).to_owned(),
                Value::String(s) => s.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Object(_) => match value.str("code").or_else(|| value.str("display")) {
                    Some(code) => code.to_owned(),
                    None => continue,
                },
                _ => continue,
            };
            if let Some(field) = HeaderField::ALL.iter().find(|f| f.path() == link) {
                self.apply(sheet, findings, *field, &text, at);
            } else {
                let item = Item::read(ItemValue::Text(text), Some(at));
                sheet.items.insert(link.to_owned(), item);
            }
        }
    }
}
