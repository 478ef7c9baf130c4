//! Sealing personal data before it reaches the database. Each sealed value is bound to its
//! place (`table/row-id`) as associated data, so a sealed sheet copied into another row does
//! not open; each row records the id of the key that sealed it, so rotation finds what to
//! re-seal with one query. A NULL key id marks a row a version-1 store wrote in clear.

use std::sync::Arc;

use kakehashi_sdk::{Patient, Sheet};
use kakehashi_vault::KeyRing;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// Seals and opens values with the data keys.
#[derive(Debug, Clone)]
pub struct Sealer {
    keys: Arc<KeyRing>,
}

fn place(table: &str, id: &str) -> String {
    format!("{table}/{id}")
}

impl Sealer {
    pub fn new(keys: Arc<KeyRing>) -> Self {
        Self { keys }
    }

    /// The key ring, whose audit keys link the audit chain.
    pub fn key_ring(&self) -> &KeyRing {
        &self.keys
    }

    /// The id of the key new values are sealed with.
    pub fn primary_key_id(&self) -> String {
        self.keys.primary_id().to_owned()
    }

    /// Seals bytes stored at `table/id`.
    pub fn seal(&self, table: &str, id: &str, plaintext: &[u8]) -> Vec<u8> {
        self.keys.seal(plaintext, place(table, id).as_bytes())
    }

    /// Opens bytes stored at `table/id`; `key_id` None means stored in clear by version 1.
    pub fn open(
        &self,
        table: &str,
        id: &str,
        stored: Vec<u8>,
        key_id: Option<&str>,
    ) -> Result<Vec<u8>, StoreError> {
        if key_id.is_none() {
            return Ok(stored);
        }
        let place = place(table, id);
        self.keys
            .open(&stored, place.as_bytes())
            .map_err(|source| StoreError::Sealed { place, source })
    }

    pub fn seal_json<T: Serialize>(
        &self,
        table: &str,
        id: &str,
        value: &T,
    ) -> Result<Vec<u8>, StoreError> {
        Ok(self.seal(table, id, &serde_json::to_vec(value)?))
    }

    pub fn open_json<T: DeserializeOwned>(
        &self,
        table: &str,
        id: &str,
        stored: Vec<u8>,
        key_id: Option<&str>,
    ) -> Result<T, StoreError> {
        Ok(serde_json::from_slice(
            &self.open(table, id, stored, key_id)?,
        )?)
    }

    /// A pseudonymous patient reference for the audit trail: a keyed hash of who the patient
    /// is (kana name, birth date, sex), stable across sheets and key rotations, meaningless
    /// without the key. None when the sheet does not say enough to tell patients apart.
    pub fn patient_ref(&self, sheet: &Sheet) -> Option<String> {
        self.patient_ref_of(&sheet.patient)
    }

    /// The same reference from the patient's identity alone (an application names the
    /// patient as a sheet does, so both get the same reference).
    pub fn patient_ref_of(&self, p: &Patient) -> Option<String> {
        let kana = p.name_kana.as_deref().or(p.name.as_deref())?;
        let birth = p.date_of_birth?;
        let sex = match p.sex {
            Some(kakehashi_sdk::Sex::Male) => "M",
            Some(kakehashi_sdk::Sex::Female) => "F",
            None => "-",
        };
        let key: String = kana.split_whitespace().collect();
        Some(
            self.keys
                .pseudonym(format!("{key}\n{birth}\n{sex}").as_bytes()),
        )
    }
}
