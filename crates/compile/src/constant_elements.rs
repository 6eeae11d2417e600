//! React elements that cannot change between renders (only literals and module-level names in
//! their props) are handed to React as the very same object on the first render after a hot
//! update of their module, so React skips the unchanged subtrees: saving the root of a
//! thousand-component app re-renders the root, not the thousand children. Every other render
//! creates fresh elements, as React expects (see `constantElements` in
//! `runtime/react-refresh.js`).
//!
//! Runs on the transformed program (JSX already turned into `jsx()`/`jsxDEV()` calls): each
//! constant call inside a function becomes `__metamon_el(id, () => [deps], () => call)`, where
//! `id` names the element's JSX text (and which occurrence of it) and `deps` are the
//! module-level values it uses, compared by identity (`null` when there are none).
//!
//! Why thunks: V8 finds a frame's source position by scanning its function's position table
//! from the start, and React's dev `jsx()` captures the stack of every element it creates
//! (`Error()`, `console.createTask`; with DevTools or a test driver attached, with positions).
//! Inline `hit(id, [deps]) || keep(id, [deps], call)` put five positions per element into the
//! component's own function, so a root of 10 000 children spent 4.4 s of a page load in those
//! scans; in arrows, the component's function keeps one call per element.

use oxc::allocator::{Allocator, TakeIn, Vec as ArenaVec};
use oxc::ast::ast::{
    Argument, ArrayExpressionElement, ArrowFunctionBody, Expression, FormalParameterKind,
    FormalParameters, Function, ImportDeclarationSpecifier, ObjectPropertyKind, Program,
    PropertyKind, Statement, UnaryOperator,
};
use oxc::ast::builder::AstBuilder;
use oxc::ast_visit::{VisitMut, walk_mut};
use oxc::semantic::Scoping;
use oxc::span::{GetSpan, SPAN};
use oxc::syntax::scope::{ScopeFlags, ScopeId};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

pub const ELEMENT: &str = "__metamon_el";

/// Wraps the constant elements of `program`; returns how many were wrapped.
pub fn cache_constant_elements<'a>(
    program: &mut Program<'a>,
    scoping: &Scoping,
    allocator: &'a Allocator,
) -> usize {
    let jsx_functions: HashSet<String> = program
        .body
        .iter()
        .filter_map(|statement| match statement {
            Statement::ImportDeclaration(import)
                if import.source.value.ends_with("/jsx-dev-runtime")
                    || import.source.value.ends_with("/jsx-runtime") =>
            {
                import.specifiers.as_ref()
            }
            _ => None,
        })
        .flatten()
        .filter_map(|specifier| match specifier {
            ImportDeclarationSpecifier::ImportSpecifier(s) => Some(s.local.name.to_string()),
            _ => None,
        })
        .collect();
    if jsx_functions.is_empty() {
        return 0;
    }
    let mut cache = ElementCache {
        builder: AstBuilder::new(allocator),
        allocator,
        scoping,
        source: program.source_text,
        jsx_functions,
        function_depth: 0,
        occurrences: HashMap::new(),
        wrapped: 0,
    };
    cache.visit_program(program);
    cache.wrapped
}

struct ElementCache<'a, 's> {
    builder: AstBuilder<'a>,
    allocator: &'a Allocator,
    scoping: &'s Scoping,
    source: &'a str,
    jsx_functions: HashSet<String>,
    function_depth: usize,
    occurrences: HashMap<u64, usize>,
    wrapped: usize,
}

