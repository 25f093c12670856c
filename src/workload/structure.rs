//! The shape of a workload file, checked against its own JSON Schema (the one `rediform schema`
//! prints, derived from the raw serde structs): every unknown key, every missing key or table,
//! and every value of the wrong type or outside its set of names, in one pass (issue #11: a file
//! with four mistakes took four runs, as serde stops at the first).
//!
//! What is wrong is taken out (an unknown key) or replaced by a placeholder of the right type (a
//! missing or mistyped value), and the key recorded as patched, so that the range and
//! cross-field checks of `validate` can still run on the rest and say everything at once; what
//! they say about a patched key is dropped. Pure.

use std::sync::OnceLock;

use serde_json::Value as Json;

use crate::diag::{self, Diagnostic};

/// The schema as JSON, made once.
fn schema() -> &'static Json {
    static SCHEMA: OnceLock<Json> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::to_value(schemars::schema_for!(super::RawFile)).expect("a schema serializes"))
}

/// What the check found: the problems, and the keys it took out or replaced.
#[derive(Debug, Default)]
pub(super) struct Shape {
    /// One diagnostic per problem.
    pub(super) problems: Vec<Diagnostic>,
    /// Dotted keys whose value is a placeholder (or which were removed).
    pub(super) patched: Vec<String>,
    /// Dotted keys that are not in the schema (their diagnostic points at the key itself).
    pub(super) unknown: Vec<String>,
}

/// Checks the parsed file against the schema and mends it so that serde can read it.
pub(super) fn check(table: &mut toml::Table) -> Shape {
    let mut shape = Shape::default();
    object(table, schema(), "", &mut shape);
    shape
}

/// The schema a `$ref` or an `anyOf [x, null]` (an `Option`) stands for.
fn resolve(schema: &Json) -> &Json {
    if let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return resolve(&self::schema()["$defs"][name]);
    }
    if let Some(options) = schema.get("anyOf").and_then(Json::as_array) {
        if let Some(some) = options
            .iter()
            .find(|o| o.get("type").and_then(Json::as_str) != Some("null"))
        {
            return resolve(some);
        }
    }
    schema
}

/// The JSON types a schema allows, `null` left out (an absent key is how TOML says null).
fn types(schema: &Json) -> Vec<&str> {
    match schema.get("type") {
        Some(Json::String(t)) => vec![t.as_str()],
        Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).filter(|t| *t != "null").collect(),
        _ => Vec::new(),
    }
}

