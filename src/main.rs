//! The `topgg-bot` binary: a shim over [`topgg_bot::cli`].

/// mimalloc, which also takes SQLite's own allocations (the `override` feature): the vote
/// thread's malloc and free were a tenth of its time under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    topgg_bot::cli::main()
}
