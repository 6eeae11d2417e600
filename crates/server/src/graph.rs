//! The module graph: who imports whom, which module accepts which update, and the last good
//! transform of every module. It owns its node type and the transform result it caches.

use metamon_compile::Framework;
use metamon_project::analysis::imports::Bindings;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where an import points once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportTarget {
    /// A project module, by graph key.
    Module(String),
    /// A pre-bundled npm dependency, by specifier.
    Dep(String),
    /// A fixed URL (runtime files, URLs already absolute).
    Url(String),
}

#[derive(Debug, Clone)]
pub struct ResolvedImport {
    pub literal: (usize, usize),
    pub statement: Option<((usize, usize), Bindings)>,
    pub target: ImportTarget,
    /// `import('…')`: the target loads when the code runs, not with the module.
    pub dynamic: bool,
}

/// A compiled module, ready to be served.
#[derive(Debug, Default)]
pub struct Transformed {
    pub code: String,
    pub imports: Vec<ResolvedImport>,
    pub self_accepting: bool,
    /// Graph keys of the dependencies this module accepts updates of.
    pub accepted_deps: Vec<String>,
    /// The literals of `import.meta.hot.accept('./dep')` and the dependency's key, written over
    /// them when served (the page compares them with the updates' paths).
    pub accepted_literals: Vec<((usize, usize), String)>,
    /// An asset served as its URL (`?url`, or an image imported from JS): its URL, which gets
    /// the module's `?t=` version once the file changed, so the page fetches the new file.
    pub asset_url: Option<String>,
    /// CSS the framework compiler extracted, served as `<key>?css`.
    pub css: Option<String>,
    /// `//# sourceMappingURL=…` (inline), or empty.
    pub map_comment: String,
    /// The framework of a component module (changes when a `.mtm` file's `target` does).
    pub framework: Option<Framework>,
}

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

    pub fn accepts_dep(&self, key: &str) -> bool {
        self.transformed
            .as_ref()
            .is_some_and(|t| t.accepted_deps.iter().any(|dep| dep == key))
    }

    /// The transform to serve without compiling again: the last one, if the file is unchanged.
    pub fn fresh(&self) -> Option<&Arc<Transformed>> {
        self.transformed.as_ref().filter(|_| !self.stale)
    }
}

#[derive(Debug, Default)]
pub struct Graph {
    pub modules: HashMap<String, ModuleNode>,
    /// Modules that lost their last importer since the last drain (`prune` for the pages).
    pub pruned: Vec<String>,
    by_file: HashMap<PathBuf, HashSet<String>>,
    /// Modules whose file was deleted, with the time: one that comes back gets a new version,
    /// so pages fetch it again instead of finding the old instance in their module cache.
    removed: HashMap<String, u64>,
}

impl Graph {
    pub fn ensure(&mut self, key: &str, file: &Path) -> &mut ModuleNode {
        self.by_file
            .entry(file.to_path_buf())
            .or_default()
            .insert(key.to_string());
        let removed_at = self.removed.remove(key);
        self.modules
            .entry(key.to_string())
            .or_insert_with(|| ModuleNode {
                timestamp: removed_at.unwrap_or(0),
                ..ModuleNode::default()
            })
    }

    /// The modules of a deleted file leave the graph (pages prune them); returns the modules
    /// that imported them, which must now be compiled again.
    pub fn remove_file(&mut self, file: &Path, timestamp: u64) -> Vec<String> {
        let keys = self.by_file.remove(file).unwrap_or_default();
        let mut importers = HashSet::new();
        for key in &keys {
            let Some(node) = self.modules.remove(key) else {
                continue;
            };
            for imported in &node.imports {
                if let Some(imported) = self.modules.get_mut(imported) {
                    imported.importers.remove(key);
                }
            }
            importers.extend(node.importers);
            self.removed.insert(key.clone(), timestamp);
            self.pruned.push(key.clone());
        }
        let mut importers: Vec<String> = importers
            .into_iter()
            .filter(|importer| !keys.contains(importer))
            .collect();
        importers.sort();
        importers
    }

    pub fn get(&self, key: &str) -> Option<&ModuleNode> {
        self.modules.get(key)
    }

    /// The last good transform of a module, stale or not.
    pub fn last_good(&self, key: &str) -> Option<Arc<Transformed>> {
        self.modules.get(key)?.transformed.clone()
    }

    /// Marks a module's file as changed; returns its last good transform.
    pub fn mark_stale(&mut self, key: &str) -> Option<Arc<Transformed>> {
        let node = self.modules.get_mut(key)?;
        node.stale = true;
        node.transformed.clone()
    }

    /// Marks every module as changed (the compile options changed).
    pub fn mark_all_stale(&mut self) {
        for node in self.modules.values_mut() {
            node.stale = true;
        }
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

    /// The modules served from `file` (`/a.vue`, `/a.vue?css`…), sorted.
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

    /// Gives the modules a new version: importers fetch them at a new URL.
    pub fn stamp<'a>(&mut self, keys: impl IntoIterator<Item = &'a String>, timestamp: u64) {
        for key in keys {
            if let Some(node) = self.modules.get_mut(key) {
                node.timestamp = timestamp;
            }
        }
    }

    /// The modules no page imports any more since the last call.
    pub fn take_pruned(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pruned)
    }
}
