//! The compile cache: the framework compilers' answers (Vue, Svelte, Solid) kept on disk, named
//! by a hash of everything that decides them — the request (file name, source, options), the
//! worker's own code and the installed compilers' `package.json` — so an entry is never stale,
//! only unused. A dev server started again, or a second build, compiles nothing it compiled
//! before and needs no Node process for it. Answers that read other files (Sass partials, a
//! Vue component's imported prop types, Tailwind's scan) and Vue answers that compared with a
//! previous compile are not kept.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;

/// The packages whose version changes what the worker answers.
const COMPILERS: [&str; 6] = [
    "@vue/compiler-sfc",
    "svelte",
    "@babel/core",
    "babel-preset-solid",
    "solid-refresh",
    "postcss",
];

/// More entries than this and the cache starts again empty (edits add entries; nothing else
/// removes them).
const MAX_ENTRIES: usize = 20_000;

pub struct CompileCache {
    dir: PathBuf,
    /// A hash of the worker's code and the installed compilers, read on first use.
    toolchain: OnceLock<u64>,
    /// Entries go to disk from one thread of their own: off the compile path, and one file
    /// created at a time (files created side by side in one folder contend in the kernel: a
    /// cold build of 1000 components spent more time there than in Rust).
    writer: Mutex<Option<Sender<(PathBuf, String)>>>,
    written: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for CompileCache {
    /// Waits for the entries still being written.
    fn drop(&mut self) {
        lock(&self.writer).take();
        if let Some(thread) = lock(&self.written).take() {
            let _ = thread.join();
        }
    }
}

impl CompileCache {
    pub fn new(dir: PathBuf) -> Self {
        let entries = std::fs::read_dir(&dir).map_or(0, |entries| entries.count());
        if entries > MAX_ENTRIES {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let (writer, entries) = std::sync::mpsc::channel::<(PathBuf, String)>();
        let folder = dir.clone();
        let written = std::thread::spawn(move || {
            let _ = std::fs::create_dir_all(&folder);
            for (path, text) in entries {
                write_entry(&path, &text);
            }
        });
        Self {
            dir,
            toolchain: OnceLock::new(),
            writer: Mutex::new(Some(writer)),
            written: Mutex::new(Some(written)),
        }
    }

    /// The entry name of a request (its `id` left out).
    pub fn key(&self, request: &Value, root: &Path) -> u64 {
        let toolchain = *self.toolchain.get_or_init(|| toolchain_hash(root));
        let mut request = request.clone();
        if let Some(object) = request.as_object_mut() {
            object.remove("id");
        }
        let text = format!("{toolchain:016x}{request}");
        crate::content_hash(text.as_bytes())
    }

    pub fn get(&self, key: u64) -> Option<Value> {
        let text = std::fs::read(self.path(key)).ok()?;
        let response: Value = serde_json::from_slice(&text).ok()?;
        (response["ok"].as_bool() == Some(true)).then_some(response)
    }

    /// Keeps a successful answer that depends on its request alone.
    pub fn put(&self, key: u64, response: &Value) {
        let reads_other_files = response["deps"]
            .as_array()
            .is_some_and(|deps| !deps.is_empty());
        let compared_with_previous = response["comparedWithPrevious"] == true;
        if response["ok"].as_bool() != Some(true) || reads_other_files || compared_with_previous {
            return;
        }
        if let Some(writer) = lock(&self.writer).as_ref() {
            let _ = writer.send((self.path(key), response.to_string()));
        }
    }

    fn path(&self, key: u64) -> PathBuf {
        self.dir.join(format!("{key:016x}.json"))
    }
}

/// Written whole, then renamed: a reader never sees half an entry.
fn write_entry(path: &Path, text: &str) {
    let partial = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = std::fs::write(&partial, text).and_then(|()| std::fs::rename(&partial, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The worker's code and each installed compiler's `package.json`, as the project resolves
/// them (the nearest `node_modules` at or above the root that has the package).
fn toolchain_hash(root: &Path) -> u64 {
    let mut text = String::from(crate::worker::WORKER_SOURCE);
    for package in COMPILERS {
        let manifest = root
            .ancestors()
            .map(|dir| dir.join("node_modules").join(package).join("package.json"))
            .find_map(|path| std::fs::read_to_string(path).ok());
        text.push_str(package);
        text.push_str(manifest.as_deref().unwrap_or("-"));
    }
    crate::content_hash(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_is_found_by_its_request_and_never_by_another() {
        let dir = std::env::temp_dir().join(format!("metamon-cache-test-{}", std::process::id()));
        let request =
            json!({"id": 1, "kind": "svelte", "filename": "/a/A.svelte", "source": "<p>a</p>"});
        let again =
            json!({"id": 7, "kind": "svelte", "filename": "/a/A.svelte", "source": "<p>a</p>"});
        let edited =
            json!({"id": 8, "kind": "svelte", "filename": "/a/A.svelte", "source": "<p>b</p>"});
        let other =
            json!({"id": 9, "kind": "svelte", "filename": "/a/B.svelte", "source": "<p>b</p>"});
        let answer = json!({"ok": true, "code": "export default 1", "deps": []});
        {
            // One run keeps its answers (written when it ends at the latest)…
            let cache = CompileCache::new(dir.clone());
            cache.put(cache.key(&request, &dir), &answer);
            // …but not those that depend on other files, on the previous compile, or failed.
            let with_deps = json!({"ok": true, "code": "x", "deps": ["/a/_vars.scss"]});
            cache.put(cache.key(&edited, &dir), &with_deps);
            let compared =
                json!({"ok": true, "code": "x", "deps": [], "comparedWithPrevious": true});
            cache.put(cache.key(&other, &dir), &compared);
            let failed = json!({"ok": false, "error": {"message": "no"}});
            cache.put(cache.key(&json!({"id": 10, "source": "?"}), &dir), &failed);
        }
        // The next run finds it by the same request (another id), and nothing else.
        let cache = CompileCache::new(dir.clone());
        assert_eq!(cache.get(cache.key(&again, &dir)), Some(answer));
        assert_eq!(cache.get(cache.key(&edited, &dir)), None);
        assert_eq!(cache.get(cache.key(&other, &dir)), None);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}
