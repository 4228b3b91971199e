//! `intransit explain`: a rule page (`docs/rules/<id>.md`) formatted for a terminal (headings,
//! paragraphs and lists wrapped to the width, code blocks indented and never wrapped), or the
//! Markdown as it is.

/// Formats one page. `color` underlines headings and dims code.
pub fn render(markdown: &str, width: usize, color: bool) -> String {
    let width = width.max(40);
    let mut out = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut in_code = false;
    let style = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let flush = |paragraph: &mut Vec<&str>, out: &mut String| {
        if paragraph.is_empty() {
            return;
        }
        let text = paragraph.join(" ");
        let (first, rest, body) = match text.strip_prefix("- ") {
            Some(item) => ("  • ", "    ", item.to_string()),
            None => ("", "", text),
        };
        for (i, line) in wrap(&body, width - first.len().max(rest.len()))
            .iter()
            .enumerate()
        {
            out.push_str(if i == 0 { first } else { rest });
            out.push_str(line);
            out.push('\n');
        }
        paragraph.clear();
    };
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            flush(&mut paragraph, &mut out);
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str("    ");
            out.push_str(&style(line, "2"));
            out.push('\n');
            continue;
        }
        if let Some(heading) = line.strip_prefix("# ") {
            flush(&mut paragraph, &mut out);
            out.push_str(&style(heading.trim(), "1;4"));
            out.push_str("\n\n");
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            flush(&mut paragraph, &mut out);
            out.push_str(&style(heading.trim(), "1"));
            out.push('\n');
            continue;
        }
        if line.trim().is_empty() {
            flush(&mut paragraph, &mut out);
            if !out.ends_with("\n\n") && !out.is_empty() {
                out.push('\n');
            }
            continue;
        }
        // A list item starts its own paragraph; a continuation line joins it.
        if line.starts_with("- ") {
            flush(&mut paragraph, &mut out);
        }
        paragraph.push(line.trim());
    }
    flush(&mut paragraph, &mut out);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Greedy word wrap at `width` characters; a word longer than the width gets its own line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut length = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if length > 0 && length + 1 + n > width {
            lines.push(std::mem::take(&mut line));
            length = 0;
        }
        if length > 0 {
            line.push(' ');
            length += 1;
        }
        line.push_str(word);
        length += n;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_wrap_and_keep_code() {
        let page = "# rule\n\nSeverity: error\n\n## Why\n\nA long sentence that goes on and on past the width of the terminal it is shown in.\n\n```yaml\nResources:  # a comment that is long and must not be wrapped at all, ever, ever\n```\n\n- an item\n  that continues\n";
        let text = render(page, 40, false);
        assert!(text
            .lines()
            .all(|l| l.chars().count() <= 40 || l.starts_with("    ")));
        assert!(text.contains("    Resources:  # a comment"));
        assert!(text.contains("  • an item that continues"));
    }
}
