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
        /// Serve each page's modules in a few packs (bundled dev serving, the default; config
        /// key `bundle`).
        #[arg(long, conflicts_with = "no_bundle")]
        bundle: bool,
        /// Serve one request per module, as native ES modules (for debugging; `"bundle": false`).
        #[arg(long)]
        no_bundle: bool,
    },
    /// Bundle the app for production into dist/.
    Build {
        /// The app's folder, holding index.html (default: the current folder).
        #[arg(default_value = ".")]
        root: PathBuf,
        /// Output folder, relative to the app's folder (default: the config's build.outDir, dist).
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// Public path the app is served from, e.g. /sub/ (default: the config's base, /).
        #[arg(long)]
        base: Option<String>,
        /// Write source maps (.map files) next to the JS.
        #[arg(long)]
        sourcemap: bool,
        /// import.meta.env.MODE and the .env.<mode> files read.
        #[arg(long, default_value = "production")]
        mode: String,
    },
    /// Serve the built app (dist/) locally, as a static host would.
    Preview {
        /// The app's folder (default: the current folder).
        #[arg(default_value = ".")]
        root: PathBuf,
        /// Port to listen on; the next free one is taken if it is busy.
        #[arg(long, default_value_t = 4173)]
        port: u16,
        /// Host to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The built folder, relative to the app's folder (default: the config's build.outDir).
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// The public path the app was built for (default: the config's base, /).
        #[arg(long)]
        base: Option<String>,
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
        Command::Dev {
            root,
            port,
            host,
            bundle,
            no_bundle,
        } => run(metamon_server::serve(metamon_server::DevOptions {
            root,
            port,
            host,
            bundle: (bundle || no_bundle).then_some(bundle),
        })),
        Command::Build {
            root,
            out_dir,
            base,
            sourcemap,
            mode,
        } => build(metamon_build::BuildOptions {
            root,
            out_dir,
            base,
            sourcemap: sourcemap.then_some(true),
            mode,
        }),
        Command::Preview {
            root,
            port,
            host,
            out_dir,
            base,
        } => {
            let config = metamon_config::Config::load(&root).unwrap_or_default();
            run(metamon_server::preview(metamon_server::PreviewOptions {
                dir: root.join(out_dir.unwrap_or_else(|| PathBuf::from(&config.build.out_dir))),
                port,
                host,
                base: base.unwrap_or(config.base),
            }))
        }
    }
}

/// Runs a server until it ends.
fn run(server: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(server) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `metamon build`: the table of written files, or every error with its code frame.
fn build(options: metamon_build::BuildOptions) -> ExitCode {
    let root = options.root.clone();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(metamon_build::build(options)) {
        Ok(built) => {
            let shown = built
                .out_dir
                .strip_prefix(root.canonicalize().unwrap_or(root))
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_else(|_| built.out_dir.display().to_string());
            metamon_build::print_report(&built, &shown);
            ExitCode::SUCCESS
        }
        Err(metamon_build::BuildError::Diagnostics(diagnostics)) => {
            let color = std::io::stderr().is_terminal();
            let root = root.canonicalize().unwrap_or(root);
            for diagnostic in &diagnostics {
                let source = std::fs::read(root.join(&diagnostic.file)).unwrap_or_default();
                eprintln!(
                    "{}",
                    diagnostic.render(&String::from_utf8_lossy(&source), color)
                );
            }
            eprintln!(
                "error: build failed with {} error{}; the last build was left as it was",
                diagnostics.len(),
                plural(diagnostics.len())
            );
            ExitCode::FAILURE
        }
        Err(metamon_build::BuildError::Message(message)) => {
            eprintln!("error: build failed: {message}; the last build was left as it was");
            ExitCode::FAILURE
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
