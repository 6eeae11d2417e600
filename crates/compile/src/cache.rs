//! The compile cache: the framework compilers' answers (Vue, Svelte, Solid) kept on disk, named
//! by a hash of everything that decides them — the request (file name, source, options), the
//! worker's own code and the installed compilers' `package.json` — so an entry is never stale,
//! only unused. A dev server started again, or a second build, compiles nothing it compiled
//! before and needs no Node process for it. Answers that read other files (Sass partials, a
//! Vue component's imported prop types, Tailwind's scan) and Vue answers that compared with a
//! previous compile are not kept.

use serde_json::Value;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The packages whose version changes what the worker answers.
const COMPILERS: [&str; 6] = [
    "@vue/compiler-sfc",
    "svelte",
    "@babel/core",
    "babel-preset-solid",
    "solid-refresh",
    "postcss",
];

/// Where each entry of the log starts (after its header), and its length, by key.
type Index = HashMap<u64, (u64, usize)>;

/// A log larger than this starts again empty (edits add entries; nothing else removes them).
const MAX_BYTES: u64 = 256 << 20;

/// Starts each entry: `RECORD key len\n` then the answer's JSON and `\n`. JSON written by
/// serde never holds this byte raw, so a reader that meets a torn entry finds the next one.
const RECORD: u8 = 0x1e;

/// The answers live in one append-only file (`answers.log` in the cache's folder, an
/// [`EntryLog`]).
pub struct CompileCache {
    log: EntryLog,
    /// A hash of the worker's code and the installed compilers, read on first use.
    toolchain: OnceLock<u64>,
}

impl CompileCache {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            log: EntryLog::open(dir.join("answers.log")),
            toolchain: OnceLock::new(),
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
        let response: Value = serde_json::from_slice(&self.log.get(key)?).ok()?;
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
        self.log.put(key, response.to_string().as_bytes());
    }
}

/// Plain scripts (`.js`, `.jsx`, `.ts`, `.tsx`), compiled in-process by oxc, kept in
/// `scripts.log` beside the framework compilers' answers: a server started again compiles only
/// the scripts that changed since (at 10 000 React components, half of its start). The key is
/// everything the compile reads: the file's name and text, the options the script branch of
/// [`crate::compile`] passes on, and the identity of this build of metamon. Only a file's
/// first compile in a run is kept (an edit is compiled, not stored).
pub struct ScriptCache {
    log: EntryLog,
    kept: Mutex<std::collections::HashSet<String>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CachedScript {
    code: String,
    map: Option<Value>,
}

impl ScriptCache {
    pub fn new(dir: &Path) -> Self {
        Self {
            log: EntryLog::open(dir.join("scripts.log")),
            kept: Mutex::default(),
        }
    }

    /// The entry of `file` with `source`; `None` for an edit (not the file's first compile).
    pub fn key(&self, file: &str, source: &str, options: &crate::Options) -> Option<u64> {
        if !lock(&self.kept).insert(file.to_string()) {
            return None;
        }
        let text = format!(
            "{:016x}\0{file}\0{}{}{}\0{:?}\0{:?}\0{source}",
            build_identity(),
            options.dev,
            options.hmr,
            options.jsx_dev_runtime,
            options.script_defines(),
            options.jsx_import_source,
        );
        Some(crate::content_hash(text.as_bytes()))
    }

    pub fn get(&self, key: u64) -> Option<crate::Compiled> {
        let kept: CachedScript = serde_json::from_slice(&self.log.get(key)?).ok()?;
        Some(crate::Compiled {
            code: kept.code,
            map: kept.map,
            ..crate::Compiled::default()
        })
    }

