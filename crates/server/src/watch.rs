//! File watching: notify events, filtered (dependencies, VCS, editors' temp files, the config's
//! patterns) and debounced into batches sent on a channel, so that a save by atomic rename or
//! several files saved at once make one update.

use metamon_config::Config;
use metamon_project::files::ignored;
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// Files changed together, with canonical paths, and when the first change was seen.
pub struct Batch {
    pub files: Vec<PathBuf>,
    pub detected_at: u64,
}

/// Starts watching `root` (canonical). `config` gives the settings in force for each batch.
/// The watcher stops when the returned handle is dropped.
pub fn start(
    root: &Path,
    config: impl Fn() -> Arc<Config> + Send + 'static,
) -> Result<(notify::RecommendedWatcher, UnboundedReceiver<Batch>), String> {
    let (events, incoming) = std::sync::mpsc::channel::<PathBuf>();
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
        .watch(root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let (batches, receiver) = tokio::sync::mpsc::unbounded_channel::<Batch>();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        while let Ok(first) = incoming.recv() {
            let detected_at = crate::protocol::now_ms();
            let config = config();
            // The quiet time that closes a batch (`debounceMs`); without `batchUpdates` every
            // event is its own batch.
            let debounce = Duration::from_millis(config.debounce_ms.max(1));
            let mut batch = BTreeSet::from([first]);
            // Once several files change, it is a burst (a branch switch, a formatter, a code
            // generator): a longer quiet time keeps it one batch when writes arrive unevenly.
            // Files that never stop changing still get a batch every `MAX_BATCH_SPAN`.
            let closes_at = Instant::now() + MAX_BATCH_SPAN;
            let quiet = |batch: &BTreeSet<PathBuf>| {
                let quiet = if batch.len() > 1 {
                    debounce.max(BURST_QUIET)
                } else {
                    debounce
                };
                quiet.min(closes_at.saturating_duration_since(Instant::now()))
            };
            while config.batch_updates
                && let Ok(next) = incoming.recv_timeout(quiet(&batch))
            {
                batch.insert(next);
            }
            // A file that is empty right now is most likely half saved (truncated, its text not
            // written yet): the batch waits a little for the rest of the save.
            let hold_until = Instant::now() + EMPTY_FILE_GRACE;
            while batch.iter().any(|path| is_empty_file(path)) {
                let left = hold_until.saturating_duration_since(Instant::now());
                let Ok(next) = incoming.recv_timeout(left.min(debounce)) else {
                    if left.is_zero() {
                        break;
                    }
                    continue;
                };
                batch.insert(next);
                while let Ok(next) = incoming.recv_timeout(debounce) {
                    batch.insert(next);
                }
            }
            let files: Vec<PathBuf> = batch
                .into_iter()
                .filter(|path| watched(&root, path, &config))
                // Canonical paths, so they match the graph's (symlinked temp dirs and the like).
                .map(|path| canonical_or_same(&path))
                .collect();
            if !files.is_empty() && batches.send(Batch { files, detected_at }).is_err() {
                return;
            }
        }
    });
    Ok((watcher, receiver))
}

/// The quiet time that closes a batch of several files (see `start`).
const BURST_QUIET: Duration = Duration::from_millis(40);

/// The longest a batch stays open while its files keep changing.
const MAX_BATCH_SPAN: Duration = Duration::from_millis(500);

/// How long a batch holding a file that is empty waits for the save to write its text.
const EMPTY_FILE_GRACE: Duration = Duration::from_millis(300);

fn is_empty_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() == 0)
}

/// Whether a change of `path` counts: not ignored, and matching `watchPatterns` if any (the
/// config file and pages always count).
fn watched(root: &Path, path: &Path, config: &Config) -> bool {
    if ignored(root, path) {
        return false;
    }
    let relative = path.strip_prefix(root).unwrap_or(path);
    let always = relative
        .to_str()
        .is_some_and(|r| r == metamon_config::FILE_NAME || r.ends_with(".html"));
    !Config::glob_set(&config.ignore_patterns).is_match(relative)
        && (always
            || config.watch_patterns.is_empty()
            || Config::glob_set(&config.watch_patterns).is_match(relative))
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
    fn ignores_dependencies_vcs_editor_files_and_the_configs_patterns() {
        let root = Path::new("/app");
        let config = Config::default();
        for ignored in [
            "/app/node_modules/react/index.js",
            "/app/.git/index",
            "/app/src/.App.jsx.swp",
            "/app/src/App.jsx~",
            "/app/src/4913",
            "/elsewhere/a.js",
        ] {
            assert!(!watched(root, Path::new(ignored), &config), "{ignored}");
        }
        assert!(watched(root, Path::new("/app/src/App.jsx"), &config));
        let config = Config {
            watch_patterns: vec!["src/**".into()],
            ignore_patterns: vec!["src/generated/**".into()],
            ..Config::default()
        };
        assert!(watched(root, Path::new("/app/src/App.jsx"), &config));
        assert!(!watched(
            root,
            Path::new("/app/src/generated/a.js"),
            &config
        ));
        assert!(!watched(root, Path::new("/app/other/a.js"), &config));
        assert!(watched(root, Path::new("/app/index.html"), &config));
    }
}
