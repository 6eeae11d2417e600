//! Splits a `.mtm` file at its `---` lines and reads the YAML frontmatter with positions.

use crate::{Channel, Diagnostic, Framework};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

pub(crate) struct Split<'a> {
    pub yaml: &'a str,
    /// 1-based line of the file where the YAML starts.
    pub yaml_line: usize,
    pub body: &'a str,
    pub body_line: usize,
}

pub(crate) fn split<'a>(file: &str, text: &'a str) -> Result<Split<'a>, Vec<Diagnostic>> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(vec![
            Diagnostic::new("mtm::missing-frontmatter", file, 1, 1, "a .mtm file must start with a `---` line that opens the frontmatter")
                .with_length(first.trim_end().chars().count())
                .with_help("start the file with `---`, then `target: react` (or vue, svelte, solid), then `---`"),
        ]);
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        if line.trim_end() == "---" {
            let body_start = offset + line.len();
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_line: 2,
                body: &text[body_start..],
                body_line: index + 3,
            });
        }
        offset += line.len();
    }
    Err(vec![
        Diagnostic::new(
            "mtm::unterminated-frontmatter",
            file,
            1,
            1,
            "the frontmatter opened here is never closed",
        )
        .with_length(3)
        .with_help("add a `---` line after the frontmatter, before the component body"),
    ])
}

/// What the frontmatter says, validated.
#[derive(Default)]
pub(crate) struct Frontmatter {
    /// The declared target with its line and column.
    pub target: Option<(Framework, usize, usize)>,
    pub channels: Vec<Channel>,
    pub props: Vec<(String, String)>,
    pub styles: Vec<String>,
    pub route: Option<String>,
    pub layout: Option<String>,
}

const KEYS: [&str; 6] = ["target", "channels", "props", "styles", "route", "layout"];

struct Reader<'f> {
    file: &'f str,
    yaml_line: usize,
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn at(&self, node: &MarkedYaml) -> (usize, usize) {
        (
            self.yaml_line + node.span.start.line() - 1,
            node.span.start.col() + 1,
        )
    }

    fn error(&mut self, node: &MarkedYaml, code: &str, message: String, help: Option<String>) {
        let (line, column) = self.at(node);
        let length = node
            .span
            .end
            .index()
            .saturating_sub(node.span.start.index())
            .max(1);
        let mut diagnostic =
            Diagnostic::new(code, self.file, line, column, message).with_length(length);
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        self.errors.push(diagnostic);
    }

    fn string<'n>(&mut self, node: &'n MarkedYaml, what: &str) -> Option<&'n str> {
        match &node.data {
            YamlData::Value(Scalar::String(text)) => Some(text),
            _ => {
                self.error(
                    node,
                    "mtm::wrong-type",
                    format!("{what} must be a string, found {}", describe(node)),
                    None,
                );
                None
            }
        }
    }
}

pub(crate) fn read(
    file: &str,
    yaml: &str,
    yaml_line: usize,
) -> Result<Frontmatter, Vec<Diagnostic>> {
    let documents = MarkedYaml::load_from_str(yaml).map_err(|error| {
        let marker = error.marker();
        vec![Diagnostic::new(
            "mtm::yaml",
            file,
            yaml_line + marker.line().saturating_sub(1),
            marker.col() + 1,
            format!("the frontmatter is not valid YAML: {}", error.info()),
        )]
    })?;
    let mut reader = Reader {
        file,
        yaml_line,
        errors: Vec::new(),
    };
    let mut front = Frontmatter::default();
    let Some(root) = documents.first() else {
        return Ok(front);
    };
    let mapping = match &root.data {
        YamlData::Mapping(mapping) => mapping,
        YamlData::Value(Scalar::Null) => return Ok(front),
        _ => {
            reader.error(
                root,
                "mtm::wrong-type",
                format!(
                    "the frontmatter must be a mapping of keys (`target: react`), found {}",
                    describe(root)
                ),
                None,
            );
            return Err(reader.errors);
        }
    };
    for (key_node, value) in mapping {
        let Some(key) = reader.string(key_node, "a frontmatter key") else {
            continue;
        };
        match key {
            "target" => read_target(&mut reader, value, &mut front),
            "channels" => front.channels = read_channels(&mut reader, value),
            "props" => front.props = read_props(&mut reader, value),
            "styles" => front.styles = read_styles(&mut reader, value),
            "route" => {
                if let Some(route) = reader.string(value, "`route`") {
                    if route.starts_with('/') {
                        front.route = Some(route.to_string());
                    } else {
                        reader.error(
                            value,
                            "mtm::bad-route",
                            format!("`route` must start with `/`, found `{route}`"),
                            Some(format!("write `route: /{route}`")),
                        );
                    }
                }
            }
            "layout" => front.layout = reader.string(value, "`layout`").map(str::to_string),
            unknown => {
                let help = closest(unknown, &KEYS).map_or_else(
                    || format!("the known keys are {}", KEYS.join(", ")),
                    |near| format!("did you mean `{near}`?"),
                );
                reader.error(
                    key_node,
                    "mtm::unknown-key",
                    format!("unknown frontmatter key `{unknown}`"),
                    Some(help),
                );
            }
        }
    }
    if reader.errors.is_empty() {
        Ok(front)
    } else {
        Err(reader.errors)
    }
}

fn read_target(reader: &mut Reader, value: &MarkedYaml, front: &mut Frontmatter) {
    let Some(name) = reader.string(value, "`target`") else {
        return;
    };
    match Framework::from_name(name) {
        Some(target) => {
            let (line, column) = reader.at(value);
            front.target = Some((target, line, column));
        }
        None => {
            let names: Vec<&str> =
                ["react", "reactjs", "vue", "svelte", "solid", "solidjs"].to_vec();
            let help = match closest(name, &names) {
                Some(near) => format!("did you mean `{near}`? valid targets: {}", names.join(", ")),
                None => format!("valid targets: {}", names.join(", ")),
            };
            reader.error(
                value,
                "mtm::unknown-target",
                format!("unknown target `{name}`"),
                Some(help),
            );
        }
    }
}

