//! The `topgg-bot` binary: a shim over [`topgg_bot::cli`].

/// mimalloc: allocation was about a sixth of the CPU on the vote path with the system
/// allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    topgg_bot::cli::main()
}
