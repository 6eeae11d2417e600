//! JavaScript, TypeScript and JSX through oxc: types stripped, JSX to the automatic runtime,
//! React Refresh registration when hot reload is on.

use crate::{Compiled, Diagnostic, set_map_source, shift_map};
use metamon_mtm::line_column;
use oxc::allocator::Allocator;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::diagnostics::OxcDiagnostic;
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{
    JsxOptions, JsxRuntime, ReactRefreshOptions, TransformOptions, Transformer,
};
use oxc::transformer_plugins::{ReplaceGlobalDefines, ReplaceGlobalDefinesConfig};
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct ScriptOptions {
    /// Register components with React Refresh and make the module a refresh boundary.
    pub react_refresh: bool,
    /// Parse as TSX whatever the file name says (`.mtm` bodies).
    pub force_tsx: bool,
    /// The text the source map should embed (the whole `.mtm` file for `.mtm` bodies).
    pub original: Option<String>,
    /// `jsxDEV` from `react/jsx-dev-runtime` (with each element's file, line and column)
    /// rather than `jsx` from `react/jsx-runtime`.
    pub jsx_dev_runtime: bool,
    /// Global expressions replaced by code, as Vite's `define` (`process.env.NODE_ENV`).
    pub define: Vec<(String, String)>,
    /// The package JSX compiles against; `None`: `react`.
    pub jsx_import_source: Option<String>,
}

/// The defines of `entries` that are valid (a global name or property chain, and an
/// expression), and a message for each one that is not.
pub fn valid_defines(entries: &[(String, String)]) -> (Vec<(String, String)>, Vec<String>) {
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for (key, value) in entries {
        match ReplaceGlobalDefinesConfig::new(&[(key.as_str(), value.as_str())]) {
            Ok(_) => valid.push((key.clone(), value.clone())),
            Err(_) => invalid.push(format!(
                "`define` entry `{key}` = `{value}` is not a global name and an expression; ignored"
            )),
        }
    }
    (valid, invalid)
}

