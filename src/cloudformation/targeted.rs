//! Targeted reading for YAML and JSON templates: the verdict reads only RDS resources, nested
//! stacks (to find their templates), `Parameters`, `Mappings` and `Conditions`, so other
//! resources and `Outputs` are cut out before parsing, and the parser's positions are mapped
//! back (`source::Shifts`), so spans are those of the full text. Most of a real template is
//! unrelated resources, which the parser then never sees.
//! Skipped resources stay declared, so `Ref` and `Fn::GetAtt` of them resolve as in a full
//! parse: YAML returns their logical IDs, JSON keeps their `Type` member.

use crate::source::{u8x16, GuardSets, Needles, StopSets, Stops, IN_STRING, OUTSIDE};

/// What targeted reading leaves to parse.
pub struct Masked {
    pub text: String,
    /// Where `text`'s bytes are in the file.
    pub shifts: crate::source::Shifts,
    /// Logical IDs of the resources blanked out of `text` entirely (YAML).
    pub skipped: Vec<String>,
}

/// The text with unread blocks cut out, or `None` when nothing can be skipped safely.
pub fn relevant_only(text: &str) -> Option<Masked> {
    let lines = lines_of(text);
    let marks = Marks::of(text.as_bytes(), true);
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut skipped_names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let content = line.text(text);
        if line.indent == Some(0) && content.starts_with("Outputs:") {
            let end = block_end(&lines, i, 0);
            skipped.push((line.start(), end));
            i = next_index(&lines, end);
            continue;
        }
        if line.indent == Some(0) && content.trim_end() == "Resources:" {
            i += 1;
            let Some(child) = lines[i..].iter().find_map(|l| l.indent) else {
                break;
            };
            if child == 0 {
                continue;
            }
            while i < lines.len() {
                let line = lines[i];
                match line.indent {
                    None => i += 1,
                    Some(n) if n < child => break,
                    Some(n) if n > child => return None,
                    Some(_) => {
                        let end = block_end(&lines, i, child);
                        // A key this scanner does not read: leave the file to the parser.
                        let name = logical_id(&line.text(text)[child as usize..])?;
                        names.push(name);
                        // A suppression comment on the line above belongs to this resource.
                        let above = lines[..i]
                            .iter()
                            .rev()
                            .find(|l| !l.text(text).trim().is_empty());
                        let suppressed_above =
                            above.is_some_and(|l| marks.may_suppress(l.start(), l.end()));
                        let next = next_index(&lines, end);
                        if !suppressed_above
                            && is_unread_resource(text, &marks, &lines[i..next], line.start(), end)
                        {
                            skipped.push((line.start(), end));
                            skipped_names.push(name.to_string());
                        }
                        i = next;
                    }
                }
            }
            continue;
        }
        i += 1;
    }
    // A duplicate logical ID is an error the full parse reports.
    names.sort_unstable();
    if skipped.is_empty() || names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let (text, shifts) = crate::source::cut(text, &skipped)?;
    Some(Masked {
        text,
        shifts,
        skipped: skipped_names,
    })
}

/// The logical ID of a `Name:` line (alphanumeric, as CloudFormation requires), else `None`.
fn logical_id(line: &str) -> Option<&str> {
    let (name, rest) = line.split_once(':')?;
    let rest = rest.trim();
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric());
    (plain && (rest.is_empty() || rest.starts_with('#'))).then_some(name)
}

/// A resource block (`lines`, from `start` to `end` in `text`) whose `Type` (at the
/// indentation of its first entry, not a nested key) is an AWS type other than RDS, and that
/// defines no anchor an alias could use.
fn is_unread_resource(
    text: &str,
    marks: &Marks<'_>,
    lines: &[Line],
    start: usize,
    end: usize,
) -> bool {
    let mut body = lines.iter().skip(1).filter(|l| l.indent.is_some());
    let Some(level) = body.clone().next().and_then(|l| l.indent) else {
        return false;
    };
    let Some(type_line) = body
        .find(|l| l.indent == Some(level) && l.text(text)[level as usize..].starts_with("Type:"))
    else {
        return false;
    };
    let kind = type_line.text(text)[level as usize + "Type:".len()..]
        .trim()
        .trim_matches(['"', '\'']);
    kind.starts_with("AWS::")
        && !kind.starts_with("AWS::RDS::")
        && !super::nested::is_stack_type(kind)
        && !marks.anchor(start, end)
        && !marks.may_suppress(start, end)
}

