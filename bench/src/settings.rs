//! The harness's arguments: how many samples, in what batches, against which endpoints.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Three designs of the cancel on the DynamoDB latency model (BENCHMARKS.md)")]
pub struct Settings {
    /// Samples per path and design.
    #[arg(long, default_value_t = 10_000)]
    pub samples: usize,
    /// Samples per batch; batches of every design alternate, each on fresh tables.
    #[arg(long, default_value_t = 500, value_parser = positive)]
    pub batch: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = positive)]
    pub concurrency: usize,
    /// The real bootstrap, run beside the designs as a check that the harness adds nothing.
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// Leave out this service's design run in the harness (the check on the real binary).
    #[arg(long)]
    pub without_in_process: bool,
    /// Run the real binary alone (to re-measure its cells), no design in the harness.
    #[arg(long, requires = "without_in_process")]
    pub binary_only: bool,
    /// Where to write the figures as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// moto's DynamoDB (`make bench-model` sets it).
    #[arg(long, env = "MOTO_ENDPOINT")]
    pub moto: String,
    /// The latency model's endpoint in front of moto (`make bench-model` sets it).
    #[arg(long, env = "MODEL_ENDPOINT")]
    pub model: String,
}

impl Settings {
    pub fn parse_checked() -> Result<Self, String> {
        let settings = Self::try_parse().map_err(|e| e.to_string())?;
        if settings.samples < settings.batch {
            return Err("--samples must be at least --batch".into());
        }
        Ok(settings)
    }
}

fn positive(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("must be a positive whole number".into()),
    }
}
