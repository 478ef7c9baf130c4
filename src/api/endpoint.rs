//! One API endpoint as data: its method, path, gate and handler, and what the OpenAPI document
//! says of it — summary, query type, body, answers and error statuses. The router is built
//! from these and the document generated from the same values, so a route cannot be served
//! undocumented or documented unserved, and its parameters and bodies are the Rust types the
//! handler reads and writes.

use axum::routing::MethodRouter;
use kakehashi_sdk::RecordKind;
use schemars::generate::SchemaGenerator;
use schemars::{JsonSchema, Schema};

use super::AppState;

/// A schema of a Rust type, generated when the document is.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T`.
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// A binary body or answer (a CSV, a PDF, an archive); never empty.
pub fn binary(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "format": "binary", "minLength": 1 })
}

/// Any JSON object (a FHIR resource, whose shape is FHIR's).
pub fn object(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "object" })
}

/// Which gates a request passes before the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// A permitted terminal's client certificate only.
    Terminal,
    /// And a token, even one only good for changing the initial password.
    AnySession,
    /// And a full session.
    FullSession,
    /// And an app's machine credential (the intake API): no person.
    App,
}

/// The HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Delete => "delete",
        }
    }
}

/// A body or answer in one media type.
#[derive(Clone, Copy)]
pub struct Content {
    pub media_type: &'static str,
    pub schema: SchemaFn,
}

/// A successful answer.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub description: &'static str,
    pub content: Vec<Content>,
}

/// One endpoint.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub gate: Gate,
    pub handler: MethodRouter<AppState>,
    pub summary: &'static str,
    /// Path parameters: name and description, in the path's order.
    pub path_params: Vec<(&'static str, &'static str)>,
    /// The type the handler reads the query string into.
    pub query: Option<SchemaFn>,
    /// The kind of record the body is read into, when an adapter reads it: the document then
    /// lists the registered adapters and their mappings as the values of `adapter` and
    /// `mapping` (or `layout`).
    pub reads: Option<RecordKind>,
    pub body: Vec<Content>,
    pub answers: Vec<Answer>,
    /// Error statuses particular to the endpoint, each with what causes it; the answer is
    /// always the JSON error. Statuses every endpoint of its kind can give are added by the
    /// document.
    pub errors: Vec<(u16, &'static str)>,
}

impl Endpoint {
    pub fn new(
        method: Method,
        path: &'static str,
        gate: Gate,
        summary: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Self {
        Self {
            method,
            path,
            gate,
            handler,
            summary,
            path_params: Vec::new(),
            query: None,
            reads: None,
            body: Vec::new(),
            answers: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Describes a path parameter.
    pub fn param(mut self, name: &'static str, description: &'static str) -> Self {
        self.path_params.push((name, description));
        self
    }

    /// The query string is read into `T`.
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema::<T>);
        self
    }

    /// The body, or the records the query names, are read by adapters of `kind`.
    pub fn reads(mut self, kind: RecordKind) -> Self {
        self.reads = Some(kind);
        self
    }

    /// A JSON body of type `T`.
    pub fn json_body<T: JsonSchema>(mut self) -> Self {
        self.body.push(Content {
            media_type: "application/json",
            schema: schema::<T>,
        });
        self
    }

    /// A binary body in these media types.
    pub fn binary_body(mut self, media_types: &[&'static str]) -> Self {
        self.body
            .extend(media_types.iter().map(|media_type| Content {
                media_type,
                schema: binary,
            }));
        self
    }

    /// A JSON answer of type `T`.
    pub fn json<T: JsonSchema>(self, status: u16, description: &'static str) -> Self {
        self.answer(status, description, "application/json", schema::<T>)
    }

    /// An answer in a media type; several calls with one status give alternatives.
    pub fn answer(
        mut self,
        status: u16,
        description: &'static str,
        media_type: &'static str,
        schema: SchemaFn,
    ) -> Self {
        let content = Content { media_type, schema };
        match self.answers.iter_mut().find(|a| a.status == status) {
            Some(answer) => answer.content.push(content),
            None => self.answers.push(Answer {
                status,
                description,
                content: vec![content],
            }),
        }
        self
    }

    /// An answer without a body.
    pub fn empty(mut self, status: u16, description: &'static str) -> Self {
        self.answers.push(Answer {
            status,
            description,
            content: Vec::new(),
        });
        self
    }

    /// An error status particular to this endpoint.
    pub fn error(mut self, status: u16, description: &'static str) -> Self {
        self.errors.push((status, description));
        self
    }
}
