//! `.env` files read the way Vite reads them (Node's `dotenv`), which is looser than the
//! shell-like rules of Rust's dotenv crates: `KEY=hello world` is one value, `export` is
//! allowed, quotes are stripped, `#` starts a comment after an unquoted value.

/// The `KEY=value` pairs of a `.env` text, in order (a later pair wins when read into a map).
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty()
            || key.starts_with('#')
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            continue;
        }
        let value = value.trim();
        let quote = value
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'));
        let value = match quote {
            Some(quote) => {
                // A quoted value may span lines until its closing quote.
                let mut text = value[1..].to_string();
                while !text.contains(quote) {
                    match lines.next() {
                        Some(next) => {
                            text.push('\n');
                            text.push_str(next);
                        }
                        None => break,
                    }
                }
                let inner = text.split(quote).next().unwrap_or_default().to_string();
                if quote == '"' {
                    inner.replace("\\n", "\n").replace("\\r", "\r")
                } else {
                    inner
                }
            }
            None => value
                .split(" #")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        pairs.push((key.to_string(), value));
    }
    pairs
}

/// What `import.meta.env` exposes besides `DEV`, `MODE`…: as in Vite, the `VITE_` (and
/// `METAMON_`) variables of `.env`, `.env.local`, `.env.<mode>`, `.env.<mode>.local` (later
/// files win) and of the process's own environment (which wins over the files). Nothing else.
pub fn exposed_variables(
    root: &std::path::Path,
    mode: &str,
) -> serde_json::Map<String, serde_json::Value> {
    exposed_variables_with(root, mode, &["VITE_".into(), "METAMON_".into()])
}

/// [`exposed_variables`] of the `.env` files in `dir`, for the config's `envPrefix`es.
pub fn exposed_variables_with(
    dir: &std::path::Path,
    mode: &str,
    prefixes: &[String],
) -> serde_json::Map<String, serde_json::Value> {
    let root = dir;
    let exposed = |key: &str| {
        prefixes
            .iter()
            .any(|prefix| key.starts_with(prefix.as_str()))
    };
    let mut env = serde_json::Map::new();
    for name in [
        ".env".to_string(),
        ".env.local".to_string(),
        format!(".env.{mode}"),
        format!(".env.{mode}.local"),
    ] {
        let Ok(text) = std::fs::read_to_string(root.join(name)) else {
            continue;
        };
        for (key, value) in parse(&text) {
            if exposed(&key) {
                env.insert(key, value.into());
            }
        }
    }
    for (key, value) in std::env::vars() {
        if exposed(&key) {
            env.insert(key, value.into());
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn node_dotenv_rules() {
        let text = "# comment\nVITE_A=hello world\nexport VITE_B = 'single # kept'\nVITE_C=\"line\\nbreak\"\nVITE_D=value # comment\nVITE_E=\nnot a pair\nVITE_F=`multi\nline`\nVITE_G=a=b\n";
        let pairs = parse(text);
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("VITE_A"), Some("hello world"));
        assert_eq!(get("VITE_B"), Some("single # kept"));
        assert_eq!(get("VITE_C"), Some("line\nbreak"));
        assert_eq!(get("VITE_D"), Some("value"));
        assert_eq!(get("VITE_E"), Some(""));
        assert_eq!(get("VITE_F"), Some("multi\nline"));
        assert_eq!(get("VITE_G"), Some("a=b"));
        assert_eq!(pairs.len(), 7);
    }
}
