//! The module graph: who imports whom, which module accepts which update, and the last good
//! transform of every module.

use crate::transform::Transformed;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct ModuleNode {
    pub importers: HashSet<String>,
    pub imports: HashSet<String>,
    /// Time of the last hot update that touched this module (0: never); importers put it in
    /// the URL (`?t=`) so the browser fetches the fresh copy.
    pub timestamp: u64,
    /// The last good transform; a compile error never replaces it.
    pub transformed: Option<Arc<Transformed>>,
    /// The file changed since `transformed` was made.
    pub stale: bool,
    /// It had importers and has lost them all: no page uses it any more.
    pub orphaned: bool,
    /// Its `import.meta.glob` patterns (root-relative): a file added or removed that matches
    /// them changes the module.
    pub globs: Option<globset::GlobSet>,
    /// Other files its compiler read (Sass partials, imported prop types).
    pub file_deps: Vec<PathBuf>,
}

impl ModuleNode {
    pub fn self_accepting(&self) -> bool {
        self.transformed.as_ref().is_some_and(|t| t.self_accepting)
    }
}

#[derive(Debug, Default)]
pub struct Graph {
    pub modules: HashMap<String, ModuleNode>,
    /// Modules that lost their last importer since the last drain (`prune` for the pages).
    pub pruned: Vec<String>,
    by_file: HashMap<PathBuf, HashSet<String>>,
}

/// Where a hot update lands: `boundary` accepts the change of `accepted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub boundary: String,
    pub accepted: String,
}

impl Graph {
    pub fn ensure(&mut self, key: &str, file: &Path) -> &mut ModuleNode {
        self.by_file
            .entry(file.to_path_buf())
            .or_default()
            .insert(key.to_string());
        self.modules.entry(key.to_string()).or_default()
    }

    /// The files of the modules that a change of `file` (root-relative: `relative`) changes
    /// though it is none of their imports: their compiler read it, or, when it was added or
    /// removed, it matches their `import.meta.glob`.
    pub fn dependent_files(
        &self,
        file: &Path,
        relative: &str,
        added_or_removed: bool,
    ) -> Vec<PathBuf> {
        let owners: HashSet<&String> = self
            .modules
            .iter()
            .filter(|(_, node)| {
                node.file_deps.iter().any(|dep| dep == file)
                    || (added_or_removed
                        && node.globs.as_ref().is_some_and(|g| g.is_match(relative)))
            })
            .map(|(key, _)| key)
            .collect();
        if owners.is_empty() {
            return Vec::new();
        }
        self.by_file
            .iter()
            .filter(|(_, keys)| keys.iter().any(|key| owners.contains(key)))
            .map(|(file, _)| file.clone())
            .collect()
    }

    pub fn keys_for_file(&self, file: &Path) -> Vec<String> {
        let mut keys: Vec<String> = self
            .by_file
            .get(file)
            .map(|keys| keys.iter().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    /// Records a fresh transform and the module's project imports.
    pub fn set_transformed(
        &mut self,
        key: &str,
        transformed: Arc<Transformed>,
        imports: HashSet<String>,
    ) {
        let previous = match self.modules.get_mut(key) {
            Some(node) => {
                node.transformed = Some(transformed);
                node.stale = false;
                std::mem::replace(&mut node.imports, imports.clone())
            }
            None => return,
        };
        for gone in previous.difference(&imports) {
            if let Some(node) = self.modules.get_mut(gone) {
                node.importers.remove(key);
                if node.importers.is_empty() {
                    node.orphaned = true;
                    self.pruned.push(gone.clone());
                }
            }
        }
        for imported in &imports {
            if let Some(node) = self.modules.get_mut(imported) {
                node.importers.insert(key.to_string());
                node.orphaned = false;
            }
        }
    }

    pub fn timestamp(&self, key: &str) -> u64 {
        self.modules.get(key).map_or(0, |node| node.timestamp)
    }

    /// Walks up from a changed module to the modules that accept it, stamping every module on
    /// the way with `timestamp`. Returns `None` when some path reaches a module nothing
    /// accepts (an entry loaded by the page): that update needs a full reload.
    pub fn propagate(&mut self, key: &str, timestamp: u64) -> Option<Vec<Boundary>> {
        let mut boundaries = Vec::new();
        let mut visited = HashSet::new();
        self.walk(key, timestamp, &mut boundaries, &mut visited)
            .then_some(boundaries)
    }

    /// Like [`Graph::propagate`] but skips the module's own acceptance: used when the module
    /// invalidated itself (its update could not be applied in place).
    pub fn propagate_invalidated(&mut self, key: &str, timestamp: u64) -> Option<Vec<Boundary>> {
        let importers: Vec<String> = self.modules.get(key)?.importers.iter().cloned().collect();
        if importers.is_empty() {
            return None;
        }
        let mut boundaries = Vec::new();
        let mut visited = HashSet::from([key.to_string()]);
        for importer in importers {
            if self.accepts_dep(&importer, key) {
                boundaries.push(Boundary {
                    boundary: importer,
                    accepted: key.to_string(),
                });
            } else if !self.walk(&importer, timestamp, &mut boundaries, &mut visited) {
                return None;
            }
        }
        Some(boundaries)
    }

    fn accepts_dep(&self, importer: &str, key: &str) -> bool {
        self.modules
            .get(importer)
            .and_then(|node| node.transformed.as_ref())
            .is_some_and(|t| t.accepted_deps.iter().any(|dep| dep == key))
    }

    fn walk(
        &mut self,
        key: &str,
        timestamp: u64,
        boundaries: &mut Vec<Boundary>,
        visited: &mut HashSet<String>,
    ) -> bool {
        if !visited.insert(key.to_string()) {
            return true;
        }
        let Some(node) = self.modules.get_mut(key) else {
            return false;
        };
        node.timestamp = timestamp;
        if node.self_accepting() {
            boundaries.push(Boundary {
                boundary: key.to_string(),
                accepted: key.to_string(),
            });
            return true;
        }
        let importers: Vec<String> = node.importers.iter().cloned().collect();
        if importers.is_empty() {
            // An entry the page loaded needs a reload; a module no page imports any more, nothing.
            return node.orphaned;
        }
        for importer in importers {
            if self.accepts_dep(&importer, key) {
                boundaries.push(Boundary {
                    boundary: importer,
                    accepted: key.to_string(),
                });
            } else if !self.walk(&importer, timestamp, boundaries, visited) {
                return false;
            }
        }
        true
    }
}
