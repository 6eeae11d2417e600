//! The routes table of an app with pages: `/@metamon/routes.js`, generated from `pages/` and
//! `layouts/`, read by the client router (`runtime/router.js`).
//!
//! Rules: `pages/index.mtm` → `/`, `pages/about.mtm` → `/about`, `pages/users/index.mtm` →
//! `/users`, `pages/users/[id].mtm` → `/users/:id`; a `route:` frontmatter key overrides the
//! path; `layout:` names `layouts/<name>.*` (default: `default` when `layouts/default.*`
//! exists); `pages/404.*` is the not-found page.

use metamon_compile::js_string;

use std::path::Path;

pub const ROUTES_KEY: &str = "/@metamon/routes.js";

/// A component file under `pages/` or `layouts/`, as the routes table needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentFile {
    /// URL path (`/pages/users/[id].mtm`).
    pub url: String,
    /// The framework that renders it.
    pub framework: String,
    /// A `.mtm` page's `route:` and `layout:` frontmatter keys.
    pub route: Option<String>,
    pub layout: Option<String>,
}

/// Whether a change to `relative` (root-relative) can change the routes table.
pub fn affects_routes(relative: &str) -> bool {
    relative.starts_with("pages/") || relative.starts_with("layouts/")
}

struct Page<'a> {
    path: String,
    file: &'a str,
    layout: Option<String>,
    framework: &'a str,
}

/// The routes module: `routes`, `layouts` and `notFound`, each page loaded lazily, and an
/// `import.meta.hot.accept` that hands a new table to the running router.
pub fn routes_module(pages: &[ComponentFile], layouts: &[ComponentFile]) -> String {
    let layout_names: Vec<(String, &ComponentFile)> =
        layouts.iter().map(|l| (file_stem(&l.url), l)).collect();
    let default_layout = layout_names
        .iter()
        .any(|(name, _)| name == "default")
        .then(|| "default".to_string());
    let mut pages: Vec<Page> = pages
        .iter()
        .map(|page| Page {
            path: page
                .route
                .clone()
                .unwrap_or_else(|| route_from_file(&page.url)),
            file: &page.url,
            layout: page.layout.clone().or_else(|| default_layout.clone()),
            framework: &page.framework,
        })
        .collect();
    // Static paths before parameterised ones, then shorter first.
    pages.sort_by_key(|page| (page.path.contains(':'), page.path.len(), page.path.clone()));
    let entry = |page: &Page| {
        let file = js_string(page.file);
        format!(
            "{{ path: {}, file: {file}, layout: {}, framework: {}, load: () => import({file}) }}",
            js_string(&page.path),
            page.layout.as_deref().map_or("null".to_string(), js_string),
            js_string(page.framework)
        )
    };
    let not_found = pages
        .iter()
        .position(|page| file_stem(page.file) == "404")
        .map(|index| pages.remove(index));
    let routes: Vec<String> = pages.iter().map(entry).collect();
    let layouts: Vec<String> = layout_names
        .iter()
        .map(|(name, layout)| {
            format!(
                "{}: {{ file: {}, framework: {}, load: () => import({}) }}",
                js_string(name),
                js_string(&layout.url),
                js_string(&layout.framework),
                js_string(&layout.url)
            )
        })
        .collect();
    let mut frameworks: Vec<&str> = pages
        .iter()
        .map(|page| page.framework)
        .chain(not_found.iter().map(|page| page.framework))
        .chain(
            layout_names
                .iter()
                .map(|(_, layout)| layout.framework.as_str()),
        )
        .collect();
    frameworks.sort();
    frameworks.dedup();
    let bridges: Vec<String> = frameworks
        .iter()
        .map(|framework| {
            format!(
                "{}: () => import({})",
                js_string(framework),
                js_string(&format!("/@metamon/bridge/{framework}.js"))
            )
        })
        .collect();
    format!(
        "export const routes = [\n  {}\n];\nexport const layouts = {{\n  {}\n}};\nexport const notFound = {};\nexport const bridges = {{ {} }};\nif (import.meta.hot) import.meta.hot.accept((next) => globalThis.__METAMON_ROUTER__?.setRoutes(next));\n",
        routes.join(",\n  "),
        layouts.join(",\n  "),
        not_found.as_ref().map_or("null".to_string(), entry),
        bridges.join(", ")
    )
}

/// `/pages/users/[id].vue.mtm` → `/users/:id`; `/pages/index.mtm` → `/`.
fn route_from_file(url: &str) -> String {
    let inside = url.trim_start_matches("/pages/");
    let (folder, name) = inside
        .rsplit_once('/')
        .map_or(("", inside), |(f, n)| (f, n));
    let stem = name.split('.').next().unwrap_or(name);
    let mut segments: Vec<String> = folder
        .split('/')
        .filter(|s| !s.is_empty())
        .map(param)
        .collect();
    if stem != "index" {
        segments.push(param(stem));
    }
    format!("/{}", segments.join("/"))
}

fn param(segment: &str) -> String {
    match segment.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        Some(name) => format!(":{name}"),
        None => segment.to_string(),
    }
}

fn file_stem(url: &str) -> String {
    let name = Path::new(url)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.split('.').next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_from_file_paths() {
        assert_eq!(route_from_file("/pages/index.mtm"), "/");
        assert_eq!(route_from_file("/pages/about.mtm"), "/about");
        assert_eq!(route_from_file("/pages/users/index.vue.mtm"), "/users");
        assert_eq!(route_from_file("/pages/users/[id].mtm"), "/users/:id");
        assert_eq!(route_from_file("/pages/native.jsx"), "/native");
    }
}
