//! Load → compile → find imports → resolve them. The result is cached in the module graph;
//! the import URLs are written into the code at serve time, so that importers always point at
//! the freshest copy (`?t=`) of what they import.

use crate::DevServer;
use crate::deps::DepsMetadata;
use crate::graph::Graph;
use crate::imports::{Bindings, scan};
use base64::Engine;
use metamon_compile::{Compiled, Diagnostic, ModuleKind, compile, css_module_js, module_kind};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where an import points once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportTarget {
    /// A project module, by graph key.
    Module(String),
    /// A pre-bundled npm dependency, by specifier.
    Dep(String),
    /// A fixed URL (runtime files, URLs already absolute).
    Url(String),
}

#[derive(Debug, Clone)]
pub struct ResolvedImport {
    pub literal: (usize, usize),
    pub statement: Option<((usize, usize), Bindings)>,
    pub target: ImportTarget,
}

/// A compiled module, ready to be served.
#[derive(Debug, Default)]
pub struct Transformed {
    pub code: String,
    pub imports: Vec<ResolvedImport>,
    pub self_accepting: bool,
    /// Graph keys of the dependencies this module accepts updates of.
    pub accepted_deps: Vec<String>,
    /// CSS the framework compiler extracted, served as `<key>?css`.
    pub css: Option<String>,
    /// `//# sourceMappingURL=…` (inline), or empty.
    pub map_comment: String,
    /// The framework of a component module (changes when a `.mtm` file's `target` does).
    pub framework: Option<metamon_compile::Target>,
}

/// A module key is the URL path plus the query that changes what is served (`?css`, `?import`).
pub fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (key, None),
    }
}

/// Drops the `t=` version from a request query, keeping what selects the module.
pub fn key_from_request(path: &str, query: Option<&str>) -> String {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|part| !part.is_empty() && !part.starts_with("t=") && !part.starts_with("v="))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

impl DevServer {
    /// The module's transform: the cached one unless its file changed. Errors leave the last
    /// good transform in place (the caller decides whether to serve it).
    pub async fn transform(
        self: &Arc<Self>,
        key: &str,
    ) -> Result<Arc<Transformed>, Vec<Diagnostic>> {
        {
            let graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(node) = graph.modules.get(key)
                && !node.stale
                && let Some(transformed) = &node.transformed
            {
                return Ok(transformed.clone());
            }
        }
        if key == crate::routes::ROUTES_KEY {
            let pages = self.root.join("pages");
            self.graph
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .ensure(key, &pages);
            let compiled = self.routes_module();
            return self.finish(key, &pages, compiled).await;
        }
        let (url_path, query) = split_key(key);
        let relative = url_path.trim_start_matches('/').to_string();
        let file = crate::security::file_for_url(&self.root, url_path).map_err(|_| {
            vec![Diagnostic::new(
                "serve::not-found",
                &relative,
                1,
                1,
                format!("cannot find {url_path} under the project root"),
            )]
        })?;
        self.graph
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .ensure(key, &file);
        let compiled = if let Some(host) = query.and_then(|q| q.strip_prefix("bridge=")) {
            self.bridge_module(url_path, host)
                .map_err(|message| vec![Diagnostic::new("bridge", &relative, 1, 1, message)])?
        } else if query == Some("css") {
            let owner = Box::pin(self.transform(url_path)).await?;
            Compiled {
                code: css_module_js(key, owner.css.as_deref().unwrap_or(""), None, &[]),
                ..Compiled::default()
            }
        } else {
            let server = self.clone();
            let (file, relative, key) = (file.clone(), relative.clone(), key.to_string());
            tokio::task::spawn_blocking(move || server.compile_file(&key, &relative, &file))
                .await
                .map_err(|e| {
                    vec![Diagnostic::new(
                        "internal",
                        &relative_of(key_path(url_path)),
                        1,
                        1,
                        e.to_string(),
                    )]
                })??
        };
        let transformed = self.finish(key, &file, compiled).await?;
        Ok(transformed)
    }

