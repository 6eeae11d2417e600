//! The `metamon` binary as a user runs it: `check` over folders, `compile` of one file.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn metamon(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_metamon"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// A scratch folder inside the repo, so framework compilers resolve from its node_modules.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = repo()
            .join("tests/.scratch")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn check_reports_zero_errors_for_one_valid_component_per_framework() {
    let (code, output) = metamon(&["check", "tests/fixtures/check-ok"]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("checked 5 files, 0 errors"), "{output}");
}

#[test]
fn check_reports_each_broken_variant_at_its_mtm_line() {
    let cases: &[(&str, &str, &str)] = &[
        ("Missing.mtm", "export default 1;\n", "Missing.mtm:1:1"),
        (
            "Unterminated.mtm",
            "---\ntarget: react\nexport default 1;\n",
            "Unterminated.mtm:1:1",
        ),
        (
            "Yaml.mtm",
            "---\ntarget: react\nchannels: [a\n---\nx\n",
            "Yaml.mtm:4:",
        ),
        (
            "Key.mtm",
            "---\ntarget: react\nchanels: []\n---\nx\n",
            "Key.mtm:3:1",
        ),
        (
            "Channels.mtm",
            "---\ntarget: react\nchannels: login\n---\nx\n",
            "Channels.mtm:3:11",
        ),
        (
            "Emit.mtm",
            "---\ntarget: react\nchannels:\n  - event: a\n    emit: on-a\n---\nx\n",
            "Emit.mtm:5:11",
        ),
        (
            "Target.mtm",
            "---\ntarget: angular\n---\nx\n",
            "Target.mtm:2:9",
        ),
        ("Empty.mtm", "---\ntarget: react\n---\n\n", "Empty.mtm:4:1"),
        (
            "React.mtm",
            "---\ntarget: react\n---\nexport default function A() {\n  return <p>{</p>;\n}\n",
            "React.mtm:5:",
        ),
        (
            "Vue.mtm",
            "---\ntarget: vue\n---\n<script setup>\nconst a = ;\n</script>\n<template><p>hi</p></template>\n",
            "Vue.mtm:5:",
        ),
        (
            "Svelte.mtm",
            "---\ntarget: svelte\n---\n<script>\n  let a = $state(0);\n</script>\n<p>{a</p>\n",
            "Svelte.mtm:7:",
        ),
        (
            "Solid.mtm",
            "---\ntarget: solid\n---\nexport default function A() {\n  return <div><p></div>;\n}\n",
            "Solid.mtm:5:",
        ),
    ];
    let scratch = Scratch::new("check-broken");
    for (name, text, _) in cases {
        std::fs::write(scratch.0.join(name), text).unwrap();
    }
    let folder = scratch.0.to_string_lossy().to_string();
    let (code, output) = metamon(&["check", &folder]);
    assert_eq!(code, 1, "{output}");
    for (_, _, location) in cases {
        assert!(
            output.contains(location),
            "expected {location} in:\n{output}"
        );
    }
    assert!(
        output.contains(&format!(
            "checked {} files, {} errors",
            cases.len(),
            cases.len()
        )),
        "{output}"
    );
}

#[test]
fn compile_shows_the_emit_function_wired_to_the_bus() {
    let (code, output) = metamon(&["compile", "tests/fixtures/check-ok/src/Counter.mtm"]);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("import { defineChannels as __metamon_defineChannels } from \"metamon\""),
        "{output}"
    );
    assert!(
        output.contains("const { onUserLogin } = __metamon_defineChannels(import.meta, [{"),
        "{output}"
    );
    assert!(
        output.contains("event: \"userLogin\",\n\temit: \"onUserLogin\""),
        "{output}"
    );
    assert!(
        output.contains("onUserLogin({ count })"),
        "the body calls the injected emitter: {output}"
    );
    assert!(output.contains("from \"metamon/react\""), "{output}");
}

#[test]
fn compile_of_a_missing_file_is_an_error_not_a_panic() {
    let (code, output) = metamon(&["compile", "tests/fixtures/nope.mtm"]);
    assert_eq!(code, 1, "{output}");
    assert!(
        output.starts_with("error: cannot read tests/fixtures/nope.mtm: "),
        "{output}"
    );
    assert!(!output.contains("panicked"), "{output}");
}

/// The `Commands:` section of clap's help: each command's name and its one-line description.
fn listed_commands(help: &str) -> Vec<(String, String)> {
    help.lines()
        .skip_while(|line| line.trim() != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| {
            let (name, description) = line.trim().split_once(char::is_whitespace)?;
            Some((name.to_string(), description.trim().to_string()))
        })
        .collect()
}

#[test]
fn help_lists_each_subcommand_with_its_description() {
    let (code, output) = metamon(&["--help"]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("Usage: metamon <COMMAND>"), "{output}");
    let commands = listed_commands(&output);
    for (command, description) in [
        (
            "check",
            "Parse and compile every component under the paths and report all problems",
        ),
        ("compile", "Print the compiled JavaScript of one file"),
        ("dev", "Serve the app with hot module replacement"),
    ] {
        assert!(
            commands
                .iter()
                .any(|(name, text)| name == command && text == description),
            "`{command}  {description}` is not listed in:\n{output}"
        );
    }
}

#[test]
fn version_prints_the_name_and_the_package_version() {
    let (code, output) = metamon(&["--version"]);
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        output.trim_end(),
        concat!("metamon ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn dev_refuses_a_config_with_an_unknown_key_naming_key_and_line() {
    let scratch = Scratch::new("bad-config");
    std::fs::write(scratch.0.join("index.html"), "<div id=app></div>").unwrap();
    std::fs::write(
        scratch.0.join("metamon.config.json"),
        "{\n  \"debounceMs\": 5,\n  \"reloadTimout\": 100\n}\n",
    )
    .unwrap();
    let folder = scratch.0.to_string_lossy().to_string();
    let (code, output) = metamon(&["dev", &folder, "--port", "0"]);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("unknown field `reloadTimout`"), "{output}");
    assert!(output.contains("metamon.config.json:3:"), "{output}");
}
