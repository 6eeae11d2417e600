//! Vite's `resolve.alias`: an import equal to `find` or starting with `find/` (or matching a
//! regex `find`) has it replaced, the first matching alias winning. Shared by the dev server's
//! resolver and the build.

use metamon_config::Config;
use std::path::Path;

pub struct Aliases(Vec<(AliasFind, String)>);

enum AliasFind {
    Prefix(String),
    Pattern(regex::Regex),
}

impl Aliases {
    /// The config's aliases; `root` must be canonical. Invalid patterns are left out (and
    /// reported).
    pub fn new(root: &Path, config: &Config) -> Self {
        let root_text = root.to_string_lossy().to_string();
        let aliases = config
            .alias
            .iter()
            .filter_map(|alias| {
                let find = if alias.regex {
                    match regex::Regex::new(&alias.find) {
                        Ok(pattern) => AliasFind::Pattern(pattern),
                        Err(error) => {
                            eprintln!(
                                "  warning: alias /{}/ is not a usable pattern ({error}); ignored",
                                alias.find
                            );
                            return None;
                        }
                    }
                } else {
                    AliasFind::Prefix(alias.find.clone())
                };
                // An absolute path into the app (`path.resolve(__dirname, 'src')`) is a
                // root-relative import.
                let replacement = match alias.replacement.strip_prefix(&root_text) {
                    Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                        format!("/{}", rest.trim_start_matches('/'))
                    }
                    _ => alias.replacement.clone(),
                };
                Some((find, replacement))
            })
            .collect();
        Aliases(aliases)
    }

    /// `specifier` with the first matching alias applied.
    pub fn apply(&self, specifier: &str) -> Option<String> {
        self.0.iter().find_map(|(find, replacement)| match find {
            AliasFind::Prefix(prefix) => {
                let rest = specifier.strip_prefix(prefix.as_str())?;
                (rest.is_empty() || rest.starts_with('/'))
                    .then(|| format!("{replacement}{rest}").replace("//", "/"))
            }
            AliasFind::Pattern(pattern) => pattern
                .is_match(specifier)
                .then(|| pattern.replace(specifier, replacement.as_str()).to_string()),
        })
    }
}
