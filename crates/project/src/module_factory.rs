//! A served ES module as a factory for the page's module registry (bundled dev serving): the
//! same code, with imports read from the registry and exports installed as getters, so many
//! modules travel in one response and still evaluate with ES-module semantics.
//!
//! ```js
//! (function(__i,__e,__s,__meta,__dyn){"use strict";__e({"default":()=>App});const __0=__i(0);
//! function App() { return (0,__0.jsx)(__0.Child, {}); }   // imports → live member reads
//! })
//! ```
//!
//! `__i(n)` evaluates and returns `deps[n]` (imports are hoisted, in source order, as ESM
//! evaluates them), `__e` installs the export getters first (a cycle sees hoisted functions),
//! `__s` is `export *`, `__meta` is `import.meta` and `__dyn` is `import()`. Edits never add or
//! remove a line, so the module's source map still holds line for line.

use crate::text_edits::TextEdits;
use oxc::allocator::Allocator;
use oxc::ast::AstKind;
use oxc::ast::ast::{
    ArrowFunctionExpression, AwaitExpression, Declaration, ExportDefaultDeclarationKind,
    ForOfStatement, Function, ImportDeclarationSpecifier, ImportExpression, ImportMeta, Statement,
};
use oxc::ast_visit::{Visit, walk};
use oxc::semantic::SemanticBuilder;
use oxc::span::{GetSpan, Span};
use oxc::syntax::scope::ScopeFlags;
use std::collections::HashMap;

/// A module in factory form. [`Factory::code`] writes the function.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Factory {
    /// What the module imports statically, in evaluation order: `__i(n)` is `deps[n]`.
    pub deps: Vec<String>,
    /// Top-level `await`: the factory must be an `async function`.
    pub has_top_level_await: bool,
    /// `__e({...})` and `__s(...)`: what runs before the module's own code.
    exports: String,
    stars: Vec<usize>,
    body: String,
    /// The module has a source map (linked after the function, see [`Factory::code`]).
    has_map: bool,
}

const DEFAULT_LOCAL: &str = "__metamon_default";

impl Factory {
    /// The function expression. `is_async` when the module or anything it imports awaits at
    /// the top level: then every import is awaited. The module's source map, if it has one,
    /// is linked at `map_url` rather than inlined: a pack of a thousand modules would be half
    /// maps otherwise, which the page would download and parse for DevTools alone (DevTools
    /// fetches a linked map when it needs it).
    pub fn code(&self, is_async: bool, map_url: &str) -> String {
        let map_comment = if self.has_map {
            format!("\n//# sourceMappingURL={map_url}\n")
        } else {
            String::new()
        };
        let (function, wait) = if is_async {
            ("async function", "await ")
        } else {
            ("function", "")
        };
        let mut out = String::with_capacity(self.body.len() + map_comment.len() + 256);
        out.push('(');
        out.push_str(function);
        out.push_str("(__i,__e,__s,__meta,__dyn){\"use strict\";");
        out.push_str(&self.exports);
        if !self.deps.is_empty() {
            let imports: Vec<String> = (0..self.deps.len())
                .map(|n| format!("__{n}={wait}__i({n})"))
                .collect();
            out.push_str(&format!("const {};", imports.join(",")));
        }
        for star in &self.stars {
            out.push_str(&format!("__s(__{star});"));
        }
        out.push_str(&self.body);
        out.push_str("\n})");
        out.push_str(&map_comment);
        out
    }
}

