//! The `symdex` binary: CLI parsing and dispatch only.

fn main() -> std::process::ExitCode {
    symdex::cli::main()
}
