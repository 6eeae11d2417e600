//! The transform pipeline: a module key in, a [`Transformed`] module out, cached in the module
//! graph. Stages, each a plain function: load (read and compile, `load.rs`) → analyse (expand
//! `import.meta.glob`, find imports, bridge the components of another framework where they are
//! rendered (`bridge_by_use`) → resolve (`resolve.rs`) → record in the graph; render
//! (`render.rs`) writes the import URLs in when the module is served.

mod factories;
mod render;
mod resolve;

pub use render::render;
pub use resolve::{Resolution, runtime_dependencies, runtime_imports};

use crate::channel::HmrChannel;
use crate::deps::Deps;
use crate::graph::{Graph, ImportTarget, ResolvedImport, Transformed};
use metamon_compile::{
    Compiled, Diagnostic, Framework, ModuleKind, Options, WorkerPool, css_module_js,
    inline_source_map, line_column, module_kind, original_position,
};
use metamon_config::Config;
use metamon_project::analysis::{glob_import, imports, pages};
use metamon_project::bridge::{self, ForeignImport};
use metamon_project::files::{self as project_files, file_for_url};
use metamon_project::module_id::{relative_file, split_key};
use metamon_project::settings::Settings;
use metamon_project::{components, load};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// What transforming needs: the project, its settings, the compilers, the resolver, the
/// graph that caches the results and the dependency pre-bundle new imports go to.
pub struct Pipeline {
    root: PathBuf,
    settings: RwLock<Settings>,
    worker: WorkerPool,
    resolution: RwLock<Arc<Resolution>>,
    graph: Mutex<Graph>,
    deps: Deps,
    /// For the full reload a re-bundle of the dependencies needs.
    channel: HmrChannel,
    factories: factories::FactoryCache,
    /// The source of modules reached only through `import()`, as the warm-up read it: their
    /// last good version should they break before their first request.
    first_seen: Mutex<HashMap<String, Vec<u8>>>,
}

impl Pipeline {
    /// `root` must be canonical.
    pub fn new(root: PathBuf, config: Config, channel: HmrChannel) -> Self {
        let resolution = RwLock::new(Arc::new(Resolution::new(&root, &config)));
        let worker = WorkerPool::with_cache(project_files::cache_dir(&root).join("compile"));
        let factories =
            factories::FactoryCache::new(project_files::cache_dir(&root).join("factories"));
        Self {
            settings: RwLock::new(Settings::new(&root, config)),
            root,
            worker,
            resolution,
            graph: Mutex::new(Graph::default()),
            deps: Deps::default(),
            channel,
            factories,
            first_seen: Mutex::new(HashMap::new()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn options(&self) -> Arc<Options> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .options
            .clone()
    }

    pub fn config(&self) -> Arc<Config> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .config
            .clone()
    }

    /// New settings: every module compiles again on its next request.
    pub fn set_config(&self, config: Config) {
        *self.resolution.write().unwrap_or_else(|e| e.into_inner()) =
            Arc::new(Resolution::new(&self.root, &config));
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) =
            Settings::new(&self.root, config);
        self.graph().mark_all_stale();
    }

