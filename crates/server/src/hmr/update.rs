//! A batch of changed files becomes the messages for the pages: the changed modules are
//! recompiled (in parallel, at most `maxConcurrentReloads` at once; a file that fails does not
//! hold back the others), then [`plan`](super::plan) decides what each change means.

use super::plan::{self, FileAction, Plan};
use crate::errors::ErrorBoard;
use crate::graph::Transformed;
use crate::protocol::{HmrPayload, Timing, Update, UpdateKind, now_ms};
use crate::transform::Pipeline;
use metamon_project::analysis::pages;
use metamon_project::files::relative_to_root;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The messages a debounced batch of changed paths sends (the config file is the caller's).
pub async fn handle_changes(
    pipeline: &Arc<Pipeline>,
    errors: &Arc<ErrorBoard>,
    files: Vec<PathBuf>,
    detected_at: u64,
) -> Vec<HmrPayload> {
    let started = Instant::now();
    let timestamp = now_ms();
    let reloads = pipeline.deps().reloads();
    let root = pipeline.root().to_path_buf();
    let relatives: Vec<String> = files
        .iter()
        .filter_map(|f| relative_to_root(f, &root))
        .collect();
    // A Sass partial or a file of imported prop types changes the modules whose compiler
    // read it, and a file added or removed that an `import.meta.glob` matches changes the
    // module that globs it: those modules are recompiled as if they had been saved.
    let mut files = files;
    let dependents: Vec<PathBuf> = {
        let graph = pipeline.graph();
        files
            .iter()
            .zip(&relatives)
            .flat_map(|(file, relative)| {
                let added_or_removed = !file.exists() || graph.keys_for_file(file).is_empty();
                graph.dependent_files(file, relative, added_or_removed)
            })
            .collect()
    };
    // A file that appears may be what a failing module could not resolve: the failing
    // modules are compiled again (an import of a file created late starts working).
    let created = files
        .iter()
        .any(|file| file.exists() && pipeline.graph().keys_for_file(file).is_empty());
    if created {
        // Before any module of the batch resolves its imports again.
        pipeline.clear_resolver_cache();
    }
    let retried: Vec<PathBuf> = if created {
        errors
            .files()
            .into_iter()
            .filter(|relative| relative.as_str() != metamon_config::FILE_NAME)
            .map(|relative| root.join(relative))
            .collect()
    } else {
        Vec::new()
    };
    for owner in dependents.into_iter().chain(retried.iter().cloned()) {
        if !files.contains(&owner) {
            files.push(owner);
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(
        pipeline.config().max_concurrent_reloads.max(1),
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (order, file) in files.into_iter().enumerate() {
        let (pipeline, errors, limit) = (pipeline.clone(), errors.clone(), limit.clone());
        // A module that failed on an import and resolves it now: the page runs its last good
        // version, whose import is gone (deleted and restored), so it is updated even when its
        // code is the same.
        let reimport = retried.contains(&file);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (
                order,
                update_file(&pipeline, &errors, file, timestamp, reimport).await,
            )
        });
    }
    let mut file_plans = Vec::new();
    while let Some(Ok(outcome)) = tasks.join_next().await {
        file_plans.push(outcome);
    }
    file_plans.sort_by_key(|(order, _)| *order);
    let mut batch = Plan::default();
    for (_, file_plan) in file_plans {
        batch.merge(file_plan);
    }
    // Pages added, removed or with new `route`/`layout`: the routes table hot-updates.
    if relatives.iter().any(|f| pages::affects_routes(f))
        && let Some(update) = refresh_routes(pipeline, timestamp).await
    {
        batch.add_update(update);
    }
    let pruned = pipeline.graph().take_pruned();
    let elapsed = started.elapsed().as_millis() as u64;
    if pipeline.deps().reloads() != reloads {
        // A new dependency re-bundled them and the pages reload with it: a second reload (or an
        // update) from this batch could reach a page that already loaded the new code.
        println!("  page reload with the new dependencies ({elapsed} ms)");
        return Vec::new();
    }
    if let Some(path) = &batch.full_reload {
        println!(
            "  page reload {} ({elapsed} ms)",
            path.trim_start_matches('/')
        );
    } else if !batch.updates.is_empty() {
        println!("  hmr update {} ({elapsed} ms)", batch.files.join(", "));
    }
    let timing = Timing {
        changed_at: detected_at,
        compile_ms: elapsed,
        sent_at: now_ms(),
    };
    batch.into_payloads(pruned, timing)
}

/// Recompiles the modules of one changed file and finds the modules that accept them.
async fn update_file(
    pipeline: &Arc<Pipeline>,
    errors: &ErrorBoard,
    file: PathBuf,
    timestamp: u64,
    reimport: bool,
) -> Plan {
    let mut plan = Plan::default();
    let relative = relative_to_root(&file, pipeline.root()).unwrap_or_default();
    let exists = file.exists();
    let action = plan::file_action(&pipeline.graph(), &file, &relative, exists);
    if !exists
        || matches!(
            action,
            FileAction::NotLoaded | FileAction::SwapLinkedStylesheet(_)
        )
    {
        pipeline.clear_resolver_cache();
    }
    let keys = match action {
        FileAction::Ignore | FileAction::ReloadConfig | FileAction::DeletedWithDependents => {
            return plan;
        }
        FileAction::ReloadPage(path) => {
            plan.full_reload = Some(path);
            return plan;
        }
        FileAction::SwapLinkedStylesheet(path) => {
            plan.add_update(Update {
                kind: UpdateKind::CssUpdate,
                path: path.clone(),
                accepted_path: path,
                timestamp,
                first_invalidated_by: None,
            });
            plan.files.push(relative.clone());
            errors.clear(&relative);
            return plan;
        }
        FileAction::NotLoaded => {
            errors.clear(&relative);
            return plan;
        }
        FileAction::Deleted => {
            // Its modules leave the graph (pages run their dispose and prune callbacks) and
            // their importers compile again: their import now fails, which the overlay shows,
            // while the pages keep running the last good versions.
            let importers = pipeline.graph().remove_file(&file, timestamp);
            errors.clear(&relative);
            for importer in importers {
                pipeline.graph().mark_stale(&importer);
                match pipeline.transform(&importer).await {
                    Ok(_) => plan_module(&mut plan, pipeline, &importer, timestamp),
                    Err(diagnostics) => errors.record(diagnostics),
                }
            }
            plan.files.push(relative);
            return plan;
        }
        FileAction::Recompile(keys) => keys,
    };
    let previous: Vec<Option<Arc<Transformed>>> = {
        let mut graph = pipeline.graph();
        keys.iter().map(|key| graph.mark_stale(key)).collect()
    };
    for (key, previous) in keys.iter().zip(previous) {
        let transformed = match pipeline.transform(key).await {
            Ok(transformed) => transformed,
            Err(diagnostics) => {
                errors.record(diagnostics);
                return plan;
            }
        };
        let Some(previous) = previous else {
            plan_module(&mut plan, pipeline, key, timestamp);
            continue;
        };
        // An asset's module is its URL, unchanged: the new file still needs a new version.
        if previous.code == transformed.code && transformed.asset_url.is_none() && !reimport {
            continue;
        }
        if previous.framework == transformed.framework {
            plan_module(&mut plan, pipeline, key, timestamp);
            continue;
        }
        // A `.mtm` file that changed framework: its importers must now reach it through a
        // bridge (or no longer), so they are re-transformed and take the update instead.
        let importers: Vec<String> = {
            let mut graph = pipeline.graph();
            graph.stamp([key], timestamp);
            let mut importers: Vec<String> = graph
                .get(key)
                .map(|node| node.importers.iter().cloned().collect())
                .unwrap_or_default();
            importers.sort();
            importers
        };
        let mut changed = Vec::new();
        for importer in importers {
            pipeline.graph().mark_stale(&importer);
            if pipeline.transform(&importer).await.is_ok() {
                changed.push(importer);
            }
        }
        if changed.is_empty() {
            plan.full_reload = Some(key.clone());
        }
        for importer in &changed {
            plan_module(&mut plan, pipeline, importer, timestamp);
        }
    }
    errors.clear(&relative);
    plan.files.push(relative);
    plan
}

/// Plans the update of a recompiled module and gives the modules on the way a new version.
fn plan_module(plan: &mut Plan, pipeline: &Pipeline, key: &str, timestamp: u64) {
    let mut graph = pipeline.graph();
    let propagation = plan::propagate(&graph, key);
    if let Some(propagation) = &propagation {
        graph.stamp(&propagation.stamped, timestamp);
    }
    plan.add_propagation(key, propagation.as_ref(), timestamp);
}

/// Regenerates the routes table if a page has loaded it; its update when it changed.
async fn refresh_routes(pipeline: &Arc<Pipeline>, timestamp: u64) -> Option<Update> {
    let key = pages::ROUTES_KEY;
    let previous = {
        let mut graph = pipeline.graph();
        graph.get(key)?;
        graph.mark_stale(key)
    };
    let transformed = pipeline.transform(key).await.ok()?;
    if previous.is_some_and(|p| p.code == transformed.code) {
        return None;
    }
    pipeline.graph().stamp([&key.to_string()], timestamp);
    Some(Update::js(key, key, timestamp))
}

/// A page could not apply an update in place (`import.meta.hot.invalidate()`): the update goes
/// to the module's importers, or the page reloads. `first_invalidated_by` is the module whose
/// invalidation started the chain: reaching it again means a cycle of invalidations.
pub fn invalidate(
    pipeline: &Pipeline,
    url: &str,
    first_invalidated_by: Option<&str>,
) -> HmrPayload {
    let key = metamon_project::module_id::key_from_url(url);
    let first =
        first_invalidated_by.map_or_else(|| key.clone(), metamon_project::module_id::key_from_url);
    let timestamp = now_ms();
    let mut graph = pipeline.graph();
    let propagation = plan::propagate_invalidated(&graph, &key);
    let reason = match propagation {
        Some(propagation)
            if !propagation.boundaries.is_empty()
                && !plan::returns_to_first_invalidated(&propagation, &key, &first) =>
        {
            graph.stamp(&propagation.stamped, timestamp);
            let boundaries: Vec<&str> = propagation
                .boundaries
                .iter()
                .map(|b| b.boundary.trim_start_matches('/'))
                .collect();
            println!(
                "  hmr invalidate {} → {}",
                key.trim_start_matches('/'),
                boundaries.join(", ")
            );
            let mut plan = Plan::default();
            plan.add_propagation(&key, Some(&propagation), timestamp);
            let updates = plan
                .updates
                .into_iter()
                .map(|update| Update {
                    first_invalidated_by: Some(first.clone()),
                    ..update
                })
                .collect();
            return HmrPayload::Update {
                updates,
                files: Vec::new(),
                timing: None,
                modules: Vec::new(),
            };
        }
        Some(propagation) if !propagation.boundaries.is_empty() => "circular import invalidate",
        _ => "invalidated",
    };
    println!("  page reload {} ({reason})", key.trim_start_matches('/'));
    HmrPayload::FullReload { path: key }
}
