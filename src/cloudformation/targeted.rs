//! Targeted reading for YAML and JSON templates: the verdict reads only RDS resources, nested
//! stacks (to find their templates), `Parameters`, `Mappings` and `Conditions`, so other
//! resources and `Outputs` are blanked before parsing (line breaks and byte offsets kept: spans are those of the full text). Most
//! of a real template is unrelated resources, and blanks cost the parser far less than nodes.
//! Skipped resources stay declared, so `Ref` and `Fn::GetAtt` of them resolve as in a full
//! parse: YAML returns their logical IDs, JSON keeps their `Type` member.

/// What targeted reading leaves to parse.
pub struct Masked {
    pub text: String,
    /// Logical IDs of the resources blanked out of `text` entirely (YAML).
    pub skipped: Vec<String>,
}

/// The text with unread blocks blanked, or `None` when nothing can be skipped safely.
pub fn relevant_only(text: &str) -> Option<Masked> {
    let lines: Vec<(usize, &str)> = line_starts(text);
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut skipped_names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        if indent(line) == Some(0) && line.starts_with("Outputs:") {
            let end = block_end(&lines, i, 0);
            skipped.push((start, end));
            i = next_index(&lines, end);
            continue;
        }
        if indent(line) == Some(0) && line.trim_end() == "Resources:" {
            i += 1;
            let Some(child) = lines[i..].iter().find_map(|(_, l)| indent(l)) else {
                break;
            };
            if child == 0 {
                continue;
            }
            while i < lines.len() {
                let (start, line) = lines[i];
                match indent(line) {
                    None => i += 1,
                    Some(n) if n < child => break,
                    Some(n) if n > child => return None,
                    Some(_) => {
                        let end = block_end(&lines, i, child);
                        // A key this scanner does not read: leave the file to the parser.
                        let name = logical_id(&line[child..])?;
                        names.push(name);
                        // A suppression comment on the line above belongs to this resource.
                        let above = lines[..i].iter().rev().find(|(_, l)| !l.trim().is_empty());
                        let suppressed_above =
                            above.is_some_and(|(_, l)| may_suppress(l.as_bytes()));
                        if !suppressed_above && is_unread_resource(&text[start..end]) {
                            skipped.push((start, end));
                            skipped_names.push(name.to_string());
                        }
                        i = next_index(&lines, end);
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
    Some(Masked {
        text: crate::source::blank(text, &skipped)?,
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

/// A resource block whose `Type` (at the indentation of its first entry, not a nested key)
/// is an AWS type other than RDS, and that defines no anchor an alias could use.
fn is_unread_resource(block: &str) -> bool {
    let mut body = block.lines().skip(1).filter(|l| indent(l).is_some());
    let Some(first) = body.clone().next() else {
        return false;
    };
    let level = indent(first).unwrap_or(0);
    let Some(type_line) =
        body.find(|l| indent(l) == Some(level) && l[level..].starts_with("Type:"))
    else {
        return false;
    };
    let kind = type_line[level + "Type:".len()..]
        .trim()
        .trim_matches(['"', '\'']);
    kind.starts_with("AWS::")
        && !kind.starts_with("AWS::RDS::")
        && !super::nested::is_stack_type(kind)
        && !block.contains('&')
        && !block.contains("<<")
        && !may_suppress(block.as_bytes())
}

/// Whether a block may hold a suppression (a comment or `Metadata`): such a resource is read,
/// so the suppression keeps its owner and can be reported as unused.
fn may_suppress(block: &[u8]) -> bool {
    memchr::memmem::find(block, b"intransit").is_some()
        || memchr::memmem::find(block, b"checkov").is_some()
}

/// Offsets of each line's start and the line without its break.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
}

/// Indentation of a line that holds content; `None` for blank and comment-only lines.
fn indent(line: &str) -> Option<usize> {
    let content = line.trim_start_matches(' ');
    if content.is_empty() || content.starts_with('#') {
        return None;
    }
    Some(line.len() - content.len())
}

/// The byte offset where the block starting at line `i` (indentation `level`) ends: the start
/// of the next line with content at `level` or less.
fn block_end(lines: &[(usize, &str)], i: usize, level: usize) -> usize {
    let mut last = lines[i].0 + lines[i].1.len();
    for (start, line) in &lines[i + 1..] {
        match indent(line) {
            Some(n) if n <= level => return last,
            Some(_) => last = start + line.len(),
            None => {}
        }
    }
    last
}

/// The first line starting after `end` (lines are in order: a binary search, so a template of
/// 100,000 resources is not scanned once per resource).
fn next_index(lines: &[(usize, &str)], end: usize) -> usize {
    lines.partition_point(|(start, _)| *start <= end)
}

/// Targeted reading for JSON templates, as `relevant_only` is for YAML: `Outputs` becomes an
/// empty object and each resource of another AWS type keeps only its `Type` member (so
/// references to it resolve as in a full parse); blanked bytes become spaces, so the JSON
/// stays valid and offsets stay those of the full text. `None` when the text is not plain
/// JSON this scanner can follow (comments, a syntax error): then it is parsed whole.
pub fn relevant_only_json(text: &str) -> Option<Masked> {
    let mut scan = Json {
        b: text.as_bytes(),
        i: 0,
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
                // `{ ... }` -> `{     }`
                if scan.b[start] == b'{' {
                    skipped.push((start + 1, scan.i - 1));
                }
            }
            _ => scan.value()?,
        }
        Some(())
    })?;
    scan.ws();
    if scan.i != scan.b.len() || skipped.is_empty() {
        return None;
    }
    Some(Masked {
        text: crate::source::blank(text, &skipped)?,
        skipped: Vec::new(),
    })
}

/// A byte scanner over JSON that finds value boundaries without building anything.
struct Json<'t> {
    b: &'t [u8],
    i: usize,
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

    /// A string at the cursor; returns its raw content (escapes left as written).
    fn string(&mut self) -> Option<&'t [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            // `get`: an escape at the very end leaves the cursor past it.
            let at = self.i + memchr::memchr2(b'"', b'\\', self.b.get(self.i..)?)?;
            if self.b[at] == b'\\' {
                self.i = at + 2;
            } else {
                self.i = at + 1;
                return Some(&self.b[start..at]);
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
                    match self.b.get(self.i)? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        b'/' => return None, // a comment: leave it to the parser
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                let start = self.i;
                while let Some(b) = self.b.get(self.i) {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
                (self.i > start).then_some(())
            }
        }
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
        self.i += 1;
        self.members(|scan, _| {
            if scan.b.get(scan.i) != Some(&b'{') {
                return scan.value();
            }
            let open = scan.i;
            scan.i += 1;
            let mut kind: Option<(usize, usize, &[u8])> = None;
            scan.members(|scan, key| {
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
                    && !may_suppress(&scan.b[open..scan.i])
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
    fn unread_resources_and_outputs_are_blanked() {
        let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: x}\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\nOutputs:\n  A:\n    Value: !Ref Db\n";
        let masked = relevant_only(text).unwrap();
        assert_eq!(masked.text.len(), text.len());
        assert!(!masked.text.contains("S3") && !masked.text.contains("Outputs"));
        assert!(masked.text.contains("AWS::RDS::DBInstance"));
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
    fn json_keeps_each_skipped_resource_s_type_and_stays_valid() {
        let text = r#"{"Resources": {"Q": {"Properties": {"T": ["a\"}", "]"]}, "Type": "AWS::SQS::Queue", "DependsOn": "D"}, "D": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql"}}}, "Outputs": {"O": {"Value": 1}}}"#;
        let masked = relevant_only_json(text).unwrap().text;
        assert_eq!(masked.len(), text.len());
        assert_eq!(
            masked,
            r#"{"Resources": {"Q": {                                    "Type": "AWS::SQS::Queue"                  }, "D": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "mysql"}}}, "Outputs": {                 }}"#
        );
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
}