/// Where a text holds what keeps a block read, found once for the whole text: `intransit` and
/// `checkov` (a block may hold a suppression, in a comment or `Metadata`: such a resource is
/// read, so the suppression keeps its owner and can be reported as unused), and in YAML an
/// anchor (`&`) or merge (`<<`) an alias could use. Each block was searched on its own before,
/// and tens of thousands of searches cost more to set up than to run. A text with more than
/// `MAX_MARKS` of a kind (a file of ampersands) has its blocks searched one by one, as before:
/// its list would cost memory in proportion to the file.
struct Marks<'t> {
    text: &'t [u8],
    /// Each match's start and end, by start; `None`: too many, search each block.
    suppress: Option<Vec<(u32, u32)>>,
    anchors: Option<Vec<(u32, u32)>>,
}

/// The most matches of one kind `Marks` keeps.
const MAX_MARKS: usize = 4096;

/// (Neither name overlaps itself, so their matches, which do not overlap, are all of them.)
static SUPPRESS_NAMES: Needles<2> = Needles::new(["intransit", "checkov"]);

/// Where a suppression name is in `text`, as `(start, end)`.
fn suppress_names(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    SUPPRESS_NAMES.finders().iter().flat_map(move |finder| {
        let len = finder.needle().len();
        finder.find_iter(text).map(move |at| (at, at + len))
    })
}

/// Where an anchor or a merge is in `text`: `<<` overlaps itself (`<<<` holds two), so each
/// `<` followed by one.
fn anchors(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    memchr::memchr2_iter(b'&', b'<', text).filter_map(move |at| match text[at] {
        b'&' => Some((at, at + 1)),
        _ => (text.get(at + 1) == Some(&b'<')).then_some((at, at + 2)),
    })
}

impl<'t> Marks<'t> {
    fn of(text: &'t [u8], with_anchors: bool) -> Marks<'t> {
        // Offsets fit in `u32`: files are read up to `max-file-size`, and larger texts are
        // searched block by block.
        let fits = u32::try_from(text.len()).is_ok();
        let kept = |found: &mut dyn Iterator<Item = (usize, usize)>| {
            let mut kept = Vec::new();
            for (start, end) in found {
                if kept.len() == MAX_MARKS || !fits {
                    return None;
                }
                kept.push((start as u32, end as u32));
            }
            kept.sort_unstable();
            Some(kept)
        };
        Marks {
            text,
            suppress: kept(&mut suppress_names(text)),
            anchors: if with_anchors {
                kept(&mut anchors(text))
            } else {
                Some(Vec::new())
            },
        }
    }

    /// Whether the bytes `start..end` may hold a suppression.
    fn may_suppress(&self, start: usize, end: usize) -> bool {
        match &self.suppress {
            Some(found) => within(found, start, end),
            None => suppress_names(&self.text[start..end]).next().is_some(),
        }
    }

    /// Whether the bytes `start..end` hold an anchor or a merge.
    fn anchor(&self, start: usize, end: usize) -> bool {
        match &self.anchors {
            Some(found) => within(found, start, end),
            None => anchors(&self.text[start..end]).next().is_some(),
        }
    }
}

/// Whether one of `found` (sorted by start) lies wholly inside `start..end`.
fn within(found: &[(u32, u32)], start: usize, end: usize) -> bool {
    let first = found.partition_point(|&(at, _)| (at as usize) < start);
    found[first..]
        .iter()
        .take_while(|&&(at, _)| (at as usize) < end)
        .any(|&(_, until)| until as usize <= end)
}

/// A line of the text: where it starts, its length without the line break, and its
/// indentation when it holds content (`None` for blank and comment-only lines).
#[derive(Clone, Copy)]
struct Line {
    start: u32,
    len: u32,
    indent: Option<u32>,
}

impl Line {
    fn start(self) -> usize {
        self.start as usize
    }

    fn end(self) -> usize {
        (self.start + self.len) as usize
    }