/// Rewrites a served module (imports already URLs) into factory form. Errors are parse errors.
pub fn to_factory(served: &str) -> Result<Factory, String> {
    let (code, has_map) = match served.rfind("\n//# sourceMappingURL=") {
        Some(at) if !served[at + 1..].trim_end().contains('\n') => (&served[..at], true),
        _ => (served, false),
    };
    let allocator = Allocator::default();
    let parsed = crate::analysis::parse_module(&allocator, code)?;
    let program = &parsed.program;
    let semantic = SemanticBuilder::new()
        .with_build_nodes(true)
        .build(program)
        .semantic;
    let scoping = semantic.scoping();

    let mut deps: Vec<String> = Vec::new();
    // By specifier: a root importing a thousand components must not search a list per import.
    let mut dep_indexes: HashMap<String, usize> = HashMap::new();
    let mut dep_index = |specifier: &str| -> usize {
        if let Some(&index) = dep_indexes.get(specifier) {
            return index;
        }
        deps.push(specifier.to_string());
        dep_indexes.insert(specifier.to_string(), deps.len() - 1);
        deps.len() - 1
    };
    let mut edits = TextEdits::default();
    // Import bindings: local name → the expression that reads it live.
    let mut imported: HashMap<String, String> = HashMap::new();
    let mut import_symbols = Vec::new();
    let mut getters: Vec<(String, String)> = Vec::new();
    let mut stars = Vec::new();

    for statement in &program.body {
        match statement {
            Statement::ImportDeclaration(import) => {
                let n = dep_index(import.source.value.as_str());
                remove(&mut edits, code, import.span);
                for specifier in import.specifiers.iter().flatten() {
                    let (local, read) = match specifier {
                        ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                            (&s.local, format!("__{n}.default"))
                        }
                        ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                            (&s.local, format!("__{n}"))
                        }
                        ImportDeclarationSpecifier::ImportSpecifier(s) => {
                            (&s.local, member(n, s.imported.name().as_str()))
                        }
                    };
                    imported.insert(local.name.to_string(), read.clone());
                    import_symbols.push((local.symbol_id(), read));
                }
            }
            Statement::ExportFromDeclaration(export) => {
                let n = dep_index(export.source.value.as_str());
                remove(&mut edits, code, export.span);
                for specifier in &export.specifiers {
                    getters.push((
                        specifier.exported.name().to_string(),
                        member(n, specifier.local.name().as_str()),
                    ));
                }
            }
            Statement::ExportAllDeclaration(export) => {
                let n = dep_index(export.source.value.as_str());
                remove(&mut edits, code, export.span);
                match &export.exported {
                    Some(name) => getters.push((name.name().to_string(), format!("__{n}"))),
                    None => stars.push(n),
                }
            }
            Statement::ExportNamedDeclaration(export) => {
                remove(&mut edits, code, export.span);
                for specifier in &export.specifiers {
                    let local = specifier.local.name().to_string();
                    let read = imported.get(&local).cloned().unwrap_or(local);
                    getters.push((specifier.exported.name().to_string(), read));
                }
            }
            Statement::ExportDeclaration(export) => {
                let declaration = &export.declaration;
                edits.replace(
                    export.span.start as usize,
                    declaration.span().start as usize,
                    "",
                );
                for name in declared_names(declaration) {
                    getters.push((name.clone(), name));
                }
            }
            Statement::ExportDefaultDeclaration(export) => {
                let prefix_end = export.declaration.span().start;
                let named = match &export.declaration {
                    ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                        f.id.as_ref().map(|id| id.name.to_string())
                    }
                    ExportDefaultDeclarationKind::ClassDeclaration(c) => {
                        c.id.as_ref().map(|id| id.name.to_string())
                    }
                    _ => None,
                };
                match named {
                    // A declaration keeps its name (and a function its hoisting).
                    Some(name) => {
                        edits.replace(export.span.start as usize, prefix_end as usize, "");
                        getters.push(("default".into(), name));
                    }
                    None => {
                        edits.replace(
                            export.span.start as usize,
                            prefix_end as usize,
                            format!("const {DEFAULT_LOCAL} = "),
                        );
                        if !matches!(
                            export.declaration,
                            ExportDefaultDeclarationKind::FunctionDeclaration(_)
                                | ExportDefaultDeclarationKind::ClassDeclaration(_)
                        ) {
                            // An expression statement already ends itself.
                        } else {
                            edits.replace(export.span.end as usize, export.span.end as usize, ";");
                        }
                        getters.push(("default".into(), DEFAULT_LOCAL.into()));
                    }
                }
            }
            _ => {}
        }
    }

    // Every read of an import becomes a live read of the dependency's namespace.
    let nodes = semantic.nodes();
    for (symbol, read) in &import_symbols {
        for reference in scoping.get_resolved_reference_ids(*symbol) {
            let node = scoping.get_reference(*reference).node_id();
            let span = nodes.get_node(node).kind().span();
            let name = &code[span.start as usize..span.end as usize];
            let text = match nodes.parent_kind(node) {
                AstKind::ObjectProperty(property) if property.shorthand => {
                    format!("{name}: {read}")
                }
                AstKind::CallExpression(call) if call.callee.span() == span => {
                    format!("(0,{read})")
                }
                AstKind::TaggedTemplateExpression(tagged) if tagged.tag.span() == span => {
                    format!("(0,{read})")
                }
                _ => read.clone(),
            };
            edits.replace(span.start as usize, span.end as usize, text);
        }
    }

    let mut syntax = Syntax::default();
    syntax.visit_program(program);
    for span in syntax.meta {
        edits.replace(span.start as usize, span.end as usize, "__meta");
    }
    for start in syntax.dynamic_imports {
        let start = start as usize;
        edits.replace(start, start + "import".len(), "__dyn");
    }

    let exports = if getters.is_empty() {
        String::new()
    } else {
        let entries: Vec<String> = getters
            .iter()
            .map(|(name, read)| format!("{}:()=>{read}", json_string(name)))
            .collect();
        format!("__e({{{}}});", entries.join(","))
    };
    Ok(Factory {
        deps,
        has_top_level_await: syntax.top_level_await,
        exports,
        stars,
        body: edits.apply(code),
        has_map,
    })
}