    /// Keeps a compile that is code and map alone (what a plain script's is).
    pub fn put(&self, key: u64, compiled: &crate::Compiled) {
        if compiled.css.is_some() || compiled.target.is_some() || !compiled.file_deps.is_empty() {
            return;
        }
        let kept = CachedScript {
            code: compiled.code.clone(),
            map: compiled.map.clone(),
        };
        if let Ok(bytes) = serde_json::to_vec(&kept) {
            self.log.put(key, &bytes);
        }
    }
}

/// This build of metamon: its executable's size and modification time. Part of the key of what
/// is kept across runs and made by metamon's own code (scripts, module factories): a rebuilt
/// or upgraded binary never reads what another one made.
pub fn build_identity() -> u64 {
    static IDENTITY: OnceLock<u64> = OnceLock::new();
    *IDENTITY.get_or_init(|| {
        let metadata = std::env::current_exe().and_then(std::fs::metadata);
        let text = match metadata {
            Ok(metadata) => format!(
                "{} {:?} {}",
                metadata.len(),
                metadata.modified().ok(),
                env!("CARGO_PKG_VERSION")
            ),
            // Unknown: a fresh key each run, so nothing is ever read back.
            Err(_) => format!("{:?}", std::time::SystemTime::now()),
        };
        crate::content_hash(text.as_bytes())
    })
}

/// Entries (bytes) by a 64-bit key, in one append-only file: a file per entry cost a cold
/// build of 1000 components more kernel time creating files than the Rust side spent
/// compiling. Each entry is one `write` in append mode, so processes sharing the file (a dev
/// server and a build) never interleave; the index of what an earlier run wrote is read on
/// the first lookup. A file over 256 MB starts again empty.
pub struct EntryLog {
    path: PathBuf,
    /// The log as an earlier run left it, opened once: where each entry starts, its length.
    index: OnceLock<Option<(File, Index)>>,
    /// Opened for appending on the first entry kept.
    appender: Mutex<Option<File>>,
}

impl EntryLog {
    pub fn open(path: PathBuf) -> Self {
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES) {
            let _ = std::fs::remove_file(&path);
        }
        Self {
            path,
            index: OnceLock::new(),
            appender: Mutex::new(None),
        }
    }

    /// The entry an earlier run kept under `key` (the index is read once, on the first lookup:
    /// this run's own entries are for the next).
    pub fn get(&self, key: u64) -> Option<Vec<u8>> {
        let (log, index) = self.index.get_or_init(|| read_index(&self.path)).as_ref()?;
        let &(offset, len) = index.get(&key)?;
        let mut bytes = vec![0; len];
        log.read_exact_at(&mut bytes, offset).ok()?;
        Some(bytes)
    }

    /// Appends an entry; `bytes` must not hold the record mark (JSON written by serde does not).
    pub fn put(&self, key: u64, bytes: &[u8]) {
        let mut entry = Vec::with_capacity(bytes.len() + 40);
        entry.push(RECORD);
        entry.extend_from_slice(format!("{key:016x} {}\n", bytes.len()).as_bytes());
        entry.extend_from_slice(bytes);
        entry.push(b'\n');
        if let Some(file) = self.appender().as_mut() {
            let _ = file.write_all(&entry);
        }
    }

    /// Opens the log now, for reading and appending, rather than on first use: a long-running
    /// server then holds the same files from its start.
    pub fn open_files(&self) {
        self.index.get_or_init(|| read_index(&self.path));
        drop(self.appender());
    }

    fn appender(&self) -> MutexGuard<'_, Option<File>> {
        let mut appender = lock(&self.appender);
        if appender.is_none() {
            let _ = std::fs::create_dir_all(self.path.parent().unwrap_or(Path::new(".")));
            *appender = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .ok();
        }
        appender
    }
}