    fn compile_file(
        &self,
        key: &str,
        relative: &str,
        file: &Path,
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
        let kind = module_kind(relative, &self.options());
        let query = split_key(key).1;
        let as_import = query == Some("import");
        if let Some(index) = query.and_then(crate::html::proxy_index) {
            // An inline `<script type="module">` of the page, compiled as a module of its own.
            let page = String::from_utf8_lossy(&bytes);
            let script = crate::html::inline_script(&page, index).ok_or_else(|| {
                vec![Diagnostic::new(
                    "serve::html-proxy",
                    relative,
                    1,
                    1,
                    format!("the page has no inline module script number {index}"),
                )]
            })?;
            let options = metamon_compile::ScriptOptions {
                jsx_dev_runtime: self.options().jsx_dev_runtime,
                original: Some(page.to_string()),
                ..metamon_compile::ScriptOptions::default()
            };
            return metamon_compile::compile_script(relative, &script, &options);
        }
        match kind {
            // `?raw`: the file's text; `?url`: its URL, whatever kind of file it is (Vite's).
            _ if query == Some("raw") => Ok(default_export(&String::from_utf8_lossy(&bytes))),
            _ if query == Some("url") => Ok(default_export(&format!("/{relative}"))),
            Some(ModuleKind::Css) if as_import => {
                let source = String::from_utf8_lossy(&bytes);
                metamon_compile::compile_stylesheet(
                    relative,
                    file,
                    &source,
                    &self.options(),
                    &self.worker,
                )
            }
            Some(ModuleKind::Json) => {
                compile(relative, file, &bytes, &self.options(), &self.worker)
            }
            Some(_) if kind.is_some_and(ModuleKind::is_script) => {
                compile(relative, file, &bytes, &self.options(), &self.worker)
            }
            // Any other file imported from JS: its URL.
            _ => Ok(default_export(&format!("/{relative}"))),
        }
    }

    /// Finds and resolves the imports of compiled code, pre-bundles new dependencies, and
    /// records the module in the graph.
    async fn finish(
        self: &Arc<Self>,
        key: &str,
        file: &Path,
        compiled: Compiled,
    ) -> Result<Arc<Transformed>, Vec<Diagnostic>> {
        let relative = relative_of(key_path(split_key(key).0));
        let mut compiled = compiled;
        let file_deps = std::mem::take(&mut compiled.file_deps);
        let mut globs = None;
        if compiled.code.contains("import.meta.glob") {
            let mut files = Vec::new();
            crate::watch::for_each_source_file(&self.root, &mut |path| {
                files.extend(crate::glob_import::relative_to_root(path, &self.root));
            });
            let expanded = crate::glob_import::expand(&compiled.code, file, &self.root, &files)
                .map_err(|error| {
                    let (line, column) = metamon_compile::line_column(&compiled.code, error.offset);
                    vec![Diagnostic::new(
                        "glob",
                        &relative,
                        line,
                        column,
                        error.message,
                    )]
                })?;
            compiled.code = expanded.code;
            globs = expanded.matcher;
        }
        let scanned = scan(&compiled.code).map_err(|message| {
            vec![Diagnostic::new(
                "internal",
                &relative,
                1,
                1,
                format!("the compiled module does not parse: {message}"),
            )]
        })?;
        let importer_dir = file.parent().unwrap_or(&self.root).to_path_buf();
        // A component importing a component of another framework gets it through a bridge.
        let host_framework = if key.contains('?') {
            None
        } else {
            self.framework_of(split_key(key).0)
        };
        let mut imports = Vec::new();
        let mut project_imports = HashSet::new();
        let mut new_deps = BTreeSet::new();
        for import in &scanned.imports {
            let mut target = self
                .resolve(&import.specifier, &importer_dir)
                .map_err(|message| {
                    let (line, column) =
                        metamon_compile::line_column(&compiled.code, import.literal.0);
                    vec![Diagnostic::new("resolve", &relative, line, column, message)]
                })?;
            if let (Some(host), ImportTarget::Module(module), Some((_, bindings))) =
                (host_framework, &target, &import.statement)
                && bindings.default.is_some()
                && !module.contains('?')
                && self.framework_of(module).is_some_and(|guest| guest != host)
            {
                target = ImportTarget::Module(format!("{module}?bridge={host}"));
            }
            match &target {
                ImportTarget::Module(module) => {
                    project_imports.insert(module.clone());
                }
                ImportTarget::Dep(specifier)
                    if self
                        .deps
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .url(specifier)
                        .is_none() =>
                {
                    new_deps.insert(specifier.clone());
                }
                ImportTarget::Url(url) => {
                    let deps = self.deps.read().unwrap_or_else(|e| e.into_inner());
                    new_deps.extend(
                        crate::http::runtime_dependencies(url)
                            .into_iter()
                            .filter(|s| deps.url(s).is_none()),
                    );
                }
                _ => {}
            }
            imports.push(ResolvedImport {
                literal: import.literal,
                statement: import.statement.clone(),
                target,
            });
        }
        if !new_deps.is_empty() {
            self.add_dependencies(new_deps)
                .await
                .map_err(|message| vec![Diagnostic::new("deps", &relative, 1, 1, message)])?;
        }
        let accepted_deps = scanned
            .accepted_deps
            .iter()
            .filter_map(|specifier| match self.resolve(specifier, &importer_dir) {
                Ok(ImportTarget::Module(module)) => Some(module),
                _ => None,
            })
            .collect();
        let map_comment = compiled.map.as_ref().map_or_else(String::new, |map| {
            format!(
                "\n//# sourceMappingURL=data:application/json;base64,{}\n",
                base64::engine::general_purpose::STANDARD.encode(map.to_string())
            )
        });
        let transformed = Arc::new(Transformed {
            code: compiled.code,
            imports,
            self_accepting: scanned.self_accepting,
            accepted_deps,
            css: compiled.css,
            map_comment,
            framework: host_framework,
        });
        // Only imports new to the graph need their file looked up (a root importing a
        // thousand components must not cost a thousand path walks per save).
        let unknown: Vec<&String> = {
            let graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
            project_imports
                .iter()
                .filter(|module| !graph.modules.contains_key(*module))
                .collect()
        };
        let unknown_files: Vec<(&String, PathBuf)> = unknown
            .into_iter()
            .filter_map(|module| {
                crate::security::file_for_url(&self.root, split_key(module).0)
                    .ok()
                    .map(|file| (module, file))
            })
            .collect();
        let mut graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
        for (module, imported_file) in unknown_files {
            graph.ensure(module, &imported_file);
        }
        let node = graph.ensure(key, file);
        node.globs = globs;
        node.file_deps = file_deps;
        graph.set_transformed(key, transformed.clone(), project_imports);
        Ok(transformed)
    }

