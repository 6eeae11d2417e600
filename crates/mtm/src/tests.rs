use super::*;

fn errors(file: &str, text: &str) -> String {
    match parse(file, text.as_bytes()) {
        Ok(parsed) => panic!("expected errors, parsed {parsed:?}"),
        Err(diagnostics) => diagnostics
            .iter()
            .map(|d| format!("{d}\n{}", d.frame(text)))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

const COUNTER: &str = "---
target: react
channels:
  - event: userLogin
    emit: onUserLogin
props:
  title: string
styles:
  - ./counter.css
route: /users
layout: default
---
export default function Counter() {
  return <button onClick={() => onUserLogin({ id: 1 })}>hi</button>;
}
";

#[test]
fn parses_every_key() {
    insta::assert_debug_snapshot!(parse("Counter.mtm", COUNTER.as_bytes()).unwrap());
}

#[test]
fn padded_body_keeps_mtm_line_numbers() {
    let parsed = parse("Counter.mtm", COUNTER.as_bytes()).unwrap();
    let padded = parsed.padded_body();
    assert_eq!(
        padded.lines().nth(12),
        Some("export default function Counter() {")
    );
    assert_eq!(
        COUNTER.lines().nth(12),
        Some("export default function Counter() {")
    );
}

#[test]
fn target_from_file_name() {
    let parsed = parse(
        "src/Board.vue.mtm",
        b"---\n---\n<template><p>hi</p></template>\n",
    )
    .unwrap();
    assert_eq!(parsed.target, Framework::Vue);
    assert_eq!(parsed.body_line, 3);
}

#[test]
fn spellings_of_targets() {
    for (name, target) in [
        ("reactjs", Framework::React),
        ("solidjs", Framework::Solid),
        ("svelte", Framework::Svelte),
    ] {
        let text = format!("---\ntarget: {name}\n---\nx\n");
        assert_eq!(parse("a.mtm", text.as_bytes()).unwrap().target, target);
    }
}

#[test]
fn diagnostics() {
    let cases: &[(&str, &str, &str)] = &[
        ("missing_frontmatter", "A.mtm", "export default 1;\n"),
        (
            "unterminated_frontmatter",
            "A.mtm",
            "---\ntarget: react\nexport default 1;\n",
        ),
        (
            "malformed_yaml",
            "A.mtm",
            "---\ntarget: react\nchannels: [a, b\n---\nx\n",
        ),
        (
            "unknown_key",
            "A.mtm",
            "---\ntarget: react\nchanels: []\n---\nx\n",
        ),
        (
            "channels_not_a_list",
            "A.mtm",
            "---\ntarget: react\nchannels: userLogin\n---\nx\n",
        ),
        (
            "emit_not_identifier",
            "A.mtm",
            "---\ntarget: react\nchannels:\n  - event: login\n    emit: on-login\n---\nx\n",
        ),
        (
            "duplicate_emit",
            "A.mtm",
            "---\ntarget: react\nchannels:\n  - event: a\n    emit: onA\n  - event: b\n    emit: onA\n---\nx\n",
        ),
        (
            "duplicate_event",
            "A.mtm",
            "---\ntarget: react\nchannels:\n  - event: a\n    emit: onA\n  - event: a\n    emit: onB\n---\nx\n",
        ),
        ("unknown_target", "A.mtm", "---\ntarget: angular\n---\nx\n"),
        ("misspelled_target", "A.mtm", "---\ntarget: raect\n---\nx\n"),
        (
            "target_disagrees_with_name",
            "A.vue.mtm",
            "---\ntarget: react\n---\nx\n",
        ),
        ("missing_target", "A.mtm", "---\nroute: /a\n---\nx\n"),
        ("wrong_type_target", "A.mtm", "---\ntarget: 42\n---\nx\n"),
        (
            "route_without_slash",
            "A.mtm",
            "---\ntarget: react\nroute: users\n---\nx\n",
        ),
        (
            "props_not_mapping",
            "A.mtm",
            "---\ntarget: react\nprops: [a]\n---\nx\n",
        ),
        ("empty_body", "A.mtm", "---\ntarget: react\n---\n\n   \n"),
        ("frontmatter_not_mapping", "A.mtm", "---\n- react\n---\nx\n"),
    ];
    for (name, file, text) in cases {
        insta::assert_snapshot!(*name, errors(file, text));
    }
}

#[test]
fn not_utf8_names_line() {
    let mut bytes = b"---\ntarget: react\n---\nconst a = '".to_vec();
    bytes.extend([0xff, 0xfe]);
    let diagnostics = parse("A.mtm", &bytes).unwrap_err();
    assert_eq!(
        (
            diagnostics[0].code.as_str(),
            diagnostics[0].line,
            diagnostics[0].column
        ),
        ("mtm::not-utf8", 4, 12)
    );
}

#[test]
fn binary_content() {
    let diagnostics = parse("A.mtm", b"---\ntarget: react\n---\n\0\0\0").unwrap_err();
    assert_eq!(
        (diagnostics[0].code.as_str(), diagnostics[0].line),
        ("mtm::binary", 4)
    );
}

#[test]
fn rendered_report_has_code_frame() {
    let text = "---\ntarget: react\nchanels: []\n---\nx\n";
    let diagnostic = &parse("A.mtm", text.as_bytes()).unwrap_err()[0];
    let report = diagnostic.render(text, false);
    assert!(report.contains("chanels: []"), "{report}");
    assert!(report.contains("did you mean `channels`?"), "{report}");
}

/// Thousands of random and mutated files: the parser returns a value, never panics.
#[test]
fn never_panics_on_random_or_mutated_input() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces: [&[u8]; 14] = [
        b"---\n",
        b"target: ",
        b"react",
        b"channels:\n",
        b"  - event: a\n",
        b"    emit: b\n",
        b"\n",
        b":",
        b"[",
        b"{",
        b"\xff",
        b"\0",
        b"  ",
        b"'\"&*!|>",
    ];
    for round in 0..5000 {
        let mut bytes = if round % 2 == 0 {
            COUNTER.as_bytes().to_vec()
        } else {
            Vec::new()
        };
        for _ in 0..(next() % 12) {
            let choice = next();
            let piece = pieces[(choice % pieces.len() as u64) as usize];
            let at = if bytes.is_empty() {
                0
            } else {
                (next() % bytes.len() as u64) as usize
            };
            match choice % 3 {
                0 => bytes.splice(at..at, piece.iter().copied()).for_each(drop),
                1 if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                _ => bytes.extend_from_slice(piece),
            }
        }
        let _ = parse("Fuzz.mtm", &bytes);
        if let Err(diagnostics) = parse("Fuzz.mtm", &bytes) {
            for diagnostic in diagnostics {
                let text = String::from_utf8_lossy(&bytes);
                let _ = diagnostic.render(&text, false);
                let _ = diagnostic.frame(&text);
            }
        }
    }
}
