//! The long-lived Node worker that runs the frameworks' own compilers (Vue, Svelte, Solid).
//! JSON lines over stdin/stdout; one request at a time; restarted when it dies, and stopped
//! and restarted when a compile takes longer than the options' `compile_timeout`.

use crate::cache::CompileCache;
use crate::{Compiled, Diagnostic, Options, set_map_source, shift_map};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

pub(crate) const WORKER_SOURCE: &str = include_str!("../../../worker/worker.mjs");

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

struct Process {
    child: Child,
    stdin: ChildStdin,
    /// The worker's stdout lines, read by a thread of their own so that a wait can time out.
    lines: Receiver<String>,
    /// The kinds this worker has compiled: their compiler is loaded.
    warm: Vec<WorkerKind>,
    last_used: Instant,
}

/// A worker's first compile of a kind also starts Node and loads that framework's compiler:
/// it gets this long on top of the timeout, which is meant for a compile that never returns.
const COLD_COMPILER_GRACE: Duration = Duration::from_secs(20);

/// Why an exchange with a worker failed.
enum Failure {
    /// It exited or its pipes broke: a new worker may well succeed.
    Died(String),
    /// It did not answer in time (a compiler stuck on this input): retrying would hang again.
    TimedOut,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Handles to the workers, at most one per core (and four). They start as the load needs: one
/// serves a save, a second starts only while the first is busy (the burst of a cold start or a
/// build), and workers beyond the first stop after [`IDLE_RETIREMENT`] without work, so a dev
/// server at rest holds one Node process. A file keeps going to the worker that compiled it:
/// Vue's "only the template changed" check compares with the file's previous compile.
pub struct WorkerPool {
    shared: Arc<Shared>,
    /// The worker each file was last compiled by.
    assigned: Mutex<HashMap<String, usize>>,
    next_id: Mutex<u64>,
    /// Restarts since the last `take_restart_notices`, worded for the page.
    restart_notices: Mutex<Vec<String>>,
    cache: Option<CompileCache>,
    /// Files compiled by this pool: their next compile is an edit, never served from the cache.
    compiled: Mutex<HashSet<String>>,
}

/// What the pool shares with its housekeeping thread.
struct Shared {
    slots: Box<[Mutex<Option<Process>>]>,
    last_request: Mutex<Instant>,
    /// Requests answered from the cache, compiled again by the first worker once the pool is
    /// idle: the next save of a file finds its compiler loaded and warm (and Vue its previous
    /// compile to compare with) instead of starting Node.
    warm_up: Mutex<Vec<Value>>,
    /// Set while the warm-up runs: a request waits for the first worker rather than start a
    /// second one.
    warming: AtomicBool,
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
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let shared = Arc::new(Shared {
            slots: (0..count).map(|_| Mutex::new(None)).collect(),
            last_request: Mutex::new(Instant::now()),
            warm_up: Mutex::new(Vec::new()),
            warming: AtomicBool::new(false),
        });
        housekeeping(Arc::downgrade(&shared));
        Self {
            shared,
            assigned: Mutex::new(HashMap::new()),
            next_id: Mutex::new(0),
            restart_notices: Mutex::new(Vec::new()),
            cache: None,
            compiled: Mutex::new(HashSet::new()),
        }
    }
}

/// While the pool lives, when it is idle: stops the workers beyond the first that had nothing
/// to do for [`IDLE_RETIREMENT`], and warms the first one up.
fn housekeeping(shared: Weak<Shared>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let Some(shared) = shared.upgrade() else {
                return;
            };
            if lock(&shared.last_request).elapsed() < IDLE_AFTER {
                continue;
            }
            for slot in shared.slots.iter().skip(1) {
                if let Ok(mut process) = slot.try_lock()
                    && process
                        .as_ref()
                        .is_some_and(|p| p.last_used.elapsed() >= IDLE_RETIREMENT)
                {
                    *process = None;
                }
            }
            shared.warm_up_first_worker();
        }
    });
}

