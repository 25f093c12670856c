//! The `rediform` binary: everything lives in the library; this maps the outcome to an exit code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(rediform::cli::run(std::env::args_os()).code())
}
