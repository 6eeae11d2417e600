//! The dev server's state, put together: the transform pipeline (with the module graph and the
//! pre-bundle), the error board, and the HMR channel to the pages. Each layer gets only what it
//! needs of it.

use crate::channel::{HmrChannel, ReceivedEvents};
use crate::errors::ErrorBoard;
use crate::graph::ImportTarget;
use crate::hmr;
use crate::packs::{StablePacks, factory_record};
use crate::protocol::{HmrPayload, UpdateKind};
use crate::transform::{Pipeline, runtime_dependencies};
use crate::watch::Batch;
use metamon_compile::{ModuleKind, module_kind};
use metamon_config::Config;
use metamon_project::analysis::{html, pages};
use metamon_project::files::{relative_to_root, source_files};
use metamon_project::module_id::with_timestamp;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct DevServer {
    /// The host the server listens on (besides the loopback names, the `Host` it accepts).
    pub host: String,
    pub pipeline: Arc<Pipeline>,
    pub errors: Arc<ErrorBoard>,
    pub channel: HmrChannel,
    /// Custom events from the pages (`import.meta.hot.send`).
    pub received: ReceivedEvents,
    /// Bundled dev serving: the stable packs of page loads and lazy imports, and recent packs.
    pub stable_packs: StablePacks,
    /// `--bundle` / `--no-bundle`, over the config's `bundle`.
    bundle_override: Option<bool>,
}

impl DevServer {
    pub fn new(
        root: PathBuf,
        host: String,
        config: Config,
        bundle_override: Option<bool>,
    ) -> Result<Arc<Self>, String> {
        let root = root
            .canonicalize()
            .map_err(|e| format!("cannot open the app folder {}: {e}", root.display()))?;
        let channel = HmrChannel::default();
        Ok(Arc::new(Self {
            host,
            errors: Arc::new(ErrorBoard::new(root.clone(), channel.clone())),
            pipeline: Arc::new(Pipeline::new(root, config, channel.clone())),
            channel,
            received: ReceivedEvents::default(),
            stable_packs: StablePacks::default(),
            bundle_override,
        }))
    }

    /// Pages load their modules in packs (`http/pack.rs`) rather than one request per module.
    pub fn bundled(&self) -> bool {
        self.bundle_override
            .unwrap_or_else(|| self.pipeline.config().bundle)
    }

    pub fn root(&self) -> &Path {
        self.pipeline.root()
    }

    /// Bundles the app's dependencies before the first request. As Vite's optimizer does, the
    /// modules the pages load are found by crawling from the pages (`*.html`: their module
    /// scripts, inline and by `src`, and the routes of `pages/`) through the imports; each is
    /// transformed once (which also warms the cache) while bare imports are only collected,
    /// then they are bundled together in one build. Tests, stories and tool configs the pages
    /// never import are left alone.
    pub async fn warm_up(&self) {
        let root = self.root().to_path_buf();
        let options = self.pipeline.options();
        let mut frontier = page_entries(&root, &self.pipeline.config());
        if frontier.is_empty() {
            // No page to start from: every script under the root.
            frontier = source_files(&root, &root)
                .iter()
                .filter_map(|path| relative_to_root(path, &root))
                .filter(|relative| !relative.contains(".config."))
                .map(|relative| format!("/{relative}"))
                .filter(|url| module_kind(url, &options).is_some_and(ModuleKind::is_script))
                .collect();
        }
        if self.bundled() {
            self.pipeline.open_factory_log();
        }
        let deps = self.pipeline.deps();
        deps.start_warm_up();
        // Every installed framework's runtime entries are bundled up front, so a component that
        // switches framework (or a first bridge) never forces a re-bundle and a page reload.
        let installed = self.pipeline.installed_framework_entries();
        let _ = deps.add(&root, installed, &self.channel).await;
        let mut seen: HashSet<String> = HashSet::new();
        // Reached only through `import()` (the router's pages, lazy code): compiled when first
        // requested, so a cold start compiles only what the pages load at once.
        let mut lazy: Vec<String> = Vec::new();
        while !frontier.is_empty() {
            let mut tasks = tokio::task::JoinSet::new();
            for key in frontier.drain(..) {
                if seen.insert(key.clone()) {
                    let pipeline = self.pipeline.clone();
                    tasks.spawn(async move { pipeline.transform(&key).await });
                }
            }
            while let Some(result) = tasks.join_next().await {
                match result {
                    Ok(Ok(transformed)) => {
                        for import in &transformed.imports {
                            match &import.target {
                                ImportTarget::Module(module) if import.dynamic => {
                                    lazy.push(module.clone())
                                }
                                ImportTarget::Module(module) if !seen.contains(module) => {
                                    frontier.push(module.clone())
                                }
                                _ => {}
                            }
                        }
                    }
                    Ok(Err(diagnostics)) => self.errors.record(diagnostics),
                    Err(_) => {}
                }
            }
        }
        // Their dependencies are bundled with the others all the same, found from their source
        // as Vite's scan does: their first load needs no re-bundle and no reload.
        let mut scanned: HashSet<String> = HashSet::new();
        let mut lazy_deps = BTreeSet::new();
        while let Some(key) = lazy.pop() {
            if seen.contains(&key) || !scanned.insert(key.clone()) {
                continue;
            }
            for target in self.pipeline.source_import_targets(&key) {
                match target {
                    ImportTarget::Module(module) => lazy.push(module),
                    ImportTarget::Dep(specifier) => {
                        lazy_deps.insert(specifier);
                    }
                    ImportTarget::Url(url) => lazy_deps.extend(runtime_dependencies(&url)),
                }
            }
        }
        let _ = deps.add(&root, lazy_deps, &self.channel).await;
        if let Err(message) = deps.end_warm_up(&root, &self.channel).await {
            eprintln!("  {message}");
        }
        // Modules importing a dependency that could not be bundled show why, at the import.
        let failing: Vec<String> = {
            let metadata = deps.read();
            let mut graph = self.pipeline.graph();
            let keys: Vec<String> = graph
                .modules
                .iter()
                .filter(|(_, node)| {
                    node.fresh().is_some_and(|transformed| {
                        transformed.imports.iter().any(|import| {
                            matches!(&import.target, ImportTarget::Dep(s) if metadata.failed.contains_key(s))
                        })
                    })
                })
                .map(|(key, _)| key.clone())
                .collect();
            for key in &keys {
                graph.mark_stale(key);
            }
            keys
        };
        for key in failing {
            if let Err(diagnostics) = self.pipeline.transform(&key).await {
                self.errors.record(diagnostics);
            }
        }
        // Lazy modules are not "unreached": they compile, and report, when first requested.
        seen.extend(scanned);
        self.check_unreached_scripts(&seen).await;
    }

