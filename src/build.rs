//! Build script: rebuild when a migration is added or changed, since `sqlx::migrate!` embeds
//! the files of `migrations/` at compile time and cargo does not watch that folder by itself.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
