//! Embeds the browser runtime (`runtime/**/*.js`, tests excluded) into the binary.
use std::path::Path;

fn main() {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runtime");
    println!("cargo:rerun-if-changed={}", runtime.display());
    let mut files = Vec::new();
    collect(&runtime, &runtime, &mut files);
    files.sort();
    let mut out = String::from(
        "/// Runtime files by path relative to `runtime/`.\npub static RUNTIME_FILES: &[(&str, &str)] = &[\n",
    );
    for (relative, absolute) in files {
        println!("cargo:rerun-if-changed={absolute}");
        out.push_str(&format!(
            "    ({relative:?}, include_str!({absolute:?})),\n"
        ));
    }
    out.push_str("];\n");
    std::fs::write(
        Path::new(&std::env::var("OUT_DIR").unwrap()).join("runtime_files.rs"),
        out,
    )
    .unwrap();
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "node_modules" {
                collect(base, &path, out);
            }
        } else if name.ends_with(".js") && !name.contains(".test.") {
            let relative = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((
                relative,
                path.canonicalize().unwrap().to_string_lossy().to_string(),
            ));
        }
    }
}