    fn text(self, text: &str) -> &str {
        &text[self.start()..self.end()]
    }
}

/// Line breaks, for `lines_of` (one set; the other is empty).
struct LineBreaks;

impl StopSets for LineBreaks {
    #[inline]
    fn lanes(v: u8x16) -> [u8x16; 2] {
        [v.simd_eq(u8x16::splat(b'\n')), u8x16::splat(0)]
    }
}

/// Every line of the text.
fn lines_of(text: &str) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 24 + 1);
    // Lines are short: line breaks are found 64 bytes at a time (`Stops`), not by a vector
    // search set up for each line.
    let mut breaks = Stops::<LineBreaks>::new(bytes);
    let mut start = 0;
    while start < bytes.len() {
        let at = breaks.next(OUTSIDE, start);
        let mut end = at.unwrap_or(bytes.len());
        while end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        // Spaces end at the line's first other byte: its content, a `\r` or its line break
        // (or the end of the text).
        let spaces = leading_spaces(bytes, start);
        let content = bytes.get(start + spaces).filter(|_| start + spaces < end);
        out.push(Line {
            start: start as u32,
            len: (end - start) as u32,
            indent: content.is_some_and(|&b| b != b'#').then_some(spaces as u32),
        });
        match at {
            Some(at) => start = at + 1,
            None => break,
        }
    }
    out
}

