//! The long-lived Node worker that runs the frameworks' own compilers (Vue, Svelte, Solid).
//! JSON lines over stdin/stdout; one request at a time; restarted when it dies, and stopped
//! and restarted when a compile takes longer than the options' `compile_timeout`.

use crate::{Compiled, Diagnostic, Options, set_map_source, shift_map};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const WORKER_SOURCE: &str = include_str!("../../../worker/worker.mjs");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerKind {
    Vue,
    Svelte,
    Solid,
    /// Sass, SCSS and Less, with the project's own `sass` / `less` package.
    Style,
}

impl WorkerKind {
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

/// Handles to the workers (one per core, at most four); each starts on first use. A file is
/// always compiled by the same worker: Vue's "only the template changed" check compares with
/// the file's previous compile.
pub struct WorkerPool {
    processes: Vec<Mutex<Option<Process>>>,
    next_id: Mutex<u64>,
    /// Restarts since the last `take_restart_notices`, worded for the page.
    restart_notices: Mutex<Vec<String>>,
}

impl Default for WorkerPool {
    fn default() -> Self {
        let count = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        Self {
            processes: (0..count).map(|_| Mutex::new(None)).collect(),
            next_id: Mutex::new(0),
            restart_notices: Mutex::new(Vec::new()),
        }
    }
}

impl WorkerPool {
    pub fn new() -> Self {
        Self::default()
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
            .request(&request, file, kind, options)
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

    /// Sends one request; if the worker is dead or dies, starts a new one and tries once more.
    /// The worker that compiles this file.
    fn slot_for(&self, filename: &Value) -> &Mutex<Option<Process>> {
        let hash = crate::content_hash(filename.to_string().as_bytes());
        &self.processes[(hash % self.processes.len() as u64) as usize]
    }

    fn request(
        &self,
        request: &Value,
        file: &str,
        kind: WorkerKind,
        options: &Options,
    ) -> Result<Value, String> {
        let mut slot = self
            .slot_for(&request["filename"])
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut last_error = String::new();
        for attempt in 0..2 {
            if slot.is_none() {
                *slot = Some(spawn(&options.root)?);
            }
            let process = slot.as_mut().expect("just started");
            let limit = if process.warm.contains(&kind) {
                options.compile_timeout
            } else {
                options.compile_timeout + COLD_COMPILER_GRACE
            };
            match exchange(process, request, limit) {
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
fn spawn(root: &Path) -> Result<Process, String> {
    let script = worker_script_path()?;
    let mut child = Command::new("node")
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
            let mut slot = worker.slot_for(&json!(path)).lock().unwrap();
            let process = slot.as_mut().unwrap();
            process.child.kill().unwrap();
            process.child.wait().unwrap();
        }
        let second = compile();
        assert_eq!(first.code, second.code);
    }
}
