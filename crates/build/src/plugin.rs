//! The rolldown plugin that makes a build out of metamon's own pipeline: ids resolve as in
//! `metamon dev` (root-absolute paths, `metamon/…` runtime modules, `?raw`/`?url`/`?css`/
//! `?bridge=` queries, the routes table), every project module is loaded and compiled by
//! `metamon_project::load` with production options, and each chunk's CSS is extracted.

use crate::assets::Assets;
use arcstr::ArcStr;
use metamon_compile::{
    Diagnostic, Framework, ModuleKind, Options, WorkerPool, line_column, module_kind,
};
use metamon_config::Config;
use metamon_project::alias::Aliases;
use metamon_project::analysis::{glob_import, imports, pages};
use metamon_project::files::{relative_to_root, source_files};
use metamon_project::module_id::split_key;
use metamon_project::{bridge, components, load, runtime_files};
use rolldown_common::ModuleType;
use rolldown_common::side_effects::HookSideEffects;
use rolldown_plugin::{
    HookLoadArgs, HookLoadOutput, HookLoadReturn, HookRenderChunkArgs, HookRenderChunkOutput,
    HookRenderChunkReturn, HookResolveIdArgs, HookResolveIdOutput, HookResolveIdReturn, HookUsage,
    Plugin, PluginContext, SharedLoadPluginContext,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Ids of the embedded runtime's modules.
const RUNTIME_ID: &str = "\0metamon:";

#[derive(Debug)]
pub struct MetamonPlugin {
    pub state: Arc<BuildState>,
}

/// What the plugin shares with the build: the project, and what loading modules found.
pub struct BuildState {
    pub root: PathBuf,
    pub options: Arc<Options>,
    pub worker: WorkerPool,
    pub assets: Assets,
    pub sourcemap: bool,
    pub css_targets: Vec<String>,
    /// The config's `resolve.alias`, applied before resolving, as in dev.
    aliases: Aliases,
    /// The folder copied to the output's root (`public/`).
    pub public_dir: String,
    /// Every compile error of the build, reported together at the end.
    pub diagnostics: Mutex<Vec<Diagnostic>>,
    /// CSS of each module (by id), extracted per chunk.
    css: Mutex<HashMap<String, String>>,
    /// The CSS file of each chunk, by its preliminary file name.
    pub chunk_css: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for BuildState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildState")
            .field("root", &self.root)
            .finish()
    }
}

impl BuildState {
    pub fn new(
        root: PathBuf,
        options: Options,
        assets: Assets,
        sourcemap: bool,
        config: &Config,
    ) -> Self {
        let worker =
            WorkerPool::with_cache(metamon_project::files::cache_dir(&root).join("compile"));
        Self {
            aliases: Aliases::new(&root, config),
            public_dir: config.public_dir.clone(),
            root,
            options: Arc::new(options),
            worker,
            assets,
            sourcemap,
            css_targets: config.css_targets.clone(),
            diagnostics: Mutex::new(Vec::new()),
            css: Mutex::new(HashMap::new()),
            chunk_css: Mutex::new(HashMap::new()),
        }
    }

    fn report(&self, diagnostics: Vec<Diagnostic>) {
        self.diagnostics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(diagnostics);
    }

    /// A root-absolute URL path (`/src/App.vue`) for a module id (an absolute file path).
    fn url_path(&self, path: &str) -> Option<String> {
        relative_to_root(Path::new(path), &self.root).map(|relative| format!("/{relative}"))
    }
}

