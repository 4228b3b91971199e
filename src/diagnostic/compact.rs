//! A settled finding as bytes: what a large run holds (or writes to its spill file) instead of
//! the finding itself, a third of the size and one allocation per file instead of a dozen per
//! finding. Only findings whose fix is resolved are encoded (a pending `FixRequest` needs the
//! model's terms, which reports never show); `decode(encode(f)) == f` for every other finding.
//!
//! The layout is private to one run: numbers little-endian `u32`, strings as length and UTF-8
//! bytes, options as a tag byte.

use std::sync::Arc;

use super::fix::{Applicability, Edit, Fix};
use super::{Finding, Label, ResourceInfo, RuleId, Severity};
use crate::source::{Excerpt, FileId, Span};

/// Appends `finding` to `out`; `false` (and `out` as it was) when it still carries a fix
/// request, which is not encoded.
pub fn encode(finding: &Finding, out: &mut Vec<u8>) -> bool {
    if finding.fix_request.is_some() {
        return false;
    }
    out.push(finding.rule.index() as u8);
    out.push(match finding.severity {
        Severity::Warning => 0,
        Severity::Error => 1,
    });
    string(out, &finding.message);
    label(out, &finding.primary);
    number(out, finding.related.len());
    for related in &finding.related {
        label(out, related);
    }
    optional(out, finding.help.as_deref());
    match &finding.resource {
        None => out.push(0),
        Some(resource) => {
            out.push(1);
            string(out, &resource.name);
            string(out, &resource.type_name);
            span(out, resource.header);
            span(out, resource.span);
            optional(out, resource.context.as_deref());
        }
    }
    for text in [
        &finding.engine,
        &finding.engine_version,
        &finding.parameter,
        &finding.value,
    ] {
        optional(out, text.as_deref());
    }
    match &finding.fix {
        None => out.push(0),
        Some(fix) => {
            out.push(match fix.applicability {
                Applicability::Safe => 1,
                Applicability::Unsafe => 2,
            });
            string(out, &fix.description);
            number(out, fix.edits.len());
            for edit in &fix.edits {
                span(out, edit.span);
                string(out, &edit.replacement);
            }
        }
    }
    number(out, finding.excerpts.len());
    for excerpt in &finding.excerpts {
        number(out, excerpt.file.0 as usize);
        number(out, excerpt.len as usize);
        match &excerpt.pieces {
            None => out.push(0),
            Some(pieces) => {
                out.push(1);
                number(out, pieces.len());
                for (start, text) in pieces {
                    number(out, *start as usize);
                    string(out, text);
                }
            }
        }
    }
    true
}

/// The finding `bytes` holds, as `encode` wrote it; `None` for bytes it did not write.
pub fn decode(bytes: &[u8]) -> Option<Finding> {
    let mut reader = Reader(bytes);
    let finding = reader.finding()?;
    reader.0.is_empty().then_some(finding)
}

fn number(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn string(out: &mut Vec<u8>, text: &str) {
    number(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

fn optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            string(out, text);
        }
    }
}

fn span(out: &mut Vec<u8>, span: Span) {
    for n in [span.file.0, span.start, span.end] {
        out.extend_from_slice(&n.to_le_bytes());
    }
}

fn label(out: &mut Vec<u8>, label: &Label) {
    span(out, label.span);
    string(out, &label.message);
}

