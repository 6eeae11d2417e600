//! Errors as values: a message that points at a file, line and column, with a code frame.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;
use std::fmt;

/// One problem in one file. Lines and columns are 1-based; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A short stable name for the kind of problem (`mtm::unknown-key`, `syntax`, …).
    pub code: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// How many characters the problem spans (at least 1), for underlining.
    pub length: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        code: &str,
        file: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.to_string(),
            file: file.to_string(),
            line: line.max(1),
            column: column.max(1),
            length: 1,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_length(mut self, length: usize) -> Self {
        self.length = length.max(1);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A code frame of `source` around the problem, rendered by miette; `color` for terminals.
    pub fn render(&self, source: &str, color: bool) -> String {
        let first = self.line.saturating_sub(3);
        if source
            .lines()
            .skip(first)
            .take(5)
            .any(|line| line.len() > MAX_FRAME_LINE)
        {
            // miette cannot pad to a column that far (and a frame that wide helps nobody).
            return format!("{self}\n{}", self.frame(source));
        }
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(2);
        let report = Report {
            diagnostic: self,
            source: NamedSource::new(&self.file, source.to_string()),
            offset: self.byte_offset(source),
        };
        let mut out = String::new();
        if handler.render_report(&mut out, &report).is_err() {
            out = self.to_string();
        }
        out
    }

    /// Just the code frame lines (no message header), for the browser overlay.
    pub fn frame(&self, source: &str) -> String {
        let lines: Vec<&str> = source.lines().collect();
        let first = self.line.saturating_sub(3);
        let last = (self.line + 2).min(lines.len());
        let width = last.to_string().len();
        let mut out = String::new();
        for (index, text) in lines.iter().enumerate().take(last).skip(first) {
            let number = index + 1;
            let marker = if number == self.line { '>' } else { ' ' };
            let focus = if number == self.line { self.column } else { 1 };
            let (text, column) = clip_line(text, focus);
            out.push_str(&format!("{marker} {number:>width$} | {text}\n"));
            if number == self.line {
                let pad = " ".repeat(column.saturating_sub(1) + width + 5);
                out.push_str(&format!("{pad}{}\n", "^".repeat(self.length.min(80))));
            }
        }
        out
    }

    fn byte_offset(&self, source: &str) -> SourceSpan {
        let mut offset = 0;
        for (index, line) in source.split_inclusive('\n').enumerate() {
            if index + 1 == self.line {
                let column: usize = line.chars().take(self.column - 1).map(char::len_utf8).sum();
                let length: usize = line[column.min(line.len())..]
                    .chars()
                    .take(self.length)
                    .map(char::len_utf8)
                    .sum();
                return SourceSpan::new((offset + column).into(), length);
            }
            offset += line.len();
        }
        SourceSpan::new(source.len().into(), 0)
    }
}

/// Lines longer than this (in bytes) are cut to a window around the column in code frames.
const MAX_FRAME_LINE: usize = 240;

/// `line` cut to at most `MAX_FRAME_LINE` characters around the 1-based `column` (with `…` where
/// cut), and the column within the cut text.
fn clip_line(line: &str, column: usize) -> (String, usize) {
    if line.len() <= MAX_FRAME_LINE {
        return (line.to_string(), column);
    }
    let count = line.chars().count();
    let half = MAX_FRAME_LINE / 2;
    let start = column
        .saturating_sub(1)
        .saturating_sub(half)
        .min(count.saturating_sub(MAX_FRAME_LINE));
    let mut text: String = line.chars().skip(start).take(MAX_FRAME_LINE).collect();
    let mut column = column - start.min(column.saturating_sub(1));
    if start > 0 {
        text.insert(0, '…');
        column += 1;
    }
    if start + MAX_FRAME_LINE < count {
        text.push('…');
    }
    (text, column)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
    offset: SourceSpan,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diagnostic.fmt(f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.diagnostic.code))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = format!(
            "{}:{}:{}",
            self.diagnostic.file, self.diagnostic.line, self.diagnostic.column
        );
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label),
            self.offset,
        ))))
    }
}

#[cfg(test)]
mod long_line_tests {
    use super::*;

    #[test]
    fn a_problem_far_into_a_ten_megabyte_line_renders_a_short_frame() {
        let source = format!("const x = \"{}\n", "a".repeat(10 * 1024 * 1024));
        let diagnostic = Diagnostic::new("syntax", "big.jsx", 1, 10 * 1024 * 1024, "unterminated");
        let rendered = diagnostic.render(&source, false);
        assert!(
            rendered.starts_with("big.jsx:1:10485760: unterminated"),
            "{rendered:.300}"
        );
        assert!(rendered.len() < 1000, "{} bytes", rendered.len());
        let frame = diagnostic.frame(&source);
        assert!(frame.contains('…') && frame.len() < 1000, "{frame}");
        assert!(
            frame
                .lines()
                .nth(1)
                .is_some_and(|caret| caret.trim() == "^")
        );
    }
}