impl Plugin for MetamonPlugin {
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("metamon")
    }

    fn register_hook_usage(&self) -> HookUsage {
        HookUsage::ResolveId | HookUsage::Load | HookUsage::RenderChunk
    }

    async fn resolve_id(
        &self,
        ctx: &PluginContext,
        args: &HookResolveIdArgs<'_>,
    ) -> HookResolveIdReturn {
        let state = &self.state;
        let mut specifier = args.specifier.to_string();
        if let Some(aliased) = state.aliases.apply(&specifier) {
            specifier = aliased;
        }
        if let Some(url) = runtime_files::url_for_specifier(&specifier) {
            specifier = url;
        }
        if let Some(name) = specifier.strip_prefix(runtime_files::PREFIX) {
            return Ok(Some(HookResolveIdOutput::from_id(format!(
                "{RUNTIME_ID}{name}"
            ))));
        }
        if let Some(runtime_importer) = args.importer.and_then(|i| i.strip_prefix(RUNTIME_ID)) {
            if specifier.starts_with('.') {
                let joined = join_runtime_path(runtime_importer, &specifier);
                return Ok(Some(HookResolveIdOutput::from_id(format!(
                    "{RUNTIME_ID}{joined}"
                ))));
            }
            if !specifier.starts_with('/') {
                // The runtime's npm imports resolve from the project, like the app's own.
                let from_root = state.root.join("index.html");
                return resolved(ctx.resolve(&specifier, from_root.to_str(), None).await?);
            }
        }
        let (path, query) = split_key(&specifier);
        let root_absolute = path.starts_with('/') && !Path::new(path).starts_with(&state.root);
        let path = if root_absolute {
            state
                .root
                .join(path.trim_start_matches('/'))
                .to_string_lossy()
                .to_string()
        } else {
            path.to_string()
        };
        let stylesheet = module_kind(&path, &state.options) == Some(ModuleKind::Css);
        let resolution = ctx.resolve(&path, args.importer, None).await?;
        let Ok(resolution) = resolution else {
            // Named at the importer's line, as `metamon dev` and `check` do.
            if let Some(diagnostic) = unresolved(state, args.importer, args.specifier) {
                state.report(vec![diagnostic]);
            }
            return Ok(None);
        };
        if query.is_none() && !root_absolute && !stylesheet {
            return Ok(None);
        }
        let id = match query {
            Some(query) => format!("{}?{query}", resolution.id),
            None => resolution.id.to_string(),
        };
        Ok(Some(with_side_effects(
            HookResolveIdOutput::from_id(id),
            &state.options,
        )))
    }

    async fn load(&self, ctx: SharedLoadPluginContext, args: &HookLoadArgs<'_>) -> HookLoadReturn {
        let state = self.state.clone();
        if let Some(name) = args.id.strip_prefix(RUNTIME_ID) {
            let code = if format!("{}{name}", runtime_files::PREFIX) == pages::ROUTES_KEY {
                components::routes_module(&state.root, &state.options, |url| {
                    components::framework_of_file(&state.root, url, &state.options)
                })
            } else {
                match runtime_files::source(name) {
                    Some(source) => source.to_string(),
                    None => return Ok(None),
                }
            };
            return Ok(Some(js(code, None)));
        }
        let (path, query) = split_key(args.id);
        let file = PathBuf::from(path);
        let kind = module_kind(path, &state.options);
        let Some(url_path) = state.url_path(path) else {
            return Ok(None);
        };
        let in_dependency = url_path.contains("/node_modules/");
        match query {
            None if in_dependency && kind != Some(ModuleKind::Css) => return Ok(None),
            Some("css") => return Ok(Some(js("export default {};\n".into(), None))),
            Some("url") => return Ok(Some(asset_module(&state, &file, &url_path))),
            None if kind.is_none() => return Ok(Some(asset_module(&state, &file, &url_path))),
            _ => {}
        }
        if let Some(host) = query.and_then(|q| q.strip_prefix("bridge=")) {
            let guest = components::framework_of_file(&state.root, &url_path, &state.options);
            let host = Framework::from_name(host);
            let (Some(guest), Some(host)) = (guest, host) else {
                return Ok(Some(js("export default {};\n".into(), None)));
            };
            return Ok(Some(js(
                bridge::bridge_module(&url_path, guest, host).code,
                None,
            )));
        }
        let key = match (kind, query) {
            (Some(ModuleKind::Css), None) => format!("{url_path}?import"),
            (_, Some(query)) => format!("{url_path}?{query}"),
            (_, None) => url_path.clone(),
        };
        let relative = url_path.trim_start_matches('/').to_string();
        let loaded = {
            let state = state.clone();
            let (key, relative, file) = (key.clone(), relative.clone(), file.clone());
            tokio::task::spawn_blocking(move || {
                load::load(&key, &relative, &file, &state.options, &state.worker)
            })
            .await?
        };
        let mut compiled = match loaded {
            Ok(compiled) => compiled,
            Err(diagnostics) => {
                state.report(diagnostics);
                return Ok(Some(js("export default {};\n".into(), None)));
            }
        };
        if let Some(css) = compiled.css.take() {
            state
                .css
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(args.id.to_string(), css);
        }
        if compiled.code.contains("import.meta.glob") {
            let files: Vec<String> = source_files(&state.root, &state.root)
                .iter()
                .filter_map(|path| relative_to_root(path, &state.root))
                .collect();
            match glob_import::expand(&compiled.code, &file, &state.root, &files) {
                Ok(expanded) => compiled.code = expanded.code,
                Err(error) => {
                    let (line, column) = line_column(&compiled.code, error.offset);
                    state.report(vec![Diagnostic::new(
                        "glob",
                        &relative,
                        line,
                        column,
                        error.message,
                    )]);
                }
            }
        }
        let host = compiled
            .target
            .or_else(|| kind.and_then(|kind| kind.framework(&url_path)));
        if let Some(host) = host {
            compiled.code = bridge_imports(&ctx, &state, args.id, &compiled.code, host).await;
        }
        let map = compiled
            .map
            .filter(|_| state.sourcemap)
            .map(|mut map| {
                // The compiler names the file by its URL (`/src/App.mtm`); the bundler wants
                // its path, to write sources relative to each map.
                map["sources"] = serde_json::json!([file.to_string_lossy()]);
                map
            })
            .and_then(|map| serde_json::from_value::<rolldown_sourcemap::JSONSourceMap>(map).ok())
            .and_then(|json| rolldown_sourcemap::SourceMap::from_json(json).ok());
        let mut output = js(compiled.code, map);
        if kind == Some(ModuleKind::Css) {
            // Imported for its CSS only: tree-shaking must keep it in its chunk.
            output.side_effects = Some(HookSideEffects::NoTreeshake);
        }
        Ok(Some(output))
    }

    async fn render_chunk(
        &self,
        _ctx: &PluginContext,
        args: &HookRenderChunkArgs<'_>,
    ) -> HookRenderChunkReturn {
        let state = &self.state;
        let css: Vec<String> = {
            let by_module = state.css.lock().unwrap_or_else(|e| e.into_inner());
            args.chunk
                .module_ids
                .iter()
                .filter_map(|id| by_module.get(id.as_str()).cloned())
                .collect()
        };
        if css.is_empty() {
            return Ok(None);
        }
        let joined = state.assets.rewrite_css_urls(&css.join("\n"));
        let name = format!("{}.css", args.chunk.name);
        let minified = match metamon_compile::minify_css(&name, &joined, &state.css_targets) {
            Ok(minified) => minified,
            Err(diagnostics) => {
                state.report(diagnostics);
                return Ok(None);
            }
        };
        let css_file = state
            .assets
            .emit(&args.chunk.name, "css", minified.into_bytes());
        state
            .chunk_css
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(args.chunk.filename.to_string(), css_file.clone());
        if args.chunk.is_entry {
            // The page links the entry's stylesheet.
            return Ok(None);
        }
        // A lazy chunk brings its stylesheet along when it loads.
        let loader = format!(
            "(()=>{{if(!document.querySelector('link[href=\"{url}\"]')){{const l=document.createElement(\"link\");l.rel=\"stylesheet\";l.href=\"{url}\";document.head.appendChild(l)}}}})();\n",
            url = state.assets.url(&css_file)
        );
        Ok(Some(HookRenderChunkOutput {
            code: format!("{loader}{}", args.code),
            map: Default::default(),
        }))
    }
}

