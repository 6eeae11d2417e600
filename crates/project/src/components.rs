//! Which framework a component file belongs to, and the component files of a folder (the
//! pages router's `pages/` and `layouts/`).

use crate::analysis::pages::ComponentFile;
use crate::files::{file_for_url, source_files, url_of};
use metamon_compile::{Framework, ModuleKind, Options, module_kind};
use std::path::Path;

/// The framework a module's components belong to, from its path (and a `.mtm` file's
/// frontmatter, read from disk); `None` for plain scripts.
pub fn framework_of_file(root: &Path, url_path: &str, options: &Options) -> Option<Framework> {
    let kind = module_kind(url_path, options)?;
    if kind != ModuleKind::Mtm {
        return kind.framework(url_path);
    }
    let file = file_for_url(root, url_path).ok()?;
    let bytes = std::fs::read(file).ok()?;
    metamon_mtm::parse(url_path, &bytes)
        .ok()
        .map(|parsed| parsed.target)
}

/// The component files under `root/<folder>`, sorted by URL; `framework_of` says each one's
/// framework (the dev server answers from its cache).
pub fn component_files(
    root: &Path,
    folder: &str,
    options: &Options,
    framework_of: impl Fn(&str) -> Option<Framework>,
) -> Vec<ComponentFile> {
    let mut files: Vec<ComponentFile> = source_files(root, &root.join(folder))
        .iter()
        .filter_map(|path| url_of(path, root))
        .filter(|url| module_kind(url, options).is_some_and(ModuleKind::is_script))
        .filter_map(|url| {
            let framework = framework_of(&url)?.to_string();
            let (route, layout) = page_frontmatter(root, &url);
            Some(ComponentFile {
                url,
                framework,
                route,
                layout,
            })
        })
        .collect();
    files.sort_by(|a, b| a.url.cmp(&b.url));
    files
}

/// The routes module of the app (`/@metamon/routes.js`).
pub fn routes_module(
    root: &Path,
    options: &Options,
    framework_of: impl Fn(&str) -> Option<Framework> + Copy,
) -> String {
    let pages = component_files(root, "pages", options, framework_of);
    let layouts = component_files(root, "layouts", options, framework_of);
    crate::analysis::pages::routes_module(&pages, &layouts)
}

/// A `.mtm` page's `route:` and `layout:`.
fn page_frontmatter(root: &Path, url: &str) -> (Option<String>, Option<String>) {
    if !url.ends_with(".mtm") {
        return (None, None);
    }
    let Ok(bytes) = std::fs::read(root.join(url.trim_start_matches('/'))) else {
        return (None, None);
    };
    match metamon_mtm::parse(url, &bytes) {
        Ok(parsed) => (parsed.route, parsed.layout),
        Err(_) => (None, None),
    }
}
