//! The `.mtm` single-file component format: a YAML frontmatter between `---` lines, then a body
//! in the target framework's own syntax. [`parse`] turns a file's bytes into an [`MtmFile`] or
//! into diagnostics that point at the file's own lines.

mod diagnostic;
mod framework;
mod frontmatter;

pub use diagnostic::Diagnostic;
pub use framework::Framework;
pub use frontmatter::is_js_identifier;

use serde::Serialize;

/// A channel this component publishes: `emit(payload)` in the body publishes `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub event: String,
    pub emit: String,
}

/// A parsed `.mtm` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MtmFile {
    pub target: Framework,
    pub channels: Vec<Channel>,
    /// Declared props, in file order: name and type name.
    pub props: Vec<(String, String)>,
    pub styles: Vec<String>,
    pub route: Option<String>,
    pub layout: Option<String>,
    /// The body, exactly as written after the closing `---` line.
    pub body: String,
    /// The 1-based line of the `.mtm` file on which the body starts.
    pub body_line: usize,
}

impl MtmFile {
    /// The body with the frontmatter replaced by blank lines, so that line N of the result is
    /// line N of the `.mtm` file: compilers' errors and source maps then need no offsetting.
    pub fn padded_body(&self) -> String {
        let mut out = "\n".repeat(self.body_line - 1);
        out.push_str(&self.body);
        out
    }
}

/// Parses a `.mtm` file. `file` is the name used in diagnostics (and to read a target from
/// names like `Counter.react.mtm`).
pub fn parse(file: &str, bytes: &[u8]) -> Result<MtmFile, Vec<Diagnostic>> {
    let text = decode(file, bytes)?;
    let split = frontmatter::split(file, text)?;
    let front = frontmatter::read(file, split.yaml, split.yaml_line)?;
    let target = resolve_target(file, &front)?;
    let body_line = split.body_line;
    if split.body.trim().is_empty() {
        return Err(vec![
            Diagnostic::new(
                "mtm::empty-body",
                file,
                body_line,
                1,
                "the component body is empty",
            )
            .with_help(format!(
                "write the {target} component after the closing `---` line"
            )),
        ]);
    }
    Ok(MtmFile {
        target,
        channels: front.channels,
        props: front.props,
        styles: front.styles,
        route: front.route,
        layout: front.layout,
        body: split.body.to_string(),
        body_line,
    })
}

fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, Vec<Diagnostic>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let (line, column) = position_of_byte(bytes, error.valid_up_to());
            return Err(vec![
                Diagnostic::new(
                    "mtm::not-utf8",
                    file,
                    line,
                    column,
                    "this file is not UTF-8 text",
                )
                .with_help("a .mtm file must be saved as UTF-8"),
            ]);
        }
    };
    if let Some(index) = text.find('\0') {
        let (line, column) = position_of_byte(bytes, index);
        return Err(vec![Diagnostic::new(
            "mtm::binary",
            file,
            line,
            column,
            "this file contains binary data (a NUL byte), not component source",
        )]);
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

fn position_of_byte(bytes: &[u8], index: usize) -> (usize, usize) {
    let before = String::from_utf8_lossy(&bytes[..index]);
    line_column(&before, before.len())
}

/// 1-based line and column (in characters) of a byte offset in `source`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..source.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn resolve_target(
    file: &str,
    front: &frontmatter::Frontmatter,
) -> Result<Framework, Vec<Diagnostic>> {
    let from_name = Framework::from_file_name(file);
    match (&front.target, from_name) {
        (Some((declared, line, column)), Some(named)) if *declared != named => Err(vec![
            Diagnostic::new(
                "mtm::target-mismatch",
                file,
                *line,
                *column,
                format!("`target: {declared}` disagrees with the file name, which says `{named}`"),
            )
            .with_help("rename the file or change `target` so they agree"),
        ]),
        (Some((declared, _, _)), _) => Ok(*declared),
        (None, Some(named)) => Ok(named),
        (None, None) => Err(vec![
            Diagnostic::new("mtm::missing-target", file, 1, 1, "the frontmatter has no `target`")
                .with_help("add `target: react` (or vue, svelte, solid), or name the file like `Counter.react.mtm`"),
        ]),
    }
}

#[cfg(test)]
mod parser_properties;
#[cfg(test)]
mod tests;
