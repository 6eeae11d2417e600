use super::*;

fn react(file: &str, source: &str) -> String {
    let options = Options::new("/tmp", true);
    match compile(
        file,
        Path::new(file),
        source.as_bytes(),
        &options,
        &WorkerPool::new(),
    ) {
        Ok(compiled) => compiled.code,
        Err(errors) => panic!("{errors:?}"),
    }
}

fn errors(file: &str, source: &str) -> Vec<Diagnostic> {
    let options = Options::new("/tmp", true);
    compile(
        file,
        Path::new(file),
        source.as_bytes(),
        &options,
        &WorkerPool::new(),
    )
    .unwrap_err()
}

const COUNTER: &str = "---
target: react
channels:
  - event: userLogin
    emit: onUserLogin
---
import { useState } from 'react';

export default function Counter() {
  const [count, setCount] = useState(0);
  const [users] = useMetamonSignal('users', 0);
  return <button onClick={() => { setCount(count + 1); onUserLogin({ count }); }}>{count} {users}</button>;
}
";

#[test]
fn react_mtm_with_channel() {
    insta::assert_snapshot!(react("src/Counter.mtm", COUNTER));
}

#[test]
fn react_mtm_explicit_imports_are_not_doubled() {
    let source = "---\ntarget: react\n---\nimport { useMetamonSignal } from 'metamon/react';\nexport default function A() { const [v] = useMetamonSignal('a', 1); const bus = useMetamonPubSub(); return <p onClick={() => bus.emit('x')}>{v}</p>; }\n";
    let code = react("src/A.mtm", source);
    let imports: Vec<&str> = code
        .lines()
        .filter(|line| line.starts_with("import") && line.contains("metamon/react"))
        .collect();
    assert_eq!(
        imports
            .iter()
            .filter(|line| line.contains("useMetamonSignal"))
            .count(),
        1,
        "{code}"
    );
    assert_eq!(
        imports
            .iter()
            .filter(|line| line.contains("useMetamonPubSub"))
            .count(),
        1,
        "the hook not imported by hand is injected: {code}"
    );
}

#[test]
fn tsx_native_component() {
    insta::assert_snapshot!(react(
        "src/Hello.tsx",
        "type P = { name: string };\nexport function Hello({ name }: P) {\n  return <h1>Hello {name}</h1>;\n}\n"
    ));
}

/// Only elements built from literals and module-level names are cached across hot updates;
/// anything naming a prop, state or a local stays a plain `jsx()` call.
#[test]
fn constant_elements_are_cached_across_hot_updates() {
    let mut options = Options::new("/tmp", true);
    options.jsx_dev_runtime = false;
    let source = "import Child from './Child.jsx';\nconst LABEL = 'x';\nexport default function App({ title }) {\n  const local = 1;\n  return <main><h1>{title}</h1><Child label={LABEL} /><Child n={local} /><p>static</p></main>;\n}\nexport const top = <p>module level</p>;\n";
    let code = compile(
        "src/App.jsx",
        Path::new("src/App.jsx"),
        source.as_bytes(),
        &options,
        &WorkerPool::new(),
    )
    .expect("compiles")
    .code;
    insta::assert_snapshot!(code);
    assert_eq!(code.matches("__metamon_el(").count(), 2, "{code}");
}

#[test]
fn plain_ts_module_has_no_refresh_wrapper() {
    let code = react(
        "src/util.ts",
        "export const add = (a: number, b: number): number => a + b;\n",
    );
    assert!(!code.contains("RefreshRuntime"), "{code}");
    assert!(
        code.contains("export const add = (a, b) => a + b;"),
        "{code}"
    );
}

#[test]
fn syntax_error_in_mtm_body_points_at_mtm_line() {
    let source = "---\ntarget: react\nchannels:\n  - event: a\n    emit: onA\n---\nexport default function A() {\n  return <p>{</p>;\n}\n";
    let errors = errors("src/A.mtm", source);
    assert_eq!(errors[0].file, "src/A.mtm");
    assert_eq!(errors[0].line, 8, "{errors:?}");
}

#[test]
fn source_map_points_into_the_mtm_file() {
    let options = Options::new("/tmp", false);
    let compiled = compile(
        "src/Counter.mtm",
        Path::new("src/Counter.mtm"),
        COUNTER.as_bytes(),
        &options,
        &WorkerPool::new(),
    )
    .unwrap();
    let map = compiled.map.unwrap();
    assert_eq!(map["sources"][0], "/src/Counter.mtm");
    assert_eq!(map["sourcesContent"][0], COUNTER);
}

