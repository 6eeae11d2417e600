//! Render: the served text of a module. Import URLs are written in at serve time, so that
//! importers always point at the freshest copy (`?t=`) of what they import.

use crate::deps::DepsMetadata;
use crate::graph::{Graph, ImportTarget, Transformed};
use metamon_compile::js_string;
use metamon_project::analysis::imports::Bindings;
use metamon_project::module_id::with_timestamp;
use metamon_project::text_edits::TextEdits;

/// The served text of a module: imports pointed at URLs (fresh copies stamped `?t=`), CommonJS
/// dependencies bound through their default export, `import.meta.hot` set up (unless `key` is
/// empty: runtime files are never hot-updated).
pub fn render(key: &str, transformed: &Transformed, graph: &Graph, deps: &DepsMetadata) -> String {
    let code = &transformed.code;
    let mut out = String::with_capacity(code.len() + 512);
    if !key.is_empty() && code.contains("import.meta.hot") {
        out.push_str(&format!("import {{ createHotContext as __metamon_hot }} from \"/@metamon/client\";import.meta.hot = __metamon_hot({});", js_string(key)));
    }
    if !key.is_empty() && code.contains("import.meta.env") {
        out.push_str("import.meta.env = { BASE_URL: \"/\", ...globalThis.__METAMON_ENV__, DEV: true, PROD: false, MODE: \"development\", SSR: false };");
    }
    if let Some(url) = &transformed.asset_url {
        let version = graph.timestamp(key);
        if version > 0 {
            out.push_str(&format!(
                "export default {};\n",
                js_string(&with_timestamp(url, version))
            ));
            return out;
        }
    }
    // Every edit of the code, in order: import URLs, CommonJS bindings, accepted dependencies.
    let mut edits = TextEdits::default();
    for (index, import) in transformed.imports.iter().enumerate() {
        let url = match &import.target {
            ImportTarget::Module(module) => with_timestamp(module, graph.timestamp(module)),
            ImportTarget::Dep(specifier) => deps
                .url(specifier)
                .unwrap_or_else(|| format!("/@deps/{}.js", crate::deps::flat_name(specifier))),
            ImportTarget::Url(url) => url.clone(),
        };
        let interop = matches!(&import.target, ImportTarget::Dep(specifier) if deps.entries.get(specifier).is_some_and(|entry| entry.needs_interop));
        match (&import.statement, interop) {
            (Some(((start, end), bindings)), true) => {
                let mut text = interop_statement(index, &url, bindings);
                // Keep the line count so the source map stays valid.
                text.push_str(&"\n".repeat(code[*start..*end].matches('\n').count()));
                edits.replace(*start, *end, text);
            }
            _ => edits.replace(import.literal.0, import.literal.1, js_string(&url)),
        }
    }
    for ((start, end), dep) in &transformed.accepted_literals {
        edits.replace(*start, *end, js_string(dep));
    }
    out.push_str(&edits.apply(code));
    out.push_str(&transformed.map_comment);
    out
}

/// `import React, { useState } from "react"` for a CommonJS bundle, as Vite writes it.
fn interop_statement(index: usize, url: &str, bindings: &Bindings) -> String {
    let name = format!("__metamon_cjs{index}");
    let mut out = format!("import {name} from {};", js_string(url));
    if let Some(default) = &bindings.default {
        out.push_str(&format!(
            "const {default} = {name} && {name}.__esModule ? {name}.default : {name};"
        ));
    }
    if let Some(namespace) = &bindings.namespace {
        out.push_str(&format!("const {namespace} = {name};"));
    }
    for (imported, local) in &bindings.named {
        if imported == "default" {
            out.push_str(&format!(
                "const {local} = {name} && {name}.__esModule ? {name}.default : {name};"
            ));
        } else {
            out.push_str(&format!("const {local} = {name}[{}];", js_string(imported)));
        }
    }
    out
}
