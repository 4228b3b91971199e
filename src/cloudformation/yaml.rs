//! Reads a YAML template into a `Node` tree from saphyr-parser's event stream: iterative (no
//! recursion, so nesting depth is bounded by `MAX_DEPTH`, not the stack), with byte spans,
//! aliases expanded under a node budget, merge keys, duplicate keys rejected as CloudFormation
//! rejects them, and short-form tags (`!Ref`, `!GetAtt`, `!If`, …) turned into long forms.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::tags::{apply_tag, plain_kind};
use crate::source::{FileId, Shifts, Span};
use crate::tree::{Entry, Node, NodeValue, ParseError, Scalar, ScalarKind};

/// Deepest nesting accepted, shared with the JSON reader.
pub const MAX_DEPTH: usize = 512;
/// Most nodes that aliases may add by expansion in one document ("billion laughs" guard).
pub const MAX_ALIAS_NODES: usize = 100_000;
/// Most values one file may hold: the tree and the parser's state cost about 200 bytes a
/// value, so a 10 MB file of tiny nested arrays would otherwise take a gigabyte. Real
/// templates hold a value per 19 bytes or so: a 10 MB one has about 530,000.
pub const MAX_NODES: usize = 1_000_000;

/// Parses the YAML document of `text` (after a byte-order mark, if any). A file of several
/// documents is read as its first unless one of them is a template: CloudFormation reads one
/// document, so that is a parse error (never a silent pass over the others).
pub fn parse(text: &str, file: FileId) -> Result<Node, ParseError> {
    parse_cut(text, file, &Shifts::default())
}

/// `parse` of a text with ranges cut out (targeted reading): spans are mapped back through
/// `shifts` to the original text.
pub fn parse_cut(text: &str, file: FileId, shifts: &Shifts) -> Result<Node, ParseError> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    let mut builder = Builder {
        offsets: CharOffsets::new(body, bom),
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        nodes: 0,
        root: None,
        documents: Vec::new(),
    };
    for event in Parser::new_from_str(body) {
        let (event, span) = event.map_err(|error| {
            let at = builder.offsets.byte(error.marker().index());
            ParseError {
                message: error.info().to_string(),
                span: shifts.span(file, at, at),
                first: None,
            }
        })?;
        let start = builder.offsets.byte(span.start.index());
        let end = builder.offsets.byte(span.end.index());
        let mut span = Span::new(file, start, end);
        if let Event::Scalar(_, style, ..) = &event {
            span = scalar_end(span, text, *style);
        }
        let span = shifts.span(file, span.start as usize, span.end as usize);
        if builder.event(event, span)? {
            break;
        }
    }
    let mut documents = builder.documents;
    let empty = |n: &Node| n.scalar().is_some_and(|s| s.kind == ScalarKind::Null);
    if let Some(root) = builder.root.take().filter(|n| !empty(n)) {
        documents.push(root);
    }
    if documents.len() > 1 {
        if let Some(k) = documents.iter().position(super::lower::is_template) {
            return Err(ParseError {
                message: format!(
                    "CloudFormation reads a template from one YAML document, and this file has \
                     {} (the template is document {}); split them into files",
                    documents.len(),
                    k + 1
                ),
                span: Span::new(
                    file,
                    documents[1].span.start as usize,
                    documents[1].span.start as usize,
                ),
                first: None,
            });
        }
    }
    Ok(documents.into_iter().next().unwrap_or(Node {
        span: shifts.span(file, bom, bom),
        value: NodeValue::Scalar(Scalar {
            text: String::new(),
            kind: ScalarKind::Null,
        }),
    }))
}

/// saphyr reports positions in characters; spans are bytes.
struct CharOffsets {
    base: usize,
    /// Byte offset of each character, only for non-ASCII text.
    table: Option<Vec<u32>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str, base: usize) -> CharOffsets {
        let table = (!text.is_ascii()).then(|| {
            let mut table: Vec<u32> = text.char_indices().map(|(i, _)| i as u32).collect();
            table.push(text.len() as u32);
            table
        });
        CharOffsets {
            base,
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        let offset = match &self.table {
            Some(table) => table.get(char_index).copied().unwrap_or(self.len as u32) as usize,
            None => char_index.min(self.len),
        };
        self.base + offset
    }
}

enum Frame {
    Seq {
        start: Span,
        tag: Option<Tag>,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        tag: Option<Tag>,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, Span, bool)>,
        seen: HashMap<String, Span>,
        merges: Vec<Node>,
    },
}

struct Builder {
    offsets: CharOffsets,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    /// Values built so far (`MAX_NODES`).
    nodes: usize,
    root: Option<Node>,
    /// The documents before the current one.
    documents: Vec<Node>,
}