    /// The framework a module's components belong to, from its path (and a `.mtm` file's
    /// frontmatter); `None` for plain scripts.
    pub fn framework_of(&self, url_path: &str) -> Option<metamon_compile::Target> {
        use metamon_compile::Target;
        match module_kind(url_path, &self.options())? {
            ModuleKind::Vue => Some(Target::Vue),
            ModuleKind::Svelte => Some(Target::Svelte),
            ModuleKind::SolidScript => Some(Target::Solid),
            ModuleKind::Script if url_path.ends_with(".jsx") || url_path.ends_with(".tsx") => {
                Some(Target::React)
            }
            ModuleKind::Mtm => {
                // The last good transform knows its target: no need to read the file again.
                if let Some(transformed) = self
                    .graph
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .modules
                    .get(url_path)
                    .filter(|node| !node.stale)
                    .and_then(|node| node.transformed.clone())
                {
                    return transformed.framework;
                }
                let file = crate::security::file_for_url(&self.root, url_path).ok()?;
                let bytes = std::fs::read(file).ok()?;
                metamon_mtm::parse(url_path, &bytes)
                    .ok()
                    .map(|parsed| parsed.target)
            }
            _ => None,
        }
    }

    /// The glue that lets a component of framework `host` render the component module at
    /// `url_path`, of another framework, through the runtime's bridges.
    fn bridge_module(&self, url_path: &str, host: &str) -> Result<Compiled, String> {
        let guest = self
            .framework_of(url_path)
            .ok_or_else(|| format!("{url_path} is not a component of a known framework"))?;
        let host = metamon_compile::Target::from_name(host)
            .ok_or_else(|| format!("unknown host framework `{host}`"))?;
        let url = json(url_path);
        Ok(Compiled {
            code: format!(
                "import Component from {url};\nimport {{ mount }} from \"/@metamon/bridge/{guest}.js\";\nimport {{ host }} from \"/@metamon/bridge/{host}.js\";\nexport default host((target, props) => mount(Component, target, props), {url});\n"
            ),
            ..Compiled::default()
        })
    }

