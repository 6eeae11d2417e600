//! `metamon dev`: serves an app as native ES modules with hot module replacement.
//!
//! Request flow: `http` routes a URL to a module key → `transform` (compile, find and resolve
//! imports, cache in the `graph`) → `render` (imports written as URLs) → browser. Save flow:
//! `watch` (debounced batch) → `hmr` (recompile, walk the graph to the accepting modules) →
//! WebSocket message → `runtime/client.js` re-imports and calls the accept handlers.

mod deps;
mod dotenv;
mod glob_import;
mod graph;
mod hmr;
mod html;
mod http;
mod imports;
mod routes;
mod security;
mod transform;
mod watch;

pub use security::{file_for_url, host_allowed, origin_allowed};

use deps::DepsMetadata;
use graph::Graph;
use metamon_compile::{NodeWorker, Options};
use metamon_config::Config;
use oxc_resolver::{ResolveOptions, Resolver};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::broadcast;

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

pub struct DevOptions {
    pub root: PathBuf,
    /// Overrides the config file's port.
    pub port: Option<u16>,
    /// Overrides the config file's host.
    pub host: Option<String>,
}

/// One error shown in the page's overlay and printed in the terminal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShownError {
    pub kind: &'static str,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub frame: String,
}

pub struct DevServer {
    root: PathBuf,
    host: String,
    compile_options: RwLock<Arc<Options>>,
    config: RwLock<Arc<Config>>,
    worker: NodeWorker,
    resolver: Resolver,
    graph: Mutex<Graph>,
    deps: RwLock<DepsMetadata>,
    /// The specifiers bundled so far; a new one re-bundles them all (one copy of each framework).
    dep_specifiers: tokio::sync::Mutex<BTreeSet<String>>,
    /// HMR messages to every connected page.
    hmr: broadcast::Sender<String>,
    /// While warming up, new dependencies are collected and bundled together afterwards.
    warming: AtomicBool,
    bundled: AtomicBool,
    /// Files that currently fail, with their errors.
    errors: Mutex<BTreeMap<String, Vec<ShownError>>>,
}