/// An import that does not resolve, at the line of the importer that writes it.
fn unresolved(state: &BuildState, importer: Option<&str>, specifier: &str) -> Option<Diagnostic> {
    let importer = split_key(importer?).0;
    let relative = relative_to_root(Path::new(importer), &state.root)?;
    if relative.starts_with("node_modules/") {
        return None;
    }
    let source = std::fs::read_to_string(importer).unwrap_or_default();
    let offset = ['"', '\'', '`']
        .iter()
        .find_map(|quote| source.find(&format!("{quote}{specifier}{quote}")))
        .unwrap_or(0);
    let (line, column) = line_column(&source, offset);
    Some(Diagnostic::new(
        "resolve",
        &relative,
        line,
        column,
        format!("cannot resolve `{specifier}` from {relative}"),
    ))
}

/// A stylesheet is imported for its CSS: tree-shaking must keep it in its chunk.
fn with_side_effects(mut output: HookResolveIdOutput, options: &Options) -> HookResolveIdOutput {
    let path = split_key(&output.id).0;
    if module_kind(path, options) == Some(ModuleKind::Css) {
        output.side_effects = Some(HookSideEffects::NoTreeshake);
    }
    output
}

fn js(code: String, map: Option<rolldown_sourcemap::SourceMap>) -> HookLoadOutput {
    HookLoadOutput {
        code: ArcStr::from(code),
        map,
        module_type: Some(ModuleType::Js),
        ..HookLoadOutput::default()
    }
}

