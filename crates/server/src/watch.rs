//! File watching: notify events, filtered (dependencies, VCS, editors' temp files) and
//! debounced into batches, so that a save by atomic rename or several files saved at once
//! make one update.

use crate::DevServer;
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Paths the server never reacts to.
pub fn ignored(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return true;
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let editor_temp = name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
        || (name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".#");
    editor_temp
        || relative.components().any(|c| {
            let part = c.as_os_str().to_string_lossy();
            part == "node_modules" || part == "target" || part == "dist" || part.starts_with('.')
        })
}

/// Calls `visit` for every file under `root` the server may serve as a module.
pub fn for_each_source_file(root: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut stack: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    let base = root.to_path_buf();
    while let Some(path) = stack.pop() {
        if ignored(&base, &path) {
            continue;
        }
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else {
            visit(&path);
        }
    }
}

/// Starts watching the root; batches are handled one after the other.
pub fn start(server: Arc<DevServer>) -> Result<notify::RecommendedWatcher, String> {
    let (events, incoming) = std::sync::mpsc::channel::<PathBuf>();
    let root = server.root().to_path_buf();
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        if let Ok(event) = result {
            if event.kind.is_access() {
                return;
            }
            for path in event.paths {
                let _ = events.send(path);
            }
        }
    })
    .map_err(|e| format!("cannot watch files: {e}"))?;
    watcher
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let (batches, mut batch_receiver) =
        tokio::sync::mpsc::unbounded_channel::<(Vec<PathBuf>, u64)>();
    let filter_root = root.clone();
    let filter_server = server.clone();
    std::thread::spawn(move || {
        while let Ok(first) = incoming.recv() {
            let detected_at = crate::hmr::now_ms();
            let config = filter_server.config();
            // The quiet time that closes a batch (`debounceMs`); without `batchUpdates` every
            // event is its own batch.
            let debounce = Duration::from_millis(config.debounce_ms.max(1));
            let mut batch = BTreeSet::from([first]);
            while config.batch_updates
                && let Ok(next) = incoming.recv_timeout(debounce)
            {
                batch.insert(next);
            }
            let ignore = metamon_config::Config::glob_set(&config.ignore_patterns);
            let watch = metamon_config::Config::glob_set(&config.watch_patterns);
            let batch: Vec<PathBuf> = batch
                .into_iter()
                .filter(|p| !ignored(&filter_root, p))
                .filter(|p| {
                    let relative = p.strip_prefix(&filter_root).unwrap_or(p);
                    let always = relative
                        .to_str()
                        .is_some_and(|r| r == metamon_config::FILE_NAME || r.ends_with(".html"));
                    !ignore.is_match(relative)
                        && (always || config.watch_patterns.is_empty() || watch.is_match(relative))
                })
                .collect();
            if !batch.is_empty() && batches.send((batch, detected_at)).is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        while let Some((batch, detected_at)) = batch_receiver.recv().await {
            // Canonical paths, so they match the graph's (symlinked temp dirs and the like).
            let batch = batch.into_iter().map(|p| canonical_or_same(&p)).collect();
            server.handle_changes(batch, detected_at).await;
        }
    });
    Ok(watcher)
}

fn canonical_or_same(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    // Deleted: canonicalize the folder it was in.
    match (
        path.parent().and_then(|p| p.canonicalize().ok()),
        path.file_name(),
    ) {
        (Some(parent), Some(name)) => parent.join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_dependencies_vcs_and_editor_files() {
        let root = Path::new("/app");
        assert!(ignored(root, Path::new("/app/node_modules/react/index.js")));
        assert!(ignored(root, Path::new("/app/.git/index")));
        assert!(ignored(root, Path::new("/app/src/.App.jsx.swp")));
        assert!(ignored(root, Path::new("/app/src/App.jsx~")));
        assert!(ignored(root, Path::new("/app/src/4913")));
        assert!(ignored(root, Path::new("/elsewhere/a.js")));
        assert!(!ignored(root, Path::new("/app/src/App.jsx")));
    }
}