    /// Compiles the scripts no page reached, only to print their errors: what they import is
    /// not bundled (tests and stories import packages the app does not use).
    async fn check_unreached_scripts(&self, reached: &HashSet<String>) {
        let root = self.root().to_path_buf();
        let options = self.pipeline.options();
        let public_dir = format!("{}/", self.pipeline.config().public_dir.trim_matches('/'));
        let mut tasks = tokio::task::JoinSet::new();
        for path in source_files(&root, &root) {
            let Some(relative) = relative_to_root(&path, &root) else {
                continue;
            };
            let key = format!("/{relative}");
            let tool_config = !relative.contains('/') && relative.contains(".config.");
            if tool_config
                || relative.starts_with(&public_dir)
                || reached.contains(&key)
                || !module_kind(&key, &options).is_some_and(ModuleKind::is_script)
            {
                continue;
            }
            let pipeline = self.pipeline.clone();
            let options = options.clone();
            tasks.spawn_blocking(move || {
                metamon_project::load::load(&key, &relative, &path, &options, pipeline.worker())
                    .err()
            });
        }
        while let Some(result) = tasks.join_next().await {
            if let Ok(Some(diagnostics)) = result {
                self.errors.record(diagnostics);
            }
        }
    }

    /// Handles one batch from the watcher: the config first (pages reload with it), then the
    /// hot update of the rest.
    pub async fn on_batch(&self, batch: Batch) {
        let config_files: Vec<PathBuf> = std::iter::once(metamon_config::FILE_NAME)
            .chain(metamon_project::vite_config::FILE_NAMES)
            .map(|name| self.root().join(name))
            .collect();
        if batch.files.iter().any(|file| config_files.contains(file)) {
            self.reload_config();
        }
        let files = batch
            .files
            .into_iter()
            .filter(|f| !config_files.contains(f))
            .collect();
        let payloads =
            hmr::update::handle_changes(&self.pipeline, &self.errors, files, batch.detected_at)
                .await;
        for mut payload in payloads {
            self.attach_new_versions(&mut payload);
            self.channel.send(&payload);
        }
        self.send_worker_notices();
        release_freed_memory();
    }

    /// Tells the pages about compiler workers that were restarted (a crash, a timeout), so a
    /// slow or failed update is explained.
    pub fn send_worker_notices(&self) {
        for message in self.pipeline.worker().take_restart_notices() {
            self.channel.send(&HmrPayload::Custom {
                event: "metamon:notice".into(),
                data: serde_json::json!({ "message": message }),
            });
        }
    }

    /// Re-reads `metamon.config.json` after it changed; pages reload (their state is restored
    /// from the runtime's snapshot). A bad config is shown like a compile error and not applied.
    pub fn reload_config(&self) {
        let config_files = std::iter::once(metamon_config::FILE_NAME)
            .chain(metamon_project::vite_config::FILE_NAMES);
        match metamon_project::settings::load_config(self.root(), "serve") {
            Ok(loaded) => {
                self.pipeline.set_config(loaded.config);
                for file in config_files {
                    self.errors.clear(file);
                }
                let name =
                    loaded
                        .vite
                        .as_ref()
                        .map_or(metamon_config::FILE_NAME.to_string(), |vite| {
                            for warning in &vite.warnings {
                                eprintln!("  warning: {warning}");
                            }
                            vite.file.clone()
                        });
                println!("  config changed: {name}, reloading pages");
                self.channel.send(&HmrPayload::FullReload {
                    path: format!("/{name}"),
                });
            }
            Err(diagnostic) => self.errors.record(vec![diagnostic]),
        }
    }

