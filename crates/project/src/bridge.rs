//! Bridge modules (`<component>?bridge=<host>`): the glue that lets a component of framework
//! `host` render a component of another framework, through the runtime's bridges.
//!
//! An import of a component of another framework gives the real component wherever the
//! importer uses it as a value (`createApp(Poll).mount(…)`, `mount(Tally, …)`), and the bridge
//! wherever the importer renders it (`<Poll />` in JSX or a template): `bridge_by_use` points the
//! import at the bridge when every use is a render, and adds a second, bridged import for the
//! renders when the uses are mixed.

use crate::analysis::component_uses::component_uses;
use metamon_compile::{Compiled, Framework, descriptor, js_string};

pub fn bridge_module(url_path: &str, guest: Framework, host: Framework) -> Compiled {
    let url = js_string(url_path);
    Compiled {
        code: format!(
            "import Component from {url};\nimport {{ mount }} from \"/@metamon/bridge/{guest}.js\";\nimport {{ host }} from \"/@metamon/bridge/{host}.js\";\nexport default host((target, props) => mount(Component, target, props), {url});\n"
        ),
        ..Compiled::default()
    }
}

/// The key through which `host` imports the component at `module`, when it needs a bridge.
pub fn bridged_key(module: &str, host: Framework) -> String {
    format!("{module}?bridge={host}")
}

/// A default import of a component of another framework, found in a compiled module.
#[derive(Debug, Clone)]
pub struct ForeignImport {
    /// The local name of the default binding.
    pub local: String,
    pub specifier: String,
    /// The specifier's string literal, quotes included.
    pub literal: (usize, usize),
}

/// `code` with each foreign import bridged where `host` renders it (see the module comment).
/// Imports used only as values are left alone; code that does not parse is returned as is.
pub fn bridge_by_use(code: &str, host: Framework, foreign: &[ForeignImport]) -> String {
    if foreign.is_empty() {
        return code.to_string();
    }
    let names: Vec<&str> = foreign.iter().map(|f| f.local.as_str()).collect();
    let Ok(uses) = component_uses(code, &descriptor(host).render_uses, &names) else {
        return code.to_string();
    };
    let mut edits: Vec<((usize, usize), String)> = Vec::new();
    let mut added = String::new();
    for (import, uses) in foreign.iter().zip(&uses) {
        let bridged = js_string(&bridged_key(&import.specifier, host));
        if uses.values == 0 {
            edits.push((import.literal, bridged));
        } else if !uses.render.is_empty() {
            let renamed = format!("{}$bridge", import.local);
            added.push_str(&format!("\nimport {renamed} from {bridged};"));
            for render in &uses.render {
                let replacement = if render.shorthand {
                    format!("{}: {renamed}", import.local)
                } else {
                    renamed.clone()
                };
                edits.push((render.span, replacement));
            }
        }
    }
    edits.sort_by_key(|(span, _)| span.0);
    let mut out = code.to_string();
    for ((start, end), replacement) in edits.into_iter().rev() {
        out.replace_range(start..end, &replacement);
    }
    // Imports are hoisted: appended ones keep every line of the source map in place.
    out.push_str(&added);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn foreign(code: &str, local: &str, specifier: &str) -> ForeignImport {
        let quoted = format!("'{specifier}'");
        let start = code.find(&quoted).unwrap();
        ForeignImport {
            local: local.to_string(),
            specifier: specifier.to_string(),
            literal: (start, start + quoted.len()),
        }
    }

    #[test]
    fn renders_only_import_the_bridge() {
        let code = "import Poll from './Poll.vue';\nexport const App = () => _jsxDEV(Poll, {});\n";
        let out = bridge_by_use(
            code,
            Framework::React,
            &[foreign(code, "Poll", "./Poll.vue")],
        );
        assert_eq!(
            out,
            "import Poll from \"./Poll.vue?bridge=react\";\nexport const App = () => _jsxDEV(Poll, {});\n"
        );
    }

    #[test]
    fn values_only_keep_the_real_component() {
        let code = "import Poll from './Poll.vue';\ncreateApp(Poll).mount('#vue');\n";
        let out = bridge_by_use(
            code,
            Framework::React,
            &[foreign(code, "Poll", "./Poll.vue")],
        );
        assert_eq!(out, code);
    }

    #[test]
    fn mixed_uses_get_a_second_bridged_import() {
        let code = "import Poll from './Poll.jsx';\nconst __returned__ = { Poll, other };\ncreateRoot(el).render(createElement(Poll));\n";
        let out = bridge_by_use(code, Framework::Vue, &[foreign(code, "Poll", "./Poll.jsx")]);
        assert_eq!(
            out,
            "import Poll from './Poll.jsx';\nconst __returned__ = { Poll: Poll$bridge, other };\ncreateRoot(el).render(createElement(Poll));\n\nimport Poll$bridge from \"./Poll.jsx?bridge=vue\";"
        );
    }
}