fn read_channels(reader: &mut Reader, value: &MarkedYaml) -> Vec<Channel> {
    let mut channels: Vec<Channel> = Vec::new();
    let items = match &value.data {
        YamlData::Sequence(items) => items,
        YamlData::Value(Scalar::Null) => return channels,
        _ => {
            reader.error(
                value,
                "mtm::wrong-type",
                format!(
                    "`channels` must be a list of `- event: …, emit: …` entries, found {}",
                    describe(value)
                ),
                None,
            );
            return channels;
        }
    };
    for item in items {
        let YamlData::Mapping(fields) = &item.data else {
            reader.error(
                item,
                "mtm::wrong-type",
                format!(
                    "each channel must be a mapping with `event` and `emit`, found {}",
                    describe(item)
                ),
                Some("write `- event: userLogin` and `  emit: onUserLogin`".into()),
            );
            continue;
        };
        let (mut event, mut emit) = (None, None);
        for (key_node, field) in fields {
            match reader.string(key_node, "a channel key") {
                Some("event") => {
                    event = reader
                        .string(field, "`event`")
                        .map(|text| (text.to_string(), field))
                }
                Some("emit") => {
                    emit = reader
                        .string(field, "`emit`")
                        .map(|text| (text.to_string(), field))
                }
                Some(other) => {
                    let help = closest(other, &["event", "emit"]).map_or(
                        "a channel has only `event` and `emit`".to_string(),
                        |near| format!("did you mean `{near}`?"),
                    );
                    reader.error(
                        key_node,
                        "mtm::unknown-key",
                        format!("unknown channel key `{other}`"),
                        Some(help),
                    );
                }
                None => {}
            }
        }
        let (Some((event, event_node)), Some((emit, emit_node))) = (event, emit) else {
            reader.error(
                item,
                "mtm::incomplete-channel",
                "a channel needs both `event` and `emit`".into(),
                None,
            );
            continue;
        };
        if event.trim().is_empty() {
            reader.error(
                event_node,
                "mtm::bad-event",
                "`event` must not be empty".into(),
                None,
            );
        }
        if !is_js_identifier(&emit) {
            reader.error(
                emit_node,
                "mtm::bad-emit",
                format!("`emit: {emit}` is not a JavaScript identifier"),
                Some("use a name such as `onUserLogin`".into()),
            );
        } else if channels.iter().any(|c| c.emit == emit) {
            reader.error(
                emit_node,
                "mtm::duplicate-emit",
                format!("the emit function `{emit}` is declared twice"),
                None,
            );
        }
        if channels.iter().any(|c| c.event == event) {
            reader.error(
                event_node,
                "mtm::duplicate-event",
                format!("the event `{event}` is declared twice"),
                None,
            );
        }
        channels.push(Channel { event, emit });
    }
    channels
}

fn read_props(reader: &mut Reader, value: &MarkedYaml) -> Vec<(String, String)> {
    let mut props = Vec::new();
    match &value.data {
        YamlData::Mapping(fields) => {
            for (key_node, type_node) in fields {
                let Some(name) = reader.string(key_node, "a prop name") else {
                    continue;
                };
                if !is_js_identifier(name) {
                    reader.error(
                        key_node,
                        "mtm::bad-prop",
                        format!("the prop name `{name}` is not a JavaScript identifier"),
                        None,
                    );
                    continue;
                }
                if let Some(type_name) = reader.string(type_node, "a prop type") {
                    props.push((name.to_string(), type_name.to_string()));
                }
            }
        }
        YamlData::Value(Scalar::Null) => {}
        _ => reader.error(
            value,
            "mtm::wrong-type",
            format!(
                "`props` must be a mapping of prop name to type (`title: string`), found {}",
                describe(value)
            ),
            None,
        ),
    }
    props
}

fn read_styles(reader: &mut Reader, value: &MarkedYaml) -> Vec<String> {
    match &value.data {
        YamlData::Sequence(items) => items
            .iter()
            .filter_map(|item| reader.string(item, "a `styles` entry").map(str::to_string))
            .collect(),
        YamlData::Value(Scalar::String(path)) => vec![path.to_string()],
        YamlData::Value(Scalar::Null) => Vec::new(),
        _ => {
            reader.error(
                value,
                "mtm::wrong-type",
                format!(
                    "`styles` must be a list of stylesheet paths, found {}",
                    describe(value)
                ),
                None,
            );
            Vec::new()
        }
    }
}

fn describe(node: &MarkedYaml) -> &'static str {
    match &node.data {
        YamlData::Value(Scalar::String(_)) => "a string",
        YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) => "a number",
        YamlData::Value(Scalar::Boolean(_)) => "a boolean",
        YamlData::Value(Scalar::Null) => "nothing",
        YamlData::Sequence(_) => "a list",
        YamlData::Mapping(_) => "a mapping",
        _ => "an unsupported YAML value",
    }
}

const RESERVED: [&str; 48] = [
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "implements",
    "interface",
    "package",
    "private",
    "protected",
    "public",
    "await",
    "arguments",
    "eval",
];

/// Whether `name` can name a binding in a module (strict mode: no reserved word).
pub fn is_js_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        && !RESERVED.contains(&name)
}

/// The known name closest to `word`, if it is close enough to be a likely typo.
fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (levenshtein(&word.to_lowercase(), k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}
