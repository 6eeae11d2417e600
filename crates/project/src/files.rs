//! Project files: which files under the root the server serves and watches, and how URL
//! paths map to them. The dev server serves the project root and nothing else.

use percent_encoding::percent_decode_str;
use std::path::{Component, Path, PathBuf};

/// Files served at the root URL as they are, as in Vite (`public/favicon.svg` → `/favicon.svg`).
pub const PUBLIC_DIR: &str = "public";

/// The media type of a file by its extension (no charset), for responses and data URLs.
pub fn media_type(extension: &str) -> &'static str {
    match extension {
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain",
        "html" => "text/html",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// `path` relative to `root`, with `/` separators (`None` outside it).
pub fn relative_to_root(path: &Path, root: &Path) -> Option<String> {
    path.strip_prefix(root)
        .ok()
        .map(|relative| relative.to_string_lossy().replace('\\', "/"))
}

/// The URL path of a file under `root` (`/src/App.jsx`).
pub fn url_of(path: &Path, root: &Path) -> Option<String> {
    relative_to_root(path, root).map(|relative| format!("/{relative}"))
}

/// Paths the server never reacts to: dependencies, build output, VCS and dot-folders, editors'
/// temporary files.
pub fn ignored(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return true;
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let editor_temp = name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
        || (name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".#");
    editor_temp
        || relative.components().any(|c| {
            let part = c.as_os_str().to_string_lossy();
            part == "node_modules" || part == "target" || part == "dist" || part.starts_with('.')
        })
}

/// Every file under `dir` (inside `root`) the server may serve as a module, in no set order.
pub fn source_files(root: &Path, dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if ignored(root, &path) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a path Metamon serves (`..`, dot-files such as `.env` or `.git/`, NUL, backslashes).
    Forbidden,
    NotFound,
}

/// Maps a URL path to a file under `root` (which must be canonical). Decodes percent-escapes
/// once, refuses traversal, dot-files and anything whose real path (symlinks followed) leaves
/// the root.
pub fn file_for_url(root: &Path, url_path: &str) -> Result<PathBuf, Refusal> {
    let decoded = percent_decode_str(url_path)
        .decode_utf8()
        .map_err(|_| Refusal::Forbidden)?;
    if decoded.contains('\0')
        || decoded.contains('\\')
        || percent_decode_str(&decoded)
            .decode_utf8()
            .map_or(true, |twice| twice != decoded)
    {
        // A second round of decoding would change the path: double-encoded tricks are refused.
        return Err(Refusal::Forbidden);
    }
    let relative = decoded.trim_start_matches('/');
    let mut path = root.to_path_buf();
    let mut previous = None;
    for component in Path::new(relative).components() {
        match component {
            // pnpm's package store (`node_modules/.pnpm/…`) holds the files packages ship.
            Component::Normal(part)
                if !part.to_string_lossy().starts_with('.')
                    || (part == ".pnpm" && previous == Some("node_modules")) =>
            {
                previous = part.to_str();
                path.push(part)
            }
            Component::CurDir => {}
            _ => return Err(Refusal::Forbidden),
        }
    }
    let real = path.canonicalize().map_err(|_| Refusal::NotFound)?;
    if !real.starts_with(root) {
        return Err(Refusal::Forbidden);
    }
    Ok(real)
}

/// Where metamon's caches live (pre-bundled dependencies, compiled modules):
/// `node_modules/.metamon` of the nearest `node_modules` at or above root.
pub fn cache_dir(root: &Path) -> PathBuf {
    root.ancestors()
        .map(|dir| dir.join("node_modules"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| root.join("node_modules"))
        .join(".metamon")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempdir::Dir, PathBuf) {
        let dir = tempdir::Dir::new();
        std::fs::create_dir_all(dir.path.join("app/src")).unwrap();
        std::fs::write(dir.path.join("app/src/a.js"), "1").unwrap();
        std::fs::write(dir.path.join("app/.env"), "SECRET=1").unwrap();
        std::fs::write(dir.path.join("secret.txt"), "x").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            dir.path.join("secret.txt"),
            dir.path.join("app/src/link.txt"),
        )
        .unwrap();
        let root = dir.path.join("app").canonicalize().unwrap();
        (dir, root)
    }

    mod tempdir {
        pub struct Dir {
            pub path: std::path::PathBuf,
        }
        impl Dir {
            pub fn new() -> Self {
                let path = std::env::temp_dir().join(format!(
                    "metamon-security-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::remove_dir_all(&path);
                std::fs::create_dir_all(&path).unwrap();
                Self { path }
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }

    #[test]
    fn serves_files_under_root() {
        let (_dir, root) = root();
        assert_eq!(file_for_url(&root, "/src/a.js"), Ok(root.join("src/a.js")));
        assert_eq!(
            file_for_url(&root, "/src/missing.js"),
            Err(Refusal::NotFound)
        );
    }

    #[test]
    fn serves_pnpm_store_files_but_no_other_dot_folder() {
        let (_dir, root) = root();
        let store = root.join("node_modules/.pnpm/ui@1.0.0/node_modules/ui/dist");
        std::fs::create_dir_all(&store).unwrap();
        std::fs::write(store.join("ui.css"), ".a {}").unwrap();
        assert_eq!(
            file_for_url(
                &root,
                "/node_modules/.pnpm/ui@1.0.0/node_modules/ui/dist/ui.css"
            ),
            Ok(store.join("ui.css"))
        );
        for url in [
            "/.pnpm/x",
            "/src/.pnpm/x",
            "/node_modules/.bin/x",
            "/node_modules/.pnpm/.env",
        ] {
            assert_eq!(file_for_url(&root, url), Err(Refusal::Forbidden), "{url}");
        }
    }

    #[test]
    fn refuses_traversal_dotfiles_and_symlinks_out() {
        let (_dir, root) = root();
        for url in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2e%2e/",
            "/src/../../secret.txt",
            "/.env",
            "/%2eenv",
            "/.git/config",
            "/src/%252e%252e/x",
            "/src/link.txt",
            "/src\\..\\x",
            "/a%00b",
        ] {
            assert_eq!(file_for_url(&root, url), Err(Refusal::Forbidden), "{url}");
        }
    }
}