#[test]
fn css_imports_and_urls_resolve_from_the_stylesheet() {
    let source = "@import './base.css';\n@import \"theme.css\";\nbody { background: url(\"../img/a b.png\") }\n.x { background: url(/abs.png) }\n.y { background: url(data:image/png;base64,AA==) }\n";
    let code = compile_css("src/styles/main.css", source, None, &[])
        .unwrap()
        .code;
    assert!(
        code.starts_with("import \"./base.css\";\nimport \"./theme.css\";\n"),
        "{code}"
    );
    assert!(!code.contains("@import"), "{code}");
    assert!(code.contains("url(\\\"/src/img/a%20b.png\\\")"), "{code}");
    assert!(code.contains("url(\\\"/abs.png\\\")"), "{code}");
    assert!(code.contains("data:image/png;base64,AA=="), "{code}");
}

#[test]
fn css_and_css_modules() {
    let plain = compile_css(
        "src/a.css",
        ":root { --accent: red }\n.box { color: var(--accent) }\n",
        None,
        &[],
    )
    .unwrap();
    insta::assert_snapshot!(plain.code);
    let module = compile_css(
        "src/a.module.css",
        ".title { color: red }\n",
        Some(&CssModules::default()),
        &[],
    )
    .unwrap();
    assert!(module.code.contains("\"title\":"), "{}", module.code);
    assert!(
        module
            .code
            .contains("export const title = __metamon_classes[\"title\"];"),
        "class names are named exports too: {}",
        module.code
    );
    let broken = compile_css(
        "src/b.css",
        ".a {\n  color: red;\n}\n.b..c { color: red }\n",
        None,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        (broken[0].file.as_str(), broken[0].line),
        ("src/b.css", 4),
        "{broken:?}"
    );
}

#[test]
fn json_module() {
    let code = react(
        "data.json",
        "{\"a\": [1, 2], \"not-a-name\": 1, \"default\": 2}",
    );
    assert_eq!(
        code,
        "const __metamon_json = {\"a\": [1, 2], \"not-a-name\": 1, \"default\": 2};\nexport default __metamon_json;\nexport const a = __metamon_json[\"a\"];\n"
    );
    assert_eq!(
        react("list.json", "[1]"),
        "const __metamon_json = [1];\nexport default __metamon_json;\n"
    );
}

#[test]
fn solid_include_patterns() {
    let options = Options::new("/tmp", true);
    assert_eq!(
        module_kind("src/solid/Toggle.jsx", &options),
        Some(ModuleKind::SolidScript)
    );
    assert_eq!(
        module_kind("src/Toggle.solid.tsx", &options),
        Some(ModuleKind::SolidScript)
    );
    assert_eq!(
        module_kind("src/Toggle.jsx", &options),
        Some(ModuleKind::Script)
    );
}

/// The repository (whose `node_modules` has the framework compilers) and HMR options for it.
pub(crate) fn repo_options() -> (std::path::PathBuf, Options) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let options = Options::new(&repo, true);
    (repo, options)
}

/// A fixture compiled, and its code with the repository's path replaced by `[repo]`.
fn compile_fixture(
    repo: &Path,
    file: &str,
    options: &Options,
    worker: &WorkerPool,
) -> (crate::Compiled, String) {
    let path = repo.join(file);
    let bytes = std::fs::read(&path).unwrap();
    let compiled =
        compile(file, &path, &bytes, options, worker).unwrap_or_else(|e| panic!("{file}: {e:?}"));
    let code = compiled
        .code
        .replace(&repo.to_string_lossy().to_string(), "[repo]");
    (compiled, code)
}

/// Vue, Svelte and Solid `.mtm` files through the Node worker (compilers from the repo's
/// `node_modules`): the hooks and emitters are injected, the output is the framework's own.
#[test]
fn framework_mtm_outputs() {
    let (repo, options) = repo_options();
    let worker = WorkerPool::new();
    for name in ["Board.vue.mtm", "Users.mtm", "Toggle.mtm"] {
        let file = format!("tests/fixtures/check-ok/src/{name}");
        let (compiled, code) = compile_fixture(&repo, &file, &options, &worker);
        assert!(
            code.contains("__metamon_defineChannels(import.meta"),
            "{name}: {code}"
        );

        insta::assert_snapshot!(name, code);
        if name != "Toggle.mtm" {
            assert!(compiled.css.is_some(), "{name} has component CSS");
        }
        if let Some(map) = compiled.map {
            assert_eq!(map["sources"][0], format!("/{file}"));
        } else {
            assert_eq!(
                name, "Board.vue.mtm",
                "only Vue output comes without a map so far"
            );
        }
    }
}

