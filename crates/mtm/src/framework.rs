use serde::Serialize;
use std::fmt;

/// The framework a component is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    React,
    Vue,
    Svelte,
    Solid,
}

impl Framework {
    pub const ALL: [Framework; 4] = [
        Framework::React,
        Framework::Vue,
        Framework::Svelte,
        Framework::Solid,
    ];

    /// Accepts the names a frontmatter `target` may use, including the `reactjs`/`solidjs` spellings.
    pub fn from_name(name: &str) -> Option<Framework> {
        match name.trim().to_ascii_lowercase().as_str() {
            "react" | "reactjs" => Some(Framework::React),
            "vue" | "vuejs" => Some(Framework::Vue),
            "svelte" => Some(Framework::Svelte),
            "solid" | "solidjs" => Some(Framework::Solid),
            _ => None,
        }
    }

    /// The target a file name announces, as in `Counter.react.mtm`.
    pub fn from_file_name(path: &str) -> Option<Framework> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let stem = name.strip_suffix(".mtm")?;
        let (_, hint) = stem.rsplit_once('.')?;
        Framework::from_name(hint)
    }

    pub fn name(self) -> &'static str {
        match self {
            Framework::React => "react",
            Framework::Vue => "vue",
            Framework::Svelte => "svelte",
            Framework::Solid => "solid",
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