/// `__n.name`, or `__n["not an identifier"]`.
fn member(n: usize, name: &str) -> String {
    let identifier = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c == '_' || c == '$' || c.is_alphanumeric());
    if identifier {
        format!("__{n}.{name}")
    } else {
        format!("__{n}[{}]", json_string(name))
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn declared_names(declaration: &Declaration) -> Vec<String> {
    match declaration {
        Declaration::VariableDeclaration(variables) => variables
            .declarations
            .iter()
            .flat_map(|d| d.id.get_binding_identifiers())
            .map(|id| id.name.to_string())
            .collect(),
        Declaration::FunctionDeclaration(f) => f.id.iter().map(|id| id.name.to_string()).collect(),
        Declaration::ClassDeclaration(c) => c.id.iter().map(|id| id.name.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Removes a statement, keeping its line breaks (the source map maps lines).
fn remove(edits: &mut TextEdits, code: &str, span: Span) {
    let (start, end) = (span.start as usize, span.end as usize);
    edits.replace(
        start,
        end,
        "\n".repeat(code[start..end].matches('\n').count()),
    );
}

/// `import.meta`, `import()` and top-level `await` anywhere in the module.
#[derive(Default)]
struct Syntax {
    meta: Vec<Span>,
    dynamic_imports: Vec<u32>,
    top_level_await: bool,
    function_depth: usize,
}

impl<'a> Visit<'a> for Syntax {
    fn visit_import_meta(&mut self, it: &ImportMeta) {
        self.meta.push(it.span);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        if it.phase.is_none() {
            self.dynamic_imports.push(it.span.start);
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        self.function_depth += 1;
        walk::walk_function(self, it, flags);
        self.function_depth -= 1;
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        self.function_depth += 1;
        walk::walk_arrow_function_expression(self, it);
        self.function_depth -= 1;
    }

    fn visit_await_expression(&mut self, it: &AwaitExpression<'a>) {
        self.top_level_await |= self.function_depth == 0;
        walk::walk_await_expression(self, it);
    }

    fn visit_for_of_statement(&mut self, it: &ForOfStatement<'a>) {
        self.top_level_await |= it.r#await && self.function_depth == 0;
        walk::walk_for_of_statement(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factory(code: &str) -> String {
        let factory = to_factory(code).unwrap();
        format!(
            "deps: {:?}\n{}",
            factory.deps,
            factory.code(factory.has_top_level_await, "/@metamon/map?m=x")
        )
    }

    #[test]
    fn imports_become_live_reads() {
        insta::assert_snapshot!(factory(
            "import React, { useState as use, \"a-b\" as ab } from \"/@deps/react.js\";\nimport * as ns from \"/src/ns.ts?t=2\";\nimport \"/src/style.css\";\nexport function App() {\n  const [n] = use(0);\n  return { React, ns, v: ab, tag: use`x`, n: new React.Component() };\n}\n"
        ));
    }

    #[test]
    fn export_forms() {
        insta::assert_snapshot!(factory(
            "import { B } from \"/src/B.tsx\";\nexport const a = 1, { b, c: [d] } = {};\nexport let count = 0;\nexport class K {}\nfunction f() {}\nexport { f as g, B, count as \"the count\" };\nexport { x as y, default as z } from \"/src/x.ts\";\nexport * from \"/src/star.ts\";\nexport * as all from \"/src/all.ts\";\nexport default function () { return count++; }\n"
        ));
    }

    #[test]
    fn default_exports() {
        for (index, code) in [
            "export default 1 + 2;",
            "export default function named() {}\nnamed();",
            "export default class {}",
            "import X from \"/x.js\";\nexport default X;",
        ]
        .iter()
        .enumerate()
        {
            insta::assert_snapshot!(format!("default_exports_{index}"), factory(code));
        }
    }

    #[test]
    fn meta_dynamic_import_and_top_level_await() {
        insta::assert_snapshot!(factory(
            "import { a } from \"/src/a.ts\";\nimport.meta.hot = 1;\nconst page = await import(\"/pages/x.mtm\");\nconst later = () => import(a);\nexport { page, later };\n//# sourceMappingURL=data:application/json;base64,e30=\n"
        ));
    }

    #[test]
    fn a_linked_map_replaces_the_inline_one() {
        let served =
            "export const a = 1;\n//# sourceMappingURL=data:application/json;base64,e30=\n";
        let factory = to_factory(served).unwrap();
        let linked = factory.code(false, "/@metamon/map?m=%2Fsrc%2Fa.ts");
        assert!(linked.ends_with("\n})\n//# sourceMappingURL=/@metamon/map?m=%2Fsrc%2Fa.ts\n"));
        assert!(!linked.contains("data:"));
        // Without an inline map, nothing is linked.
        let plain = to_factory("export const a = 1;\n").unwrap();
        assert!(!plain.code(false, "/x").contains("sourceMappingURL"));
    }

    #[test]
    fn shadowed_names_are_left_alone() {
        insta::assert_snapshot!(factory(
            "import { x } from \"/x.js\";\nfunction f(x) { return x; }\nconsole.log(x, f(1));\n"
        ));
    }

    #[test]
    fn lines_are_kept() {
        let code = "import {\n  a,\n  b\n} from \"/a.js\";\nexport {\n  a\n};\nthrow b;\n";
        let out = to_factory(code).unwrap().code(false, "");
        assert!(out.lines().nth(7).unwrap().contains("throw __0.b"));
    }

    #[test]
    fn parse_errors_are_values() {
        assert!(to_factory("export const = ;").is_err());
    }
}
