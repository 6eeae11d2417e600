//! Instruments the state a module holds at its top level — a `let` counter and its set of
//! listeners, a React context, a zustand / nanostores / Svelte / Solid / Vue store created at
//! module level — so a hot update of the module keeps it (its frameworks' HMR would create a
//! fresh one and drop the state of everything that reads it).
//!
//! What is kept, by declaration (`export` or not):
//! - `let`/`var` whose initialiser is plain data (literals, arrays and objects of them), or none:
//!   its live value;
//! - `const` whose initialiser is an array or object of plain data, or `new Set()`, `new Map()`,
//!   `new WeakMap()`, `new WeakSet()`, `new EventTarget()`: the same object;
//! - a declaration whose initialiser calls a state factory ([`FACTORIES`]): the same store.
//!
//! A value's slot names its declaration and hashes its initialiser together with every
//! top-level declaration the initialiser reads: editing any of them creates the value afresh,
//! editing the rest of the module keeps it (React Fast Refresh's rule for hooks). A value built
//! from a relative import is not kept: it would miss the edits of that module.
//! Only insertions on existing lines, so positions in errors and maps stay the file's own.

use oxc::allocator::Allocator;
use oxc::ast::ast::{
    ArrayExpressionElement, BindingPattern, Declaration, Expression, IdentifierReference,
    ImportDeclarationSpecifier, ObjectPropertyKind, Program, Statement, VariableDeclaration,
    VariableDeclarationKind,
};
use oxc::ast_visit::{Visit, walk};
use oxc::parser::Parser;
use oxc::span::{GetSpan, SourceType};
use std::collections::{BTreeSet, HashMap};

/// The per-evaluation carrier of a module's state in instrumented code.
const CARRIER: &str = "__metamon_module";
const IMPORTS: &str = "import { localInstance as __metamon_localInstance } from \"metamon/local\";";

/// Calls that create state: React `createContext`; zustand `create`/`createStore`; nanostores
/// `atom`/`map`/`deepMap`; jotai `atom`; valtio `proxy`; Svelte `writable`/`readable`; Solid
/// `createSignal`/`createStore`/`createMutable`; Vue `ref`/`reactive`/`shallowRef`/
/// `shallowReactive`; Preact `signal`; MobX `observable`. Derived values (`computed`,
/// `derived`) are not kept: they are recomputed from the kept sources.
pub const FACTORIES: &[&str] = &[
    "createContext",
    "create",
    "createStore",
    "atom",
    "map",
    "deepMap",
    "proxy",
    "writable",
    "readable",
    "createSignal",
    "createMutable",
    "ref",
    "reactive",
    "shallowRef",
    "shallowReactive",
    "signal",
    "observable",
];

const CONTAINERS: &[&str] = &["Set", "Map", "WeakMap", "WeakSet", "EventTarget"];

/// The instrumented module, or `None` when it holds no state to keep (or does not parse: the
/// compiler reports that).
pub(crate) fn instrument(file: &str, source: &str) -> Option<String> {
    let source_type = match file.rsplit('.').next() {
        Some("ts" | "mts") => SourceType::ts(),
        Some("tsx") => SourceType::tsx(),
        _ => SourceType::jsx(),
    };
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return None;
    }
    let module = TopLevel::of(&parsed.program, source);
    let mut edits: Vec<(usize, String)> = Vec::new();
    for statement in &parsed.program.body {
        let declaration = match statement {
            Statement::VariableDeclaration(declaration) => declaration,
            Statement::ExportDeclaration(export) => match &export.declaration {
                Declaration::VariableDeclaration(declaration) => declaration,
                _ => continue,
            },
            _ => continue,
        };
        keep_declaration(declaration, source, &module, &mut edits);
    }
    if edits.is_empty() {
        return None;
    }
    // From the end, so offsets stay valid; at one offset, the later edit goes after.
    let mut ordered: Vec<(usize, usize, String)> = edits
        .into_iter()
        .enumerate()
        .map(|(index, (at, text))| (at, index, text))
        .collect();
    ordered.sort_by_key(|(at, index, _)| std::cmp::Reverse((*at, *index)));
    let mut out = source.to_string();
    for (at, _, text) in ordered {
        out.insert_str(at, &text);
    }
    // On a line of its own at the end, so no position moves; a function declaration is
    // initialised before the module body runs, so the declarations above can call it.
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "{IMPORTS}function {CARRIER}() {{ return {CARRIER}.state ||= __metamon_localInstance(import.meta, \"<module>\"); }}\n"
    ));
    Some(out)
}

