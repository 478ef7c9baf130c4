//! The adapter registry: every adapter the gateway runs is registered once, with the kind of
//! record it produces and who sends documents in its format. The pipeline, the API handlers,
//! the access rules, the CLI and the API description all ask the registry, so adding an
//! adapter is one registration and nothing else in the gateway changes.

use std::sync::Arc;

use kakehashi_sdk::{Adapter, Input, RecordKind};

/// Who sends documents in an adapter's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Senders {
    /// Medical institutions (an EHR's export).
    Institutions,
    /// Municipalities (their own back office, Mynaportal downloads).
    Municipalities,
    /// Both (paper sheets scanned at the hospital or at the municipal counter).
    InstitutionsAndMunicipalities,
}

impl Senders {
    pub fn includes_institutions(self) -> bool {
        matches!(
            self,
            Senders::Institutions | Senders::InstitutionsAndMunicipalities
        )
    }

    pub fn includes_municipalities(self) -> bool {
        matches!(
            self,
            Senders::Municipalities | Senders::InstitutionsAndMunicipalities
        )
    }
}

/// One registered adapter.
#[derive(Clone)]
pub struct Registered {
    pub adapter: Arc<dyn Adapter>,
    pub kind: RecordKind,
    pub senders: Senders,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("name", &self.adapter.name())
            .field("kind", &self.kind)
            .field("senders", &self.senders)
            .finish()
    }
}

/// Why an adapter cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    #[error(
        "adapter `{name}` is registered for {expected} records but produces {produces} records"
    )]
    KindMismatch {
        name: &'static str,
        expected: RecordKind,
        produces: RecordKind,
    },
    #[error("an adapter named `{0}` is already registered")]
    Duplicate(&'static str),
    #[error("adapter `{0}`: a name is lower-case ASCII letters, digits and `-`")]
    BadName(&'static str),
}

/// Why no adapter was found for a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("no adapter named `{name}` (known for {kind} records: {known})")]
    Unknown {
        name: String,
        kind: RecordKind,
        known: String,
    },
    #[error("adapter `{name}` produces {produces} records, not {kind} records")]
    WrongKind {
        name: String,
        kind: RecordKind,
        produces: RecordKind,
    },
    #[error("no {kind} adapter reads this input (content type {content_type}); known: {known}")]
    Unsniffed {
        kind: RecordKind,
        content_type: String,
        known: String,
    },
}

/// The adapters, in registration order (the order sniffing tries them in).
#[derive(Debug, Clone, Default)]
pub struct AdapterRegistry {
    adapters: Vec<Registered>,
}

