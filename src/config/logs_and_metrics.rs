//! Settings of what the service tells its operators: logs and EMF metrics.

use super::{problem, ConfigError, RunMode, Settings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    pub namespace: String,
    pub dimensions: Vec<Dimension>,
}

/// A dimension an EMF document may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Operation,
    Outcome,
    /// The Lambda function version (`AWS_LAMBDA_FUNCTION_VERSION`), for per-version alarms.
    FunctionVersion,
}

impl Dimension {
    pub const ALL: [Self; 3] = [Self::Operation, Self::Outcome, Self::FunctionVersion];
    /// The dimensions when `METRICS_DIMENSIONS` is unset.
    pub const DEFAULT: [Self; 2] = [Self::Operation, Self::Outcome];

    pub const fn name(self) -> &'static str {
        match self {
            Self::Operation => "Operation",
            Self::Outcome => "Outcome",
            Self::FunctionVersion => "FunctionVersion",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// How the log is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// A tracing filter: `AWS_LAMBDA_LOG_LEVEL` under Lambda, else `RUST_LOG`, else `info`.
    pub filter: String,
    pub format: LogFormat,
    /// The function version under Lambda, written into metrics that ask for it.
    pub function_version: Option<String>,
}

/// How log lines are written; `AWS_LAMBDA_LOG_FORMAT` names one (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per event on stdout (Lambda, unless `AWS_LAMBDA_LOG_FORMAT=Text`).
    Json,
    /// Readable lines on stderr.
    Text,
}

/// `METRICS_DIMENSIONS`: a comma-separated list of known dimensions, each at most once.
pub(super) fn dimensions(names: &str) -> Result<Vec<Dimension>, ConfigError> {
    let known = || Dimension::ALL.map(Dimension::name).join(",");
    let mut dimensions = Vec::new();
    for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let dimension = Dimension::from_name(name).ok_or_else(|| {
            problem(
                "METRICS_DIMENSIONS",
                format!(
                    "names {name:?}: use a comma-separated subset of {}",
                    known()
                ),
            )
        })?;
        if dimensions.contains(&dimension) {
            return Err(problem(
                "METRICS_DIMENSIONS",
                format!("names {name:?} twice: name each dimension once"),
            ));
        }
        dimensions.push(dimension);
    }
    Ok(dimensions)
}

/// Under Lambda, Lambda's own log level and format; elsewhere `RUST_LOG` and text.
pub(super) fn log_settings(settings: &Settings, mode: RunMode) -> LogSettings {
    let lambda_level = settings.aws_lambda_log_level.clone();
    let (filter, format) = match mode {
        RunMode::Lambda => (
            lambda_level.unwrap_or_else(|| settings.rust_log.clone()),
            settings.aws_lambda_log_format.unwrap_or(LogFormat::Json),
        ),
        RunMode::Local => (settings.rust_log.clone(), LogFormat::Text),
    };
    LogSettings {
        filter,
        format,
        function_version: settings.aws_lambda_function_version.clone(),
    }
}