/// The entries of the log, read header by header (answers are skipped, not read). A torn
/// entry (a run stopped mid-write) is passed over to the next record mark.
fn read_index(log: &Path) -> Option<(File, Index)> {
    let mut index = HashMap::new();
    let file = File::open(log).ok()?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut reader = BufReader::with_capacity(64 << 10, file.try_clone().ok()?);
    let mut header = Vec::new();
    let mut position = 0u64;
    loop {
        header.clear();
        // Up to the next record mark, then its header line.
        let Ok(skipped) = reader.read_until(RECORD, &mut header) else {
            break;
        };
        if skipped == 0 || header.last() != Some(&RECORD) {
            break;
        }
        position += skipped as u64;
        header.clear();
        let Ok(read) = reader.read_until(b'\n', &mut header) else {
            break;
        };
        position += read as u64;
        let parsed = std::str::from_utf8(&header).ok().and_then(|line| {
            let (key, len) = line.trim_end().split_once(' ')?;
            Some((
                u64::from_str_radix(key, 16).ok()?,
                len.parse::<usize>().ok()?,
            ))
        });
        let Some((key, len)) = parsed else { continue };
        let mut end = [0u8; 1];
        let whole = position + (len as u64) < size
            && reader.seek_relative(len as i64).is_ok()
            && reader.read_exact(&mut end).is_ok()
            && end[0] == b'\n';
        if !whole {
            // Torn: look for the next mark from just after this header.
            if reader.seek(SeekFrom::Start(position)).is_err() {
                break;
            }
            continue;
        }
        index.insert(key, (position, len));
        position += len as u64 + 1;
    }
    Some((file, index))
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
        assert_eq!(cache.get(cache.key(&again, &dir)), Some(answer.clone()));
        assert_eq!(cache.get(cache.key(&edited, &dir)), None);
        assert_eq!(cache.get(cache.key(&other, &dir)), None);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // An entry torn by a run stopped mid-write is passed over; the next one is found.
        let torn = json!({"id": 11, "kind": "svelte", "filename": "/a/C.svelte", "source": "c"});
        let log = dir.join("answers.log");
        let mut text = std::fs::read(&log).unwrap();
        text.extend_from_slice(b"\x1e00000000000000ab 900\n{\"ok\":tr");
        std::fs::write(&log, text).unwrap();
        let cache = CompileCache::new(dir.clone());
        cache.put(cache.key(&torn, &dir), &answer);
        let cache = CompileCache::new(dir.clone());
        assert_eq!(cache.get(cache.key(&torn, &dir)), Some(answer.clone()));
        assert_eq!(cache.get(cache.key(&again, &dir)), Some(answer));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_script_compiled_by_one_run_is_read_by_the_next_and_an_edit_is_compiled() {
        let dir = std::env::temp_dir().join(format!("metamon-scripts-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = crate::Options::new(&dir, true);
        let compiled = crate::Compiled {
            code: "export const a = 1;\n".into(),
            map: Some(json!({"version": 3, "mappings": "AAAA"})),
            ..crate::Compiled::default()
        };
        {
            let cache = ScriptCache::new(&dir);
            let key = cache
                .key("src/a.js", "export const a = 1;", &options)
                .unwrap();
            assert!(cache.get(key).is_none());
            cache.put(key, &compiled);
            // The same file again in this run is an edit: compiled, not looked up.
            assert_eq!(cache.key("src/a.js", "export const a = 2;", &options), None);
        }
        let cache = ScriptCache::new(&dir);
        let key = cache
            .key("src/a.js", "export const a = 1;", &options)
            .unwrap();
        let read = cache.get(key).expect("kept by the run before");
        assert_eq!(
            (read.code, read.map),
            (compiled.code.clone(), compiled.map.clone())
        );
        // Another name, another text, or other options: another entry.
        let production = crate::Options::new(&dir, true).production();
        for (file, source, options) in [
            ("src/b.js", "export const a = 1;", &options),
            ("src/a.js", "export const a = 3;", &options),
            ("src/a.js", "export const a = 1;", &production),
        ] {
            let cache = ScriptCache::new(&dir);
            let key = cache.key(file, source, options).unwrap();
            assert!(cache.get(key).is_none(), "{file} {source}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
