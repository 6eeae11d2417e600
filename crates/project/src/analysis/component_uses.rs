//! How a compiled component uses the components it imports: rendered as a child (a JSX element,
//! a tag in a template) or used as a value (`createApp(Poll)`, `mount(Tally, …)`). The bridge
//! between frameworks goes only where a component of another framework is rendered.

use metamon_compile::RenderUses;
use oxc::allocator::Allocator;
use oxc::ast::ast::{
    Argument, BindingPattern, CallExpression, Expression, IdentifierReference, ObjectProperty,
    PropertyKey, VariableDeclarator,
};
use oxc::ast_visit::{Visit, walk};

/// One reference to an imported component where the importer renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderUse {
    /// The identifier's byte span.
    pub span: (usize, usize),
    /// `{ Poll }`: renaming the reference must keep the key (`{ Poll: other }`).
    pub shorthand: bool,
}

/// The uses of one local name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    pub render: Vec<RenderUse>,
    /// References that are not renders.
    pub values: usize,
}

/// The uses of each of `names` in `code` (a compiled module), in the order of `names`.
pub fn component_uses(
    code: &str,
    render_uses: &RenderUses,
    names: &[&str],
) -> Result<Vec<Uses>, String> {
    let allocator = Allocator::default();
    let parsed = crate::analysis::parse_module(&allocator, code)?;
    let mut finder = Finder {
        rules: render_uses,
        names,
        references: Vec::new(),
        renders: Vec::new(),
        shorthands: Vec::new(),
        template_depth: 0,
    };
    finder.visit_program(&parsed.program);
    let mut uses = vec![Uses::default(); names.len()];
    for (index, span) in finder.references {
        if finder.renders.contains(&(index, span)) {
            uses[index].render.push(RenderUse {
                span,
                shorthand: finder.shorthands.contains(&span),
            });
        } else {
            uses[index].values += 1;
        }
    }
    Ok(uses)
}

struct Finder<'r> {
    rules: &'r RenderUses,
    names: &'r [&'r str],
    /// Every reference to one of `names`: (index in `names`, span).
    references: Vec<(usize, (usize, usize))>,
    renders: Vec<(usize, (usize, usize))>,
    shorthands: Vec<(usize, usize)>,
    /// > 0 inside an object that hands components to a template.
    template_depth: usize,
}

impl Finder<'_> {
    fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    fn mark_render(&mut self, expression: &Expression) {
        let expression = expression.without_parentheses();
        if let Expression::Identifier(ident) = expression {
            if let Some(index) = self.index_of(&ident.name) {
                self.renders.push((index, span_of(ident)));
            }
        } else if let Expression::CallExpression(call) = expression
            && callee_name(&call.callee) == Some("unref")
            && let Some(Argument::Identifier(ident)) = call.arguments.first()
            && let Some(index) = self.index_of(&ident.name)
        {
            self.renders.push((index, span_of(ident)));
        }
    }
}

impl<'a> Visit<'a> for Finder<'_> {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if let Some(index) = self.index_of(&it.name) {
            self.references.push((index, span_of(it)));
            if self.template_depth > 0 {
                self.renders.push((index, span_of(it)));
            }
        }
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if self.rules.called && it.arguments.first().is_some_and(is_anchor) {
            self.mark_render(&it.callee);
        }
        if callee_name(&it.callee).is_some_and(|name| self.rules.factories.contains(&name))
            && let Some(first) = it.arguments.first().and_then(Argument::as_expression)
        {
            self.mark_render(first);
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        if it.shorthand
            && let Expression::Identifier(ident) = &it.value
        {
            self.shorthands.push(span_of(ident));
        }
        let components = self.rules.template_bindings
            && matches!(&it.key, PropertyKey::StaticIdentifier(key) if key.name == "components");
        self.template_depth += usize::from(components);
        walk::walk_object_property(self, it);
        self.template_depth -= usize::from(components);
    }

    // Vue's `const __returned__ = { n, get Poll() { return Poll } }` (a setup's bindings).
    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        let bindings = self.rules.template_bindings
            && matches!(&it.id, BindingPattern::BindingIdentifier(id) if id.name == "__returned__");
        self.template_depth += usize::from(bindings);
        walk::walk_variable_declarator(self, it);
        self.template_depth -= usize::from(bindings);
    }
}

/// The DOM anchor Svelte renders a child component at (`$$anchor`, `node`, `node_1`…): a call
/// of the component with anything else (`Clock({ label })`) is a use as a value.
fn is_anchor(argument: &Argument) -> bool {
    matches!(argument, Argument::Identifier(ident)
        if ident.name == "$$anchor" || ident.name.starts_with("node"))
}

/// `jsxDEV` for `_jsxDEV(…)`, `createElement` for `React.createElement(…)`.
fn callee_name<'a>(callee: &'a Expression) -> Option<&'a str> {
    let name = match callee.without_parentheses() {
        Expression::Identifier(ident) => ident.name.as_str(),
        Expression::StaticMemberExpression(member) => member.property.name.as_str(),
        _ => return None,
    };
    Some(name.trim_start_matches(['_', '$']))
}

fn span_of(ident: &IdentifierReference) -> (usize, usize) {
    (ident.span.start as usize, ident.span.end as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use metamon_compile::{Framework, descriptor};

    fn uses(framework: Framework, code: &str, name: &str) -> (usize, usize) {
        let found = component_uses(code, &descriptor(framework).render_uses, &[name]).unwrap();
        (found[0].render.len(), found[0].values)
    }

    #[test]
    fn react_renders_are_jsx_calls() {
        let code = "import { jsxDEV as _jsxDEV } from 'react/jsx-dev-runtime';\nimport Poll from './Poll.vue';\ncreateApp(Poll).mount('#vue');\nexport default function App() { return _jsxDEV(Poll, { n: 1 }); }\nReact.createElement(Poll);\n";
        assert_eq!(uses(Framework::React, code, "Poll"), (2, 1));
    }

    #[test]
    fn solid_renders_are_create_component_calls() {
        let code = "import Tally from './Tally.svelte';\nconst a = _$createComponent(Tally, {});\nmount(Tally, { target });\n";
        assert_eq!(uses(Framework::Solid, code, "Tally"), (1, 1));
    }

    #[test]
    fn svelte_renders_call_the_component() {
        let code = "import Poll from './Poll.vue';\n$.add_svelte_meta(() => Poll(node, { count: n }), 'component');\nrender(() => Poll({ n }), el);\n";
        assert_eq!(uses(Framework::Svelte, code, "Poll"), (1, 1));
    }

    #[test]
    fn vue_renders_are_setup_bindings_components_and_vnodes() {
        let dev = "import Poll from './Poll.jsx';\nconst __returned__ = { n, get Poll() { return Poll }, ref };\nonMounted(() => createRoot(el).render(createElement(Poll)));\n";
        assert_eq!(uses(Framework::Vue, dev, "Poll"), (1, 1));
        let inline = "import Poll from './Poll.jsx';\nconst render = () => (_openBlock(), _createBlock(_unref(Poll), { n: n.value }));\n";
        assert_eq!(uses(Framework::Vue, inline, "Poll"), (1, 0));
        let options = "import Poll from './Poll.jsx';\nexport default { components: { Poll } };\n";
        let found = component_uses(options, &descriptor(Framework::Vue).render_uses, &["Poll"]);
        assert!(found.unwrap()[0].render[0].shorthand);
    }
}
