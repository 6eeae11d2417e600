//! Resolve: an import specifier written in a module becomes a graph key, a pre-bundled
//! dependency or a fixed URL.

use crate::graph::ImportTarget;
use metamon_compile::{ModuleKind, Options, module_kind};
use metamon_config::Config;
use metamon_project::alias::Aliases;
use metamon_project::analysis::imports;
use metamon_project::module_id::split_key;
use metamon_project::runtime_files;
use oxc_resolver::{
    ResolveOptions, Resolver, TsconfigDiscovery, TsconfigOptions, TsconfigReferences,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The extensions tried for extensionless imports when the config names none.
const DEFAULT_EXTENSIONS: [&str; 9] = [
    ".mtm", ".tsx", ".ts", ".jsx", ".js", ".mjs", ".vue", ".svelte", ".json",
];

/// What resolving an import needs from the config: the resolver (extensions, tsconfig or
/// jsconfig `paths`) and the aliases tried before it.
pub struct Resolution {
    pub resolver: Resolver,
    /// A tsconfig or jsconfig is read: a bare import may be one of its `paths`.
    has_tsconfig: bool,
    aliases: Aliases,
    /// Relative and root-relative imports already resolved, by importer folder and specifier:
    /// a root file's thousand imports resolve once, not at every save. Cleared with the
    /// resolver's own cache (a file added or removed).
    resolved_paths: Mutex<HashMap<(PathBuf, String), ImportTarget>>,
}

impl Resolution {
    /// `root` must be canonical. Invalid alias patterns are left out (and reported).
    pub fn new(root: &Path, config: &Config) -> Self {
        let extensions = if config.extensions.is_empty() {
            DEFAULT_EXTENSIONS.map(String::from).to_vec()
        } else {
            let mut extensions: Vec<String> = config.extensions.clone();
            // `.mtm` components resolve extensionless whatever the Vite config lists.
            extensions.insert(0, ".mtm".into());
            extensions
        };
        let tsconfig = ["tsconfig.json", "jsconfig.json"]
            .iter()
            .map(|name| root.join(name))
            .find(|path| path.is_file())
            .map(|config_file| {
                TsconfigDiscovery::Manual(TsconfigOptions {
                    config_file,
                    references: TsconfigReferences::Auto,
                })
            });
        let has_tsconfig = tsconfig.is_some();
        let resolver = Resolver::new(ResolveOptions {
            extensions,
            condition_names: ["development", "browser", "import", "module", "default"]
                .map(String::from)
                .to_vec(),
            tsconfig,
            ..ResolveOptions::default()
        });
        let aliases = Aliases::new(root, config);
        Self {
            resolver,
            has_tsconfig,
            aliases,
            resolved_paths: Mutex::default(),
        }
    }

    /// A file was added or removed: what an import resolves to may have changed.
    pub fn clear_cache(&self) {
        self.resolver.clear_cache();
        self.resolved_paths
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// `specifier` with the first matching alias applied, as Vite's `resolve.alias`.
    pub fn aliased(&self, specifier: &str) -> Option<String> {
        self.aliases.apply(specifier)
    }
}

/// Resolves `specifier`, written in a module in `importer_dir`.
pub fn resolve(
    resolution: &Resolution,
    root: &Path,
    options: &Options,
    specifier: &str,
    importer_dir: &Path,
) -> Result<ImportTarget, String> {
    let aliased = resolution.aliased(specifier);
    let specifier = aliased.as_deref().unwrap_or(specifier);
    let resolver = &resolution.resolver;
    if specifier.starts_with("/@") || specifier.contains("://") || specifier.starts_with("data:") {
        return Ok(ImportTarget::Url(specifier.to_string()));
    }
    if let Some(url) = runtime_files::url_for_specifier(specifier) {
        return Ok(ImportTarget::Url(url));
    }
    let (path, query) = split_key(specifier);
    let is_path = path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path == "."
        || path == "..";
    // A package's stylesheet (`import 'lib/dist/style.css'`) is served like the app's own:
    // the dependency pre-bundle is for JavaScript.
    let package_stylesheet =
        !is_path && matches!(module_kind(path, options), Some(ModuleKind::Css));
    if !is_path && !package_stylesheet {
        // A tsconfig `paths` entry (`@/components/x`) names an app file, not a package.
        if resolution.has_tsconfig
            && let Ok(resolution) = resolver.resolve(importer_dir, path)
            && !resolution
                .path()
                .components()
                .any(|c| c.as_os_str() == "node_modules")
            && let Some(url) = metamon_project::files::url_of(resolution.path(), root)
        {
            return Ok(ImportTarget::Module(module_key(&url, query, options)));
        }
        if let Some(url) = runtime_files::browser_external(specifier, root) {
            return Ok(ImportTarget::Url(url));
        }
        return Ok(ImportTarget::Dep(specifier.to_string()));
    }
    let memo_key = (importer_dir.to_path_buf(), specifier.to_string());
    let memo = || {
        resolution
            .resolved_paths
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    };
    if let Some(target) = memo().get(&memo_key) {
        return Ok(target.clone());
    }
    let (base, request) = match path.strip_prefix('/') {
        Some(from_root) => (root, format!("./{from_root}")),
        None => (importer_dir, path.to_string()),
    };
    let resolved = resolver
        .resolve(base, &request)
        .map_err(|error| format!("cannot resolve `{specifier}`: {error}"))?;
    // The resolver follows symlinks itself (cached): its path is the real one.
    let url = metamon_project::files::url_of(resolved.path(), root).ok_or_else(|| {
        format!("`{specifier}` is outside the project root, which is all the dev server serves")
    })?;
    let target = ImportTarget::Module(module_key(&url, query, options));
    memo().insert(memo_key, target.clone());
    Ok(target)
}

/// The graph key of the app file at `url` imported with `query`.
fn module_key(url: &str, query: Option<&str>, options: &Options) -> String {
    match query {
        Some(query @ ("css" | "raw" | "url")) => format!("{url}?{query}"),
        Some(query) if query.starts_with("bridge=") => format!("{url}?{query}"),
        _ if module_kind(url, options).is_some_and(ModuleKind::is_script) => url.to_string(),
        _ => format!("{url}?import"),
    }
}

/// The imports of a runtime file: bare ones are pre-bundled dependencies, `metamon` is the
/// core module; relative ones resolve in the browser.
pub fn runtime_imports(source: &str) -> Vec<crate::graph::ResolvedImport> {
    let Ok(scanned) = imports::scan(source) else {
        return Vec::new();
    };
    scanned
        .imports
        .into_iter()
        .filter_map(|import| {
            let target = match runtime_files::url_for_specifier(&import.specifier) {
                Some(url) if import.specifier == "metamon" => ImportTarget::Url(url),
                _ if runtime_files::is_bare(&import.specifier) => {
                    ImportTarget::Dep(import.specifier.clone())
                }
                _ => return None,
            };
            Some(crate::graph::ResolvedImport {
                literal: import.literal,
                statement: import.statement,
                target,
                dynamic: import.dynamic,
            })
        })
        .collect()
}

/// The npm packages the runtime file at `url` imports, so they are pre-bundled too. Runtime
/// files are built in, so each is scanned once: every module imports one or two of them (the
/// scans were a third of a 10 000-module warm-up).
pub fn runtime_dependencies(url: &str) -> Vec<String> {
    static SCANNED: OnceLock<Mutex<HashMap<String, Vec<String>>>> = OnceLock::new();
    let scanned = SCANNED.get_or_init(Default::default);
    if let Some(deps) = scanned.lock().unwrap_or_else(|e| e.into_inner()).get(url) {
        return deps.clone();
    }
    let deps: Vec<String> = url
        .strip_prefix(runtime_files::PREFIX)
        .and_then(runtime_files::source)
        .map(|source| {
            runtime_imports(source)
                .into_iter()
                .filter_map(|import| match import.target {
                    ImportTarget::Dep(specifier) => Some(specifier),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    scanned
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(url.to_string(), deps.clone());
    deps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_removed_or_added_resolves_anew_once_the_cache_is_cleared() {
        let root = std::env::temp_dir().join(format!("metamon-resolve-{}", std::process::id()));
        std::fs::create_dir_all(root.join("src")).unwrap();
        let root = root.canonicalize().unwrap();
        std::fs::write(root.join("src/A.js"), "export const a = 1;\n").unwrap();
        let config = Config::default();
        let resolution = Resolution::new(&root, &config);
        let options = Options::new(&root, true);
        let src = root.join("src");
        let resolve_a = || resolve(&resolution, &root, &options, "./A.js", &src);
        assert_eq!(resolve_a(), Ok(ImportTarget::Module("/src/A.js".into())));
        // Removed: the watcher clears the cache, and the import no longer resolves.
        std::fs::remove_file(root.join("src/A.js")).unwrap();
        resolution.clear_cache();
        assert!(resolve_a().unwrap_err().contains("cannot resolve `./A.js`"));
        // Added again: found again.
        std::fs::write(root.join("src/A.js"), "export const a = 2;\n").unwrap();
        resolution.clear_cache();
        assert_eq!(resolve_a(), Ok(ImportTarget::Module("/src/A.js".into())));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
