use super::{BodyShape, Compiler, Descriptor, LocalState, RenderUses, StateScope};
use crate::WorkerKind;
use metamon_mtm::Framework;

pub const DESCRIPTOR: Descriptor = Descriptor {
    framework: Framework::Vue,
    runtime_module: "metamon/vue",
    compiler: Compiler::Worker(WorkerKind::Vue),
    body: BodyShape::SingleFile {
        instance_script: "setup",
    },
    wrong_body: "a Vue body is a single-file component: it needs a `<template>` or `<script setup>` block",
    local_state: LocalState {
        imports: "import { localInstance as __metamon_localInstance } from \"metamon/local\";import { onUnmounted as __metamon_onUnmounted } from \"vue\";",
        scope: StateScope::InstanceScript {
            hooks: &[
                ("ref", "() => {name}.value"),
                ("shallowRef", "() => {name}.value"),
                // The reactive object itself: the next version wraps the same one again.
                ("reactive", "() => {name}"),
                ("shallowReactive", "() => {name}"),
            ],
            instance: "const __metamon_local = __metamon_localInstance(import.meta, \"default\");__metamon_onUnmounted(() => __metamon_local.release());",
        },
    },
    prebundle_entries: &["vue"],
    render_uses: RenderUses {
        factories: &["createVNode", "createBlock", "h", "resolveDynamicComponent"],
        called: false,
        template_bindings: true,
    },
};