/// Compiles a script module. `file` names the module in diagnostics and the source map.
pub fn compile_script(
    file: &str,
    source: &str,
    options: &ScriptOptions,
) -> Result<Compiled, Vec<Diagnostic>> {
    let allocator = Allocator::default();
    let source_type = if options.force_tsx {
        SourceType::tsx()
    } else {
        match Path::new(file).extension().and_then(|e| e.to_str()) {
            Some("ts" | "mts") => SourceType::ts(),
            Some("tsx") => SourceType::tsx(),
            // Plain `.js` may hold JSX in React projects; parsing it as JSX costs nothing.
            _ => SourceType::jsx(),
        }
    };
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return Err(to_diagnostics(file, source, parsed.diagnostics.errors()));
    }
    let mut program = parsed.program;
    let semantic = SemanticBuilder::new()
        .with_excess_capacity(2.0)
        // The transformer needs enum values evaluated (it panics on `enum` otherwise).
        .with_enum_eval(true)
        .build(&program);
    let semantic_errors: Vec<&OxcDiagnostic> = semantic.diagnostics.errors().collect();
    if !semantic_errors.is_empty() {
        return Err(to_diagnostics(file, source, semantic_errors.into_iter()));
    }
    let mut scoping = semantic.semantic.into_scoping();
    // Defines first, on the code as written: the transformer adds identifiers without
    // references in its scoping, which the define pass cannot take (it panics on some of them).
    let defines: Vec<(String, String)> = crate::typescript::defines_used(source, &options.define)
        .into_iter()
        .cloned()
        .collect();
    if !defines.is_empty()
        && let Ok(config) = ReplaceGlobalDefinesConfig::new(&defines)
    {
        _ = ReplaceGlobalDefines::new(&allocator, config).build(scoping, &mut program);
        scoping = SemanticBuilder::new()
            .with_excess_capacity(2.0)
            .with_enum_eval(true)
            .build(&program)
            .semantic
            .into_scoping();
    }
    let transform = TransformOptions {
        jsx: JsxOptions {
            runtime: JsxRuntime::Automatic,
            development: options.jsx_dev_runtime,
            refresh: options.react_refresh.then(ReactRefreshOptions::default),
            import_source: options.jsx_import_source.clone(),
            ..JsxOptions::enable()
        },
        ..TransformOptions::default()
    };
    let path = Path::new(file);
    let transformed =
        Transformer::new(&allocator, path, &transform).build_with_scoping(scoping, &mut program);
    if transformed.diagnostics.has_errors() {
        return Err(to_diagnostics(
            file,
            source,
            transformed.diagnostics.errors(),
        ));
    }
    let scoping = transformed.scoping;
    let cached_elements = if options.react_refresh {
        crate::constant_elements::cache_constant_elements(&mut program, &scoping, &allocator)
    } else {
        0
    };
    let codegen_options = CodegenOptions {
        source_map_path: Some(path.to_path_buf()),
        ..CodegenOptions::default()
    };
    let generated = Codegen::new().with_options(codegen_options).build(&program);
    let mut map = generated
        .map
        .and_then(|m| serde_json::from_str(&m.to_json_string()).ok());
    let mut code = generated.code;
    let mut header = String::new();
    if cached_elements > 0 {
        header.push_str(&format!(
            "import {{ constantElements as __metamon_constantElements }} from \"/@metamon/react-refresh\";\n\
             const {} = __metamon_constantElements(import.meta.hot);\n",
            crate::constant_elements::ELEMENT
        ));
    }
    if options.react_refresh && code.contains("$RefreshReg$(") {
        let (refresh_header, footer) = refresh_wrapper(file);
        header.push_str(&refresh_header);
        code.push_str(&footer);
    }
    if !header.is_empty() {
        code = format!("{header}{code}");
        if let Some(map) = map.as_mut() {
            shift_map(map, header.lines().count());
        }
    }
    if let Some(map) = map.as_mut() {
        set_map_source(map, file, options.original.as_deref().unwrap_or(source));
    }
    Ok(Compiled {
        code,
        map,
        ..Compiled::default()
    })
}

/// What `@vitejs/plugin-react` wraps around a module with components, in fewer bytes (see
/// `runtime/react-refresh.js`): the transform's `$RefreshReg$`/`$RefreshSig$` calls bound to
/// this module in its own scope, and updates accepted while they keep it a component-only
/// module (else invalidated, so the importer takes the update).
fn refresh_wrapper(file: &str) -> (String, String) {
    let id =
        serde_json::to_string(&format!("/{}", file.trim_start_matches('/'))).unwrap_or_default();
    let header = format!(
        "import * as RefreshRuntime from \"/@metamon/react-refresh\";\n\
         const [$RefreshReg$, $RefreshSig$] = RefreshRuntime.refreshScope(import.meta.hot, {id});\n"
    );
    let footer = format!(
        "\nRefreshRuntime.inWebWorker || import.meta.hot?.accept(RefreshRuntime.refreshBoundary(import.meta, {id}));\n"
    );
    (header, footer)
}

pub(crate) fn to_diagnostics<'d>(
    file: &str,
    source: &str,
    errors: impl Iterator<Item = &'d OxcDiagnostic>,
) -> Vec<Diagnostic> {
    errors
        .map(|error| {
            let label = error
                .labels
                .iter()
                .find(|l| l.primary())
                .or_else(|| error.labels.first());
            let (offset, length) =
                label.map_or((0, 1), |l| (l.offset() as usize, l.len() as usize));
            let (line, column) = line_column(source, offset);
            let mut diagnostic =
                Diagnostic::new("syntax", file, line, column, error.message.to_string())
                    .with_length(length);
            if let Some(help) = &error.help {
                diagnostic = diagnostic.with_help(help.to_string());
            }
            diagnostic
        })
        .collect()
}