fn keep_declaration(
    declaration: &VariableDeclaration,
    source: &str,
    module: &TopLevel,
    edits: &mut Vec<(usize, String)>,
) {
    let mutable = match declaration.kind {
        VariableDeclarationKind::Const => false,
        VariableDeclarationKind::Let | VariableDeclarationKind::Var => true,
        _ => return, // `using`: a resource, not state
    };
    let mut kept = Vec::new();
    for declarator in &declaration.declarations {
        let pattern = declarator.id.span().source_text(source);
        let Some(init) = &declarator.init else {
            // `let current;`: its live value.
            if let (true, BindingPattern::BindingIdentifier(id)) = (mutable, &declarator.id) {
                let slot = module.slot(pattern, None, source);
                edits.push((
                    declarator.span.end as usize,
                    format!(" = {CARRIER}().take({slot:?}, undefined)"),
                ));
                kept.push((slot, id.name.to_string()));
            }
            continue;
        };
        let factory = module.is_factory_call(init);
        let data = if mutable {
            is_plain_data(init)
        } else {
            is_container(init)
        };
        if !(factory || data) || !module.reads_no_relative_import(init) {
            continue;
        }
        let slot = module.slot(pattern, Some(init), source);
        let span = init.span();
        edits.push((
            span.start as usize,
            format!("{CARRIER}().hold({slot:?}, () => ("),
        ));
        edits.push((span.end as usize, "))".to_string()));
        if mutable && let BindingPattern::BindingIdentifier(id) = &declarator.id {
            kept.push((slot, id.name.to_string()));
        }
    }
    if kept.is_empty() {
        return;
    }
    // A `let` is reassigned: the getter reads its live value when the next version takes it.
    let end = declaration.span.end as usize;
    let separator = if source[..end].ends_with(';') {
        " "
    } else {
        "; "
    };
    let getters: Vec<String> = kept
        .iter()
        .map(|(slot, name)| format!("{CARRIER}().keep({slot:?}, () => {name});"))
        .collect();
    edits.push((end, format!("{separator}{}", getters.join(" "))));
}

/// `new Set()`, `new Map([["a", 1]])`, or an array/object of plain data.
fn is_container(expression: &Expression) -> bool {
    match expression.without_parentheses() {
        Expression::NewExpression(new) => {
            matches!(&new.callee, Expression::Identifier(id) if CONTAINERS.contains(&id.name.as_str()))
                && new
                    .arguments
                    .iter()
                    .all(|argument| argument.as_expression().is_some_and(is_plain_data))
        }
        Expression::ArrayExpression(_) | Expression::ObjectExpression(_) => {
            is_plain_data(expression)
        }
        _ => false,
    }
}

/// Literals, `undefined`, `-1`, templates without expressions, arrays and objects of these.
fn is_plain_data(expression: &Expression) -> bool {
    match expression.without_parentheses() {
        Expression::BooleanLiteral(_)
        | Expression::NullLiteral(_)
        | Expression::NumericLiteral(_)
        | Expression::BigIntLiteral(_)
        | Expression::StringLiteral(_) => true,
        Expression::TemplateLiteral(template) => template.expressions.is_empty(),
        Expression::Identifier(id) => id.name == "undefined",
        Expression::UnaryExpression(unary) => {
            matches!(unary.argument, Expression::NumericLiteral(_))
        }
        Expression::ArrayExpression(array) => array.elements.iter().all(|element| match element {
            ArrayExpressionElement::SpreadElement(_) => false,
            ArrayExpressionElement::Elision(_) => true,
            other => other.as_expression().is_some_and(is_plain_data),
        }),
        Expression::ObjectExpression(object) => {
            object.properties.iter().all(|property| match property {
                ObjectPropertyKind::ObjectProperty(p) => {
                    !p.computed && !p.method && is_plain_data(&p.value)
                }
                ObjectPropertyKind::SpreadProperty(_) => false,
            })
        }
        _ => false,
    }
}

/// The module's top-level bindings: the source text that defines each (its whole statement),
/// the names that text reads, and whether it is an import of a relative module.
struct TopLevel<'s> {
    bindings: HashMap<String, Binding<'s>>,
}

