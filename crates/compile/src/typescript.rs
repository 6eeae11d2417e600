//! What a framework compiler's output still needs, done by oxc: type stripping for code
//! produced from a `lang="ts"` block (Vue's `compileScript` keeps the types), and Vite's
//! `define` replaced (as the plain-script path does); the source map is composed with the
//! framework compiler's so positions still name the component file's lines.

use crate::Diagnostic;
use crate::script::to_diagnostics;
use oxc::allocator::Allocator;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{TransformOptions, Transformer};
use oxc::transformer_plugins::{ReplaceGlobalDefines, ReplaceGlobalDefinesConfig};
use oxc_sourcemap::{SourceMap, SourceMapBuilder};
use serde_json::Value;
use std::path::Path;

/// The defines of `define` that `code` may use (its text names the expression's first part):
/// the others cannot change it, and skipping them saves a parse of most outputs.
pub(crate) fn defines_used<'a>(
    code: &str,
    define: &'a [(String, String)],
) -> Vec<&'a (String, String)> {
    define
        .iter()
        .filter(|(key, _)| code.contains(key.split('.').next().unwrap_or(key)))
        .collect()
}

/// `code` without its TypeScript syntax (when `typescript`) and with `define` replaced. `map`
/// (from `code` to the component file) comes back composed with the rewrite, so it maps the
/// returned code to the component file.
pub(crate) fn finish_output(
    file: &str,
    code: &str,
    map: Option<&Value>,
    typescript: bool,
    define: &[&(String, String)],
) -> Result<(String, Option<Value>), Vec<Diagnostic>> {
    let allocator = Allocator::default();
    let source_type = if typescript {
        SourceType::ts()
    } else {
        SourceType::mjs()
    };
    let parsed = Parser::new(&allocator, code, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return Err(to_diagnostics(file, code, parsed.diagnostics.errors()));
    }
    let mut program = parsed.program;
    let semantic = |program: &oxc::ast::ast::Program| {
        SemanticBuilder::new()
            .with_enum_eval(true)
            .build(program)
            .semantic
            .into_scoping()
    };
    // Defines first, on the code as the framework compiler wrote it: the TypeScript transform
    // adds identifiers that have no references in its scoping, which the define pass expects.
    let entries: Vec<(String, String)> = define.iter().map(|&entry| entry.clone()).collect();
    if !entries.is_empty()
        && let Ok(config) = ReplaceGlobalDefinesConfig::new(&entries)
    {
        _ = ReplaceGlobalDefines::new(&allocator, config).build(semantic(&program), &mut program);
    }
    let path = Path::new(file);
    if typescript {
        let transformed = Transformer::new(&allocator, path, &TransformOptions::default())
            .build_with_scoping(semantic(&program), &mut program);
        if transformed.diagnostics.has_errors() {
            return Err(to_diagnostics(file, code, transformed.diagnostics.errors()));
        }
    }
    let options = CodegenOptions {
        source_map_path: map.is_some().then(|| path.to_path_buf()),
        ..CodegenOptions::default()
    };
    let generated = Codegen::new().with_options(options).build(&program);
    let composed = match (generated.map, map) {
        (Some(stripped), Some(original)) => compose(&stripped, original),
        _ => None,
    };
    Ok((generated.code, composed))
}

/// Each position of `outer` (stripped code → typed code) looked up in `inner` (typed code →
/// component file).
fn compose(outer: &SourceMap, inner: &Value) -> Option<Value> {
    let inner_json = serde_json::to_string(inner).ok()?;
    let inner = SourceMap::from_json_string(&inner_json).ok()?;
    let table = inner.generate_lookup_table();
    let mut builder = SourceMapBuilder::default();
    let sources: Vec<(&str, &str)> = (0..inner.get_sources().len() as u32)
        .map(|id| {
            let source = inner.get_source(id).unwrap_or_default();
            (source, inner.get_source_content(id).unwrap_or_default())
        })
        .collect();
    for (source, content) in &sources {
        builder.add_source_and_content(source, content);
    }
    for token in outer.get_tokens() {
        let Some(found) = inner.lookup_token(&table, token.get_src_line(), token.get_src_col())
        else {
            continue;
        };
        if found.get_source_id().is_none() {
            continue;
        }
        builder.add_token(
            token.get_dst_line(),
            token.get_dst_col(),
            found.get_src_line(),
            found.get_src_col(),
            found.get_source_id(),
            None,
        );
    }
    serde_json::from_str(&builder.into_sourcemap().to_json_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_go_and_lines_stay_mapped() {
        // A typed module whose line n maps to line 9 + n (0-based) of a component file.
        let code = "const count: number = 1;\ninterface Props { a: string }\nexport function add(x: number): number {\n  return x + count + Size.Large;\n}\nenum Size { Small = 1, Large }\n";
        let mappings = "AASA;AACA;AACA;AACA;AACA";
        let map = serde_json::json!({"version": 3, "sources": ["/src/A.vue"], "sourcesContent": [""], "names": [], "mappings": mappings});
        let (out, composed) = finish_output("src/A.vue", code, Some(&map), true, &[]).unwrap();
        assert!(
            !out.contains(": number") && !out.contains("interface"),
            "{out}"
        );
        assert!(out.contains("return x + count + Size.Large;"), "{out}");
        assert!(
            out.contains("Size[Size[\"Large\"] = 2] = \"Large\""),
            "enums compile: {out}"
        );
        let composed = SourceMap::from_json(
            serde_json::from_value::<oxc_sourcemap::JSONSourceMap>(composed.unwrap()).unwrap(),
        )
        .unwrap();
        let table = composed.generate_lookup_table();
        // `return x + count;` is on line 3 (0-based) of the output and line 3 of the typed code,
        // which is line 12 (0-based) of the component file.
        let line = out.lines().position(|l| l.contains("return x")).unwrap() as u32;
        let token = composed.lookup_token(&table, line, 4).unwrap();
        assert_eq!(token.get_src_line(), 12);
        assert_eq!(composed.get_source(0), Some("/src/A.vue"));
    }

    #[test]
    fn a_syntax_error_is_a_diagnostic() {
        let errors = finish_output("src/A.vue", "let x: = 1;\n", None, true, &[]).unwrap_err();
        assert_eq!(errors[0].file, "src/A.vue");
    }

    #[test]
    fn defines_are_replaced_in_framework_output() {
        // A Svelte-like output reading a define and NODE_ENV; a local `__APP__` is not a global.
        let code = "const version = __APP__;\nif (process.env.NODE_ENV !== 'production') log(version);\nfunction f(__APP__) { return __APP__; }\n";
        let define = vec![
            ("__APP__".to_string(), "\"1.2.3\"".to_string()),
            (
                "process.env.NODE_ENV".to_string(),
                "\"development\"".to_string(),
            ),
            ("__UNUSED__".to_string(), "1".to_string()),
        ];
        let used = defines_used(code, &define);
        assert_eq!(used.len(), 2, "a define the code never names is skipped");
        let (out, _) = finish_output("src/A.svelte", code, None, false, &used).unwrap();
        assert!(out.contains("const version = \"1.2.3\""), "{out}");
        assert!(
            out.contains("if (\"development\" !== \"production\")"),
            "{out}"
        );
        assert!(
            out.contains("return __APP__"),
            "a shadowing parameter is left alone: {out}"
        );
    }
}
