//! The compile cache: the framework compilers' answers (Vue, Svelte, Solid) kept on disk, named
//! by a hash of everything that decides them — the request (file name, source, options), the
//! worker's own code and the installed compilers' `package.json` — so an entry is never stale,
//! only unused. A dev server started again, or a second build, compiles nothing it compiled
//! before and needs no Node process for it. Answers that read other files (Sass partials, a
//! Vue component's imported prop types, Tailwind's scan) and Vue answers that compared with a
//! previous compile are not kept.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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
}

impl CompileCache {
    pub fn new(dir: PathBuf) -> Self {
        let entries = std::fs::read_dir(&dir).map_or(0, |entries| entries.count());
        if entries > MAX_ENTRIES {
            let _ = std::fs::remove_dir_all(&dir);
        }
        Self {
            dir,
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
        let path = self.path(key);
        // Written whole, then renamed: a reader never sees half an entry.
        let partial = path.with_extension(format!("{}.tmp", std::process::id()));
        let written = std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(&partial, response.to_string()))
            .and_then(|()| std::fs::rename(&partial, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
    }

    fn path(&self, key: u64) -> PathBuf {
        self.dir.join(format!("{key:016x}.json"))
    }
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
        let cache = CompileCache::new(dir.clone());
        let request =
            json!({"id": 1, "kind": "svelte", "filename": "/a/A.svelte", "source": "<p>a</p>"});
        let again =
            json!({"id": 7, "kind": "svelte", "filename": "/a/A.svelte", "source": "<p>a</p>"});
        let edited =
            json!({"id": 8, "kind": "svelte", "filename": "/a/A.svelte", "source": "<p>b</p>"});
        let answer = json!({"ok": true, "code": "export default 1", "deps": []});
        let key = cache.key(&request, &dir);
        cache.put(key, &answer);
        assert_eq!(cache.get(cache.key(&again, &dir)), Some(answer));
        assert_eq!(cache.get(cache.key(&edited, &dir)), None);
        // Answers that depend on other files or on the previous compile are not kept.
        let with_deps = json!({"ok": true, "code": "x", "deps": ["/a/_vars.scss"]});
        let key = cache.key(&edited, &dir);
        cache.put(key, &with_deps);
        assert_eq!(cache.get(key), None);
        cache.put(
            key,
            &json!({"ok": true, "code": "x", "deps": [], "comparedWithPrevious": true}),
        );
        assert_eq!(cache.get(key), None);
        cache.put(key, &json!({"ok": false, "error": {"message": "no"}}));
        assert_eq!(cache.get(key), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
