//! `metamon`: a thin CLI over the library crates.

use clap::{Parser, Subcommand};
use metamon_compile::{Diagnostic, WorkerPool, compile, module_kind};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "metamon",
    version,
    about = "Compiler and dev server for web apps that mix React, Vue, Svelte and Solid components"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and compile every component under the paths and report all problems.
    Check {
        /// Files or folders to check (default: src/).
        paths: Vec<PathBuf>,
    },
    /// Print the compiled JavaScript of one file.
    Compile {
        file: PathBuf,
        /// Write the JavaScript here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Append the source map as an inline comment.
        #[arg(long)]
        sourcemap: bool,
        /// Include the hot-reload code the dev server serves (React Refresh, import.meta.hot).
        #[arg(long)]
        hmr: bool,
    },
    /// Serve the app with hot module replacement.
    Dev {
        /// The app's folder, holding index.html (default: the current folder).
        #[arg(default_value = ".")]
        root: PathBuf,
        /// Port to listen on; the next free one is taken if it is busy.
        #[arg(long)]
        port: Option<u16>,
        /// Host to listen on.
        #[arg(long)]
        host: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths } => check(if paths.is_empty() {
            vec![PathBuf::from("src")]
        } else {
            paths
        }),
        Command::Compile {
            file,
            out,
            sourcemap,
            hmr,
        } => compile_one(&file, out.as_deref(), sourcemap, hmr),
        Command::Dev { root, port, host } => {
            let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
            match runtime.block_on(metamon_server::serve(metamon_server::DevOptions {
                root,
                port,
                host,
            })) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn check(paths: Vec<PathBuf>) -> ExitCode {
    let color = std::io::stdout().is_terminal();
    let worker = WorkerPool::new();
    let (mut files, mut errors) = (0, 0);
    for path in paths {
        if !path.exists() {
            eprintln!("error: {} does not exist", path.display());
            errors += 1;
            continue;
        }
        let root = if path.is_dir() {
            path.clone()
        } else {
            path.parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        };
        let options = metamon_server::project_options(&absolute(&root), false);
        let mut found = if path.is_file() {
            vec![path.clone()]
        } else {
            metamon_server::source_files(&path, &path)
        };
        found.sort();
        for file in found {
            let name = display_name(&file);
            if module_kind(&name, &options).is_none() {
                continue;
            }
            files += 1;
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(error) => {
                    eprintln!("error: cannot read {name}: {error}");
                    errors += 1;
                    continue;
                }
            };
            if let Err(diagnostics) = compile(&name, &absolute(&file), &bytes, &options, &worker) {
                errors += diagnostics.len();
                print_diagnostics(&diagnostics, &bytes, color);
            }
        }
    }
    println!(
        "checked {files} file{}, {errors} error{}",
        plural(files),
        plural(errors)
    );
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn compile_one(file: &Path, out: Option<&Path>, sourcemap: bool, hmr: bool) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let root = absolute(file.parent().unwrap_or(Path::new(".")));
    let name = display_name(file);
    match compile(
        &name,
        &absolute(file),
        &bytes,
        &metamon_server::project_options(&root, hmr),
        &WorkerPool::new(),
    ) {
        Ok(compiled) => {
            let mut code = compiled.code;
            if let (true, Some(map)) = (sourcemap, compiled.map) {
                code.push_str(&metamon_compile::inline_source_map(&map));
            }
            let written = match out {
                Some(out) => std::fs::write(out, code).map_err(|e| e.to_string()),
                None => {
                    print!("{code}");
                    Ok(())
                }
            };
            if let Err(error) = written {
                eprintln!("error: cannot write output: {error}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics, &bytes, std::io::stderr().is_terminal());
            ExitCode::FAILURE
        }
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic], bytes: &[u8], color: bool) {
    let text = String::from_utf8_lossy(bytes);
    for diagnostic in diagnostics {
        println!("{}", diagnostic.render(&text, color));
    }
}

fn display_name(path: &Path) -> String {
    path.to_string_lossy()
        .trim_start_matches("./")
        .replace('\\', "/")
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
