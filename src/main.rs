use std::process::ExitCode;

use clap::Parser;
use intake_screener::cli::Cli;

fn main() -> ExitCode {
    return_large_blocks_to_the_kernel();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime")
        .block_on(Cli::parse().run())
}

/// Makes glibc serve every allocation of 128 KiB or more with its own `mmap` and unmap it on
/// `free`, so the 19 MiB an Argon2id password hash takes goes back to the kernel as soon as
/// the hash is done. Without it glibc raises its threshold after the first such block is
/// freed (up to 32 MiB), then keeps later ones in the heap: the server's resident memory
/// stays 19 MiB higher for good after the first sign-in, per arena that served one.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks_to_the_kernel() {
    // SAFETY: mallopt only sets allocator parameters; it is called once, before any other
    // thread exists, with a parameter and value glibc documents (mallopt(3)). A return of 0
    // (not applied) leaves glibc's defaults, which are correct, only larger.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks_to_the_kernel() {}