impl AdapterRegistry {
    /// Registers `adapter` as a producer of `kind` records sent by `senders`. Fails when the
    /// adapter produces another kind, or when its name is taken or malformed.
    pub fn register(
        &mut self,
        kind: RecordKind,
        senders: Senders,
        adapter: impl Adapter + 'static,
    ) -> Result<&mut Self, RegistrationError> {
        let name = adapter.name();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(RegistrationError::BadName(name));
        }
        if adapter.produces() != kind {
            return Err(RegistrationError::KindMismatch {
                name,
                expected: kind,
                produces: adapter.produces(),
            });
        }
        if self.get(name).is_some() {
            return Err(RegistrationError::Duplicate(name));
        }
        self.adapters.push(Registered {
            adapter: Arc::new(adapter),
            kind,
            senders,
        });
        Ok(self)
    }

    /// Every registered adapter, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Registered> {
        self.adapters.iter()
    }

    /// The adapter with this name, whatever it produces.
    pub fn get(&self, name: &str) -> Option<&Registered> {
        self.adapters.iter().find(|r| r.adapter.name() == name)
    }

    /// The adapters producing `kind` records.
    pub fn of_kind(&self, kind: RecordKind) -> impl Iterator<Item = &Registered> {
        self.adapters.iter().filter(move |r| r.kind == kind)
    }

    /// The names of the adapters producing `kind` records, for messages and the API
    /// description.
    pub fn names(&self, kind: RecordKind) -> Vec<&'static str> {
        self.of_kind(kind).map(|r| r.adapter.name()).collect()
    }

    fn known(&self, kind: RecordKind) -> String {
        self.names(kind).join(", ")
    }

    /// The `kind` adapter named `name`.
    pub fn named(&self, kind: RecordKind, name: &str) -> Result<&Registered, LookupError> {
        let found = self.get(name).ok_or_else(|| LookupError::Unknown {
            name: name.to_owned(),
            kind,
            known: self.known(kind),
        })?;
        if found.kind != kind {
            return Err(LookupError::WrongKind {
                name: name.to_owned(),
                kind,
                produces: found.kind,
            });
        }
        Ok(found)
    }

    /// The `kind` adapter asked for by name, or else the first whose `sniff` takes the input,
    /// or else the only one of its kind (a format without magic bytes, such as a municipal
    /// back office's fixed-length file, is read by its one adapter, which says what is wrong).
    pub fn choose(
        &self,
        kind: RecordKind,
        name: Option<&str>,
        input: &Input<'_>,
    ) -> Result<&Registered, LookupError> {
        if let Some(name) = name {
            return self.named(kind, name);
        }
        let mut of_kind = self.of_kind(kind);
        let only = match (of_kind.next(), of_kind.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        };
        self.of_kind(kind)
            .find(|r| r.adapter.sniff(input))
            .or(only)
            .ok_or_else(|| LookupError::Unsniffed {
                kind,
                content_type: input.content_type.unwrap_or("not given").to_owned(),
                known: self.known(kind),
            })
    }
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{AdapterError, Converted, MappingContext};

    use super::*;

    /// An adapter that claims `kind` and reads only `text/x-NAME`.
    struct Fake(&'static str, RecordKind);

    impl Adapter for Fake {
        fn name(&self) -> &'static str {
            self.0
        }
        fn produces(&self) -> RecordKind {
            self.1
        }
        fn sniff(&self, input: &Input<'_>) -> bool {
            input.media_type().as_deref() == Some(&format!("text/x-{}", self.0))
        }
        fn convert(
            &self,
            _: &Input<'_>,
            _: &MappingContext<'_>,
        ) -> Result<Vec<Converted>, AdapterError> {
            Ok(Vec::new())
        }
    }

    fn input(content_type: &str) -> Input<'_> {
        Input {
            bytes: b"x",
            content_type: Some(content_type),
            sha256: "",
        }
    }

    #[test]
    fn a_kind_mismatch_a_taken_name_or_a_bad_name_fails_at_registration() {
        let mut registry = AdapterRegistry::default();
        registry
            .register(
                RecordKind::Sheet,
                Senders::Institutions,
                Fake("a", RecordKind::Sheet),
            )
            .unwrap();
        let mismatch = registry
            .register(
                RecordKind::Sheet,
                Senders::Municipalities,
                Fake("b", RecordKind::Application),
            )
            .unwrap_err();
        assert_eq!(
            mismatch.to_string(),
            "adapter `b` is registered for sheet records but produces application records"
        );
        assert_eq!(
            registry
                .register(
                    RecordKind::Sheet,
                    Senders::Institutions,
                    Fake("a", RecordKind::Sheet)
                )
                .unwrap_err(),
            RegistrationError::Duplicate("a")
        );
        assert_eq!(
            registry
                .register(
                    RecordKind::Sheet,
                    Senders::Institutions,
                    Fake("A b", RecordKind::Sheet)
                )
                .unwrap_err(),
            RegistrationError::BadName("A b")
        );
        assert_eq!(registry.iter().count(), 1, "nothing half-registered");
    }

    #[test]
    fn lookups_answer_by_kind_name_and_sniffing_in_registration_order() {
        let mut registry = AdapterRegistry::default();
        registry
            .register(
                RecordKind::Sheet,
                Senders::Institutions,
                Fake("a", RecordKind::Sheet),
            )
            .unwrap()
            .register(
                RecordKind::Application,
                Senders::Municipalities,
                Fake("b", RecordKind::Application),
            )
            .unwrap()
            .register(
                RecordKind::Sheet,
                Senders::InstitutionsAndMunicipalities,
                Fake("c", RecordKind::Sheet),
            )
            .unwrap();
        assert_eq!(registry.names(RecordKind::Sheet), ["a", "c"]);
        let name = |r: Result<&Registered, LookupError>| r.map(|r| r.adapter.name());
        assert_eq!(
            name(registry.choose(RecordKind::Sheet, None, &input("text/x-c"))),
            Ok("c")
        );
        assert_eq!(
            name(registry.choose(RecordKind::Sheet, Some("b"), &input("text/x-c"))),
            Err(LookupError::WrongKind {
                name: "b".into(),
                kind: RecordKind::Sheet,
                produces: RecordKind::Application
            })
        );
        let unknown = registry
            .choose(RecordKind::Sheet, Some("z"), &input("text/x-a"))
            .unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "no adapter named `z` (known for sheet records: a, c)"
        );
        assert_eq!(
            name(registry.choose(RecordKind::Application, None, &input("text/x-a"))),
            Ok("b"),
            "the only adapter of its kind needs no sniffing"
        );
        let unsniffed = registry
            .choose(RecordKind::Sheet, None, &input("text/x-b"))
            .unwrap_err();
        assert_eq!(
            unsniffed.to_string(),
            "no sheet adapter reads this input (content type text/x-b); known: a, c"
        );
    }
}
