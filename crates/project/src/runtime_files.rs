//! The browser runtime (`runtime/**/*.js`), embedded in the binary and served at
//! `/@metamon/<path>`. Apps import parts of it by name (`metamon/react` → `/@metamon/react.js`).

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

/// The URL prefix of runtime files.
pub const PREFIX: &str = "/@metamon/";

/// The source of the runtime file served at `/@metamon/<name>`.
pub fn source(name: &str) -> Option<&'static str> {
    let name = match name {
        "client" => "client.js",
        "react-refresh" => "react-refresh.js",
        other => other,
    };
    RUNTIME_FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, source)| *source)
}

/// The URL an app's `metamon…` import specifier names, if it is one.
pub fn url_for_specifier(specifier: &str) -> Option<String> {
    if specifier == "metamon" {
        return Some(format!("{PREFIX}core.js"));
    }
    specifier
        .strip_prefix("metamon/")
        .map(|name| format!("{PREFIX}{name}.js"))
}

/// A package name, not a path or URL.
pub fn is_bare(specifier: &str) -> bool {
    !specifier.starts_with('.') && !specifier.starts_with('/')
}
