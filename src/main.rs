use std::process::ExitCode;

use clap::Parser;
use intake_screener::cli::Cli;

fn main() -> ExitCode {
    intake_screener::memory::return_large_blocks_to_the_kernel();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("start the async runtime")
        .block_on(Cli::parse().run())
}