    pub fn resolution(&self) -> Arc<Resolution> {
        self.resolution
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn graph(&self) -> MutexGuard<'_, Graph> {
        self.graph.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn first_seen_sources(&self) -> MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.first_seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn deps(&self) -> &Deps {
        &self.deps
    }

    pub fn worker(&self) -> &WorkerPool {
        &self.worker
    }

    /// A file was added or removed: what an import resolves to may have changed.
    pub fn clear_resolver_cache(&self) {
        self.resolution().clear_cache();
    }

    /// The served text of a module.
    pub fn render(&self, key: &str, transformed: &Transformed) -> String {
        let graph = self.graph();
        render(key, transformed, &graph, &self.deps.read())
    }

    /// A served module in factory form, for bundled dev serving (`http/pack.rs`).
    pub fn factory(
        &self,
        served: &str,
    ) -> Result<Arc<metamon_project::module_factory::Factory>, String> {
        self.factories.factory(served)
    }

    /// Bundled dev serving: factories of earlier runs are read, and new ones kept, from now.
    pub fn open_factory_log(&self) {
        self.factories.open_log();
    }

    /// The npm entries of every installed framework's runtime, bundled up front so that a
    /// component switching framework (or a first bridge) never forces a re-bundle.
    pub fn installed_framework_entries(&self) -> BTreeSet<String> {
        Framework::ALL
            .iter()
            .flat_map(|framework| metamon_compile::descriptor(*framework).prebundle_entries)
            .filter(|entry| {
                self.resolution()
                    .resolver
                    .resolve(&self.root, entry)
                    .is_ok()
            })
            .map(|entry| entry.to_string())
            .collect()
    }

    /// The module's cached transform, if its file did not change since.
    pub fn fresh_transform(&self, key: &str) -> Option<Arc<Transformed>> {
        self.graph().get(key).and_then(|node| node.fresh().cloned())
    }

    /// The module's served text from its cached transform, if its file did not change since.
    pub fn fresh_served_text(&self, key: &str) -> Option<String> {
        let fresh = self.fresh_transform(key)?;
        Some(self.render(key, &fresh))
    }

    /// The module's transform: the cached one unless its file changed. Errors leave the last
    /// good transform in place (the caller decides whether to serve it).
    pub async fn transform(
        self: &Arc<Self>,
        key: &str,
    ) -> Result<Arc<Transformed>, Vec<Diagnostic>> {
        if let Some(transformed) = self.fresh_transform(key) {
            return Ok(transformed);
        }
        if key == pages::ROUTES_KEY {
            let pages_dir = self.root.join("pages");
            self.graph().ensure(key, &pages_dir);
            let compiled = Compiled {
                code: self.routes_module(),
                ..Compiled::default()
            };
            return self.finish(key, &pages_dir, compiled).await;
        }
        let (url_path, query) = split_key(key);
        let relative = relative_file(key);
        let file = file_for_url(&self.root, url_path).map_err(|_| {
            vec![Diagnostic::new(
                "serve::not-found",
                &relative,
                1,
                1,
                format!("cannot find {url_path} under the project root"),
            )]
        })?;
        self.graph().ensure(key, &file);
        let compiled = if let Some(host) = query.and_then(|q| q.strip_prefix("bridge=")) {
            let guest = self
                .framework_of(url_path)
                .ok_or_else(|| format!("{url_path} is not a component of a known framework"));
            let host = Framework::from_name(host).ok_or(format!("unknown host framework `{host}`"));
            match (guest, host) {
                (Ok(guest), Ok(host)) => bridge::bridge_module(url_path, guest, host),
                (Err(message), _) | (_, Err(message)) => {
                    return Err(vec![Diagnostic::new("bridge", &relative, 1, 1, message)]);
                }
            }
        } else if query == Some("css") {
            let owner = Box::pin(self.transform(url_path)).await?;
            Compiled {
                code: css_module_js(key, owner.css.as_deref().unwrap_or(""), None, &[]),
                ..Compiled::default()
            }
        } else {
            let pipeline = self.clone();
            let (file, file_name, key) = (file.clone(), relative.clone(), key.to_string());
            tokio::task::spawn_blocking(move || {
                load::load(
                    &key,
                    &file_name,
                    &file,
                    &pipeline.options(),
                    &pipeline.worker,
                )
            })
            .await
            .map_err(|e| vec![Diagnostic::new("internal", &relative, 1, 1, e.to_string())])??
        };
        self.finish(key, &file, compiled).await
    }

    /// Finds and resolves the imports of compiled code, pre-bundles new dependencies, and
    /// records the module in the graph.
    async fn finish(
        &self,
        key: &str,
        file: &Path,
        mut compiled: Compiled,
    ) -> Result<Arc<Transformed>, Vec<Diagnostic>> {
        let relative = relative_file(key);
        let file_deps = std::mem::take(&mut compiled.file_deps);
        let mut globs = None;
        if compiled.code.contains("import.meta.glob") {
            let files: Vec<String> = project_files::source_files(&self.root, &self.root)
                .iter()
                .filter_map(|path| project_files::relative_to_root(path, &self.root))
                .collect();
            let expanded =
                glob_import::expand(&compiled.code, file, &self.root, &files).map_err(|error| {
                    let (line, column) = line_column(&compiled.code, error.offset);
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
        let scan = |code: &str| {
            imports::scan(code).map_err(|message| {
                vec![Diagnostic::new(
                    "internal",
                    &relative,
                    1,
                    1,
                    format!("the compiled module does not parse: {message}"),
                )]
            })
        };
        let mut scanned = scan(&compiled.code)?;
        let importer_dir = file.parent().unwrap_or(&self.root).to_path_buf();
        let options = self.options();
        let resolution = self.resolution();
        // A component rendering a component of another framework renders it through a bridge.
        let host_framework = if key.contains('?') {
            None
        } else {
            self.framework_of(split_key(key).0)
        };
        if let Some(host) = host_framework {
            let foreign: Vec<ForeignImport> = scanned
                .imports
                .iter()
                .filter_map(|import| {
                    let local = import.statement.as_ref()?.1.default.clone()?;
                    if import.specifier.contains('?') {
                        return None;
                    }
                    let target = resolve::resolve(
                        &resolution,
                        &self.root,
                        &options,
                        &import.specifier,
                        &importer_dir,
                    );
                    let Ok(ImportTarget::Module(module)) = target else {
                        return None;
                    };
                    let guest = self.framework_of(&module)?;
                    (guest != host && !module.contains('?')).then(|| ForeignImport {
                        local,
                        specifier: import.specifier.clone(),
                        literal: import.literal,
                    })
                })
                .collect();
            if !foreign.is_empty() {
                compiled.code = bridge::bridge_by_use(&compiled.code, host, &foreign);
                scanned = scan(&compiled.code)?;
            }
        }
        let mut resolved_imports = Vec::new();
        let mut project_imports = HashSet::new();
        let mut new_deps = BTreeSet::new();
        for import in &scanned.imports {
            let target = resolve::resolve(
                &resolution,
                &self.root,
                &options,
                &import.specifier,
                &importer_dir,
            )
            .map_err(|message| {
                let (line, column) = line_column(&compiled.code, import.literal.0);
                let (line, column) = original_position(compiled.map.as_ref(), line, column);
                vec![Diagnostic::new("resolve", &relative, line, column, message)]
            })?;
            match &target {
                ImportTarget::Module(module) => {
                    project_imports.insert(module.clone());
                }
                ImportTarget::Dep(specifier) if self.deps.url(specifier).is_none() => {
                    new_deps.insert(specifier.clone());
                }
                ImportTarget::Url(url) => new_deps.extend(
                    resolve::runtime_dependencies(url)
                        .into_iter()
                        .filter(|s| self.deps.url(s).is_none()),
                ),
                ImportTarget::Dep(_) => {}
            }
            resolved_imports.push(ResolvedImport {
                literal: import.literal,
                statement: import.statement.clone(),
                target,
                dynamic: import.dynamic,
            });
        }
        if !new_deps.is_empty() {
            self.deps
                .add(&self.root, new_deps, &self.channel)
                .await
                .map_err(|message| vec![Diagnostic::new("deps", &relative, 1, 1, message)])?;
        }
        // A dependency that could not be bundled is this module's error, at its import.
        let failed: Vec<Diagnostic> = scanned
            .imports
            .iter()
            .zip(&resolved_imports)
            .filter_map(|(import, resolved)| {
                let ImportTarget::Dep(specifier) = &resolved.target else {
                    return None;
                };
                let reason = self.deps.failure(specifier)?;
                let (line, column) = line_column(&compiled.code, import.literal.0);
                let (line, column) = original_position(compiled.map.as_ref(), line, column);
                Some(Diagnostic::new(
                    "deps",
                    &relative,
                    line,
                    column,
                    format!("cannot load the dependency `{specifier}` imported here: {reason}"),
                ))
            })
            .collect();
        if !failed.is_empty() {
            return Err(failed);
        }
        let mut accepted_deps = Vec::new();
        let mut accepted_literals = Vec::new();
        for dep in &scanned.accepted_deps {
            if let Ok(ImportTarget::Module(module)) = resolve::resolve(
                &resolution,
                &self.root,
                &options,
                &dep.specifier,
                &importer_dir,
            ) {
                accepted_literals.push((dep.literal, module.clone()));
                accepted_deps.push(module);
            }
        }
        let map_comment = compiled
            .map
            .as_ref()
            .map_or_else(String::new, inline_source_map);
        let transformed = Arc::new(Transformed {
            code: compiled.code,
            imports: resolved_imports,
            self_accepting: scanned.self_accepting,
            accepted_deps,
            accepted_literals,
            asset_url: asset_url(key, &options),
            css: compiled.css,
            map_comment,
            framework: host_framework,
        });
        // Only imports new to the graph need their file looked up (a root importing a
        // thousand components must not cost a thousand path walks per save).
        let unknown: Vec<String> = {
            let graph = self.graph();
            project_imports
                .iter()
                .filter(|module| graph.get(module).is_none())
                .cloned()
                .collect()
        };
        let unknown_files: Vec<(String, PathBuf)> = unknown
            .into_iter()
            .filter_map(|module| {
                let file = file_for_url(&self.root, split_key(&module).0).ok()?;
                Some((module, file))
            })
            .collect();
        let mut graph = self.graph();
        for (module, imported_file) in unknown_files {
            graph.ensure(&module, &imported_file);
        }
        let node = graph.ensure(key, file);
        node.globs = globs;
        node.file_deps = file_deps;
        graph.set_transformed(key, transformed.clone(), project_imports);
        Ok(transformed)
    }

    /// Where the imports of a module's source point, read without compiling it (see
    /// [`imports::source_imports`]): the warm-up finds the dependencies of modules reached only
    /// through `import()` this way and leaves their compile to their first request.
    pub fn source_import_targets(&self, key: &str) -> Vec<ImportTarget> {
        let options = self.options();
        let (url_path, query) = split_key(key);
        if query.is_some() || !module_kind(url_path, &options).is_some_and(ModuleKind::is_script) {
            return Vec::new();
        }
        let Ok(file) = file_for_url(&self.root, url_path) else {
            return Vec::new();
        };
        let Ok(bytes) = std::fs::read(&file) else {
            return Vec::new();
        };
        let importer_dir = file.parent().unwrap_or(&self.root).to_path_buf();
        let resolution = self.resolution();
        let targets = imports::source_imports(url_path, &String::from_utf8_lossy(&bytes))
            .iter()
            .filter_map(|import| {
                resolve::resolve(
                    &resolution,
                    &self.root,
                    &options,
                    &import.specifier,
                    &importer_dir,
                )
                .ok()
            })
            .collect();
        self.first_seen_sources().insert(key.to_string(), bytes);
        targets
    }

    /// A module reached only through `import()` that broke before anything loaded it: its
    /// source as the warm-up read it, compiled, stands for its last good version (and stays
    /// stale, so the next request compiles the file again).
    pub async fn transform_first_seen(self: &Arc<Self>, key: &str) -> Option<Arc<Transformed>> {
        let bytes = self.first_seen_sources().remove(key)?;
        let file = file_for_url(&self.root, split_key(key).0).ok()?;
        let pipeline = self.clone();
        let (key_owned, relative, path) = (key.to_string(), relative_file(key), file.clone());
        let compiled = tokio::task::spawn_blocking(move || {
            load::load_bytes(
                &key_owned,
                &relative,
                &path,
                &bytes,
                &pipeline.options(),
                &pipeline.worker,
            )
        })
        .await
        .ok()?
        .ok()?;
        let transformed = self.finish(key, &file, compiled).await.ok()?;
        self.graph().mark_stale(key);
        Some(transformed)
    }

    /// The framework a module's components belong to, from its path (and a `.mtm` file's
    /// frontmatter); `None` for plain scripts.
    pub fn framework_of(&self, url_path: &str) -> Option<Framework> {
        // The last good transform of a `.mtm` file knows its target: no need to read it again.
        if url_path.ends_with(".mtm")
            && let Some(transformed) = self
                .graph()
                .get(url_path)
                .and_then(|node| node.fresh().cloned())
        {
            return transformed.framework;
        }
        components::framework_of_file(&self.root, url_path, &self.options())
    }

    /// The routes table, from the component files under `pages/` and `layouts/`.
    fn routes_module(&self) -> String {
        components::routes_module(&self.root, &self.options(), |url| self.framework_of(url))
    }
}

/// The URL an asset module exports: `?url` of any file, and files imported from JS that are
/// neither code nor stylesheets.
fn asset_url(key: &str, options: &Options) -> Option<String> {
    let (path, query) = split_key(key);
    let asset = match query {
        Some("url") => true,
        Some("import") => {
            !matches!(
                module_kind(path, options),
                Some(ModuleKind::Css | ModuleKind::Json)
            ) && !module_kind(path, options).is_some_and(ModuleKind::is_script)
        }
        _ => false,
    };
    asset.then(|| path.to_string())
}
