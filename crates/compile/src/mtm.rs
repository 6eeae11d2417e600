//! `.mtm` files: the body goes to its framework's compiler with the Metamon hooks and the
//! channels' emit functions put in scope. The frontmatter becomes blank lines, and everything
//! injected goes on the (now blank) first line, so the compiler sees the `.mtm` file's own
//! line numbers: its errors and source maps need no mapping back.

use crate::{
    Compiled, Diagnostic, NodeWorker, Options, ScriptOptions, Target, WorkerKind, compile_script,
    local_state,
};
use metamon_mtm::{Channel, MtmFile};
use oxc::allocator::Allocator;
use oxc::ast::ast::{BindingPattern, Declaration, ImportDeclarationSpecifier, Statement};
use oxc::parser::Parser;
use oxc::span::SourceType;
use std::collections::HashSet;
use std::path::Path;

const HOOKS: [&str; 2] = ["useMetamonSignal", "useMetamonPubSub"];

pub(crate) fn compile_mtm(
    file: &str,
    path: &Path,
    bytes: &[u8],
    options: &Options,
    worker: &NodeWorker,
) -> Result<Compiled, Vec<Diagnostic>> {
    let parsed = metamon_mtm::parse(file, bytes)?;
    let original = String::from_utf8_lossy(bytes).into_owned();
    let padded = parsed.padded_body();
    let mut compiled = match parsed.target {
        Target::React | Target::Solid => {
            let (body, instrumented) =
                local_state::instrument(&padded, (0, padded.len()), parsed.target);
            let mut prelude = prelude(&parsed, &top_level_bindings(&padded));
            if instrumented {
                prelude.push_str(if parsed.target == Target::React {
                    "import { useLocalState as __metamon_useLocalState } from \"metamon/react\";"
                } else {
                    "import { localInstance as __metamon_localInstance } from \"metamon/local\";"
                });
            }
            let source = inject_into_script(&body, &prelude);
            if parsed.target == Target::React {
                let script = ScriptOptions {
                    react_refresh: options.hmr,
                    force_tsx: true,
                    original: Some(original.clone()),
                };
                compile_script(file, &source, &script)?
            } else {
                worker.compile_framework(
                    WorkerKind::Solid,
                    file,
                    path,
                    &source,
                    &original,
                    options,
                )?
            }
        }
        Target::Vue => {
            let source = inject_into_sfc(&padded, &parsed, "setup");
            worker.compile_framework(WorkerKind::Vue, file, path, &source, &original, options)?
        }
        Target::Svelte => {
            let source = inject_into_sfc(&padded, &parsed, "");
            worker.compile_framework(WorkerKind::Svelte, file, path, &source, &original, options)?
        }
    };
    compiled.target = Some(parsed.target);
    let style_imports: String = parsed
        .styles
        .iter()
        .map(|style| format!("import {};\n", json(style)))
        .collect();
    compiled.code.insert_str(0, &style_imports);
    if let Some(map) = compiled.map.as_mut() {
        crate::shift_map(map, parsed.styles.len());
    }
    Ok(compiled)
}

/// The imports and emit functions a body needs, minus what it already binds itself.
fn prelude(parsed: &MtmFile, bound: &HashSet<String>) -> String {
    let hooks: Vec<&str> = HOOKS
        .iter()
        .copied()
        .filter(|hook| !bound.contains(*hook))
        .collect();
    let mut out = String::new();
    if !hooks.is_empty() {
        out.push_str(&format!(
            "import {{ {} }} from {};",
            hooks.join(", "),
            json(parsed.target.runtime_module())
        ));
    }
    if !parsed.channels.is_empty() {
        out.push_str(&channels_code(&parsed.channels, bound));
    }
    out
}

/// Registers the channels with the bus and binds each `emit` name to a publisher of its event.
fn channels_code(channels: &[Channel], bound: &HashSet<String>) -> String {
    let list: Vec<String> = channels
        .iter()
        .map(|c| format!("{{ event: {}, emit: {} }}", json(&c.event), json(&c.emit)))
        .collect();
    let names: Vec<&str> = channels
        .iter()
        .map(|c| c.emit.as_str())
        .filter(|name| !bound.contains(*name))
        .collect();
    let call = format!(
        "__metamon_defineChannels(import.meta, [{}])",
        list.join(", ")
    );
    let binding = if names.is_empty() {
        format!("{call};")
    } else {
        format!("const {{ {} }} = {call};", names.join(", "))
    };
    format!("import {{ defineChannels as __metamon_defineChannels }} from \"metamon\";{binding}")
}

