//! Instruments the local state declarations of a `.mtm` body so the runtime (`metamon/local`)
//! can carry their values across hot updates and full reloads: each value starts from the
//! carried one (`take`) and registers a getter of its live value (`keep`). Only insertions on
//! existing lines, so line numbers stay the `.mtm` file's own.

use crate::frameworks::{Descriptor, StateScope};
use oxc::allocator::Allocator;
use oxc::ast::ast::{
    Argument, ArrowFunctionBody, BindingPattern, CallExpression, Declaration,
    ExportDefaultDeclarationKind, Expression, FunctionBody, Statement, VariableDeclaration,
};
use oxc::parser::Parser;
use oxc::span::{GetSpan, SourceType};

/// The name of the per-instance carrier in instrumented code.
pub(crate) const LOCAL: &str = "__metamon_local";

struct Edits<'a> {
    /// The script the spans point into, and where it starts in the instrumented source.
    script: &'a str,
    offset: usize,
    list: Vec<(usize, String)>,
}

impl Edits<'_> {
    fn insert(&mut self, at: u32, text: String) {
        self.list.push((self.offset + at as usize, text));
    }

    /// A statement after the one ending at `end`, on the same line; a declaration that relies
    /// on automatic semicolon insertion (`let n = $state(0)` and a newline) gets its `;`.
    fn insert_statement_after(&mut self, end: u32, statement: String) {
        let terminated = self.script[..end as usize].ends_with(';');
        let separator = if terminated { " " } else { "; " };
        self.insert(end, format!("{separator}{statement}"));
    }
}

/// The instrumented source, and whether anything was instrumented. `range` is the script
/// within `source` (the whole body for React and Solid, the instance script for Vue/Svelte).
pub(crate) fn instrument(
    source: &str,
    range: (usize, usize),
    framework: &Descriptor,
) -> (String, bool) {
    let script = &source[range.0..range.1];
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, script, SourceType::tsx()).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        // The framework's compiler reports the syntax error with its position.
        return (source.to_string(), false);
    }
    let mut edits = Edits {
        script,
        offset: range.0,
        list: Vec::new(),
    };
    match &framework.local_state.scope {
        // Script-level state: the instance script runs once per component instance.
        StateScope::InstanceScript { hooks, .. } => {
            declarations(&parsed.program.body, hooks, &mut edits)
        }
        // Component functions: one carrier per instance, created at the top of the function.
        StateScope::Component {
            hook,
            carrier,
            getter,
        } => {
            for statement in &parsed.program.body {
                for (name, body) in components(statement) {
                    let create = format!(
                        "const {LOCAL} = {};",
                        carrier.replace("{name}", &format!("{name:?}"))
                    );
                    component(body, hook, &create, *getter, &mut edits);
                }
            }
        }
    }
    if edits.list.is_empty() {
        return (source.to_string(), false);
    }
    edits.list.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    let mut out = source.to_string();
    for (at, text) in edits.list {
        out.insert_str(at, &text);
    }
    (out, true)
}

/// `let x = $state(init)` / `const x = ref(init)` at the top level of a script.
fn declarations(statements: &[Statement], hooks: &[(&str, &str)], edits: &mut Edits) {
    for statement in statements {
        if let Statement::VariableDeclaration(declaration) = statement {
            for (callee, read) in hooks {
                for (name, call) in simple_calls(declaration, callee) {
                    let slot = wrap_first_argument(call, &name, "take", edits);
                    edits.insert_statement_after(
                        declaration.span.end,
                        format!("{LOCAL}.keep({slot:?}, {});", read.replace("{name}", &name)),
                    );
                }
            }
        }
    }
}

/// Top-level functions that look like components (capitalised, or the default export).
fn components<'s, 'a>(statement: &'s Statement<'a>) -> Vec<(String, &'s FunctionBody<'a>)> {
    let mut found = Vec::new();
    let mut function = |name: Option<&str>, default: bool, body: Option<&'s FunctionBody<'a>>| {
        if let Some(body) = body {
            match name {
                Some(name) if name.starts_with(char::is_uppercase) => {
                    found.push((name.to_string(), body))
                }
                _ if default => found.push(("default".to_string(), body)),
                _ => {}
            }
        }
    };
    match statement {
        Statement::FunctionDeclaration(f) => function(
            f.id.as_ref().map(|id| id.name.as_str()),
            false,
            f.body.as_deref(),
        ),
        Statement::ExportDeclaration(export) => match &export.declaration {
            Declaration::FunctionDeclaration(f) => function(
                f.id.as_ref().map(|id| id.name.as_str()),
                false,
                f.body.as_deref(),
            ),
            Declaration::VariableDeclaration(declaration) => {
                variable_components(declaration, &mut function)
            }
            _ => {}
        },
        Statement::ExportDefaultDeclaration(export) => match &export.declaration {
            ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                let name = f.id.as_ref().map(|id| id.name.as_str());
                function(
                    name.filter(|n| n.starts_with(char::is_uppercase))
                        .or(Some("default")),
                    true,
                    f.body.as_deref(),
                );
            }
            ExportDefaultDeclarationKind::ArrowFunctionExpression(arrow) => {
                if let ArrowFunctionBody::FunctionBody(body) = &arrow.body {
                    function(None, true, Some(body));
                }
            }
            _ => {}
        },
        Statement::VariableDeclaration(declaration) => {
            variable_components(declaration, &mut function)
        }
        _ => {}
    }
    found
}