impl Builder {
    /// Handles one event; `Ok(true)` once the first document is complete.
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<bool, ParseError> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain;
                let kind = if plain {
                    plain_kind(&value)
                } else {
                    ScalarKind::Str
                };
                let node = Node {
                    span,
                    value: NodeValue::Scalar(Scalar {
                        text: value.into_owned(),
                        kind,
                    }),
                };
                let node = apply_tag(node, tag);
                self.finish(node, anchor, plain)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.open()?;
                self.stack.push(Frame::Seq {
                    start: span,
                    tag: tag.map(Cow::into_owned),
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.open()?;
                self.stack.push(Frame::Map {
                    start: span,
                    tag: tag.map(Cow::into_owned),
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    seen: HashMap::new(),
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(self.error("alias refers to an unknown anchor", span));
                };
                let size = node.size();
                if size > self.alias_budget {
                    return Err(self.error(
                        &format!(
                            "YAML aliases expand to more than {MAX_ALIAS_NODES} nodes; \
                             refusing to expand them (alias bomb?)"
                        ),
                        span,
                    ));
                }
                self.alias_budget -= size;
                self.nodes += size;
                let node = node.clone();
                self.finish(node, 0, false)?;
            }
            Event::DocumentEnd => {
                // An empty document (a trailing `---`) is no document.
                let empty = |n: &Node| n.scalar().is_some_and(|s| s.kind == ScalarKind::Null);
                if let Some(root) = self.root.take().filter(|n| !empty(n)) {
                    self.documents.push(root);
                }
                // Anchors do not cross documents.
                self.anchors.clear();
                self.alias_budget = MAX_ALIAS_NODES;
            }
            Event::StreamEnd => return Ok(true),
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
        }
        Ok(false)
    }

    fn open(&self) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            let at = self.stack.last().map(frame_start).unwrap();
            return Err(self.error(
                &format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
                at,
            ));
        }
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), ParseError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        // A flow collection ends at its bracket; a block one at its last child.
        let closing = end.end > end.start;
        let (node, anchor) = match frame {
            Frame::Seq {
                start,
                tag,
                anchor,
                items,
            } => {
                let last = items.last().map(|n| n.span).unwrap_or(start);
                let span = start.to(if closing { end } else { last });
                (
                    apply_tag(
                        Node {
                            span,
                            value: NodeValue::Seq(items),
                        },
                        tag.map(Cow::Owned),
                    ),
                    anchor,
                )
            }
            Frame::Map {
                start,
                tag,
                anchor,
                mut entries,
                merges,
                ..
            } => {
                let last = entries.last().map(|e| e.value.span).unwrap_or(start);
                let span = start.to(if closing { end } else { last });
                merge_into(&mut entries, &merges);
                (
                    apply_tag(
                        Node {
                            span,
                            value: NodeValue::Map(entries),
                        },
                        tag.map(Cow::Owned),
                    ),
                    anchor,
                )
            }
        };
        self.finish(node, anchor, false)
    }

    /// Places a completed node in its parent (as a key, a value or an item).
    fn finish(&mut self, node: Node, anchor: usize, plain: bool) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.error(
                &format!("the file holds more than {MAX_NODES} values; it is not read further"),
                node.span,
            ));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                seen,
                merges,
                ..
            }) => match key.take() {
                None => {
                    let Some(scalar) = node.scalar() else {
                        return Err(ParseError {
                            message: "a mapping key must be a plain value, not a list or map"
                                .to_string(),
                            span: node.span,
                            first: None,
                        });
                    };
                    let name = scalar.text.clone();
                    if !(plain && name == "<<") {
                        if let Some(first) = seen.insert(name.clone(), node.span) {
                            return Err(ParseError {
                                message: format!(
                                    "duplicate key `{name}`; CloudFormation rejects templates \
                                     with duplicate keys"
                                ),
                                span: node.span,
                                first: Some(first),
                            });
                        }
                    }
                    *key = Some((name, node.span, plain));
                }
                Some((name, key_span, key_plain)) => {
                    if key_plain && name == "<<" {
                        merges.push(node);
                    } else {
                        entries.push(Entry {
                            key: name,
                            key_span,
                            value: node,
                        });
                    }
                }
            },
        }
        Ok(())
    }

    fn error(&self, message: &str, span: Span) -> ParseError {
        ParseError {
            message: message.to_string(),
            span,
            first: None,
        }
    }
}

fn frame_start(frame: &Frame) -> Span {
    match frame {
        Frame::Seq { start, .. } | Frame::Map { start, .. } => *start,
    }
}

/// `<<: *base` (or a list of them): keys the mapping does not set itself come from the bases.
fn merge_into(entries: &mut Vec<Entry>, merges: &[Node]) {
    let mut bases: Vec<&Node> = Vec::new();
    for merge in merges {
        match &merge.value {
            NodeValue::Seq(items) => bases.extend(items),
            _ => bases.push(merge),
        }
    }
    for base in bases {
        for entry in base.map().unwrap_or(&[]) {
            if !entries.iter().any(|e| e.key == entry.key) {
                entries.push(entry.clone());
            }
        }
    }
}

