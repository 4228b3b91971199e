//! What the terminal allows: colour (flags, then `NO_COLOR`, `FORCE_COLOR`/`CLICOLOR_FORCE`,
//! then whether stdout is a terminal that is not `TERM=dumb`) and the width to wrap at (the
//! flag, the terminal's size, `COLUMNS`, else 100).

use std::io::IsTerminal;

use super::args::Color;

/// Whether to colour output going to stdout (`to_stdout`: not `-o FILE`).
pub fn color(flag: Option<Color>, no_color: bool, to_stdout: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    match flag {
        Some(Color::Always) => true,
        Some(Color::Never) => false,
        _ if no_color => false,
        _ if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => false,
        _ if set("FORCE_COLOR") || set("CLICOLOR_FORCE") => true,
        _ => {
            to_stdout
                && std::io::stdout().is_terminal()
                && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
        }
    }
}

/// The width to wrap at: `--line-width`, else the terminal's (when stdout is one), else 100.
pub fn width(flag: Option<u16>, to_stdout: bool) -> usize {
    if let Some(width) = flag {
        return width as usize;
    }
    if to_stdout && std::io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return (w as usize).max(40);
        }
        // A terminal that reports no size: `COLUMNS`, as shells set it.
        if let Some(columns) = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse::<usize>().ok())
        {
            return columns.max(40);
        }
    }
    100
}
