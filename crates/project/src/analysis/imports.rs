//! Finds what a compiled module imports (static, re-exports, dynamic with a literal) and which
//! updates it accepts (`import.meta.hot.accept(…)`), with byte spans for the rewriter.

use metamon_compile::Framework;
use oxc::allocator::Allocator;
use oxc::ast::ast::{
    Argument, CallExpression, Expression, ImportDeclarationSpecifier, ImportExpression, Statement,
};
use oxc::ast_visit::{Visit, walk};
use oxc::span::{GetSpan, SourceType, Span};

/// `import a, { b as c } from "x"` / `import * as n from "x"`: what the statement binds, so a
/// CommonJS dependency's exports can be bound the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bindings {
    pub default: Option<String>,
    pub namespace: Option<String>,
    /// (imported name, local name)
    pub named: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub specifier: String,
    /// The string literal, quotes included.
    pub literal: (usize, usize),
    /// For `import … from` statements with bindings: the whole statement and its bindings.
    pub statement: Option<((usize, usize), Bindings)>,
    /// `import('…')`: loaded when the code runs, not with the module.
    pub dynamic: bool,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub imports: Vec<Import>,
    pub self_accepting: bool,
    pub accepted_deps: Vec<AcceptedDep>,
}

/// A dependency named in `import.meta.hot.accept('./dep', …)`: the server writes the dependency's
/// URL over the literal, so the page matches it with the updates it receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedDep {
    pub specifier: String,
    /// The string literal, quotes included.
    pub literal: (usize, usize),
}

pub fn scan(code: &str) -> Result<Scan, String> {
    scan_as(code, SourceType::mjs())
}

/// What a source file imports, before any compile: a script as its extension says (TypeScript,
/// JSX), a single-file component (`.vue`, `.svelte`, a `.mtm` body with blocks) by its
/// `<script>` blocks. Vite's dependency scan reads files the same way. A file that does not
/// parse has no imports here; its compile reports why.
pub fn source_imports(path: &str, text: &str) -> Vec<Import> {
    let (body, component) = if path.ends_with(".mtm") {
        let Ok(file) = metamon_mtm::parse(path, text.as_bytes()) else {
            return Vec::new();
        };
        let blocks = matches!(file.target, Framework::Vue | Framework::Svelte);
        (file.body, blocks)
    } else {
        let blocks = path.ends_with(".vue") || path.ends_with(".svelte");
        (text.to_string(), blocks)
    };
    let (code, source_type) = if component {
        (script_blocks(&body), SourceType::tsx())
    } else {
        let source_type = SourceType::from_path(path).unwrap_or_else(|_| SourceType::tsx());
        (body, source_type)
    };
    scan_as(&code, source_type.with_module(true)).map_or_else(|_| Vec::new(), |scan| scan.imports)
}

/// The contents of a component's `<script>` blocks, one after the other.
fn script_blocks(text: &str) -> String {
    let mut code = String::new();
    for script in super::html::script_elements(text) {
        code.push_str(&text[script.content]);
        code.push_str(";\n");
    }
    code
}

fn scan_as(code: &str, source_type: SourceType) -> Result<Scan, String> {
    let allocator = Allocator::default();
    let parsed = super::parse_module_as(&allocator, code, source_type)?;
    let mut scanner = Scanner::default();
    for statement in &parsed.program.body {
        match statement {
            Statement::ImportDeclaration(import) => {
                let bindings =
                    import
                        .specifiers
                        .as_ref()
                        .filter(|s| !s.is_empty())
                        .map(|specifiers| {
                            let mut bindings = Bindings::default();
                            for specifier in specifiers {
                                match specifier {
                                    ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                                        bindings.default = Some(s.local.name.to_string())
                                    }
                                    ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                                        bindings.namespace = Some(s.local.name.to_string())
                                    }
                                    ImportDeclarationSpecifier::ImportSpecifier(s) => {
                                        bindings.named.push((
                                            s.imported.name().to_string(),
                                            s.local.name.to_string(),
                                        ))
                                    }
                                }
                            }
                            (range(import.span), bindings)
                        });
                scanner.push(
                    import.source.value.as_str(),
                    import.source.span,
                    bindings,
                    false,
                );
            }
            Statement::ExportFromDeclaration(export) => scanner.push(
                export.source.value.as_str(),
                export.source.span,
                None,
                false,
            ),
            Statement::ExportAllDeclaration(export) => scanner.push(
                export.source.value.as_str(),
                export.source.span,
                None,
                false,
            ),
            _ => {}
        }
    }
    scanner.visit_program(&parsed.program);
    scanner.scan.imports.sort_by_key(|import| import.literal.0);
    scanner.scan.imports.dedup_by_key(|import| import.literal.0);
    Ok(scanner.scan)
}

#[derive(Default)]
struct Scanner {
    scan: Scan,
}

impl Scanner {
    fn push(
        &mut self,
        specifier: &str,
        span: Span,
        statement: Option<((usize, usize), Bindings)>,
        dynamic: bool,
    ) {
        self.scan.imports.push(Import {
            specifier: specifier.to_string(),
            literal: range(span),
            statement,
            dynamic,
        });
    }
}

impl Scanner {
    fn accept_dep(&mut self, dep: &oxc::ast::ast::StringLiteral) {
        self.scan.accepted_deps.push(AcceptedDep {
            specifier: dep.value.to_string(),
            literal: range(dep.span),
        });
    }
}

