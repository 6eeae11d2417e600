//! HMR planning, a pure function of the module graph: which modules accept a change (Vite's
//! propagation: walk up the importers until a module accepts itself or the changed import),
//! which need a new URL, or that the page must reload; and what a changed file means at all.

use crate::graph::{Graph, ModuleNode};
use crate::protocol::{HmrPayload, Timing, Update};
use std::collections::HashSet;
use std::path::Path;

/// Where a hot update lands: `boundary` accepts the change of `accepted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub boundary: String,
    pub accepted: String,
}

/// The outcome of a change that can be applied in place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Propagation {
    pub boundaries: Vec<Boundary>,
    /// Modules between the change and its boundaries: importers must fetch them anew, so each
    /// gets the update's timestamp.
    pub stamped: Vec<String>,
}

/// Walks up from a changed module to the modules that accept it. `None` when some path
/// reaches a module nothing accepts (an entry loaded by the page): a full reload.
pub fn propagate(graph: &Graph, key: &str) -> Option<Propagation> {
    let mut propagation = Propagation::default();
    let mut visited = HashSet::new();
    walk(graph, key, &mut propagation, &mut visited).then_some(propagation)
}

/// Like [`propagate`] but skips the module's own acceptance: the module invalidated itself
/// (`import.meta.hot.invalidate()`: its update could not be applied in place).
pub fn propagate_invalidated(graph: &Graph, key: &str) -> Option<Propagation> {
    let node = graph.get(key)?;
    if node.importers.is_empty() {
        return None;
    }
    let mut propagation = Propagation::default();
    let mut visited = HashSet::from([key.to_string()]);
    walk_importers(graph, key, node, &mut propagation, &mut visited).then_some(propagation)
}

/// Whether an invalidation's propagation comes back to the module that invalidated first (an
/// import cycle whose modules all invalidate): then it would go round for ever, and the page
/// reloads instead. `key` is the module that invalidated now: its importers accepting it are
/// the hand-over, not a return.
pub fn returns_to_first_invalidated(
    propagation: &Propagation,
    key: &str,
    first_invalidated_by: &str,
) -> bool {
    propagation
        .boundaries
        .iter()
        .any(|boundary| boundary.accepted == first_invalidated_by && boundary.accepted != key)
}

fn walk(
    graph: &Graph,
    key: &str,
    propagation: &mut Propagation,
    visited: &mut HashSet<String>,
) -> bool {
    if !visited.insert(key.to_string()) {
        // Already on the way (an import cycle, or two paths to one module).
        return true;
    }
    let Some(node) = graph.get(key) else {
        return false;
    };
    propagation.stamped.push(key.to_string());
    if node.self_accepting() {
        propagation.boundaries.push(Boundary {
            boundary: key.to_string(),
            accepted: key.to_string(),
        });
        return true;
    }
    if node.importers.is_empty() {
        // An entry the page loaded needs a reload; a module no page imports any more, nothing.
        return node.orphaned;
    }
    walk_importers(graph, key, node, propagation, visited)
}

/// Each importer of `key` either accepts it (a boundary) or takes the change further up.
fn walk_importers(
    graph: &Graph,
    key: &str,
    node: &ModuleNode,
    propagation: &mut Propagation,
    visited: &mut HashSet<String>,
) -> bool {
    let mut importers: Vec<&String> = node.importers.iter().collect();
    importers.sort();
    for importer in importers {
        if graph
            .get(importer)
            .is_some_and(|node| node.accepts_dep(key))
        {
            propagation.boundaries.push(Boundary {
                boundary: importer.clone(),
                accepted: key.to_string(),
            });
        } else if !walk(graph, importer, propagation, visited) {
            return false;
        }
    }
    true
}

/// What a changed file (root-relative `relative`) asks of the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileAction {
    /// Outside the root.
    Ignore,
    /// `metamon.config.json`: re-read it.
    ReloadConfig,
    /// An HTML page: pages reload.
    ReloadPage(String),
    /// A stylesheet no module imports (linked by the page): its `<link>` is swapped.
    SwapLinkedStylesheet(String),
    /// A file no page has loaded (new, or imported by nothing yet): its errors are dropped.
    NotLoaded,
    /// Deleted, but reached through an `import.meta.glob` or read by a compiler: the module
    /// that globs or reads it is updated in the same batch, which drops it or reports it.
    DeletedWithDependents,
    /// Deleted (or caught mid-save) while modules import it: they keep their last good version.
    Deleted,
    /// These modules are served from the file: recompile them.
    Recompile(Vec<String>),
}

pub fn file_action(graph: &Graph, file: &Path, relative: &str, exists: bool) -> FileAction {
    if relative.is_empty() {
        return FileAction::Ignore;
    }
    if relative == metamon_config::FILE_NAME {
        return FileAction::ReloadConfig;
    }
    if relative.ends_with(".html") {
        return FileAction::ReloadPage(format!("/{relative}"));
    }
    let keys = graph.keys_for_file(file);
    if keys.is_empty() {
        return if relative.ends_with(".css") && exists {
            FileAction::SwapLinkedStylesheet(format!("/{relative}"))
        } else {
            FileAction::NotLoaded
        };
    }
    if !exists {
        return if graph.dependent_files(file, relative, true).is_empty() {
            FileAction::Deleted
        } else {
            FileAction::DeletedWithDependents
        };
    }
    FileAction::Recompile(keys)
}

/// What a batch of changes sends to the pages, gathered file by file.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Plan {
    pub updates: Vec<Update>,
    /// Set when some change needs a reload (the path that caused it).
    pub full_reload: Option<String>,
    /// Files whose update is in the plan, root-relative.
    pub files: Vec<String>,
}

impl Plan {
    /// Adds the hot update of a propagation, or a full reload when there is none.
    pub fn add_propagation(&mut self, key: &str, propagation: Option<&Propagation>, ts: u64) {
        match propagation {
            Some(propagation) => {
                for boundary in &propagation.boundaries {
                    self.add_update(Update::js(&boundary.boundary, &boundary.accepted, ts));
                }
            }
            None => self.full_reload = Some(key.to_string()),
        }
    }

    pub fn add_update(&mut self, update: Update) {
        if !self.updates.contains(&update) {
            self.updates.push(update);
        }
    }

    /// Merges the plan of another file of the same batch (in batch order).
    pub fn merge(&mut self, other: Plan) {
        for update in other.updates {
            self.add_update(update);
        }
        self.full_reload = self.full_reload.take().or(other.full_reload);
        self.files.extend(other.files);
    }

    /// The messages for the pages: prunes first, then the reload or the update.
    pub fn into_payloads(self, pruned: Vec<String>, timing: Timing) -> Vec<HmrPayload> {
        let mut payloads = Vec::new();
        if !pruned.is_empty() {
            payloads.push(HmrPayload::Prune { paths: pruned });
        }
        if let Some(path) = self.full_reload {
            payloads.push(HmrPayload::FullReload { path });
        } else if !self.updates.is_empty() {
            payloads.push(HmrPayload::Update {
                updates: self.updates,
                files: self.files,
                timing: Some(timing),
                modules: Vec::new(),
            });
        }
        payloads
    }
}

#[cfg(test)]
mod tests;
