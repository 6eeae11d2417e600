//! Resolve: an import specifier written in a module becomes a graph key, a pre-bundled
//! dependency or a fixed URL.

use crate::graph::ImportTarget;
use metamon_compile::{ModuleKind, Options, module_kind};
use metamon_project::analysis::imports;
use metamon_project::module_id::split_key;
use metamon_project::runtime_files;
use oxc_resolver::Resolver;
use std::path::Path;

/// Resolves `specifier`, written in a module in `importer_dir`.
pub fn resolve(
    resolver: &Resolver,
    root: &Path,
    options: &Options,
    specifier: &str,
    importer_dir: &Path,
) -> Result<ImportTarget, String> {
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
        return Ok(ImportTarget::Dep(specifier.to_string()));
    }
    let (base, request) = match path.strip_prefix('/') {
        Some(from_root) => (root, format!("./{from_root}")),
        None => (importer_dir, path.to_string()),
    };
    let resolution = resolver
        .resolve(base, &request)
        .map_err(|error| format!("cannot resolve `{specifier}`: {error}"))?;
    // The resolver follows symlinks itself (cached): its path is the real one.
    let url = metamon_project::files::url_of(resolution.path(), root).ok_or_else(|| {
        format!("`{specifier}` is outside the project root, which is all the dev server serves")
    })?;
    let kind = module_kind(&url, options);
    let key = match query {
        Some(query @ ("css" | "raw" | "url")) => format!("{url}?{query}"),
        _ if kind.is_some_and(ModuleKind::is_script) => url,
        _ => format!("{url}?import"),
    };
    Ok(ImportTarget::Module(key))
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
            })
        })
        .collect()
}

/// The npm packages the runtime file at `url` imports, so they are pre-bundled too.
pub fn runtime_dependencies(url: &str) -> Vec<String> {
    let Some(source) = url
        .strip_prefix(runtime_files::PREFIX)
        .and_then(runtime_files::source)
    else {
        return Vec::new();
    };
    runtime_imports(source)
        .into_iter()
        .filter_map(|import| match import.target {
            ImportTarget::Dep(specifier) => Some(specifier),
            _ => None,
        })
        .collect()
}
