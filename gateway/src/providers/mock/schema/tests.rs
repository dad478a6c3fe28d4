use super::*;

const HINT: &str = "What's the weather like in Paris today?";

fn assert_valid(schema: &Value, seeds: std::ops::Range<u64>) {
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
    {
        Ok(v) => v,
        Err(e) => panic!("test schema invalid: {e}: {schema}"),
    };
    for seed in seeds {
        let v = instance_for(schema, seed, HINT);
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "seed {seed}: {v} invalid for {schema}: {errors:?}"
        );
    }
}

fn weather() -> Value {
    json!({"type": "object", "required": ["location"], "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}})
}

fn tree() -> Value {
    json!({"$defs": {"node": {"type": "object", "required": ["label", "children"], "properties": {
            "label": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "type": "object", "required": ["root", "next"], "properties": {
            "root": {"$ref": "#/$defs/node"},
            "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}})
}

fn table() -> Vec<Value> {
    vec![
        weather(),
        tree(),
        // Nested objects and arrays with item bounds.
        json!({"type": "object", "properties": {
            "user": {"type": "object", "properties": {
                "name": {"type": "string"}, "email": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string", "minLength": 3},
                    "minItems": 2, "maxItems": 4, "uniqueItems": true}}},
            "matrix": {"type": "array", "maxItems": 0,
                "items": {"type": "array", "items": {"type": "integer"}, "minItems": 3}},
            "pair": {"type": "array", "items": false,
                "prefixItems": [{"type": "string"}, {"type": "boolean"}]},
            "many": {"type": "array", "items": {"type": "number"}, "minItems": 5,
                "contains": {"minimum": 500}}}}),
        // Numeric ranges, exclusive bounds, multipleOf.
        json!({"type": "object", "properties": {
            "a": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3},
            "b": {"type": "integer", "minimum": 10, "maximum": 100, "multipleOf": 7},
            "c": {"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 0.75},
            "d": {"type": "number", "minimum": 1, "multipleOf": 0.25},
            "e": {"type": "integer", "maximum": -5},
            "f": {"type": "integer", "exclusiveMinimum": 2.5, "maximum": 3},
            "g": {"type": "number", "maximum": 0.001},
            "h": {"type": "integer", "multipleOf": 1000}}}),
        // anyOf / oneOf with null, and oneOf branches that overlap.
        json!({"type": "object", "properties": {
            "x": {"anyOf": [{"type": "null"}, {"type": "string", "format": "date"}]},
            "y": {"oneOf": [{"type": "integer"}, {"type": "null"}]},
            "z": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
            "w": {"oneOf": [
                {"type": "object", "properties": {"kind": {"const": "a"}}, "required": ["kind"]},
                {"type": "object", "properties": {"kind": {"const": "b"}}, "required": ["kind"]}]},
            "v": {"type": ["null", "integer"], "minimum": 3}}}),
        // Draft-7 style definitions, with a pattern.
        json!({"definitions": {"addr": {"type": "object", "required": ["city", "zip"], "properties": {
                "city": {"type": "string"}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}},
            "type": "object", "properties": {
                "home": {"$ref": "#/definitions/addr"}, "work": {"$ref": "#/definitions/addr"}}}),
        // allOf merging.
        json!({"allOf": [
            {"type": "object", "properties": {"id": {"type": "integer", "minimum": 1}}, "required": ["id"]},
            {"properties": {"title": {"type": "string", "maxLength": 5}, "id": {"maximum": 3}},
                "required": ["title"]}]}),
        // enum / const.
        json!({"type": "object", "properties": {"k": {"const": "fixed"},
            "e": {"enum": [1, "two", null, {"three": 3}]}, "t": {"type": "integer", "enum": ["no", 4, 5.5]}}}),
        // Formats.
        json!({"type": "object", "properties": {
            "d": {"type": "string", "format": "date"}, "dt": {"type": "string", "format": "date-time"},
            "t": {"format": "time"}, "em": {"format": "email"}, "u": {"format": "uri"},
            "id": {"format": "uuid"}, "v4": {"format": "ipv4"}, "v6": {"format": "ipv6"},
            "host": {"format": "hostname"}, "url": {"type": "string", "format": "url"}}}),
        // Strict mode: additionalProperties false, every property required.
        json!({"type": "object", "additionalProperties": false,
            "required": ["name", "age", "nick", "items"], "properties": {
                "name": {"type": "string"}, "age": {"type": "integer"}, "nick": {"type": ["string", "null"]},
                "items": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                    "required": ["sku"], "properties": {"sku": {"type": "string"}}}}}}),
        // Strings: lengths, patterns, examples.
        json!({"type": "object", "properties": {
            "s": {"type": "string", "minLength": 40, "maxLength": 42},
            "short": {"type": "string", "maxLength": 2},
            "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{4}$"},
            "cur": {"type": "string", "pattern": "^(USD|EUR|GBP)$"},
            "phone": {"pattern": "^\\+?[1-9]\\d{1,14}$"},
            "slug": {"type": "string", "pattern": "^[a-z0-9_-]{3,16}$"},
            "mail": {"type": "string", "pattern": "[^@\\s]+@[^@\\s]+\\.[a-z]{2,}"},
            "hex": {"type": "string", "pattern": "^(?:0x)?[0-9a-fA-F]+$"},
            "ex": {"type": "string", "examples": ["from-example"]}}}),
        json!({"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}}),
        json!({"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 3}),
        // A linked list whose recursion must end in null.
        json!({"$ref": "#/$defs/list", "$defs": {"list": {"type": "object", "required": ["value", "next"],
            "properties": {"value": {"type": "integer"},
                "next": {"oneOf": [{"$ref": "#/$defs/list"}, {"type": "null"}]}}}}}),
        json!(true),
        json!({}),
    ]
}

#[test]
fn table_of_schemas_validates_for_many_seeds() {
    for schema in table() {
        assert_valid(&schema, 0..8);
    }
}

#[test]
fn strings_look_relevant() {
    let v = instance_for(&weather(), 1, "weather in Paris");
    assert_eq!(v["location"], json!("San Francisco, CA"));
    assert!(v["unit"] == "celsius" || v["unit"] == "fahrenheit");
    let s = json!({"properties": {"query": {"type": "string"}, "city": {"type": "string"}}});
    let v = instance_for(&s, 3, "Find flights to Tokyo");
    assert_eq!(v["query"], json!("flights tokyo"));
    assert!(CITIES.contains(&v["city"].as_str().unwrap_or_default()));
}

#[test]
fn includes_all_properties_and_recursion_terminates() {
    let v = instance_for(&tree(), 0, "");
    assert!(v["root"]["children"].is_array());
    assert!(v.get("next").is_some());
    let s = json!({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
    assert_eq!(instance_for(&s, 0, "").as_object().map(Map::len), Some(2));
    let deep = json!({"$defs": {"n": {"type": "object", "required": ["n"],
        "properties": {"n": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"});
    assert!(instance_for(&deep, 0, "").is_object());
}

#[test]
fn garbage_and_cycles_do_not_panic() {
    let garbage = [
        json!(42),
        json!("x"),
        json!(null),
        json!([1, 2]),
        json!(false),
        json!({"type": 5, "properties": 3, "items": "x", "$ref": 7, "minimum": "a", "enum": 1}),
        json!({"$ref": "#"}),
        json!({"$ref": "#/nope"}),
        json!({"$ref": "http://example.com/s.json"}),
        json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}),
        json!({"allOf": [{"$ref": "#"}, {"$ref": "#"}]}),
        json!({"anyOf": [], "oneOf": 3, "allOf": [1, true, false]}),
        json!({"type": "integer", "minimum": 10, "maximum": 1, "multipleOf": -1}),
        json!({"type": "number", "minimum": 1e308, "multipleOf": 1e-300}),
        json!({"type": "string", "minLength": 1e18, "pattern": "((((a{999}){999}){999})"}),
        json!({"type": "string", "pattern": "(?<=x)\\1[\\p{L}](unclosed"}),
        json!({"type": "array", "minItems": 1e12, "items": {"$ref": "#"}}),
    ];
    for g in &garbage {
        let _ = instance_for(g, 7, "hint");
    }
    assert_eq!(instance_for(&json!(42), 0, ""), json!({}));
    assert_eq!(instance_for(&json!({"type": "object"}), 0, ""), json!({}));
}

#[test]
fn deterministic_per_seed() {
    for schema in table() {
        assert_eq!(
            instance_for(&schema, 11, "abc"),
            instance_for(&schema, 11, "abc")
        );
    }
    let s = json!({"type": "object", "properties": {"n": {"type": "integer"}, "w": {"type": "string"}}});
    let distinct: std::collections::HashSet<String> = (0..10)
        .map(|seed| instance_for(&s, seed, "").to_string())
        .collect();
    assert!(distinct.len() > 1);
}
