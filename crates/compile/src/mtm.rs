//! `.mtm` files: the body goes to its framework's compiler with the Metamon hooks and the
//! channels' emit functions put in scope. The frontmatter becomes blank lines, and everything
//! injected goes on the (now blank) first line, so the compiler sees the `.mtm` file's own
//! line numbers: its errors and source maps need no mapping back.

use crate::frameworks::{BodyShape, Compiler, Descriptor, StateScope, descriptor};
use crate::{
    Compiled, Diagnostic, Options, ScriptOptions, WorkerPool, compile_script, js_string,
    local_state,
};
use metamon_mtm::{Channel, MtmFile};
use oxc::allocator::Allocator;
use oxc::ast::ast::{BindingPattern, Declaration, ImportDeclarationSpecifier, Statement};
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::GetSpan;
use oxc::span::SourceType;
use std::collections::HashSet;
use std::path::Path;

const HOOKS: [&str; 2] = ["useMetamonSignal", "useMetamonPubSub"];

pub(crate) fn compile_mtm(
    file: &str,
    path: &Path,
    bytes: &[u8],
    options: &Options,
    worker: &WorkerPool,
) -> Result<Compiled, Vec<Diagnostic>> {
    let parsed = metamon_mtm::parse(file, bytes)?;
    let original = String::from_utf8_lossy(bytes).into_owned();
    let padded = parsed.padded_body();
    check_body_shape(file, &padded, &parsed)?;
    check_emitters(file, &padded, &parsed)?;
    let framework = descriptor(parsed.target);
    let mut compiled = match framework.body {
        BodyShape::Module => {
            let (body, instrumented) = if options.dev {
                local_state::instrument(&padded, (0, padded.len()), framework)
            } else {
                (padded.clone(), false)
            };
            let mut prelude = prelude(&parsed, &top_level_bindings(&padded));
            if instrumented {
                prelude.push_str(framework.local_state.imports);
            }
            let source = inject_into_script(&body, &prelude);
            compile_component(framework, file, path, &source, &original, options, worker)?
        }
        BodyShape::SingleFile { .. } | BodyShape::Markup => {
            let instance = framework.body.instance_script().unwrap_or_default();
            let source = inject_into_sfc(&padded, &parsed, instance, options.dev);
            compile_component(framework, file, path, &source, &original, options, worker)?
        }
    };
    compiled.target = Some(parsed.target);
    let style_imports: String = parsed
        .styles
        .iter()
        .map(|style| format!("import {};\n", js_string(style)))
        .collect();
    compiled.code.insert_str(0, &style_imports);
    if let Some(map) = compiled.map.as_mut() {
        crate::shift_map(map, parsed.styles.len());
    }
    Ok(compiled)
}

