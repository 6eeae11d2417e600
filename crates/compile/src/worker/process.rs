//! One Node worker process. Requests go out as JSON lines; a thread of its own reads the answers
//! and hands each to whoever waits for its id, so several requests are on their way at once:
//! the worker handles them in order, and the next one is already in its input when it finishes
//! one (a request-then-wait exchange left Node idle for a round trip per file, a quarter of a
//! Solid build).

use super::{WORKER_SOURCE, WorkerKind, lock};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Requests on their way to one worker at most: enough that it never waits for the next one,
/// few enough that a request's time limit is not spent waiting behind a long queue.
pub(super) const MAX_IN_FLIGHT: usize = 4;

/// Why an exchange with a worker failed.
pub(super) enum Failure {
    /// It exited or its pipes broke: a new worker may well succeed.
    Died(String),
    /// It did not answer in time (a compiler stuck on this input): retrying would hang again.
    TimedOut,
}

type Waiting = Mutex<Option<HashMap<u64, Sender<Value>>>>;

pub(super) struct Process {
    child: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    /// Who waits for which answer; `None` once the worker's output closed (it exited).
    waiting: Arc<Waiting>,
    in_flight: Mutex<usize>,
    room: Condvar,
    /// The kinds this worker has compiled: their compiler is loaded.
    warm: Mutex<Vec<WorkerKind>>,
    last_used: Mutex<Instant>,
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Process {
    /// Started in the project root, so the locations compilers print are relative to it.
    pub(super) fn spawn(root: &Path, dev: bool) -> Result<Arc<Process>, String> {
        let script = worker_script_path()?;
        // A dev server's worker lives long: a small young generation keeps its memory near its
        // compilers' size (a third less after a thousand components) for a few percent of
        // compile time. A build's worker lives seconds and goes for speed.
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
        let waiting: Arc<Waiting> = Arc::new(Mutex::new(Some(HashMap::new())));
        let answers = waiting.clone();
        // Ends when the worker's stdout closes (it exited or was killed): every wait then ends.
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                let Ok(answer) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                let Some(id) = answer["id"].as_u64() else {
                    continue;
                };
                let waiter = lock(&answers)
                    .as_mut()
                    .and_then(|waiting| waiting.remove(&id));
                if let Some(waiter) = waiter {
                    let _ = waiter.send(answer);
                }
            }
            *lock(&answers) = None;
        });
        Ok(Arc::new(Process {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            waiting,
            in_flight: Mutex::new(0),
            room: Condvar::new(),
            warm: Mutex::new(Vec::new()),
            last_used: Mutex::new(Instant::now()),
        }))
    }

    pub(super) fn in_flight(&self) -> usize {
        *lock(&self.in_flight)
    }

    pub(super) fn is_warm(&self, kind: WorkerKind) -> bool {
        lock(&self.warm).contains(&kind)
    }

    /// How long it has had nothing to do (zero while a request is on its way).
    pub(super) fn idle_for(&self) -> Duration {
        if self.in_flight() > 0 {
            Duration::ZERO
        } else {
            lock(&self.last_used).elapsed()
        }
    }

    pub(super) fn kill(&self) {
        let mut child = lock(&self.child);
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Sends `request` (its numeric `id` unique to this worker) and waits up to `limit` for the
    /// answer, once fewer than [`MAX_IN_FLIGHT`] requests are on their way.
    pub(super) fn exchange(
        &self,
        request: &Value,
        kind: WorkerKind,
        limit: Duration,
    ) -> Result<Value, Failure> {
        {
            let mut in_flight = lock(&self.in_flight);
            while *in_flight >= MAX_IN_FLIGHT {
                in_flight = self.room.wait(in_flight).unwrap_or_else(|e| e.into_inner());
            }
            *in_flight += 1;
        }
        let answer = self.send_and_wait(request, limit);
        *lock(&self.last_used) = Instant::now();
        *lock(&self.in_flight) -= 1;
        self.room.notify_one();
        if answer.is_ok() {
            let mut warm = lock(&self.warm);
            if !warm.contains(&kind) {
                warm.push(kind);
            }
        }
        answer
    }

    fn send_and_wait(&self, request: &Value, limit: Duration) -> Result<Value, Failure> {
        let id = request["id"].as_u64().unwrap_or_default();
        let (sender, answer) = std::sync::mpsc::channel();
        match lock(&self.waiting).as_mut() {
            Some(waiting) => waiting.insert(id, sender),
            None => return Err(Failure::Died("it exited".into())),
        };
        let mut line = request.to_string();
        line.push('\n');
        let written = {
            let mut stdin = lock(&self.stdin);
            stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush())
        };
        if let Err(error) = written {
            self.forget(id);
            return Err(Failure::Died(error.to_string()));
        }
        match answer.recv_timeout(limit) {
            Ok(answer) => Ok(answer),
            Err(RecvTimeoutError::Timeout) => {
                self.forget(id);
                Err(Failure::TimedOut)
            }
            Err(RecvTimeoutError::Disconnected) => Err(Failure::Died("it exited".into())),
        }
    }

    fn forget(&self, id: u64) {
        if let Some(waiting) = lock(&self.waiting).as_mut() {
            waiting.remove(&id);
        }
    }
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
