//! The long-lived Node workers that run the frameworks' own compilers (Vue, Svelte, Solid):
//! the pool (which worker compiles what, the compile cache in front of it, housekeeping) over
//! `process` (one worker: JSON lines over stdin/stdout, requests pipelined). A worker is
//! restarted when it dies, and stopped and restarted when a compile takes longer than the
//! options' `compile_timeout`.

mod process;

use crate::cache::{CompileCache, ScriptCache};
use crate::{Compiled, Diagnostic, Options, set_map_source, shift_map};
use process::{Failure, Process};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

pub(crate) const WORKER_SOURCE: &str = include_str!("../../../../worker/worker.mjs");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    Vue,
    Svelte,
    Solid,
    /// Sass, SCSS and Less, with the project's own `sass` / `less` package.
    Style,
}

impl WorkerKind {
    fn from_name(name: &str) -> Option<Self> {
        [Self::Vue, Self::Svelte, Self::Solid, Self::Style]
            .into_iter()
            .find(|kind| kind.name() == name)
    }

    fn name(self) -> &'static str {
        match self {
            WorkerKind::Vue => "vue",
            WorkerKind::Svelte => "svelte",
            WorkerKind::Solid => "solid",
            WorkerKind::Style => "style",
        }
    }
}

/// A worker's first compile of a kind also starts Node and loads that framework's compiler:
/// it gets this long on top of the timeout, which is meant for a compile that never returns.
const COLD_COMPILER_GRACE: Duration = Duration::from_secs(20);

/// Handles to the workers, at most one per two cores (and four): the other core serves the
/// page or bundles. They start as the load needs: one serves a save and takes a burst of
/// requests pipelined, another starts only while the first has a full queue, and workers beyond
/// the first stop after [`IDLE_RETIREMENT`] without work, so a dev server at rest holds one Node
/// process. A file keeps going to the worker that compiled it: Vue's "only the template changed"
/// check compares with the file's previous compile.
pub struct WorkerPool {
    shared: Arc<Shared>,
    /// The worker each file was last compiled by.
    assigned: Mutex<HashMap<String, usize>>,
    next_id: AtomicU64,
    /// Restarts since the last `take_restart_notices`, worded for the page.
    restart_notices: Mutex<Vec<String>>,
    cache: Option<CompileCache>,
    /// Plain scripts compiled by earlier runs (beside `cache`).
    scripts: Option<ScriptCache>,
    /// Files compiled by this pool: their next compile is an edit, never served from the cache.
    compiled: Mutex<HashSet<String>>,
}

/// What the pool shares with its housekeeping thread.
struct Shared {
    slots: Box<[Mutex<Option<Arc<Process>>>]>,
    last_request: Mutex<Instant>,
    /// Requests answered from the cache, compiled again by the first worker once the pool is
    /// idle: the next save of a file finds its compiler loaded and warm (and Vue its previous
    /// compile to compare with) instead of starting Node.
    warm_up: Mutex<Vec<Value>>,
    /// Set while the warm-up runs: a request queues for the first worker rather than start a
    /// second one.
    warming: AtomicBool,
    /// Kinds whose compiler the warm-up has loaded in the first worker.
    loaded_kinds: Mutex<HashSet<String>>,
    /// A page said it has loaded ([`WorkerPool::page_loaded`]).
    page_loaded: AtomicBool,
}

/// A worker beyond the first stops after this long without a compile.
pub const IDLE_RETIREMENT: Duration = Duration::from_secs(5);
/// The pool counts as idle this long after its last request (a page served from the cache
/// may still be loading its other modules: the warm-up waits for it).
const IDLE_AFTER: Duration = Duration::from_secs(3);
/// Files per framework compiled again to warm a worker up.
const WARM_UP_FILES: usize = 16;

impl Default for WorkerPool {
    fn default() -> Self {
        let count = std::thread::available_parallelism()
            .map_or(1, |n| n.get() / 2)
            .clamp(1, 4);
        let shared = Arc::new(Shared {
            slots: (0..count).map(|_| Mutex::new(None)).collect(),
            last_request: Mutex::new(Instant::now()),
            warm_up: Mutex::new(Vec::new()),
            warming: AtomicBool::new(false),
            loaded_kinds: Mutex::new(HashSet::new()),
            page_loaded: AtomicBool::new(false),
        });
        housekeeping(Arc::downgrade(&shared));
        Self {
            shared,
            assigned: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            restart_notices: Mutex::new(Vec::new()),
            cache: None,
            scripts: None,
            compiled: Mutex::new(HashSet::new()),
        }
    }
}

