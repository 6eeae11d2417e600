//! The routes table of an app with pages: `/@metamon/routes.js`, generated from `pages/` and
//! `layouts/`, read by the client router (`runtime/router.js`).
//!
//! Rules: `pages/index.mtm` → `/`, `pages/about.mtm` → `/about`, `pages/users/index.mtm` →
//! `/users`, `pages/users/[id].mtm` → `/users/:id`; a `route:` frontmatter key overrides the
//! path; `layout:` names `layouts/<name>.*` (default: `default` when `layouts/default.*`
//! exists); `pages/404.*` is the not-found page.

use crate::DevServer;
use metamon_compile::{Compiled, ModuleKind, module_kind};
use std::path::Path;

pub const ROUTES_KEY: &str = "/@metamon/routes.js";

struct Page {
    path: String,
    file: String,
    layout: Option<String>,
    framework: String,
}

impl DevServer {
    /// Whether a change to `relative` can change the routes table.
    pub fn affects_routes(relative: &str) -> bool {
        relative.starts_with("pages/") || relative.starts_with("layouts/")
    }

    pub(crate) fn routes_module(&self) -> Compiled {
        let layouts = self.component_files("layouts");
        let layout_names: Vec<(String, String, String)> = layouts
            .iter()
            .filter_map(|url| {
                let name = file_stem(url);
                let framework = self.framework_of(url)?.to_string();
                Some((name, url.clone(), framework))
            })
            .collect();
        let default_layout = layout_names
            .iter()
            .any(|(name, _, _)| name == "default")
            .then(|| "default".to_string());
        let mut pages: Vec<Page> = self
            .component_files("pages")
            .into_iter()
            .filter_map(|url| {
                let framework = self.framework_of(&url)?.to_string();
                let (route, layout) = self.page_frontmatter(&url);
                Some(Page {
                    path: route.unwrap_or_else(|| route_from_file(&url)),
                    file: url,
                    layout: layout.or_else(|| default_layout.clone()),
                    framework,
                })
            })
            .collect();
        // Static paths before parameterised ones, then shorter first.
        pages.sort_by_key(|page| (page.path.contains(':'), page.path.len(), page.path.clone()));
        let entry = |page: &Page| {
            let file = json(&page.file);
            format!(
                "{{ path: {}, file: {file}, layout: {}, framework: {}, load: () => import({file}) }}",
                json(&page.path),
                page.layout.as_deref().map_or("null".to_string(), json),
                json(&page.framework)
            )
        };
        let not_found = pages
            .iter()
            .position(|page| file_stem(&page.file) == "404")
            .map(|index| pages.remove(index));
        let routes: Vec<String> = pages.iter().map(entry).collect();
        let layouts: Vec<String> = layout_names
            .iter()
            .map(|(name, url, framework)| {
                format!(
                    "{}: {{ file: {}, framework: {}, load: () => import({}) }}",
                    json(name),
                    json(url),
                    json(framework),
                    json(url)
                )
            })
            .collect();
        let code = format!(
            "export const routes = [\n  {}\n];\nexport const layouts = {{\n  {}\n}};\nexport const notFound = {};\nif (import.meta.hot) import.meta.hot.accept((next) => globalThis.__METAMON_ROUTER__?.setRoutes(next));\n",
            routes.join(",\n  "),
            layouts.join(",\n  "),
            not_found.as_ref().map_or("null".to_string(), entry)
        );
        Compiled {
            code,
            ..Compiled::default()
        }
    }

    /// URL paths of the component files under `root/<folder>`, sorted.
    fn component_files(&self, folder: &str) -> Vec<String> {
        let mut files = Vec::new();
        let base = self.root.join(folder);
        if base.is_dir() {
            crate::watch::for_each_source_file(&base, &mut |path| {
                let Ok(relative) = path.strip_prefix(&self.root) else {
                    return;
                };
                let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
                if module_kind(&url, &self.options()).is_some_and(ModuleKind::is_script) {
                    files.push(url);
                }
            });
        }
        files.sort();
        files
    }

    fn page_frontmatter(&self, url: &str) -> (Option<String>, Option<String>) {
        if !url.ends_with(".mtm") {
            return (None, None);
        }
        let Ok(bytes) = std::fs::read(self.root.join(url.trim_start_matches('/'))) else {
            return (None, None);
        };
        match metamon_mtm::parse(url, &bytes) {
            Ok(parsed) => (parsed.route, parsed.layout),
            Err(_) => (None, None),
        }
    }
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

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
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