fn asset_module(state: &BuildState, file: &Path, url_path: &str) -> HookLoadOutput {
    let url = state.assets.url_of_file(file).unwrap_or_else(|message| {
        state.report(vec![Diagnostic::new(
            "asset",
            url_path.trim_start_matches('/'),
            1,
            1,
            message,
        )]);
        String::new()
    });
    js(
        format!("export default {};\n", metamon_compile::js_string(&url)),
        None,
    )
}

fn resolved(
    resolution: Result<rolldown_common::ResolvedId, rolldown_resolver::ResolveError>,
) -> HookResolveIdReturn {
    Ok(resolution.ok().map(HookResolveIdOutput::from_resolved_id))
}

/// `./core.js` from `bridge/react.js` → `core.js`.
fn join_runtime_path(importer: &str, specifier: &str) -> String {
    let mut parts: Vec<&str> = importer.split('/').collect();
    parts.pop();
    for segment in specifier.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// A component renders the components of another framework it imports through a bridge,
/// exactly as in `metamon dev` (`bridge::bridge_by_use`).
async fn bridge_imports(
    ctx: &SharedLoadPluginContext,
    state: &BuildState,
    importer: &str,
    code: &str,
    host: Framework,
) -> String {
    let Ok(scanned) = imports::scan(code) else {
        return code.to_string();
    };
    let mut foreign = Vec::new();
    for import in &scanned.imports {
        let Some(local) = import
            .statement
            .as_ref()
            .and_then(|(_, b)| b.default.clone())
        else {
            continue;
        };
        if import.specifier.contains('?') {
            continue;
        }
        let Ok(Ok(resolution)) = ctx.resolve(&import.specifier, Some(importer), None).await else {
            continue;
        };
        let Some(url_path) = state.url_path(resolution.id.as_str()) else {
            continue;
        };
        let guest = components::framework_of_file(&state.root, &url_path, &state.options);
        if guest.is_some_and(|guest| guest != host) {
            foreign.push(bridge::ForeignImport {
                local,
                specifier: import.specifier.clone(),
                literal: import.literal,
            });
        }
    }
    bridge::bridge_by_use(code, host, &foreign)
}
