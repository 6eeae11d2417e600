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

/// Node's built-in modules, as `module.builtinModules` lists them (subpaths included).
const NODE_BUILTINS: &[&str] = &[
    "assert",
    "assert/strict",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "dns/promises",
    "domain",
    "events",
    "fs",
    "fs/promises",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "path/posix",
    "path/win32",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "readline/promises",
    "repl",
    "stream",
    "stream/consumers",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "util/types",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// Where a Node built-in imported by browser code is served (`fs/promises`, `node:path`), as
/// Vite "externalizes" them: a module whose properties fail with a clear message when read,
/// so code that only imports one behind a `typeof window` check runs. A package installed
/// under a built-in's name (`buffer`, `events`, `process` polyfills) is used instead.
pub fn browser_external(specifier: &str, root: &std::path::Path) -> Option<String> {
    let (name, prefixed) = match specifier.strip_prefix("node:") {
        Some(name) => (name, true),
        None => (specifier, false),
    };
    if !prefixed {
        if !NODE_BUILTINS.contains(&name) {
            return None;
        }
        let package = name.split('/').next().unwrap_or(name);
        let installed = root.ancestors().any(|dir| {
            dir.join("node_modules")
                .join(package)
                .join("package.json")
                .is_file()
        });
        if installed {
            return None;
        }
    }
    Some(format!("{PREFIX}{BROWSER_EXTERNAL}{name}"))
}

/// The runtime path of externalized built-ins: `/@metamon/browser-external/<name>`.
pub const BROWSER_EXTERNAL: &str = "browser-external/";

/// The module served for an externalized built-in.
pub fn browser_external_module(name: &str) -> String {
    let id = serde_json::to_string(name).unwrap_or_default();
    format!(
        "const id = {id};\n\
         export default new Proxy({{}}, {{ get(_, key) {{ if (typeof key === 'symbol' || key === '__esModule' || key === 'then') return undefined; throw new Error(`Module \"${{id}}\" has been externalized for browser compatibility. Cannot access \"${{id}}.${{String(key)}}\" in client code.`); }} }});\n"
    )
}
