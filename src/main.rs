//! The `topgg-bot` binary: a shim over [`topgg_bot::cli`].

/// mimalloc, which also takes SQLite's own allocations (the `override` feature): the vote
/// thread's malloc and free were a tenth of its time under load (docs/performance.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    #[cfg(feature = "mimalloc")]
    allocator::return_freed_memory_soon();
    topgg_bot::cli::main()
}

#[cfg(feature = "mimalloc")]
mod allocator {
    use std::ffi::{c_int, c_long};

    /// mimalloc's `mi_option_purge_delay` (`mi_option_t` in its `mimalloc.h`, v3).
    const PURGE_DELAY: c_int = 15;
    /// How long freed memory stays with mimalloc before it goes back to the system. Its
    /// default (1 s) kept peak RSS near 40 MB under load; 0 cost about 8% of the CPU per vote;
    /// 10 ms kept the peak near 31 MB at no measurable cost (docs/performance.md, memory).
    const PURGE_DELAY_MS: c_long = 10;

    unsafe extern "C" {
        fn mi_option_set(option: c_int, value: c_long);
    }

    /// Sets mimalloc's purge delay, unless `MIMALLOC_PURGE_DELAY` says otherwise.
    pub fn return_freed_memory_soon() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: an option setter of the linked allocator, called before any other thread
            // exists; purge_delay is read each time memory is freed, so it applies at once.
            unsafe { mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
        }
    }
}