struct Reader<'b>(&'b [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).ok().map(str::to_owned)
    }

    fn optional(&mut self) -> Option<Option<String>> {
        match self.byte()? {
            0 => Some(None),
            1 => self.string().map(Some),
            _ => None,
        }
    }

    fn span(&mut self) -> Option<Span> {
        Some(Span {
            file: FileId(self.u32()?),
            start: self.u32()?,
            end: self.u32()?,
        })
    }

    fn label(&mut self) -> Option<Label> {
        Some(Label {
            span: self.span()?,
            message: self.string()?,
        })
    }

    fn finding(&mut self) -> Option<Finding> {
        let rule = *RuleId::ALL.get(self.byte()? as usize)?;
        let severity = match self.byte()? {
            0 => Severity::Warning,
            1 => Severity::Error,
            _ => return None,
        };
        let message = self.string()?;
        let primary = self.label()?;
        let count = self.u32()? as usize;
        // Bounded by what the bytes can hold: a label is at least 16 bytes.
        let mut related = Vec::with_capacity(count.min(self.0.len() / 16));
        for _ in 0..count {
            related.push(self.label()?);
        }
        let help = self.optional()?;
        let resource = match self.byte()? {
            0 => None,
            1 => Some(Arc::new(ResourceInfo {
                name: self.string()?,
                type_name: self.string()?,
                header: self.span()?,
                span: self.span()?,
                context: self.optional()?.map(Arc::from),
            })),
            _ => return None,
        };
        let engine = self.optional()?;
        let engine_version = self.optional()?;
        let parameter = self.optional()?;
        let value = self.optional()?;
        let fix = match self.byte()? {
            0 => None,
            tag @ (1 | 2) => {
                let applicability = if tag == 1 {
                    Applicability::Safe
                } else {
                    Applicability::Unsafe
                };
                let description = self.string()?;
                let count = self.u32()? as usize;
                let mut edits = Vec::with_capacity(count.min(self.0.len() / 16));
                for _ in 0..count {
                    edits.push(Edit {
                        span: self.span()?,
                        replacement: self.string()?,
                    });
                }
                Some(Arc::new(Fix {
                    applicability,
                    description,
                    edits,
                }))
            }
            _ => return None,
        };
        let count = self.u32()? as usize;
        // An excerpt is at least 9 bytes, a piece at least 8.
        let mut excerpts = Vec::with_capacity(count.min(self.0.len() / 9));
        for _ in 0..count {
            let file = FileId(self.u32()?);
            let len = self.u32()?;
            let pieces = match self.byte()? {
                0 => None,
                1 => {
                    let count = self.u32()? as usize;
                    let mut pieces = Vec::with_capacity(count.min(self.0.len() / 8));
                    for _ in 0..count {
                        pieces.push((self.u32()?, self.string()?.into_boxed_str()));
                    }
                    Some(pieces)
                }
                _ => return None,
            };
            excerpts.push(Excerpt { file, len, pieces });
        }
        Some(Finding {
            rule,
            severity,
            message,
            primary,
            related,
            help,
            resource,
            engine,
            engine_version,
            parameter,
            value,
            fix_request: None,
            fix,
            excerpts: excerpts.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn span() -> impl Strategy<Value = Span> {
        (0u32..5, any::<u32>(), any::<u32>()).prop_map(|(file, start, end)| Span {
            file: FileId(file),
            start,
            end,
        })
    }

    fn label() -> impl Strategy<Value = Label> {
        (span(), ".{0,12}").prop_map(|(span, message)| Label { span, message })
    }

    fn finding() -> impl Strategy<Value = Finding> {
        let resource = proptest::option::of(
            (
                ".{0,8}",
                ".{0,8}",
                span(),
                span(),
                proptest::option::of(".{0,8}"),
            )
                .prop_map(|(name, type_name, header, span, context)| {
                    Arc::new(ResourceInfo {
                        name,
                        type_name,
                        header,
                        span,
                        context: context.map(Arc::from),
                    })
                }),
        );
        let fix = proptest::option::of(
            (
                any::<bool>(),
                ".{0,8}",
                proptest::collection::vec((span(), ".{0,8}"), 0..3),
            )
                .prop_map(|(safe, description, edits)| {
                    Arc::new(Fix {
                        applicability: if safe {
                            Applicability::Safe
                        } else {
                            Applicability::Unsafe
                        },
                        description,
                        edits: edits
                            .into_iter()
                            .map(|(span, replacement)| Edit { span, replacement })
                            .collect(),
                    })
                }),
        );
        let texts = proptest::collection::vec(proptest::option::of(".{0,10}"), 5);
        let excerpts = proptest::collection::vec(
            (
                0u32..5,
                any::<u32>(),
                proptest::option::of(proptest::collection::vec((any::<u32>(), ".{0,12}"), 0..3)),
            )
                .prop_map(|(file, len, pieces)| Excerpt {
                    file: FileId(file),
                    len,
                    pieces: pieces.map(|pieces| {
                        pieces
                            .into_iter()
                            .map(|(start, text)| (start, text.into_boxed_str()))
                            .collect()
                    }),
                }),
            0..3,
        );
        (
            0..RuleId::ALL.len(),
            any::<bool>(),
            ".{0,20}",
            label(),
            proptest::collection::vec(label(), 0..4),
            texts,
            resource,
            (fix, excerpts),
        )
            .prop_map(
                |(rule, error, message, primary, related, texts, resource, (fix, excerpts))| {
                    Finding {
                        rule: RuleId::ALL[rule],
                        severity: if error {
                            Severity::Error
                        } else {
                            Severity::Warning
                        },
                        message,
                        primary,
                        related,
                        help: texts[0].clone(),
                        resource,
                        engine: texts[1].clone(),
                        engine_version: texts[2].clone(),
                        parameter: texts[3].clone(),
                        value: texts[4].clone(),
                        fix_request: None,
                        fix,
                        excerpts: excerpts.into(),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn decodes_what_it_encodes(finding in finding()) {
            let mut bytes = vec![7];
            prop_assert!(encode(&finding, &mut bytes));
            prop_assert_eq!(decode(&bytes[1..]), Some(finding));
        }

        #[test]
        fn refuses_bytes_it_did_not_write(finding in finding(), cut in any::<prop::sample::Index>()) {
            let mut bytes = Vec::new();
            encode(&finding, &mut bytes);
            let cut = cut.index(bytes.len());
            prop_assert_eq!(decode(&bytes[..cut]), None);
            bytes.push(0);
            prop_assert_eq!(decode(&bytes), None);
        }
    }

    #[test]
    fn a_pending_fix_request_is_not_encoded() {
        let mut finding = Finding::new(
            RuleId::TlsDisabled,
            "m",
            Label::new(Span::new(FileId(0), 0, 1), "here"),
        );
        finding.fix_request = Some(Arc::new(crate::diagnostic::fix::FixRequest::SetValue {
            span: Span::new(FileId(0), 0, 1),
            parameter: "rds.force_ssl".into(),
            enabling: "1".into(),
        }));
        let mut bytes = vec![1, 2];
        assert!(!encode(&finding, &mut bytes));
        assert_eq!(bytes, [1, 2]);
    }
}
