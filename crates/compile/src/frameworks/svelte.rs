use super::{BodyShape, Compiler, Descriptor, LocalState, RenderUses, StateScope};
use crate::WorkerKind;
use metamon_mtm::Framework;

pub const DESCRIPTOR: Descriptor = Descriptor {
    framework: Framework::Svelte,
    runtime_module: "metamon/svelte",
    compiler: Compiler::Worker(WorkerKind::Svelte),
    body: BodyShape::Markup,
    wrong_body: "a Svelte body is a Svelte component (markup with an optional `<script>`), but this is a JavaScript module",
    local_state: LocalState {
        imports: "import { localInstance as __metamon_localInstance } from \"metamon/local\";",
        scope: StateScope::InstanceScript {
            hooks: &[("$state", "() => $state.snapshot({name})")],
            instance: "const __metamon_local = __metamon_localInstance(import.meta, \"default\");$effect(() => () => __metamon_local.release());",
        },
    },
    prebundle_entries: &[
        "svelte",
        "svelte/internal/client",
        "svelte/internal/disclose-version",
        "svelte/reactivity",
        "svelte/store",
        "svelte/legacy",
        "svelte/events",
        "svelte/internal/flags/legacy",
        "svelte/internal/flags/async",
        "svelte/internal/flags/tracing",
    ],
    render_uses: RenderUses {
        factories: &[],
        called: true,
        template_bindings: false,
    },
};