/// React and Solid bodies are scripts: the first line is blank (it held `---`).
fn inject_into_script(padded: &str, prelude: &str) -> String {
    format!("{prelude}{padded}")
}

/// Vue and Svelte bodies are whole components: the prelude goes right after the instance
/// `<script …>` tag (on the same line), or into a new `<script>` on the blank first line.
fn inject_into_sfc(padded: &str, parsed: &MtmFile, setup_attribute: &str) -> String {
    let (instrumented, carried) = match find_instance_script(padded, setup_attribute) {
        Some((_, start, end)) => local_state::instrument(padded, (start, end), parsed.target),
        None => (padded.to_string(), false),
    };
    let padded = instrumented.as_str();
    let script = find_instance_script(padded, setup_attribute);
    let content = script.map_or("", |(_, start, end)| &padded[start..end]);
    let mut code = prelude(parsed, &top_level_bindings(content));
    if carried {
        code.push_str("import { localInstance as __metamon_localInstance } from \"metamon/local\";const __metamon_local = __metamon_localInstance(import.meta, \"default\");");
    }
    if code.is_empty() {
        return padded.to_string();
    }
    match script {
        Some((_, start, _)) => format!("{}{code}{}", &padded[..start], &padded[start..]),
        None => {
            let lang = if padded.contains("lang=\"ts\"") {
                " lang=\"ts\""
            } else {
                ""
            };
            let tag = if setup_attribute.is_empty() {
                format!("<script{lang}>")
            } else {
                format!("<script {setup_attribute}{lang}>")
            };
            format!("{tag}{code}</script>{padded}")
        }
    }
}

/// The instance `<script>` block: (tag start, content start, content end). For Vue it is the one
/// with `setup`; for Svelte the one without `module`/`context="module"`.
fn find_instance_script(source: &str, setup_attribute: &str) -> Option<(usize, usize, usize)> {
    let mut from = 0;
    while let Some(relative) = source[from..].find("<script") {
        let tag_start = from + relative;
        let tag_end = tag_start + source[tag_start..].find('>')? + 1;
        let tag = &source[tag_start..tag_end];
        let content_end = tag_end
            + source[tag_end..]
                .find("</script>")
                .unwrap_or(source.len() - tag_end);
        let wanted = if setup_attribute.is_empty() {
            !tag.contains("module")
        } else {
            tag.contains(setup_attribute)
        };
        if wanted {
            return Some((tag_start, tag_end, content_end));
        }
        from = tag_end;
    }
    None
}

/// Names declared or imported at the top level of a script (parsed leniently as TSX).
fn top_level_bindings(script: &str) -> HashSet<String> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, script, SourceType::tsx()).parse();
    let mut names = HashSet::new();
    for statement in &parsed.program.body {
        match statement {
            Statement::ImportDeclaration(import) => {
                for specifier in import.specifiers.iter().flatten() {
                    let local = match specifier {
                        ImportDeclarationSpecifier::ImportSpecifier(s) => &s.local,
                        ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => &s.local,
                        ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => &s.local,
                    };
                    names.insert(local.name.to_string());
                }
            }
            Statement::VariableDeclaration(declaration) => add_declarators(&mut names, declaration),
            Statement::FunctionDeclaration(function) => {
                names.extend(function.id.as_ref().map(|id| id.name.to_string()))
            }
            Statement::ClassDeclaration(class) => {
                names.extend(class.id.as_ref().map(|id| id.name.to_string()))
            }
            Statement::ExportDeclaration(export) => match &export.declaration {
                Declaration::VariableDeclaration(declaration) => {
                    add_declarators(&mut names, declaration)
                }
                Declaration::FunctionDeclaration(function) => {
                    names.extend(function.id.as_ref().map(|id| id.name.to_string()))
                }
                _ => {}
            },
            _ => {}
        }
    }
    names
}

fn add_declarators(names: &mut HashSet<String>, declaration: &oxc::ast::ast::VariableDeclaration) {
    for declarator in &declaration.declarations {
        if let BindingPattern::BindingIdentifier(id) = &declarator.id {
            names.insert(id.name.to_string());
        }
    }
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}
