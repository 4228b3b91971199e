//! Reads JSON (a template, `.tf.json`, tfvars or plan JSON) into a `Node` tree with jsonc-parser in strict mode (CloudFormation
//! accepts plain JSON only: no comments, no trailing commas), rejecting duplicate keys.

use std::collections::HashMap;

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions};

use super::{Entry, Node, NodeValue, ParseError, Scalar, ScalarKind};
use crate::source::{FileId, Shifts, Span};

/// Most values one JSON file may hold (as for YAML: about 100 bytes of tree a value, twice
/// while jsonc-parser's own tree is alive).
pub const MAX_VALUES: usize = 2_000_000;

/// An upper bound of the values in a JSON text: its commas and opening brackets outside
/// strings, plus one. Counted before parsing, so a file of tiny arrays is refused before it
/// costs a gigabyte.
fn values_at_most(text: &str) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut count = 1;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => {
                    count += 1;
                    if count > MAX_VALUES {
                        return (count, i);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    (count, bytes.len())
}

/// Objects with up to this many members find a duplicate key by comparing it with the keys
/// before it; larger ones hash their keys.
const LINEAR_KEYS: usize = 16;

pub fn parse(text: &str, file: FileId) -> Result<Node, ParseError> {
    parse_cut(text, file, &Shifts::default())
}

/// `parse` of a text with ranges cut out (targeted reading): spans are mapped back through
/// `shifts` to the original text.
pub fn parse_cut(text: &str, file: FileId, shifts: &Shifts) -> Result<Node, ParseError> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    let (values, at) = values_at_most(body);
    if values > MAX_VALUES {
        return Err(ParseError {
            message: format!("the file holds more than {MAX_VALUES} values; it is not read"),
            span: shifts.span(file, bom + at, bom + at + 1),
            first: None,
        });
    }
    let strict = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let collect = CollectOptions {
        comments: CommentCollectionStrategy::Off,
        tokens: false,
    };
    let parsed = jsonc_parser::parse_to_ast(body, &collect, &strict).map_err(|error| {
        let range = error.range();
        ParseError {
            message: error.kind().to_string(),
            span: shifts.span(file, bom + range.start, bom + range.end),
            first: None,
        }
    })?;
    let Some(value) = parsed.value else {
        return Err(ParseError {
            message: "the file holds no JSON value".to_string(),
            span: shifts.span(file, bom, bom),
            first: None,
        });
    };
    let at = Place {
        file,
        base: bom,
        shifts,
    };
    convert(value, &at)
}

/// Where jsonc-parser's ranges are: after `base` bytes (a byte-order mark) of a text that
/// `shifts` maps back to the file.
struct Place<'s> {
    file: FileId,
    base: usize,
    shifts: &'s Shifts,
}

/// jsonc-parser bounds nesting itself (512), so recursion here is bounded too.
fn convert(value: Value<'_>, at: &Place<'_>) -> Result<Node, ParseError> {
    let span = |range: jsonc_parser::common::Range| {
        at.shifts
            .span(at.file, at.base + range.start, at.base + range.end)
    };
    let scalar = |text: String, kind| NodeValue::Scalar(Scalar { text, kind });
    Ok(match value {
        Value::StringLit(s) => Node {
            span: span(s.range),
            value: scalar(s.value.into_owned(), ScalarKind::Str),
        },
        Value::NumberLit(n) => Node {
            span: span(n.range),
            value: scalar(n.value.to_string(), ScalarKind::Number),
        },
        Value::BooleanLit(b) => Node {
            span: span(b.range),
            value: scalar(b.value.to_string(), ScalarKind::Bool),
        },
        Value::NullKeyword(n) => Node {
            span: span(n.range),
            value: scalar(String::new(), ScalarKind::Null),
        },
        Value::Array(array) => {
            let items = array
                .elements
                .into_iter()
                .map(|item| convert(item, at))
                .collect::<Result<Vec<_>, _>>()?;
            Node {
                span: span(array.range),
                value: NodeValue::Seq(items),
            }
        }
        Value::Object(object) => {
            // Duplicate keys: a small object (most) is searched, a large one hashed.
            let mut seen: Option<HashMap<String, Span>> = (object.properties.len() > LINEAR_KEYS)
                .then(|| HashMap::with_capacity(object.properties.len()));
            let mut entries: Vec<Entry> = Vec::with_capacity(object.properties.len());
            for property in object.properties {
                let key_range = match &property.name {
                    ObjectPropName::String(s) => s.range,
                    ObjectPropName::Word(w) => w.range,
                };
                let key = property.name.into_string();
                let key_span = span(key_range);
                let earlier = match &mut seen {
                    Some(seen) => seen.insert(key.clone(), key_span),
                    None => entries.iter().find(|e| e.key == key).map(|e| e.key_span),
                };
                if let Some(first) = earlier {
                    return Err(ParseError {
                        message: format!(
                            "duplicate key `{key}`; its value is ambiguous (CloudFormation rejects such templates, Terraform such files)"
                        ),
                        span: key_span,
                        first: Some(first),
                    });
                }
                entries.push(Entry {
                    key,
                    key_span,
                    value: convert(property.value, at)?,
                });
            }
            Node {
                span: span(object.range),
                value: NodeValue::Map(entries),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_survive_bom_tabs_and_crlf() {
        let text = "\u{feff}{\r\n\t\"A\": {\"Ref\": \"P\"}\r\n}";
        let root = parse(text, FileId(0)).unwrap();
        let a = root.entry("A").unwrap();
        assert_eq!(&text[a.key_span.range()], "\"A\"");
        assert_eq!(&text[a.value.span.range()], "{\"Ref\": \"P\"}");
    }

    #[test]
    fn comments_trailing_commas_and_duplicates_are_errors() {
        assert!(parse("{\"a\": 1,}", FileId(0)).is_err());
        assert!(parse("{// c\n\"a\": 1}", FileId(0)).is_err());
        let error = parse("{\"a\": 1, \"a\": 2}", FileId(0)).unwrap_err();
        assert_eq!(error.span.start, 9);
    }

    proptest::proptest! {
        /// The first repeated key is the error, pointing back at its first use, whether the
        /// object is small enough to be searched or large enough to be hashed.
        #[test]
        fn the_first_duplicate_key_is_reported_at_any_size(
            keys in proptest::collection::vec(0usize..60, 0..40),
        ) {
            let mut text = String::from("{");
            let mut starts = Vec::new();
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                starts.push(text.len());
                text.push_str(&format!("\"k{key}\": {{\"v\": {i}}}"));
            }
            text.push('}');
            let expected = (0..keys.len()).find_map(|j| {
                let i = keys[..j].iter().position(|&k| k == keys[j])?;
                Some((starts[j], starts[i]))
            });
            let got = parse(&text, FileId(0))
                .err()
                .map(|error| (error.span.start as usize, error.first.map_or(usize::MAX, |f| f.start as usize)));
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
