//! The `feedkeeper` binary: a thin wrapper over [`feedkeeper::cli`].

fn main() -> std::process::ExitCode {
    feedkeeper::cli::main()
}
