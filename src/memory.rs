//! The process's memory: glibc's allocator holds on to freed memory unless told otherwise, and
//! one password hash takes 12 MiB. These two calls keep the resident size near what is live.
//! Elsewhere than on glibc they do nothing.

/// Makes glibc serve every allocation of 128 KiB or more with its own `mmap` and unmap it on
/// `free`, so the 12 MiB an Argon2id password hash takes goes back to the kernel as soon as the
/// hash is done. Without it glibc raises its threshold after the first such block is freed (up
/// to 32 MiB) and then keeps later ones in the heap for good, per arena that served one. Call
/// once, first thing in `main`, before other threads exist.
pub fn return_large_blocks_to_the_kernel() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters, with a parameter and value glibc
    // documents (mallopt(3)). A return of 0 (not applied) leaves glibc's defaults, which are
    // correct, only larger.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Hands the memory glibc holds free, in every arena, back to the kernel (malloc_trim(3)).
/// Called before each password hash, so that the hash's 12 MiB add to what is live, not to
/// what a large export or a burst of requests left behind.
pub fn hand_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks and only releases free memory; it
    // is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
