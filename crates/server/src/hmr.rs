//! Hot module replacement: a batch of changed files becomes one message to the pages: the
//! modules that accept the update, a full reload, or the list of files that fail to compile.

use crate::{DevServer, ShownError};
use metamon_compile::Diagnostic;
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// What one changed file contributes to the batch's message.
#[derive(Default)]
struct FileOutcome {
    updates: Vec<serde_json::Value>,
    full_reload: Option<String>,
    updated: Vec<String>,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl DevServer {
    /// Handles one debounced batch of changed paths. Files are recompiled in parallel (at most
    /// `maxConcurrentReloads` at once); a file that fails does not hold back the others.
    pub async fn handle_changes(self: &Arc<Self>, files: Vec<PathBuf>, detected_at: u64) {
        let started = Instant::now();
        let timestamp = now_ms();
        let limit = Arc::new(tokio::sync::Semaphore::new(
            self.config().max_concurrent_reloads.max(1),
        ));
        let routes_touched: Vec<String> = files
            .iter()
            .filter_map(|f| f.strip_prefix(&self.root).ok())
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .collect();
        // A Sass partial or a file of imported prop types changes the modules whose compiler
        // read it, and a file added or removed that an `import.meta.glob` matches changes the
        // module that globs it: those modules are recompiled as if they had been saved.
        let mut files = files;
        let dependents: Vec<PathBuf> = {
            let graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
            files
                .iter()
                .zip(&routes_touched)
                .flat_map(|(file, relative)| {
                    let added_or_removed = !file.exists() || graph.keys_for_file(file).is_empty();
                    graph.dependent_files(file, relative, added_or_removed)
                })
                .collect()
        };
        for owner in dependents {
            if !files.contains(&owner) {
                files.push(owner);
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (order, file) in files.into_iter().enumerate() {
            let server = self.clone();
            let limit = limit.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (order, server.update_file(file, timestamp).await)
            });
        }
        let mut outcomes = Vec::new();
        while let Some(Ok(outcome)) = tasks.join_next().await {
            outcomes.push(outcome);
        }
        outcomes.sort_by_key(|(order, _)| *order);
        let mut updates: Vec<serde_json::Value> = Vec::new();
        let mut updated_files = Vec::new();
        let mut full_reload = None;
        for (_, outcome) in outcomes {
            for update in outcome.updates {
                if !updates.contains(&update) {
                    updates.push(update);
                }
            }
            full_reload = full_reload.or(outcome.full_reload);
            updated_files.extend(outcome.updated);
        }
        // Pages added, removed or with new `route`/`layout`: the routes table hot-updates.
        if routes_touched.iter().any(|f| DevServer::affects_routes(f))
            && let Some(update) = self.refresh_routes(timestamp).await
        {
            updates.push(update);
        }
        let pruned =
            std::mem::take(&mut self.graph.lock().unwrap_or_else(|e| e.into_inner()).pruned);
        if !pruned.is_empty() {
            self.send(&json!({ "type": "prune", "paths": pruned }));
        }
        let elapsed = started.elapsed().as_millis();
        if let Some(path) = full_reload {
            println!(
                "  page reload {} ({elapsed} ms)",
                path.trim_start_matches('/')
            );
            self.send(&json!({ "type": "full-reload", "path": path }));
        } else if !updates.is_empty() {
            println!("  hmr update {} ({elapsed} ms)", updated_files.join(", "));
            // Phases for tools: when the change was seen, how long compiling took, when sent.
            let timing =
                json!({ "changedAt": detected_at, "compileMs": elapsed, "sentAt": now_ms() });
            self.send(&json!({ "type": "update", "updates": updates, "files": updated_files, "timing": timing }));
        }
    }

    /// Recompiles the modules of one changed file and finds the modules that accept them.
    async fn update_file(self: &Arc<Self>, file: PathBuf, timestamp: u64) -> FileOutcome {
        let mut outcome = FileOutcome::default();
        let relative = file
            .strip_prefix(&self.root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if relative.is_empty() {
            return outcome;
        }
        if relative == metamon_config::FILE_NAME {
            self.reload_config();
            return outcome;
        }
        if relative.ends_with(".html") {
            outcome.full_reload = Some(format!("/{relative}"));
            return outcome;
        }
        let keys = self
            .graph
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys_for_file(&file);
        if keys.is_empty() || !file.exists() {
            // A file added or removed can change what an import resolves to.
            self.resolver.clear_cache();
        }
        if keys.is_empty() {
            if relative.ends_with(".css") && file.exists() {
                // A stylesheet the page links (`<link rel=stylesheet>`): swap the link.
                let path = format!("/{relative}");
                outcome.updates.push(json!({ "type": "css-update", "path": path, "acceptedPath": path, "timestamp": timestamp }));
                outcome.updated.push(relative.clone());
            }
            // Otherwise not loaded by any page: a new file, or one nothing imports yet.
            self.clear_errors(&relative);
            return outcome;
        }
        if !file.exists() {
            let dependents = self
                .graph
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .dependent_files(&file, &relative, true);
            if !dependents.is_empty() {
                // Reached through an `import.meta.glob` (or read by a compiler): the dependent
                // module's update, in the same batch, drops it or reports what is missing.
                return outcome;
            }
            let error = Diagnostic::new(
                "serve::deleted",
                &relative,
                1,
                1,
                "this file was deleted (or is being saved); the page keeps running its last good version",
            );
            self.record_errors(vec![error]);
            return outcome;
        }
        let previous: Vec<_> = {
            let mut graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
            keys.iter()
                .map(|key| {
                    let node = graph.modules.get_mut(key).expect("key from graph");
                    node.stale = true;
                    node.transformed.clone()
                })
                .collect()
        };
        for (key, previous) in keys.iter().zip(previous) {
            let transformed = match self.transform(key).await {
                Ok(transformed) => transformed,
                Err(diagnostics) => {
                    self.record_errors(diagnostics);
                    return outcome;
                }
            };
            if previous
                .as_ref()
                .is_some_and(|p| p.code == transformed.code)
            {
                continue;
            }
            // A `.mtm` file that changed framework: its importers must now reach it through a
            // bridge (or no longer), so they are re-transformed and take the update instead.
            let mut changed = vec![key.clone()];
            if previous
                .as_ref()
                .is_some_and(|p| p.framework != transformed.framework)
            {
                changed.clear();
                let importers: Vec<String> = {
                    let mut graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
                    let node = graph.modules.get_mut(key).expect("key from graph");
                    node.timestamp = timestamp;
                    node.importers.iter().cloned().collect()
                };
                for importer in importers {
                    if let Some(node) = self
                        .graph
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .modules
                        .get_mut(&importer)
                    {
                        node.stale = true;
                    }
                    if self.transform(&importer).await.is_ok() {
                        changed.push(importer);
                    }
                }
                if changed.is_empty() {
                    outcome.full_reload = Some(key.clone());
                }
            }
            let mut graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
            for key in &changed {
                match graph.propagate(key, timestamp) {
                    Some(boundaries) => {
                        for boundary in boundaries {
                            outcome.updates.push(json!({ "type": "js-update", "path": boundary.boundary, "acceptedPath": boundary.accepted, "timestamp": timestamp }));
                        }
                    }
                    None => outcome.full_reload = Some(key.clone()),
                }
            }
        }
        self.clear_errors(&relative);
        outcome.updated.push(relative);
        outcome
    }

    /// Regenerates the routes table if a page has loaded it; its update when it changed.
    async fn refresh_routes(self: &Arc<Self>, timestamp: u64) -> Option<serde_json::Value> {
        let key = crate::routes::ROUTES_KEY;
        let previous = {
            let mut graph = self.graph.lock().unwrap_or_else(|e| e.into_inner());
            let node = graph.modules.get_mut(key)?;
            node.stale = true;
            node.transformed.clone()
        };
        let transformed = self.transform(key).await.ok()?;
        if previous.is_some_and(|p| p.code == transformed.code) {
            return None;
        }
        self.graph
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .modules
            .get_mut(key)?
            .timestamp = timestamp;
        Some(
            json!({ "type": "js-update", "path": key, "acceptedPath": key, "timestamp": timestamp }),
        )
    }

    /// A page could not apply an update in place (`import.meta.hot.invalidate()`): hand it to
    /// the module's importers.
    pub fn invalidate(&self, path: &str) {
        let key = crate::transform::key_from_request(
            path.split('?').next().unwrap_or(path),
            path.split_once('?').map(|(_, q)| q),
        );
        let timestamp = now_ms();
        let boundaries = self
            .graph
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .propagate_invalidated(&key, timestamp);
        match boundaries {
            Some(boundaries) if !boundaries.is_empty() => {
                let updates: Vec<_> = boundaries
                    .iter()
                    .map(|b| json!({ "type": "js-update", "path": b.boundary, "acceptedPath": b.accepted, "timestamp": timestamp }))
                    .collect();
                println!(
                    "  hmr invalidate {} → {}",
                    key.trim_start_matches('/'),
                    boundaries
                        .iter()
                        .map(|b| b.boundary.trim_start_matches('/'))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                self.send(&json!({ "type": "update", "updates": updates }));
            }
            _ => {
                println!(
                    "  page reload {} (invalidated)",
                    key.trim_start_matches('/')
                );
                self.send(&json!({ "type": "full-reload", "path": key }));
            }
        }
    }

    /// Shows a file's errors in the terminal and in every page's overlay.
    pub fn record_errors(&self, diagnostics: Vec<Diagnostic>) {
        let Some(first) = diagnostics.first() else {
            return;
        };
        let file = first.file.clone();
        let source = std::fs::read(self.root.join(&file))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let color = std::io::stderr().is_terminal();
        let shown: Vec<ShownError> = diagnostics
            .iter()
            .map(|d| {
                eprintln!("{}", d.render(&source, color));
                ShownError {
                    kind: "compile",
                    file: d.file.clone(),
                    line: d.line,
                    column: d.column,
                    message: d.message.clone(),
                    frame: d.frame(&source),
                }
            })
            .collect();
        self.errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(file, shown);
        self.send_errors();
    }

    pub fn clear_errors(&self, file: &str) {
        let removed = self
            .errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(file)
            .is_some();
        if removed {
            self.send_errors();
        }
    }

    pub fn errors_message(&self) -> serde_json::Value {
        let errors: Vec<ShownError> = self
            .errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .flatten()
            .cloned()
            .collect();
        json!({ "type": "errors", "errors": errors })
    }

    fn send_errors(&self) {
        self.send(&self.errors_message());
    }
}