impl Shared {
    /// One file at a time, and only while no request comes: a save never waits for more than
    /// the one warm-up compile under way.
    fn warm_up_first_worker(&self) {
        if lock(&self.warm_up).is_empty() {
            return;
        }
        self.warming.store(true, Ordering::SeqCst);
        loop {
            if lock(&self.last_request).elapsed() < IDLE_AFTER {
                break;
            }
            let next = {
                let mut pending = lock(&self.warm_up);
                (!pending.is_empty()).then(|| pending.remove(0))
            };
            let Some(request) = next else {
                break;
            };
            let mut slot = lock(&self.slots[0]);
            if slot.is_none() {
                let root = Path::new(request["root"].as_str().unwrap_or("."));
                *slot = spawn(root, true).ok();
            }
            let Some(process) = slot.as_mut() else { break };
            if exchange(process, &request, COLD_COMPILER_GRACE).is_err() {
                *slot = None;
                break;
            }
            process.last_used = Instant::now();
            if let Some(kind) = WorkerKind::from_name(request["kind"].as_str().unwrap_or(""))
                && !process.warm.contains(&kind)
            {
                process.warm.push(kind);
            }
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
            cache: Some(CompileCache::new(dir)),
            ..Self::default()
        }
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
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        let request = json!({
            "id": id, "kind": kind.name(), "filename": path, "source": source,
            "root": options.root, "dev": options.dev, "hmr": options.hmr,
            "isCustomElement": options.vue_is_custom_element,
            "preprocessorOptions": options.preprocessor_options,
            "postcss": options.postcss,
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

    /// The worker for this file: the one that compiled it before while it runs, else a started
    /// one that is free, else a new one when a slot is left (the load needs it), else the first.
    fn acquire(&self, filename: &str) -> (usize, MutexGuard<'_, Option<Process>>) {
        let assigned = lock(&self.assigned).get(filename).copied();
        if let Some(index) = assigned {
            match self.shared.slots[index].try_lock() {
                Ok(process) if process.is_some() => return (index, process),
                Ok(_) => {}
                Err(_) => return (index, lock(&self.shared.slots[index])),
            }
        }
        for (index, slot) in self.shared.slots.iter().enumerate() {
            if let Ok(process) = slot.try_lock()
                && (process.is_some() || index == 0)
            {
                return (index, process);
            }
        }
        let warming = self.shared.warming.load(Ordering::SeqCst);
        for (index, slot) in self.shared.slots.iter().enumerate().skip(1) {
            if warming {
                break;
            }
            if let Ok(process) = slot.try_lock() {
                return (index, process);
            }
        }
        (0, lock(&self.shared.slots[0]))
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
        let (index, mut slot) = self.acquire(&filename);
        lock(&self.assigned).insert(filename, index);
        let mut last_error = String::new();
        for attempt in 0..2 {
            if slot.is_none() {
                *slot = Some(spawn(&options.root, options.dev)?);
            }
            let process = slot.as_mut().expect("just started");
            let limit = if process.warm.contains(&kind) {
                options.compile_timeout
            } else {
                options.compile_timeout + COLD_COMPILER_GRACE
            };
            let answer = exchange(process, request, limit);
            process.last_used = Instant::now();
            match answer {
                Ok(response) => {
                    if !process.warm.contains(&kind) {
                        process.warm.push(kind);
                    }
                    return Ok(response);
                }
                Err(Failure::Died(error)) => {
                    last_error = error;
                    *slot = None;
                    if attempt == 0 {
                        self.notice_restart(format!(
                            "the {} compiler (Node worker) stopped while compiling {file} and was restarted",
                            kind.name()
                        ));
                    }
                }
                Err(Failure::TimedOut) => {
                    *slot = None;
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

fn exchange(process: &mut Process, request: &Value, limit: Duration) -> Result<Value, Failure> {
    let mut line = request.to_string();
    line.push('\n');
    process
        .stdin
        .write_all(line.as_bytes())
        .and_then(|()| process.stdin.flush())
        .map_err(|e| Failure::Died(e.to_string()))?;
    let want = &request["id"];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = match process.lines.recv_timeout(left) {
            Ok(answer) => answer,
            Err(RecvTimeoutError::Timeout) => return Err(Failure::TimedOut),
            Err(RecvTimeoutError::Disconnected) => return Err(Failure::Died("it exited".into())),
        };
        let Ok(response) = serde_json::from_str::<Value>(&answer) else {
            continue;
        };
        if &response["id"] == want {
            return Ok(response);
        }
    }
}

/// Started in the project root, so the locations compilers print are relative to it.
fn spawn(root: &Path, dev: bool) -> Result<Process, String> {
    let script = worker_script_path()?;
    // A dev server's worker lives long: a small young generation keeps its memory near its
    // compilers' size (a third less after a thousand components) for a few percent of compile
    // time. A build's workers live seconds and go for speed.
    let young_generation: &[&str] = if dev {
        &["--max-semi-space-size=2"]
    } else {
        &[]
    };
    let mut child = Command::new("node")
        .args(young_generation)
        .arg(&script)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start `node` ({e}); Vue, Svelte and Solid compilation needs Node.js on PATH"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let (sender, lines) = std::sync::mpsc::channel();
    // Ends when the worker's stdout closes (it exited or was killed).
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    Ok(Process {
        child,
        stdin,
        lines,
        warm: Vec::new(),
        last_used: Instant::now(),
    })
}

/// The worker ships inside the binary; it is written next to the OS temp files, named by a hash
/// of its text so that two versions of Metamon never share one.
fn worker_script_path() -> Result<PathBuf, String> {
    let hash = crate::content_hash(WORKER_SOURCE.as_bytes());
    let path = std::env::temp_dir().join(format!("metamon-worker-{hash:016x}.mjs"));
    let current = || std::fs::read_to_string(&path).ok().as_deref() == Some(WORKER_SOURCE);
    if !current() {
        // One partial file per writer: the workers of one process start side by side.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let writer = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let partial = path.with_extension(format!("{}-{writer}.tmp", std::process::id()));
        let written =
            std::fs::write(&partial, WORKER_SOURCE).and_then(|()| std::fs::rename(&partial, &path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&partial);
            if !current() {
                return Err(format!("could not write the worker script: {error}"));
            }
        }
    }
    Ok(path)
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
        {
            let mut slot = worker.shared.slots[0].lock().unwrap();
            let process = slot.as_mut().unwrap();
            process.child.kill().unwrap();
            process.child.wait().unwrap();
        }
        let second = compile();
        assert_eq!(first.code, second.code);
    }
}