impl<'a> Visit<'a> for Scanner {
    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        if let Expression::StringLiteral(literal) = &it.source {
            self.push(literal.value.as_str(), literal.span, None, true);
        }
        walk::walk_import_expression(self, it);
    }

    // `import.meta.hot?.accept(…)` is a call inside a chain expression.
    fn visit_chain_expression(&mut self, it: &oxc::ast::ast::ChainExpression<'a>) {
        if let oxc::ast::ast::ChainElement::CallExpression(call) = &it.expression {
            self.visit_call_expression(call);
            return;
        }
        walk::walk_chain_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if is_hot_accept(&it.callee) {
            match it.arguments.first() {
                Some(Argument::StringLiteral(dep)) => self.accept_dep(dep),
                Some(Argument::ArrayExpression(deps)) => {
                    for element in &deps.elements {
                        if let Some(Expression::StringLiteral(dep)) = element.as_expression() {
                            self.accept_dep(dep);
                        }
                    }
                }
                _ => self.scan.self_accepting = true,
            }
        }
        walk::walk_call_expression(self, it);
    }
}

/// `import.meta.hot.accept`, also with optional chaining (`import.meta.hot?.accept`).
fn is_hot_accept(callee: &Expression) -> bool {
    let Expression::StaticMemberExpression(accept) = callee.without_parentheses() else {
        return false;
    };
    if accept.property.name != "accept" {
        return false;
    }
    let Expression::StaticMemberExpression(hot) = accept.object.without_parentheses() else {
        return false;
    };
    hot.property.name == "hot" && matches!(&hot.object, Expression::ImportMeta(_))
}

fn range(span: Span) -> (usize, usize) {
    let span = span.span();
    (span.start as usize, span.end as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_imports_of_source_files_before_any_compile() {
        let specifiers = |path: &str, text: &str| -> Vec<(String, bool)> {
            source_imports(path, text)
                .into_iter()
                .map(|import| (import.specifier, import.dynamic))
                .collect()
        };
        let vue = "<template><Chart :data=\"d\" /></template>\n<script setup lang=\"ts\">\nimport Chart from 'chart-lib';\nconst d: number[] = [];\nconst later = () => import('./Later.vue');\n</script>\n<style>p { color: red }</style>\n";
        assert_eq!(
            specifiers("/src/A.vue", vue),
            [("chart-lib".into(), false), ("./Later.vue".into(), true)]
        );
        let svelte = "<script module>\nexport const x = 1;\n</script>\n<script>\nimport { fade } from 'svelte/transition';\n</script>\n<p transition:fade>hi</p>\n";
        assert_eq!(
            specifiers("/src/B.svelte", svelte),
            [("svelte/transition".into(), false)]
        );
        let tsx = "import { format } from 'date-lib';\nconst el = <b>{format(1 as number)}</b>;\n";
        assert_eq!(specifiers("/src/C.tsx", tsx), [("date-lib".into(), false)]);
        let mtm = "---\ntarget: vue\n---\n<script setup>\nimport Icon from './Icon.vue';\n</script>\n<template><Icon /></template>\n";
        assert_eq!(
            specifiers("/src/D.mtm", mtm),
            [("./Icon.vue".into(), false)]
        );
        let react_mtm = "---\ntarget: react\n---\nimport { useQuery } from 'query-lib';\nexport default function D() { return <p>{useQuery()}</p>; }\n";
        assert_eq!(
            specifiers("/src/E.mtm", react_mtm),
            [("query-lib".into(), false)]
        );
        assert_eq!(specifiers("/src/F.jsx", "import {"), []);
    }

    #[test]
    fn finds_imports_and_accepts() {
        let code = "import React, { useState as us } from 'react';\nimport './a.css';\nexport * from \"./b.js\";\nconst m = import('./lazy.jsx');\nimport.meta.hot.accept();\nimport.meta.hot.accept('./dep.js', () => {});\n";
        let scan = scan(code).unwrap();
        let specifiers: Vec<&str> = scan.imports.iter().map(|i| i.specifier.as_str()).collect();
        assert_eq!(specifiers, ["react", "./a.css", "./b.js", "./lazy.jsx"]);
        let bindings = &scan.imports[0].statement.as_ref().unwrap().1;
        assert_eq!(bindings.default.as_deref(), Some("React"));
        assert_eq!(bindings.named, [("useState".to_string(), "us".to_string())]);
        assert!(scan.self_accepting);
        let accepted: Vec<&str> = scan
            .accepted_deps
            .iter()
            .map(|d| d.specifier.as_str())
            .collect();
        assert_eq!(accepted, ["./dep.js"]);
        let dep = &scan.accepted_deps[0];
        assert_eq!(&code[dep.literal.0..dep.literal.1], "'./dep.js'");
        assert_eq!(
            &code[scan.imports[1].literal.0..scan.imports[1].literal.1],
            "'./a.css'"
        );
    }

    #[test]
    fn finds_accepts_written_with_optional_chaining() {
        let code = "import.meta.hot?.accept('./child', ({ foo }) => {});\nimport.meta.hot?.accept();\n(import.meta.hot)?.accept(['./a', './b']);\n";
        let scan = scan(code).unwrap();
        let accepted: Vec<&str> = scan
            .accepted_deps
            .iter()
            .map(|d| d.specifier.as_str())
            .collect();
        assert_eq!(accepted, ["./child", "./a", "./b"]);
        assert!(scan.self_accepting);
    }
}