struct Binding<'s> {
    text: &'s str,
    reads: BTreeSet<String>,
    imported: bool,
    relative_import: bool,
}

impl<'s> TopLevel<'s> {
    fn of(program: &Program, source: &'s str) -> Self {
        let mut bindings = HashMap::new();
        for statement in &program.body {
            let text = statement.span().source_text(source);
            if let Statement::ImportDeclaration(import) = statement {
                let specifier = import.source.value.as_str();
                // Packages do not hot-update; project modules (relative, rooted) do.
                let relative = specifier.starts_with('.') || specifier.starts_with('/');
                for binding in import.specifiers.iter().flatten() {
                    let local = match binding {
                        ImportDeclarationSpecifier::ImportSpecifier(s) => &s.local,
                        ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => &s.local,
                        ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => &s.local,
                    };
                    bindings.insert(
                        local.name.to_string(),
                        Binding {
                            text,
                            reads: BTreeSet::new(),
                            imported: true,
                            relative_import: relative,
                        },
                    );
                }
                continue;
            }
            let reads = reads_of(|finder| finder.visit_statement(statement));
            let mut names = Vec::new();
            collect_declared(statement, &mut names);
            for name in names {
                bindings.insert(
                    name,
                    Binding {
                        text,
                        reads: reads.clone(),
                        imported: false,
                        relative_import: false,
                    },
                );
            }
        }
        TopLevel { bindings }
    }

    /// A call to an imported state factory: `createContext(…)`, `React.createContext(…)`,
    /// `create()(…)` (zustand's curried form). A local `users.map(…)` is not one.
    fn is_factory_call(&self, expression: &Expression) -> bool {
        let Expression::CallExpression(call) = expression.without_parentheses() else {
            return false;
        };
        let imported = |name: &str| self.bindings.get(name).is_some_and(|b| b.imported);
        match &call.callee {
            Expression::Identifier(id) => {
                FACTORIES.contains(&id.name.as_str()) && imported(id.name.as_str())
            }
            Expression::StaticMemberExpression(member) => {
                FACTORIES.contains(&member.property.name.as_str())
                    && matches!(&member.object, Expression::Identifier(object) if imported(object.name.as_str()))
            }
            callee @ Expression::CallExpression(_) => self.is_factory_call(callee),
            _ => false,
        }
    }

    /// The top-level bindings `init` reads, directly or through other top-level declarations.
    fn closure(&self, init: &Expression) -> BTreeSet<String> {
        let mut pending: Vec<String> = reads_of(|finder| finder.visit_expression(init))
            .into_iter()
            .collect();
        let mut seen = BTreeSet::new();
        while let Some(name) = pending.pop() {
            let Some(binding) = self.bindings.get(&name) else {
                continue; // a global or a nested binding
            };
            if seen.insert(name) {
                pending.extend(binding.reads.iter().cloned());
            }
        }
        seen
    }

    fn reads_no_relative_import(&self, init: &Expression) -> bool {
        self.closure(init)
            .iter()
            .all(|name| !self.bindings[name].relative_import)
    }

    /// `name:h`, `h` hashing the initialiser and the declarations it reads.
    fn slot(&self, pattern: &str, init: Option<&Expression>, source: &str) -> String {
        let mut text = String::new();
        if let Some(init) = init {
            text.push_str(init.span().source_text(source));
            let mut statements: BTreeSet<&str> = BTreeSet::new();
            for name in self.closure(init) {
                statements.insert(self.bindings[&name].text);
            }
            for statement in statements {
                text.push('\n');
                text.push_str(statement);
            }
        }
        let name: String = pattern.split_whitespace().collect();
        format!(
            "{name}:{:06x}",
            crate::content_hash(text.as_bytes()) & 0xff_ffff
        )
    }
}

fn collect_declared(statement: &Statement, names: &mut Vec<String>) {
    let declaration = match statement {
        Statement::ExportDeclaration(export) => &export.declaration,
        other => match other.as_declaration() {
            Some(declaration) => declaration,
            None => return,
        },
    };
    match declaration {
        Declaration::VariableDeclaration(variables) => {
            for declarator in &variables.declarations {
                for id in declarator.id.get_binding_identifiers() {
                    names.push(id.name.to_string());
                }
            }
        }
        Declaration::FunctionDeclaration(f) => {
            if let Some(id) = &f.id {
                names.push(id.name.to_string());
            }
        }
        Declaration::ClassDeclaration(c) => {
            if let Some(id) = &c.id {
                names.push(id.name.to_string());
            }
        }
        _ => {}
    }
}