fn enum_names(schema: &Json) -> Option<Vec<&str>> {
    schema
        .get("enum")
        .and_then(Json::as_array)
        .map(|names| names.iter().filter_map(Json::as_str).collect())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn object(table: &mut toml::Table, schema: &Json, path: &str, shape: &mut Shape) {
    let schema = resolve(schema);
    let empty = serde_json::Map::new();
    let properties = schema.get("properties").and_then(Json::as_object).unwrap_or(&empty);
    let names: Vec<&str> = properties.keys().map(String::as_str).collect();
    let unknown: Vec<String> = table.keys().filter(|k| !properties.contains_key(*k)).cloned().collect();
    // A misspelt key is one mistake, not two: the missing key it was meant to be is not reported.
    let meant: Vec<&str> = unknown.iter().filter_map(|k| diag::did_you_mean(k, &names)).collect();
    for key in unknown.clone() {
        let full = join(path, &key);
        let what = if path.is_empty() {
            format!("unknown table [{key}]")
        } else {
            format!("unknown key `{key}` in [{path}]")
        };
        let d = Diagnostic::new(full.clone(), format!("{what}; expected one of: {}", names.join(", ")));
        shape.unknown.push(full.clone());
        shape.problems.push(match diag::did_you_mean(&key, &names) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d,
        });
        table.remove(&key);
        shape.patched.push(full);
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Json::as_array)
        .map(|r| r.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    for key in required {
        if table.contains_key(key) {
            continue;
        }
        let full = join(path, key);
        let property = resolve(&properties[key]);
        table.insert(key.to_owned(), placeholder(property));
        shape.patched.push(full.clone());
        if meant.contains(&key) {
            continue;
        }
        let d = if types(property).contains(&"object") {
            Diagnostic::new(full.clone(), format!("missing table [{full}]")).help(format!(
                "every workload file needs a [{full}] table; `rediform init` writes a commented starter file"
            ))
        } else {
            Diagnostic::new(full.clone(), format!("missing required key `{key}`"))
                .help(format!("add `{key}` (see `rediform init` for a commented example)"))
        };
        shape.problems.push(d);
    }
    for (key, value) in table.iter_mut() {
        if let Some(property) = properties.get(key) {
            check_value(value, property, &join(path, key), shape);
        }
    }
}

fn check_value(value: &mut toml::Value, schema: &Json, path: &str, shape: &mut Shape) {
    let schema = resolve(schema);
    if let Some(names) = enum_names(schema) {
        let ok = value.as_str().is_some_and(|s| names.contains(&s));
        if !ok {
            let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            let d = Diagnostic::new(
                path,
                format!("`{shown}` is not a valid value; expected one of: {}", names.join(", ")),
            );
            shape.problems.push(match diag::did_you_mean(&shown, &names) {
                Some(best) => d.help(format!("did you mean `{best}`?")),
                None => d,
            });
            *value = placeholder(schema);
            shape.patched.push(path.to_owned());
        }
        return;
    }
    let allowed = types(schema);
    let fits = |v: &toml::Value| match v {
        toml::Value::Table(_) => allowed.contains(&"object"),
        toml::Value::Array(_) => allowed.contains(&"array"),
        toml::Value::String(_) => allowed.contains(&"string"),
        toml::Value::Boolean(_) => allowed.contains(&"boolean"),
        toml::Value::Float(_) => allowed.contains(&"number"),
        toml::Value::Integer(i) => {
            allowed.contains(&"number") || (allowed.contains(&"integer") && integer_fits(*i, schema))
        }
        toml::Value::Datetime(_) => false,
    };
    if !fits(value) {
        let short = path.rsplit('.').next().unwrap_or(path);
        let expected = expectation(schema);
        let actual = match &*value {
            toml::Value::String(s) => format!("the string \"{s}\""),
            toml::Value::Integer(i) if allowed.contains(&"integer") => format!("{i}"),
            other => format!("a {} ({other})", other.type_str()),
        };
        let mut d = Diagnostic::new(path, format!("{short} must be {expected}, not {actual}"));
        d = match &*value {
            toml::Value::String(s) if s.trim().parse::<f64>().is_ok() && !allowed.contains(&"string") => {
                d.help(format!("write it without quotes: {short} = {}", s.trim()))
            }
            toml::Value::Float(f) if allowed.contains(&"string") => {
                d.help(format!("write it as a string: {short} = \"{f:?}\""))
            }
            _ => d,
        };
        shape.problems.push(d);
        *value = placeholder(schema);
        shape.patched.push(path.to_owned());
        return;
    }
    match value {
        toml::Value::Table(t) => object(t, schema, path, shape),
        toml::Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                // An element's problem is the list's key: the message names the element.
                for v in items.iter_mut() {
                    check_value(v, item, path, shape);
                }
            }
        }
        _ => {}
    }
}

/// Whether an integer is within the schema's unsigned format (serde reads u32 and u64 fields).
fn integer_fits(i: i64, schema: &Json) -> bool {
    let minimum = schema.get("minimum").and_then(Json::as_f64).unwrap_or(f64::MIN);
    let within = match schema.get("format").and_then(Json::as_str) {
        Some("uint32") => u32::try_from(i).is_ok(),
        Some("uint64" | "uint") => i >= 0,
        _ => true,
    };
    within && i as f64 >= minimum
}

/// The words for what a schema wants.
fn expectation(schema: &Json) -> String {
    let allowed = types(schema);
    let unsigned = schema
        .get("format")
        .and_then(Json::as_str)
        .is_some_and(|f| f.starts_with("uint"));
    let words: Vec<&str> = allowed
        .iter()
        .map(|t| match *t {
            "integer" if unsigned => "a whole number of 0 or more",
            "integer" => "a whole number",
            "number" => "a number",
            "string" => "a string in quotes",
            "boolean" => "true or false",
            "array" => "a list, like [\"a\", \"b\"]",
            "object" => "a table",
            other => other,
        })
        .collect();
    words.join(" or ")
}

/// A value of the right type that stands in for a missing or wrong one.
fn placeholder(schema: &Json) -> toml::Value {
    let schema = resolve(schema);
    if let Some(first) = enum_names(schema).and_then(|n| n.first().copied()) {
        return toml::Value::String(first.to_owned());
    }
    let allowed = types(schema);
    match allowed.first().copied() {
        Some("object") => {
            let mut table = toml::Table::new();
            let required = schema
                .get("required")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
            for key in required.iter().filter_map(Json::as_str) {
                table.insert(key.to_owned(), placeholder(&schema["properties"][key]));
            }
            toml::Value::Table(table)
        }
        Some("array") => match schema.get("items") {
            Some(item) => toml::Value::Array(vec![placeholder(item)]),
            None => toml::Value::Array(Vec::new()),
        },
        Some("integer") => toml::Value::Integer(1),
        Some("number") => toml::Value::Float(1.0),
        Some("boolean") => toml::Value::Boolean(false),
        _ => toml::Value::String("placeholder".to_owned()),
    }
}
