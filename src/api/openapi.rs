//! The OpenAPI 3.1 document served at `/v1/openapi.json`, generated from the route table
//! ([`super::routes`]): each route's parameters and bodies are the schemas of the types its
//! handler reads (deserialize view, inlined), its answers the schemas of the types it writes
//! (serialize view, in `components`), and every error the JSON `{code, message, message_ja,
//! location}`. The statuses any route of its kind can answer — the gates' 401 and 403, rate
//! limits, rejected queries and bodies, the store's 503 — are added here, so schemathesis can
//! hold the gateway to the document.

use kakehashi_core::registry::AdapterRegistry;
use kakehashi_sdk::{MappingFiles, RecordKind};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

use super::ApiError;
use super::endpoint::{Content, Endpoint, Gate};
use super::routes::endpoints;

/// Statuses every route of a kind can answer, with why.
fn common_errors(endpoint: &Endpoint) -> Vec<(u16, &'static str)> {
    let mut out = vec![
        (
            403,
            "The terminal is not permitted (terminal.*), or the caller's role may not do this (access.denied)",
        ),
        (
            429,
            "Too many requests from the terminal or address, or the address is blocked after failures; see Retry-After",
        ),
        (500, "Unexpected; logged (internal)"),
        (
            503,
            "The store is unavailable; nothing was acknowledged (store.unavailable)",
        ),
    ];
    if endpoint.gate != Gate::Terminal {
        out.push(if endpoint.gate == Gate::App {
            (
                401,
                "No app credential, or an unknown or revoked one (intake.credential_*)",
            )
        } else {
            (
                401,
                "No token, or an expired, revoked or malformed one (auth.*)",
            )
        });
    }
    if endpoint.query.is_some() || !endpoint.path_params.is_empty() {
        out.push((
            400,
            "A query or path parameter that is unknown or malformed (request.invalid_query, request.invalid_path)",
        ));
    }
    if endpoint
        .body
        .iter()
        .any(|b| b.media_type == "application/json")
    {
        out.extend([
            (400, "The body is not JSON (request.json_syntax)"),
            (
                415,
                "The body is not declared application/json (request.json_content_type)",
            ),
            (
                422,
                "The JSON does not have the documented shape (request.json_data)",
            ),
        ]);
    }
    if !endpoint.body.is_empty() {
        out.push((413, "The body is over the configured limit"));
    }
    out
}

/// `{"type": ["string", "null"]}` or `anyOf [X, null]` → the non-null part: a query parameter
/// is absent, never null.
fn without_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            schema["type"] = only;
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            let mut rest: Vec<Value> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .cloned()
                .collect();
            if rest.len() == 1 {
                let mut single = rest.remove(0);
                if let (Some(single), Some(outer)) = (single.as_object_mut(), schema.as_object()) {
                    for (k, v) in outer {
                        if k != key {
                            single.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                }
                return single;
            }
        }
    }
    schema
}

/// Adds the bounds of the integer formats schemars writes (`uint32`) to every schema of the
/// document: validators and generators do not read them from the format, so a `limit` of
/// 2⁶³ would be schema-valid and refused.
fn integer_bounds(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let bounds = match object.get("format").and_then(Value::as_str) {
                Some("uint8") => Some((json!(0), json!(u8::MAX))),
                Some("int8") => Some((json!(i8::MIN), json!(i8::MAX))),
                Some("uint16") => Some((json!(0), json!(u16::MAX))),
                Some("int16") => Some((json!(i16::MIN), json!(i16::MAX))),
                Some("uint32") => Some((json!(0), json!(u32::MAX))),
                Some("int32") => Some((json!(i32::MIN), json!(i32::MAX))),
                Some("uint64" | "uint") => Some((json!(0), json!(u64::MAX))),
                Some("int64" | "int") => Some((json!(i64::MIN), json!(i64::MAX))),
                _ => None,
            };
            if let Some((minimum, maximum)) = bounds {
                object.entry("minimum").or_insert(minimum);
                object.entry("maximum").or_insert(maximum);
            }
            object.values_mut().for_each(integer_bounds);
        }
        Value::Array(items) => items.iter_mut().for_each(integer_bounds),
        _ => {}
    }
}

/// The names of a path template's parameters (`/v1/sheets/{id}` → `id`).
pub fn path_parameters(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// What the registry and the catalog know of the records an endpoint reads: the adapters'
/// names, and their mappings' names.
struct Known<'a> {
    adapters: &'a AdapterRegistry,
    mappings: &'a MappingFiles,
}

