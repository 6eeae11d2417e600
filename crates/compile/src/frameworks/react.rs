use super::{BodyShape, Compiler, Descriptor, LocalState, RenderUses, StateScope};
use metamon_mtm::Framework;

pub const DESCRIPTOR: Descriptor = Descriptor {
    framework: Framework::React,
    runtime_module: "metamon/react",
    compiler: Compiler::Oxc,
    body: BodyShape::Module,
    wrong_body: "this body is a single-file component, but a React or Solid body is a JavaScript module that default-exports the component",
    local_state: LocalState {
        imports: "import { useLocalState as __metamon_useLocalState } from \"metamon/react\";",
        scope: StateScope::Component {
            hook: "useState",
            carrier: "__metamon_useLocalState(import.meta, {name})",
            getter: true,
        },
    },
    prebundle_entries: &[
        "react",
        "react-dom",
        "react-dom/client",
        "react/jsx-dev-runtime",
        "react/jsx-runtime",
    ],
    render_uses: RenderUses {
        factories: &["jsx", "jsxs", "jsxDEV", "createElement"],
        called: false,
        template_bindings: false,
    },
};
