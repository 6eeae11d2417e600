//! Type stripping for code a framework compiler produced from a `lang="ts"` block (Vue's
//! `compileScript` keeps the types): oxc removes them, and its source map is composed with the
//! framework compiler's so positions still name the component file's lines.

use crate::Diagnostic;
use crate::script::to_diagnostics;
use oxc::allocator::Allocator;
use oxc::codegen::{Codegen, CodegenOptions};
use oxc::parser::Parser;
use oxc::semantic::SemanticBuilder;
use oxc::span::SourceType;
use oxc::transformer::{TransformOptions, Transformer};
use oxc_sourcemap::{SourceMap, SourceMapBuilder};
use serde_json::Value;
use std::path::Path;

/// `code` without its TypeScript syntax. `map` (from `code` to the component file) comes back
/// composed with the stripping, so it maps the returned code to the component file.
pub(crate) fn strip_types(
    file: &str,
    code: &str,
    map: Option<&Value>,
) -> Result<(String, Option<Value>), Vec<Diagnostic>> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, code, SourceType::ts()).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return Err(to_diagnostics(file, code, parsed.diagnostics.errors()));
    }
    let mut program = parsed.program;
    let scoping = SemanticBuilder::new()
        .with_enum_eval(true)
        .build(&program)
        .semantic
        .into_scoping();
    let path = Path::new(file);
    let transformed = Transformer::new(&allocator, path, &TransformOptions::default())
        .build_with_scoping(scoping, &mut program);
    if transformed.diagnostics.has_errors() {
        return Err(to_diagnostics(file, code, transformed.diagnostics.errors()));
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
        let (out, composed) = strip_types("src/A.vue", code, Some(&map)).unwrap();
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
        let errors = strip_types("src/A.vue", "let x: = 1;\n", None).unwrap_err();
        assert_eq!(errors[0].file, "src/A.vue");
    }
}