#[test]
fn a_removed_emit_still_called_is_an_error_at_the_call() {
    let source = "---\ntarget: react\nchannels:\n  - event: a\n    emit: onA\n---\nexport default function A() {\n  onA(1);\n  return <button onClick={() => onRemoved(2)}>x</button>;\n}\n";
    let errors = errors("src/A.mtm", source);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].code.as_str(), errors[0].line, errors[0].column),
        ("mtm::unknown-emit", 9, 33)
    );
    assert!(errors[0].message.contains("onRemoved"));
}

#[test]
fn a_body_of_another_framework_is_an_error_naming_the_target() {
    let react_body =
        "---\ntarget: vue\n---\nexport default function A() {\n  return <p>hi</p>;\n}\n";
    let found = errors("src/A.mtm", react_body);
    assert_eq!(
        (found[0].code.as_str(), found[0].line),
        ("mtm::body-target", 4),
        "{found:?}"
    );
    let sfc_body = "---\ntarget: react\n---\n<script setup>\nconst a = 1;\n</script>\n<template><p>{{ a }}</p></template>\n";
    assert_eq!(errors("src/B.mtm", sfc_body)[0].code, "mtm::body-target");
}

#[test]
fn css_targets_lower_nesting_and_add_prefixes() {
    let source = ".card {\n  user-select: none;\n  & .title { color: red }\n}\n";
    let as_written = compile_css("src/c.css", source, None, &[]).unwrap().code;
    assert!(as_written.contains("& .title"), "{as_written}");
    let lowered = compile_css("src/c.css", source, None, &["safari 12".to_string()])
        .unwrap()
        .code;
    assert!(
        lowered.contains(".card .title"),
        "nesting lowered: {lowered}"
    );
    assert!(
        lowered.contains("-webkit-user-select"),
        "prefix added: {lowered}"
    );
}

#[test]
fn typescript_enums_compile() {
    let code = react(
        "src/Badge.tsx",
        "enum Tone { Calm = 'calm', Loud = 'loud' }\nexport default function Badge() {\n  return <b className={Tone.Loud}>hi</b>;\n}\n",
    );
    assert!(code.contains("Tone[\"Loud\"] = \"loud\""), "{code}");
}

/// One `.mtm` per framework in production form: the framework's production output, no HMR
/// code (no `import.meta.hot`, React Refresh, Vue/Svelte/Solid HMR wrappers, local-state
/// instrumentation), JSX through the production runtime, the CSS extracted.
#[test]
fn production_outputs_have_no_hmr_code() {
    let (repo, options) = repo_options();
    let options = options.production();
    let worker = WorkerPool::new();
    for name in ["Counter.mtm", "Board.vue.mtm", "Users.mtm", "Toggle.mtm"] {
        let file = format!("tests/fixtures/check-ok/src/{name}");
        let (_, code) = compile_fixture(&repo, &file, &options, &worker);
        for dev_only in [
            "import.meta.hot",
            "$RefreshReg$",
            "RefreshRuntime",
            "__VUE_HMR_RUNTIME__",
            "solid-refresh",
            "__metamon_local",
            "metamon/local",
            "jsxDEV",
            "/@metamon/client",
        ] {
            assert!(!code.contains(dev_only), "{name} has {dev_only}:\n{code}");
        }
        assert!(
            code.contains("__metamon_defineChannels(import.meta"),
            "{name}: channels still work: {code}"
        );
        insta::assert_snapshot!(format!("production-{name}"), code);
    }
}

#[test]
fn css_modules_options_name_and_export_classes() {
    let source =
        ".card-title { color: red }\n.base { color: blue }\n.big_card { composes: base; }\n";
    let modules = CssModules {
        scoped_name: Some("[name]__[local]___[hash:base64:5]".into()),
        locals_convention: Some("camelCaseOnly".into()),
        global: false,
    };
    let code = compile_css("src/Card.module.css", source, Some(&modules), &[])
        .unwrap()
        .code;
    assert!(
        code.contains("Card-module__card-title___"),
        "generateScopedName: {code}"
    );
    assert!(
        code.contains("export const cardTitle = "),
        "camelCaseOnly: {code}"
    );
    assert!(
        !code.contains("\"card-title\":"),
        "camelCaseOnly drops the original: {code}"
    );
    assert!(code.contains("export const bigCard = "), "{code}");
    let big = code.split("\"bigCard\":").nth(1).unwrap_or_default();
    assert!(
        big.trim_start().starts_with("\"Card-module__big_card___")
            && big.contains(" Card-module__base___"),
        "composes lists both classes: {code}"
    );

    let dashes = CssModules {
        locals_convention: Some("dashes".into()),
        ..CssModules::default()
    };
    let code = compile_css(
        "src/a.module.css",
        ".a-b_c { color: red }\n",
        Some(&dashes),
        &[],
    )
    .unwrap()
    .code;
    assert!(
        code.contains("\"a-b_c\":") && code.contains("\"aB_c\":"),
        "dashes: {code}"
    );

    let global = CssModules {
        global: true,
        ..CssModules::default()
    };
    let code = compile_css(
        "src/g.module.css",
        ".keep { color: red }\n",
        Some(&global),
        &[],
    )
    .unwrap()
    .code;
    assert!(code.contains(".keep {"), "scopeBehaviour global: {code}");

    let bad = CssModules {
        scoped_name: Some("[path][local]".into()),
        ..CssModules::default()
    };
    let errors =
        compile_css("src/a.module.css", ".a { color: red }\n", Some(&bad), &[]).unwrap_err();
    assert!(
        errors[0].message.contains("generateScopedName"),
        "{errors:?}"
    );
}