fn variable_components<'s, 'a>(
    declaration: &'s VariableDeclaration<'a>,
    function: &mut impl FnMut(Option<&str>, bool, Option<&'s FunctionBody<'a>>),
) {
    for declarator in &declaration.declarations {
        let BindingPattern::BindingIdentifier(id) = &declarator.id else {
            continue;
        };
        match &declarator.init {
            Some(Expression::ArrowFunctionExpression(arrow)) => {
                if let ArrowFunctionBody::FunctionBody(body) = &arrow.body {
                    function(Some(id.name.as_str()), false, Some(body));
                }
            }
            Some(Expression::FunctionExpression(f)) => {
                function(Some(id.name.as_str()), false, f.body.as_deref())
            }
            _ => {}
        }
    }
}

/// `const [count, setCount] = useState(init)` / `createSignal(init)` in a component's body.
/// With `getter`, the value is kept as a getter (React calls the component again each render).
fn component(body: &FunctionBody, callee: &str, create: &str, getter: bool, edits: &mut Edits) {
    let mut any = false;
    for statement in &body.statements {
        let Statement::VariableDeclaration(declaration) = statement else {
            continue;
        };
        for declarator in &declaration.declarations {
            let BindingPattern::ArrayPattern(pattern) = &declarator.id else {
                continue;
            };
            let Some(Some(BindingPattern::BindingIdentifier(value))) = pattern.elements.first()
            else {
                continue;
            };
            let Some(Expression::CallExpression(call)) = &declarator.init else {
                continue;
            };
            if !is_call_to(call, callee) {
                continue;
            }
            let value = value.name.as_str();
            let (method, kept) = if getter {
                ("lazy", format!("() => {value}"))
            } else {
                ("take", value.to_string())
            };
            let slot = wrap_first_argument(call, value, method, edits);
            edits.insert_statement_after(
                declaration.span.end,
                format!("{LOCAL}.keep({slot:?}, {kept});"),
            );
            any = true;
        }
    }
    if any {
        // Right after the body's `{`.
        edits.insert(body.span.start + 1, create.to_string());
    }
}

fn simple_calls<'s, 'a>(
    declaration: &'s VariableDeclaration<'a>,
    callee: &str,
) -> Vec<(String, &'s CallExpression<'a>)> {
    declaration
        .declarations
        .iter()
        .filter_map(|declarator| {
            let BindingPattern::BindingIdentifier(id) = &declarator.id else {
                return None;
            };
            let Some(Expression::CallExpression(call)) = &declarator.init else {
                return None;
            };
            is_call_to(call, callee).then(|| (id.name.to_string(), &**call))
        })
        .collect()
}

fn is_call_to(call: &CallExpression, callee: &str) -> bool {
    matches!(&call.callee, Expression::Identifier(id) if id.name == callee)
}