impl DevServer {
    pub fn new(root: PathBuf, host: String, config: Config) -> Result<Arc<Self>, String> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("cannot open the app folder {}: {e}", root.display()))?;
        let resolver = Resolver::new(ResolveOptions {
            extensions: [
                ".mtm", ".tsx", ".ts", ".jsx", ".js", ".mjs", ".vue", ".svelte", ".json",
            ]
            .map(String::from)
            .to_vec(),
            condition_names: ["development", "browser", "import", "module", "default"]
                .map(String::from)
                .to_vec(),
            ..ResolveOptions::default()
        });
        let (hmr, _) = broadcast::channel(256);
        Ok(Arc::new(Self {
            compile_options: RwLock::new(Arc::new(compile_options(&root, &config))),
            config: RwLock::new(Arc::new(config)),
            root,
            host,
            worker: NodeWorker::new(),
            resolver,
            graph: Mutex::new(Graph::default()),
            deps: RwLock::new(DepsMetadata::default()),
            dep_specifiers: tokio::sync::Mutex::new(BTreeSet::new()),
            hmr,
            errors: Mutex::new(BTreeMap::new()),
            warming: AtomicBool::new(false),
            bundled: AtomicBool::new(false),
        }))
    }

    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    pub fn options(&self) -> Arc<Options> {
        self.compile_options
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads `metamon.config.json` after it changed; pages reload (their state is restored
    /// from the runtime's snapshot). A bad config is shown like a compile error and not applied.
    pub fn reload_config(&self) {
        match Config::load(&self.root) {
            Ok(config) => {
                *self
                    .compile_options
                    .write()
                    .unwrap_or_else(|e| e.into_inner()) =
                    Arc::new(compile_options(&self.root, &config));
                *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
                for node in self
                    .graph
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .modules
                    .values_mut()
                {
                    node.stale = true;
                }
                self.clear_errors(metamon_config::FILE_NAME);
                println!(
                    "  config changed: {}, reloading pages",
                    metamon_config::FILE_NAME
                );
                self.send(&serde_json::json!({ "type": "full-reload", "path": format!("/{}", metamon_config::FILE_NAME) }));
            }
            Err(diagnostic) => self.record_errors(vec![diagnostic]),
        }
    }

    /// Bundles the app's dependencies before the first request: every module under the root is
    /// transformed once (which also warms the cache) while bare imports are only collected, then
    /// they are bundled together in one build.
    pub async fn warm_up(self: &Arc<Self>) {
        let mut keys = Vec::new();
        watch::for_each_source_file(&self.root, &mut |path| {
            let Ok(relative) = path.strip_prefix(&self.root) else {
                return;
            };
            // Tool configs (`vite.config.ts`, …) run in Node, and `public/` is served as is:
            // neither is part of the app's module graph.
            let file_name = relative.to_string_lossy();
            if relative.starts_with(PUBLIC_DIR)
                || (relative.components().count() == 1 && file_name.contains(".config."))
            {
                return;
            }
            let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
            if metamon_compile::module_kind(&url, &self.options())
                .is_some_and(metamon_compile::ModuleKind::is_script)
            {
                keys.push(url);
            }
        });
        self.warming.store(true, Ordering::SeqCst);
        // Every installed framework's runtime entries are bundled up front, so a component that
        // switches framework (or a first bridge) never forces a re-bundle and a page reload.
        let installed = self.installed_framework_entries();
        self.dep_specifiers.lock().await.extend(installed);
        let mut tasks = tokio::task::JoinSet::new();
        for key in keys {
            let server = self.clone();
            tasks.spawn(async move { server.transform(&key).await.err() });
        }
        while let Some(result) = tasks.join_next().await {
            if let Ok(Some(diagnostics)) = result {
                self.record_errors(diagnostics);
            }
        }
        // Modules the first pass discovered without transforming them (bridges, extracted
        // CSS), so their dependencies are bundled in the same build too.
        for _ in 0..3 {
            let pending: Vec<String> = {
                let graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
                graph
                    .modules
                    .iter()
                    .filter(|(_, node)| node.transformed.is_none())
                    .map(|(key, _)| key.clone())
                    .collect()
            };
            if pending.is_empty() {
                break;
            }
            for key in pending {
                let _ = self.transform(&key).await;
            }
        }
        self.warming.store(false, Ordering::SeqCst);
        if let Err(message) = self.add_dependencies(BTreeSet::new()).await {
            eprintln!("  {message}");
        }
    }

    fn installed_framework_entries(&self) -> BTreeSet<String> {
        const ENTRIES: [&str; 20] = [
            "react",
            "react-dom",
            "react-dom/client",
            "react/jsx-dev-runtime",
            "react/jsx-runtime",
            "vue",
            "svelte",
            "svelte/internal/client",
            "svelte/internal/disclose-version",
            "svelte/reactivity",
            "svelte/store",
            "svelte/legacy",
            "solid-js",
            "solid-js/web",
            "solid-js/store",
            "solid-refresh",
            "svelte/events",
            "svelte/internal/flags/legacy",
            "svelte/internal/flags/async",
            "svelte/internal/flags/tracing",
        ];
        ENTRIES
            .iter()
            .filter(|entry| self.resolver.resolve(&self.root, entry).is_ok())
            .map(|entry| entry.to_string())
            .collect()
    }

    /// Adds dependencies to the pre-bundle. Called with new ones while serving, it re-bundles
    /// and reloads open pages, which must not mix two bundles of one framework.
    async fn add_dependencies(self: &Arc<Self>, new: BTreeSet<String>) -> Result<(), String> {
        let mut specifiers = self.dep_specifiers.lock().await;
        let before = specifiers.len();
        specifiers.extend(new);
        if self.warming.load(Ordering::SeqCst) {
            return Ok(());
        }
        let first = !self.bundled.swap(true, Ordering::SeqCst);
        if specifiers.len() == before && !first {
            return Ok(());
        }
        let (metadata, changed) = deps::prebundle(&self.root, &specifiers).await?;
        *self.deps.write().unwrap_or_else(|e| e.into_inner()) = metadata;
        if !first && changed {
            self.send(&serde_json::json!({ "type": "full-reload", "path": "*" }));
        }
        Ok(())
    }

    fn send(&self, message: &serde_json::Value) {
        let _ = self.hmr.send(message.to_string());
    }
}

/// The compile options `metamon dev` would use for the project that holds `start` (the nearest
/// folder up with a `package.json` or a config file), for the CLI's `check` and `compile`.
pub fn project_options(start: &std::path::Path, hmr: bool) -> Options {
    let root = start
        .ancestors()
        .find(|dir| {
            dir.join("package.json").is_file() || dir.join(metamon_config::FILE_NAME).is_file()
        })
        .unwrap_or(start);
    let config = Config::load(root).unwrap_or_default();
    let mut options = compile_options(root, &config);
    options.hmr = hmr;
    options
}

fn compile_options(root: &std::path::Path, config: &Config) -> Options {
    let mut options = Options::new(root, true);
    let react = react_major(root);
    // A Solid app without React (vite-plugin-solid's default): its .jsx/.tsx are Solid, unless
    // the config says which ones are.
    let solid_only = react.is_none() && installed_manifest(root, "solid-js").is_some();
    options.solid_include = if solid_only && config.solid_include == Config::default().solid_include
    {
        Config::glob_set(&["**/*.{jsx,tsx}".to_string()])
    } else {
        Config::glob_set(&config.solid_include)
    };
    options.css_targets = config.css_targets.clone();
    options.jsx_dev_runtime = react.is_none_or(|major| major < 19);
    options
}

/// The `package.json` of a package the app resolves (Node's lookup: `node_modules` here or in
/// a parent folder), if installed.
fn installed_manifest(root: &std::path::Path, package: &str) -> Option<Vec<u8>> {
    root.ancestors().find_map(|dir| {
        std::fs::read(dir.join("node_modules").join(package).join("package.json")).ok()
    })
}

/// The major version of the React the app resolves, if any.
fn react_major(root: &std::path::Path) -> Option<u64> {
    let manifest = installed_manifest(root, "react")?;
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).ok()?;
    manifest["version"]
        .as_str()?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Files served at the root URL as they are, as in Vite (`public/favicon.svg` → `/favicon.svg`).
pub const PUBLIC_DIR: &str = "public";

/// Starts the dev server and runs until the process ends.
pub async fn serve(options: DevOptions) -> Result<(), String> {
    let config = Config::load(&options.root).map_err(|d| {
        let source = std::fs::read_to_string(options.root.join(metamon_config::FILE_NAME))
            .unwrap_or_default();
        d.render(
            &source,
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
    })?;
    let host = options
        .host
        .or_else(|| config.host.clone())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let port = options.port.or(config.port).unwrap_or(5173);
    let server = DevServer::new(options.root, host.clone(), config)?;
    if !server.root.join("index.html").is_file() {
        eprintln!("  warning: {} has no index.html", server.root.display());
    }
    let started = std::time::Instant::now();
    server.warm_up().await;
    let (listener, port) = bind(&host, port).await?;
    let _watcher = watch::start(server.clone())?;
    println!("  ready in {} ms", started.elapsed().as_millis());
    println!("  Local: http://{host}:{port}/");
    let app = http::router(server);
    // Without TCP_NODELAY a response written in two segments waits for the browser's delayed
    // ACK; a page of a thousand modules pays that on many of them.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(|e| e.to_string())
}

/// Binds the port, or the next free one.
async fn bind(host: &str, port: u16) -> Result<(tokio::net::TcpListener, u16), String> {
    let mut last_error = String::new();
    for candidate in port..port.saturating_add(50) {
        match tokio::net::TcpListener::bind((host, candidate)).await {
            Ok(listener) => return Ok((listener, candidate)),
            Err(error) => last_error = error.to_string(),
        }
    }
    Err(format!("no free port from {port}: {last_error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use metamon_compile::{ModuleKind, module_kind};

    /// A scratch project with the given packages "installed" (a `package.json` each).
    fn project(name: &str, packages: &[(&str, &str)]) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!("metamon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (package, version) in packages {
            let dir = root.join("node_modules").join(package);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("package.json"),
                format!(r#"{{"name":"{package}","version":"{version}"}}"#),
            )
            .unwrap();
        }
        root
    }

    #[test]
    fn jsx_is_solid_in_a_solid_project_without_react() {
        let solid = project("solid-only", &[("solid-js", "1.9.0")]);
        let options = compile_options(&solid, &Config::default());
        assert_eq!(
            module_kind("src/App.tsx", &options),
            Some(ModuleKind::SolidScript)
        );
        let explicit = Config {
            solid_include: vec!["src/solid/**".into()],
            ..Config::default()
        };
        let options = compile_options(&solid, &explicit);
        assert_eq!(
            module_kind("src/App.tsx", &options),
            Some(ModuleKind::Script),
            "the config decides when it names Solid files"
        );
        let both = project(
            "solid-and-react",
            &[("solid-js", "1.9.0"), ("react", "19.1.0")],
        );
        let options = compile_options(&both, &Config::default());
        assert_eq!(
            module_kind("src/App.tsx", &options),
            Some(ModuleKind::Script)
        );
        assert!(!options.jsx_dev_runtime, "React 19: react/jsx-runtime");
        let _ = std::fs::remove_dir_all(solid);
        let _ = std::fs::remove_dir_all(both);
    }
}