/// While the pool lives, when it is idle: stops the workers beyond the first that had nothing
/// to do for [`IDLE_RETIREMENT`], and warms the first one up.
fn housekeeping(shared: Weak<Shared>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let Some(shared) = shared.upgrade() else {
                return;
            };
            if shared.page_loaded.swap(false, Ordering::SeqCst) {
                // A page has finished loading (and rendering): each compiler loads now, so a
                // save soon after does not pay for starting Node, and the load did not share
                // the cores with it.
                shared.warm_up_first_worker(Duration::ZERO, true);
            }
            if lock(&shared.last_request).elapsed() < IDLE_AFTER {
                continue;
            }
            for slot in shared.slots.iter().skip(1) {
                let mut process = lock(slot);
                if process
                    .as_ref()
                    .is_some_and(|p| p.idle_for() >= IDLE_RETIREMENT)
                {
                    *process = None;
                }
            }
            shared.warm_up_first_worker(IDLE_AFTER, false);
        }
    });
}

impl Shared {
    /// The worker in slot `index`, started if the slot is empty.
    fn process(&self, index: usize, root: &Path, dev: bool) -> Result<Arc<Process>, String> {
        let mut slot = lock(&self.slots[index]);
        if let Some(process) = slot.as_ref() {
            return Ok(process.clone());
        }
        let process = Process::spawn(root, dev)?;
        *slot = Some(process.clone());
        Ok(process)
    }

    /// Empties the slot of a worker that died or was stopped (unless it holds a newer one).
    fn forget(&self, index: usize, process: &Arc<Process>) {
        process.kill();
        let mut slot = lock(&self.slots[index]);
        if slot.as_ref().is_some_and(|p| Arc::ptr_eq(p, process)) {
            *slot = None;
        }
    }

    /// One file at a time, and only while no request came for `quiet`: a save never waits for
    /// more than the one warm-up compile under way. With `first_of_each_kind`, only a kind's
    /// first file (its compiler's load); the others wait for the pool to be idle.
    fn warm_up_first_worker(&self, quiet: Duration, first_of_each_kind: bool) {
        if lock(&self.warm_up).is_empty() {
            return;
        }
        self.warming.store(true, Ordering::SeqCst);
        while lock(&self.last_request).elapsed() >= quiet {
            let next = {
                let mut pending = lock(&self.warm_up);
                let loaded = lock(&self.loaded_kinds);
                let index = if first_of_each_kind {
                    pending
                        .iter()
                        .position(|r| !loaded.contains(r["kind"].as_str().unwrap_or("")))
                } else {
                    (!pending.is_empty()).then_some(0)
                };
                index.map(|i| pending.remove(i))
            };
            let Some(request) = next else {
                break;
            };
            let root = Path::new(request["root"].as_str().unwrap_or("."));
            let Ok(process) = self.process(0, root, true) else {
                break;
            };
            let kind = WorkerKind::from_name(request["kind"].as_str().unwrap_or(""));
            let Some(kind) = kind else { continue };
            if process
                .exchange(&request, kind, COLD_COMPILER_GRACE)
                .is_err()
            {
                self.forget(0, &process);
                break;
            }
            lock(&self.loaded_kinds).insert(kind.name().to_string());
        }
        self.warming.store(false, Ordering::SeqCst);
    }
}

impl WorkerPool {
    pub fn new() -> Self {
        Self::default()
    }

    /// A pool whose successful compiles are also kept in `dir` (see [`CompileCache`]): a file
    /// compiled by an earlier run is not compiled again, and needs no Node process.
    pub fn with_cache(dir: PathBuf) -> Self {
        Self {
            scripts: Some(ScriptCache::new(&dir)),
            cache: Some(CompileCache::new(dir)),
            ..Self::default()
        }
    }

    /// Where plain scripts of earlier runs are kept, if anywhere.
    pub(crate) fn script_cache(&self) -> Option<&ScriptCache> {
        self.scripts.as_ref()
    }

    /// A page is loading (the dev server answered a request): the pool is not idle yet, so the
    /// warm-up leaves the cores to the page.
    pub fn note_activity(&self) {
        *lock(&self.shared.last_request) = Instant::now();
    }

