//! The dev server serves the project root and nothing else, to the local machine only.

use percent_encoding::percent_decode_str;
use std::path::{Component, Path, PathBuf};

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

/// `Host` must name this machine (or the host the server was told to listen on).
pub fn host_allowed(host_header: Option<&str>, configured_host: &str) -> bool {
    let Some(host) = host_header else {
        return false;
    };
    let name = strip_port(host);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]" | "::1")
        || name.eq_ignore_ascii_case(configured_host)
        || name.ends_with(".localhost")
}

/// A WebSocket `Origin` must be a page served by this machine; tools without an Origin pass.
pub fn origin_allowed(origin: Option<&str>, configured_host: &str) -> bool {
    let Some(origin) = origin else { return true };
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    host_allowed(Some(rest.trim_end_matches('/')), configured_host)
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    })
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

    #[test]
    fn hosts_and_origins() {
        assert!(host_allowed(Some("localhost:5173"), "127.0.0.1"));
        assert!(host_allowed(Some("127.0.0.1:5173"), "127.0.0.1"));
        assert!(host_allowed(Some("[::1]:5173"), "127.0.0.1"));
        assert!(!host_allowed(Some("evil.com"), "127.0.0.1"));
        assert!(!host_allowed(Some("evil.com:5173"), "127.0.0.1"));
        assert!(!host_allowed(None, "127.0.0.1"));
        assert!(origin_allowed(Some("http://localhost:5173"), "127.0.0.1"));
        assert!(!origin_allowed(Some("http://evil.com"), "127.0.0.1"));
        assert!(!origin_allowed(Some("null"), "127.0.0.1"));
    }
}
