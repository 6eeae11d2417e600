use serde::Serialize;
use std::fmt;

/// The framework a component is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    React,
    Vue,
    Svelte,
    Solid,
}

impl Target {
    pub const ALL: [Target; 4] = [Target::React, Target::Vue, Target::Svelte, Target::Solid];

    /// Accepts the names a frontmatter `target` may use, including the `reactjs`/`solidjs` spellings.
    pub fn from_name(name: &str) -> Option<Target> {
        match name.trim().to_ascii_lowercase().as_str() {
            "react" | "reactjs" => Some(Target::React),
            "vue" | "vuejs" => Some(Target::Vue),
            "svelte" => Some(Target::Svelte),
            "solid" | "solidjs" => Some(Target::Solid),
            _ => None,
        }
    }

    /// The target a file name announces, as in `Counter.react.mtm`.
    pub fn from_file_name(path: &str) -> Option<Target> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let stem = name.strip_suffix(".mtm")?;
        let (_, hint) = stem.rsplit_once('.')?;
        Target::from_name(hint)
    }

    pub fn name(self) -> &'static str {
        match self {
            Target::React => "react",
            Target::Vue => "vue",
            Target::Svelte => "svelte",
            Target::Solid => "solid",
        }
    }

    /// The module users import this framework's Metamon hooks from.
    pub fn runtime_module(self) -> &'static str {
        match self {
            Target::React => "metamon/react",
            Target::Vue => "metamon/vue",
            Target::Svelte => "metamon/svelte",
            Target::Solid => "metamon/solid",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