/// saphyr's scalar spans can run past the scalar: over a trailing comment (`"0"  # note`),
/// or a block scalar's final line break and indentation. End them where the scalar ends.
fn scalar_end(span: Span, text: &str, style: ScalarStyle) -> Span {
    let slice = text.get(span.range()).unwrap_or("");
    let quote = match style {
        ScalarStyle::DoubleQuoted => Some('"'),
        ScalarStyle::SingleQuoted => Some('\''),
        _ => None,
    };
    let length = match quote {
        Some(quote) => quoted_length(slice, quote).unwrap_or(slice.len()),
        None if style == ScalarStyle::Plain => {
            // A plain scalar cannot contain ` #`: that starts a comment.
            let cut = comment_start(slice).unwrap_or(slice.len());
            slice[..cut].trim_end().len()
        }
        None => slice.trim_end().len(),
    };
    Span {
        end: span.start + length as u32,
        ..span
    }
}

/// Where the first ` #` is in a plain scalar's span, else the first `\t#`: found from its
/// `#`s, as most scalars have none (`str::find` sets up a searcher at each call).
fn comment_start(slice: &str) -> Option<usize> {
    let bytes = slice.as_bytes();
    let after = |space: u8| {
        memchr::memchr_iter(b'#', bytes)
            .find(|&i| i > 0 && bytes[i - 1] == space)
            .map(|i| i - 1)
    };
    after(b' ').or_else(|| after(b'\t'))
}

/// Length up to and including the closing quote (after any tag before the opening one).
fn quoted_length(slice: &str, quote: char) -> Option<usize> {
    let open = slice.find(quote)?;
    let mut chars = slice[open + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            c if c == quote => {
                // '' inside a single-quoted scalar is an escaped quote.
                if quote == '\'' && chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    continue;
                }
                return Some(open + 1 + i + c.len_utf8());
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Node {
        parse(text, FileId(0)).expect("parses")
    }

    #[test]
    fn short_forms_become_long_forms_with_spans() {
        let text = "A: !Ref Param\nB: !GetAtt Db.Endpoint.Address\nC: !If [Cond, x, y]\n";
        let root = load(text);
        let (name, argument) = root.get("A").unwrap().intrinsic().unwrap();
        assert_eq!((name, argument.str()), ("Ref", Some("Param")));
        assert_eq!(&text[root.get("A").unwrap().span.range()], "!Ref Param");
        let get_att = root.get("B").unwrap().intrinsic().unwrap().1;
        let parts: Vec<_> = get_att
            .seq()
            .unwrap()
            .iter()
            .map(|n| n.str().unwrap())
            .collect();
        assert_eq!(parts, ["Db", "Endpoint.Address"]);
        assert_eq!(root.get("C").unwrap().intrinsic().unwrap().0, "Fn::If");
    }

    #[test]
    fn spans_are_bytes_after_non_ascii_text() {
        let text = "Description: héllo wörld\nKey: value\n";
        let root = load(text);
        assert_eq!(&text[root.get("Key").unwrap().span.range()], "value");
    }

    #[test]
    fn block_scalars_and_block_maps_end_at_their_text() {
        let text = "A: |\n  line\n\nB:\n  c: 1\n\n# trailing\n";
        let root = load(text);
        // saphyr starts a block scalar's span at its content, after the `|` line.
        assert_eq!(&text[root.get("A").unwrap().span.range()], "line");
        assert_eq!(&text[root.get("B").unwrap().span.range()], "c: 1");
    }

    #[test]
    fn scalar_spans_stop_before_comments() {
        let text = "a: \"0\"   # was off\nb: 'it''s' # c\nc: plain value # c\nd: !Ref X # c\n";
        let root = load(text);
        let at = |k: &str| &text[root.get(k).unwrap().span.range()];
        assert_eq!(at("a"), "\"0\"");
        assert_eq!(at("b"), "'it''s'");
        assert_eq!(at("c"), "plain value");
        assert_eq!(at("d"), "!Ref X");
    }

    #[test]
    fn duplicate_keys_are_an_error_at_the_second_key() {
        let text = "A: 1\nA: 2\n";
        let error = parse(text, FileId(0)).unwrap_err();
        assert!(error.message.contains("duplicate key `A`"));
        assert_eq!(error.span.start, 5);
    }

    #[test]
    fn aliases_and_merge_keys() {
        let root = load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        let merged = root.get("use").unwrap();
        assert_eq!(merged.get("x").unwrap().str(), Some("1"));
        assert_eq!(merged.get("y").unwrap().str(), Some("3"));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let error = parse(&text, FileId(0)).unwrap_err();
        assert!(
            error.message.contains("aliases expand"),
            "{}",
            error.message
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let error = parse(&text, FileId(0)).unwrap_err();
        // saphyr-parser's own limit or ours, whichever comes first: an error either way.
        assert!(
            error.message.contains("nesting") || error.message.contains("recursion limit"),
            "{}",
            error.message
        );
    }

    proptest::proptest! {
        /// The comment's start is where `str::find` puts it.
        #[test]
        fn a_comment_starts_where_find_says(slice in "[ \t#aé]{0,40}") {
            proptest::prop_assert_eq!(
                comment_start(&slice),
                slice.find(" #").or_else(|| slice.find("\t#"))
            );
        }
    }
}
