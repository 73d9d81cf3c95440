//! The `topgg-bot` binary: a shim over [`topgg_bot::cli`].

fn main() -> std::process::ExitCode {
    topgg_bot::cli::main()
}