/// How many spaces `bytes` holds from `start` on, eight at a time (an indent is most often
/// longer than a few bytes, and a byte loop paid a branch for each).
#[inline]
fn leading_spaces(bytes: &[u8], start: usize) -> usize {
    let mut n = start;
    while let Some(word) = bytes.get(n..n + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let other = word ^ u64::from_ne_bytes([b' '; 8]);
        if other != 0 {
            return n - start + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n - start + bytes[n..].iter().take_while(|&&b| b == b' ').count()
}

/// The byte offset where the block starting at line `i` (indentation `level`) ends: the end
/// of its last line with content, before the next line with content at `level` or less.
fn block_end(lines: &[Line], i: usize, level: u32) -> usize {
    let mut last = lines[i].end();
    for line in &lines[i + 1..] {
        match line.indent {
            Some(n) if n <= level => return last,
            Some(_) => last = line.end(),
            None => {}
        }
    }
    last
}

/// The first line starting after `end` (lines are in order: a binary search, so a template of
/// 100,000 resources is not scanned once per resource).
fn next_index(lines: &[Line], end: usize) -> usize {
    lines.partition_point(|line| line.start() <= end)
}

/// Targeted reading for JSON templates, as `relevant_only` is for YAML: `Outputs` becomes an
/// empty object and each resource of another AWS type keeps only its `Type` member (so
/// references to it resolve as in a full parse). `None` when the text is not plain JSON this
/// scanner can follow (comments, a syntax error) or nothing can be skipped: then it is parsed
/// whole.
pub fn relevant_only_json(text: &str) -> Option<Masked> {
    scan_json(text)?.masked
}

/// What one pass of the JSON scanner learns of a template.
pub struct JsonScan {
    /// The deepest bracket nesting, counted as `source::too_deep` counts it: the scanner
    /// follows only plain JSON (no comments, no line break in a string, no bracket outside
    /// one but JSON's), so the two agree, and the guard need not read the file again.
    pub deepest: usize,
    /// The text to parse (`relevant_only_json`), when something can be skipped.
    pub masked: Option<Masked>,
}

/// One pass over a JSON template: its nesting depth and its targeted text; `None` when the
/// text is not plain JSON this scanner can follow.
pub fn scan_json(text: &str) -> Option<JsonScan> {
    let mut scan = Json {
        b: text.as_bytes(),
        i: 0,
        stops: Stops::new(text.as_bytes()),
        marks: Marks::of(text.as_bytes(), false),
        level: 1,
        deepest: 1,
    };
    let mut skipped = Vec::new();
    scan.ws();
    scan.expect(b'{')?;
    scan.members(|scan, key| {
        match key {
            b"Resources" => scan.resources(&mut skipped)?,
            b"Outputs" => {
                let start = scan.i;
                scan.value()?;
                // `{ ... }` -> `{}`
                if scan.b[start] == b'{' {
                    skipped.push((start + 1, scan.i - 1));
                }
            }
            _ => scan.value()?,
        }
        Some(())
    })?;
    scan.ws();
    if scan.i != scan.b.len() {
        return None;
    }
    let masked = match skipped.is_empty() {
        true => None,
        false => {
            let (text, shifts) = crate::source::cut(text, &skipped)?;
            Some(Masked {
                text,
                shifts,
                skipped: Vec::new(),
            })
        }
    };
    Some(JsonScan {
        deepest: scan.deepest,
        masked,
    })
}

/// A byte scanner over JSON that finds value boundaries without building anything.
struct Json<'t> {
    b: &'t [u8],
    i: usize,
    stops: Stops<'t, JsonSets>,
    marks: Marks<'t>,
    /// Brackets open around the cursor, and the most there have been.
    level: usize,
    deepest: usize,
}

/// The bytes a container's scan stops at: quotes, brackets, and what plain JSON has no place
/// for outside a string (a comment, a parenthesis, which `too_deep` would count); and in a
/// string, its end, an escape, or a line break (which is not JSON). Found by `Stops`.
struct JsonSets;

impl StopSets for JsonSets {
    /// The nesting guard's sets, and `/` outside strings.
    #[inline]
    fn lanes(v: u8x16) -> [u8x16; 2] {
        let [outside, in_string] = GuardSets::lanes(v);
        [outside | v.simd_eq(u8x16::splat(b'/')), in_string]
    }
}

impl<'t> Json<'t> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&byte)).then(|| self.i += 1)
    }

    /// A string at the cursor; returns its raw content (escapes left as written). A line
    /// break in it is not JSON (and would end the string for `too_deep`): `None`.
    fn string(&mut self) -> Option<&'t [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            // An escape at the very end leaves the cursor past it: no stop there.
            let at = self.stops.next(IN_STRING, self.i)?;
            match self.b[at] {
                b'\\' => self.i = at + 2,
                b'"' => {
                    self.i = at + 1;
                    return Some(&self.b[start..at]);
                }
                _ => return None,
            }
        }
    }

    /// Skips one value of any kind.
    fn value(&mut self) -> Option<()> {
        match self.b.get(self.i)? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    self.i = self.stops.next_unquoted(self.i)?;
                    match self.b[self.i] {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => {
                            depth += 1;
                            self.deepest = self.deepest.max(self.level + depth);
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        // A comment or a parenthesis: leave it to the parser.
                        _ => return None,
                    }
                    self.i += 1;
                }
            }
            _ => {
                // A number, `true`, `false` or `null`.
                let start = self.i;
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
                {
                    self.i += 1;
                }
                (self.i > start).then_some(())
            }
        }
    }

    /// An object's members with the cursor on its `{`, one level deeper for them.
    fn object(&mut self, each: impl FnMut(&mut Self, &'t [u8]) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        self.level += 1;
        self.deepest = self.deepest.max(self.level);
        self.members(each)?;
        self.level -= 1;
        Some(())
    }

    /// The members of an object whose `{` was just read, up to and including its `}`; `each`
    /// is called with the cursor on the member's value.
    fn members(&mut self, mut each: impl FnMut(&mut Self, &'t [u8]) -> Option<()>) -> Option<()> {
        self.ws();
        if self.expect(b'}').is_some() {
            return Some(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            each(self, key)?;
            self.ws();
            match self.b.get(self.i)? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `Resources`: each resource of a non-RDS AWS type is blanked but for its `Type` member.
    fn resources(&mut self, skipped: &mut Vec<(usize, usize)>) -> Option<()> {
        if self.b.get(self.i) != Some(&b'{') {
            return self.value();
        }
        self.object(|scan, _| {
            if scan.b.get(scan.i) != Some(&b'{') {
                return scan.value();
            }
            let open = scan.i;
            let mut kind: Option<(usize, usize, &[u8])> = None;
            scan.object(|scan, key| {
                let start = scan.i;
                if key == b"Type" && scan.b.get(scan.i) == Some(&b'"') {
                    // Two `Type`s: a duplicate key the full parse must report.
                    if kind.is_some() {
                        return None;
                    }
                    let value = scan.string()?;
                    kind = Some((start, scan.i, value));
                    return Some(());
                }
                scan.value()
            })?;
            let close = scan.i - 1;
            if let Some((value_start, value_end, kind)) = kind {
                if kind.starts_with(b"AWS::")
                    && !kind.starts_with(b"AWS::RDS::")
                    && !std::str::from_utf8(kind).is_ok_and(super::nested::is_stack_type)
                    && !scan.marks.may_suppress(open, scan.i)
                {
                    // Back from the value to its `"Type"` key.
                    let key_start = scan.b[open..value_start]
                        .windows(6)
                        .rposition(|w| w == b"\"Type\"")?
                        + open;
                    skipped.push((open + 1, key_start));
                    skipped.push((value_end, close));
                }
            }
            Some(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_resources_and_outputs_are_cut_out() {
        let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: x}\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\nOutputs:\n  A:\n    Value: !Ref Db\n";
        let masked = relevant_only(text).unwrap();
        assert_eq!(
            masked.text,
            "Resources:\n\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n\n"
        );
        // What is left maps back to where it is in the file.
        let db = masked.text.find("  Db").unwrap();
        assert_eq!(masked.shifts.start(db), text.find("  Db").unwrap());
        assert_eq!(masked.skipped, ["Bucket"]);
        // Left to the parser: a duplicate logical ID, a key this scanner does not read.
        let twice =
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n  B:\n    Type: AWS::S3::Bucket\n";
        assert!(relevant_only(twice).is_none());
        let quoted = "Resources:\n  \"B\":\n    Type: AWS::S3::Bucket\n";
        assert!(relevant_only(quoted).is_none());
        let nested = "Resources:\n  Thing:\n    Properties:\n      Type: AWS::S3::Bucket\n    Type: Custom::X\n";
        assert!(relevant_only(nested).is_none());
        let anchored =
            "Resources:\n  Base:\n    Type: AWS::S3::Bucket\n    Properties: &p {A: 1}\n";
        assert!(relevant_only(anchored).is_none());
    }

    #[test]
    fn json_keeps_each_skipped_resource_s_type_and_stays_valid_json() {
        let text = r#"{"Resources": {"Q": {"Properties": {"T": ["a\"}", "]"]}, "Type": "AWS::SQS::Queue", "DependsOn": "D"}, "D": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql"}}}, "Outputs": {"O": {"Value": 1}}}"#;
        let masked = relevant_only_json(text).unwrap();
        assert_eq!(
            masked.text,
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}, "D": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql"}}}, "Outputs": {}}"#
        );
        let q = masked.text.find("{\"Type").unwrap();
        let close = q + "{\"Type\": \"AWS::SQS::Queue\"".len();
        assert_eq!(masked.shifts.start(close), text.find("}, \"D\"").unwrap());
        // Left to the full parser: comments, a duplicate `Type`, broken JSON, nothing to skip.
        for text in [
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", /* c */ "Properties": {}}}}"#,
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Type": "AWS::S3::Bucket"}}}"#,
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue""#,
            r#"{"Resources": {"D": {"Type": "AWS::RDS::DBInstance"}}}"#,
            // An escape as the last byte (found by the fuzz test: it used to slice past the end).
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "A": "\"#,
        ] {
            assert!(relevant_only_json(text).is_none(), "{text}");
        }
    }

    /// JSON-shaped text: nested arrays and objects of numbers, literals and strings that hold
    /// brackets, quotes and parentheses.
    fn json_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("1".to_string()),
            Just("true".to_string()),
            Just(r#""a\"(""#.to_string()),
            Just(r#""[{""#.to_string()),
        ];
        let value = leaf.prop_recursive(6, 40, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(", "))),
                proptest::collection::vec(inner, 0..4).prop_map(|items| {
                    let members: Vec<String> = items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("\"k{i}\": {v}"))
                        .collect();
                    format!("{{{}}}", members.join(",\n "))
                }),
            ]
        });
        (value.clone(), value).prop_map(|(resources, other)| {
            format!("{{\"Resources\": {{\"R\": {{\"Type\": \"AWS::S3::Bucket\", \"P\": {resources}}}}}, \"X\": {other}}}")
        })
    }

    #[test]
    fn a_text_of_many_marks_is_searched_block_by_block() {
        let text = format!("{}checkov{}", "&".repeat(MAX_MARKS + 1), "a".repeat(10));
        let marks = Marks::of(text.as_bytes(), true);
        assert!(marks.anchors.is_none() && marks.suppress.is_some());
        assert!(marks.anchor(0, 1) && !marks.anchor(MAX_MARKS + 1, text.len()));
        assert!(marks.may_suppress(MAX_MARKS, MAX_MARKS + 8));
    }

    proptest::proptest! {
        /// What the marks say of a block is what searching the block itself finds.
        #[test]
        fn marks_find_what_a_search_of_the_block_finds(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "intransit", "intran", "sit", "checkov", "check", "ov", "<<", "<", "&", "a", "\n",
            ]), 0..30),
            start in 0usize..120,
            len in 0usize..120,
        ) {
            let text = pieces.concat();
            let bytes = text.as_bytes();
            let start = start.min(bytes.len());
            let end = (start + len).min(bytes.len());
            let block = &bytes[start..end];
            let has = |needle: &[u8]| block.windows(needle.len()).any(|w| w == needle);
            let found = Marks::of(bytes, true);
            // And with every block searched on its own (a text with too many marks).
            let searched = Marks { text: bytes, suppress: None, anchors: None };
            for marks in [found, searched] {
                proptest::prop_assert_eq!(marks.may_suppress(start, end), has(b"intransit") || has(b"checkov"));
                proptest::prop_assert_eq!(marks.anchor(start, end), has(b"&") || has(b"<<"));
            }
        }
    }

    proptest::proptest! {
        /// Lines found by bitmask are those `str::split('\n')` gives, with their indents.
        #[test]
        fn lines_are_those_of_split(text in "[ a#\r\n:é-]{0,300}|(( {0,20})[a#\r\n:é-]{0,3}){0,30}") {
            let lines = lines_of(&text);
            let mut pieces: Vec<&str> = text.split('\n').collect();
            if pieces.last() == Some(&"") {
                pieces.pop();
            }
            proptest::prop_assert_eq!(lines.len(), pieces.len());
            for (line, piece) in lines.iter().zip(pieces) {
                let content = piece.trim_end_matches('\r');
                proptest::prop_assert_eq!(line.text(&text), content);
                let spaces = content.len() - content.trim_start_matches(' ').len();
                let rest = &content[spaces..];
                let indent = (!rest.is_empty() && !rest.starts_with('#')).then_some(spaces as u32);
                proptest::prop_assert_eq!(line.indent, indent);
            }
        }
    }

    proptest::proptest! {
        /// Where the scanner follows a text, the depth it measures is the one the nesting guard
        /// would find, so the guard can be skipped; with a byte put in anywhere, either the
        /// scanner gives up or the two still agree.
        #[test]
        fn the_json_scan_measures_depth_as_the_nesting_guard_does(
            text in json_text(),
            insert in proptest::option::of((0usize..400, proptest::sample::select(vec!['(', '#', '\n', '[', '"', '/']))),
        ) {
            let mut text = text;
            if let Some((at, byte)) = insert {
                let at = at.min(text.len());
                if text.is_char_boundary(at) {
                    text.insert(at, byte);
                }
            }
            if let Some(scan) = scan_json(&text) {
                // What is left of plain JSON is still JSON, with the skipped resource's type.
                if let (None, Some(masked)) = (insert, &scan.masked) {
                    let parsed = crate::tree::json::parse(&masked.text, crate::source::FileId(0));
                    proptest::prop_assert!(parsed.is_ok(), "{}", masked.text);
                    proptest::prop_assert!(masked.text.contains("\"Type\": \"AWS::S3::Bucket\""));
                }
                for limit in 0..9 {
                    proptest::prop_assert_eq!(
                        crate::source::too_deep(&text, limit).is_some(),
                        scan.deepest > limit,
                        "limit {}", limit
                    );
                }
            } else {
                proptest::prop_assert!(insert.is_some(), "the scanner gave up on plain JSON");
            }
        }
    }
}