#[derive(Default)]
struct Reads(BTreeSet<String>);

impl<'a> Visit<'a> for Reads {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        self.0.insert(it.name.to_string());
        walk::walk_identifier_reference(self, it);
    }
}

fn reads_of(visit: impl FnOnce(&mut Reads)) -> BTreeSet<String> {
    let mut reads = Reads::default();
    visit(&mut reads);
    reads.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(source: &str) -> String {
        instrument("src/store.js", source).unwrap_or_else(|| source.to_string())
    }

    fn slot_of(source: &str, name: &str) -> String {
        let out = run(source);
        let start = out.find(&format!("\"{name}:")).expect(&out) + 1;
        out[start..start + name.len() + 7].to_string()
    }

    #[test]
    fn a_let_counter_and_its_listeners() {
        let out = run(
            "let count = 0;\nconst listeners = new Set();\nexport function increment() { count++; }\n",
        );
        assert!(
            out.contains(&format!("\n{IMPORTS}function __metamon_module()")),
            "{out}"
        );
        assert!(
            out.contains("let count = __metamon_module().hold(\"count:"),
            "{out}"
        );
        assert!(
            out.contains("\", () => (0)); __metamon_module().keep(\"count:"),
            "{out}"
        );
        assert!(out.contains(", () => count);\n"), "{out}");
        assert!(
            out.contains("const listeners = __metamon_module().hold(\"listeners:"),
            "{out}"
        );
        assert!(
            out.contains("export function increment() { count++; }"),
            "{out}"
        );
        assert_eq!(out.lines().count(), 4, "one line appended");
        assert!(out.lines().nth(2).unwrap() == "export function increment() { count++; }");
    }

    #[test]
    fn stores_and_contexts() {
        let out = run(
            "import { createContext } from 'react';\nimport { create } from 'zustand';\nexport const Theme = createContext('light');\nexport const useBears = create((set) => ({ bears: 0, add: () => set((s) => ({ bears: s.bears + 1 })) }));\n",
        );
        assert!(
            out.contains("export const Theme = __metamon_module().hold(\"Theme:"),
            "{out}"
        );
        assert!(
            out.contains("export const useBears = __metamon_module().hold(\"useBears:"),
            "{out}"
        );
        assert!(
            !out.contains("keep(\"Theme"),
            "a const needs no live getter: {out}"
        );
    }

    #[test]
    fn what_is_not_kept() {
        let source = "import { base } from './config';\nimport { computed } from 'vue';\nimport { ref as vueRef } from 'vue';\nconst STEP = 2;\nconst total = compute();\nconst scaled = ref(base * 2);\nconst names = users.map((u) => u);\nfunction ref() {}\nconst local = ref(1);\nconst doubled = computed(() => 1);\nlet handler = () => {};\nconst config = { step: STEP };\n";
        assert_eq!(instrument("src/a.js", source), None);
    }

    #[test]
    fn a_slot_hashes_what_its_initialiser_reads() {
        let a = "import { create } from 'zustand';\nconst STEP = 1;\nexport const store = create(() => ({ n: STEP }));\nexport function other() { return 1; }\n";
        let edited_elsewhere = a.replace("return 1", "return 2");
        let edited_step = a.replace("STEP = 1", "STEP = 3");
        assert_eq!(slot_of(a, "store"), slot_of(&edited_elsewhere, "store"));
        assert_ne!(slot_of(a, "store"), slot_of(&edited_step, "store"));
        assert_ne!(
            slot_of("let n = 0;", "n"),
            slot_of("let n = 1;", "n"),
            "an edited initialiser is a new value"
        );
    }

    #[test]
    fn typescript_and_destructuring() {
        let out = instrument(
            "src/count.ts",
            "import { createSignal } from 'solid-js'\nexport const [count, setCount] = createSignal<number>(0)\nlet ready: boolean = false\n",
        )
        .unwrap();
        assert!(
            out.contains(
                "export const [count, setCount] = __metamon_module().hold(\"[count,setCount]:"
            ),
            "{out}"
        );
        assert!(
            out.contains("let ready: boolean = __metamon_module().hold(\"ready:"),
            "{out}"
        );
        assert!(
            out.contains("false)); __metamon_module().keep(\"ready:"),
            "{out}"
        );
    }
}