    /// A page has loaded and rendered (its client said so): the compilers the page's modules
    /// needed, served from the cache, are loaded now rather than at the first save.
    pub fn page_loaded(&self) {
        self.shared.page_loaded.store(true, Ordering::SeqCst);
    }

    /// The worker restarts (a crash, a timeout) since the last call, one message each.
    pub fn take_restart_notices(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .restart_notices
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        )
    }

    fn notice_restart(&self, message: String) {
        eprintln!("  {message}");
        self.restart_notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    /// Compiles `source` (the file's text, or a `.mtm` body padded to the file's own lines) with
    /// the framework's compiler. `original` is the file's whole text, embedded in the map.
    pub fn compile_framework(
        &self,
        kind: WorkerKind,
        file: &str,
        path: &Path,
        source: &str,
        original: &str,
        options: &Options,
    ) -> Result<Compiled, Vec<Diagnostic>> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let request = json!({
            "id": id, "kind": kind.name(), "filename": path, "source": source,
            "root": options.root, "dev": options.dev, "hmr": options.hmr,
            "isCustomElement": options.vue_is_custom_element,
            "preprocessorOptions": options.preprocessor_options,
            "postcss": options.postcss, "sourcemap": options.sourcemap,
        });
        let response = self
            .cached_request(&request, file, kind, options)
            .map_err(|message| vec![Diagnostic::new("worker", file, 1, 1, message)])?;
        if response["ok"].as_bool() != Some(true) {
            let error = &response["error"];
            let line = error["line"].as_u64().unwrap_or(1) as usize;
            let column = error["column"].as_u64().unwrap_or(1) as usize;
            let message = error["message"]
                .as_str()
                .unwrap_or("the compiler failed without a message");
            let mut diagnostic = Diagnostic::new(
                &format!("{}::compile", kind.name()),
                file,
                line,
                column,
                message,
            );
            if let Some(package) = error["package"].as_str() {
                diagnostic =
                    diagnostic.with_help(format!("run `npm install -D {package}` in the project"));
            }
            return Err(vec![diagnostic]);
        }
        let mut code = response["code"].as_str().unwrap_or_default().to_string();
        let mut map = response.get("map").filter(|m| m.is_object()).cloned();
        if let Some(parts) = response["mapParts"].as_array() {
            map = crate::join_maps(parts);
        }
        // Vue's `lang="ts"` and Solid's `.tsx` output keep their types; oxc strips them (no
        // Babel TypeScript preset needed in the project) and replaces `define`, as for scripts.
        let typescript = response["lang"].as_str() == Some("ts");
        let defines = options.script_defines();
        let defines = crate::typescript::defines_used(&code, &defines);
        if typescript || !defines.is_empty() {
            (code, map) =
                crate::typescript::finish_output(file, &code, map.as_ref(), typescript, &defines)?;
        }
        let css = response["css"]
            .as_str()
            .filter(|css| !css.trim().is_empty())
            .map(str::to_string);
        if css.is_some() {
            // The extracted CSS is its own module; the component imports it.
            let name = file.rsplit('/').next().unwrap_or(file);
            code.insert_str(0, &format!("import \"./{name}?css\";\n"));
            if let Some(map) = map.as_mut() {
                shift_map(map, 1);
            }
        }
        if let Some(map) = map.as_mut() {
            set_map_source(map, file, original);
        }
        let file_deps = response["deps"]
            .as_array()
            .map(|deps| {
                deps.iter()
                    .filter_map(|dep| dep.as_str())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Compiled {
            code,
            map,
            css,
            target: None,
            file_deps,
        })
    }

    /// The answer to a request: from the compile cache for a file's first compile in this
    /// pool, else from a worker (and then kept in the cache). Edits always go to a worker, which
    /// compares them with the file's previous compile.
    fn cached_request(
        &self,
        request: &Value,
        file: &str,
        kind: WorkerKind,
        options: &Options,
    ) -> Result<Value, String> {
        *lock(&self.shared.last_request) = Instant::now();
        let filename = request["filename"].to_string();
        let first = lock(&self.compiled).insert(filename.clone());
        let cache = self.cache.as_ref().filter(|_| kind != WorkerKind::Style);
        let key = cache.map(|cache| cache.key(request, &options.root));
        if first
            && let (Some(cache), Some(key)) = (cache, key)
            && let Some(response) = cache.get(key)
        {
            let mut warm_up = lock(&self.shared.warm_up);
            if options.dev
                && warm_up
                    .iter()
                    .filter(|r| r["kind"] == request["kind"])
                    .count()
                    < WARM_UP_FILES
            {
                warm_up.push(request.clone());
            }
            return Ok(response);
        }
        let response = self.request(request, filename, file, kind, options);
        *lock(&self.shared.last_request) = Instant::now();
        let response = response?;
        if let (Some(cache), Some(key)) = (cache, key) {
            cache.put(key, &response);
        }
        Ok(response)
    }

    /// The worker for this file: the one that compiled it before while it runs, else the
    /// started one with the shortest queue, else a new one when that queue is full and a slot
    /// is left (the load needs it).
    fn acquire(&self, filename: &str, options: &Options) -> Result<(usize, Arc<Process>), String> {
        let slots = &self.shared.slots;
        let assigned = lock(&self.assigned).get(filename).copied();
        if let Some(index) = assigned
            && let Some(process) = lock(&slots[index]).clone()
        {
            return Ok((index, process));
        }
        // Slots are read one by one while other threads start workers: a scan that saw every
        // slot empty and then every slot taken looks again (a build compiles on every core).
        for _ in 0..3 {
            let running = slots
                .iter()
                .enumerate()
                .filter_map(|(index, slot)| lock(slot).clone().map(|process| (index, process)))
                .min_by_key(|(_, process)| process.in_flight());
            let free_slot = slots.iter().position(|slot| lock(slot).is_none());
            let warming = self.shared.warming.load(Ordering::SeqCst);
            return match (running, free_slot) {
                (Some((index, process)), Some(_))
                    if process.in_flight() < process::MAX_IN_FLIGHT || warming =>
                {
                    Ok((index, process))
                }
                (Some(running), None) => Ok(running),
                (_, Some(index)) => Ok((
                    index,
                    self.shared.process(index, &options.root, options.dev)?,
                )),
                (None, None) => continue,
            };
        }
        Err("no compiler worker slot".into())
    }

    /// Sends one request; if the worker is dead or dies, starts a new one and tries once more.
    fn request(
        &self,
        request: &Value,
        filename: String,
        file: &str,
        kind: WorkerKind,
        options: &Options,
    ) -> Result<Value, String> {
        let mut last_error = String::new();
        for attempt in 0..2 {
            let (index, process) = self.acquire(&filename, options)?;
            lock(&self.assigned).insert(filename.clone(), index);
            let limit = if process.is_warm(kind) {
                options.compile_timeout
            } else {
                options.compile_timeout + COLD_COMPILER_GRACE
            };
            match process.exchange(request, kind, limit) {
                Ok(response) => return Ok(response),
                Err(Failure::Died(error)) => {
                    last_error = error;
                    self.shared.forget(index, &process);
                    if attempt == 0 {
                        self.notice_restart(format!(
                            "the {} compiler (Node worker) stopped while compiling {file} and was restarted",
                            kind.name()
                        ));
                    }
                }
                Err(Failure::TimedOut) => {
                    self.shared.forget(index, &process);
                    let message = format!(
                        "compiling {file} took longer than {} ms (reloadTimeout): the {} compiler was stopped and restarted",
                        options.compile_timeout.as_millis(),
                        kind.name()
                    );
                    self.notice_restart(message.clone());
                    return Err(message);
                }
            }
        }
        Err(format!(
            "the Node worker that runs the framework compilers failed: {last_error}"
        ))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_worker_is_restarted_by_the_next_compile() {
        let (repo, options) = crate::tests::repo_options();
        let worker = WorkerPool::new();
        let source = "<script>\n  let n = $state(1);\n</script>\n<p>{n}</p>\n";
        let path = repo.join("Probe.svelte");
        let compile = || {
            worker
                .compile_framework(
                    WorkerKind::Svelte,
                    "Probe.svelte",
                    &path,
                    source,
                    source,
                    &options,
                )
                .unwrap()
        };
        let first = compile();
        assert!(
            first.code.contains("svelte/internal/client"),
            "{}",
            first.code
        );
        let process = worker.shared.slots[0].lock().unwrap().clone().unwrap();
        process.kill();
        let second = compile();
        assert_eq!(first.code, second.code);
    }
}