    /// `import.meta.hot.invalidate()` from a page.
    pub fn invalidate(&self, url: &str, first_invalidated_by: Option<&str>) {
        let mut payload = hmr::update::invalidate(&self.pipeline, url, first_invalidated_by);
        self.attach_new_versions(&mut payload);
        self.channel.send(&payload);
    }

    /// Bundled dev serving: an update carries the new versions its pages will import, in
    /// factory form, so that applying it needs no pack request (a page without one of their
    /// imports asks for a pack as before).
    fn attach_new_versions(&self, payload: &mut HmrPayload) {
        let HmrPayload::Update {
            updates, modules, ..
        } = payload
        else {
            return;
        };
        if !self.bundled() {
            return;
        }
        for update in updates.iter().filter(|u| u.kind == UpdateKind::JsUpdate) {
            let key = &update.accepted_path;
            let url = with_timestamp(key, update.timestamp);
            if modules.iter().any(|module| module.url == url) {
                continue;
            }
            let Some(served) = self.pipeline.fresh_served_text(key) else {
                continue;
            };
            let Ok(factory) = self.pipeline.factory(&served) else {
                continue;
            };
            let is_async = factory.has_top_level_await;
            modules.push(factory_record(
                &url,
                factory.deps.clone(),
                &factory,
                is_async,
            ));
        }
    }
}

/// The modules the app's pages load first: each `*.html` page's module scripts (inline ones
/// as their proxy modules) and, with a `pages/` folder, the routes table.
fn page_entries(root: &Path, config: &Config) -> Vec<String> {
    let skipped = [config.public_dir.as_str(), config.build.out_dir.as_str()];
    let mut entries = Vec::new();
    for path in source_files(root, root) {
        let Some(relative) = relative_to_root(&path, root) else {
            continue;
        };
        if !relative.ends_with(".html")
            || skipped
                .iter()
                .any(|dir| relative.starts_with(&format!("{}/", dir.trim_matches('/'))))
        {
            continue;
        }
        let Ok(page) = std::fs::read_to_string(&path) else {
            continue;
        };
        let page_url = format!("/{relative}");
        let page_dir = page_url.rsplit_once('/').map_or("", |(dir, _)| dir);
        for script in html::module_scripts(&page) {
            let Some(src) = script.attribute("src") else {
                continue;
            };
            if src.contains("://") || src.starts_with("/@") {
                continue;
            }
            let src = src.split(['?', '#']).next().unwrap_or(src);
            let url = match src.strip_prefix("./") {
                _ if src.starts_with('/') => src.to_string(),
                Some(rest) => format!("{page_dir}/{rest}"),
                None => format!("{page_dir}/{src}"),
            };
            entries.push(url);
        }
        for index in 0..html::inline_script_count(&page) {
            entries.push(format!("{page_url}?{}", html::proxy_query(index)));
        }
    }
    if !entries.is_empty() && root.join("pages").is_dir() {
        entries.push(pages::ROUTES_KEY.to_string());
    }
    entries
}

/// Hands memory freed by a batch (or a pack's walk) back to the system. glibc keeps it in
/// per-thread arenas, so a server that has handled thousands of saves would otherwise sit on
/// its peak of every thread.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator; it touches no live data.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Turns off glibc's per-thread cache of freed small blocks (its "tcache"), restarting the
/// process once with the tunable set: glibc reads `GLIBC_TUNABLES` only when a process starts.
///
/// Each thread keeps up to 7 freed blocks of every size up to 1 KiB; to the allocator they are
/// still in use, so `malloc_trim` cannot hand back the pages they sit on. The runtime's ~30
/// threads (workers and the blocking pool that compiles) fill their caches little by little as
/// saves land on different threads: over 10 000 saves of the showcase, the blocks in use grew
/// from 1.6 MB to 3.5 MB while the live data stayed at 0.8 MB, and RSS with them (up to 1.12x,
/// levelling off after ~13 000 saves). Without the caches it stays flat. `exec` keeps the
/// process id, its arguments and open files; nothing has run yet that the restart would lose.
pub fn disable_thread_caches() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        const TUNABLE: &str = "glibc.malloc.tcache_count";
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        // Set already (by this restart, or by the user, whose choice stands).
        if current.contains(TUNABLE) {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let tunables = if current.is_empty() {
            format!("{TUNABLE}=0")
        } else {
            format!("{current}:{TUNABLE}=0")
        };
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        // Only returns if the restart failed: the server runs on, with the caches.
        let _ = command.args(args).env("GLIBC_TUNABLES", tunables).exec();
    }
}

/// Two malloc arenas instead of glibc's eight per core: the runtime's many threads each keep
/// an arena's worth of freed memory otherwise, and the server's RSS creeps up over hours.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called before the server's threads allocate; it only tunes the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
