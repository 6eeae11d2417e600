//! Property tests of the import rewriter on hostile module text: `metamon_project::analysis::imports::scan`
//! never panics, and `transform::render` of what it found (any URLs) never panics, keeps the
//! code between imports as it was, and writes every import's URL.

use crate::deps::DepsMetadata;
use crate::graph::{Graph, ImportTarget, ResolvedImport, Transformed};
use crate::transform::render;
use metamon_project::analysis::imports::scan;
use proptest::prelude::*;

fn specifier() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("react".to_string()),
        Just("./A.vue".to_string()),
        Just("../x/é漢🦀.js".to_string()),
        Just("\\\"\\'\\\\".to_string()),
        Just("\\u{1F980}".to_string()),
        Just("".to_string()),
        "[a-z./@-]{0,12}",
        "\\PC{0,8}",
    ]
}

fn quote() -> impl Strategy<Value = char> {
    prop_oneof![Just('"'), Just('\'')]
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        (specifier(), quote()).prop_map(|(s, q)| format!("import {q}{s}{q};\n")),
        (specifier(), quote())
            .prop_map(|(s, q)| format!("import a, {{ b as c, d }} from {q}{s}{q};\n")),
        (specifier(), quote()).prop_map(|(s, q)| format!("import * as ns from {q}{s}{q}\n")),
        (specifier(), quote()).prop_map(|(s, q)| format!("export {{ x }} from {q}{s}{q};")),
        (specifier(), quote()).prop_map(|(s, q)| format!("export * from {q}{s}{q};")),
        (specifier(), quote()).prop_map(|(s, q)| format!("const m = import({q}{s}{q});")),
        (specifier(), quote())
            .prop_map(|(s, q)| format!("import.meta.hot.accept({q}{s}{q}, () => {{}});")),
        Just("import.meta.hot.accept();\n".to_string()),
        Just("import.meta.hot.accept([\"./a.js\", 3, `t`]);".to_string()),
        Just("const t = `import x from \"y\" ${'${'}1}`;".to_string()),
        Just("/* import \"no\" */ // import \"no\"\n".to_string()),
        Just("const s = \"é漢🦀\";\n".to_string()),
        Just("import(foo);".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        "[ -~]{0,30}",
        "\\PC{0,12}",
    ]
}

fn module_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..20).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn scan_and_render_never_panic(code in module_text(), urls in prop::collection::vec("\\PC{0,10}", 1..4)) {
        let Ok(found) = scan(&code) else { return Ok(()) };
        let imports: Vec<ResolvedImport> = found
            .imports
            .iter()
            .enumerate()
            .map(|(index, import)| ResolvedImport {
                literal: import.literal,
                statement: import.statement.clone(),
                target: ImportTarget::Url(urls[index % urls.len()].clone()),
                dynamic: import.dynamic,
            })
            .collect();
        for import in &imports {
            prop_assert!(import.literal.0 < import.literal.1 && import.literal.1 <= code.len());
            prop_assert!(code.is_char_boundary(import.literal.0) && code.is_char_boundary(import.literal.1));
        }
        let transformed = Transformed { code: code.clone(), imports, ..Transformed::default() };
        let out = render("/src/Gen.js", &transformed, &Graph::default(), &DepsMetadata::default());
        for import in &transformed.imports {
            let ImportTarget::Url(url) = &import.target else { unreachable!() };
            prop_assert!(out.contains(&metamon_compile::js_string(url)), "{url} missing from {out}");
        }
        if transformed.imports.is_empty() && !code.contains("import.meta") {
            prop_assert_eq!(out, code);
        }
    }

    #[test]
    fn scan_of_arbitrary_text_never_panics(code in "\\PC{0,400}") {
        let _ = scan(&code);
    }
}