impl Known<'_> {
    fn values(&self, parameter: &str, kind: RecordKind) -> Option<Value> {
        match parameter {
            "adapter" => Some(json!(self.adapters.names(kind))),
            "mapping" | "layout" => {
                let mut names: Vec<&str> = self
                    .adapters
                    .of_kind(kind)
                    .flat_map(|r| self.mappings.names(r.adapter.mapping_category()))
                    .collect();
                names.sort_unstable();
                names.dedup();
                Some(json!(names))
            }
            _ => None,
        }
    }
}

fn parameters(
    endpoint: &Endpoint,
    requests: &mut SchemaGenerator,
    known: &Known<'_>,
) -> Vec<Value> {
    let mut out: Vec<Value> = path_parameters(endpoint.path)
        .into_iter()
        .map(|name| {
            let description = endpoint
                .path_params
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, d)| d);
            let schema = if name == "kind" {
                json!({ "type": "string", "enum": ["nanbyo", "shoman"] })
            } else {
                json!({ "type": "string" })
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema, "description": description })
        })
        .collect();
    if let Some(query) = endpoint.query {
        let schema = query(requests).to_value();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                let mut property = without_null(property.clone());
                let description = property
                    .as_object_mut()
                    .and_then(|p| p.remove("description"))
                    .unwrap_or(Value::String(String::new()));
                if let Some(values) = endpoint.reads.and_then(|kind| known.values(name, kind)) {
                    property["enum"] = values;
                }
                out.push(json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": property,
                    "description": description,
                }));
            }
        }
    }
    out
}

fn content(contents: &[Content], generator: &mut SchemaGenerator) -> Value {
    let mut out = Map::new();
    for c in contents {
        out.insert(
            c.media_type.to_owned(),
            json!({ "schema": (c.schema)(generator).to_value() }),
        );
    }
    Value::Object(out)
}

fn operation(
    endpoint: &Endpoint,
    requests: &mut SchemaGenerator,
    answers: &mut SchemaGenerator,
    known: &Known<'_>,
) -> Value {
    let mut responses = Map::new();
    for answer in &endpoint.answers {
        let mut response = json!({ "description": answer.description });
        if !answer.content.is_empty() {
            response["content"] = content(&answer.content, answers);
        }
        responses.insert(answer.status.to_string(), response);
    }
    let mut errors: Vec<(u16, Vec<&str>)> = Vec::new();
    for (status, why) in endpoint
        .errors
        .iter()
        .copied()
        .chain(common_errors(endpoint))
    {
        match errors.iter_mut().find(|(s, _)| *s == status) {
            Some((_, whys)) => whys.push(why),
            None => errors.push((status, vec![why])),
        }
    }
    errors.sort_by_key(|(status, _)| *status);
    for (status, whys) in errors {
        responses.insert(
            status.to_string(),
            json!({
                "description": whys.join("; "),
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } }
            }),
        );
    }
    let security = match endpoint.gate {
        Gate::Terminal => json!([{ "terminal": [] }]),
        Gate::AnySession | Gate::FullSession => json!([{ "terminal": [], "bearer": [] }]),
        Gate::App => json!([{ "terminal": [], "app_credential": [] }]),
    };
    let operation_id = format!(
        "{}{}",
        endpoint.method.as_str(),
        endpoint
            .path
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|p| !p.is_empty())
            .map(|p| {
                let mut chars = p.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect::<String>()
    );
    let mut op = json!({
        "operationId": operation_id,
        "summary": endpoint.summary,
        "parameters": parameters(endpoint, requests, known),
        "responses": responses,
        "security": security,
    });
    if !endpoint.body.is_empty() {
        op["requestBody"] =
            json!({ "required": true, "content": content(&endpoint.body, requests) });
    }
    op
}

