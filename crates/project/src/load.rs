//! Load: a module's file read and compiled by its kind and query — the compile crate's stage
//! for components, scripts, stylesheets and JSON; `?raw`, `?url` and assets as string exports;
//! a page's inline script (`?html-proxy&index=N.js`) as a module of its own.

use crate::analysis::html;
use crate::module_id::split_key;
use metamon_compile::{
    Compiled, Diagnostic, ModuleKind, Options, ScriptOptions, WorkerPool, compile, compile_script,
    compile_stylesheet, js_string, module_kind,
};
use std::path::Path;

pub fn load(
    key: &str,
    relative: &str,
    file: &Path,
    options: &Options,
    worker: &WorkerPool,
) -> Result<Compiled, Vec<Diagnostic>> {
    let bytes = std::fs::read(file).map_err(|e| {
        vec![Diagnostic::new(
            "serve::read",
            relative,
            1,
            1,
            format!("cannot read the file: {e}"),
        )]
    })?;
    load_bytes(key, relative, file, &bytes, options, worker)
}

/// [`load`] of the file's text as given (not as on disk now).
pub fn load_bytes(
    key: &str,
    relative: &str,
    file: &Path,
    bytes: &[u8],
    options: &Options,
    worker: &WorkerPool,
) -> Result<Compiled, Vec<Diagnostic>> {
    let kind = module_kind(relative, options);
    let query = split_key(key).1;
    if let Some(index) = query.and_then(html::proxy_index) {
        return inline_script(relative, bytes, index, options);
    }
    match kind {
        // `?raw`: the file's text; `?url`: its URL, whatever kind of file it is (Vite's).
        _ if query == Some("raw") => Ok(default_export(&String::from_utf8_lossy(bytes))),
        _ if query == Some("url") => Ok(default_export(&format!("/{relative}"))),
        Some(ModuleKind::Css) if query == Some("import") => {
            let source = String::from_utf8_lossy(bytes);
            compile_stylesheet(relative, file, &source, options, worker)
        }
        Some(ModuleKind::Json) => compile(relative, file, bytes, options, worker),
        Some(kind) if kind.is_script() => compile(relative, file, bytes, options, worker),
        // Any other file imported from JS: its URL.
        _ => Ok(default_export(&format!("/{relative}"))),
    }
}

/// An inline `<script type="module">` of the page, at the page's own lines.
fn inline_script(
    relative: &str,
    bytes: &[u8],
    index: usize,
    options: &Options,
) -> Result<Compiled, Vec<Diagnostic>> {
    let page = String::from_utf8_lossy(bytes);
    let script = html::inline_script(&page, index).ok_or_else(|| {
        vec![Diagnostic::new(
            "serve::html-proxy",
            relative,
            1,
            1,
            format!("the page has no inline module script number {index}"),
        )]
    })?;
    let script_options = ScriptOptions {
        jsx_dev_runtime: options.jsx_dev_runtime,
        original: Some(page.to_string()),
        define: options.script_defines(),
        ..ScriptOptions::default()
    };
    compile_script(relative, &script, &script_options)
}

/// A module whose default export is the string `value`.
fn default_export(value: &str) -> Compiled {
    Compiled {
        code: format!("export default {};\n", js_string(value)),
        ..Compiled::default()
    }
}
