//! What the compiler knows of each framework, in one descriptor per framework (one file each):
//! the Rust twin of the runtime's bridges (`runtime/bridge/shared.js` and its four
//! implementations). Adding a framework is one more file here and one in the runtime.

mod react;
mod solid;
mod svelte;
mod vue;

use crate::WorkerKind;
use metamon_mtm::Framework;

pub struct Descriptor {
    pub framework: Framework,
    /// The module apps import this framework's Metamon hooks from.
    pub runtime_module: &'static str,
    /// Which compiler turns its components into JavaScript.
    pub compiler: Compiler,
    /// How a `.mtm` body for it is written, and what to say when a body is not.
    pub body: BodyShape,
    pub wrong_body: &'static str,
    /// How its components' local state is carried across hot updates and reloads.
    pub local_state: LocalState,
    /// npm entries its compiled components and runtime import: pre-bundled up front when the
    /// framework is installed, so a first component of it never forces a re-bundle.
    pub prebundle_entries: &'static [&'static str],
    /// Where its compiled components render a component they import, so an import of a
    /// component of another framework can be bridged only where it is rendered.
    pub render_uses: RenderUses,
}

/// The places in a compiled component that render an imported component `C` (everything else
/// uses `C` as a value: `createApp(C)`, `mount(C, …)`, `render(C, …)`).
#[derive(Debug, Clone, Copy)]
pub struct RenderUses {
    /// Calls with `C` (or `unref(C)`) as first argument: `jsxDEV(C, …)`, `createComponent(C, …)`.
    /// Matched by name without leading `_`/`$`, as compilers prefix their imports.
    pub factories: &'static [&'static str],
    /// A call of `C` itself at a DOM anchor (`C($$anchor, props)`, Svelte's way).
    pub called: bool,
    /// Objects handing components to a template: Vue's `__returned__` setup bindings and
    /// `components: { C }`.
    pub template_bindings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compiler {
    /// oxc, in Rust (JSX with React Refresh).
    Oxc,
    /// The framework's own compiler in the Node worker.
    Worker(WorkerKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyShape {
    /// A JS/TS module with JSX that default-exports the component.
    Module,
    /// A single-file component made of blocks (`<template>`, `<script setup>`); state lives
    /// in the instance `<script>` with this attribute.
    SingleFile { instance_script: &'static str },
    /// Markup with an optional instance `<script>` (not the `module` one).
    Markup,
}

impl BodyShape {
    /// The attribute that marks the instance script (empty: the script without `module`);
    /// `None` when the whole body is the script.
    pub fn instance_script(self) -> Option<&'static str> {
        match self {
            BodyShape::Module => None,
            BodyShape::SingleFile { instance_script } => Some(instance_script),
            BodyShape::Markup => Some(""),
        }
    }
}

/// Local-state instrumentation: which calls create state, and the code that keeps it.
pub struct LocalState {
    /// The imports an instrumented module needs (the carrier, the unmount hook).
    pub imports: &'static str,
    pub scope: StateScope,
}

pub enum StateScope {
    /// State created in each component function (`const [n, setN] = useState(0)`): a carrier
    /// per component, created by `carrier` (with `{name}` the component's name as a string).
    Component {
        hook: &'static str,
        carrier: &'static str,
        /// React re-renders call the component again: the value is read through a getter.
        getter: bool,
    },
    /// State declared in the instance script (`let n = $state(0)`, `const n = ref(0)`,
    /// `const form = reactive({…})`), created once per instance by `instance`. `hooks`: each
    /// call that creates state, with the code that reads its value (`{name}`: its name).
    InstanceScript {
        hooks: &'static [(&'static str, &'static str)],
        instance: &'static str,
    },
}

pub fn descriptor(framework: Framework) -> &'static Descriptor {
    match framework {
        Framework::React => &react::DESCRIPTOR,
        Framework::Vue => &vue::DESCRIPTOR,
        Framework::Svelte => &svelte::DESCRIPTOR,
        Framework::Solid => &solid::DESCRIPTOR,
    }
}
