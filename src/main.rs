//! The `feedkeeper` binary: a thin wrapper over [`feedkeeper::cli`].

/// jemalloc as the process allocator (see `Cargo.toml`): the parse and extract stages allocate
/// many small strings.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    feedkeeper::cli::main()
}