#[test]
fn defines_in_typescript_with_enums_and_class_fields() {
    // A generated API client (swagger-typescript-api): an enum read in computed keys of a class
    // field, and parameter defaults; the define pass must not trip over transformed TypeScript.
    let source = "export enum ContentType { Json = \"application/json\", Text = \"text/plain\" }\n\
        export class HttpClient<T = unknown> {\n  private secure?: boolean;\n  constructor(config: { a?: T } = {}) { Object.assign(this, config); }\n\
        private formatters: Record<ContentType, (input: any) => any> = {\n    [ContentType.Json]: (input: any) => JSON.stringify(input),\n    [ContentType.Text]: (input: any) => input,\n  };\n}\n\
        export const mode = process.env.NODE_ENV;\n";
    let options = ScriptOptions {
        define: vec![("process.env.NODE_ENV".into(), "\"development\"".into())],
        ..ScriptOptions::default()
    };
    let compiled = compile_script("src/services/api.ts", source, &options).unwrap();
    assert!(
        compiled.code.contains("const mode = \"development\""),
        "{}",
        compiled.code
    );
}

#[test]
fn maps_of_a_module_s_parts_join_at_their_lines() {
    // Part one: module lines 0-1 from source lines 0-1; part two from module line 5: source line 2.
    let parts = [
        serde_json::json!({"map": {"version": 3, "sources": ["a"], "names": [], "mappings": "AAAA;AACA"}, "line": 0}),
        serde_json::json!({"map": {"version": 3, "sources": ["a"], "names": ["x"], "mappings": "EAEAA"}, "line": 5}),
    ];
    let joined = join_maps(&parts).unwrap();
    assert_eq!(joined["mappings"], "AAAA;AACA;;;;EACA");
    assert_eq!(original_position(Some(&joined), 6, 3), (3, 1));
    assert_eq!(original_position(Some(&joined), 2, 1), (2, 1));
}

/// A Vue component's script and template maps, joined by the server, point at the `.vue`
/// file's own lines.
#[test]
fn vue_output_maps_to_the_component_s_lines() {
    let (repo, options) = repo_options();
    let worker = WorkerPool::new();
    let source = "<script setup>\nimport { ref } from \"vue\";\nconst count = ref(0);\nconst boom = () => count.value.missing.deep;\n</script>\n\n<template>\n  <p>{{ count }}</p>\n  <p>{{ missing.deep }}</p>\n</template>\n";
    let compiled = worker
        .compile_framework(
            WorkerKind::Vue,
            "src/Mapped.vue",
            &repo.join("src/Mapped.vue"),
            source,
            source,
            &options,
        )
        .unwrap();
    let map = compiled.map.as_ref().expect("a map");
    assert_eq!(map["sources"][0], "/src/Mapped.vue");
    let at = |needle: &str| {
        let (line, text) = compiled
            .code
            .lines()
            .enumerate()
            .find(|(_, text)| text.contains(needle))
            .unwrap();
        original_position(Some(map), line + 1, text.find(needle).unwrap() + 1).0
    };
    assert_eq!(at("count.value.missing"), 4);
    assert_eq!(at("_ctx.missing.deep"), 9);
}

#[test]
fn an_inline_source_map_reads_back() {
    let map = serde_json::json!({"version": 3, "sources": ["a.mtm"], "mappings": "AAAA"});
    let served = format!("export {{}};{}", inline_source_map(&map));
    let read: serde_json::Value = serde_json::from_str(&source_map_of(&served).unwrap()).unwrap();
    assert_eq!(read, map);
    assert_eq!(source_map_of("export {};\n"), None);
}