/// The document, with the registered adapters and their mappings as the values of
/// `?adapter=` and `?mapping=`.
pub fn document(adapters: &AdapterRegistry, mappings: &MappingFiles) -> Value {
    let known = Known { adapters, mappings };
    // Bodies and queries are read: their schemas are the deserialize view, inlined (a type
    // read and written may differ in what is required).
    let mut requests = SchemaSettings::draft2020_12().for_deserialize();
    requests.inline_subschemas = true;
    let mut requests = requests.into_generator();
    // Answers are written: the serialize view, named in components.
    let mut answers = SchemaSettings::draft2020_12().for_serialize();
    answers.definitions_path = "/components/schemas/".into();
    let mut answers = answers.into_generator();
    let error = answers.subschema_for::<ApiError>();
    let mut paths = Map::new();
    for endpoint in endpoints() {
        let item = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| json!({}));
        item[endpoint.method.as_str()] = operation(&endpoint, &mut requests, &mut answers, &known);
    }
    let mut schemas = answers.take_definitions(true);
    schemas
        .entry("ApiError")
        .or_insert_with(|| error.to_value());
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kakehashi gateway API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Clinical survey sheets (臨床調査個人票 / 医療意見書), Mynaportal applications and municipal decisions in; checked canonical records, prints and deliveries to the national DB out. Every request presents a permitted terminal's client certificate (mutual TLS); all but health, metrics, this document, the header-field and adapter lists and the login also a bearer token. Every error body is {code, message, message_ja, location}."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "terminal": { "type": "mutualTLS", "description": "The client certificate of a permitted terminal (its organisation's); the TLS handshake itself refuses a connection without one" },
                "bearer": { "type": "http", "scheme": "bearer", "description": "The token of POST /v1/auth/login, for a user of the terminal's organisation" },
                "app_credential": { "type": "http", "scheme": "bearer", "description": "An app's machine credential (kka_…), issued once by the gateway's administrator (kakehashi apps credential), of the same app organisation as the terminal: the intake API only" }
            }
        }
    });
    integer_bounds(&mut document);
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        let (catalog, registry) = crate::adapters::load(None, &Default::default()).unwrap();
        super::document(&registry, &catalog.mappings)
    }

    #[test]
    fn every_route_is_in_the_document_with_its_parameters_and_every_reference_resolves() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut operations = 0;
        for endpoint in endpoints() {
            let op = &paths[endpoint.path][endpoint.method.as_str()];
            assert!(
                op.is_object(),
                "{} {} missing",
                endpoint.method.as_str(),
                endpoint.path
            );
            operations += 1;
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                declared,
                path_parameters(endpoint.path),
                "{}",
                endpoint.path
            );
            for (name, _) in &endpoint.path_params {
                assert!(
                    declared.contains(name),
                    "{}: no parameter {name}",
                    endpoint.path
                );
            }
            for status in ["403", "429", "500", "503"] {
                assert!(
                    op["responses"][status].is_object(),
                    "{} lacks {status}",
                    endpoint.path
                );
            }
            if endpoint.gate != Gate::Terminal {
                assert!(
                    op["responses"]["401"].is_object(),
                    "{} lacks 401",
                    endpoint.path
                );
                let scheme = if endpoint.gate == Gate::App {
                    "app_credential"
                } else {
                    "bearer"
                };
                assert_eq!(op["security"][0][scheme], json!([]));
            }
        }
        assert_eq!(operations, endpoints().len());
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(schemas.contains_key(name), "dangling $ref to {name}");
        }
    }

    #[test]
    fn the_sheet_read_answers_the_sheet_view_and_queries_come_from_the_handlers_types() {
        let doc = document();
        let read = &doc["paths"]["/v1/sheets/{id}"]["get"];
        assert_eq!(
            read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/SheetView"
        );
        let names = |op: &Value| -> Vec<String> {
            op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(read), ["id", "format"]);
        let submit = &doc["paths"]["/v1/submissions"]["post"];
        assert_eq!(names(submit), ["adapter", "mapping", "municipality"]);
        let adapter = &submit["parameters"][0]["schema"];
        assert_eq!(adapter["type"], "string");
        assert_eq!(adapter["enum"], json!(["fhir", "jsonl", "scan", "csv"]));
        let mapping = &submit["parameters"][1]["schema"];
        assert!(
            mapping["enum"]
                .as_array()
                .unwrap()
                .contains(&json!("hospital-a")),
            "{mapping}"
        );
        let layout = &doc["paths"]["/v1/certifications/convert"]["post"]["parameters"][0];
        assert_eq!(layout["schema"]["enum"], json!(["city-a", "city-b"]));
        let questionnaire = &doc["paths"]["/v1/templates/{kind}/{number}/questionnaire"]["get"];
        assert_eq!(names(questionnaire), ["kind", "number"]);
        let canonical = &doc["paths"]["/fhir/Questionnaire/{slug}"]["get"];
        assert_eq!(names(canonical), ["slug"]);
        assert!(
            canonical["responses"]["200"]["content"]["application/fhir+json"].is_object(),
            "{canonical}"
        );
    }
}
