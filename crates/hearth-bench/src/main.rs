//! `hearth-bench`: parse the command line, run one scenario, print its report.

use clap::Parser;
use hearth_bench::Cli;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.common.json;
    let strict = cli.common.strict;
    match hearth_bench::run(&cli).await {
        Ok(outcome) => {
            if json {
                println!("{}", outcome.json());
            } else {
                print!("{}", outcome.table());
            }
            if strict && outcome.errors() > 0 {
                eprintln!("hearth-bench: {} errors (--strict)", outcome.errors());
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hearth-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
