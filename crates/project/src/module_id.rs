//! Module ids: a module's key is its URL path plus the part of the query that changes what is
//! served (`?css`, `?import`, `?raw`, `?bridge=react`…); the `t=` version a URL carries is not
//! part of it.

/// Splits a key into its URL path and its query.
pub fn split_key(key: &str) -> (&str, Option<&str>) {
    match key.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (key, None),
    }
}

/// Drops the `t=` (and `v=`) version from a request query, keeping what selects the module.
pub fn key_from_request(path: &str, query: Option<&str>) -> String {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|part| !part.is_empty() && !part.starts_with("t=") && !part.starts_with("v="))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Whether a request's query asks for a module (`?import`, `?css`, `?raw`, `?url`, `?bridge=…`,
/// `?html-proxy…`) rather than the file itself with a query of the page's own
/// (`<link href="/global.css?param=required">`).
pub fn selects_module(query: &str) -> bool {
    query.split('&').any(|part| {
        matches!(part, "import" | "css" | "raw" | "url")
            || part.starts_with("bridge=")
            || part.starts_with("html-proxy")
    })
}

/// A relative URL path (`./a.js`, `../b/c.js`, `d.js`) resolved against the path of the file
/// `base` (its folder is the base); `..` stops at the root.
pub fn resolve_path(base: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop(); // the file's own name
    for part in relative.split('/') {
        match part {
            "." => {}
            ".." => {
                if parts.len() > 1 {
                    parts.pop();
                }
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// The key of a URL as a page sends it back (`/src/App.jsx?t=1` → `/src/App.jsx`).
pub fn key_from_url(url: &str) -> String {
    let (path, query) = split_key(url);
    key_from_request(path, query)
}

/// The URL importers use for a module last updated at `timestamp` (0: never).
pub fn with_timestamp(url: &str, timestamp: u64) -> String {
    if timestamp == 0 {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&t={timestamp}")
    } else {
        format!("{url}?t={timestamp}")
    }
}

/// The root-relative file name of a key (`/src/App.jsx?css` → `src/App.jsx`), as diagnostics
/// name files.
pub fn relative_file(key: &str) -> String {
    split_key(key).0.trim_start_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_from_the_file_folder() {
        assert_eq!(
            resolve_path("/@metamon/client", "./hmr/state.js"),
            "/@metamon/hmr/state.js"
        );
        assert_eq!(
            resolve_path("/app/index.html", "../src/main.ts"),
            "/src/main.ts"
        );
        assert_eq!(resolve_path("/index.html", "../../x.js"), "/x.js");
        assert_eq!(resolve_path("/pages/a.html", "b.js"), "/pages/b.js");
    }

    #[test]
    fn keys_drop_versions_and_keep_selectors() {
        assert_eq!(key_from_request("/a.js", Some("t=12")), "/a.js");
        assert_eq!(key_from_request("/a.vue", Some("css&t=12")), "/a.vue?css");
        assert_eq!(key_from_url("/a.vue?t=3&css"), "/a.vue?css");
        assert_eq!(with_timestamp("/a.vue?css", 5), "/a.vue?css&t=5");
        assert_eq!(with_timestamp("/a.js", 0), "/a.js");
        assert_eq!(relative_file("/src/A.vue?css"), "src/A.vue");
    }
}
