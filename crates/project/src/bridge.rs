//! Bridge modules (`<component>?bridge=<host>`): the glue that lets a component of framework
//! `host` render a component of another framework, through the runtime's bridges.

use metamon_compile::{Compiled, Framework, js_string};

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