impl<'a> ElementCache<'a, '_> {
    fn is_jsx_call(&self, expression: &Expression<'a>) -> bool {
        matches!(expression, Expression::CallExpression(call)
            if matches!(&call.callee, Expression::Identifier(id) if self.jsx_functions.contains(id.name.as_str())))
    }

    /// Whether `expression` evaluates to the same value whenever the module-level names it
    /// uses (collected in `deps`) hold the same values.
    fn is_constant(&self, expression: &Expression<'a>, deps: &mut Deps) -> bool {
        match expression {
            Expression::StringLiteral(_)
            | Expression::NumericLiteral(_)
            | Expression::BooleanLiteral(_)
            | Expression::NullLiteral(_)
            | Expression::BigIntLiteral(_) => true,
            Expression::TemplateLiteral(template) => template.expressions.is_empty(),
            Expression::UnaryExpression(unary) => {
                unary.operator == UnaryOperator::Void && unary.argument.is_literal()
            }
            Expression::ThisExpression(_) => {
                add_dep(deps, Dep::This);
                true
            }
            Expression::Identifier(identifier) => {
                let local = identifier.reference_id.get().is_some_and(|reference| {
                    self.scoping
                        .get_reference(reference)
                        .symbol_id()
                        .is_some_and(|symbol| {
                            self.scoping.symbol_scope_id(symbol) != self.scoping.root_scope_id()
                        })
                });
                if !local {
                    add_dep(deps, Dep::Name(identifier.name.to_string()));
                }
                !local
            }
            Expression::ParenthesizedExpression(inner) => self.is_constant(&inner.expression, deps),
            Expression::ObjectExpression(object) => object.properties.iter().all(|property| {
                matches!(property, ObjectPropertyKind::ObjectProperty(p)
                    if p.kind == PropertyKind::Init && !p.computed && !p.method
                        && self.is_constant(&p.value, deps))
            }),
            Expression::ArrayExpression(array) => array.elements.iter().all(|element| {
                !matches!(
                    element,
                    ArrayExpressionElement::SpreadElement(_) | ArrayExpressionElement::Elision(_)
                ) && element
                    .as_expression()
                    .is_some_and(|e| self.is_constant(e, deps))
            }),
            Expression::CallExpression(call) if self.is_jsx_call(expression) => {
                call.arguments.iter().all(|argument| {
                    !matches!(argument, Argument::SpreadElement(_))
                        && argument
                            .as_expression()
                            .is_some_and(|e| self.is_constant(e, deps))
                })
            }
            _ => false,
        }
    }

    /// The cache key: the element's JSX text, and which occurrence of that text in the file.
    fn element_id(&mut self, expression: &Expression<'a>) -> Option<String> {
        let span = expression.span();
        let text = self.source.get(span.start as usize..span.end as usize)?;
        if text.is_empty() {
            return None;
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        let hash = hasher.finish();
        let occurrence = self.occurrences.entry(hash).or_default();
        *occurrence += 1;
        Some(format!("{hash:x}:{occurrence}"))
    }

    /// `() => [deps]`, or `null` when the element uses no names.
    fn deps_thunk(&self, deps: &[Dep]) -> Expression<'a> {
        if deps.is_empty() {
            return Expression::new_null_literal(SPAN, &self.builder);
        }
        let elements = deps.iter().map(|dep| {
            ArrayExpressionElement::from(match dep {
                Dep::This => Expression::new_this_expression(SPAN, &self.builder),
                Dep::Name(name) => Expression::new_identifier(
                    SPAN,
                    self.allocator.alloc_str(name) as &str,
                    &self.builder,
                ),
            })
        });
        let array = Expression::new_array_expression(
            SPAN,
            ArenaVec::from_iter_in(elements, &self.builder),
            &self.builder,
        );
        self.thunk(SPAN, array)
    }

    /// `() => expression`: an arrow keeps `this` and evaluates `expression` only when called.
    fn thunk(&self, span: oxc::span::Span, expression: Expression<'a>) -> Expression<'a> {
        let params = FormalParameters::boxed(
            SPAN,
            FormalParameterKind::ArrowFormalParameters,
            ArenaVec::new_in(&self.builder),
            None,
            &self.builder,
        );
        // `pife`: printed in parentheses, which V8 takes as a hint to compile the arrow with
        // its enclosing function (20 000 lazy compiles cost a 10 000-child root 300 ms).
        Expression::new_arrow_function_expression_with_scope_id_and_pure_and_pife(
            span,
            false,
            None,
            params,
            None,
            ArrowFunctionBody::from(expression),
            ScopeId::new(0),
            false,
            true,
            &self.builder,
        )
    }

    fn wrap(&mut self, expression: &mut Expression<'a>, id: &str, deps: &[Dep]) {
        let span = expression.span();
        let call = expression.take_in(&self.builder);
        let id = Expression::new_string_literal(
            SPAN,
            self.allocator.alloc_str(id) as &str,
            None,
            &self.builder,
        );
        *expression = Expression::new_call_expression(
            span,
            Expression::new_identifier(SPAN, ELEMENT, &self.builder),
            None,
            ArenaVec::from_iter_in(
                [
                    Argument::from(id),
                    Argument::from(self.deps_thunk(deps)),
                    Argument::from(self.thunk(span, call)),
                ],
                &self.builder,
            ),
            false,
            &self.builder,
        );
        self.wrapped += 1;
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Dep {
    This,
    Name(String),
}

/// The names an element uses, in first-use order, each once.
#[derive(Default)]
struct Deps {
    list: Vec<Dep>,
    seen: HashSet<Dep>,
}

fn add_dep(deps: &mut Deps, dep: Dep) {
    if deps.seen.insert(dep.clone()) {
        deps.list.push(dep);
    }
}

impl<'a> VisitMut<'a> for ElementCache<'a, '_> {
    fn visit_function(&mut self, function: &mut Function<'a>, flags: ScopeFlags) {
        self.function_depth += 1;
        walk_mut::walk_function(self, function, flags);
        self.function_depth -= 1;
    }

    fn visit_arrow_function_expression(
        &mut self,
        arrow: &mut oxc::ast::ast::ArrowFunctionExpression<'a>,
    ) {
        self.function_depth += 1;
        walk_mut::walk_arrow_function_expression(self, arrow);
        self.function_depth -= 1;
    }

    fn visit_expression(&mut self, expression: &mut Expression<'a>) {
        if self.function_depth > 0 && self.is_jsx_call(expression) {
            let mut deps = Deps::default();
            if self.is_constant(expression, &mut deps)
                && let Some(id) = self.element_id(expression)
            {
                // Inner elements first: when this one changes, its unchanged children still hit.
                walk_mut::walk_expression(self, expression);
                self.wrap(expression, &id, &deps.list);
                return;
            }
        }
        walk_mut::walk_expression(self, expression);
    }
}