    /// Resolves an import specifier written in a module in `importer_dir`.
    pub fn resolve(&self, specifier: &str, importer_dir: &Path) -> Result<ImportTarget, String> {
        if specifier.starts_with("/@")
            || specifier.contains("://")
            || specifier.starts_with("data:")
        {
            return Ok(ImportTarget::Url(specifier.to_string()));
        }
        if specifier == "metamon" {
            return Ok(ImportTarget::Url("/@metamon/core.js".into()));
        }
        if let Some(framework) = specifier.strip_prefix("metamon/") {
            return Ok(ImportTarget::Url(format!("/@metamon/{framework}.js")));
        }
        let (path, query) = split_key(specifier);
        let is_path = path.starts_with("./")
            || path.starts_with("../")
            || path.starts_with('/')
            || path == "."
            || path == "..";
        // A package's stylesheet (`import 'lib/dist/style.css'`) is served like the app's own:
        // the dependency pre-bundle is for JavaScript.
        let package_stylesheet =
            !is_path && matches!(module_kind(path, &self.options()), Some(ModuleKind::Css));
        if !is_path && !package_stylesheet {
            return Ok(ImportTarget::Dep(specifier.to_string()));
        }
        let (base, request) = match path.strip_prefix('/') {
            Some(from_root) => (self.root.as_path(), format!("./{from_root}")),
            None => (importer_dir, path.to_string()),
        };
        let resolution = self
            .resolver
            .resolve(base, &request)
            .map_err(|error| format!("cannot resolve `{specifier}`: {error}"))?;
        // The resolver follows symlinks itself (cached): its path is the real one.
        let resolved = resolution.path();
        let relative = resolved.strip_prefix(&self.root).map_err(|_| {
            format!("`{specifier}` is outside the project root, which is all the dev server serves")
        })?;
        let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
        let kind = module_kind(&url, &self.options());
        let key = match query {
            Some(query @ ("css" | "raw" | "url")) => format!("{url}?{query}"),
            _ if kind.is_some_and(ModuleKind::is_script) => url,
            _ => format!("{url}?import"),
        };
        Ok(ImportTarget::Module(key))
    }
}

/// The served text of a module: imports pointed at URLs (fresh copies stamped `?t=`), CommonJS
/// dependencies bound through their default export, `import.meta.hot` set up (unless `key` is
/// empty: runtime files are never hot-updated).
pub fn render(key: &str, transformed: &Transformed, graph: &Graph, deps: &DepsMetadata) -> String {
    let code = &transformed.code;
    let mut out = String::with_capacity(code.len() + 512);
    if !key.is_empty() && code.contains("import.meta.hot") {
        out.push_str(&format!("import {{ createHotContext as __metamon_hot }} from \"/@metamon/client\";import.meta.hot = __metamon_hot({});", json(key)));
    }
    if !key.is_empty() && code.contains("import.meta.env") {
        out.push_str("import.meta.env = { ...globalThis.__METAMON_ENV__, DEV: true, PROD: false, MODE: \"development\", BASE_URL: \"/\", SSR: false };");
    }
    let mut last = 0;
    for (index, import) in transformed.imports.iter().enumerate() {
        if import.literal.0 < last {
            continue;
        }
        let url = match &import.target {
            ImportTarget::Module(module) => with_timestamp(module, graph.timestamp(module)),
            ImportTarget::Dep(specifier) => deps
                .url(specifier)
                .unwrap_or_else(|| format!("/@deps/{}.js", crate::deps::flat_name(specifier))),
            ImportTarget::Url(url) => url.clone(),
        };
        let interop = matches!(&import.target, ImportTarget::Dep(specifier) if deps.entries.get(specifier).is_some_and(|entry| entry.needs_interop));
        match (&import.statement, interop) {
            (Some(((start, end), bindings)), true) if *start >= last => {
                out.push_str(&code[last..*start]);
                out.push_str(&interop_statement(index, &url, bindings));
                // Keep the line count so the source map stays valid.
                out.push_str(&"\n".repeat(code[*start..*end].matches('\n').count()));
                last = *end;
            }
            _ => {
                out.push_str(&code[last..import.literal.0]);
                out.push_str(&json(&url));
                last = import.literal.1;
            }
        }
    }
    out.push_str(&code[last..]);
    out.push_str(&transformed.map_comment);
    out
}

/// `import React, { useState } from "react"` for a CommonJS bundle, as Vite writes it.
fn interop_statement(index: usize, url: &str, bindings: &Bindings) -> String {
    let name = format!("__metamon_cjs{index}");
    let mut out = format!("import {name} from {};", json(url));
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
            out.push_str(&format!("const {local} = {name}[{}];", json(imported)));
        }
    }
    out
}

pub fn with_timestamp(url: &str, timestamp: u64) -> String {
    if timestamp == 0 {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&t={timestamp}")
    } else {
        format!("{url}?t={timestamp}")
    }
}

fn key_path(key: &str) -> &str {
    split_key(key).0
}

/// A module whose default export is the string `value`.
fn default_export(value: &str) -> Compiled {
    Compiled {
        code: format!("export default {};\n", json(value)),
        ..Compiled::default()
    }
}

fn relative_of(url_path: &str) -> String {
    url_path.trim_start_matches('/').to_string()
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}