/// `f(init)` → `f(__metamon_local.take("name:h", init))`; `f()` → `f(__metamon_local.take("name:h",
/// undefined))`. The slot `name:h` names the value and its initialiser (`h`, a hash of its
/// text): editing the initialiser resets that one value, as React Fast Refresh does for hooks.
fn wrap_first_argument(
    call: &CallExpression,
    name: &str,
    method: &str,
    edits: &mut Edits,
) -> String {
    let initialiser = call
        .arguments
        .first()
        .map_or("", |argument| argument.span().source_text(edits.script));
    let slot = format!(
        "{name}:{:06x}",
        crate::content_hash(initialiser.as_bytes()) & 0xff_ffff
    );
    match call.arguments.first() {
        Some(argument) if !matches!(argument, Argument::SpreadElement(_)) => {
            let span = argument.span();
            edits.insert(span.start, format!("{LOCAL}.{method}({slot:?}, "));
            edits.insert(span.end, ")".to_string());
        }
        Some(_) => {}
        None => edits.insert(
            call.span.end - 1,
            format!("{LOCAL}.{method}({slot:?}, undefined)"),
        ),
    }
    slot
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frameworks::descriptor;
    use metamon_mtm::Framework;

    fn run(source: &str, framework: Framework) -> String {
        instrument(source, (0, source.len()), descriptor(framework)).0
    }

    #[test]
    fn svelte_state() {
        let out = run(
            "let count = $state(0);\nlet name = $state();\nconst fixed = 1;\n",
            Framework::Svelte,
        );
        assert_eq!(
            out,
            "let count = $state(__metamon_local.take(\"count:241055\", 0)); __metamon_local.keep(\"count:241055\", () => $state.snapshot(count));\nlet name = $state(__metamon_local.take(\"name:d394c2\", undefined)); __metamon_local.keep(\"name:d394c2\", () => $state.snapshot(name));\nconst fixed = 1;\n"
        );
    }

    #[test]
    fn declarations_without_semicolons() {
        let svelte = run(
            "  let count: number = $state(0)\n  const step = 1\n",
            Framework::Svelte,
        );
        assert_eq!(
            svelte,
            "  let count: number = $state(__metamon_local.take(\"count:241055\", 0)); __metamon_local.keep(\"count:241055\", () => $state.snapshot(count));\n  const step = 1\n"
        );
        let vue = run(
            "import { ref } from 'vue'\nconst count = ref(0)\n",
            Framework::Vue,
        );
        assert!(vue.contains("const count = ref(__metamon_local.take(\"count:241055\", 0)); __metamon_local.keep(\"count:241055\", () => count.value);\n"), "{vue}");
        let react = run(
            "export function App() {\n  const [n, setN] = useState(0)\n  return n\n}\n",
            Framework::React,
        );
        assert!(
            react.contains(
                "useState(__metamon_local.lazy(\"n:241055\", 0)); __metamon_local.keep(\"n:241055\", () => n);\n"
            ),
            "{react}"
        );
    }

    #[test]
    fn vue_reactive_and_shallow_ref() {
        let out = run(
            "const form = reactive({ name: '' });\nconst big = shallowRef([]);\n",
            Framework::Vue,
        );
        assert!(
            out.contains("reactive(__metamon_local.take(\"form:"),
            "{out}"
        );
        assert!(out.contains("() => form);"), "{out}");
        assert!(
            out.contains("shallowRef(__metamon_local.take(\"big:"),
            "{out}"
        );
        assert!(out.contains("() => big.value);"), "{out}");
    }

    #[test]
    fn a_changed_initialiser_is_another_slot() {
        let slot = |source: &str| {
            let out = run(source, Framework::Svelte);
            out.split('"').nth(1).unwrap().to_string()
        };
        assert_eq!(
            slot("let n = $state(0);"),
            slot("let n = $state( 0 );\n// edited")
        );
        assert_ne!(slot("let n = $state(0);"), slot("let n = $state(1);"));
        assert!(slot("let n = $state(0);").starts_with("n:"));
    }

    #[test]
    fn vue_ref() {
        let out = run(
            "import { ref } from 'vue';\nconst count = ref(0);\n",
            Framework::Vue,
        );
        assert!(out.contains("const count = ref(__metamon_local.take(\"count:241055\", 0)); __metamon_local.keep(\"count:241055\", () => count.value);"), "{out}");
    }

    #[test]
    fn solid_and_react_components() {
        let solid = run(
            "export default function Toggle() {\n  const [on, setOn] = createSignal(false);\n  return on;\n}\n",
            Framework::Solid,
        );
        assert!(solid.starts_with("export default function Toggle() {const __metamon_local = __metamon_localInstance(import.meta, \"Toggle\"); __metamon_onCleanup(() => __metamon_local.release());\n"), "{solid}");
        assert!(solid.contains("createSignal(__metamon_local.take(\"on:16e682\", false)); __metamon_local.keep(\"on:16e682\", on);"), "{solid}");
        let react = run(
            "const Counter = () => {\n  const [count, setCount] = useState(0);\n  return count;\n};\nfunction helper() { const [a] = useState(1); }\n",
            Framework::React,
        );
        assert!(
            react.contains("__metamon_useLocalState(import.meta, \"Counter\")"),
            "{react}"
        );
        assert!(react.contains("useState(__metamon_local.lazy(\"count:241055\", 0)); __metamon_local.keep(\"count:241055\", () => count);"), "{react}");
        assert!(
            react.contains("function helper() { const [a] = useState(1); }"),
            "lower-case functions are not components: {react}"
        );
        assert_eq!(react.lines().count(), 5, "line count unchanged");
    }

    #[test]
    fn nothing_to_instrument() {
        assert_eq!(
            instrument("export default 1;", (0, 17), descriptor(Framework::React)),
            ("export default 1;".to_string(), false)
        );
    }
}