/// Compiles a component's (prepared) source with its framework's compiler.
pub(crate) fn compile_component(
    framework: &Descriptor,
    file: &str,
    path: &Path,
    source: &str,
    original: &str,
    options: &Options,
    worker: &WorkerPool,
) -> Result<Compiled, Vec<Diagnostic>> {
    match framework.compiler {
        Compiler::Oxc => {
            let script = ScriptOptions {
                react_refresh: options.hmr,
                force_tsx: true,
                original: Some(original.to_string()),
                jsx_dev_runtime: options.jsx_dev_runtime,
                define: options.script_defines(),
                jsx_import_source: options.jsx_import_source.clone(),
            };
            compile_script(file, source, &script)
        }
        Compiler::Worker(kind) => {
            worker.compile_framework(kind, file, path, source, original, options)
        }
    }
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
        // The injected pub/sub hook knows its file: owner ids read `react:/src/Counter.mtm…`.
        let imports: Vec<String> = hooks
            .iter()
            .map(|hook| {
                if *hook == "useMetamonPubSub" {
                    format!("{hook} as __metamon_{hook}")
                } else {
                    hook.to_string()
                }
            })
            .collect();
        out.push_str(&format!(
            "import {{ {} }} from {};",
            imports.join(", "),
            js_string(descriptor(parsed.target).runtime_module)
        ));
        if hooks.contains(&"useMetamonPubSub") {
            out.push_str("const useMetamonPubSub = () => __metamon_useMetamonPubSub(import.meta);");
        }
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
        .map(|c| {
            format!(
                "{{ event: {}, emit: {} }}",
                js_string(&c.event),
                js_string(&c.emit)
            )
        })
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
fn inject_into_sfc(padded: &str, parsed: &MtmFile, setup_attribute: &str, dev: bool) -> String {
    let framework = descriptor(parsed.target);
    let (instrumented, carried) = match find_instance_script(padded, setup_attribute) {
        // Local state is carried across hot updates: dev only.
        Some((_, start, end)) if dev => local_state::instrument(padded, (start, end), framework),
        _ => (padded.to_string(), false),
    };
    let padded = instrumented.as_str();
    let script = find_instance_script(padded, setup_attribute);
    let content = script.map_or("", |(_, start, end)| &padded[start..end]);
    let mut code = prelude(parsed, &top_level_bindings(content));
    if carried {
        code.push_str(framework.local_state.imports);
        if let StateScope::InstanceScript { instance, .. } = framework.local_state.scope {
            code.push_str(instance);
        }
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

/// Native Svelte, Vue and Solid components carry their local state across hot updates the
/// same way `.mtm` ones do (their frameworks' own HMR would reset it). Only insertions on
/// existing lines, so positions in errors and maps stay the file's own.
pub(crate) fn carry_local_state(source: &str, framework: &Descriptor) -> String {
    let imports = framework.local_state.imports;
    match framework.body.instance_script() {
        Some(attribute) => {
            let Some((_, start, end)) = find_instance_script(source, attribute) else {
                return source.to_string();
            };
            let (instrumented, carried) = local_state::instrument(source, (start, end), framework);
            if !carried {
                return source.to_string();
            }
            let StateScope::InstanceScript { instance, .. } = framework.local_state.scope else {
                return source.to_string();
            };
            format!(
                "{}{imports}{instance}{}",
                &instrumented[..start],
                &instrumented[start..]
            )
        }
        None => {
            let (instrumented, carried) =
                local_state::instrument(source, (0, source.len()), framework);
            if !carried {
                return source.to_string();
            }
            format!("{imports}{instrumented}")
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

/// A body written for another framework (say, after `target` changed but the body did not)
/// would otherwise compile into something odd or fail deep in a compiler: say what is wrong.
fn check_body_shape(file: &str, padded: &str, parsed: &MtmFile) -> Result<(), Vec<Diagnostic>> {
    let first = padded
        .lines()
        .enumerate()
        .skip(parsed.body_line - 1)
        .find(|(_, line)| !line.trim().is_empty());
    let Some((index, first_line)) = first else {
        return Ok(());
    };
    let is_sfc =
        padded.contains("<template") || padded.contains("<script") || padded.contains("<style");
    let looks_like_module = {
        let allocator = Allocator::default();
        let program = Parser::new(&allocator, padded, SourceType::tsx()).parse();
        !program.panicked
            && !program.diagnostics.has_errors()
            && program
                .program
                .body
                .iter()
                .any(|s| matches!(s, Statement::ExportDefaultDeclaration(_)))
    };
    let framework = descriptor(parsed.target);
    let starts_with_block = first_line.trim_start().starts_with("<script")
        || first_line.trim_start().starts_with("<template");
    let wrong = match framework.body {
        BodyShape::Module => starts_with_block,
        BodyShape::SingleFile { .. } => !is_sfc,
        BodyShape::Markup => looks_like_module && !is_sfc,
    };
    let problem = wrong.then_some(framework.wrong_body);
    match problem {
        Some(message) => Err(vec![
            Diagnostic::new(
                "mtm::body-target",
                file,
                index + 1,
                1,
                format!(
                    "the body does not match `target: {}`: {message}",
                    parsed.target
                ),
            )
            .with_length(first_line.trim_end().chars().count())
            .with_help("rewrite the body for the new target, or change `target` back"),
        ]),
        None => Ok(()),
    }
}

/// A call of an emit function that no channel declares (say, one removed from the frontmatter)
/// would only fail when it runs: report it at the line of the call. Emit functions are named
/// `onSomething`; an undeclared global of that shape is taken to be one.
fn check_emitters(file: &str, padded: &str, parsed: &MtmFile) -> Result<(), Vec<Diagnostic>> {
    let (start, end) = match descriptor(parsed.target).body.instance_script() {
        None => (0, padded.len()),
        Some(attribute) => {
            find_instance_script(padded, attribute).map_or((0, 0), |(_, s, e)| (s, e))
        }
    };
    let script = &padded[start..end];
    let allocator = Allocator::default();
    let program = Parser::new(&allocator, script, SourceType::tsx()).parse();
    if program.panicked || program.diagnostics.has_errors() {
        return Ok(()); // the framework's compiler reports syntax errors
    }
    let semantic = SemanticBuilder::new()
        .with_build_nodes(true)
        .build(&program.program)
        .semantic;
    let mut errors = Vec::new();
    for (name, references) in semantic.scoping().root_unresolved_references() {
        let name = name.as_str();
        let looks_like_emitter =
            name.len() > 2 && name.starts_with("on") && name[2..].starts_with(char::is_uppercase);
        if !looks_like_emitter || parsed.channels.iter().any(|c| c.emit == name) {
            continue;
        }
        for reference in references {
            let node = semantic.scoping().get_reference(*reference).node_id();
            let offset = start + semantic.nodes().get_node(node).kind().span().start as usize;
            let (line, column) = crate::line_column(padded, offset);
            errors.push(
                Diagnostic::new(
                    "mtm::unknown-emit",
                    file,
                    line,
                    column,
                    format!(
                        "`{name}` is not defined: no channel in the frontmatter has `emit: {name}`"
                    ),
                )
                .with_length(name.len())
                .with_help(format!(
                    "add a channel with `emit: {name}` to the frontmatter, or remove the call"
                )),
            );
        }
    }
    errors.sort_by_key(|e| (e.line, e.column));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
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
