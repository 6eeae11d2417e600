use super::{BodyShape, Compiler, Descriptor, LocalState, RenderUses, StateScope};
use crate::WorkerKind;
use metamon_mtm::Framework;

pub const DESCRIPTOR: Descriptor = Descriptor {
    framework: Framework::Solid,
    runtime_module: "metamon/solid",
    compiler: Compiler::Worker(WorkerKind::Solid),
    body: BodyShape::Module,
    wrong_body: "this body is a single-file component, but a React or Solid body is a JavaScript module that default-exports the component",
    local_state: LocalState {
        imports: "import { localInstance as __metamon_localInstance } from \"metamon/local\";import { onCleanup as __metamon_onCleanup } from \"solid-js\";",
        scope: StateScope::Component {
            hook: "createSignal",
            carrier: "__metamon_localInstance(import.meta, {name}); __metamon_onCleanup(() => __metamon_local.release())",
            getter: false,
        },
    },
    prebundle_entries: &[
        "solid-js",
        "solid-js/web",
        "solid-js/store",
        "solid-refresh",
    ],
    render_uses: RenderUses {
        factories: &["createComponent"],
        called: false,
        template_bindings: false,
    },
};
