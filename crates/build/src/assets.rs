//! Files a build emits besides the chunks: imported assets (inlined as data URLs under the
//! inline limit, else copied with a content hash in their name) and the extracted CSS.

use base64::Engine;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct Assets {
    root: PathBuf,
    /// The public path the app is served from (`/`, `/sub/`).
    pub base: String,
    inline_limit: usize,
    public_dir: String,
    /// Output path (`assets/logo-1a2b3c4d.svg`) → content.
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Assets {
    pub fn new(root: &Path, base: &str, inline_limit: usize, public_dir: &str) -> Self {
        Self {
            root: root.to_path_buf(),
            base: base.to_string(),
            inline_limit,
            public_dir: public_dir.to_string(),
            files: Mutex::new(BTreeMap::new()),
        }
    }

    /// The URL the built app reaches `file` at: a data URL when it is small, else a hashed
    /// file under `assets/`.
    pub fn url_of_file(&self, file: &Path) -> Result<String, String> {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if bytes.len() < self.inline_limit {
            return Ok(data_url(extension, &bytes));
        }
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("asset");
        let path = self.emit(stem, extension, bytes);
        Ok(self.url(&path))
    }

    /// Adds a file under `assets/` named by its content; returns its output path.
    pub fn emit(&self, stem: &str, extension: &str, bytes: Vec<u8>) -> String {
        let hash = metamon_compile::content_hash(&bytes);
        let path = format!("assets/{stem}-{:08x}.{extension}", hash as u32);
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.clone(), bytes);
        path
    }

    /// The URL of an output path.
    pub fn url(&self, output_path: &str) -> String {
        format!("{}{output_path}", self.base)
    }

    pub fn take(&self) -> BTreeMap<String, Vec<u8>> {
        std::mem::take(&mut *self.files.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// CSS with its root-absolute `url()`s (as the compiler writes them) pointed at the built
    /// assets; files of `public/` at the base.
    pub fn rewrite_css_urls(&self, css: &str) -> String {
        let mut out = String::with_capacity(css.len());
        let mut rest = css;
        while let Some(at) = rest.find("url(") {
            out.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
            let Some(close) = rest.find(')') else {
                break;
            };
            let raw = rest[..close].trim();
            let url = raw.trim_matches(|c| c == '"' || c == '\'');
            match self.css_url(url) {
                Some(replacement) => out.push_str(&format!("\"{replacement}\"")),
                None => out.push_str(&rest[..close]),
            }
            rest = &rest[close..];
        }
        out.push_str(rest);
        out
    }

    fn css_url(&self, url: &str) -> Option<String> {
        let path = url.split(['?', '#']).next()?;
        if !path.starts_with('/') || path.starts_with("//") {
            return None;
        }
        let decoded = path.replace("%20", " ");
        let relative = decoded.trim_start_matches('/');
        let file = self.root.join(relative);
        if file.is_file() {
            return self.url_of_file(&file).ok();
        }
        self.root
            .join(&self.public_dir)
            .join(relative)
            .is_file()
            .then(|| format!("{}{relative}", self.base))
    }
}

fn data_url(extension: &str, bytes: &[u8]) -> String {
    format!(
        "data:{};base64,{}",
        metamon_project::files::media_type(extension),
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}
